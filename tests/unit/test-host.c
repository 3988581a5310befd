/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "hp-test.h"

#include "hp-error.h"
#include "hp-host.h"

static gchar *root;

static void
mk(const gchar *rel, const gchar *content, gssize len)
{
	hp_test_mk(root, rel, content, len);
}

static void
ln(const gchar *rel, const gchar *target)
{
	hp_test_ln(root, rel, target);
}

static int
setup(void **state)
{
	g_autofree gchar *outside = NULL;
	root = g_dir_make_tmp("hp-host-XXXXXX", NULL);
	mk("sys/devices/pci0000:00/0000:00:01.0/vendor", "0x8086\n", -1);
	mk("sys/bus/pci/drivers/e1000e/bind", "", -1);
	ln("sys/bus/pci/devices/0000:00:01.0", "../../../devices/pci0000:00/0000:00:01.0");
	ln("sys/devices/pci0000:00/0000:00:01.0/driver", "../../../bus/pci/drivers/e1000e");
	/* links that lead out of the root */
	ln("sys/devices/pci0000:00/0000:00:01.0/up", "../../../../../../../../../../etc");
	ln("sys/devices/pci0000:00/0000:00:01.0/abs", "/etc/passwd");
	/* a loop */
	ln("sys/loop/a", "b");
	ln("sys/loop/b", "a");
	/* a file outside the root that must never be read */
	outside = g_build_filename(root, "..", "hp-outside-secret", NULL);
	return 0;
}

static int
teardown(void **state)
{
	hp_test_rm_tree(root);
	g_clear_pointer(&root, g_free);
	return 0;
}

static void
test_new(void **state)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HpHost) host = hp_host_new(root, "6.1.0", &error);
	g_autoptr(HpHost) missing = NULL;
	assert_non_null(host);
	assert_string_equal(hp_host_get_kernel_release(host), "6.1.0");
	missing = hp_host_new("/nonexistent/hp", NULL, &error);
	assert_null(missing);
	assert_true(g_error_matches(error, HP_ERROR, HP_ERROR_NOT_FOUND));
}

static void
test_resolve_inside(void **state)
{
	g_autoptr(HpHost) host = hp_host_new(root, NULL, NULL);
	g_autofree gchar *path = hp_host_resolve(host, "sys/bus/pci/devices/0000:00:01.0/vendor", NULL);
	g_autofree gchar *want = g_build_filename(hp_host_get_root(host), "sys/devices/pci0000:00/0000:00:01.0/vendor", NULL);
	g_autofree gchar *line = hp_host_read_line(host, "sys/bus/pci/devices/0000:00:01.0/vendor", NULL);
	g_autofree gchar *drv = hp_host_link_name(host, "sys/bus/pci/devices/0000:00:01.0/driver", NULL);
	assert_string_equal(path, want);
	assert_string_equal(line, "0x8086");
	assert_string_equal(drv, "e1000e");
	assert_true(hp_host_exists(host, "sys/bus/pci/devices/0000:00:01.0"));
	assert_false(hp_host_exists(host, "sys/bus/pci/devices/0000:00:02.0"));
}

static void
test_escapes_refused(void **state)
{
	g_autoptr(HpHost) host = hp_host_new(root, NULL, NULL);
	g_autoptr(GError) e1 = NULL;
	g_autoptr(GError) e2 = NULL;
	g_autoptr(GError) e3 = NULL;
	g_autoptr(GError) e4 = NULL;
	g_autofree gchar *a = hp_host_resolve(host, "sys/bus/pci/devices/0000:00:01.0/up/passwd", &e1);
	g_autofree gchar *b = hp_host_resolve(host, "sys/bus/pci/devices/0000:00:01.0/abs", &e2);
	g_autofree gchar *c = hp_host_resolve(host, "../../etc/passwd", &e3);
	g_autofree gchar *d = hp_host_link_name(host, "sys/bus/pci/devices/0000:00:01.0/abs", &e4);
	gchar *data = NULL;
	gsize len = 0;
	g_autoptr(GError) e5 = NULL;

	assert_null(a);
	assert_true(g_error_matches(e1, HP_ERROR, HP_ERROR_OUTSIDE_ROOT));
	assert_null(b);
	assert_true(g_error_matches(e2, HP_ERROR, HP_ERROR_OUTSIDE_ROOT));
	assert_null(c);
	assert_true(g_error_matches(e3, HP_ERROR, HP_ERROR_OUTSIDE_ROOT));
	assert_null(d);
	assert_true(g_error_matches(e4, HP_ERROR, HP_ERROR_OUTSIDE_ROOT));
	assert_false(hp_host_read(host, "sys/bus/pci/devices/0000:00:01.0/abs", 100, &data, &len, &e5));
	assert_null(data);
}

static void
test_loop(void **state)
{
	g_autoptr(HpHost) host = hp_host_new(root, NULL, NULL);
	g_autoptr(GError) error = NULL;
	g_autofree gchar *path = hp_host_resolve(host, "sys/loop/a/x", &error);
	assert_null(path);
	assert_non_null(strstr(error->message, "symbolic links"));
}

static void
test_slash_root(void **state)
{
	/* with / as the root, absolute links are simply inside it */
	g_autoptr(HpHost) host = hp_host_new("/", NULL, NULL);
	g_autofree gchar *link = g_build_filename(root, "sys/bus/pci/devices/0000:00:01.0/abs", NULL);
	g_autofree gchar *path = hp_host_resolve(host, link + 1, NULL);
	assert_non_null(path);
	assert_string_equal(path, "/etc/passwd");
}

static void
test_read_limits(void **state)
{
	g_autoptr(HpHost) host = hp_host_new(root, NULL, NULL);
	g_autofree gchar *data = NULL;
	g_autoptr(GError) error = NULL;
	gsize len = 0;
	mk("big", "0123456789", -1);
	assert_true(hp_host_read(host, "big", 4, &data, &len, NULL));
	assert_int_equal(len, 4);
	assert_string_equal(data, "0123");
	mk("bin", "ab", -1);
	{
		g_autofree gchar *p = g_build_filename(root, "bin", NULL);
		g_file_set_contents(p, "a\0b", 3, NULL);
	}
	assert_null(hp_host_read_line(host, "bin", &error));
	assert_true(g_error_matches(error, HP_ERROR, HP_ERROR_INVALID_DATA));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_new),
	    cmocka_unit_test(test_resolve_inside),
	    cmocka_unit_test(test_escapes_refused),
	    cmocka_unit_test(test_loop),
	    cmocka_unit_test(test_slash_root),
	    cmocka_unit_test(test_read_limits),
	};
	return cmocka_run_group_tests_name("host", tests, setup, teardown);
}
