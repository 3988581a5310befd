/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "hp-test-host.h"

#include <sys/stat.h>

#include "hp-error.h"
#include "hp-host.h"
#include "hp-modalias.h"

static gchar *root;

static HpHost *
host_way(gint way)
{
	HpHost *host = hp_host_new(root, "6.1.0", NULL);
	hp_host_set_use_openat2(host, way == 0);
	return host;
}

/* Every reader runs both ways: openat2, and the walk a kernel without it takes. */
#define FOR_BOTH_WAYS(host)                    \
	for (gint way_ = 0; way_ < 2; way_++) \
		for (HpHost *host = host_way(way_); host != NULL; hp_host_free(host), host = NULL)

static const gchar *desc =
    "release 6.1.0\n"
    "driver e1000e\n"
    "device 0000:00:01.0 vendor=8086 device=10d3 driver=e1000e group=1\n"
    /* links that lead out of the root */
    "link sys/devices/pci0000:00/0000:00:01.0/up ../../../../../../../../../../etc\n"
    "link sys/devices/pci0000:00/0000:00:01.0/abs /etc/passwd\n"
    /* a loop */
    "link sys/loop/a b\n"
    "link sys/loop/b a\n"
    /* what is never read: a FIFO, files over their limits, binary data */
    "fifo sys/devices/pci0000:00/0000:00:01.0/fifo\n"
    "sparse big 1025K\n"
    "sparse lib/modules/6.1.0/modules.alias 65M\n"
    "file bin a\\x00b\n"
    "file ten 0123456789\n";

static int
setup(void **state)
{
	root = hp_test_host_build(NULL, desc);
	return 0;
}

static int
teardown(void **state)
{
	g_clear_pointer(&root, hp_test_host_free);
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
	FOR_BOTH_WAYS(host)
	{
		g_autofree gchar *path = hp_host_resolve(host, "sys/bus/pci/devices/0000:00:01.0/vendor", NULL);
		g_autofree gchar *want = g_build_filename(hp_host_get_root(host), "sys/devices/pci0000:00/0000:00:01.0/vendor", NULL);
		g_autofree gchar *line = hp_host_read_line(host, "sys/bus/pci/devices/0000:00:01.0/vendor", NULL);
		g_autofree gchar *drv = hp_host_link_name(host, "sys/bus/pci/devices/0000:00:01.0/driver", NULL);
		g_autofree gchar *group = hp_host_link_name(host, "sys/bus/pci/devices/0000:00:01.0/iommu_group", NULL);
		g_autoptr(GPtrArray) names = hp_host_list_dir(host, "sys/bus/pci/devices", NULL);
		assert_string_equal(path, want);
		assert_string_equal(line, "0x8086");
		assert_string_equal(drv, "e1000e");
		assert_string_equal(group, "1");
		assert_int_equal(names->len, 1);
		assert_string_equal(g_ptr_array_index(names, 0), "0000:00:01.0");
		assert_true(hp_host_exists(host, "sys/bus/pci/devices/0000:00:01.0"));
		assert_false(hp_host_exists(host, "sys/bus/pci/devices/0000:00:02.0"));
	}
}

