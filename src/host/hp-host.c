/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "hp-host-private.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "hp-diag.h"
#include "hp-error.h"

/*
 * A snapshot file as the host: parsed whole, then read by the same walk as
 * a tree (hp-host-walk.c). Messages name the file as given; the release is
 * the snapshot's unless one is given.
 */
static HpHost *
hp_host_new_for_snapshot(HpHost *host, const gchar *root, const gchar *kernel_release, GError **error)
{
	g_autoptr(HpHost) owned = host;
	g_autofree gchar *abs = g_canonicalize_filename(root, NULL);

	owned->snap = hp_snapshot_load(root, error);
	if (owned->snap == NULL)
		return NULL;
	owned->root = g_steal_pointer(&abs);
	owned->kernel_release =
		g_strdup(kernel_release != NULL ? kernel_release : hp_snapshot_get_kernel_release(owned->snap));
	return g_steal_pointer(&owned);
}

/**
 * hp_host_new:
 * @root: the host: its root directory (`/` for this machine), or a snapshot
 *   file written by `capture`
 * @kernel_release: (nullable): the release whose lib/modules/REL to read;
 *   %NULL: a snapshot's own (a directory then has none: see
 *   hp_host_set_kernel_release())
 *
 * Opens @root once: every later read starts from that descriptor, or from
 * the snapshot's entries. A snapshot is hostile input like any other: one
 * that does not parse is refused with its file and line.
 *
 * Returns: (transfer full) (nullable): the context, or %NULL with @error
 * when @root is neither a readable directory nor a snapshot
 * (HP_ERROR_INVALID_DATA: the snapshot's file and line).
 */
