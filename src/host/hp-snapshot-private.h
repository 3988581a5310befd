/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the snapshot's tree (hp-snapshot.c) shares with its file format
 * (hp-snapshot-format.c); nothing else uses it. */
#pragma once

#include "hp-snapshot.h"

G_BEGIN_DECLS

struct _HpSnapNode {
	HpSnapshotKind kind;
	gchar *name;	      /* the last component; "" for the root */
	GHashTable *children; /* directories: name -> HpSnapNode (owned) */
	GBytes *data;	      /* files */
	gchar *target;	      /* links */
	guint line;	      /* the line it was read from; 0: implied, or built */
};

struct _HpSnapshot {
	HpSnapNode *root;
	gchar *kernel_release;
	guint n_entries;
	gsize alias_bytes; /* the modules.alias files, together */
};

HpSnapNode *hp_snapshot_put(HpSnapshot *snap, const gchar *rel, HpSnapshotKind kind, const guint8 *data, gsize len,
			    const gchar *target, guint line, GError **error);
gboolean hp_snapshot_check_release(const gchar *release, GError **error);
GPtrArray *hp_snap_node_sorted_children(const HpSnapNode *node);
const gchar *hp_snapshot_kind_name(HpSnapshotKind kind);

G_END_DECLS
