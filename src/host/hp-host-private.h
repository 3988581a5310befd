/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What hp-host.c and hp-host-walk.c share: the host and the confined walk. */
#pragma once

#include "hp-host.h"

G_BEGIN_DECLS

struct _HpHost {
	gchar *root;       /* for messages: the real directory, or the snapshot file as given */
	gint root_fd;      /* a directory tree: an O_PATH descriptor of its root; -1 for a snapshot */
	HpSnapshot *snap;  /* a snapshot, or NULL */
	gboolean is_slash; /* the root is this machine's `/`: absolute links are followed */
	gboolean no_openat2;
	gchar *kernel_release;
	gchar *pci_ids;
};

/* One component of a walk: what it is and how to reach what is below it. */
typedef struct {
	gchar *name;            /* "" for the root */
	gint fd;                /* a tree: O_PATH descriptor, -1 when missing; the root's is not owned */
	const HpSnapNode *node; /* a snapshot: the entry, NULL when missing */
	HpHostKind kind;
	gint err;               /* when missing: why (ENOENT, EACCES, ...) */
} HpStep;

void hp_steps_free(GArray *steps);
typedef GArray GArray_HpSteps;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GArray_HpSteps, hp_steps_free)

GArray *hp_host_walk(const HpHost *host, const gchar *rel, gboolean follow_last, GError **error);
const HpStep *hp_host_last(GArray *steps);
void hp_host_set_missing(GError **error, const gchar *rel, gint err);
gchar *hp_host_step_readlink(const HpHost *host, const HpStep *step);
gint hp_host_open(const HpHost *host, const gchar *rel, gboolean want_dir, GError **error);
const HpSnapNode *hp_host_snap_open(const HpHost *host, const gchar *rel, gboolean want_dir, GError **error);

G_END_DECLS
