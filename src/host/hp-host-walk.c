/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The confined walk (SPEC section 8): a path resolved inside the root one
 * component at a time, each opened O_PATH|O_NOFOLLOW from the directory
 * descriptor before it (or looked up among a snapshot's entries), each
 * link read and followed by us; openat2(RESOLVE_BENEATH) for the common
 * case where the kernel has it, the walk deciding whenever it fails. Only
 * regular files and directories are ever opened for reading.
 */
#include "hp-host-private.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hp-diag.h"
#include "hp-error.h"

#define HP_HOST_MAX_LINKS 40 /* as the kernel's: more is a loop */

void
hp_steps_free(GArray *steps)
{
	for (guint i = 1; i < steps->len; i++) {
		HpStep *step = &g_array_index(steps, HpStep, i);
		if (step->fd >= 0)
			close(step->fd);
		g_free(step->name);
	}
	if (steps->len > 0)
		g_free(g_array_index(steps, HpStep, 0).name);
	g_array_unref(steps);
}

static HpHostKind
hp_host_kind_of_mode(mode_t mode)
{
	if (S_ISDIR(mode))
		return HP_HOST_KIND_DIR;
	if (S_ISREG(mode))
		return HP_HOST_KIND_FILE;
	if (S_ISLNK(mode))
		return HP_HOST_KIND_LINK;
	return HP_HOST_KIND_OTHER;
}

static HpHostKind
hp_host_kind_of_snap(HpSnapshotKind kind)
{
	switch (kind) {
	case HP_SNAPSHOT_DIR:
		return HP_HOST_KIND_DIR;
	case HP_SNAPSHOT_FILE:
		return HP_HOST_KIND_FILE;
	case HP_SNAPSHOT_LINK:
		return HP_HOST_KIND_LINK;
	case HP_SNAPSHOT_UNREADABLE:
		return HP_HOST_KIND_UNREADABLE;
	case HP_SNAPSHOT_NONE:
	default:
		return HP_HOST_KIND_NONE;
	}
}

/* The entry @name in the directory @parent, following no link. */
static HpStep
hp_host_child(const HpHost *host, const HpStep *parent, const gchar *name)
{
	HpStep step = {g_strdup(name), -1, NULL, HP_HOST_KIND_NONE, ENOENT};
	struct stat st;

	if (parent->kind != HP_HOST_KIND_DIR) {
		step.err = parent->kind == HP_HOST_KIND_NONE ? parent->err : ENOTDIR;
		return step;
	}
	if (host->snap != NULL) {
		step.node = hp_snap_node_child(parent->node, name);
		step.kind = hp_host_kind_of_snap(hp_snap_node_kind(step.node));
		step.err = step.node != NULL ? 0 : ENOENT;
		return step;
	}
	step.fd = openat(parent->fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (step.fd < 0) {
		step.err = errno;
		return step;
	}
	if (fstat(step.fd, &st) != 0) {
		step.err = errno;
		close(step.fd);
		step.fd = -1;
		return step;
	}
	step.kind = hp_host_kind_of_mode(st.st_mode);
	step.err = 0;
	return step;
}

gchar *
hp_host_step_readlink(const HpHost *host, const HpStep *step)
{
	gchar buf[PATH_MAX];
	gssize n;

	if (host->snap != NULL)
		return g_strdup(hp_snap_node_target(step->node));
	n = readlinkat(step->fd, "", buf, sizeof(buf) - 1);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	return g_strdup(buf);
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

static void
hp_host_pop(GArray *steps)
{
	HpStep *top = &g_array_index(steps, HpStep, steps->len - 1);
	if (top->fd >= 0)
		close(top->fd);
	g_free(top->name);
	g_array_set_size(steps, steps->len - 1);
}

static GArray *
hp_host_steps_new(const HpHost *host)
{
	GArray *steps = g_array_new(FALSE, TRUE, sizeof(HpStep));
	HpStep root = {g_strdup(""), host->root_fd, host->snap != NULL ? hp_snapshot_get_root(host->snap) : NULL,
		       HP_HOST_KIND_DIR, 0};
	g_array_append_val(steps, root);
	return steps;
}

/*
 * The walk: resolves @rel inside the root, component by component. A `..`
 * above the root, or an absolute link target when the root is not `/`, is
 * refused (HP_ERROR_OUTSIDE_ROOT), more than 40 links is a loop
 * (HP_ERROR_READ). A missing component is not an error here: it stays a
 * name, with kind NONE. @follow_last: follow a link in the last component
 * too (stat), or not (lstat).
 *
 * Returns: (transfer full) (nullable): the steps, the root first; the root's
 * descriptor is the host's own (element 0 never closes it).
 */
GArray *
hp_host_walk(const HpHost *host, const gchar *rel, gboolean follow_last, GError **error)
{
	g_autoptr(GArray_HpSteps) steps = hp_host_steps_new(host);
	GQueue todo = G_QUEUE_INIT;
	guint links = 0;

	hp_host_queue_path(&todo, rel);
	while (!g_queue_is_empty(&todo)) {
		g_autofree gchar *comp = g_queue_pop_head(&todo);
		g_autofree gchar *target = NULL;
		HpStep step;

		if (strcmp(comp, "..") == 0) {
			if (steps->len > 1) {
				hp_host_pop(steps);
				continue;
			}
			if (host->is_slash)
				continue; /* `/..` is `/`, as the kernel has it */
			g_queue_clear_full(&todo, g_free);
			g_set_error(error, HP_ERROR, HP_ERROR_OUTSIDE_ROOT, "%s leads out of the host root %s", rel,
				    host->root);
			return NULL;
		}
		step = hp_host_child(host, &g_array_index(steps, HpStep, steps->len - 1), comp);
		if (step.kind != HP_HOST_KIND_LINK || (g_queue_is_empty(&todo) && !follow_last)) {
			g_array_append_val(steps, step);
			continue;
		}
		target = hp_host_step_readlink(host, &step);
		if (step.fd >= 0)
			close(step.fd);
		g_free(step.name);
		if (++links > HP_HOST_MAX_LINKS || target == NULL || target[0] == '\0') {
			g_queue_clear_full(&todo, g_free);
			g_set_error(error, HP_ERROR, HP_ERROR_READ, "%s: %s", rel,
				    target == NULL || target[0] == '\0' ? "a symbolic link that cannot be read"
									: "too many levels of symbolic links");
			return NULL;
		}
		if (target[0] == '/') {
			if (!host->is_slash) {
				g_autofree gchar *shown = hp_echo(target);
				g_queue_clear_full(&todo, g_free);
				g_set_error(error, HP_ERROR, HP_ERROR_OUTSIDE_ROOT,
					    "%s is a link to %s, which is outside the host root %s", rel, shown, host->root);
				return NULL;
			}
			while (steps->len > 1)
				hp_host_pop(steps);
		}
		hp_host_queue_path(&todo, target);
	}
	return g_steal_pointer(&steps);
}

const HpStep *
hp_host_last(GArray *steps)
{
	return &g_array_index(steps, HpStep, steps->len - 1);
}

void
hp_host_set_missing(GError **error, const gchar *rel, gint err)
{
	g_set_error(error, HP_ERROR, err == ENOENT || err == ENOTDIR ? HP_ERROR_NOT_FOUND : HP_ERROR_READ, "%s: %s", rel,
		    g_strerror(err));
}

/*
 * openat2 where the kernel has it: one call that resolves @rel beneath the
 * root (or in it, for `/`) and never through a magic link. Returns a
 * descriptor, or -1 when the walk must decide (any failure: the walk says
 * why in the same words whichever way we came).
 */
static gint
hp_host_openat2(const HpHost *host, const gchar *rel, guint64 flags)
{
	static gint unavailable = 0;
	struct open_how how = {0};
	glong fd;

	if (host->no_openat2 || g_atomic_int_get(&unavailable))
		return -1;
	how.flags = flags;
	how.resolve = RESOLVE_NO_MAGICLINKS | (host->is_slash ? RESOLVE_IN_ROOT : RESOLVE_BENEATH);
	fd = syscall(SYS_openat2, host->root_fd, rel[0] == '\0' ? "." : rel, &how, sizeof(how));
	if (fd < 0 && (errno == ENOSYS || errno == EPERM))
		g_atomic_int_set(&unavailable, 1); /* an old kernel, or a seccomp filter */
	return fd < 0 ? -1 : (gint)fd;
}

static void
hp_host_set_kind_error(GError **error, const gchar *rel, HpHostKind kind, gboolean want_dir)
{
	gboolean plain = kind == HP_HOST_KIND_DIR || kind == HP_HOST_KIND_FILE;
	g_set_error(error, HP_ERROR, plain ? (want_dir ? HP_ERROR_NOT_FOUND : HP_ERROR_READ) : HP_ERROR_INVALID_DATA,
		    "%s is %s; %s", rel,
		    kind == HP_HOST_KIND_DIR    ? "a directory"
		    : kind == HP_HOST_KIND_FILE ? "a file"
						: "not a regular file or a directory (a FIFO, a device node or a socket)",
		    want_dir ? "a directory was expected" : "only regular files are read");
}

/*
 * Opens the regular file or directory @rel leads to, for reading. Only
 * these two are ever opened: the kind is checked on an O_PATH descriptor
 * first; a file is then opened O_NOFOLLOW|O_NONBLOCK|O_NOCTTY from the
 * directory descriptor it was found in, and must be the very file that
 * was checked (so a FIFO never blocks, and a device node is never read).
 */
gint
hp_host_open(const HpHost *host, const gchar *rel, gboolean want_dir, GError **error)
{
	g_autoptr(GArray_HpSteps) steps = NULL;
	g_autofree gchar *dir = g_path_get_dirname(rel);
	g_autofree gchar *base = g_path_get_basename(rel);
	HpStep last = {NULL, -1, NULL, HP_HOST_KIND_NONE, ENOENT};
	gint dirfd, fd, saved;
	gboolean owned;
	struct stat before, after;

	/* the quick way: the directory by openat2, the last part by hand */
	/* only for a plain last name: `..` or `.` there is the walk's to judge */
	dirfd = rel[0] != '\0' && strcmp(base, "..") != 0 && strcmp(base, ".") != 0 && strcmp(base, "/") != 0
			? hp_host_openat2(host, dir, O_PATH | O_DIRECTORY | O_CLOEXEC)
			: -1;
	owned = dirfd >= 0;
	if (owned) {
		HpStep parent = {NULL, dirfd, NULL, HP_HOST_KIND_DIR, 0};
		last = hp_host_child(host, &parent, base);
		if (last.kind != HP_HOST_KIND_FILE && last.kind != HP_HOST_KIND_DIR) {
			/* a link, something missing: the walk decides */
			if (last.fd >= 0)
				close(last.fd);
			g_clear_pointer(&last.name, g_free);
			close(dirfd);
			owned = FALSE;
		}
	}
	if (!owned) {
		steps = hp_host_walk(host, rel, TRUE, error);
		if (steps == NULL)
			return -1;
		last = *hp_host_last(steps);
		dirfd = steps->len >= 2 ? g_array_index(steps, HpStep, steps->len - 2).fd : -1;
		if (last.kind == HP_HOST_KIND_NONE) {
			hp_host_set_missing(error, rel, last.err);
			return -1;
		}
	}
	fd = -1;
	if (last.kind != (want_dir ? HP_HOST_KIND_DIR : HP_HOST_KIND_FILE))
		hp_host_set_kind_error(error, rel, last.kind, want_dir);
	else if (fstat(last.fd, &before) != 0)
		hp_host_set_missing(error, rel, errno);
	else if (want_dir)
		fd = openat(last.fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	else
		fd = openat(dirfd, last.name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	saved = errno;
	if (owned) {
		close(last.fd);
		g_free(last.name);
		close(dirfd);
	}
	if (fd < 0) {
		if (error != NULL && *error == NULL)
			hp_host_set_missing(error, rel, saved);
		return -1;
	}
	if (fstat(fd, &after) != 0 || after.st_dev != before.st_dev || after.st_ino != before.st_ino ||
	    !(S_ISREG(after.st_mode) || S_ISDIR(after.st_mode))) {
		close(fd);
		g_set_error(error, HP_ERROR, HP_ERROR_READ, "%s changed while it was read", rel);
		return -1;
	}
	return fd;
}

/* A snapshot's entry @rel leads to: a file's bytes or a directory. */
const HpSnapNode *
hp_host_snap_open(const HpHost *host, const gchar *rel, gboolean want_dir, GError **error)
{
	g_autoptr(GArray_HpSteps) steps = hp_host_walk(host, rel, TRUE, error);
	const HpStep *last;

	if (steps == NULL)
		return NULL;
	last = hp_host_last(steps);
	if (last->kind == HP_HOST_KIND_NONE) {
		hp_host_set_missing(error, rel, last->err);
		return NULL;
	}
	if (last->kind == HP_HOST_KIND_UNREADABLE) {
		g_set_error(error, HP_ERROR, HP_ERROR_READ, "%s could not be read when the snapshot was captured", rel);
		return NULL;
	}
	if (last->kind != (want_dir ? HP_HOST_KIND_DIR : HP_HOST_KIND_FILE)) {
		hp_host_set_kind_error(error, rel, last->kind, want_dir);
		return NULL;
	}
	return last->node;
}

