/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "hp-test.h"

#include <sys/stat.h>
#include <sys/xattr.h>

#include "hp-error.h"
#include "hp-file.h"

static gchar *
read_all(const gchar *path)
{
	gchar *data = NULL;
	g_assert(g_file_get_contents(path, &data, NULL, NULL));
	return data;
}

static guint
count_entries(const gchar *dir)
{
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	guint n = 0;
	while (g_dir_read_name(d) != NULL)
		n++;
	return n;
}

/* An access ACL as the kernel stores it (system.posix_acl_access): user::rw-
 * user:65534:r-- group::r-- mask::r-- other::---. */
static const guint8 acl_value[] = {
    2, 0, 0, 0,                                     /* version */
    0x01, 0, 6, 0, 0xff, 0xff, 0xff, 0xff,          /* USER_OBJ rw- */
    0x02, 0, 4, 0, 0xfe, 0xff, 0, 0,                /* USER 65534 r-- */
    0x04, 0, 4, 0, 0xff, 0xff, 0xff, 0xff,          /* GROUP_OBJ r-- */
    0x10, 0, 4, 0, 0xff, 0xff, 0xff, 0xff,          /* MASK r-- */
    0x20, 0, 0, 0, 0xff, 0xff, 0xff, 0xff,          /* OTHER --- */
};

static void
test_new_file(void **state)
{
	g_autofree gchar *dir = g_dir_make_tmp("hp-file-XXXXXX", NULL);
	g_autofree gchar *path = g_build_filename(dir, "new.xml", NULL);
	g_autofree gchar *data = NULL;
	g_autoptr(GError) error = NULL;
	mode_t old = umask(022);
	struct stat st;

	assert_true(hp_file_check_writable(path, &error));
	assert_true(hp_file_replace(path, "<domain/>\n", 10, &error));
	umask(old);
	assert_null(error);
	data = read_all(path);
	assert_string_equal(data, "<domain/>\n");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644); /* as a shell's > would make it */
	assert_int_equal(count_entries(dir), 1);
	hp_test_rm_tree(dir);
}

/* Owner, group, mode (not through the umask), ACL and xattrs are kept; the
 * file is a new one renamed over the old, and nothing else is left. */
static void
test_replace_keeps_metadata(void **state)
{
	g_autofree gchar *dir = g_dir_make_tmp("hp-file-XXXXXX", NULL);
	g_autofree gchar *path = g_build_filename(dir, "vm.xml", NULL);
	g_autofree gchar *data = NULL;
	g_autoptr(GError) error = NULL;
	gchar value[64];
	guint8 acl[64];
	struct stat before, after;
	gboolean root = geteuid() == 0;
	mode_t old;

	g_assert(g_file_set_contents(path, "old", -1, NULL));
	assert_int_equal(chmod(path, 0640), 0);
	if (root)
		assert_int_equal(chown(path, 65534, 65534), 0);
	assert_int_equal(setxattr(path, "user.hp-test", "kept", 4, 0), 0);
	assert_int_equal(setxattr(path, "system.posix_acl_access", acl_value, sizeof(acl_value), 0), 0);
	assert_int_equal(stat(path, &before), 0);

	old = umask(077);
	assert_true(hp_file_replace(path, "new content", 11, &error));
	umask(old);
	assert_null(error);
	data = read_all(path);
	assert_string_equal(data, "new content");
	assert_int_equal(stat(path, &after), 0);
	assert_int_not_equal(after.st_ino, before.st_ino);
	assert_int_equal(after.st_mode & 07777, before.st_mode & 07777);
	assert_int_equal(after.st_uid, before.st_uid);
	assert_int_equal(after.st_gid, before.st_gid);
	if (root)
		assert_int_equal(after.st_uid, 65534);
	assert_int_equal(getxattr(path, "user.hp-test", value, sizeof(value)), 4);
	assert_memory_equal(value, "kept", 4);
	assert_int_equal(getxattr(path, "system.posix_acl_access", acl, sizeof(acl)), sizeof(acl_value));
	assert_memory_equal(acl, acl_value, sizeof(acl_value));
	assert_int_equal(count_entries(dir), 1);
	hp_test_rm_tree(dir);
}

