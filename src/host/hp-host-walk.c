/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Confined lookups in a host tree (SPEC section 8): the check and the open
 * are one step. openat2(2) resolves a whole path inside the root in the
 * kernel; where it is refused (an old kernel, a seccomp filter), or where the
 * real path is wanted, the walk opens one component at a time with
 * O_PATH|O_NOFOLLOW from the descriptor of the directory before it, reads
 * links itself from their own descriptors and goes up by the descriptors it
 * holds. A directory swapped for a link in between is then seen as a link and
 * judged, never followed blindly.
 *
 * A snapshot given as the root is read by the same walk: each component is
 * looked up among the entries of the directory before it, each link's target
 * text is followed by the same rules (inside the snapshot's content, never
 * out of it), so a snapshot answers as the tree it was captured from.
 */
#include "hp-host-private.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hp-diag.h"
#include "hp-error.h"

#define HP_HOST_MAX_LINKS 40

typedef struct {
	const HpHost *host;
	GArray *fds;      /* gint: [0] the root's (not ours), then each directory's; -1 past a missing one */
	GPtrArray *snodes; /* a snapshot: the HpSnapNode of each fds[i]; NULL past a missing one */
	GPtrArray *names; /* the component of each fds[i + 1] */
	GQueue todo;
	guint links;
	gboolean missing;
	struct stat st; /* of the last component opened */
} HpWalk;

static void
hp_walk_init(HpWalk *w, const HpHost *host)
{
	memset(w, 0, sizeof(*w));
	w->host = host;
	w->fds = g_array_new(FALSE, FALSE, sizeof(gint));
	w->names = g_ptr_array_new_with_free_func(g_free);
	w->snodes = g_ptr_array_new();
	g_array_append_val(w->fds, host->root_fd);
	g_ptr_array_add(w->snodes, host->snap != NULL ? host->snap->root : NULL);
	g_queue_init(&w->todo);
}

static void
hp_walk_pop(HpWalk *w)
{
	gint fd = g_array_index(w->fds, gint, w->fds->len - 1);
	if (fd >= 0)
		close(fd);
	g_array_set_size(w->fds, w->fds->len - 1);
	g_ptr_array_set_size(w->names, w->names->len - 1);
	g_ptr_array_set_size(w->snodes, w->snodes->len - 1);
}

static void
hp_walk_clear(HpWalk *w)
{
	while (w->fds->len > 1)
		hp_walk_pop(w);
	g_array_unref(w->fds);
	g_ptr_array_unref(w->names);
	g_ptr_array_unref(w->snodes);
	g_queue_clear_full(&w->todo, g_free);
}

/* Pushes the components of @path onto the front of the work queue. */
static void
hp_walk_queue(HpWalk *w, const gchar *path)
{
	g_auto(GStrv) comps = g_strsplit(path, "/", -1);
	for (gint i = (gint)g_strv_length(comps) - 1; i >= 0; i--) {
		if (comps[i][0] == '\0' || strcmp(comps[i], ".") == 0)
			continue;
		g_queue_push_head(&w->todo, g_strdup(comps[i]));
	}
}

static void
hp_walk_push(HpWalk *w, gint fd, const HpSnapNode *node, const gchar *name)
{
	g_array_append_val(w->fds, fd);
	g_ptr_array_add(w->names, g_strdup(name));
	g_ptr_array_add(w->snodes, (gpointer)node);
}

/* What fstat() would say of a snapshot's entry: its kind and size; its
 * address stands for the inode (a snapshot does not change while read). An
 * unreadable entry has no file type: it is never read. */
static void
hp_snap_node_stat(const HpSnapNode *node, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = (ino_t)(guintptr)node;
	st->st_nlink = 1;
	switch (node->kind) {
	case HP_SNAPSHOT_DIR:
		st->st_mode = S_IFDIR | 0555;
		break;
	case HP_SNAPSHOT_FILE:
		st->st_mode = S_IFREG | 0444;
		st->st_size = (off_t)g_bytes_get_size(node->data);
		break;
	case HP_SNAPSHOT_LINK:
		st->st_mode = S_IFLNK | 0777;
		st->st_size = (off_t)strlen(node->target);
		break;
	case HP_SNAPSHOT_UNREADABLE:
	case HP_SNAPSHOT_NONE:
	default:
		break;
	}
}