HpHost *
hp_host_new(const gchar *root, const gchar *kernel_release, GError **error)
{
	g_autoptr(HpHost) host = g_new0(HpHost, 1);
	g_autofree gchar *abs = NULL;
	struct stat st;
	char *real;

	g_return_val_if_fail(root != NULL, NULL);
	host->root_fd = -1;
	/* what it is, without opening it for reading (a FIFO never blocks) */
	if (stat(root, &st) == 0 && S_ISREG(st.st_mode))
		return hp_host_new_for_snapshot(g_steal_pointer(&host), root, kernel_release, error);
	abs = g_canonicalize_filename(root, NULL);
	real = realpath(abs, NULL);
	if (real == NULL) {
		g_set_error(error, HP_ERROR, errno == ENOENT ? HP_ERROR_NOT_FOUND : HP_ERROR_READ,
			    "host root %s: %s", root, g_strerror(errno));
		return NULL;
	}
	host->root = g_strdup(real);
	free(real);
	host->slash = strcmp(host->root, "/") == 0;
	host->root_fd = open(host->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (host->root_fd < 0 || access(host->root, R_OK | X_OK) != 0) {
		g_set_error(error, HP_ERROR, HP_ERROR_READ,
			    "host root %s is neither a readable directory nor a snapshot file written by capture", root);
		return NULL;
	}
	host->kernel_release = g_strdup(kernel_release);
	return g_steal_pointer(&host);
}

void
hp_host_free(HpHost *host)
{
	if (host == NULL)
		return;
	if (host->root_fd >= 0)
		close(host->root_fd);
	hp_snapshot_free(host->snap);
	g_free(host->root);
	g_free(host->kernel_release);
	g_free(host->pci_ids);
	g_free(host);
}

const gchar *
hp_host_get_root(const HpHost *host)
{
	return host->root;
}

const gchar *
hp_host_get_kernel_release(const HpHost *host)
{
	return host->kernel_release;
}

/* Sets the release when there is none yet (a directory given no release:
 * the caller's default, the running kernel's); before the host is shared. */
void
hp_host_set_kernel_release(HpHost *host, const gchar *kernel_release)
{
	g_free(host->kernel_release);
	host->kernel_release = g_strdup(kernel_release);
}

/* Whether the host is a snapshot file rather than a directory tree. */
gboolean
hp_host_is_snapshot(const HpHost *host)
{
	return host->snap != NULL;
}

/* The pci.ids database to name devices with; NULL: devices go unnamed. It is
 * the tool's own file, not the host's: it is read as it is named. */
void
hp_host_set_pci_ids(HpHost *host, const gchar *path)
{
	g_free(host->pci_ids);
	host->pci_ids = g_strdup(path);
}

const gchar *
hp_host_get_pci_ids(const HpHost *host)
{
	return host->pci_ids;
}

/**
 * hp_host_set_use_openat2:
 * @use: %FALSE to resolve every path with the walk, as on a kernel without
 *   openat2 (tests run both ways)
 */
void
hp_host_set_use_openat2(HpHost *host, gboolean use)
{
	g_atomic_int_set(&host->no_openat2, use ? 0 : 1);
}

/**
 * hp_host_has_pci:
 *
 * Whether the tree has a PCI sysfs (`sys/bus/pci/devices`) at all. A `--root`
 * without one is not a host tree: say so once, instead of "not found" for
 * every device.
 *
 * Returns: %TRUE, or %FALSE with @error (HP_ERROR_NOT_FOUND) saying what
 * the root lacks.
 */
gboolean
hp_host_has_pci(const HpHost *host, GError **error)
{
	HpHostNode node;
	g_autoptr(GError) local = NULL;
	gboolean ok;

	const gchar *what = host->snap != NULL ? "a snapshot of a host with PCI devices" : "the root of a host's tree";

	if (!hp_host_lookup(host, "sys/bus/pci/devices", 0, &node, &local)) {
		g_set_error(error, HP_ERROR, HP_ERROR_NOT_FOUND, "%s has no sys/bus/pci/devices (%s): it is not %s",
			    host->root, local->message, what);
		return FALSE;
	}
	ok = S_ISDIR(node.st.st_mode);
	hp_host_node_clear(&node);
	if (!ok)
		g_set_error(error, HP_ERROR, HP_ERROR_NOT_FOUND, "%s has no sys/bus/pci/devices directory: it is not %s",
			    host->root, what);
	return ok;
}

/**
 * hp_host_name_is_valid:
 * @name: (nullable): a module or driver name read from a host
 *
 * What a kernel module or driver name can be: `[A-Za-z0-9_.-]`, 1 to 64
 * characters (SPEC section 8), and not starting with '.' or '-', so that it
 * is never a path step or an option. Anything else never reaches a plan.
 */
gboolean
hp_host_name_is_valid(const gchar *name)
{
	gsize n;

	if (name == NULL || name[0] == '\0' || name[0] == '.' || name[0] == '-')
		return FALSE;
	for (n = 0; name[n] != '\0'; n++) {
		if (n >= 64 || !(g_ascii_isalnum(name[n]) || name[n] == '_' || name[n] == '.' || name[n] == '-'))
			return FALSE;
	}
	return TRUE;
}

/**
 * hp_host_resolve:
 * @rel: a path inside the host, such as `sys/bus/pci/devices/0000:01:00.0/driver`
 *
 * Where @rel really is, for messages and for recording a tree: never open
 * the path this returns (a tree can change after it is resolved); the other
 * readers here open through the root's descriptor. Links are followed inside
 * the root; one that leads out of it (a `..` above it, or an absolute target
 * when the root is not `/`) is refused. A missing component is not an error
 * here: the rest of the path is taken as written.
 *
 * Returns: (transfer full) (nullable): the real path, with no link left in
 * it; %NULL with @error (HP_ERROR_OUTSIDE_ROOT, or HP_ERROR_READ for a loop).
 */
gchar *
hp_host_resolve(const HpHost *host, const gchar *rel, GError **error)
{
	HpHostNode node;
	gchar *ret;

	if (!hp_host_lookup(host, rel, HP_LOOKUP_CANON | HP_LOOKUP_LENIENT, &node, error))
		return NULL;
	if (node.canon[0] == '\0')
		ret = g_strdup(host->root);
	else
		ret = host->slash ? g_strconcat("/", node.canon, NULL) : g_strconcat(host->root, "/", node.canon, NULL);
	hp_host_node_clear(&node);
	return ret;
}

gboolean
hp_host_exists(const HpHost *host, const gchar *rel)
{
	HpHostNode node;
	if (!hp_host_lookup(host, rel, 0, &node, NULL))
		return FALSE;
	hp_host_node_clear(&node);
	return TRUE;
}

/**
 * hp_host_get_kind:
 * @follow: follow a link at @rel itself (as stat()), or not (as lstat());
 *   the links on the way are always followed
 *
 * Returns: what is at @rel; %HP_HOST_KIND_NONE when nothing is, with @error
 * when it is more than missing (a way out of the root, a loop, a directory
 * that cannot be searched).
 */
HpHostKind
hp_host_get_kind(const HpHost *host, const gchar *rel, gboolean follow, GError **error)
{
	g_autoptr(GError) local = NULL;
	HpHostNode node;
	HpHostKind kind;

	if (!hp_host_lookup(host, rel, follow ? 0 : HP_LOOKUP_NOFOLLOW, &node, &local)) {
		if (!g_error_matches(local, HP_ERROR, HP_ERROR_NOT_FOUND))
			g_propagate_error(error, g_steal_pointer(&local));
		return HP_HOST_KIND_NONE;
	}
	kind = S_ISDIR(node.st.st_mode)	  ? HP_HOST_KIND_DIR
	       : S_ISREG(node.st.st_mode) ? HP_HOST_KIND_FILE
	       : S_ISLNK(node.st.st_mode) ? HP_HOST_KIND_LINK
					  : HP_HOST_KIND_OTHER;
	hp_host_node_clear(&node);
	return kind;
}

/**
 * hp_host_readlink:
 * @rel: a symbolic link; the links on the way to it are followed, not it
 *
 * Returns: (transfer full) (nullable): its target text, as written (data:
 * nothing is followed); %NULL with HP_ERROR_NOT_FOUND when nothing is
 * there, HP_ERROR_INVALID_DATA when it is not a link or cannot be read.
 */
gchar *
hp_host_readlink(const HpHost *host, const gchar *rel, GError **error)
{
	HpHostNode node;
	gboolean is_link;
	gchar *target;

	if (!hp_host_lookup(host, rel, HP_LOOKUP_NOFOLLOW, &node, error))
		return NULL;
	is_link = S_ISLNK(node.st.st_mode);
	target = hp_host_node_readlink(&node);
	hp_host_node_clear(&node);
	if (target == NULL) {
		g_autofree gchar *shown = hp_echo(rel);
		g_set_error(error, HP_ERROR, HP_ERROR_INVALID_DATA, "%s %s", shown,
			    is_link ? "is a symbolic link that cannot be read" : "is not a symbolic link");
	}
	return target;
}

static GPtrArray *
hp_snap_node_names(const HpSnapNode *node)
{
	g_autoptr(GPtrArray) children = hp_snap_node_sorted_children(node);
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);

	for (guint i = 0; i < children->len; i++)
		g_ptr_array_add(names, g_strdup(((const HpSnapNode *)g_ptr_array_index(children, i))->name));
	return names;
}

