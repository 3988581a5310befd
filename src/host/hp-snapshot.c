/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The snapshot's tree: building it, and reading it as a host backend reads
 * a directory. The text form is hp-snapshot-format.c, the tree written out
 * as a directory hp-snapshot-materialize.c.
 */
#include "hp-snapshot-private.h"

#include <string.h>

#include "hp-error.h"

static void
hp_snap_node_free(gpointer data)
{
	HpSnapNode *node = data;
	if (node == NULL)
		return;
	g_free(node->name);
	if (node->children != NULL)
		g_hash_table_unref(node->children);
	if (node->data != NULL)
		g_bytes_unref(node->data);
	g_free(node->target);
	g_free(node);
}

static HpSnapNode *
hp_snap_node_new(const gchar *name, HpSnapshotKind kind, guint line)
{
	HpSnapNode *node = g_new0(HpSnapNode, 1);
	node->name = g_strdup(name);
	node->kind = kind;
	node->line = line;
	if (kind == HP_SNAPSHOT_DIR)
		node->children = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, hp_snap_node_free);
	return node;
}

/**
 * hp_snapshot_new:
 *
 * Returns: (transfer full): an empty snapshot (a root directory, no kernel
 * release).
 */
HpSnapshot *
hp_snapshot_new(void)
{
	HpSnapshot *snap = g_new0(HpSnapshot, 1);
	snap->root = hp_snap_node_new("", HP_SNAPSHOT_DIR, 0);
	return snap;
}

/* Frees the snapshot and every entry; %NULL is fine. */
void
hp_snapshot_free(HpSnapshot *snap)
{
	if (snap == NULL)
		return;
	hp_snap_node_free(snap->root);
	g_free(snap->kernel_release);
	g_free(snap);
}

const gchar *
hp_snapshot_kind_name(HpSnapshotKind kind)
{
	switch (kind) {
	case HP_SNAPSHOT_DIR:
		return "directory";
	case HP_SNAPSHOT_FILE:
		return "file";
	case HP_SNAPSHOT_LINK:
		return "link";
	case HP_SNAPSHOT_UNREADABLE:
		return "unreadable entry";
	case HP_SNAPSHOT_NONE:
	default:
		return "nothing";
	}
}

static gint
hp_snap_cmp_names(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const gchar *const *)a, *(const gchar *const *)b);
}

/* Returns: (transfer container) (element-type HpSnapNode): a directory's
 * entries in byte order of their names, the order of the file format. */
GPtrArray *
hp_snap_node_sorted_children(const HpSnapNode *node)
{
	GPtrArray *names = g_ptr_array_new();
	GPtrArray *nodes;
	GHashTableIter iter;
	gpointer key;

	if (node->children == NULL)
		return names;
	g_hash_table_iter_init(&iter, node->children);
	while (g_hash_table_iter_next(&iter, &key, NULL))
		g_ptr_array_add(names, key);
	g_ptr_array_sort(names, hp_snap_cmp_names);
	nodes = g_ptr_array_sized_new(names->len);
	for (guint i = 0; i < names->len; i++)
		g_ptr_array_add(nodes, g_hash_table_lookup(node->children, g_ptr_array_index(names, i)));
	g_ptr_array_unref(names);
	return nodes;
}

/*
 * A path as an entry may have it: relative, no empty, `.` or `..`
 * component, within the depth and length limits. The checks that keep a
 * materialized tree inside its directory start here.
 */
static gchar **
hp_snapshot_split_path(const gchar *rel, GError **error)
{
	g_auto(GStrv) comps = NULL;
	guint n;

	if (rel[0] == '\0') {
		g_set_error(error, HP_ERROR, HP_ERROR_INVALID_DATA, "an entry has an empty path");
		return NULL;
	}
	if (rel[0] == '/') {
		g_set_error(error, HP_ERROR, HP_ERROR_INVALID_DATA,
			    "%.200s is an absolute path; entries are relative to the host's root", rel);
		return NULL;
	}
	if (strlen(rel) > HP_SNAPSHOT_MAX_PATH) {
		g_set_error(error, HP_ERROR, HP_ERROR_INVALID_DATA, "%.200s... is longer than %d bytes", rel,
			    HP_SNAPSHOT_MAX_PATH);
		return NULL;
	}
	comps = g_strsplit(rel, "/", -1);
	n = g_strv_length(comps);
	if (n > HP_SNAPSHOT_MAX_DEPTH) {
		g_set_error(error, HP_ERROR, HP_ERROR_INVALID_DATA, "%.200s... is deeper than %d components", rel,
			    HP_SNAPSHOT_MAX_DEPTH);
		return NULL;
	}
	for (guint i = 0; i < n; i++) {
		if (comps[i][0] == '\0' || strcmp(comps[i], ".") == 0 || strcmp(comps[i], "..") == 0) {
			g_set_error(error, HP_ERROR, HP_ERROR_INVALID_DATA,
				    "%.200s has an empty, '.' or '..' component; entries name their place exactly", rel);
			return NULL;
		}
		if (strlen(comps[i]) > HP_SNAPSHOT_MAX_NAME) {
			g_set_error(error, HP_ERROR, HP_ERROR_INVALID_DATA, "%.200s has a component longer than %d bytes",
				    rel, HP_SNAPSHOT_MAX_NAME);
			return NULL;
		}
	}
	return g_steal_pointer(&comps);
}

