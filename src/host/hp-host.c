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
#include "hp-host.h"

#include <dirent.h>
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

struct _HpHost {
	gchar *root;       /* for messages: the real directory, or the snapshot file as given */
	gint root_fd;      /* a directory tree: an O_PATH descriptor of its root; -1 for a snapshot */
	HpSnapshot *snap;  /* a snapshot, or NULL */
	gboolean is_slash; /* the root is this machine's `/`: absolute links are followed */
	gboolean no_openat2;
	gchar *kernel_release;
	gchar *pci_ids;
};

/* One component of a walk: what it is and how to reach what is below it. */
typedef struct {
	gchar *name;            /* "" for the root */
	gint fd;                /* a tree: O_PATH descriptor, -1 when missing; the root's is not owned */
	const HpSnapNode *node; /* a snapshot: the entry, NULL when missing */
	HpHostKind kind;
	gint err;               /* when missing: why (ENOENT, EACCES, ...) */
} HpStep;

static void
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

typedef GArray GArray_HpSteps;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GArray_HpSteps, hp_steps_free)

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

static gchar *
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
static GArray *
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

static const HpStep *
hp_host_last(GArray *steps)
{
	return &g_array_index(steps, HpStep, steps->len - 1);
}

static void
hp_host_set_missing(GError **error, const gchar *rel, gint err)
{
	g_set_error(error, HP_ERROR, err == ENOENT || err == ENOTDIR ? HP_ERROR_NOT_FOUND : HP_ERROR_READ, "%s: %s", rel,
		    g_strerror(err));
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
static gint
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
	dirfd = rel[0] != '\0' ? hp_host_openat2(host, dir, O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
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
static const HpSnapNode *
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
