/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Host trees for the unit tests, built by tests/hosts/mkhost.py from the same
 * `.host` descriptions the Python tests use, each into a new temporary
 * directory: no test sees another's changes.
 */
#pragma once

#include "hp-test.h"

/*
 * Builds a tree from tests/hosts/@name.host (when @name is not %NULL)
 * followed by the lines of @extra (when not %NULL), into a new temporary
 * directory. Returns: (transfer full): the root; hp_test_host_free() it.
 */
static inline gchar *
hp_test_host_build(const gchar *name, const gchar *extra)
{
	const gchar *srcdir = g_getenv("HP_SRCDIR");
	g_autofree gchar *tmp = g_dir_make_tmp("hp-test-host-XXXXXX", NULL);
	g_autofree gchar *desc_path = NULL;
	g_autofree gchar *mkhost = NULL;
	g_autofree gchar *root = NULL;
	g_autoptr(GString) desc = g_string_new(NULL);
	g_autoptr(GError) error = NULL;
	gint status = -1;

	g_assert_nonnull(srcdir);
	g_assert_nonnull(tmp);
	if (name != NULL) {
		g_autofree gchar *path = g_strdup_printf("%s/tests/hosts/%s.host", srcdir, name);
		g_autofree gchar *text = NULL;
		g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
		g_string_append(desc, text);
		g_string_append_c(desc, '\n');
	}
	if (extra != NULL)
		g_string_append(desc, extra);
	desc_path = g_build_filename(tmp, "test.host", NULL);
	g_assert_true(g_file_set_contents(desc_path, desc->str, -1, NULL));
	mkhost = g_build_filename(srcdir, "tests", "hosts", "mkhost.py", NULL);
	root = g_build_filename(tmp, "root", NULL);
	{
		const gchar *argv[] = {"python3", mkhost, desc_path, root, NULL};
		if (!g_spawn_sync(NULL, (gchar **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, &status, &error))
			g_error("mkhost.py: %s", error->message);
	}
	if (!g_spawn_check_wait_status(status, &error))
		g_error("mkhost.py %s: %s", desc_path, error->message);
	return g_steal_pointer(&root);
}

/* Removes the temporary directory a tree was built in. */
static inline void
hp_test_host_free(gchar *root)
{
	g_autofree gchar *tmp = NULL;
	if (root == NULL)
		return;
	tmp = g_path_get_dirname(root);
	hp_test_rm_tree(tmp);
	g_free(root);
}

