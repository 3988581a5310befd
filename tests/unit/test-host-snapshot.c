/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A snapshot given as the host root is read by HpHost's own walk: for a
 * hostile snapshot and the same snapshot written out as a tree
 * (hp_snapshot_materialize()), every read of every path, and of paths that
 * climb out, gives the same answer both ways (the tree read with openat2
 * and with the walk). Then what only a snapshot has: its kernel release,
 * its unreadable entries, and a refusal that names its file and line.
 */
#include "hp-test.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "hp-error.h"
#include "hp-host.h"
#include "hp-snapshot.h"

static const gchar *snapshot_text =
    "hostdev-preflight-snapshot 1\n"
    "kernel-release 6.1.0-snap\n"
    "link sys/bus/pci/devices/0000:00:01.0 ../../../devices/pci0000:00/0000:00:01.0\n"
    "link sys/bus/pci/devices/0000:00:02.0 ../../../devices/pci0000:00/0000:00:02.0\n"
    "link sys/bus/pci/devices/0000:00:03.0 ../../../../../../etc\n"
    "link sys/bus/pci/devices/0000:00:04.0 /sys/devices/pci0000:00/0000:00:01.0\n"
    "file sys/devices/pci0000:00/0000:00:01.0/vendor 0x8086\\n\n"
    "hex sys/devices/pci0000:00/0000:00:01.0/config 8680d3100000\n"
    "link sys/devices/pci0000:00/0000:00:01.0/driver ../../../bus/pci/drivers/e1000e\n"
    "link sys/devices/pci0000:00/0000:00:01.0/iommu_group ../../../kernel/iommu_groups/1\n"
    "link sys/devices/pci0000:00/0000:00:01.0/up ../../../../../../../../etc/passwd\n"
    "link sys/devices/pci0000:00/0000:00:01.0/abs /etc/passwd\n"
    "link sys/devices/pci0000:00/0000:00:01.0/self .\n"
    "link sys/devices/pci0000:00/0000:00:01.0/dangling ../0000:00:09.0\n"
    "link sys/devices/pci0000:00/0000:00:02.0 0000:00:02.0\n"
    "dir sys/bus/pci/drivers/e1000e\n"
    "link sys/kernel/iommu_groups/1/devices/0000:00:01.0 ../../../../devices/pci0000:00/0000:00:01.0\n"
    "link sys/loop/a b\n"
    "link sys/loop/b a\n"
    "text proc/self/mounts\n"
    "| /dev/sda1 / ext4 rw 0 0\n"
    "| proc /proc proc rw 0 0\n"
    "file empty\n"
    "file ten 0123456789\n";

static const gchar *const paths[] = {
    "",
    "sys",
    "sys/bus/pci/devices",
    "sys/bus/pci/devices/0000:00:01.0",
    "sys/bus/pci/devices/0000:00:01.0/vendor",
    "sys/bus/pci/devices/0000:00:01.0/config",
    "sys/bus/pci/devices/0000:00:01.0/driver",
    "sys/bus/pci/devices/0000:00:01.0/iommu_group",
    "sys/bus/pci/devices/0000:00:01.0/up",
    "sys/bus/pci/devices/0000:00:01.0/abs",
    "sys/bus/pci/devices/0000:00:01.0/self/self/vendor",
    "sys/bus/pci/devices/0000:00:01.0/dangling",
    "sys/bus/pci/devices/0000:00:01.0/vendor/x",
    "sys/bus/pci/devices/0000:00:01.0/../../../../..",
    "sys/bus/pci/devices/0000:00:02.0",
    "sys/bus/pci/devices/0000:00:02.0/vendor",
    "sys/bus/pci/devices/0000:00:03.0",
    "sys/bus/pci/devices/0000:00:03.0/passwd",
    "sys/bus/pci/devices/0000:00:04.0/vendor",
    "sys/kernel/iommu_groups/1/devices",
    "sys/kernel/iommu_groups/1/devices/0000:00:01.0/vendor",
    "sys/loop/a",
    "sys/nope/x",
    "proc/self/mounts",
    "empty",
    "ten",
    "..",
    "../etc/passwd",
    "/ten",
    NULL};

static gchar *dir;
static gchar *snap_path;
static gchar *tree;

static int
setup(void **state)
{
	g_autoptr(HpSnapshot) snap = NULL;

	dir = g_dir_make_tmp("hp-test-host-snapshot-XXXXXX", NULL);
	snap_path = g_build_filename(dir, "host.snapshot", NULL);
	tree = g_build_filename(dir, "tree", NULL);
	assert_true(g_file_set_contents(snap_path, snapshot_text, -1, NULL));
	snap = hp_snapshot_load(snap_path, NULL);
	assert_non_null(snap);
	assert_int_equal(g_mkdir(tree, 0755), 0);
	assert_true(hp_snapshot_materialize(snap, tree, NULL));
	return 0;
}