/* lib/modules/REL/modules.alias: the one file allowed past 1 MiB. */
static gboolean
hp_snapshot_is_alias(gchar **comps)
{
	return g_strv_length(comps) == 4 && strcmp(comps[0], "lib") == 0 && strcmp(comps[1], "modules") == 0 &&
	       strcmp(comps[3], "modules.alias") == 0;
}

gboolean
hp_snapshot_check_release(const gchar *release, GError **error)
{
	if (release[0] == '\0' || strchr(release, '/') != NULL || strcmp(release, ".") == 0 ||
	    strcmp(release, "..") == 0 || strlen(release) > HP_SNAPSHOT_MAX_NAME) {
		g_set_error(error, HP_ERROR, HP_ERROR_INVALID_DATA,
			    "kernel release '%.200s' is not a directory name (as lib/modules/REL needs)", release);
		return FALSE;
	}
	return TRUE;
}

static gboolean
hp_snap_node_same(const HpSnapNode *node, HpSnapshotKind kind, const guint8 *data, gsize len, const gchar *target)
{
	if (node->kind != kind)
		return FALSE;
	if (kind == HP_SNAPSHOT_FILE)
		return g_bytes_get_size(node->data) == len && (len == 0 || memcmp(g_bytes_get_data(node->data, NULL), data, len) == 0);
	if (kind == HP_SNAPSHOT_LINK)
		return g_strcmp0(node->target, target) == 0;
	return TRUE;
}

/*
 * Adds one entry, and its parent directories as needed. @line > 0: from the
 * parser, where an entry given twice is an error; 0: from a capture, where
 * recording the same thing twice is normal (a link on the way to several
 * files) and only a different second value is an error.
 */
