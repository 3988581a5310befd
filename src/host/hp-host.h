/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * The one context every host reader takes: the root directory of the host
 * (`/`, or a copy of a host's tree) or a snapshot file written by `capture`,
 * its kernel release, and where device names come from. The library never
 * names /sys itself. A snapshot is read by the same walk as a tree, over its
 * entries: links resolve inside its content, never out of it.
 *
 * Every file is opened through a directory descriptor of the root, with the
 * check and the open in one step (SPEC section 8): openat2(2) confined to
 * the root, or, where the kernel or a seccomp filter refuses openat2, a walk
 * component by component with O_NOFOLLOW that follows links itself. A link
 * that leads out of the root is refused (HP_ERROR_OUTSIDE_ROOT), whatever
 * happens to the tree while it is read; only regular files and directories
 * are ever opened for reading.
 *
 * Thread contract: an HpHost is immutable after hp_host_new() (its one
 * switch, the fallback from openat2, is atomic), so one host may be read from
 * several threads at once.
 */
typedef struct _HpHost HpHost;

/* What is at a path (hp_host_get_kind()). */
typedef enum {
	HP_HOST_KIND_NONE,  /* nothing (or not reachable: a way out of the root, a loop) */
	HP_HOST_KIND_DIR,   /* a directory */
	HP_HOST_KIND_FILE,  /* a regular file */
	HP_HOST_KIND_LINK,  /* a symbolic link (only when not followed) */
	HP_HOST_KIND_OTHER, /* a FIFO, a device, a socket, a snapshot's unreadable entry: never read */
} HpHostKind;

/* Host files are refused past these sizes, never cut (SPEC section 8). */
#define HP_HOST_FILE_MAX     (1024 * 1024)
#define HP_HOST_MODALIAS_MAX (64 * 1024 * 1024)

/* What identifies one version of a file: a new check compares it to decide
 * whether a database read before is still good. */
typedef struct {
	guint64 dev, ino, size;
	gint64 mtime_ns;
} HpHostStamp;

HpHost *hp_host_new(const gchar *root, const gchar *kernel_release, GError **error);
void hp_host_free(HpHost *host);
const gchar *hp_host_get_root(const HpHost *host);
const gchar *hp_host_get_kernel_release(const HpHost *host);
void hp_host_set_kernel_release(HpHost *host, const gchar *kernel_release);
gboolean hp_host_is_snapshot(const HpHost *host);
void hp_host_set_pci_ids(HpHost *host, const gchar *path);
const gchar *hp_host_get_pci_ids(const HpHost *host);
void hp_host_set_use_openat2(HpHost *host, gboolean use);
gboolean hp_host_has_pci(const HpHost *host, GError **error);
gboolean hp_host_name_is_valid(const gchar *name);

gchar *hp_host_resolve(const HpHost *host, const gchar *rel, GError **error);
gboolean hp_host_exists(const HpHost *host, const gchar *rel);
HpHostKind hp_host_get_kind(const HpHost *host, const gchar *rel, gboolean follow, GError **error);
gchar *hp_host_readlink(const HpHost *host, const gchar *rel, GError **error);
gboolean hp_host_stat(const HpHost *host, const gchar *rel, HpHostStamp *ret_stamp, GError **error);
gboolean hp_host_read(const HpHost *host, const gchar *rel, gsize max, gchar **ret_data, gsize *ret_len,
		      GError **error);
gboolean hp_host_load(const HpHost *host, const gchar *rel, gsize limit, gchar **ret_data, gsize *ret_len,
		      HpHostStamp *ret_stamp, GError **error);
gchar *hp_host_read_line(const HpHost *host, const gchar *rel, GError **error);
gchar *hp_host_link_name(const HpHost *host, const gchar *rel, GError **error);
GPtrArray *hp_host_list_dir(const HpHost *host, const gchar *rel, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(HpHost, hp_host_free)

G_END_DECLS
