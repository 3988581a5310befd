/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "hp-file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "hp-error.h"

/* Links followed at most, as the kernel's own limit (MAXSYMLINKS). */
#define HP_FILE_MAX_LINKS 40

/* The file a path finally names, after every link of a chain. */
typedef struct {
	gchar *path; /* the final target; the links that led to it stay */
	gchar *dir;
	gchar *base;
	gboolean exists;
	struct stat st;
} HpFileTarget;

static void
hp_file_target_clear(HpFileTarget *target)
{
	g_free(target->path);
	g_free(target->dir);
	g_free(target->base);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(HpFileTarget, hp_file_target_clear)

static const gchar *
hp_file_kind(mode_t mode)
{
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISCHR(mode))
		return "a character device";
	if (S_ISBLK(mode))
		return "a block device";
	if (S_ISSOCK(mode))
		return "a socket";
	return "not a regular file";
}

/*
 * Follows @path through every link to the file it names (which need not
 * exist yet), and says whether the caller may replace it: only a regular
 * file, only one the caller may write (access(2) with the effective ids,
 * AT_EACCESS), only in a directory it may create files in.
 */
static gboolean
hp_file_resolve(const gchar *path, HpFileTarget *ret_target, GError **error)
{
	g_autofree gchar *p = g_strdup(path);
	struct stat st;
	gboolean exists = FALSE;
	guint hops = 0;

	for (;;) {
		g_autofree gchar *link = NULL;
		if (lstat(p, &st) != 0) {
			if (errno != ENOENT) {
				g_set_error(error, HP_ERROR, HP_ERROR_WRITE, "cannot write %s: %s", path, g_strerror(errno));
				return FALSE;
			}
			break; /* a new file, or the target of a dangling link */
		}
		if (!S_ISLNK(st.st_mode)) {
			exists = TRUE;
			break;
		}
		if (++hops > HP_FILE_MAX_LINKS) {
			g_set_error(error, HP_ERROR, HP_ERROR_WRITE,
				    "cannot write %s: more than %d symbolic links in a chain (a loop?)", path,
				    HP_FILE_MAX_LINKS);
			return FALSE;
		}
		link = g_file_read_link(p, NULL);
		if (link == NULL) {
			g_set_error(error, HP_ERROR, HP_ERROR_WRITE, "cannot write %s: cannot read the link %s", path, p);
			return FALSE;
		}
		if (!g_path_is_absolute(link)) {
			g_autofree gchar *dir = g_path_get_dirname(p);
			g_free(p);
			p = g_build_filename(dir, link, NULL);
		} else {
			g_free(p);
			p = g_steal_pointer(&link);
		}
	}
	if (exists && !S_ISREG(st.st_mode)) {
		g_set_error(error, HP_ERROR, HP_ERROR_WRITE,
			    "refusing to write %s: it is %s, not a regular file; give a regular file, or -o - for standard output",
			    p, hp_file_kind(st.st_mode));
		return FALSE;
	}
	if (exists && faccessat(AT_FDCWD, p, W_OK, AT_EACCESS) != 0) {
		g_set_error(error, HP_ERROR, HP_ERROR_WRITE, "refusing to write %s: %s (you may not write it)", p,
			    g_strerror(errno));
		return FALSE;
	}
	ret_target->dir = g_path_get_dirname(p);
	ret_target->base = g_path_get_basename(p);
	if (faccessat(AT_FDCWD, ret_target->dir, W_OK | X_OK, AT_EACCESS) != 0) {
		gint saved = errno;
		g_set_error(error, HP_ERROR, HP_ERROR_WRITE,
			    "cannot write %s: the new file is made in %s first, and that fails: %s", p, ret_target->dir,
			    g_strerror(saved));
		g_clear_pointer(&ret_target->dir, g_free);
		g_clear_pointer(&ret_target->base, g_free);
		return FALSE;
	}
	ret_target->exists = exists;
	ret_target->st = st;
	ret_target->path = g_steal_pointer(&p);
	return TRUE;
}

/**
 * hp_file_check_writable:
 * @path: the file an output will replace (or create)
 *
 * Says, before anything is computed or written, whether hp_file_replace()
 * would refuse @path: not a regular file (a FIFO, a device), a file the
 * caller may not write, a directory it may not create files in.
 *
 * Returns: %TRUE, or %FALSE with @error (%HP_ERROR_WRITE).
 */
gboolean
hp_file_check_writable(const gchar *path, GError **error)
{
	g_auto(HpFileTarget) target = {0};
	return hp_file_resolve(path, &target, error);
}

static gboolean
hp_file_write_all(gint fd, const gchar *data, gsize len)
{
	while (len > 0) {
		gssize n = write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return FALSE;
		data += n;
		len -= (gsize)n;
	}
	return TRUE;
}