HpSnapNode *
hp_snapshot_put(HpSnapshot *snap, const gchar *rel, HpSnapshotKind kind, const guint8 *data, gsize len,
		const gchar *target, guint line, GError **error)
{
	g_auto(GStrv) comps = hp_snapshot_split_path(rel, error);
	HpSnapNode *dir = snap->root;
	HpSnapNode *node;
	guint n;

	if (comps == NULL)
		return NULL;
	n = g_strv_length(comps);
	if (kind == HP_SNAPSHOT_FILE) {
		gboolean alias = hp_snapshot_is_alias(comps);
		if (len > (alias ? (gsize)HP_SNAPSHOT_MAX_ALIAS : (gsize)HP_SNAPSHOT_MAX_FILE) ||
		    (alias && snap->alias_bytes + len > HP_SNAPSHOT_MAX_ALIAS)) {
			g_set_error(error, HP_ERROR, HP_ERROR_INVALID_DATA, "%s holds %" G_GSIZE_FORMAT " bytes, more than the %d MiB a host file may have",
				    rel, len, alias ? HP_SNAPSHOT_MAX_ALIAS >> 20 : HP_SNAPSHOT_MAX_FILE >> 20);
			return NULL;
		}
	}
	if (kind == HP_SNAPSHOT_LINK && (target == NULL || target[0] == '\0' || strlen(target) > HP_SNAPSHOT_MAX_PATH)) {
		g_set_error(error, HP_ERROR, HP_ERROR_INVALID_DATA, "link %s has an empty or overlong target", rel);
		return NULL;
	}
	for (guint i = 0; i < n; i++) {
		gboolean last = i + 1 == n;
		node = g_hash_table_lookup(dir->children, comps[i]);
		if (node != NULL && !last && node->kind != HP_SNAPSHOT_DIR) {
			gsize off = 0;
			for (guint j = 0; j <= i; j++)
				off += strlen(comps[j]) + (j > 0 ? 1 : 0);
			g_set_error(error, HP_ERROR, HP_ERROR_INVALID_DATA,
				    "%s is below %.*s, which is a %s (line %u), not a directory", rel, (gint)off, rel,
				    hp_snapshot_kind_name(node->kind), node->line);
			return NULL;
		}
		if (node != NULL && last) {
			if (line > 0 && node->line > 0) {
				g_set_error(error, HP_ERROR, HP_ERROR_INVALID_DATA, "%s is given twice (first on line %u)", rel,
					    node->line);
				return NULL;
			}
			if (line > 0 && node->kind == HP_SNAPSHOT_DIR && kind == HP_SNAPSHOT_DIR) {
				node->line = line; /* a directory implied by an earlier entry below it */
				return node;
			}
			if (line > 0) {
				g_set_error(error, HP_ERROR, HP_ERROR_INVALID_DATA,
					    "%s is a %s, but entries given earlier are below it (a directory)", rel,
					    hp_snapshot_kind_name(kind));
				return NULL;
			}
			if (!hp_snap_node_same(node, kind, data, len, target)) {
				g_set_error(error, HP_ERROR, HP_ERROR_INVALID_DATA,
					    "%s was read twice with different results: the host changed while it was captured", rel);
				return NULL;
			}
			return node;
		}
		if (node == NULL) {
			if (snap->n_entries >= HP_SNAPSHOT_MAX_ENTRIES) {
				g_set_error(error, HP_ERROR, HP_ERROR_INVALID_DATA, "more than %d entries", HP_SNAPSHOT_MAX_ENTRIES);
				return NULL;
			}
			node = hp_snap_node_new(comps[i], last ? kind : HP_SNAPSHOT_DIR, last ? line : 0);
			g_hash_table_insert(dir->children, node->name, node);
			snap->n_entries++;
			if (last && kind == HP_SNAPSHOT_FILE) {
				node->data = g_bytes_new(data, len);
				if (hp_snapshot_is_alias(comps))
					snap->alias_bytes += len;
			}
			if (last && kind == HP_SNAPSHOT_LINK)
				node->target = g_strdup(target);
		}
		dir = node;
	}
	return dir;
}

/**
 * hp_snapshot_set_kernel_release:
 * @release: (nullable): what lib/modules/REL is read for; %NULL: none
 *
 * Returns: %FALSE with HP_ERROR_INVALID_DATA when @release cannot be a
 * directory name (empty, `.`, `..`, a `/`, over 255 bytes).
 */
gboolean
hp_snapshot_set_kernel_release(HpSnapshot *snap, const gchar *release, GError **error)
{
	if (release != NULL && !hp_snapshot_check_release(release, error))
		return FALSE;
	g_free(snap->kernel_release);
	snap->kernel_release = g_strdup(release);
	return TRUE;
}

/**
 * hp_snapshot_add_dir:
 * @rel: a path relative to the root, such as `sys/bus/pci/devices`
 *
 * Adds a directory (and its parents). Adding what is already there is not
 * an error; a path below a file or a link is.
 *
 * Returns: %TRUE, or %FALSE with HP_ERROR_INVALID_DATA.
 */
gboolean
hp_snapshot_add_dir(HpSnapshot *snap, const gchar *rel, GError **error)
{
	return hp_snapshot_put(snap, rel, HP_SNAPSHOT_DIR, NULL, 0, NULL, 0, error) != NULL;
}

/* A regular file of @len bytes (at most 1 MiB; 64 MiB for modules.alias). */
gboolean
hp_snapshot_add_file(HpSnapshot *snap, const gchar *rel, const gchar *data, gsize len, GError **error)
{
	return hp_snapshot_put(snap, rel, HP_SNAPSHOT_FILE, (const guint8 *)data, len, NULL, 0, error) != NULL;
}

/* A symbolic link; @target is kept as text, whatever it says: a target that
 * leads out of the root is refused when it is followed, as in a tree. */
gboolean
hp_snapshot_add_link(HpSnapshot *snap, const gchar *rel, const gchar *target, GError **error)
{
	return hp_snapshot_put(snap, rel, HP_SNAPSHOT_LINK, NULL, 0, target, 0, error) != NULL;
}

/* Something that was there but could not be read (an error, a size past
 * the limit, not a regular file): readers get an error, not "missing". */
