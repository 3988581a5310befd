/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * A host in one file (SPEC section 9, docs/snapshot-format.md): an in-memory
 * tree of directories, regular files (bytes), symbolic links (target text)
 * and entries that were present but could not be read, keyed by their path
 * relative to the host's root, with the kernel release beside it.
 *
 * It holds entries; it does not resolve paths. HpHost reads a snapshot
 * (hp_host_new() on a snapshot file, hp_host_new_for_snapshot()) with the
 * walk it uses on a directory tree: links followed component by component
 * inside the root, a `..` above the root or an absolute target refused (a
 * snapshot is never `/`), more than 40 links a loop, a missing component
 * not an error while resolving.
 */
typedef struct _HpSnapshot HpSnapshot;

typedef enum {
	HP_SNAPSHOT_NONE,       /* no such entry */
	HP_SNAPSHOT_DIR,        /* a directory */
	HP_SNAPSHOT_FILE,       /* a regular file and its bytes */
	HP_SNAPSHOT_LINK,       /* a symbolic link and its target text */
	HP_SNAPSHOT_UNREADABLE, /* present, but could not be read when captured */
} HpSnapshotKind;

/* The first line of every snapshot, before its version number. */
#define HP_SNAPSHOT_MAGIC "hostdev-preflight-snapshot"
/* The format this code reads and writes. */
#define HP_SNAPSHOT_VERSION 1

/* Limits: a file's bytes (what HpHost reads of any host file); the
 * modules.alias files (lib/modules/REL/modules.alias) together; the whole
 * snapshot file; its entries; the depth and length of a path. */
#define HP_SNAPSHOT_MAX_FILE	(1024 * 1024)
#define HP_SNAPSHOT_MAX_ALIAS	(64 * 1024 * 1024)
#define HP_SNAPSHOT_MAX_SIZE	(128 * 1024 * 1024)
#define HP_SNAPSHOT_MAX_ENTRIES 1000000
#define HP_SNAPSHOT_MAX_DEPTH	128
#define HP_SNAPSHOT_MAX_PATH	4096
#define HP_SNAPSHOT_MAX_NAME	255

HpSnapshot *hp_snapshot_new(void);
void hp_snapshot_free(HpSnapshot *snap);

/* building (capture); every parent directory is added as needed */
gboolean hp_snapshot_set_kernel_release(HpSnapshot *snap, const gchar *release, GError **error);
gboolean hp_snapshot_add_dir(HpSnapshot *snap, const gchar *rel, GError **error);
gboolean hp_snapshot_add_file(HpSnapshot *snap, const gchar *rel, const gchar *data, gsize len, GError **error);
gboolean hp_snapshot_add_link(HpSnapshot *snap, const gchar *rel, const gchar *target, GError **error);
gboolean hp_snapshot_add_unreadable(HpSnapshot *snap, const gchar *rel, GError **error);

/* the file format (hp-snapshot-format.c) */
HpSnapshot *hp_snapshot_new_from_data(const gchar *data, gsize len, const gchar *name, GError **error);
HpSnapshot *hp_snapshot_load(const gchar *path, GError **error);
gchar *hp_snapshot_to_data(const HpSnapshot *snap, gsize *ret_len);

/* reading: an entry at exactly its path, following no link; resolving
 * paths through links is HpHost's (hp-host.c), for a snapshot as for a
 * directory tree */
typedef struct _HpSnapNode HpSnapNode;

const gchar *hp_snapshot_get_kernel_release(const HpSnapshot *snap);
guint hp_snapshot_get_n_entries(const HpSnapshot *snap);
GPtrArray *hp_snapshot_get_paths(const HpSnapshot *snap);
HpSnapshotKind hp_snapshot_lookup(const HpSnapshot *snap, const gchar *rel);
const HpSnapNode *hp_snapshot_get_root(const HpSnapshot *snap);
const HpSnapNode *hp_snap_node_child(const HpSnapNode *dir, const gchar *name);
HpSnapshotKind hp_snap_node_kind(const HpSnapNode *node);
const gchar *hp_snap_node_target(const HpSnapNode *node);
GBytes *hp_snap_node_data(const HpSnapNode *node);
GPtrArray *hp_snap_node_names(const HpSnapNode *node);

gboolean hp_snapshot_materialize(const HpSnapshot *snap, const gchar *dir, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(HpSnapshot, hp_snapshot_free)

G_END_DECLS