static void
test_escapes_refused(void **state)
{
	FOR_BOTH_WAYS(host)
	{
		g_autoptr(GError) e1 = NULL;
		g_autoptr(GError) e2 = NULL;
		g_autoptr(GError) e3 = NULL;
		g_autoptr(GError) e4 = NULL;
		g_autoptr(GError) e5 = NULL;
		g_autofree gchar *a = hp_host_resolve(host, "sys/bus/pci/devices/0000:00:01.0/up/passwd", &e1);
		g_autofree gchar *b = hp_host_resolve(host, "sys/bus/pci/devices/0000:00:01.0/abs", &e2);
		g_autofree gchar *c = hp_host_resolve(host, "../../etc/passwd", &e3);
		g_autofree gchar *d = hp_host_link_name(host, "sys/bus/pci/devices/0000:00:01.0/abs", &e4);
		gchar *data = NULL;
		gsize len = 0;

		assert_null(a);
		assert_true(g_error_matches(e1, HP_ERROR, HP_ERROR_OUTSIDE_ROOT));
		assert_null(b);
		assert_true(g_error_matches(e2, HP_ERROR, HP_ERROR_OUTSIDE_ROOT));
		assert_non_null(strstr(e2->message, "outside the host root"));
		assert_null(c);
		assert_true(g_error_matches(e3, HP_ERROR, HP_ERROR_OUTSIDE_ROOT));
		assert_null(d);
		assert_true(g_error_matches(e4, HP_ERROR, HP_ERROR_OUTSIDE_ROOT));
		assert_false(hp_host_read(host, "sys/bus/pci/devices/0000:00:01.0/abs", 100, &data, &len, &e5));
		assert_true(g_error_matches(e5, HP_ERROR, HP_ERROR_OUTSIDE_ROOT));
		assert_null(data);
		assert_false(hp_host_exists(host, "sys/bus/pci/devices/0000:00:01.0/up"));
		assert_null(hp_host_list_dir(host, "sys/bus/pci/devices/0000:00:01.0/up", NULL));
	}
}

static void
test_loop(void **state)
{
	FOR_BOTH_WAYS(host)
	{
		g_autoptr(GError) error = NULL;
		g_autoptr(GError) e2 = NULL;
		g_autofree gchar *path = hp_host_resolve(host, "sys/loop/a/x", &error);
		g_autofree gchar *line = hp_host_read_line(host, "sys/loop/a", &e2);
		assert_null(path);
		assert_non_null(strstr(error->message, "symbolic links"));
		assert_null(line);
		assert_non_null(strstr(e2->message, "symbolic links"));
	}
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
	assert_true(hp_host_exists(host, link + 1));
}

static void
test_limits(void **state)
{
	FOR_BOTH_WAYS(host)
	{
		g_autofree gchar *data = NULL;
		g_autofree gchar *line = NULL;
		g_autoptr(GError) e1 = NULL;
		g_autoptr(GError) e2 = NULL;
		g_autoptr(GError) e3 = NULL;
		g_autoptr(GError) e4 = NULL;
		g_autoptr(HpModAlias) ma = NULL;
		gchar *big = NULL;
		gsize len = 0;

		/* the head of a file, when only the head is wanted */
		assert_true(hp_host_read(host, "ten", 4, &data, &len, NULL));
		assert_int_equal(len, 4);
		assert_string_equal(data, "0123");
		/* a file to be parsed whole: refused over its limit, never cut */
		assert_false(hp_host_load(host, "big", HP_HOST_FILE_MAX, &big, &len, NULL, &e1));
		assert_true(g_error_matches(e1, HP_ERROR, HP_ERROR_INVALID_DATA));
		assert_non_null(strstr(e1->message, "over 1 MiB"));
		assert_null(big);
		line = hp_host_read_line(host, "big", &e2);
		assert_null(line);
		assert_true(g_error_matches(e2, HP_ERROR, HP_ERROR_INVALID_DATA));
		/* modules.alias over 64 MiB: refused, not parsed in part */
		ma = hp_modalias_load(host, NULL, &e3);
		assert_null(ma);
		assert_true(g_error_matches(e3, HP_ERROR, HP_ERROR_INVALID_DATA));
		assert_non_null(strstr(e3->message, "over 64 MiB"));
		assert_null(hp_host_read_line(host, "bin", &e4));
		assert_true(g_error_matches(e4, HP_ERROR, HP_ERROR_INVALID_DATA));
	}
}

/* A FIFO or a device is refused before it is opened for reading: no hang
 * (a FIFO with no writer), no read of /dev/zero. */