gboolean
hp_snapshot_add_unreadable(HpSnapshot *snap, const gchar *rel, GError **error)
{
	return hp_snapshot_put(snap, rel, HP_SNAPSHOT_UNREADABLE, NULL, 0, NULL, 0, error) != NULL;
}

/* Returns: (nullable): the kernel release the snapshot was captured with. */
const gchar *
hp_snapshot_get_kernel_release(const HpSnapshot *snap)
{
	return snap->kernel_release;
}

/* Every entry, implied parent directories included. */
guint
hp_snapshot_get_n_entries(const HpSnapshot *snap)
{
	return snap->n_entries;
}

static void
hp_snapshot_collect(const HpSnapNode *node, const gchar *prefix, GPtrArray *out)
{
	g_autoptr(GPtrArray) children = hp_snap_node_sorted_children(node);
	for (guint i = 0; i < children->len; i++) {
		const HpSnapNode *child = g_ptr_array_index(children, i);
		gchar *path = prefix[0] == '\0' ? g_strdup(child->name) : g_strconcat(prefix, "/", child->name, NULL);
		g_ptr_array_add(out, path);
		if (child->kind == HP_SNAPSHOT_DIR)
			hp_snapshot_collect(child, path, out);
	}
}

/* Returns: (transfer full) (element-type utf8): every entry's path, in the
 * order of the file format (a directory before what is below it). */
GPtrArray *
hp_snapshot_get_paths(const HpSnapshot *snap)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
	hp_snapshot_collect(snap->root, "", out);
	return out;
}

/* The entry at exactly @rel, following no link (lstat); empty and `.`
 * components are skipped, `..` finds nothing. */
static const HpSnapNode *
hp_snapshot_find(const HpSnapshot *snap, const gchar *rel)
{
	g_auto(GStrv) comps = g_strsplit(rel, "/", -1);
	const HpSnapNode *node = snap->root;
	for (guint i = 0; comps[i] != NULL; i++) {
		if (comps[i][0] == '\0' || strcmp(comps[i], ".") == 0)
			continue;
		if (node->kind != HP_SNAPSHOT_DIR)
			return NULL;
		node = g_hash_table_lookup(node->children, comps[i]);
		if (node == NULL)
			return NULL;
	}
	return node;
}

/**
 * hp_snapshot_lookup:
 * @rel: a path relative to the root; `""` is the root
 *
 * As lstat(): the kind of the entry at @rel itself, following no link.
 *
 * Returns: the kind, %HP_SNAPSHOT_NONE when there is no such entry.
 */
HpSnapshotKind
hp_snapshot_lookup(const HpSnapshot *snap, const gchar *rel)
{
	const HpSnapNode *node = hp_snapshot_find(snap, rel);
	return node != NULL ? node->kind : HP_SNAPSHOT_NONE;
}

/* The root directory of the snapshot's tree. */
const HpSnapNode *
hp_snapshot_get_root(const HpSnapshot *snap)
{
	return snap->root;
}

/* Returns: (transfer none) (nullable): the entry @name in the directory
 * @dir; %NULL when there is none, or @dir is not a directory. */
const HpSnapNode *
hp_snap_node_child(const HpSnapNode *dir, const gchar *name)
{
	if (dir == NULL || dir->kind != HP_SNAPSHOT_DIR)
		return NULL;
	return g_hash_table_lookup(dir->children, name);
}

HpSnapshotKind
hp_snap_node_kind(const HpSnapNode *node)
{
	return node != NULL ? node->kind : HP_SNAPSHOT_NONE;
}

/* Returns: (transfer none) (nullable): a link's target text, as written. */
const gchar *
hp_snap_node_target(const HpSnapNode *node)
{
	return node != NULL && node->kind == HP_SNAPSHOT_LINK ? node->target : NULL;
}

/* Returns: (transfer none) (nullable): a file's bytes. */
GBytes *
hp_snap_node_data(const HpSnapNode *node)
{
	return node != NULL && node->kind == HP_SNAPSHOT_FILE ? node->data : NULL;
}

/* Returns: (transfer full) (element-type utf8): a directory's entry names,
 * sorted byte by byte; empty for anything else. */
GPtrArray *
hp_snap_node_names(const HpSnapNode *node)
{
	g_autoptr(GPtrArray) children = hp_snap_node_sorted_children(node);
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; i < children->len; i++)
		g_ptr_array_add(names, g_strdup(((const HpSnapNode *)g_ptr_array_index(children, i))->name));
	return names;
}