/* a -> b -> target: the target is replaced, both links stay links. */
static void
test_link_chain(void **state)
{
	g_autofree gchar *dir = g_dir_make_tmp("hp-file-XXXXXX", NULL);
	g_autofree gchar *sub = g_build_filename(dir, "sub", NULL);
	g_autofree gchar *target = g_build_filename(sub, "target.xml", NULL);
	g_autofree gchar *b = g_build_filename(dir, "b.xml", NULL);
	g_autofree gchar *a = g_build_filename(dir, "a.xml", NULL);
	g_autofree gchar *dangling = g_build_filename(dir, "dangling.xml", NULL);
	g_autofree gchar *made = g_build_filename(dir, "made.xml", NULL);
	g_autofree gchar *data = NULL;
	g_autofree gchar *data2 = NULL;
	g_autoptr(GError) error = NULL;
	struct stat st;

	g_assert(g_mkdir(sub, 0755) == 0);
	g_assert(g_file_set_contents(target, "old", -1, NULL));
	assert_int_equal(symlink("sub/target.xml", b), 0);
	assert_int_equal(symlink(b, a), 0); /* absolute, then relative */
	assert_true(hp_file_replace(a, "new", 3, &error));
	assert_int_equal(lstat(a, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(lstat(b, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	data = read_all(target);
	assert_string_equal(data, "new");
	/* a dangling link: its target is made, the link stays */
	assert_int_equal(symlink("made.xml", dangling), 0);
	assert_true(hp_file_replace(dangling, "x", 1, &error));
	assert_int_equal(lstat(dangling, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	data2 = read_all(made);
	assert_string_equal(data2, "x");
	hp_test_rm_tree(dir);
}

static void
test_refuse_special(void **state)
{
	g_autofree gchar *dir = g_dir_make_tmp("hp-file-XXXXXX", NULL);
	g_autofree gchar *fifo = g_build_filename(dir, "fifo", NULL);
	g_autofree gchar *loop = g_build_filename(dir, "loop", NULL);
	g_autofree gchar *to_fifo = g_build_filename(dir, "to-fifo", NULL);
	g_autoptr(GError) e1 = NULL;
	g_autoptr(GError) e2 = NULL;
	g_autoptr(GError) e3 = NULL;
	g_autoptr(GError) e4 = NULL;
	g_autoptr(GError) e5 = NULL;
	struct stat st;

	assert_int_equal(mkfifo(fifo, 0644), 0);
	assert_int_equal(symlink("fifo", to_fifo), 0);
	assert_int_equal(symlink("loop", loop), 0);
	assert_false(hp_file_check_writable(fifo, &e1));
	assert_true(g_error_matches(e1, HP_ERROR, HP_ERROR_WRITE));
	assert_non_null(strstr(e1->message, "a FIFO"));
	assert_false(hp_file_replace(to_fifo, "x", 1, &e2)); /* through a link too */
	assert_non_null(strstr(e2->message, "a FIFO"));
	assert_false(hp_file_replace("/dev/null", "x", 1, &e3));
	assert_non_null(strstr(e3->message, "a character device"));
	assert_false(hp_file_replace(dir, "x", 1, &e4));
	assert_non_null(strstr(e4->message, "a directory"));
	assert_false(hp_file_replace(loop, "x", 1, &e5));
	assert_int_equal(lstat(fifo, &st), 0);
	assert_true(S_ISFIFO(st.st_mode));
	assert_int_equal(stat("/dev/null", &st), 0);
	assert_true(S_ISCHR(st.st_mode));
	assert_int_equal(count_entries(dir), 3);
	hp_test_rm_tree(dir);
}

/* A file the caller may not write is refused even where the directory would
 * let a rename replace it. As root, asked as nobody. */
static void
test_refuse_unwritable(void **state)
{
	g_autofree gchar *dir = g_dir_make_tmp("hp-file-XXXXXX", NULL);
	g_autofree gchar *path = g_build_filename(dir, "vm.xml", NULL);
	g_autofree gchar *data = NULL;
	g_autoptr(GError) e1 = NULL;
	g_autoptr(GError) e2 = NULL;
	gboolean root = geteuid() == 0;
	gboolean refused_check, refused_replace;

	g_assert(g_file_set_contents(path, "old", -1, NULL));
	assert_int_equal(chmod(path, 0444), 0);
	assert_int_equal(chmod(dir, 0777), 0); /* anyone may create and rename here */
	if (root)
		assert_int_equal(seteuid(65534), 0);
	refused_check = !hp_file_check_writable(path, &e1);
	refused_replace = !hp_file_replace(path, "new", 3, &e2);
	if (root)
		assert_int_equal(seteuid(0), 0);
	assert_true(refused_check);
	assert_true(refused_replace);
	assert_non_null(strstr(e2->message, "may not write"));
	data = read_all(path);
	assert_string_equal(data, "old");
	assert_int_equal(count_entries(dir), 1);
	hp_test_rm_tree(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_new_file),
	    cmocka_unit_test(test_replace_keeps_metadata),
	    cmocka_unit_test(test_link_chain),
	    cmocka_unit_test(test_refuse_special),
	    cmocka_unit_test(test_refuse_unwritable),
	};
	return cmocka_run_group_tests_name("file", tests, NULL, NULL);
}