static void
hp_host_stamp(const struct stat *st, HpHostStamp *ret)
{
	ret->dev = st->st_dev;
	ret->ino = st->st_ino;
	ret->size = (guint64)st->st_size;
	ret->mtime_ns = (gint64)st->st_mtim.tv_sec * G_GINT64_CONSTANT(1000000000) + st->st_mtim.tv_nsec;
}

/**
 * hp_host_stat:
 * @ret_stamp: (out): what identifies this version of the file
 *
 * Returns: %TRUE when @rel exists inside the root.
 */
gboolean
hp_host_stat(const HpHost *host, const gchar *rel, HpHostStamp *ret_stamp, GError **error)
{
	HpHostNode node;
	if (!hp_host_lookup(host, rel, 0, &node, error))
		return FALSE;
	hp_host_stamp(&node.st, ret_stamp);
	hp_host_node_clear(&node);
	return TRUE;
}

/* "64 MiB": limits are whole MiB; messages do not depend on the locale */
static gchar *
hp_host_size(gsize size)
{
	if (size % (1024 * 1024) == 0)
		return g_strdup_printf("%" G_GSIZE_FORMAT " MiB", size / (1024 * 1024));
	return g_strdup_printf("%" G_GSIZE_FORMAT " bytes", size);
}

/*
 * Reads @rel: at most @max bytes when @refuse is FALSE (the head of a file,
 * such as the header of `config`); else all of it, refused when it holds
 * more than @max bytes.
 */