/* The names of @fd's extended attributes, NUL-separated, in *@ret_len. */
static gchar *
hp_file_list_xattrs(gint fd, gssize *ret_len)
{
	for (guint tries = 0; tries < 8; tries++) {
		gssize size = flistxattr(fd, NULL, 0);
		g_autofree gchar *names = NULL;
		if (size < 0) {
			if (errno == ENOTSUP) {
				*ret_len = 0;
				return g_strdup("");
			}
			return NULL;
		}
		names = g_malloc(size + 1);
		*ret_len = flistxattr(fd, names, size);
		if (*ret_len >= 0)
			return g_steal_pointer(&names);
		if (errno != ERANGE) /* ERANGE: one was added since */
			return NULL;
	}
	return NULL;
}

static gboolean
hp_file_has_name(const gchar *names, gssize len, const gchar *name)
{
	for (const gchar *n = names; n < names + len; n += strlen(n) + 1) {
		if (strcmp(n, name) == 0)
			return TRUE;
	}
	return FALSE;
}

/*
 * Gives @to exactly the extended attributes of @from: user ones, the ACL
 * (system.posix_acl_access), security labels; and drops what @to was given
 * on creation that @from lacks (a default ACL of the directory).
 */
static gboolean
hp_file_copy_xattrs(gint from, gint to, const gchar *path, GError **error)
{
	gssize len = 0, to_len = 0;
	g_autofree gchar *names = hp_file_list_xattrs(from, &len);
	g_autofree gchar *to_names = NULL;

	if (names == NULL) {
		g_set_error(error, HP_ERROR, HP_ERROR_WRITE, "cannot list the extended attributes of %s: %s", path,
			    g_strerror(errno));
		return FALSE;
	}
	for (const gchar *name = names; name < names + len; name += strlen(name) + 1) {
		gssize vlen = fgetxattr(from, name, NULL, 0);
		g_autofree gchar *value = NULL;
		g_autofree gchar *have = NULL;

		if (vlen < 0) {
			if (errno == ENODATA) /* removed since it was listed */
				continue;
			g_set_error(error, HP_ERROR, HP_ERROR_WRITE, "cannot read the extended attribute %s of %s: %s",
				    name, path, g_strerror(errno));
			return FALSE;
		}
		value = g_malloc(vlen + 1);
		vlen = fgetxattr(from, name, value, vlen);
		if (vlen < 0) {
			g_set_error(error, HP_ERROR, HP_ERROR_WRITE, "cannot read the extended attribute %s of %s: %s",
				    name, path, g_strerror(errno));
			return FALSE;
		}
		/* a label the new file already carries need not (and, for an
		 * unprivileged caller, may not) be set again */
		have = g_malloc(vlen + 1);
		if (fgetxattr(to, name, have, vlen) == vlen && memcmp(have, value, vlen) == 0)
			continue;
		if (fsetxattr(to, name, value, vlen, 0) != 0) {
			g_set_error(error, HP_ERROR, HP_ERROR_WRITE,
				    "cannot keep the extended attribute %s of %s: %s; nothing was changed", name, path,
				    g_strerror(errno));
			return FALSE;
		}
	}
	to_names = hp_file_list_xattrs(to, &to_len);
	for (const gchar *name = to_names; name != NULL && name < to_names + to_len; name += strlen(name) + 1) {
		/* what cannot be removed (a security label) stays as the
		 * directory gave it */
		if (!hp_file_has_name(names, len, name))
			(void)fremovexattr(to, name);
	}
	return TRUE;
}

/* Owner, group, extended attributes (the ACL among them), then the mode:
 * chown clears set-id bits and file capabilities, so they come after it. */
static gboolean
hp_file_copy_metadata(gint from, const struct stat *st, gint to, const gchar *path, GError **error)
{
	struct stat now;

	if (fstat(to, &now) != 0) {
		g_set_error(error, HP_ERROR, HP_ERROR_WRITE, "cannot write beside %s: %s", path, g_strerror(errno));
		return FALSE;
	}
	if ((now.st_uid != st->st_uid || now.st_gid != st->st_gid) && fchown(to, st->st_uid, st->st_gid) != 0) {
		g_set_error(error, HP_ERROR, HP_ERROR_WRITE,
			    "refusing to write %s: its owner (%u:%u) could not be kept (%s); write it as its owner or root, or to standard output with -o -",
			    path, (guint)st->st_uid, (guint)st->st_gid, g_strerror(errno));
		return FALSE;
	}
	if (!hp_file_copy_xattrs(from, to, path, error))
		return FALSE;
	if (fchmod(to, st->st_mode & 07777) != 0) {
		g_set_error(error, HP_ERROR, HP_ERROR_WRITE, "cannot keep the mode of %s: %s", path, g_strerror(errno));
		return FALSE;
	}
	return TRUE;
}

/* A fresh name beside the target, made with O_EXCL. */
static gint
hp_file_open_temp(gint dirfd, const gchar *base, mode_t mode, gchar **ret_name)
{
	for (guint tries = 0; tries < 100; tries++) {
		g_autofree gchar *name = g_strdup_printf(".%.200s.%08x.tmp", base, g_random_int());
		gint fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
		if (fd >= 0) {
			*ret_name = g_steal_pointer(&name);
			return fd;
		}
		if (errno != EEXIST)
			return -1;
	}
	errno = EEXIST;
	return -1;
}