/*
 * Opens @comp in the walk's last directory without following it, as
 * openat(O_PATH|O_NOFOLLOW) would, and says what it is in w->st: a tree's
 * descriptor in *@ret_fd, or a snapshot's entry in *@ret_node.
 * Returns: FALSE with errno.
 */
static gboolean
hp_walk_open(HpWalk *w, const gchar *comp, gint *ret_fd, const HpSnapNode **ret_node)
{
	gint parent = g_array_index(w->fds, gint, w->fds->len - 1);
	gint fd;

	*ret_fd = -1;
	*ret_node = NULL;
	if (w->host->snap != NULL) {
		const HpSnapNode *dir = g_ptr_array_index(w->snodes, w->snodes->len - 1);
		if (dir == NULL || dir->kind != HP_SNAPSHOT_DIR) {
			errno = ENOTDIR;
			return FALSE;
		}
		*ret_node = g_hash_table_lookup(dir->children, comp);
		if (*ret_node == NULL) {
			errno = ENOENT;
			return FALSE;
		}
		hp_snap_node_stat(*ret_node, &w->st);
		return TRUE;
	}
	/* a directory in one step; anything else is looked at first */
	fd = openat(parent, comp, O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		memset(&w->st, 0, sizeof(w->st));
		w->st.st_mode = S_IFDIR;
		*ret_fd = fd;
		return TRUE;
	}
	if (errno == ENOTDIR)
		fd = openat(parent, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0 && fstat(fd, &w->st) != 0) {
		gint saved = errno;
		close(fd);
		errno = saved;
		return FALSE;
	}
	*ret_fd = fd;
	return fd >= 0;
}

/* The link read from its own descriptor (what the name held when it was
 * opened), or a snapshot's link entry: its target, or NULL. */
static gchar *
hp_walk_readlink(gint fd, const HpSnapNode *node)
{
	gchar buf[4096];
	gssize n;

	if (node != NULL)
		return node->kind == HP_SNAPSHOT_LINK && node->target[0] != '\0' ? g_strdup(node->target) : NULL;
	n = readlinkat(fd, "", buf, sizeof(buf));
	if (n <= 0 || (gsize)n >= sizeof(buf))
		return NULL;
	return g_strndup(buf, (gsize)n);
}

/* Follows the queue. @rel only names the path in messages. */
static gboolean
hp_walk_run(HpWalk *w, const gchar *rel, guint flags, GError **error)
{
	while (!g_queue_is_empty(&w->todo)) {
		g_autofree gchar *comp = g_queue_pop_head(&w->todo);
		gboolean last = g_queue_is_empty(&w->todo);
		g_autofree gchar *target = NULL;
		const HpSnapNode *node;
		gint fd;

		if (strcmp(comp, "..") == 0) {
			if (w->names->len == 0) {
				g_autofree gchar *shown = hp_echo(rel);
				g_set_error(error, HP_ERROR, HP_ERROR_OUTSIDE_ROOT, "%s leads out of the host root %s", shown,
					    w->host->root);
				return FALSE;
			}
			hp_walk_pop(w);
			continue;
		}
		if (w->missing) {
			hp_walk_push(w, -1, NULL, comp);
			continue;
		}
		if (!hp_walk_open(w, comp, &fd, &node)) {
			gint saved = errno;
			g_autofree gchar *shown = hp_echo(rel);
			if ((saved == ENOENT || saved == ENOTDIR) && (flags & HP_LOOKUP_LENIENT)) {
				w->missing = TRUE;
				hp_walk_push(w, -1, NULL, comp);
				continue;
			}
			g_set_error(error, HP_ERROR, saved == ENOENT || saved == ENOTDIR ? HP_ERROR_NOT_FOUND : HP_ERROR_READ,
				    "%s: %s", shown, g_strerror(saved));
			return FALSE;
		}
		if (S_ISLNK(w->st.st_mode) && (!last || !(flags & HP_LOOKUP_NOFOLLOW))) {
			g_autofree gchar *shown = hp_echo(rel);
			target = hp_walk_readlink(fd, node);
			if (fd >= 0)
				close(fd);
			if (++w->links > HP_HOST_MAX_LINKS) {
				g_set_error(error, HP_ERROR, HP_ERROR_READ, "%s: too many levels of symbolic links", shown);
				return FALSE;
			}
			if (target == NULL) {
				g_set_error(error, HP_ERROR, HP_ERROR_INVALID_DATA, "%s: a link that cannot be read", shown);
				return FALSE;
			}
			if (g_path_is_absolute(target)) {
				if (!w->host->slash) {
					g_autofree gchar *to = hp_echo(target);
					g_set_error(error, HP_ERROR, HP_ERROR_OUTSIDE_ROOT,
						    "%s is a link to %s, which is outside the host root %s", shown, to,
						    w->host->root);
					return FALSE;
				}
				while (w->fds->len > 1)
					hp_walk_pop(w);
			}
			hp_walk_queue(w, target);
			continue;
		}
		if (!last && !S_ISDIR(w->st.st_mode)) {
			g_autofree gchar *shown = hp_echo(rel);
			if (fd >= 0)
				close(fd);
			if (flags & HP_LOOKUP_LENIENT) {
				w->missing = TRUE;
				hp_walk_push(w, -1, NULL, comp);
				continue;
			}
			g_set_error(error, HP_ERROR, HP_ERROR_NOT_FOUND, "%s: %s", shown, g_strerror(ENOTDIR));
			return FALSE;
		}
		hp_walk_push(w, fd, node, comp);
	}
	return TRUE;
}

