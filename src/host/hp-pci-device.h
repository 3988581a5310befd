/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "hp-host.h"
#include "hp-pci-address.h"

G_BEGIN_DECLS

/*
 * What sysfs says of one PCI function (SPEC section 5), read once per check.
 *
 * A link that is present but cannot be resolved (a loop, a target out of the
 * root, a name no kernel driver can have) is an unknown value, never "none":
 *
 * - `driver_unknown`: the device has a `driver` link, but where it leads
 *   cannot be read; `driver` is then %NULL. The device may be bound to
 *   anything: a group member on an unknown driver makes the group not viable,
 *   and a declared device on one still needs its unbind step (through its own
 *   `driver/unbind`, since the driver's name is not known).
 * - `iommu_group_unknown`: an `iommu_group` link that cannot be read;
 *   `iommu_group` is then -1.
 * - `physfn_unknown`: a `physfn` link that cannot be read; `is_vf` is then
 *   %FALSE (the function counts as one of its slot's).
 *
 * `problems` says, per attribute, what was wrong with it (for the message of
 * the finding it spoils); `malformed` holds the subset that is the host
 * file's own fault (garbled, not a regular file, over its size limit, a name
 * a kernel name cannot be), each a `host-file-malformed` finding.
 */
typedef struct {
	HpPciAddress addr;
	gchar bdf[HP_PCI_ADDRESS_STRLEN];
	gboolean ids_known;
	guint vendor, device, subsystem_vendor, subsystem_device;
	gboolean class_known;
	guint32 class_code;
	gchar *modalias;      /* NULL when missing or garbled */
	gint header_type;     /* config byte 0x0e; -1 when config is missing or short */
	guint8 *config;       /* the head of config space (HP_PCI_CONFIG_HEAD bytes at most), or NULL */
	gsize config_len;     /* how much of it could be read: 64 without root, 256 or more with it */
	gchar *driver;        /* NULL: no driver, or driver_unknown; always a valid kernel name */
	gboolean driver_unknown;
	gint iommu_group;     /* -1: none, or iommu_group_unknown */
	gboolean iommu_group_unknown;
	gboolean is_vf;       /* has a physfn link */
	gboolean physfn_unknown;
	guint num_vfs;        /* virtfnN links */
	gboolean has_vfio_dev;
	GHashTable *problems;  /* attribute -> what is wrong with it: missing, garbled, a link out of the root */
	GHashTable *malformed; /* attribute -> what is wrong with the file itself (a subset of problems) */
} HpPciDevice;

/* Config space read: the standard 256 bytes, where the capabilities that say
 * how a device can be reset (PM, PCI Express, Advanced Features) live. */
#define HP_PCI_CONFIG_HEAD 256

HpPciDevice *hp_pci_device_read(const HpHost *host, const HpPciAddress *addr, GError **error);
void hp_pci_device_free(HpPciDevice *dev);
gboolean hp_pci_device_is_bridge(const HpPciDevice *dev);
gboolean hp_pci_device_is_not_endpoint(const HpPciDevice *dev);
gboolean hp_pci_device_multifunction_bit(const HpPciDevice *dev, gboolean *ret_known);
gchar *hp_pci_device_rel(const HpPciAddress *addr, const gchar *attr);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(HpPciDevice, hp_pci_device_free)

G_END_DECLS
