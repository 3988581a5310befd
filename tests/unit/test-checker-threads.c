/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The checker's thread contract (src/check/hp-checker.h): one checker checks
 * many documents on several threads at once and finds, for each, exactly
 * what one thread finds; checkers can be made on several threads at once.
 * Run under ThreadSanitizer by `tools/hp-dev tsan`, where any data race
 * fails it; in the normal suite it checks that the results do not depend
 * on the threads.
 */
#include "hp-test.h"

#include "hp-checker.h"
#include "hp-output.h"

#define HP_THREADS 4

typedef struct {
	HpChecker *checker;
	GPtrArray *docs;     /* of GBytes */
	GPtrArray *names;    /* of gchar* */
	GPtrArray *expected; /* of gchar*: the text report of one thread */
	guint offset;        /* where this thread starts, so threads differ */
	guint rounds;
	guint mismatches;
} HpThreadJob;

static gchar *
render(const HpCheckResult *result)
{
	g_autoptr(HpReport) report = hp_report_new(FALSE);
	HpDiagList *copy = hp_report_add_file(report, result->name);
	for (guint i = 0; i < result->diags->items->len; i++) {
		const HpDiag *d = g_ptr_array_index(result->diags->items, i);
		hp_diag_list_add(copy, d->rule->rule_id, &d->span, d->has_device ? &d->device : NULL, "%s", d->message);
	}
	return hp_report_to_string(report, HP_OUTPUT_JSON);
}

/* Every golden input of the suite, and a few made here. */
static void
load_docs(GPtrArray *docs, GPtrArray *names)
{
	const gchar *srcdir = g_getenv("HP_SRCDIR");
	g_autofree gchar *dir = g_build_filename(srcdir != NULL ? srcdir : ".", "tests", "xml-in", NULL);
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	const gchar *extra[] = {"<domain><devices></domain>", "", "<domain/>",
				"<domain type='kvm'><name>x</name><devices><hostdev mode='subsystem' type='pci'>"
				"<source><address domain='0' bus='010' slot='0' function='9'/></source></hostdev></devices></domain>"};
	const gchar *name;

	assert_non_null(d);
	while ((name = g_dir_read_name(d)) != NULL) {
		g_autofree gchar *path = NULL;
		gchar *data = NULL;
		gsize len = 0;
		if (!g_str_has_suffix(name, ".xml"))
			continue;
		path = g_build_filename(dir, name, NULL);
		g_assert(g_file_get_contents(path, &data, &len, NULL));
		g_ptr_array_add(docs, g_bytes_new_take(data, len));
		g_ptr_array_add(names, g_strdup(name));
	}
	for (guint i = 0; i < G_N_ELEMENTS(extra); i++) {
		g_ptr_array_add(docs, g_bytes_new(extra[i], strlen(extra[i])));
		g_ptr_array_add(names, g_strdup_printf("extra-%u.xml", i));
	}
	assert_true(docs->len > 20);
}

static gpointer
check_all(gpointer data)
{
	HpThreadJob *job = data;
	for (guint r = 0; r < job->rounds; r++) {
		for (guint k = 0; k < job->docs->len; k++) {
			guint i = (k + job->offset) % job->docs->len;
			g_autoptr(HpCheckResult) result =
			    hp_checker_check(job->checker, g_ptr_array_index(job->names, i), g_ptr_array_index(job->docs, i));
			g_autofree gchar *text = render(result);
			if (g_strcmp0(text, g_ptr_array_index(job->expected, i)) != 0)
				job->mismatches++;
		}
	}
	return NULL;
}

/* One shared checker, HP_THREADS threads, every document on each. */
static void
run_shared(HpChecker *checker, guint rounds)
{
	g_autoptr(GPtrArray) docs = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) expected = g_ptr_array_new_with_free_func(g_free);
	HpThreadJob jobs[HP_THREADS];
	GThread *threads[HP_THREADS];

	load_docs(docs, names);
	for (guint i = 0; i < docs->len; i++) {
		g_autoptr(HpCheckResult) result = hp_checker_check(checker, g_ptr_array_index(names, i), g_ptr_array_index(docs, i));
		g_ptr_array_add(expected, render(result));
	}
	for (guint t = 0; t < HP_THREADS; t++) {
		jobs[t] = (HpThreadJob){checker, docs, names, expected, t * docs->len / HP_THREADS, rounds, 0};
		threads[t] = g_thread_new("check", check_all, &jobs[t]);
	}
	for (guint t = 0; t < HP_THREADS; t++) {
		g_thread_join(threads[t]);
		assert_int_equal(jobs[t].mismatches, 0);
	}
}

static const gchar *
libvirt_dir(void)
{
	const gchar *dir = g_getenv("HP_LIBVIRT_SCHEMADIR");
	g_autofree gchar *rng = g_build_filename(dir != NULL ? dir : "", "domain.rng", NULL);
	return dir != NULL && g_file_test(rng, G_FILE_TEST_IS_REGULAR) ? dir : NULL;
}

/* Our grammar only, with a host: the host rules share one view. */
static void
test_shared_builtin_with_host(void **state)
{
	g_autofree gchar *root = g_dir_make_tmp("hp-threads-XXXXXX", NULL);
	g_autofree gchar *devices = g_build_filename(root, "sys", "bus", "pci", "devices", NULL);
	g_autoptr(HpChecker) checker = hp_checker_new(NULL, NULL);

	g_assert(g_mkdir_with_parents(devices, 0755) == 0);
	assert_non_null(checker);
	assert_true(hp_checker_set_host(checker, hp_host_new(root, "6.12.0-hp", NULL), NULL));
	run_shared(checker, 3);
	hp_test_rm_tree(root);
}

/* libvirt's grammar too (its compiled form shared), host rules skipped. */
static void
test_shared_libvirt(void **state)
{
	g_autoptr(HpChecker) checker = NULL;

	if (libvirt_dir() == NULL) {
		skip();
		return;
	}
	checker = hp_checker_new(libvirt_dir(), NULL);
	assert_non_null(checker);
	hp_checker_skip_host(checker, "no host in this test");
	run_shared(checker, 1);
}

static gpointer
make_checker(gpointer data)
{
	const gchar *dir = data;
	g_autoptr(HpChecker) checker = hp_checker_new(dir, NULL);
	g_autoptr(GBytes) bytes = g_bytes_new_static("<domain/>", 9);
	g_autoptr(HpCheckResult) result = NULL;
	if (checker == NULL)
		return GINT_TO_POINTER(1);
	result = hp_checker_check(checker, "t.xml", bytes);
	return GINT_TO_POINTER(result->document == NULL);
}

/* Checkers made on several threads at once (grammars compiled at once). */
static void
test_make_concurrently(void **state)
{
	GThread *threads[HP_THREADS];
	for (guint t = 0; t < HP_THREADS; t++)
		threads[t] = g_thread_new("make", make_checker, t == 0 ? (gpointer)libvirt_dir() : NULL);
	for (guint t = 0; t < HP_THREADS; t++)
		assert_int_equal(GPOINTER_TO_INT(g_thread_join(threads[t])), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_shared_builtin_with_host),
	    cmocka_unit_test(test_shared_libvirt),
	    cmocka_unit_test(test_make_concurrently),
	};
	return cmocka_run_group_tests_name("checker-threads", tests, NULL, NULL);
}
