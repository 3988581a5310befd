/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <sys/stat.h>

#include "hp-test.h"

#include "hp-error.h"
#include "hp-host.h"
#include "hp-snapshot.h"

static HpSnapshot *
parse(const gchar *text, GError **error)
{
	return hp_snapshot_new_from_data(text, strlen(text), "t.snapshot", error);
}

static gchar *
serialize(const HpSnapshot *snap)
{
	return hp_snapshot_to_data(snap, NULL);
}

/* The canonical form: what each kind of content is written as. */
static void
test_write(void **state)
{
	g_autoptr(HpSnapshot) snap = hp_snapshot_new();
	g_autofree gchar *text = NULL;
	const gchar config[] = {'\x86', '\x80', '\x00', '\xff'};

	assert_true(hp_snapshot_set_kernel_release(snap, "6.1.0-hp", NULL));
	assert_true(hp_snapshot_add_file(snap, "sys/a/vendor", "0x8086\n", 7, NULL));
	assert_true(hp_snapshot_add_file(snap, "sys/a/config", config, sizeof(config), NULL));
	assert_true(hp_snapshot_add_file(snap, "proc/swaps", "one\ntwo\n\n", 9, NULL));
	assert_true(hp_snapshot_add_file(snap, "sys/a/empty", "", 0, NULL));
	assert_true(hp_snapshot_add_file(snap, "sys/a/spaces", " a\tb\\c ", 7, NULL));
	assert_true(hp_snapshot_add_link(snap, "sys/b", "a", NULL));
	assert_true(hp_snapshot_add_dir(snap, "sys/pci1xxxx serial", NULL));
	assert_true(hp_snapshot_add_unreadable(snap, "sys/a/secret", NULL));
	assert_true(hp_snapshot_add_file(snap, "sys/a-b", "\xc3\xa9", 2, NULL));
	text = serialize(snap);
	assert_string_equal(text, "hostdev-preflight-snapshot 1\n"
				  "kernel-release 6.1.0-hp\n"
				  "dir proc\n"
				  "text proc/swaps\n"
				  "| one\n"
				  "| two\n"
				  "|\n"
				  "dir sys\n"
				  "dir sys/a\n"
				  "hex sys/a/config 868000ff\n"
				  "file sys/a/empty\n"
				  "unreadable sys/a/secret\n"
				  "file sys/a/spaces \\x20a\\tb\\\\c\\x20\n"
				  "file sys/a/vendor 0x8086\\n\n"
				  "file sys/a-b \\xc3\\xa9\n"
				  "link sys/b a\n"
				  "dir sys/pci1xxxx\\x20serial\n");
}

/* Every byte value round-trips, in a value and in a path. */
static void
test_any_bytes(void **state)
{
	g_autoptr(HpSnapshot) snap = hp_snapshot_new();
	g_autoptr(HpSnapshot) back = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *text = NULL;
	g_autofree gchar *again = NULL;
	g_autofree gchar *data = NULL;
	gchar all[256], name[256];
	gsize len = 0, n = 0;
	guint lines = 0;

	for (guint i = 0; i < 256; i++)
		all[i] = (gchar)i;
	for (guint i = 1; i < 256; i++) {
		if (i != '/')
			name[n++] = (gchar)i;
	}
	name[n] = '\0';
	assert_true(hp_snapshot_add_file(snap, "bytes", all, sizeof(all), NULL));
	assert_true(hp_snapshot_add_file(snap, "text", all + 1, sizeof(all) - 1, NULL)); /* no NUL, not UTF-8 */
	assert_true(hp_snapshot_add_file(snap, "nl", "\n\n", 2, NULL));
	assert_true(hp_snapshot_add_link(snap, name, "x y\n", NULL));
	text = serialize(snap);
	/* one line per entry: no value can split a line */
	for (const gchar *p = text; *p != '\0'; p++) {
		assert_true(*p == '\n' || (*p >= 0x20 && *p < 0x7f));
		lines += *p == '\n';
	}
	assert_int_equal(lines, 7); /* the header, hex, hex, text and two '|' lines, link */
	back = parse(text, &error);
	assert_non_null(back);
	again = serialize(back);
	{
		/* read back through HpHost, as --root SNAPSHOT reads it */
		g_autoptr(HpHost) host = hp_host_new_for_snapshot(g_steal_pointer(&back), "t.snapshot", NULL);
		assert_true(hp_host_read(host, "bytes", 1024, &data, &len, NULL));
		assert_int_equal(len, 256);
		assert_memory_equal(data, all, 256);
		g_clear_pointer(&data, g_free);
		assert_true(hp_host_read(host, "nl", 1024, &data, &len, NULL));
		assert_int_equal(len, 2);
		g_clear_pointer(&data, g_free);
		data = hp_host_readlink(host, name, NULL);
		assert_string_equal(data, "x y\n");
	}
	assert_string_equal(again, text);
}

