/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * HpHost: every read confined to the root, the check and the open one step,
 * only regular files and directories read, limits refused and never cut.
 * Each case runs three ways: openat2, the component walk (as on a kernel
 * without openat2), and a snapshot captured from the same tree; all three
 * must say the same.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "hp-test.h"

#include "hp-capture.h"
#include "hp-error.h"
#include "hp-host.h"

#define DEV "sys/bus/pci/devices/0000:00:01.0"

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
	g_autofree gchar *fifo = NULL;
	g_autofree gchar *sock = NULL;
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	gint fd;

	root = g_dir_make_tmp("hp-host-XXXXXX", NULL);
	mk("sys/devices/pci0000:00/0000:00:01.0/vendor", "0x8086\n", -1);
	mk("sys/bus/pci/drivers/e1000e/bind", "", -1);
	ln(DEV, "../../../devices/pci0000:00/0000:00:01.0");
	ln("sys/devices/pci0000:00/0000:00:01.0/driver", "../../../bus/pci/drivers/e1000e");
	/* links that lead out of the root */
	ln("sys/devices/pci0000:00/0000:00:01.0/up", "../../../../../../../../../../etc");
	ln("sys/devices/pci0000:00/0000:00:01.0/abs", "/etc/passwd");
	/* a loop */
	ln("sys/loop/a", "b");
	ln("sys/loop/b", "a");
	/* a link to nowhere: present, its name known */
	ln("sys/devices/pci0000:00/0000:00:01.0/dangling", "../../../bus/pci/drivers/gone");
	/* what is never opened: a FIFO (it would block a reader) and a socket */
	fifo = g_build_filename(root, "sys/fifo", NULL);
	g_assert(mkfifo(fifo, 0644) == 0);
	ln("sys/to-fifo", "fifo");
	sock = g_build_filename(root, "sys/sock", NULL);
	g_strlcpy(addr.sun_path, sock, sizeof(addr.sun_path));
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	g_assert(fd >= 0 && bind(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0);
	close(fd);
	/* sizes: at the limit, and one byte past it */
	{
		g_autofree gchar *big = g_malloc(HP_HOST_MAX_FILE + 1);
		memset(big, 'x', HP_HOST_MAX_FILE + 1);
		mk("sys/at-limit", big, HP_HOST_MAX_FILE);
		mk("sys/past-limit", big, HP_HOST_MAX_FILE + 1);
	}
	mk("bin", "a\0b", 3);
	return 0;
}

static int
teardown(void **state)
{
	hp_test_rm_tree(root);
	g_clear_pointer(&root, g_free);
	return 0;
}

typedef enum { VIA_OPENAT2, VIA_WALK, VIA_SNAPSHOT, VIA_N } HpVia;

/* The host three ways; the snapshot is a capture of the same tree. */
static HpHost *
host_via(HpVia via)
{
	g_autoptr(GError) error = NULL;
	HpHost *host;

	g_setenv("HOSTDEV_PREFLIGHT_NO_OPENAT2", via == VIA_WALK ? "1" : "0", TRUE);
	host = hp_host_new(root, "6.1.0", &error);
	assert_non_null(host);
	if (via == VIA_SNAPSHOT) {
		g_autoptr(HpSnapshot) snap = NULL;
		g_autoptr(GPtrArray) warnings = NULL;
		g_autofree gchar *text = NULL;
		g_autofree gchar *path = g_build_filename(g_get_tmp_dir(), "hp-host-test.snapshot", NULL);
		gsize len = 0;

		snap = hp_capture_host(host, &warnings, &error);
		assert_non_null(snap);
		hp_host_free(host);
		/* capture walks PCI devices; add the odd entries these tests read */
		assert_true(hp_snapshot_add_link(snap, "sys/devices/pci0000:00/0000:00:01.0/up", "../../../../../../../../../../etc", NULL));
		assert_true(hp_snapshot_add_link(snap, "sys/devices/pci0000:00/0000:00:01.0/abs", "/etc/passwd", NULL));
		assert_true(hp_snapshot_add_link(snap, "sys/devices/pci0000:00/0000:00:01.0/dangling", "../../../bus/pci/drivers/gone", NULL));
		assert_true(hp_snapshot_add_link(snap, "sys/loop/a", "b", NULL));
		assert_true(hp_snapshot_add_link(snap, "sys/loop/b", "a", NULL));
		assert_true(hp_snapshot_add_unreadable(snap, "sys/fifo", NULL));
		assert_true(hp_snapshot_add_link(snap, "sys/to-fifo", "fifo", NULL));
		assert_true(hp_snapshot_add_unreadable(snap, "sys/sock", NULL));
		{
			g_autofree gchar *big = g_malloc(HP_HOST_MAX_FILE);
			memset(big, 'x', HP_HOST_MAX_FILE);
			assert_true(hp_snapshot_add_file(snap, "sys/at-limit", big, HP_HOST_MAX_FILE, NULL));
		}
		assert_true(hp_snapshot_add_file(snap, "bin", "a\0b", 3, NULL));
		/* through the file, as --root SNAPSHOT */
		text = hp_snapshot_to_data(snap, &len);
		assert_true(g_file_set_contents(path, text, (gssize)len, NULL));
		host = hp_host_new(path, NULL, &error);
		g_unlink(path);
		assert_non_null(host);
		assert_true(hp_host_is_snapshot(host));
		assert_string_equal(hp_host_get_kernel_release(host), "6.1.0");
	}
	return host;
}

