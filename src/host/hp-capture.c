/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Walks a host and records, in a snapshot, what the host rules and the plan
 * read (SPEC section 9), and nothing else. Paths under sys/ are walked
 * component by component and every link on the way is recorded with its
 * target, so the snapshot resolves as the tree does. proc/ and lib/ files
 * are recorded at the path they are asked for (on a live system proc/self
 * names the reading process, and lib is often a link to usr/lib: neither
 * belongs in a snapshot).
 */
#include "hp-capture.h"

#include <errno.h>
#include <string.h>

#include "hp-error.h"

#define HP_CAPTURE_MAX_LINKS 40

typedef struct {
	const HpHost *host;
	HpSnapshot *snap;
	GPtrArray *warnings;
	GError *error; /* the first error that stops the capture */
	GPtrArray *device_dirs; /* where the PCI devices really are */
} HpCapture;

static void G_GNUC_PRINTF(2, 3)
hp_capture_warn(HpCapture *cap, const gchar *fmt, ...)
{
	va_list args;
	va_start(args, fmt);
	g_ptr_array_add(cap->warnings, g_strdup_vprintf(fmt, args));
	va_end(args);
}

/* Records the result of an add; the first failure stops the capture. */
static void
hp_capture_check(HpCapture *cap, gboolean ok, GError *error)
{
	if (!ok && cap->error == NULL)
		cap->error = error;
	else if (error != NULL)
		g_error_free(error);
}

static void
hp_capture_unreadable(HpCapture *cap, const gchar *rel, const gchar *why)
{
	GError *error = NULL;
	hp_capture_warn(cap, "%s: %s; recorded as unreadable", rel, why);
	hp_capture_check(cap, hp_snapshot_add_unreadable(cap->snap, rel, &error), error);
}

/* A path HpHost returned, made relative to the root again. */
static gchar *
hp_capture_rel(HpCapture *cap, const gchar *abs)
{
	const gchar *root = hp_host_get_root(cap->host);
	gsize n = g_strcmp0(root, "/") == 0 ? 0 : strlen(root);
	if (strncmp(abs, root, n) != 0 || abs[n] != '/')
		return NULL;
	return g_strdup(abs + n + 1);
}

/* Reads a regular file (at most @max bytes, or refuses it when @cut is
 * FALSE and it holds more) and records it. */
static void
hp_capture_file(HpCapture *cap, const gchar *rel, const gchar *at, gsize max, gboolean cut)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *data = NULL;
	GError *add_error = NULL;
	gsize len = 0;

	if (!hp_host_read(cap->host, rel, cut ? max : max + 1, &data, &len, &error)) {
		if (!g_error_matches(error, HP_ERROR, HP_ERROR_NOT_FOUND))
			hp_capture_unreadable(cap, at, error->message);
		return;
	}
	if (len > max) {
		g_autofree gchar *why = g_strdup_printf("larger than %" G_GSIZE_FORMAT " bytes", max);
		hp_capture_unreadable(cap, at, why);
		return;
	}
	hp_capture_check(cap, hp_snapshot_add_file(cap->snap, at, data, len, &add_error), add_error);
}

/* Pushes the components of @path onto the front of the work queue. */
static void
hp_capture_queue_path(GQueue *todo, const gchar *path)
{
	g_auto(GStrv) comps = g_strsplit(path, "/", -1);
	for (gint i = (gint)g_strv_length(comps) - 1; i >= 0; i--) {
		if (comps[i][0] != '\0' && strcmp(comps[i], ".") != 0)
			g_queue_push_head(todo, g_strdup(comps[i]));
	}
}

/*
 * Resolves @rel as HpHost does, recording every directory and link on the
 * way and what it leads to (a directory, a file's first @max bytes, or an
 * unreadable entry). A link that leads out of the root or loops is recorded
 * and not followed: the snapshot refuses it in the same place.
 *
 * Returns: (transfer full) (nullable): where @rel really is, when it exists.
 */