static gboolean
hp_host_read_full(const HpHost *host, const gchar *rel, gsize max, gboolean refuse, gchar **ret_data, gsize *ret_len,
		  HpHostStamp *ret_stamp, GError **error)
{
	g_autofree gchar *shown = NULL; /* made for a message only: most reads have none */
	g_autoptr(GByteArray) buf = NULL;
	gsize want = refuse ? max + 1 : max;
	HpHostNode node;
	struct stat st;
	gint fd;

	if (!hp_host_lookup(host, rel, HP_LOOKUP_PARENT, &node, error))
		return FALSE;
	if (S_ISDIR(node.st.st_mode)) {
		g_set_error(error, HP_ERROR, HP_ERROR_INVALID_DATA, "%s is a directory, not a file", (shown = hp_echo(rel)));
		hp_host_node_clear(&node);
		return FALSE;
	}
	if (refuse && S_ISREG(node.st.st_mode) && (guint64)node.st.st_size > max) {
		g_autofree gchar *limit = hp_host_size(max);
		g_set_error(error, HP_ERROR, HP_ERROR_INVALID_DATA, "%s is over %s, the limit for it; it is not read", (shown = hp_echo(rel)),
			    limit);
		hp_host_node_clear(&node);
		return FALSE;
	}
	if (node.snode != NULL) {
		gboolean ok = hp_host_node_readable(rel, &node, error);
		if (ok) {
			gsize len = 0;
			const guint8 *bytes = g_bytes_get_data(node.snode->data, &len);
			buf = g_byte_array_sized_new((guint)MIN(len, want) + 1);
			g_byte_array_append(buf, bytes, (guint)MIN(len, want));
			st = node.st;
		}
		hp_host_node_clear(&node);
		if (!ok)
			return FALSE;
		goto done;
	}
	fd = hp_host_node_open(host, rel, &node, error);
	hp_host_node_clear(&node);
	if (fd < 0)
		return FALSE;
	buf = g_byte_array_sized_new(4096);
	while (buf->len < want) {
		/* grown as it fills: a sysfs attribute is a few bytes, and a
		 * megabyte asked of realloc for each was most of a large group */
		gsize chunk = MIN(want - buf->len, CLAMP((gsize)buf->len, (gsize)4096, (gsize)1 << 20));
		gssize n;
		g_byte_array_set_size(buf, buf->len + (guint)chunk);
		n = read(fd, buf->data + buf->len - chunk, chunk);
		g_byte_array_set_size(buf, buf->len - (guint)chunk + (guint)MAX(n, 0));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			gint saved = errno;
			g_set_error(error, HP_ERROR, HP_ERROR_READ, "%s: %s", (shown = hp_echo(rel)), g_strerror(saved));
			close(fd);
			return FALSE;
		}
		if (n == 0)
			break;
	}
	if (fstat(fd, &st) != 0)
		memset(&st, 0, sizeof(st));
	close(fd);
done:
	if (refuse && buf->len > max) {
		g_autofree gchar *limit = hp_host_size(max);
		g_set_error(error, HP_ERROR, HP_ERROR_INVALID_DATA, "%s is over %s, the limit for it; it is not read", (shown = hp_echo(rel)),
			    limit);
		return FALSE;
	}
	if (ret_stamp != NULL)
		hp_host_stamp(&st, ret_stamp);
	*ret_len = buf->len;
	g_byte_array_append(buf, (const guint8 *)"", 1);
	*ret_data = (gchar *)g_byte_array_free(g_steal_pointer(&buf), FALSE);
	return TRUE;
}

/**
 * hp_host_read:
 * @max: read at most this many bytes: for files of which only the head
 *   matters (the header of a device's `config`); a file to be parsed whole
 *   is read with hp_host_load(), which refuses it past its limit
 *
 * Only a regular file is read (a FIFO or a device is refused unopened).
 *
 * Returns: %TRUE with the bytes (NUL-terminated) and their count.
 */
gboolean
hp_host_read(const HpHost *host, const gchar *rel, gsize max, gchar **ret_data, gsize *ret_len, GError **error)
{
	return hp_host_read_full(host, rel, max, FALSE, ret_data, ret_len, NULL, error);
}

