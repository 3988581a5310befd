/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "hp-host.h"
#include "hp-pci-address.h"

G_BEGIN_DECLS

/* What sysfs says of one PCI function (SPEC section 5). Read once. */
typedef struct {
	HpPciAddress addr;
	gchar bdf[HP_PCI_ADDRESS_STRLEN];
	gboolean ids_known;
	guint vendor, device, subsystem_vendor, subsystem_device;
	gboolean class_known;
	guint32 class_code;
	gchar *modalias;      /* NULL when missing or garbled */
	gint header_type;     /* config byte 0x0e; -1 when config is missing or short */
	gchar *driver;        /* NULL: no driver, or driver_unknown */
	/* A `driver` link is present but cannot be resolved (a loop, a way out
	 * of the root, a link that cannot be read) or names no kernel driver
	 * name: the device is bound to something we cannot name. Never the
	 * same as "no driver": it may break group viability, and it must still
	 * be unbound. `problems` has "driver" saying why. */
	gboolean driver_unknown;
	gint iommu_group;     /* -1: none, or group_unknown */
	gboolean group_unknown; /* an iommu_group link is present but cannot be resolved to a number */
	gboolean is_vf;       /* has a physfn link */
	gboolean vf_unknown;  /* a physfn link is present but cannot be resolved: is_vf is FALSE, the device counts as a function */
	guint num_vfs;        /* virtfnN links */
	gboolean has_vfio_dev;
	GHashTable *problems; /* attribute -> what is wrong with it: missing, garbled, a link out of the root */
} HpPciDevice;

HpPciDevice *hp_pci_device_read(const HpHost *host, const HpPciAddress *addr, GError **error);
void hp_pci_device_free(HpPciDevice *dev);
gboolean hp_pci_device_is_bridge(const HpPciDevice *dev);
gboolean hp_pci_device_multifunction_bit(const HpPciDevice *dev, gboolean *ret_known);
gchar *hp_pci_device_rel(const HpPciAddress *addr, const gchar *attr);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(HpPciDevice, hp_pci_device_free)

G_END_DECLS