static int
teardown(void **state)
{
	g_autofree gchar *cmd = g_strdup_printf("rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	g_clear_pointer(&dir, g_free);
	g_clear_pointer(&snap_path, g_free);
	g_clear_pointer(&tree, g_free);
	return 0;
}

/* Everything a reader can learn of @rel, as one line: results and error codes. */
static gchar *
answers(const HpHost *host, const gchar *rel)
{
	GString *out = g_string_new(NULL);
	g_autoptr(GError) e1 = NULL, e2 = NULL, e3 = NULL, e4 = NULL, e5 = NULL, e6 = NULL;
	g_autofree gchar *real = hp_host_resolve(host, rel, &e1);
	g_autofree gchar *target = hp_host_readlink(host, rel, &e2);
	g_autofree gchar *name = hp_host_link_name(host, rel, &e3);
	g_autoptr(GPtrArray) names = hp_host_list_dir(host, rel, &e4);
	g_autofree gchar *data = NULL;
	gsize len = 0;
	gboolean read = hp_host_read(host, rel, 4, &data, &len, &e5);
	HpHostKind kind = hp_host_get_kind(host, rel, TRUE, &e6);
	const gchar *root = hp_host_get_root(host);

	/* the real path, inside the root: relative to it */
	g_string_append_printf(out, "resolve=%s(%d) ", real == NULL ? "-" : real + strlen(root), e1 ? e1->code : -1);
	g_string_append_printf(out, "readlink=%s(%d) ", target ? target : "-", e2 ? e2->code : -1);
	g_string_append_printf(out, "link_name=%s(%d) ", name ? name : "-", e3 ? e3->code : -1);
	g_string_append_printf(out, "list=%u(%d) ", names ? names->len : 999, e4 ? e4->code : -1);
	for (guint i = 0; names != NULL && i < names->len; i++)
		g_string_append_printf(out, "%s,", (const gchar *)g_ptr_array_index(names, i));
	g_string_append_printf(out, " read=%d:%.*s(%d) ", read, (gint)len, read ? data : "", e5 ? e5->code : -1);
	g_string_append_printf(out, "kind=%d(%d) lkind=%d exists=%d", kind, e6 ? e6->code : -1,
			       hp_host_get_kind(host, rel, FALSE, NULL), hp_host_exists(host, rel));
	return g_string_free(out, FALSE);
}

static void
test_same_as_tree(void **state)
{
	g_autoptr(HpHost) snap = hp_host_new(snap_path, NULL, NULL);

	assert_non_null(snap);
	assert_true(hp_host_is_snapshot(snap));
	for (gint way = 0; way < 2; way++) {
		g_autoptr(HpHost) host = hp_host_new(tree, NULL, NULL);
		assert_non_null(host);
		assert_false(hp_host_is_snapshot(host));
		hp_host_set_use_openat2(host, way == 0);
		for (guint i = 0; paths[i] != NULL; i++) {
			g_autofree gchar *want = answers(host, paths[i]);
			g_autofree gchar *got = answers(snap, paths[i]);
			if (g_strcmp0(want, got) != 0)
				fail_msg("%s (%s):\n tree:     %s\n snapshot: %s", paths[i], way == 0 ? "openat2" : "walk", want,
					 got);
		}
	}
}

static void
test_snapshot_only(void **state)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HpHost) host = hp_host_new(snap_path, NULL, &error);
	g_autoptr(HpHost) other = hp_host_new(snap_path, "9.9", NULL);
	g_autofree gchar *bad = g_build_filename(dir, "bad.snapshot", NULL);
	g_autofree gchar *data = NULL;
	gsize len = 0;

	assert_non_null(host);
	/* the snapshot's release, unless one is given */
	assert_string_equal(hp_host_get_kernel_release(host), "6.1.0-snap");
	assert_string_equal(hp_host_get_kernel_release(other), "9.9");
	assert_true(hp_host_has_pci(host, NULL));
	/* a link out of the root: refused where it is followed, and said so */
	assert_null(hp_host_link_name(host, "sys/bus/pci/devices/0000:00:01.0/up", &error));
	assert_true(g_error_matches(error, HP_ERROR, HP_ERROR_OUTSIDE_ROOT));
	g_clear_error(&error);
	/* a file's bytes are refused past the limit, never cut */
	assert_false(hp_host_load(host, "ten", 9, &data, &len, NULL, &error));
	assert_true(g_error_matches(error, HP_ERROR, HP_ERROR_INVALID_DATA));
	g_clear_error(&error);
	assert_true(hp_host_load(host, "ten", 10, &data, &len, NULL, NULL));
	assert_int_equal(len, 10);
	g_clear_pointer(&data, g_free);
	/* an unreadable entry: present, never read */
	assert_true(g_file_set_contents(bad, "hostdev-preflight-snapshot 1\nunreadable sys/x\n", -1, NULL));
	g_clear_pointer(&host, hp_host_free);
	host = hp_host_new(bad, NULL, NULL);
	assert_non_null(host);
	assert_null(hp_host_get_kernel_release(host));
	assert_int_equal(hp_host_get_kind(host, "sys/x", TRUE, NULL), HP_HOST_KIND_OTHER);
	assert_false(hp_host_read(host, "sys/x", 64, &data, &len, &error));
	assert_true(g_error_matches(error, HP_ERROR, HP_ERROR_READ));
	assert_non_null(strstr(error->message, "could not be read when the snapshot was captured"));
	g_clear_error(&error);
	assert_null(hp_host_list_dir(host, "sys/x", &error));
	assert_true(g_error_matches(error, HP_ERROR, HP_ERROR_READ));
	g_clear_error(&error);
	assert_false(hp_host_has_pci(host, &error));
	assert_non_null(strstr(error->message, "not a snapshot of a host with PCI devices"));
	g_clear_error(&error);
	/* one that does not parse: its file and line */
	assert_true(g_file_set_contents(bad, "hostdev-preflight-snapshot 1\nfile a x\nfile a y\n", -1, NULL));
	g_clear_pointer(&host, hp_host_free);
	host = hp_host_new(bad, NULL, &error);
	assert_null(host);
	{
		g_autofree gchar *where = g_strdup_printf("%s:3:", bad);
		assert_non_null(strstr(error->message, where));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_same_as_tree),
	    cmocka_unit_test(test_snapshot_only),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
