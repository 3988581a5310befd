/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "hp-host.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hp-error.h"

#define HP_HOST_MAX_LINKS 40

struct _HpHost {
	gchar *root; /* absolute, no trailing slash except for "/" itself */
	gchar *kernel_release;
	gchar *pci_ids;
};

/**
 * hp_host_new:
 * @root: the host's root directory: `/` for this machine
 * @kernel_release: (nullable): the release whose lib/modules/REL to read
 *
 * Returns: (transfer full) (nullable): the context, or %NULL with @error
 * when @root is not a readable directory.
 */
HpHost *
hp_host_new(const gchar *root, const gchar *kernel_release, GError **error)
{
	g_autoptr(HpHost) host = g_new0(HpHost, 1);
	g_autofree gchar *abs = NULL;
	char *real;

	g_return_val_if_fail(root != NULL, NULL);
	abs = g_canonicalize_filename(root, NULL);
	real = realpath(abs, NULL);
	if (real == NULL) {
		g_set_error(error, HP_ERROR, errno == ENOENT ? HP_ERROR_NOT_FOUND : HP_ERROR_READ,
			    "host root %s: %s", root, g_strerror(errno));
		return NULL;
	}
	host->root = g_strdup(real);
	free(real);
	if (!g_file_test(host->root, G_FILE_TEST_IS_DIR) || access(host->root, R_OK | X_OK) != 0) {
		g_set_error(error, HP_ERROR, HP_ERROR_READ, "host root %s is not a readable directory", root);
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

static gboolean
hp_host_is_slash(const HpHost *host)
{
	return g_strcmp0(host->root, "/") == 0;
}

static gchar *
hp_host_join(const HpHost *host, GPtrArray *parts)
{
	GString *out = g_string_new(hp_host_is_slash(host) ? "" : host->root);
	for (guint i = 0; i < parts->len; i++) {
		g_string_append_c(out, '/');
		g_string_append(out, g_ptr_array_index(parts, i));
	}
	if (out->len == 0)
		g_string_append_c(out, '/');
	return g_string_free(out, FALSE);
}

/* Pushes the components of @path onto the front of the work queue. */
static void
hp_host_queue_path(GQueue *todo, const gchar *path)
{
	g_auto(GStrv) comps = g_strsplit(path, "/", -1);
	for (gint i = (gint)g_strv_length(comps) - 1; i >= 0; i--) {
		if (comps[i][0] == '\0' || g_strcmp0(comps[i], ".") == 0)
			continue;
		g_queue_push_head(todo, g_strdup(comps[i]));
	}
}

/**
 * hp_host_resolve:
 * @rel: a path inside the host, such as `sys/bus/pci/devices/0000:01:00.0/driver`
 *
 * Follows every symbolic link itself, component by component, and refuses
 * one that leads out of the root: a `..` above it, or an absolute target
 * when the root is not `/`. A missing last component is not an error here.
 *
 * Returns: (transfer full) (nullable): the real path, with no link left in
 * it; %NULL with @error (HP_ERROR_OUTSIDE_ROOT, or HP_ERROR_READ for a loop).
 */
gchar *
hp_host_resolve(const HpHost *host, const gchar *rel, GError **error)
{
	g_autoptr(GPtrArray) done = g_ptr_array_new_with_free_func(g_free);
	GQueue todo = G_QUEUE_INIT;
	guint links = 0;

	hp_host_queue_path(&todo, rel);
	while (!g_queue_is_empty(&todo)) {
		g_autofree gchar *comp = g_queue_pop_head(&todo);
		g_autofree gchar *path = NULL;
		g_autofree gchar *target = NULL;
		struct stat st;

		if (g_strcmp0(comp, "..") == 0) {
			if (done->len == 0) {
				g_queue_clear_full(&todo, g_free);
				g_set_error(error, HP_ERROR, HP_ERROR_OUTSIDE_ROOT,
					    "%s leads out of the host root %s", rel, host->root);
				return NULL;
			}
			g_ptr_array_remove_index(done, done->len - 1);
			continue;
		}
		g_ptr_array_add(done, g_steal_pointer(&comp));
		path = hp_host_join(host, done);
		if (lstat(path, &st) != 0 || !S_ISLNK(st.st_mode))
			continue; /* missing or not a link: nothing to follow */
		if (++links > HP_HOST_MAX_LINKS) {
			g_queue_clear_full(&todo, g_free);
			g_set_error(error, HP_ERROR, HP_ERROR_READ, "%s: too many levels of symbolic links", rel);
			return NULL;
		}
		target = g_file_read_link(path, NULL);
		if (target == NULL)
			continue;
		g_ptr_array_remove_index(done, done->len - 1);
		if (g_path_is_absolute(target)) {
			if (!hp_host_is_slash(host)) {
				g_queue_clear_full(&todo, g_free);
				g_set_error(error, HP_ERROR, HP_ERROR_OUTSIDE_ROOT,
					    "%s is a link to %s, which is outside the host root %s", rel, target,
					    host->root);
				return NULL;
			}
			g_ptr_array_set_size(done, 0);
		}
		hp_host_queue_path(&todo, target);
	}
	return hp_host_join(host, done);
}

gboolean
hp_host_exists(const HpHost *host, const gchar *rel)
{
	g_autofree gchar *path = hp_host_resolve(host, rel, NULL);
	return path != NULL && g_file_test(path, G_FILE_TEST_EXISTS);
}

/**
 * hp_host_read:
 * @max: read at most this many bytes (sysfs attributes are small; a
 *   modules.alias is some megabytes)
 *
 * Returns: %TRUE with the bytes (NUL-terminated) and their count.
 */
gboolean
hp_host_read(const HpHost *host, const gchar *rel, gsize max, gchar **ret_data, gsize *ret_len,
	     GError **error)
{
	g_autofree gchar *path = hp_host_resolve(host, rel, error);
	g_autoptr(GByteArray) buf = NULL;
	guint8 chunk[8192];
	gint fd;

	if (path == NULL)
		return FALSE;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		g_set_error(error, HP_ERROR, errno == ENOENT ? HP_ERROR_NOT_FOUND : HP_ERROR_READ, "%s: %s",
			    rel, g_strerror(errno));
		return FALSE;
	}
	buf = g_byte_array_new();
	while (buf->len < max) {
		gssize n = read(fd, chunk, MIN(sizeof(chunk), max - buf->len));
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
	*ret_len = buf->len;
	g_byte_array_append(buf, (const guint8 *)"", 1);
	*ret_data = (gchar *)g_byte_array_free(g_steal_pointer(&buf), FALSE);
	return TRUE;
}

/* The first line of a small sysfs attribute, without white space around. */
gchar *
hp_host_read_line(const HpHost *host, const gchar *rel, GError **error)
{
	g_autofree gchar *data = NULL;
	gsize len = 0;
	gchar *nl;

	if (!hp_host_read(host, rel, 4096, &data, &len, error))
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
	g_autofree gchar *path = NULL;
	g_autofree gchar *link = NULL;
	g_autofree gchar *parent = g_path_get_dirname(rel);
	g_autofree gchar *base = g_path_get_basename(rel);
	g_autofree gchar *parent_real = hp_host_resolve(host, parent, error);
	struct stat st;

	if (parent_real == NULL)
		return NULL;
	link = g_build_filename(parent_real, base, NULL);
	if (lstat(link, &st) != 0) {
		g_set_error(error, HP_ERROR, HP_ERROR_NOT_FOUND, "%s does not exist", rel);
		return NULL;
	}
	path = hp_host_resolve(host, rel, error);
	if (path == NULL)
		return NULL;
	return g_path_get_basename(path);
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
	g_autofree gchar *path = hp_host_resolve(host, rel, error);
	g_autoptr(GDir) dir = NULL;
	GPtrArray *names;
	const gchar *name;

	if (path == NULL)
		return NULL;
	dir = g_dir_open(path, 0, error);
	if (dir == NULL) {
		hp_error_convert(error);
		return NULL;
	}
	names = g_ptr_array_new_with_free_func(g_free);
	while ((name = g_dir_read_name(dir)) != NULL)
		g_ptr_array_add(names, g_strdup(name));
	g_ptr_array_sort(names, hp_host_cmp_names);
	return names;
}