/* Unsorted input, comments and implied directories are read; the writer
 * sorts, a directory before what is below it ('/' first). */
static void
test_sorted(void **state)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HpSnapshot) snap = parse("hostdev-preflight-snapshot 1\n"
					   "# hand-edited\n"
					   "file a-c x\n"
					   "\n"
					   "file a/b y\n"
					   "dir a\n"
					   "file a/a z\n",
					   &error);
	g_autofree gchar *text = NULL;
	assert_non_null(snap);
	text = serialize(snap);
	assert_string_equal(text, "hostdev-preflight-snapshot 1\ndir a\nfile a/a z\nfile a/b y\nfile a-c x\n");
	assert_int_equal(hp_snapshot_get_n_entries(snap), 4);
}

static void
check_refused(const gchar *text, gsize len, const gchar *want)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HpSnapshot) snap = hp_snapshot_new_from_data(text, len, "t.snapshot", &error);
	if (snap != NULL || error == NULL || strstr(error->message, want) == NULL || !g_str_has_prefix(error->message, "t.snapshot:")) {
		g_autofree gchar *shown = g_strescape(text, NULL);
		print_error("input '%.200s': want '%s', got '%s'\n", shown, want, error != NULL ? error->message : "success");
		fail();
	}
	assert_true(g_error_matches(error, HP_ERROR, HP_ERROR_INVALID_DATA));
}

#define H "hostdev-preflight-snapshot 1\n"

static void
test_hostile(void **state)
{
	const struct {
		const gchar *text;
		const gchar *want;
	} cases[] = {
	    {"", "t.snapshot: empty"},
	    {"hello\n", ":1: not a hostdev-preflight snapshot"},
	    {"hostdev-preflight-snapshot 2\n", ":1: snapshot format version 2; this hostdev-preflight reads version 1 (update"},
	    {"hostdev-preflight-snapshot x\n", ":1: the format version 'x' is not a number"},
	    {"hostdev-preflight-snapshot 1", ":1: the last line does not end with a newline"},
	    {H "file a b", ":2: the last line does not end with a newline: the snapshot is truncated"},
	    {H "file a b\r\n", ":2: a carriage return"},
	    {H "file a b\tc\n", ":2: a raw control byte 0x09"},
	    {H "file a \xff\n", ":2: the line is not UTF-8"},
	    {H "file a \\q\n", ":2: unknown escape '\\q'"},
	    {H "file a \\x4\n", ":2: '\\x' is not followed by two hex digits"},
	    {H "file a b\\\n", ":2: a '\\' ends the line"},
	    {H "file a b\nfile a c\n", ":3: a is given twice (first on line 2)"},
	    {H "dir a\ndir a\n", ":3: a is given twice"},
	    {H "file a b\nfile a/c d\n", ":3: a/c is below a, which is a file (line 2)"},
	    {H "link a b\nfile a/c d\n", ":3: a/c is below a, which is a link (line 2)"},
	    {H "file a/c d\nfile a b\n", ":3: a is a file, but entries given earlier are below it"},
	    {H "file ../etc/passwd x\n", ":2: ../etc/passwd has an empty, '.' or '..' component"},
	    {H "file a/./b x\n", ":2: a/./b has an empty"},
	    {H "file a//b x\n", ":2: a//b has an empty"},
	    {H "file /etc/passwd x\n", ":2: /etc/passwd is an absolute path"},
	    {H "file  x\n", ":2: an entry has an empty path"},
	    {H "file a\\x00b x\n", ":2: the path has a NUL byte"},
	    {H "link a b\\x00c\n", ":2: the link target has a NUL byte"},
	    {H "link a\n", ":2: link a has no target"},
	    {H "dir a b\n", ":2: a 'dir' entry has no value, but a has one"},
	    {H "text a b\n", ":2: a 'text' entry has no value"},
	    {H "chardev a\n", ":2: unknown entry 'chardev'"},
	    {H "| x\n", ":2: a '|' line that does not follow a 'text' entry"},
	    {H "text a\n|x\n", ":3: a '|' line is '|' alone"},
	    {H "file a b\ntext a\n| x\n", ":3: a is given twice"},
	    {H "hex a 123\n", ":2: a 'hex' value has an odd number of digits"},
	    {H "hex a zz\n", ":2: a 'hex' value has a character that is no hex digit"},
	    {H "kernel-release 1\nkernel-release 2\n", ":3: a second 'kernel-release' line"},
	    {H "kernel-release ../x\n", ":2: kernel release '../x' is not a directory name"},
	    {H "kernel-release ..\n", ":2: kernel release '..' is not a directory name"},
	};
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++)
		check_refused(cases[i].text, strlen(cases[i].text), cases[i].want);
	/* a NUL byte in the file itself */
	check_refused(H "file a b\0c\n", sizeof(H "file a b\0c\n") - 1, ":2: a raw control byte 0x00");
}