/**
 * hp_host_load:
 * @limit: the most bytes the file may hold (%HP_HOST_FILE_MAX, or
 *   %HP_HOST_MODALIAS_MAX for modules.alias)
 * @ret_stamp: (out) (optional): what identifies the version read
 *
 * Reads a whole regular file. One over @limit is refused
 * (HP_ERROR_INVALID_DATA), never cut; so is anything but a regular file.
 */
gboolean
hp_host_load(const HpHost *host, const gchar *rel, gsize limit, gchar **ret_data, gsize *ret_len,
	     HpHostStamp *ret_stamp, GError **error)
{
	return hp_host_read_full(host, rel, limit, TRUE, ret_data, ret_len, ret_stamp, error);
}

/* The first line of a small sysfs attribute, without white space around. */
gchar *
hp_host_read_line(const HpHost *host, const gchar *rel, GError **error)
{
	g_autofree gchar *data = NULL;
	gsize len = 0;
	gchar *nl;

	if (!hp_host_load(host, rel, HP_HOST_FILE_MAX, &data, &len, NULL, error))
		return NULL;
	if (memchr(data, '\0', len) != NULL) {
		g_autofree gchar *shown = hp_echo(rel);
		g_set_error(error, HP_ERROR, HP_ERROR_INVALID_DATA, "%s holds binary data", shown);
		return NULL;
	}
	nl = strchr(data, '\n');
	if (nl != NULL)
		*nl = '\0';
	return g_strdup(g_strstrip(data));
}

/**
 * hp_host_link_name:
 * @rel: a symbolic link such as a device's `driver` or `iommu_group`
 *
 * Returns: (transfer full) (nullable): the last component of where the link
 * leads, inside the root; %NULL with HP_ERROR_NOT_FOUND when there is no
 * such link, or another error when it leads out of the root or loops.
 */
gchar *
hp_host_link_name(const HpHost *host, const gchar *rel, GError **error)
{
	HpHostNode node;
	gchar *name;

	if (!hp_host_lookup_link(host, rel, &node, error))
		return NULL;
	name = g_path_get_basename(node.canon[0] != '\0' ? node.canon : "/");
	hp_host_node_clear(&node);
	return name;
}

static gint
hp_host_cmp_names(gconstpointer a, gconstpointer b)
{
	return g_strcmp0(*(gchar *const *)a, *(gchar *const *)b);
}

/* Returns: (transfer full) (element-type utf8): the sorted entries of a directory. */
GPtrArray *
hp_host_list_dir(const HpHost *host, const gchar *rel, GError **error)
{
	g_autofree gchar *shown = hp_echo(rel);
	HpHostNode node;
	GPtrArray *names;
	struct dirent *ent;
	DIR *dir;
	gint fd;

	if (!hp_host_lookup(host, rel, HP_LOOKUP_PARENT, &node, error))
		return NULL;
	if (!S_ISDIR(node.st.st_mode) && !(node.snode != NULL && node.snode->kind == HP_SNAPSHOT_UNREADABLE)) {
		g_set_error(error, HP_ERROR, HP_ERROR_NOT_FOUND, "%s is not a directory", shown);
		hp_host_node_clear(&node);
		return NULL;
	}
	if (node.snode != NULL) {
		names = hp_host_node_readable(rel, &node, error) ? hp_snap_node_names(node.snode) : NULL;
		hp_host_node_clear(&node);
		return names;
	}
	fd = hp_host_node_open(host, rel, &node, error);
	hp_host_node_clear(&node);
	if (fd < 0)
		return NULL;
	dir = fdopendir(fd);
	if (dir == NULL) {
		g_set_error(error, HP_ERROR, HP_ERROR_READ, "%s: %s", shown, g_strerror(errno));
		close(fd);
		return NULL;
	}
	names = g_ptr_array_new_with_free_func(g_free);
	while ((ent = readdir(dir)) != NULL) {
		if (strcmp(ent->d_name, ".") != 0 && strcmp(ent->d_name, "..") != 0)
			g_ptr_array_add(names, g_strdup(ent->d_name));
	}
	closedir(dir);
	g_ptr_array_sort(names, hp_host_cmp_names);
	return names;
}