static void
test_new(void **state)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HpHost) host = hp_host_new(root, "6.1.0", &error);
	g_autoptr(HpHost) missing = NULL;
	g_autoptr(HpHost) fifo = NULL;
	g_autoptr(HpHost) garbled = NULL;
	g_autofree gchar *fifo_path = g_build_filename(root, "sys/fifo", NULL);
	g_autofree gchar *bin_path = g_build_filename(root, "bin", NULL);

	assert_non_null(host);
	assert_false(hp_host_is_snapshot(host));
	assert_string_equal(hp_host_get_kernel_release(host), "6.1.0");
	hp_host_set_kernel_release(host, "6.2.0");
	assert_string_equal(hp_host_get_kernel_release(host), "6.2.0");
	missing = hp_host_new("/nonexistent/hp", NULL, &error);
	assert_null(missing);
	assert_true(g_error_matches(error, HP_ERROR, HP_ERROR_NOT_FOUND));
	g_clear_error(&error);
	/* a FIFO as the root: refused at once, never opened for reading */
	fifo = hp_host_new(fifo_path, NULL, &error);
	assert_null(fifo);
	assert_true(g_error_matches(error, HP_ERROR, HP_ERROR_READ));
	g_clear_error(&error);
	/* a regular file that is no snapshot: the file and line */
	garbled = hp_host_new(bin_path, NULL, &error);
	assert_null(garbled);
	assert_non_null(strstr(error->message, bin_path));
	assert_non_null(strstr(error->message, ":1:"));
}

static void
test_resolve_inside(void **state)
{
	for (HpVia via = 0; via < VIA_N; via++) {
		g_autoptr(HpHost) host = host_via(via);
		g_autofree gchar *path = hp_host_resolve(host, DEV "/vendor", NULL);
		g_autofree gchar *line = hp_host_read_line(host, DEV "/vendor", NULL);
		g_autofree gchar *drv = hp_host_link_name(host, DEV "/driver", NULL);
		g_autofree gchar *gone = hp_host_link_name(host, DEV "/dangling", NULL);
		g_autofree gchar *target = hp_host_readlink(host, DEV "/driver", NULL);
		g_autofree gchar *top = hp_host_resolve(host, "", NULL);
		g_autoptr(GPtrArray) names = hp_host_list_dir(host, DEV, NULL);

		assert_string_equal(path, "sys/devices/pci0000:00/0000:00:01.0/vendor");
		assert_string_equal(top, "");
		assert_string_equal(line, "0x8086");
		assert_string_equal(drv, "e1000e");
		assert_string_equal(gone, "gone");
		assert_string_equal(target, "../../../bus/pci/drivers/e1000e");
		assert_true(hp_host_exists(host, DEV));
		assert_false(hp_host_exists(host, "sys/bus/pci/devices/0000:00:02.0"));
		assert_int_equal(hp_host_lookup(host, DEV, NULL), HP_HOST_KIND_LINK);
		assert_int_equal(hp_host_stat(host, DEV, NULL), HP_HOST_KIND_DIR);
		assert_int_equal(hp_host_lookup(host, DEV "/vendor", NULL), HP_HOST_KIND_FILE);
		assert_int_equal(hp_host_lookup(host, DEV "/nope", NULL), HP_HOST_KIND_NONE);
		assert_int_equal(hp_host_lookup(host, DEV "/vendor/below", NULL), HP_HOST_KIND_NONE);
		assert_true(names != NULL && names->len >= 5);
		assert_string_equal(g_ptr_array_index(names, 0), "abs");
	}
}