/* 1 MiB a file, 64 MiB for modules.alias, depth and length limits. */
static void
test_limits(void **state)
{
	g_autoptr(GString) big = g_string_new(H "file sys/big ");
	g_autoptr(GString) alias = g_string_new(H "text lib/modules/6.1/modules.alias\n");
	g_autoptr(GString) deep = g_string_new(H "dir a");
	g_autoptr(GString) name = g_string_new(H "dir ");
	g_autoptr(HpSnapshot) snap = NULL;
	g_autoptr(GError) error = NULL;

	for (guint i = 0; i < HP_SNAPSHOT_MAX_FILE / 8 + 1; i++)
		g_string_append(big, "abcdefgh");
	g_string_append_c(big, '\n');
	check_refused(big->str, big->len, ":2: sys/big holds 1048584 bytes, more than the 1 MiB a host file may have");
	for (guint i = 0; i < 40000; i++)
		g_string_append(alias, "| alias vfio_pci:v000015B3d0000101Esv*sd*bc*sc*i* mlx5_vfio_pci\n");
	snap = hp_snapshot_new_from_data(alias->str, alias->len, "t.snapshot", &error);
	assert_non_null(snap);
	assert_int_equal(hp_snapshot_lookup(snap, "lib/modules/6.1/modules.alias"), HP_SNAPSHOT_FILE);
	for (guint i = 0; i < HP_SNAPSHOT_MAX_DEPTH; i++)
		g_string_append(deep, "/a");
	g_string_append_c(deep, '\n');
	check_refused(deep->str, deep->len, ":2: a/a/a");
	check_refused(deep->str, deep->len, "is deeper than 128 components");
	for (guint i = 0; i < 256; i++)
		g_string_append_c(name, 'n');
	g_string_append_c(name, '\n');
	check_refused(name->str, name->len, "has a component longer than 255 bytes");
}

static HpSnapshot *
links_snapshot(void)
{
	g_autoptr(GError) error = NULL;
	HpSnapshot *snap = parse(H "dir sys/devices/pci0000:00/0000:00:01.0\n"
				   "file sys/devices/pci0000:00/0000:00:01.0/vendor 0x8086\\n\n"
				   "link sys/devices/pci0000:00/0000:00:01.0/driver ../../../bus/pci/drivers/e1000e\n"
				   "link sys/devices/pci0000:00/0000:00:01.0/up ../../../../../etc\n"
				   "link sys/devices/pci0000:00/0000:00:01.0/abs /etc/passwd\n"
				   "unreadable sys/devices/pci0000:00/0000:00:01.0/secret\n"
				   "dir sys/bus/pci/drivers/e1000e\n"
				   "link sys/bus/pci/devices/0000:00:01.0 ../../../devices/pci0000:00/0000:00:01.0\n"
				   "link sys/loop/a b\n"
				   "link sys/loop/b a\n",
				   &error);
	assert_non_null(snap);
	return snap;
}