/* Moves the walk's end into @ret. */
static gboolean
hp_walk_finish(HpWalk *w, guint flags, HpHostNode *ret, GError **error)
{
	guint n = w->fds->len;
	gint top = g_array_index(w->fds, gint, n - 1);

	memset(ret, 0, sizeof(*ret));
	ret->fd = ret->parent_fd = -1;
	if (flags & HP_LOOKUP_CANON) {
		g_ptr_array_add(w->names, NULL);
		ret->canon = g_strjoinv("/", (gchar **)w->names->pdata);
		g_ptr_array_set_size(w->names, w->names->len - 1);
	}
	if (w->missing)
		return TRUE;
	if (w->host->snap != NULL) {
		ret->snode = g_ptr_array_index(w->snodes, n - 1);
		hp_snap_node_stat(ret->snode, &ret->st);
		if ((flags & HP_LOOKUP_PARENT) && n > 1)
			ret->name = g_strdup(g_ptr_array_index(w->names, n - 2));
		return TRUE;
	}
	ret->fd = n == 1 ? fcntl(top, F_DUPFD_CLOEXEC, 0) : top;
	if (ret->fd < 0 || fstat(ret->fd, &ret->st) != 0) {
		g_set_error(error, HP_ERROR, HP_ERROR_READ, "%s", g_strerror(errno));
		if (n > 1)
			g_array_index(w->fds, gint, n - 1) = -1;
		hp_host_node_clear(ret);
		return FALSE;
	}
	if (n > 1)
		g_array_index(w->fds, gint, n - 1) = -1; /* now the node's */
	if ((flags & HP_LOOKUP_PARENT) && n > 1) {
		gint parent = g_array_index(w->fds, gint, n - 2);
		ret->parent_fd = n == 2 ? fcntl(parent, F_DUPFD_CLOEXEC, 0) : parent;
		if (n > 2)
			g_array_index(w->fds, gint, n - 2) = -1;
		ret->name = g_strdup(g_ptr_array_index(w->names, n - 2));
	}
	return TRUE;
}

static gint
hp_host_openat2(const HpHost *host, const gchar *rel, guint64 oflags)
{
	struct open_how how = {
	    .flags = oflags | O_CLOEXEC,
	    /* BENEATH refuses a link out of the root (IN_ROOT would clamp it
	     * into the root): it is reported, as the walk does. For "/" the
	     * two are the same resolution as the kernel's own. */
	    .resolve = RESOLVE_NO_MAGICLINKS | (host->slash ? RESOLVE_IN_ROOT : RESOLVE_BENEATH),
	};
	while (*rel == '/')
		rel++;
	if (*rel == '\0')
		rel = ".";
	for (guint attempt = 0; attempt < 4; attempt++) {
		glong fd = syscall(SYS_openat2, host->root_fd, rel, &how, sizeof(how));
		if (fd >= 0)
			return (gint)fd;
		/* EAGAIN: a rename raced a ".."; the kernel asks to try again */
		if (errno != EAGAIN && errno != EINTR)
			break;
	}
	if (errno == ENOSYS || errno == EPERM || errno == E2BIG || errno == EINVAL) {
		g_atomic_int_set((gint *)&host->no_openat2, 1);
		errno = ENOSYS;
	}
	return -1;
}