static void
test_escapes_refused(void **state)
{
	for (HpVia via = 0; via < VIA_N; via++) {
		g_autoptr(HpHost) host = host_via(via);
		g_autoptr(GError) e1 = NULL;
		g_autoptr(GError) e2 = NULL;
		g_autoptr(GError) e3 = NULL;
		g_autoptr(GError) e4 = NULL;
		g_autoptr(GError) e5 = NULL;
		g_autofree gchar *a = hp_host_resolve(host, DEV "/up/passwd", &e1);
		g_autofree gchar *b = hp_host_resolve(host, DEV "/abs", &e2);
		g_autofree gchar *c = hp_host_resolve(host, "../../etc/passwd", &e3);
		g_autofree gchar *d = hp_host_link_name(host, DEV "/abs", &e4);
		gchar *data = NULL;
		gsize len = 0;

		assert_null(a);
		assert_true(g_error_matches(e1, HP_ERROR, HP_ERROR_OUTSIDE_ROOT));
		assert_non_null(strstr(e1->message, "leads out of the host root"));
		assert_null(b);
		assert_true(g_error_matches(e2, HP_ERROR, HP_ERROR_OUTSIDE_ROOT));
		assert_non_null(strstr(e2->message, "is a link to /etc/passwd, which is outside the host root"));
		assert_null(c);
		assert_true(g_error_matches(e3, HP_ERROR, HP_ERROR_OUTSIDE_ROOT));
		/* present but out of reach: an error, not "missing" */
		assert_null(d);
		assert_true(g_error_matches(e4, HP_ERROR, HP_ERROR_OUTSIDE_ROOT));
		assert_false(hp_host_read(host, DEV "/abs", 100, &data, &len, &e5));
		assert_true(g_error_matches(e5, HP_ERROR, HP_ERROR_OUTSIDE_ROOT));
		assert_null(data);
		/* `..` as the last part, or the whole path */
		{
			const gchar *const ups[] = {"..", "sys/..", "sys/../..", "sys/bus/../../..", "./..", NULL};
			for (guint i = 0; ups[i] != NULL; i++) {
				g_autoptr(GError) e6 = NULL;
				g_autoptr(GError) e7 = NULL;
				g_autoptr(GPtrArray) names = hp_host_list_dir(host, ups[i], &e6);
				g_autofree gchar *up = NULL;
				if (strcmp(ups[i], "sys/..") == 0) {
					/* the root itself: inside */
					assert_non_null(names);
					continue;
				}
				assert_null(names);
				assert_true(g_error_matches(e6, HP_ERROR, HP_ERROR_OUTSIDE_ROOT));
				assert_false(hp_host_read(host, ups[i], 100, &up, &len, &e7));
				assert_true(g_error_matches(e7, HP_ERROR, HP_ERROR_OUTSIDE_ROOT));
			}
		}
		/* the link itself is there, and says where it goes */
		assert_int_equal(hp_host_lookup(host, DEV "/abs", NULL), HP_HOST_KIND_LINK);
		assert_int_equal(hp_host_stat(host, DEV "/abs", NULL), HP_HOST_KIND_NONE);
	}
}

static void
test_loop(void **state)
{
	for (HpVia via = 0; via < VIA_N; via++) {
		g_autoptr(HpHost) host = host_via(via);
		g_autoptr(GError) error = NULL;
		g_autoptr(GError) e2 = NULL;
		g_autofree gchar *path = hp_host_resolve(host, "sys/loop/a/x", &error);
		g_autofree gchar *name = hp_host_link_name(host, "sys/loop/a", &e2);
		assert_null(path);
		assert_non_null(strstr(error->message, "symbolic links"));
		assert_null(name);
		assert_true(g_error_matches(e2, HP_ERROR, HP_ERROR_READ));
	}
}

/* Only regular files and directories are opened: a FIFO never blocks, a
 * socket is never touched; a link to a FIFO is no way round it. */