/* Links resolve as in a directory read through HpHost. */
static void
test_resolve(void **state)
{
	g_autoptr(HpHost) host = hp_host_new_for_snapshot(links_snapshot(), "t.snapshot", NULL);
	g_autoptr(GError) error = NULL;
	g_autofree gchar *real = hp_host_resolve(host, "sys/bus/pci/devices/0000:00:01.0/driver", NULL);
	g_autofree gchar *missing = hp_host_resolve(host, "sys/bus/pci/devices/0000:00:01.0/nope/x", NULL);
	g_autofree gchar *dotdot = hp_host_resolve(host, "sys/bus/../bus/./pci", NULL);
	g_autofree gchar *root = hp_host_resolve(host, "", NULL);
	g_autofree gchar *out = NULL;

	assert_string_equal(real, "sys/bus/pci/drivers/e1000e");
	assert_string_equal(missing, "sys/devices/pci0000:00/0000:00:01.0/nope/x");
	assert_string_equal(dotdot, "sys/bus/pci");
	assert_string_equal(root, "");
	out = hp_host_resolve(host, "sys/bus/pci/devices/0000:00:01.0/up/passwd", &error);
	assert_null(out);
	assert_true(g_error_matches(error, HP_ERROR, HP_ERROR_OUTSIDE_ROOT));
	g_clear_error(&error);
	out = hp_host_resolve(host, "sys/devices/pci0000:00/0000:00:01.0/abs", &error);
	assert_null(out);
	assert_true(g_error_matches(error, HP_ERROR, HP_ERROR_OUTSIDE_ROOT));
	g_clear_error(&error);
	out = hp_host_resolve(host, "../x", &error);
	assert_true(g_error_matches(error, HP_ERROR, HP_ERROR_OUTSIDE_ROOT));
	g_clear_error(&error);
	out = hp_host_resolve(host, "sys/loop/a", &error);
	assert_null(out);
	assert_true(g_error_matches(error, HP_ERROR, HP_ERROR_READ));
	assert_non_null(strstr(error->message, "too many levels"));
}

