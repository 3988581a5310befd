/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Vendor and device names from a pci.ids database (hwdata, pciutils). */
typedef struct _HpPciIds HpPciIds;

HpPciIds *hp_pci_ids_new_from_data(const gchar *data, gsize len);
HpPciIds *hp_pci_ids_load(const gchar *path, GError **error);
void hp_pci_ids_free(HpPciIds *ids);
gchar *hp_pci_ids_describe(const HpPciIds *ids, guint vendor, guint device);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(HpPciIds, hp_pci_ids_free)

G_END_DECLS