static gchar *
hp_capture_walk(HpCapture *cap, const gchar *rel, gsize max, gboolean cut)
{
	g_autoptr(GPtrArray) done = g_ptr_array_new_with_free_func(g_free);
	GQueue todo = G_QUEUE_INIT;
	guint links = 0;
	gboolean lost = FALSE;

	hp_capture_queue_path(&todo, rel);
	while (!g_queue_is_empty(&todo) && cap->error == NULL) {
		g_autofree gchar *comp = g_queue_pop_head(&todo);
		g_autofree gchar *path = NULL;
		g_autofree gchar *target = NULL;
		GError *error = NULL;
		HpHostKind kind;

		if (strcmp(comp, "..") == 0) {
			if (done->len == 0) {
				lost = TRUE; /* out of the root */
				break;
			}
			g_ptr_array_remove_index(done, done->len - 1);
			continue;
		}
		g_ptr_array_add(done, g_steal_pointer(&comp));
		g_ptr_array_add(done, NULL);
		path = g_strjoinv("/", (gchar **)done->pdata);
		g_ptr_array_remove_index(done, done->len - 1);
		kind = hp_host_get_kind(cap->host, path, FALSE, NULL);
		if (kind == HP_HOST_KIND_NONE) {
			lost = TRUE; /* missing: nothing more to record */
			break;
		}
		if (kind == HP_HOST_KIND_DIR) {
			hp_capture_check(cap, hp_snapshot_add_dir(cap->snap, path, &error), error);
			continue;
		}
		if (kind == HP_HOST_KIND_LINK) {
			target = hp_host_readlink(cap->host, path, NULL);
			if (target == NULL || target[0] == '\0') {
				hp_capture_unreadable(cap, path, "a link that cannot be read");
				lost = TRUE;
				break;
			}
			hp_capture_check(cap, hp_snapshot_add_link(cap->snap, path, target, &error), error);
			if (++links > HP_CAPTURE_MAX_LINKS || target[0] == '/') {
				lost = TRUE; /* a loop, or out of the root: the snapshot refuses it too */
				break;
			}
			g_ptr_array_remove_index(done, done->len - 1);
			hp_capture_queue_path(&todo, target);
			continue;
		}
		if (!g_queue_is_empty(&todo)) {
			lost = TRUE; /* a file where a directory should be */
			break;
		}
		if (kind == HP_HOST_KIND_FILE)
			hp_capture_file(cap, path, path, max, cut);
		else
			hp_capture_unreadable(cap, path, "not a regular file");
		return g_steal_pointer(&path);
	}
	if (lost || cap->error != NULL) {
		g_queue_clear_full(&todo, g_free);
		return NULL;
	}
	g_ptr_array_add(done, NULL);
	return g_strjoinv("/", (gchar **)done->pdata);
}

static void
hp_capture_walk_attr(HpCapture *cap, const gchar *dir, const gchar *name)
{
	g_autofree gchar *rel = g_strconcat(dir, "/", name, NULL);
	g_free(hp_capture_walk(cap, rel, HP_SNAPSHOT_MAX_FILE, FALSE));
}

/* Records @rel and, when it is a directory, each entry in it whose name
 * starts with @prefix. Returns: (transfer full) (nullable): where it is. */
static gchar *
hp_capture_walk_list(HpCapture *cap, const gchar *rel, const gchar *prefix)
{
	g_autofree gchar *real = hp_capture_walk(cap, rel, HP_SNAPSHOT_MAX_FILE, FALSE);
	g_autoptr(GPtrArray) names = NULL;
	g_autoptr(GError) error = NULL;

	if (real == NULL || hp_snapshot_lookup(cap->snap, real) != HP_SNAPSHOT_DIR)
		return NULL;
	names = hp_host_list_dir(cap->host, real, &error);
	if (names == NULL) {
		hp_capture_warn(cap, "%s: %s; its entries are not recorded", real, error->message);
		return g_steal_pointer(&real);
	}
	for (guint i = 0; i < names->len && cap->error == NULL; i++) {
		if (prefix == NULL || g_str_has_prefix(g_ptr_array_index(names, i), prefix))
			hp_capture_walk_attr(cap, real, g_ptr_array_index(names, i));
	}
	return g_steal_pointer(&real);
}

static void
hp_capture_walk_list_at(HpCapture *cap, const gchar *dir, const gchar *name)
{
	g_autofree gchar *rel = g_strconcat(dir, "/", name, NULL);
	g_free(hp_capture_walk_list(cap, rel, NULL));
}

