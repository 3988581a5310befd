/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "hp-host-write.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "hp-diag.h"
#include "hp-error.h"
#include "hp-host-private.h"

/* The directory of @rel, looked up inside the root; its last component in @ret_base. */
static gboolean
hp_host_parent(const HpHost *host, const gchar *rel, HpHostNode *ret, gchar **ret_base, GError **error)
{
	g_autofree gchar *dir = g_path_get_dirname(rel);
	g_autofree gchar *base = g_path_get_basename(rel);
	g_autofree gchar *shown = hp_echo(rel);

	if (g_strcmp0(base, "..") == 0 || g_strcmp0(base, ".") == 0 || g_strcmp0(base, "/") == 0) {
		g_set_error(error, HP_ERROR, HP_ERROR_INVALID_DATA, "%s does not name a file", shown);
		return FALSE;
	}
	if (!hp_host_lookup(host, dir, 0, ret, error))
		return FALSE;
	if (!S_ISDIR(ret->st.st_mode)) {
		g_set_error(error, HP_ERROR, HP_ERROR_NOT_FOUND, "%s: its directory is not a directory", shown);
		hp_host_node_clear(ret);
		return FALSE;
	}
	*ret_base = g_steal_pointer(&base);
	return TRUE;
}

/**
 * hp_host_write:
 * @rel: a sysfs attribute inside the host, such as
 *   `sys/bus/pci/devices/0000:01:00.0/driver_override`
 * @value: what to write; a newline is added, as `echo` does
 *
 * One write(2) of @value, as the kernel wants for an attribute. Only a
 * regular file is opened (never a link, a FIFO or a device), and the file
 * opened must be the one checked.
 *
 * Returns: %TRUE, or %FALSE with @error (HP_ERROR_WRITE with the kernel's
 * reason, such as "No such device" when a driver refuses a bind).
 */
gboolean
hp_host_write(const HpHost *host, const gchar *rel, const gchar *value, GError **error)
{
	g_autofree gchar *shown = hp_echo(rel);
	g_autofree gchar *base = NULL;
	g_autofree gchar *line = g_strconcat(value, "\n", NULL);
	HpHostNode dir;
	struct stat st, st2;
	gssize n;
	gint fd;

	if (!hp_host_parent(host, rel, &dir, &base, error))
		return FALSE;
	if (fstatat(dir.fd, base, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		g_set_error(error, HP_ERROR, errno == ENOENT ? HP_ERROR_NOT_FOUND : HP_ERROR_WRITE, "%s: %s", shown,
			    g_strerror(errno));
		hp_host_node_clear(&dir);
		return FALSE;
	}
	if (!S_ISREG(st.st_mode)) {
		g_set_error(error, HP_ERROR, HP_ERROR_INVALID_DATA, "%s is not a regular file; it is not written", shown);
		hp_host_node_clear(&dir);
		return FALSE;
	}
	fd = openat(dir.fd, base, O_WRONLY | O_TRUNC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	hp_host_node_clear(&dir);
	if (fd < 0) {
		g_set_error(error, HP_ERROR, HP_ERROR_WRITE, "%s: %s", shown, g_strerror(errno));
		return FALSE;
	}
	if (fstat(fd, &st2) != 0 || st2.st_dev != st.st_dev || st2.st_ino != st.st_ino) {
		g_set_error(error, HP_ERROR, HP_ERROR_WRITE, "%s changed while it was opened; it is not written", shown);
		close(fd);
		return FALSE;
	}
	do {
		n = write(fd, line, strlen(line));
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		gint saved = errno;
		g_set_error(error, HP_ERROR, HP_ERROR_WRITE, "%s: %s", shown, g_strerror(saved));
		close(fd);
		return FALSE;
	}
	if (close(fd) != 0) {
		g_set_error(error, HP_ERROR, HP_ERROR_WRITE, "%s: %s", shown, g_strerror(errno));
		return FALSE;
	}
	return TRUE;
}

/**
 * hp_host_read_link:
 * @rel: a symbolic link inside the host, such as `proc/1234/fd/7`
 *
 * The link's target as it is written, never followed: for a process's
 * open files, whose targets name files of that process's view.
 *
 * Returns: (transfer full) (nullable): the target, or %NULL with @error
 * (HP_ERROR_NOT_FOUND when it is not there or not a link).
 */
gchar *
hp_host_read_link(const HpHost *host, const gchar *rel, GError **error)
{
	g_autofree gchar *shown = hp_echo(rel);
	g_autofree gchar *base = NULL;
	gchar buf[PATH_MAX];
	HpHostNode dir;
	gssize n;

	if (!hp_host_parent(host, rel, &dir, &base, error))
		return NULL;
	n = readlinkat(dir.fd, base, buf, sizeof(buf) - 1);
	hp_host_node_clear(&dir);
	if (n < 0) {
		g_set_error(error, HP_ERROR, HP_ERROR_NOT_FOUND, "%s: %s", shown, g_strerror(errno));
		return NULL;
	}
	buf[n] = '\0';
	return g_strdup(buf);
}
