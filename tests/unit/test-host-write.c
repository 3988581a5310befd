/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "hp-test.h"

#include <sys/stat.h>

#include "hp-error.h"
#include "hp-host-write.h"
#include "hp-host.h"
#include "hp-vfio-holders.h"

static gchar *top; /* holds root/ and outside/ */
static gchar *root;

static int
setup(void **state)
{
	g_autofree gchar *outside = NULL;
	top = g_dir_make_tmp("hp-test-write-XXXXXX", NULL);
	root = g_build_filename(top, "root", NULL);
	outside = g_build_filename(top, "outside", NULL);
	g_assert_cmpint(g_mkdir_with_parents(root, 0755), ==, 0);
	g_assert_cmpint(g_mkdir_with_parents(outside, 0755), ==, 0);
	return 0;
}

static int
teardown(void **state)
{
	const gchar *argv[] = {"rm", "-rf", top, NULL};
	g_spawn_sync(NULL, (gchar **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL, NULL);
	g_clear_pointer(&top, g_free);
	g_clear_pointer(&root, g_free);
	return 0;
}

static void
put(const gchar *rel, const gchar *text)
{
	g_autofree gchar *path = g_build_filename(root, rel, NULL);
	g_autofree gchar *dir = g_path_get_dirname(path);
	g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
	g_assert_true(g_file_set_contents(path, text, -1, NULL));
}

static gchar *
get(const gchar *path)
{
	gchar *text = NULL;
	g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
	return text;
}

static void
link_at(const gchar *target, const gchar *rel)
{
	g_autofree gchar *path = g_build_filename(root, rel, NULL);
	g_autofree gchar *dir = g_path_get_dirname(path);
	g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
	g_assert_cmpint(symlink(target, path), ==, 0);
}

static void
test_write(void **state)
{
	g_autoptr(HpHost) host = hp_host_new(root, NULL, NULL);
	g_autoptr(GError) error = NULL;
	g_autofree gchar *path = g_build_filename(root, "sys/bus/pci/devices/0000:01:00.0/driver_override", NULL);
	g_autofree gchar *text = NULL;
	g_autofree gchar *cleared = NULL;

	put("sys/bus/pci/devices/0000:01:00.0/driver_override", "(null)\n");
	g_assert_true(hp_host_write(host, "sys/bus/pci/devices/0000:01:00.0/driver_override", "vfio-pci", &error));
	g_assert_no_error(error);
	text = get(path);
	g_assert_cmpstr(text, ==, "vfio-pci\n");
	/* the empty value clears an override, as the kernel takes "\n" */
	g_assert_true(hp_host_write(host, "sys/bus/pci/devices/0000:01:00.0/driver_override", "", &error));
	cleared = get(path);
	g_assert_cmpstr(cleared, ==, "\n");
	/* a missing attribute is not created */
	g_assert_false(hp_host_write(host, "sys/bus/pci/devices/0000:01:00.0/remove", "1", &error));
	g_assert_error(error, HP_ERROR, HP_ERROR_NOT_FOUND);
}

/* Never through a link, never out of the root, never anything but a regular file. */
static void
test_write_confined(void **state)
{
	g_autoptr(HpHost) host = hp_host_new(root, NULL, NULL);
	g_autofree gchar *victim = g_build_filename(top, "outside", "victim", NULL);
	g_autofree gchar *outdir = g_build_filename(top, "outside", NULL);
	g_autofree gchar *fifo = g_build_filename(root, "sys", "fifo", NULL);
	g_autofree gchar *after = NULL;

	g_assert_true(g_file_set_contents(victim, "untouched\n", -1, NULL));
	link_at(victim, "sys/bus/pci/drivers_probe");
	link_at(outdir, "sys/out");
	link_at("../../../outside", "sys/bus/up");
	g_assert_cmpint(mkfifo(fifo, 0600), ==, 0);
	{
		g_autoptr(GError) error = NULL;
		g_assert_false(hp_host_write(host, "sys/bus/pci/drivers_probe", "0000:01:00.0", &error));
		g_assert_error(error, HP_ERROR, HP_ERROR_INVALID_DATA);
	}
	{
		g_autoptr(GError) error = NULL;
		g_assert_false(hp_host_write(host, "sys/out/victim", "x", &error));
		g_assert_nonnull(error);
	}
	{
		g_autoptr(GError) error = NULL;
		g_assert_false(hp_host_write(host, "sys/bus/up/victim", "x", &error));
		g_assert_nonnull(error);
	}
	{
		g_autoptr(GError) error = NULL;
		g_assert_false(hp_host_write(host, "sys/fifo", "x", &error));
		g_assert_error(error, HP_ERROR, HP_ERROR_INVALID_DATA);
	}
	{
		g_autoptr(GError) error = NULL;
		g_assert_false(hp_host_write(host, "sys/..", "x", &error));
		g_assert_nonnull(error);
	}
	after = get(victim);
	g_assert_cmpstr(after, ==, "untouched\n");
}

/* proc/PID/fd links read as written, and the holders of a group found by them. */
static void
test_holders(void **state)
{
	g_autoptr(HpHost) host = hp_host_new(root, NULL, NULL);
	g_autoptr(GArray) groups = g_array_new(FALSE, FALSE, sizeof(gint));
	g_autoptr(GPtrArray) none = NULL, found = NULL;
	g_autofree gchar *target = NULL;
	gint g = 17;

	link_at("/dev/vfio/17", "proc/42/fd/7");
	link_at("/dev/vfio/170", "proc/43/fd/3");
	link_at("/dev/vfio/17x", "proc/44/fd/3");
	link_at("/dev/vfio/17", "proc/self/fd/1"); /* not a process number */
	put("proc/42/comm", "qemu-kvm\n");
	target = hp_host_read_link(host, "proc/42/fd/7", NULL);
	g_assert_cmpstr(target, ==, "/dev/vfio/17");

	none = hp_vfio_holders(host, groups);
	g_assert_cmpuint(none->len, ==, 0);
	g_array_append_val(groups, g);
	found = hp_vfio_holders(host, groups);
	g_assert_cmpuint(found->len, ==, 1);
	g_assert_cmpstr(g_ptr_array_index(found, 0), ==, "/dev/vfio/17 is open in process 42 (qemu-kvm)");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_write, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_write_confined, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_holders, setup, teardown),
	};
	return cmocka_run_group_tests_name("host-write", tests, NULL, NULL);
}
