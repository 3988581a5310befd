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
	gchar *driver;        /* NULL: no driver */
	gint iommu_group;     /* -1: none */
	gboolean is_vf;       /* has a physfn link */
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