static void
test_read(void **state)
{
	g_autoptr(HpSnapshot) snap = links_snapshot();
	g_autoptr(HpHost) host = hp_host_new_for_snapshot(links_snapshot(), "t.snapshot", NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) names = NULL;
	g_autofree gchar *data = NULL;
	g_autofree gchar *target = NULL;
	gsize len = 0;

	assert_true(hp_host_read(host, "sys/bus/pci/devices/0000:00:01.0/vendor", 4096, &data, &len, NULL));
	assert_int_equal(len, 7);
	assert_string_equal(data, "0x8086\n");
	g_clear_pointer(&data, g_free);
	assert_true(hp_host_read_head(host, "sys/bus/pci/devices/0000:00:01.0/vendor", 3, &data, &len, NULL));
	assert_string_equal(data, "0x8");
	g_clear_pointer(&data, g_free);
	/* past a limit: refused, never cut */
	assert_false(hp_host_read(host, "sys/bus/pci/devices/0000:00:01.0/vendor", 3, &data, &len, &error));
	assert_true(g_error_matches(error, HP_ERROR, HP_ERROR_INVALID_DATA));
	g_clear_error(&error);
	assert_false(hp_host_read(host, "sys/bus/pci/devices/0000:00:01.0/nope", 9, &data, &len, &error));
	assert_true(g_error_matches(error, HP_ERROR, HP_ERROR_NOT_FOUND));
	g_clear_error(&error);
	assert_false(hp_host_read(host, "sys/bus/pci/devices/0000:00:01.0/secret", 9, &data, &len, &error));
	assert_true(g_error_matches(error, HP_ERROR, HP_ERROR_READ));
	assert_non_null(strstr(error->message, "could not be read when the snapshot was captured"));
	g_clear_error(&error);
	assert_false(hp_host_read(host, "sys/bus/pci/devices/0000:00:01.0/driver", 9, &data, &len, &error));
	assert_true(g_error_matches(error, HP_ERROR, HP_ERROR_READ));
	g_clear_error(&error);

	target = hp_host_readlink(host, "sys/bus/pci/devices/0000:00:01.0/driver", NULL);
	assert_string_equal(target, "../../../bus/pci/drivers/e1000e");
	assert_null(hp_host_readlink(host, "sys/bus/pci/devices/0000:00:01.0/vendor", &error));
	assert_true(g_error_matches(error, HP_ERROR, HP_ERROR_INVALID_DATA));
	g_clear_error(&error);
	assert_null(hp_host_readlink(host, "sys/nope", &error));
	assert_true(g_error_matches(error, HP_ERROR, HP_ERROR_NOT_FOUND));
	g_clear_error(&error);

	names = hp_host_list_dir(host, "sys/bus/pci/devices/0000:00:01.0", NULL);
	assert_int_equal(names->len, 5);
	assert_string_equal(g_ptr_array_index(names, 0), "abs");
	assert_string_equal(g_ptr_array_index(names, 4), "vendor");
	assert_null(hp_host_list_dir(host, "sys/bus/pci/devices/0000:00:01.0/vendor", &error));
	assert_true(g_error_matches(error, HP_ERROR, HP_ERROR_NOT_FOUND));

	assert_int_equal(hp_snapshot_lookup(snap, "sys/bus/pci/devices/0000:00:01.0"), HP_SNAPSHOT_LINK);
	assert_int_equal(hp_snapshot_lookup(snap, "sys/bus/pci/devices/0000:00:01.0/vendor"), HP_SNAPSHOT_NONE);
	assert_int_equal(hp_snapshot_lookup(snap, "sys/devices/pci0000:00/0000:00:01.0/vendor"), HP_SNAPSHOT_FILE);
	assert_int_equal(hp_snapshot_lookup(snap, ""), HP_SNAPSHOT_DIR);
}

static void
test_materialize(void **state)
{
	g_autoptr(HpSnapshot) snap = links_snapshot();
	g_autoptr(GError) error = NULL;
	g_autofree gchar *dir = g_dir_make_tmp("hp-snap-XXXXXX", NULL);
	g_autofree gchar *vendor = g_build_filename(dir, "sys/devices/pci0000:00/0000:00:01.0/vendor", NULL);
	g_autofree gchar *abs = g_build_filename(dir, "sys/devices/pci0000:00/0000:00:01.0/abs", NULL);
	g_autofree gchar *secret = g_build_filename(dir, "sys/devices/pci0000:00/0000:00:01.0/secret", NULL);
	g_autofree gchar *data = NULL;
	g_autofree gchar *target = NULL;
	struct stat st;

	assert_true(hp_snapshot_materialize(snap, dir, &error));
	assert_true(g_file_get_contents(vendor, &data, NULL, NULL));
	assert_string_equal(data, "0x8086\n");
	target = g_file_read_link(abs, NULL);
	assert_string_equal(target, "/etc/passwd"); /* kept as it is, never followed */
	assert_int_equal(lstat(secret, &st), 0);
	assert_true(S_ISFIFO(st.st_mode));
	/* only into an empty directory */
	assert_false(hp_snapshot_materialize(snap, dir, &error));
	assert_true(g_error_matches(error, HP_ERROR, HP_ERROR_WRITE));
	hp_test_rm_tree(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_write),	cmocka_unit_test(test_any_bytes), cmocka_unit_test(test_sorted),
	    cmocka_unit_test(test_hostile),	cmocka_unit_test(test_limits),	  cmocka_unit_test(test_resolve),
	    cmocka_unit_test(test_read),	cmocka_unit_test(test_materialize),
	};
	return cmocka_run_group_tests_name("snapshot", tests, NULL, NULL);
}
