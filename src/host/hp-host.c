/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The host context, and the one way host files are reached (SPEC section
 * 8). A path is resolved inside the root by a walk over descriptors (or
 * over a snapshot's entries): each component is opened relative to the
 * directory before it with O_PATH|O_NOFOLLOW, and each symbolic link is
 * read and followed by us, so a tree changed while it is read can at worst
 * make a path missing, never lead out. openat2(RESOLVE_BENEATH) does the
 * same in one call where the kernel has it; when it refuses or fails, the
 * walk decides (and says why), so both give the same answers.
 */
#include "hp-host-private.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hp-diag.h"
#include "hp-error.h"

static HpHost *
hp_host_alloc(void)
{
	HpHost *host = g_new0(HpHost, 1);
	host->root_fd = -1;
	/* a test knob: take the component walk even where openat2 exists */
	host->no_openat2 = g_strcmp0(g_getenv("HOSTDEV_PREFLIGHT_NO_OPENAT2"), "1") == 0;
	return host;
}

/**
 * hp_host_new:
 * @root: the host: its root directory (`/` for this machine), or a
 *   snapshot file written by `capture`
 * @kernel_release: (nullable): the release whose lib/modules/REL to read;
 *   %NULL: a snapshot's own (a directory then has none until
 *   hp_host_set_kernel_release())
 *
 * A regular file is parsed as a snapshot: one that does not parse is an
 * error naming the file and line (HP_ERROR_INVALID_DATA).
 *
 * Returns: (transfer full) (nullable): the context, or %NULL with @error
 * when @root is neither a readable directory nor a snapshot.
 */
HpHost *
hp_host_new(const gchar *root, const gchar *kernel_release, GError **error)
{
	g_autoptr(HpHost) host = hp_host_alloc();
	struct stat st;
	gint fd;

	g_return_val_if_fail(root != NULL, NULL);
	fd = open(root, O_PATH | O_CLOEXEC);
	if (fd < 0) {
		g_set_error(error, HP_ERROR, errno == ENOENT ? HP_ERROR_NOT_FOUND : HP_ERROR_READ, "host root %s: %s",
			    root, g_strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) != 0 || !(S_ISDIR(st.st_mode) || S_ISREG(st.st_mode))) {
		close(fd);
		g_set_error(error, HP_ERROR, HP_ERROR_READ,
			    "host root %s is neither a directory nor a snapshot file written by capture", root);
		return NULL;
	}
	if (S_ISREG(st.st_mode)) {
		HpSnapshot *snap;
		close(fd);
		snap = hp_snapshot_load(root, error);
		if (snap == NULL)
			return NULL;
		return hp_host_new_for_snapshot(snap, root, kernel_release);
	}
	host->root_fd = fd;
	{
		g_autofree gchar *abs = g_canonicalize_filename(root, NULL);
		char *real = realpath(abs, NULL);
		host->root = g_strdup(real != NULL ? real : abs);
		free(real);
	}
	host->is_slash = g_strcmp0(host->root, "/") == 0;
	host->kernel_release = g_strdup(kernel_release);
	return g_steal_pointer(&host);
}

/**
 * hp_host_new_for_snapshot:
 * @snap: (transfer full): the snapshot
 * @name: what messages call it (its file)
 * @kernel_release: (nullable): overrides the snapshot's release
 *
 * Returns: (transfer full): a host read from @snap, with the same link
 * semantics as a directory tree that is not `/`.
 */
HpHost *
hp_host_new_for_snapshot(HpSnapshot *snap, const gchar *name, const gchar *kernel_release)
{
	HpHost *host = hp_host_alloc();
	host->snap = snap;
	host->root = g_strdup(name);
	host->kernel_release = g_strdup(kernel_release != NULL ? kernel_release : hp_snapshot_get_kernel_release(snap));
	return host;
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

/* The host is a snapshot file rather than a directory tree. */
gboolean
hp_host_is_snapshot(const HpHost *host)
{
	return host->snap != NULL;
}

const gchar *
hp_host_get_kernel_release(const HpHost *host)
{
	return host->kernel_release;
}

/* Sets the release (the command line's default, `uname -r`, for a tree). */
void
hp_host_set_kernel_release(HpHost *host, const gchar *kernel_release)
{
	g_free(host->kernel_release);
	host->kernel_release = g_strdup(kernel_release);
}

/* The pci.ids database to name devices with; NULL: devices go unnamed. */
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
 * hp_host_name_is_kernel_name:
 * @name: a module or driver name read from a host
 *
 * What a kernel module or driver name can be (SPEC section 8): 1 to 64
 * characters of `[A-Za-z0-9_.-]`, and not `.` or `..` (which would be a
 * path, not a name). Anything else is never used.
 */
gboolean
hp_host_name_is_kernel_name(const gchar *name)
{
	gsize n = 0;
	if (name == NULL || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return FALSE;
	for (const gchar *p = name; *p != '\0'; p++, n++) {
		if (!(g_ascii_isalnum(*p) || *p == '_' || *p == '.' || *p == '-') || n >= 64)
			return FALSE;
	}
	return n > 0;
}

/**
 * hp_host_resolve:
 * @rel: a path inside the host, such as `sys/bus/pci/devices/0000:01:00.0/driver`
 *
 * Returns: (transfer full) (nullable): where @rel leads, relative to the
 * root, with no link left in it (`""` for the root; a missing last part
 * stays as a name); %NULL with @error (HP_ERROR_OUTSIDE_ROOT, or
 * HP_ERROR_READ for a loop).
 */
gchar *
hp_host_resolve(const HpHost *host, const gchar *rel, GError **error)
{
	g_autoptr(GArray_HpSteps) steps = hp_host_walk(host, rel, TRUE, error);
	GString *out;

	if (steps == NULL)
		return NULL;
	out = g_string_new(NULL);
	for (guint i = 1; i < steps->len; i++) {
		if (i > 1)
			g_string_append_c(out, '/');
		g_string_append(out, g_array_index(steps, HpStep, i).name);
	}
	return g_string_free(out, FALSE);
}

/**
 * hp_host_lookup:
 * @rel: a path inside the host; the links on the way are followed, a link
 *   at @rel itself is not (as lstat())
 *
 * Returns: what is there; %HP_HOST_KIND_NONE when nothing is (and then
 * @error says why, when it was more than missing: a way out of the root, a
 * loop, a directory that cannot be searched).
 */
HpHostKind
hp_host_lookup(const HpHost *host, const gchar *rel, GError **error)
{
	g_autoptr(GArray_HpSteps) steps = hp_host_walk(host, rel, FALSE, error);
	const HpStep *last;

	if (steps == NULL)
		return HP_HOST_KIND_NONE;
	last = hp_host_last(steps);
	if (last->kind == HP_HOST_KIND_NONE && last->err != ENOENT && last->err != ENOTDIR)
		hp_host_set_missing(error, rel, last->err);
	return last->kind;
}

/* As hp_host_lookup(), but a link at @rel is followed too (as stat()). */
HpHostKind
hp_host_stat(const HpHost *host, const gchar *rel, GError **error)
{
	g_autoptr(GArray_HpSteps) steps = hp_host_walk(host, rel, TRUE, error);
	const HpStep *last;

	if (steps == NULL)
		return HP_HOST_KIND_NONE;
	last = hp_host_last(steps);
	if (last->kind == HP_HOST_KIND_NONE && last->err != ENOENT && last->err != ENOTDIR)
		hp_host_set_missing(error, rel, last->err);
	return last->kind;
}

gboolean
hp_host_exists(const HpHost *host, const gchar *rel)
{
	return hp_host_stat(host, rel, NULL) != HP_HOST_KIND_NONE;
}

static gboolean
hp_host_read_up_to(const HpHost *host, const gchar *rel, gsize max, gboolean refuse_more, gchar **ret_data,
		   gsize *ret_len, GError **error)
{
	g_autoptr(GByteArray) buf = NULL;
	gsize limit = refuse_more ? max + 1 : max;
	gint fd;

	if (host->snap != NULL) {
		const HpSnapNode *node = hp_host_snap_open(host, rel, FALSE, error);
		GBytes *bytes = node != NULL ? hp_snap_node_data(node) : NULL;
		gsize len = 0;
		const guint8 *data;

		if (node == NULL)
			return FALSE;
		data = g_bytes_get_data(bytes, &len);
		buf = g_byte_array_new();
		if (len > 0)
			g_byte_array_append(buf, data, (guint)MIN(len, limit));
	} else {
		guint8 chunk[8192];
		fd = hp_host_open(host, rel, FALSE, error);
		if (fd < 0)
			return FALSE;
		buf = g_byte_array_new();
		while (buf->len < limit) {
			gssize n = read(fd, chunk, MIN(sizeof(chunk), limit - buf->len));
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				g_set_error(error, HP_ERROR, HP_ERROR_READ, "%s: %s", rel, g_strerror(errno));
				close(fd);
				return FALSE;
			}
			if (n == 0)
				break;
			g_byte_array_append(buf, chunk, (guint)n);
		}
		close(fd);
	}
	if (refuse_more && buf->len > max) {
		g_set_error(error, HP_ERROR, HP_ERROR_INVALID_DATA,
			    "%s is larger than %" G_GSIZE_FORMAT " bytes, the limit for this host file; it is not read", rel, max);
		return FALSE;
	}
	*ret_len = buf->len;
	g_byte_array_append(buf, (const guint8 *)"", 1);
	*ret_data = (gchar *)g_byte_array_free(g_steal_pointer(&buf), FALSE);
	return TRUE;
}

/**
 * hp_host_read:
 * @max: the file's limit: HP_HOST_MAX_FILE, or HP_HOST_MAX_ALIAS for a
 *   modules.alias
 *
 * Reads a whole regular file; one larger than @max is refused
 * (HP_ERROR_INVALID_DATA), never cut. A FIFO, a device node or a socket is
 * never opened (HP_ERROR_INVALID_DATA).
 *
 * Returns: %TRUE with the bytes (NUL-terminated) and their count.
 */
gboolean
hp_host_read(const HpHost *host, const gchar *rel, gsize max, gchar **ret_data, gsize *ret_len, GError **error)
{
	return hp_host_read_up_to(host, rel, max, TRUE, ret_data, ret_len, error);
}

/* The first @n bytes of a regular file, by design (a device's config
 * header: 64 bytes is what an unprivileged reader gets). */
gboolean
hp_host_read_head(const HpHost *host, const gchar *rel, gsize n, gchar **ret_data, gsize *ret_len, GError **error)
{
	return hp_host_read_up_to(host, rel, n, FALSE, ret_data, ret_len, error);
}

/* The first line of a small sysfs attribute, without white space around. */
gchar *
hp_host_read_line(const HpHost *host, const gchar *rel, GError **error)
{
	g_autofree gchar *data = NULL;
	gsize len = 0;
	gchar *nl;

	if (!hp_host_read(host, rel, HP_HOST_MAX_FILE, &data, &len, error))
		return NULL;
	if (memchr(data, '\0', len) != NULL) {
		g_set_error(error, HP_ERROR, HP_ERROR_INVALID_DATA, "%s holds binary data", rel);
		return NULL;
	}
	nl = strchr(data, '\n');
	if (nl != NULL)
		*nl = '\0';
	return g_strdup(g_strstrip(data));
}

/**
 * hp_host_readlink:
 * @rel: a symbolic link; the links on the way to it are followed, not it
 *
 * Returns: (transfer full) (nullable): its target text, as written; %NULL
 * with HP_ERROR_NOT_FOUND when nothing is there, HP_ERROR_INVALID_DATA
 * when it is not a link.
 */
gchar *
hp_host_readlink(const HpHost *host, const gchar *rel, GError **error)
{
	g_autoptr(GArray_HpSteps) steps = hp_host_walk(host, rel, FALSE, error);
	const HpStep *last;
	gchar *target;

	if (steps == NULL)
		return NULL;
	last = hp_host_last(steps);
	if (last->kind == HP_HOST_KIND_NONE) {
		hp_host_set_missing(error, rel, last->err);
		return NULL;
	}
	if (last->kind != HP_HOST_KIND_LINK) {
		g_set_error(error, HP_ERROR, HP_ERROR_INVALID_DATA, "%s is not a symbolic link", rel);
		return NULL;
	}
	target = hp_host_step_readlink(host, last);
	if (target == NULL || target[0] == '\0') {
		g_free(target);
		g_set_error(error, HP_ERROR, HP_ERROR_READ, "%s: a symbolic link that cannot be read", rel);
		return NULL;
	}
	return target;
}

/**
 * hp_host_link_name:
 * @rel: a symbolic link such as a device's `driver` or `iommu_group`
 *
 * Returns: (transfer full) (nullable): the last component of where the link
 * leads, inside the root; %NULL with HP_ERROR_NOT_FOUND when there is no
 * such entry, or another error when it is present but leads out of the
 * root, loops, or cannot be read: an unknown value, not an absent one.
 */
gchar *
hp_host_link_name(const HpHost *host, const gchar *rel, GError **error)
{
	g_autoptr(GError) local = NULL;
	g_autofree gchar *real = NULL;
	HpHostKind kind = hp_host_lookup(host, rel, &local);

	if (kind == HP_HOST_KIND_NONE) {
		if (local != NULL)
			g_propagate_error(error, g_steal_pointer(&local));
		else
			g_set_error(error, HP_ERROR, HP_ERROR_NOT_FOUND, "%s does not exist", rel);
		return NULL;
	}
	real = hp_host_resolve(host, rel, error);
	if (real == NULL)
		return NULL;
	if (real[0] == '\0') {
		g_set_error(error, HP_ERROR, HP_ERROR_INVALID_DATA, "%s leads to the host root itself", rel);
		return NULL;
	}
	return g_path_get_basename(real);
}

static gint
hp_host_cmp_names(gconstpointer a, gconstpointer b)
{
	return strcmp(*(gchar *const *)a, *(gchar *const *)b);
}

/* Returns: (transfer full) (element-type utf8): the sorted entries of a
 * directory; %NULL with HP_ERROR_NOT_FOUND when there is none there. */
GPtrArray *
hp_host_list_dir(const HpHost *host, const gchar *rel, GError **error)
{
	GPtrArray *names;
	DIR *dir;
	struct dirent *ent;
	gint fd;

	if (host->snap != NULL) {
		const HpSnapNode *node = hp_host_snap_open(host, rel, TRUE, error);
		return node != NULL ? hp_snap_node_names(node) : NULL;
	}
	fd = hp_host_open(host, rel, TRUE, error);
	if (fd < 0)
		return NULL;
	dir = fdopendir(fd);
	if (dir == NULL) {
		close(fd);
		g_set_error(error, HP_ERROR, HP_ERROR_READ, "%s: %s", rel, g_strerror(errno));
		return NULL;
	}
	names = g_ptr_array_new_with_free_func(g_free);
	while ((errno = 0, ent = readdir(dir)) != NULL) {
		if (strcmp(ent->d_name, ".") != 0 && strcmp(ent->d_name, "..") != 0)
			g_ptr_array_add(names, g_strdup(ent->d_name));
	}
	closedir(dir);
	g_ptr_array_sort(names, hp_host_cmp_names);
	return names;
}