/**
 * hp_host_lookup:
 * @rel: a path inside the root
 * @flags: #HpLookupFlags
 * @ret: (out caller-allocates): the object; hp_host_node_clear() it
 *
 * Finds @rel without ever leaving the root. openat2 does it in one call when
 * nothing but the object is wanted; otherwise, and when openat2 fails for any
 * reason but "not there" (so that the message says exactly what is wrong), the
 * walk does.
 *
 * Returns: %FALSE with @error: HP_ERROR_NOT_FOUND, HP_ERROR_OUTSIDE_ROOT,
 * HP_ERROR_READ (a loop, a permission), HP_ERROR_INVALID_DATA.
 */
gboolean
hp_host_lookup(const HpHost *host, const gchar *rel, guint flags, HpHostNode *ret, GError **error)
{
	HpWalk w;
	gboolean ok;

	if ((flags & ~(guint)HP_LOOKUP_PARENT) == 0 && host->snap == NULL && !g_atomic_int_get(&host->no_openat2)) {
		gint fd = hp_host_openat2(host, rel, O_PATH);
		if (fd >= 0) {
			memset(ret, 0, sizeof(*ret));
			ret->parent_fd = -1;
			ret->fd = fd;
			if (fstat(fd, &ret->st) == 0)
				return TRUE;
			close(fd);
		} else if (errno == ENOENT || errno == ENOTDIR) {
			g_autofree gchar *shown = hp_echo(rel);
			g_set_error(error, HP_ERROR, HP_ERROR_NOT_FOUND, "%s: %s", shown, g_strerror(errno));
			return FALSE;
		}
	}
	hp_walk_init(&w, host);
	hp_walk_queue(&w, rel);
	ok = hp_walk_run(&w, rel, flags, error) && hp_walk_finish(&w, flags, ret, error);
	hp_walk_clear(&w);
	return ok;
}

/**
 * hp_host_lookup_link:
 * @rel: a symbolic link such as a device's `driver`
 * @ret: (out caller-allocates): where it leads, with canon
 *
 * Like hp_host_lookup() with HP_LOOKUP_CANON | HP_LOOKUP_LENIENT, but @rel
 * itself must exist: a link whose target is missing still says where it
 * leads, a link that is not there at all is HP_ERROR_NOT_FOUND.
 */
gboolean
hp_host_lookup_link(const HpHost *host, const gchar *rel, HpHostNode *ret, GError **error)
{
	g_autofree gchar *dir = g_path_get_dirname(rel);
	g_autofree gchar *base = g_path_get_basename(rel);
	HpWalk w;
	gboolean ok = FALSE;

	hp_walk_init(&w, host);
	hp_walk_queue(&w, dir);
	if (!hp_walk_run(&w, rel, 0, error))
		goto out;
	/* the link itself, without following it */
	hp_walk_queue(&w, base);
	if (!hp_walk_run(&w, rel, HP_LOOKUP_NOFOLLOW, error))
		goto out;
	if (S_ISLNK(w.st.st_mode) && w.names->len > 0 && strcmp(g_ptr_array_index(w.names, w.names->len - 1), base) == 0) {
		/* now follow it, from its directory */
		hp_walk_pop(&w);
		hp_walk_queue(&w, base);
		if (!hp_walk_run(&w, rel, HP_LOOKUP_LENIENT, error))
			goto out;
	}
	ok = hp_walk_finish(&w, HP_LOOKUP_CANON | HP_LOOKUP_LENIENT, ret, error);
out:
	hp_walk_clear(&w);
	return ok;
}

/* The target of the link @node (looked up with HP_LOOKUP_NOFOLLOW), or
 * NULL when it is not a link or cannot be read. */
gchar *
hp_host_node_readlink(const HpHostNode *node)
{
	if (!S_ISLNK(node->st.st_mode))
		return NULL;
	return hp_walk_readlink(node->fd, node->snode);
}