static void
test_special_files(void **state)
{
	for (HpVia via = 0; via < VIA_N; via++) {
		g_autoptr(HpHost) host = host_via(via);
		const gchar *const paths[] = {"sys/fifo", "sys/to-fifo", "sys/sock", NULL};
		for (guint i = 0; paths[i] != NULL; i++) {
			g_autoptr(GError) error = NULL;
			g_autoptr(GError) e2 = NULL;
			g_autofree gchar *data = NULL;
			g_autoptr(GPtrArray) names = NULL;
			gsize len = 0;
			assert_false(hp_host_read(host, paths[i], 100, &data, &len, &error));
			assert_non_null(error);
			assert_false(g_error_matches(error, HP_ERROR, HP_ERROR_NOT_FOUND));
			names = hp_host_list_dir(host, paths[i], &e2);
			assert_null(names);
			assert_non_null(e2);
		}
		assert_true(hp_host_lookup(host, "sys/fifo", NULL) == HP_HOST_KIND_OTHER ||
			    hp_host_lookup(host, "sys/fifo", NULL) == HP_HOST_KIND_UNREADABLE);
	}
}

static void
test_slash_root(void **state)
{
	/* with / as the root, absolute links are simply inside it */
	g_autoptr(HpHost) host = hp_host_new("/", NULL, NULL);
	g_autofree gchar *link = g_build_filename(root, DEV "/abs", NULL);
	g_autofree gchar *path = hp_host_resolve(host, link + 1, NULL);
	g_autofree gchar *above = hp_host_resolve(host, "../../etc", NULL);
	assert_non_null(path);
	assert_string_equal(path, "etc/passwd");
	assert_string_equal(above, "etc");
}

/* Past a limit a file is refused, never cut; the config header is read
 * to its length by design. */
static void
test_read_limits(void **state)
{
	for (HpVia via = 0; via < VIA_N; via++) {
		g_autoptr(HpHost) host = host_via(via);
		g_autofree gchar *data = NULL;
		g_autoptr(GError) error = NULL;
		gsize len = 0;

		assert_true(hp_host_read(host, "sys/at-limit", HP_HOST_MAX_FILE, &data, &len, NULL));
		assert_int_equal(len, HP_HOST_MAX_FILE);
		g_clear_pointer(&data, g_free);
		if (via != VIA_SNAPSHOT) { /* a snapshot cannot even hold it */
			assert_false(hp_host_read(host, "sys/past-limit", HP_HOST_MAX_FILE, &data, &len, &error));
			assert_true(g_error_matches(error, HP_ERROR, HP_ERROR_INVALID_DATA));
			assert_non_null(strstr(error->message, "larger than"));
			assert_null(hp_host_read_line(host, "sys/past-limit", NULL));
			g_clear_error(&error);
		}
		assert_false(hp_host_read(host, DEV "/vendor", 3, &data, &len, &error));
		assert_true(g_error_matches(error, HP_ERROR, HP_ERROR_INVALID_DATA));
		g_clear_error(&error);
		assert_true(hp_host_read_head(host, DEV "/vendor", 3, &data, &len, NULL));
		assert_int_equal(len, 3);
		assert_string_equal(data, "0x8");
		assert_null(hp_host_read_line(host, "bin", &error));
		assert_true(g_error_matches(error, HP_ERROR, HP_ERROR_INVALID_DATA));
	}
}

static void
test_kernel_names(void **state)
{
	const gchar *const good[] = {"vfio_pci", "vfio-pci", "mlx5_vfio_pci", "pci-stub", "a", "x.y",
				     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", NULL};
	const gchar *const bad[] = {"", ".", "..", "x$(touch${IFS}PWNED)", "a b", "a/b", "\xff\xfe\x1b[31m", "a\nb",
				    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "drv;rm", NULL};
	for (guint i = 0; good[i] != NULL; i++)
		assert_true(hp_host_name_is_kernel_name(good[i]));
	for (guint i = 0; bad[i] != NULL; i++)
		assert_false(hp_host_name_is_kernel_name(bad[i]));
	assert_false(hp_host_name_is_kernel_name(NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_new),	      cmocka_unit_test(test_resolve_inside), cmocka_unit_test(test_escapes_refused),
	    cmocka_unit_test(test_loop),      cmocka_unit_test(test_special_files),  cmocka_unit_test(test_slash_root),
	    cmocka_unit_test(test_read_limits), cmocka_unit_test(test_kernel_names),
	};
	return cmocka_run_group_tests_name("host", tests, setup, teardown);
}
