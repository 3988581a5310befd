/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "hp-snapshot.h"

G_BEGIN_DECLS

/*
 * The one context every host reader takes: the host (`/`, a copy of a
 * host's tree, or a snapshot file written by `capture`), its kernel
 * release, and where device names come from. The library never names /sys
 * itself.
 *
 * Every read is confined to the root, and the check and the open are one
 * step (SPEC section 8): a directory tree is read through descriptors,
 * with openat2(RESOLVE_BENEATH) or, where the kernel lacks it, one
 * component at a time with O_NOFOLLOW, following links ourselves. A
 * snapshot is read with the same walk over its entries, so both give the
 * same answers. Only regular files and directories are ever read.
 */
typedef struct _HpHost HpHost;

/* What is at a path, as lstat() would say (hp_host_lookup()). */
typedef enum {
	HP_HOST_KIND_NONE,       /* nothing (or a component on the way is missing) */
	HP_HOST_KIND_DIR,        /* a directory */
	HP_HOST_KIND_FILE,       /* a regular file */
	HP_HOST_KIND_LINK,       /* a symbolic link */
	HP_HOST_KIND_OTHER,      /* a FIFO, a device node, a socket: never opened */
	HP_HOST_KIND_UNREADABLE, /* a snapshot entry that could not be read when captured */
} HpHostKind;

/* Limits on a host file (SPEC section 8): past them a file is refused
 * (HP_ERROR_INVALID_DATA), never cut. */
#define HP_HOST_MAX_FILE  HP_SNAPSHOT_MAX_FILE
#define HP_HOST_MAX_ALIAS HP_SNAPSHOT_MAX_ALIAS

HpHost *hp_host_new(const gchar *root, const gchar *kernel_release, GError **error);
HpHost *hp_host_new_for_snapshot(HpSnapshot *snap, const gchar *name, const gchar *kernel_release);
void hp_host_free(HpHost *host);
const gchar *hp_host_get_root(const HpHost *host);
gboolean hp_host_is_snapshot(const HpHost *host);
const gchar *hp_host_get_kernel_release(const HpHost *host);
void hp_host_set_kernel_release(HpHost *host, const gchar *kernel_release);
void hp_host_set_pci_ids(HpHost *host, const gchar *path);
const gchar *hp_host_get_pci_ids(const HpHost *host);

gchar *hp_host_resolve(const HpHost *host, const gchar *rel, GError **error);
HpHostKind hp_host_lookup(const HpHost *host, const gchar *rel, GError **error);
HpHostKind hp_host_stat(const HpHost *host, const gchar *rel, GError **error);
gboolean hp_host_exists(const HpHost *host, const gchar *rel);
gboolean hp_host_read(const HpHost *host, const gchar *rel, gsize max, gchar **ret_data, gsize *ret_len,
		      GError **error);
gboolean hp_host_read_head(const HpHost *host, const gchar *rel, gsize n, gchar **ret_data, gsize *ret_len,
			   GError **error);
gchar *hp_host_read_line(const HpHost *host, const gchar *rel, GError **error);
gchar *hp_host_readlink(const HpHost *host, const gchar *rel, GError **error);
gchar *hp_host_link_name(const HpHost *host, const gchar *rel, GError **error);
GPtrArray *hp_host_list_dir(const HpHost *host, const gchar *rel, GError **error);

gboolean hp_host_name_is_kernel_name(const gchar *name);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(HpHost, hp_host_free)

G_END_DECLS