static const gchar *
hp_host_kind(mode_t mode)
{
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISCHR(mode))
		return "a character device";
	if (S_ISBLK(mode))
		return "a block device";
	if (S_ISSOCK(mode))
		return "a socket";
	if (S_ISLNK(mode))
		return "a symbolic link";
	if (S_ISDIR(mode))
		return "a directory";
	return "not a regular file";
}

/**
 * hp_host_node_readable:
 * @node: from hp_host_lookup()
 *
 * Whether @node may be read: a regular file or a directory (in a snapshot,
 * one that could be read when it was captured). A FIFO, a device, a socket
 * is refused, as is what is not there.
 *
 * Returns: %TRUE, or %FALSE with @error: HP_ERROR_NOT_FOUND, HP_ERROR_READ
 * (a snapshot's unreadable entry, as a file the reader may not read),
 * HP_ERROR_INVALID_DATA (not a regular file or a directory).
 */
gboolean
hp_host_node_readable(const gchar *rel, const HpHostNode *node, GError **error)
{
	g_autofree gchar *shown = hp_echo(rel);

	if (node->fd < 0 && node->snode == NULL) {
		g_set_error(error, HP_ERROR, HP_ERROR_NOT_FOUND, "%s does not exist", shown);
		return FALSE;
	}
	if (node->snode != NULL && node->snode->kind == HP_SNAPSHOT_UNREADABLE) {
		g_set_error(error, HP_ERROR, HP_ERROR_READ,
			    "%s could not be read when the snapshot was captured (it says unreadable); it is not read",
			    shown);
		return FALSE;
	}
	if (!S_ISDIR(node->st.st_mode) && !S_ISREG(node->st.st_mode)) {
		g_set_error(error, HP_ERROR, HP_ERROR_INVALID_DATA, "%s is %s, not a regular file; it is not read", shown,
			    hp_host_kind(node->st.st_mode));
		return FALSE;
	}
	return TRUE;
}

/**
 * hp_host_node_open:
 * @node: from hp_host_lookup() (with HP_LOOKUP_PARENT when it walked)
 *
 * Opens a regular file or a directory for reading; anything else (a FIFO, a
 * device) is refused before it is ever opened for reading, and the object
 * opened must be the one looked up (same device and inode), so a swap in
 * between is refused too.
 *
 * Returns: a descriptor, or -1 with @error (HP_ERROR_INVALID_DATA for what
 * is not a regular file or directory).
 */
gint
hp_host_node_open(const HpHost *host, const gchar *rel, const HpHostNode *node, GError **error)
{
	g_autofree gchar *shown = hp_echo(rel);
	struct stat st;
	gint fd;

	if (!hp_host_node_readable(rel, node, error))
		return -1;
	if (node->fd < 0) {
		g_set_error(error, HP_ERROR, HP_ERROR_READ, "%s is an entry of a snapshot, not a file", shown);
		return -1;
	}
	if (S_ISDIR(node->st.st_mode)) {
		fd = openat(node->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	} else {
		const gint oflags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_NOFOLLOW;
		if (node->parent_fd >= 0)
			fd = openat(node->parent_fd, node->name, oflags | O_CLOEXEC);
		else
			fd = hp_host_openat2(host, rel, O_RDONLY | O_NONBLOCK | O_NOCTTY);
	}
	if (fd < 0) {
		g_set_error(error, HP_ERROR, errno == ENOENT ? HP_ERROR_NOT_FOUND : HP_ERROR_READ, "%s: %s", shown,
			    g_strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || st.st_dev != node->st.st_dev || st.st_ino != node->st.st_ino ||
	    (st.st_mode & S_IFMT) != (node->st.st_mode & S_IFMT)) {
		close(fd);
		g_set_error(error, HP_ERROR, HP_ERROR_READ, "%s changed while it was read; it is not read", shown);
		return -1;
	}
	return fd;
}

void
hp_host_node_clear(HpHostNode *node)
{
	if (node->fd >= 0)
		close(node->fd);
	if (node->parent_fd >= 0)
		close(node->parent_fd);
	g_clear_pointer(&node->name, g_free);
	g_clear_pointer(&node->canon, g_free);
	node->fd = node->parent_fd = -1;
}