static void
test_special_files(void **state)
{
	g_autoptr(HpHost) slash = hp_host_new("/", NULL, NULL);

	FOR_BOTH_WAYS(host)
	{
		g_autoptr(GError) e1 = NULL;
		g_autoptr(GError) e2 = NULL;
		gchar *data = NULL;
		gsize len = 0;
		assert_false(hp_host_read(host, "sys/bus/pci/devices/0000:00:01.0/fifo", 64, &data, &len, &e1));
		assert_true(g_error_matches(e1, HP_ERROR, HP_ERROR_INVALID_DATA));
		assert_non_null(strstr(e1->message, "is a FIFO"));
		assert_null(hp_host_read_line(host, "sys/bus/pci/devices/0000:00:01.0/fifo", &e2));
		assert_true(g_error_matches(e2, HP_ERROR, HP_ERROR_INVALID_DATA));
	}
	for (gint way = 0; way < 2; way++) {
		g_autoptr(GError) e1 = NULL;
		g_autoptr(GError) e2 = NULL;
		gchar *data = NULL;
		gsize len = 0;
		hp_host_set_use_openat2(slash, way == 0);
		assert_false(hp_host_read(slash, "dev/zero", 64, &data, &len, &e1));
		assert_true(g_error_matches(e1, HP_ERROR, HP_ERROR_INVALID_DATA));
		assert_non_null(strstr(e1->message, "character device"));
		assert_false(hp_host_read(slash, "dev/null", 64, &data, &len, &e2));
		assert_null(data);
	}
}

static void
test_has_pci(void **state)
{
	g_autoptr(HpHost) host = hp_host_new(root, NULL, NULL);
	g_autofree gchar *empty = g_dir_make_tmp("hp-empty-XXXXXX", NULL);
	g_autoptr(HpHost) none = hp_host_new(empty, NULL, NULL);
	g_autoptr(GError) error = NULL;

	assert_true(hp_host_has_pci(host, NULL));
	assert_false(hp_host_has_pci(none, &error));
	assert_true(g_error_matches(error, HP_ERROR, HP_ERROR_NOT_FOUND));
	assert_non_null(strstr(error->message, "has no sys/bus/pci/devices"));
	g_rmdir(empty);
}

static void
test_names(void **state)
{
	const gchar *good[] = {"vfio_pci", "vfio-pci", "mlx5_vfio_pci", "hisi-acc-vfio-pci", "e1000e", "a.b", "x"};
	const gchar *bad[] = {"", ".", "..", "-r", ".hidden", "a/b", "x$(touch${IFS}PWNED)", "a b", "\xff\xfe\x1b[31m",
			      "caf\xc3\xa9", "a\nb"};
	g_autofree gchar *long64 = g_strnfill(64, 'a');
	g_autofree gchar *long65 = g_strnfill(65, 'a');
	for (guint i = 0; i < G_N_ELEMENTS(good); i++)
		assert_true(hp_host_name_is_valid(good[i]));
	for (guint i = 0; i < G_N_ELEMENTS(bad); i++)
		assert_false(hp_host_name_is_valid(bad[i]));
	assert_true(hp_host_name_is_valid(long64));
	assert_false(hp_host_name_is_valid(long65));
	assert_false(hp_host_name_is_valid(NULL));
}

/* A new version of a file has a new stamp; the same file keeps its stamp. */
static void
test_stamp(void **state)
{
	g_autofree gchar *own = hp_test_host_build(NULL, "file lib/modules/6.1.0/modules.alias alias pci:v*d*sv*sd*bc*sc*i* x\\n\n");
	g_autoptr(HpHost) host = hp_host_new(own, "6.1.0", NULL);
	g_autofree gchar *path = g_build_filename(own, "lib/modules/6.1.0/modules.alias", NULL);
	HpHostStamp a, b, c;

	assert_true(hp_host_stat(host, "lib/modules/6.1.0/modules.alias", &a, NULL));
	assert_true(hp_host_stat(host, "lib/modules/6.1.0/modules.alias", &b, NULL));
	assert_memory_equal(&a, &b, sizeof(a));
	assert_true(g_file_set_contents(path, "alias pci:v*d*sv*sd*bc*sc*i* y\n", -1, NULL));
	assert_true(hp_host_stat(host, "lib/modules/6.1.0/modules.alias", &c, NULL));
	assert_memory_not_equal(&a, &c, sizeof(a));
	hp_test_host_free(g_steal_pointer(&own));
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
	    cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_special_files),
	    cmocka_unit_test(test_has_pci),
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_stamp),
	};
	return cmocka_run_group_tests_name("host", tests, setup, teardown);
}