/* The descriptors of one replacement; the temporary file goes unless renamed. */
typedef struct {
	gint dirfd, from, to;
	gchar *tmp_name;
} HpFileWrite;

static void
hp_file_write_clear(HpFileWrite *w)
{
	if (w->to >= 0)
		close(w->to);
	if (w->tmp_name != NULL)
		(void)unlinkat(w->dirfd, w->tmp_name, 0);
	g_free(w->tmp_name);
	if (w->from >= 0)
		close(w->from);
	if (w->dirfd >= 0)
		close(w->dirfd);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(HpFileWrite, hp_file_write_clear)

static gint
hp_file_close(gint *fd)
{
	gint to_close = *fd;
	*fd = -1;
	return close(to_close);
}

/* Opens the target to copy its metadata: it may be write-only to us. */
static gint
hp_file_open_target(gint dirfd, const gchar *base)
{
	gint fd = openat(dirfd, base, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 && errno == EACCES)
		fd = openat(dirfd, base, O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	return fd;
}

/**
 * hp_file_replace:
 * @path: the file to replace or create; a link is followed to its final
 *   target, and every link of the chain stays a link
 * @data: the new content
 * @len: its length in bytes
 *
 * Writes @data to a new file beside the target and renames it over the
 * target, so a reader sees the old file or the new, never a part. The new
 * file gets the target's owner, group, mode (not through the umask),
 * ACL and every extended attribute; its data and then the directory are
 * fsynced. A new target is made with the mode a shell's `>` would give it.
 * Refused before anything is written: anything but a regular file (a FIFO,
 * a device), a file the caller may not write, a directory it may not create
 * files in; and an owner the caller cannot give the new file.
 *
 * Returns: %TRUE, or %FALSE with @error (%HP_ERROR_WRITE), the target
 * untouched and no temporary file left behind.
 */
gboolean
hp_file_replace(const gchar *path, const gchar *data, gsize len, GError **error)
{
	g_auto(HpFileTarget) target = {0};
	g_auto(HpFileWrite) w = {-1, -1, -1, NULL};
	struct stat st, again;

	g_return_val_if_fail(error == NULL || *error == NULL, FALSE);
	if (!hp_file_resolve(path, &target, error))
		return FALSE;
	w.dirfd = open(target.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (w.dirfd < 0) {
		g_set_error(error, HP_ERROR, HP_ERROR_WRITE, "cannot open the directory %s: %s", target.dir,
			    g_strerror(errno));
		return FALSE;
	}
	if (target.exists) {
		w.from = hp_file_open_target(w.dirfd, target.base);
		if (w.from < 0 || fstat(w.from, &st) != 0) {
			g_set_error(error, HP_ERROR, HP_ERROR_WRITE, "cannot open %s: %s", target.path, g_strerror(errno));
			return FALSE;
		}
		/* replaced by something else since it was checked */
		if (!S_ISREG(st.st_mode)) {
			g_set_error(error, HP_ERROR, HP_ERROR_WRITE, "refusing to write %s: it is %s, not a regular file",
				    target.path, hp_file_kind(st.st_mode));
			return FALSE;
		}
	}
	w.to = hp_file_open_temp(w.dirfd, target.base, target.exists ? 0600 : 0666, &w.tmp_name);
	if (w.to < 0) {
		g_set_error(error, HP_ERROR, HP_ERROR_WRITE, "cannot make a new file in %s: %s", target.dir,
			    g_strerror(errno));
		return FALSE;
	}
	if (!hp_file_write_all(w.to, data, len)) {
		g_set_error(error, HP_ERROR, HP_ERROR_WRITE, "cannot write beside %s: %s", target.path, g_strerror(errno));
		return FALSE;
	}
	if (target.exists && !hp_file_copy_metadata(w.from, &st, w.to, target.path, error))
		return FALSE;
	if (fsync(w.to) != 0 || hp_file_close(&w.to) != 0) {
		g_set_error(error, HP_ERROR, HP_ERROR_WRITE, "cannot write beside %s: %s", target.path, g_strerror(errno));
		return FALSE;
	}
	if (target.exists &&
	    (fstatat(w.dirfd, target.base, &again, AT_SYMLINK_NOFOLLOW) != 0 || again.st_dev != st.st_dev ||
	     again.st_ino != st.st_ino)) {
		g_set_error(error, HP_ERROR, HP_ERROR_WRITE, "refusing to write %s: it was replaced while it was written",
			    target.path);
		return FALSE;
	}
	if (renameat(w.dirfd, w.tmp_name, w.dirfd, target.base) != 0) {
		g_set_error(error, HP_ERROR, HP_ERROR_WRITE, "cannot replace %s: %s", target.path, g_strerror(errno));
		return FALSE;
	}
	g_clear_pointer(&w.tmp_name, g_free);
	/* the rename is durable only once the directory is */
	if (fsync(w.dirfd) != 0) {
		g_set_error(error, HP_ERROR, HP_ERROR_WRITE, "cannot sync the directory %s: %s", target.dir,
			    g_strerror(errno));
		return FALSE;
	}
	return TRUE;
}
