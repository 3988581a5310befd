/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What hp-host.c and hp-host-walk.c share: the confined lookup. */

#include <sys/stat.h>

#include "hp-host.h"
#include "hp-snapshot-private.h"

struct _HpHost {
	gchar *root; /* absolute, no trailing slash except for "/" itself: for messages */
	gint root_fd; /* O_PATH descriptor of the root: every lookup starts here; -1 for a snapshot */
	HpSnapshot *snap; /* a snapshot file given as the root, or NULL: then its entries are the tree */
	gboolean slash; /* the root is this machine's "/" */
	gint no_openat2; /* atomic: openat2 is refused here, walk instead */
	gchar *kernel_release;
	gchar *pci_ids;
};

/* An object found inside the root. */
typedef struct {
	gint fd;        /* O_PATH descriptor; -1 when missing (HP_LOOKUP_LENIENT), and in a snapshot */
	const HpSnapNode *snode; /* in a snapshot: the entry (st then says what it is); NULL when missing */
	gint parent_fd; /* O_PATH descriptor of its directory, or -1 */
	gchar *name;    /* its name in parent_fd, with parent_fd */
	gchar *canon;   /* its path inside the root with no link in it (HP_LOOKUP_CANON) */
	struct stat st; /* of fd, or made up for snode (its kind, its size, its address as inode) */
} HpHostNode;

typedef enum {
	HP_LOOKUP_NOFOLLOW = 1 << 0, /* a link as the last component is the object */
	HP_LOOKUP_CANON = 1 << 1,    /* fill canon (this takes the walk) */
	HP_LOOKUP_LENIENT = 1 << 2,  /* a missing component is not an error: canon goes on lexically */
	HP_LOOKUP_PARENT = 1 << 3,   /* keep parent_fd and name (to open the object again safely) */
} HpLookupFlags;

gboolean hp_host_lookup(const HpHost *host, const gchar *rel, guint flags, HpHostNode *ret, GError **error);
gboolean hp_host_lookup_link(const HpHost *host, const gchar *rel, HpHostNode *ret, GError **error);
gchar *hp_host_node_readlink(const HpHostNode *node);
gboolean hp_host_node_readable(const gchar *rel, const HpHostNode *node, GError **error);
gint hp_host_node_open(const HpHost *host, const gchar *rel, const HpHostNode *node, GError **error);
void hp_host_node_clear(HpHostNode *node);
