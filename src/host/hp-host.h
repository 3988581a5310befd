/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * The one context every host reader takes: the root directory of the host
 * (`/`, or a copy of a host's tree), its kernel release, and where device
 * names come from. The library never names /sys itself.
 */
typedef struct _HpHost HpHost;

HpHost *hp_host_new(const gchar *root, const gchar *kernel_release, GError **error);
void hp_host_free(HpHost *host);
const gchar *hp_host_get_root(const HpHost *host);
const gchar *hp_host_get_kernel_release(const HpHost *host);
void hp_host_set_pci_ids(HpHost *host, const gchar *path);
const gchar *hp_host_get_pci_ids(const HpHost *host);

gchar *hp_host_resolve(const HpHost *host, const gchar *rel, GError **error);
gboolean hp_host_exists(const HpHost *host, const gchar *rel);
gboolean hp_host_read(const HpHost *host, const gchar *rel, gsize max, gchar **ret_data, gsize *ret_len,
		      GError **error);
gchar *hp_host_read_line(const HpHost *host, const gchar *rel, GError **error);
gchar *hp_host_link_name(const HpHost *host, const gchar *rel, GError **error);
GPtrArray *hp_host_list_dir(const HpHost *host, const gchar *rel, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(HpHost, hp_host_free)

G_END_DECLS