static void
hp_capture_device(HpCapture *cap, const gchar *name)
{
	const gchar *const attrs[] = {"vendor",		"device",	"subsystem_vendor", "subsystem_device",
				      "class",		"revision",	"modalias",	    "driver_override",
				      "reset_method",	"boot_vga",	"sriov_totalvfs",   "sriov_numvfs",
				      "driver",		"iommu_group",	"physfn",	    NULL};
	g_autofree gchar *rel = g_strconcat("sys/bus/pci/devices/", name, NULL);
	g_autofree gchar *dir = hp_capture_walk(cap, rel, HP_SNAPSHOT_MAX_FILE, FALSE);
	g_autofree gchar *config = NULL;
	g_autofree gchar *real = NULL;
	g_autofree gchar *vfio = NULL;
	g_autofree gchar *net = NULL;
	g_autoptr(GPtrArray) names = NULL;

	if (dir == NULL || hp_snapshot_lookup(cap->snap, dir) != HP_SNAPSHOT_DIR)
		return;
	g_ptr_array_add(cap->device_dirs, g_strdup(dir));
	for (guint i = 0; attrs[i] != NULL; i++)
		hp_capture_walk_attr(cap, dir, attrs[i]);
	config = g_strconcat(dir, "/config", NULL);
	real = hp_capture_walk(cap, config, HP_CAPTURE_CONFIG_BYTES, TRUE);
	names = hp_host_list_dir(cap->host, dir, NULL);
	for (guint i = 0; names != NULL && i < names->len; i++) {
		if (g_str_has_prefix(g_ptr_array_index(names, i), "virtfn"))
			hp_capture_walk_attr(cap, dir, g_ptr_array_index(names, i));
	}
	vfio = g_strconcat(dir, "/vfio-dev", NULL);
	g_free(hp_capture_walk_list(cap, vfio, NULL));
	net = g_strconcat(dir, "/net", NULL);
	g_free(hp_capture_walk_list(cap, net, NULL));
}

/* A module's PCI drivers: sys/module/M/drivers/pci:D. */
static void
hp_capture_module(HpCapture *cap, const gchar *module_dir)
{
	g_autofree gchar *drivers = g_strconcat(module_dir, "/drivers", NULL);
	g_free(hp_capture_walk_list(cap, drivers, "pci:"));
}

static void
hp_capture_drivers(HpCapture *cap)
{
	g_autoptr(GPtrArray) names = NULL;
	g_autofree gchar *dir = hp_capture_walk_list(cap, "sys/bus/pci/drivers", NULL);

	if (dir == NULL)
		return;
	names = hp_host_list_dir(cap->host, dir, NULL);
	for (guint i = 0; names != NULL && i < names->len && cap->error == NULL; i++) {
		g_autofree gchar *rel = g_strdup_printf("%s/%s/module", dir, (const gchar *)g_ptr_array_index(names, i));
		g_autofree gchar *module = hp_capture_walk(cap, rel, HP_SNAPSHOT_MAX_FILE, FALSE);
		if (module != NULL && hp_snapshot_lookup(cap->snap, module) == HP_SNAPSHOT_DIR)
			hp_capture_module(cap, module);
	}
}

static void
hp_capture_groups(HpCapture *cap)
{
	g_autoptr(GPtrArray) names = NULL;
	g_autofree gchar *dir = hp_capture_walk_list(cap, "sys/kernel/iommu_groups", NULL);

	if (dir == NULL)
		return;
	names = hp_host_list_dir(cap->host, dir, NULL);
	for (guint i = 0; names != NULL && i < names->len && cap->error == NULL; i++) {
		g_autofree gchar *rel = g_strdup_printf("%s/%s/devices", dir, (const gchar *)g_ptr_array_index(names, i));
		g_free(hp_capture_walk_list(cap, rel, NULL));
	}
}

/* Every block device: its dev number, its partitions, its slaves (the
 * disks below a device-mapper or md device) and holders. */
static void
hp_capture_block(HpCapture *cap)
{
	g_autoptr(GPtrArray) names = NULL;
	g_autofree gchar *dir = hp_capture_walk(cap, "sys/block", HP_SNAPSHOT_MAX_FILE, FALSE);

	if (dir == NULL || hp_snapshot_lookup(cap->snap, dir) != HP_SNAPSHOT_DIR)
		return;
	names = hp_host_list_dir(cap->host, dir, NULL);
	for (guint i = 0; names != NULL && i < names->len && cap->error == NULL; i++) {
		g_autofree gchar *rel = g_strdup_printf("%s/%s", dir, (const gchar *)g_ptr_array_index(names, i));
		g_autofree gchar *disk = hp_capture_walk(cap, rel, HP_SNAPSHOT_MAX_FILE, FALSE);
		g_autofree gchar *slaves = NULL;
		g_autoptr(GPtrArray) parts = NULL;

		if (disk == NULL || hp_snapshot_lookup(cap->snap, disk) != HP_SNAPSHOT_DIR)
			continue;
		hp_capture_walk_attr(cap, disk, "dev");
		slaves = g_strconcat(disk, "/slaves", NULL);
		g_free(hp_capture_walk_list(cap, slaves, NULL));
		/* what host-device-in-use also reads: the other side of slaves, a
		 * device-mapper name (/dev/mapper/NAME in proc/self/mounts), the
		 * paths of an NVMe multipath disk */
		hp_capture_walk_list_at(cap, disk, "holders");
		hp_capture_walk_list_at(cap, disk, "multipath");
		hp_capture_walk_attr(cap, disk, "dm/name");
		parts = hp_host_list_dir(cap->host, disk, NULL);
		for (guint j = 0; parts != NULL && j < parts->len; j++) {
			g_autofree gchar *part = g_strdup_printf("%s/%s", disk, (const gchar *)g_ptr_array_index(parts, j));
			g_autofree gchar *marker = g_strconcat(part, "/partition", NULL);
			if (hp_host_get_kind(cap->host, part, FALSE, NULL) != HP_HOST_KIND_DIR ||
			    hp_host_get_kind(cap->host, marker, FALSE, NULL) == HP_HOST_KIND_NONE)
				continue;
			hp_capture_walk_attr(cap, part, "partition");
			hp_capture_walk_attr(cap, part, "dev");
		}
	}
}

