/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "hp-test.h"

#include "hp-plan-sh.h"

/* What sh makes of @word: printf '%s' WORD, run. */
static gchar *
sh_eval(const gchar *word)
{
	g_autofree gchar *script = g_strdup_printf("printf '%%s' %s", word);
	const gchar *argv[] = {"/bin/sh", "-c", script, NULL};
	gchar *out = NULL;
	gint status = -1;
	assert_true(g_spawn_sync(NULL, (gchar **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, NULL, &status, NULL));
	assert_true(g_spawn_check_wait_status(status, NULL));
	return out;
}

static void
test_quote(void **state)
{
	const gchar *values[] = {
	    "",
	    "vfio-pci",
	    "it's",
	    "''",
	    "a\nb",
	    "$(touch PWNED)",
	    "`touch PWNED`",
	    "${IFS}x$HOME",
	    "\\n \\' \"",
	    "; rm -rf x #",
	    "*",
	    "\t-x\r",
	};
	g_autofree gchar *q = hp_sh_quote("it's");
	assert_string_equal(q, "'it'\\''s'");
	for (guint i = 0; i < G_N_ELEMENTS(values); i++) {
		g_autofree gchar *word = hp_sh_quote(values[i]);
		g_autofree gchar *back = sh_eval(word);
		assert_string_equal(back, values[i]);
	}
	{
		g_autofree gchar *cwd = g_get_current_dir();
		g_autofree gchar *marker = g_build_filename(cwd, "PWNED", NULL);
		assert_false(g_file_test(marker, G_FILE_TEST_EXISTS));
	}
}

/* A domain name can only ever be in a comment, escaped. */
static void
test_hostile_domain_name(void **state)
{
	HpPlan plan = {0};
	g_autofree gchar *sh = NULL;
	g_auto(GStrv) lines = NULL;

	plan.domain = (gchar *)"vm'\n$(touch PWNED)\r`id`\x1b[31m";
	plan.devices = g_ptr_array_new();
	plan.prepare = g_ptr_array_new();
	plan.release = g_ptr_array_new();
	sh = hp_plan_to_sh(&plan);
	lines = g_strsplit(sh, "\n", -1);
	assert_string_equal(lines[1], "# Host preparation for the libvirt domain named 'vm'\\n$(touch PWNED)\\r`id`\\x1b[31m', "
				      "written by hostdev-preflight plan.");
	for (guint i = 0; lines[i] != NULL; i++) {
		assert_null(strstr(lines[i], "PWNED") == NULL || i == 1 ? NULL : lines[i]);
		assert_null(strchr(lines[i], '\r'));
		assert_null(strchr(lines[i], '\x1b'));
	}
	assert_null(strstr(sh, "drv_"));
	assert_non_null(strstr(sh, "\ttrue # nothing to give back\n"));
	g_ptr_array_unref(plan.devices);
	g_ptr_array_unref(plan.prepare);
	g_ptr_array_unref(plan.release);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_quote),
	    cmocka_unit_test(test_hostile_domain_name),
	};
	return cmocka_run_group_tests_name("plan-sh", tests, NULL, NULL);
}
