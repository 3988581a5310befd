/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A snapshot written out as a directory tree: what lets a test capture a
 * snapshot's tree again and compare the bytes ("a snapshot of a snapshot's
 * tree is the same file").
 */
#include "hp-snapshot-private.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hp-error.h"

static gboolean
hp_snapshot_write_all(gint fd, const guint8 *data, gsize len)
{
	while (len > 0) {
		gssize n = write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return FALSE;
		data += n;
		len -= (gsize)n;
	}
	return TRUE;
}

/* Creates @node's entries in @dirfd: every step relative to a directory we
 * made ourselves, nothing followed, nothing replaced. */
static gboolean
hp_snapshot_materialize_dir(const HpSnapNode *node, gint dirfd, const gchar *path, GError **error)
{
	g_autoptr(GPtrArray) children = hp_snap_node_sorted_children(node);

	for (guint i = 0; i < children->len; i++) {
		const HpSnapNode *child = g_ptr_array_index(children, i);
		g_autofree gchar *child_path = g_build_filename(path, child->name, NULL);
		gboolean ok = TRUE;

		if (child->name[0] == '\0' || strchr(child->name, '/') != NULL || strcmp(child->name, ".") == 0 ||
		    strcmp(child->name, "..") == 0) {
			g_set_error(error, HP_ERROR, HP_ERROR_INVALID_DATA, "%s: refusing the entry name '%s'", path, child->name);
			return FALSE;
		}
		switch (child->kind) {
		case HP_SNAPSHOT_DIR: {
			gint fd;
			if (mkdirat(dirfd, child->name, 0755) != 0) {
				ok = FALSE;
				break;
			}
			fd = openat(dirfd, child->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (fd < 0) {
				ok = FALSE;
				break;
			}
			ok = hp_snapshot_materialize_dir(child, fd, child_path, error);
			close(fd);
			if (!ok)
				return FALSE;
			break;
		}
		case HP_SNAPSHOT_FILE: {
			gsize len = 0;
			const guint8 *data = g_bytes_get_data(child->data, &len);
			gint fd = openat(dirfd, child->name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
			if (fd < 0) {
				ok = FALSE;
				break;
			}
			ok = hp_snapshot_write_all(fd, data, len);
			if (close(fd) != 0)
				ok = FALSE;
			break;
		}
		case HP_SNAPSHOT_LINK:
			ok = symlinkat(child->target, dirfd, child->name) == 0;
			break;
		case HP_SNAPSHOT_UNREADABLE:
			/* a FIFO: present, and a capture of it records it as unreadable again */
			ok = mkfifoat(dirfd, child->name, 0644) == 0;
			break;
		case HP_SNAPSHOT_NONE:
		default:
			break;
		}
		if (!ok) {
			g_set_error(error, HP_ERROR, HP_ERROR_WRITE, "%s: %s", child_path, g_strerror(errno));
			return FALSE;
		}
	}
	return TRUE;
}

/**
 * hp_snapshot_materialize:
 * @dir: an existing, empty directory
 *
 * Writes the tree into @dir: directories, regular files, links with their
 * target text as it is (relative or not: a link is not followed here, and a
 * reader of the tree refuses one that leads out, as it refuses it in the
 * snapshot), and a FIFO for an unreadable entry. A capture of @dir with the
 * same kernel release gives the snapshot back.
 *
 * Returns: %TRUE, or %FALSE with HP_ERROR_WRITE (nothing is removed again).
 */
gboolean
hp_snapshot_materialize(const HpSnapshot *snap, const gchar *dir, GError **error)
{
	gint fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	g_autoptr(GDir) listing = NULL;
	gboolean ok;

	if (fd < 0) {
		g_set_error(error, HP_ERROR, HP_ERROR_WRITE, "%s: %s", dir, g_strerror(errno));
		return FALSE;
	}
	listing = g_dir_open(dir, 0, NULL);
	if (listing == NULL || g_dir_read_name(listing) != NULL) {
		close(fd);
		g_set_error(error, HP_ERROR, HP_ERROR_WRITE, "%s is not an empty directory", dir);
		return FALSE;
	}
	ok = hp_snapshot_materialize_dir(snap->root, fd, dir, error);
	close(fd);
	return ok;
}