/* The network interfaces of PCI devices, at any depth below them (a
 * virtio-net interface sits below virtioN/), for the default routes. */
static void
hp_capture_net(HpCapture *cap)
{
	g_autoptr(GPtrArray) names = hp_host_list_dir(cap->host, "sys/class/net", NULL);

	for (guint i = 0; names != NULL && i < names->len && cap->error == NULL; i++) {
		g_autofree gchar *rel = g_strdup_printf("sys/class/net/%s", (const gchar *)g_ptr_array_index(names, i));
		g_autofree gchar *abs = hp_host_resolve(cap->host, rel, NULL);
		g_autofree gchar *real = abs != NULL ? hp_capture_rel(cap, abs) : NULL;
		gboolean on_pci = FALSE;

		for (guint j = 0; real != NULL && j < cap->device_dirs->len; j++) {
			const gchar *dev = g_ptr_array_index(cap->device_dirs, j);
			if (g_str_has_prefix(real, dev) && real[strlen(dev)] == '/')
				on_pci = TRUE;
		}
		if (!on_pci)
			continue;
		g_free(hp_capture_walk(cap, rel, HP_SNAPSHOT_MAX_FILE, FALSE));
		hp_capture_walk_attr(cap, rel, "device");
	}
}

/* A file recorded where it was asked for; only a regular file is read. */
static void
hp_capture_logical(HpCapture *cap, const gchar *rel, gsize max)
{
	g_autoptr(GError) error = NULL;
	HpHostKind kind = hp_host_get_kind(cap->host, rel, TRUE, &error);

	if (error != NULL) {
		hp_capture_unreadable(cap, rel, error->message);
		return;
	}
	if (kind == HP_HOST_KIND_NONE)
		return;
	if (kind != HP_HOST_KIND_FILE) {
		hp_capture_unreadable(cap, rel, "not a regular file");
		return;
	}
	hp_capture_file(cap, rel, rel, max, FALSE);
}

/* The `alias vfio_pci:PATTERN MODULE` lines, as hp-modalias.c reads them;
 * other lines are left out (and so are lines no reader would take). */
static void
hp_capture_modules_alias(HpCapture *cap)
{
	const gchar *release = hp_host_get_kernel_release(cap->host);
	g_autofree gchar *rel = NULL;
	g_autofree gchar *data = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GString) kept = g_string_new(NULL);
	g_autoptr(GHashTable) modules = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	GError *add_error = NULL;
	HpHostKind kind;
	gsize len = 0, pos = 0;

	if (release == NULL || !hp_snapshot_set_kernel_release(cap->snap, release, &error))
		return;
	rel = g_strdup_printf("lib/modules/%s/modules.alias", release);
	kind = hp_host_get_kind(cap->host, rel, TRUE, NULL);
	if (kind == HP_HOST_KIND_NONE)
		return;
	if (kind != HP_HOST_KIND_FILE) {
		hp_capture_unreadable(cap, rel, "not a regular file");
		return;
	}
	if (!hp_host_read(cap->host, rel, HP_SNAPSHOT_MAX_ALIAS + 1, &data, &len, &error) || len > HP_SNAPSHOT_MAX_ALIAS) {
		hp_capture_unreadable(cap, rel, error != NULL ? error->message : "larger than 64 MiB");
		return;
	}
	while (pos < len) {
		const gchar *line = data + pos;
		const gchar *nl = memchr(line, '\n', len - pos);
		gsize llen = nl != NULL ? (gsize)(nl - line) + 1 : len - pos;
		g_autofree gchar *copy = g_strndup(line, llen);
		g_auto(GStrv) words = NULL;

		pos += llen;
		if (strlen(copy) != llen || !g_utf8_validate(copy, -1, NULL))
			continue;
		words = g_strsplit_set(g_strstrip(copy), " \t", -1);
		if (g_strcmp0(words[0], "alias") != 0)
			continue;
		for (guint i = 1; words[i] != NULL; i++) {
			if (words[i][0] == '\0')
				continue;
			if (!g_str_has_prefix(words[i], "vfio_pci:"))
				break;
			g_string_append_len(kept, line, (gssize)llen);
			for (guint j = i + 1; words[j] != NULL; j++) {
				if (words[j][0] != '\0') {
					gchar *module = g_strdup(words[j]);
					g_strdelimit(module, "-", '_');
					g_hash_table_add(modules, module);
					break;
				}
			}
			break;
		}
	}
	hp_capture_check(cap, hp_snapshot_add_file(cap->snap, rel, kept->str, kept->len, &add_error), add_error);
	/* whether those modules are loaded, and their drivers */
	{
		g_autoptr(GList) keys = g_list_sort(g_hash_table_get_keys(modules), (GCompareFunc)strcmp);
		for (GList *l = keys; l != NULL && cap->error == NULL; l = l->next) {
			g_autofree gchar *mrel = g_strdup_printf("sys/module/%s", (const gchar *)l->data);
			g_autofree gchar *mdir = NULL;
			if (strchr(l->data, '/') != NULL || ((const gchar *)l->data)[0] == '.')
				continue;
			mdir = hp_capture_walk(cap, mrel, HP_SNAPSHOT_MAX_FILE, FALSE);
			if (mdir != NULL && hp_snapshot_lookup(cap->snap, mdir) == HP_SNAPSHOT_DIR)
				hp_capture_module(cap, mdir);
		}
	}
}

/**
 * hp_capture_host:
 * @host: the host to read (`/`, or a copy of a host's tree)
 * @ret_warnings: (out) (transfer full) (element-type utf8): what could not be
 *   read, each recorded as an unreadable entry
 *
 * Reads what SPEC section 9 lists, through @host: every PCI device's
 * attributes, links and config header, the PCI drivers and their modules,
 * the IOMMU groups, the `vfio_pci:` lines of modules.alias, proc/cmdline,
 * the mounts, swaps and default routes, the block devices and the network
 * interfaces of PCI devices. Needs no privilege.
 *
 * Returns: (transfer full) (nullable): the snapshot, or %NULL with @error
 * when the host changed under the capture (a thing read twice differently).
 */
HpSnapshot *
hp_capture_host(const HpHost *host, GPtrArray **ret_warnings, GError **error)
{
	g_autoptr(HpSnapshot) snap = hp_snapshot_new();
	g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) device_dirs = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) names = NULL;
	g_autofree gchar *devices = NULL;
	HpCapture cap = {.host = host, .snap = snap, .warnings = warnings, .device_dirs = device_dirs};
	const gchar *const proc[] = {"proc/cmdline", "proc/self/mountinfo", "proc/self/mounts", "proc/swaps",
				     "proc/net/route", "proc/net/ipv6_route", NULL};

	devices = hp_capture_walk(&cap, "sys/bus/pci/devices", HP_SNAPSHOT_MAX_FILE, FALSE);
	names = devices != NULL ? hp_host_list_dir(host, devices, NULL) : NULL;
	if (names == NULL)
		hp_capture_warn(&cap, "sys/bus/pci/devices: no PCI devices here (a container, or not a host's tree?)");
	for (guint i = 0; names != NULL && i < names->len && cap.error == NULL; i++)
		hp_capture_device(&cap, g_ptr_array_index(names, i));
	hp_capture_drivers(&cap);
	hp_capture_groups(&cap);
	hp_capture_modules_alias(&cap);
	hp_capture_block(&cap);
	hp_capture_net(&cap);
	for (guint i = 0; proc[i] != NULL && cap.error == NULL; i++)
		hp_capture_logical(&cap, proc[i], HP_SNAPSHOT_MAX_FILE);
	/* proc/mounts only stands in for a missing proc/self/mounts (on a live
	 * system it is a link to it) */
	if (hp_snapshot_lookup(snap, "proc/self/mounts") == HP_SNAPSHOT_NONE && cap.error == NULL)
		hp_capture_logical(&cap, "proc/mounts", HP_SNAPSHOT_MAX_FILE);
	if (cap.error != NULL) {
		g_propagate_error(error, cap.error);
		return NULL;
	}
	if (ret_warnings != NULL)
		*ret_warnings = g_steal_pointer(&warnings);
	return g_steal_pointer(&snap);
}
