/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "hp-test.h"

#include <sys/stat.h>

#include "hp-error.h"
#include "hp-journal.h"

static gchar *dir;

static int
setup(void **state)
{
	dir = g_dir_make_tmp("hp-test-journal-XXXXXX", NULL);
	return dir != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	const gchar *name;
	while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
		g_autofree gchar *path = g_build_filename(dir, name, NULL);
		g_unlink(path);
	}
	g_rmdir(dir);
	g_clear_pointer(&dir, g_free);
	return 0;
}

/* A journal with every kind of value: none, a driver, an override, undo steps, a message. */
static HpJournal *
sample(const gchar *domain)
{
	HpJournal *j = hp_journal_new(domain);
	HpPciAddress a, b;
	HpJournalEntry *e;
	g_autoptr(HpPlanStep) modprobe = NULL, set = NULL, unbind = NULL, restore = NULL;

	g_assert_true(hp_pci_address_parse_bdf("0001:09:00.0", &a));
	g_assert_true(hp_pci_address_parse_bdf("0000:00:05.3", &b));
	j->state = HP_JOURNAL_APPLYING;
	hp_journal_add_device(j, &a, "tg3", NULL, "vfio-pci", 17);
	hp_journal_add_device(j, &b, NULL, "e1000", "vfio-pci", -1);
	modprobe = hp_plan_step_new(HP_STEP_MODPROBE, &a, "vfio_pci", NULL, "vfio_pci");
	set = hp_plan_step_new(HP_STEP_SET_OVERRIDE, &a, "vfio-pci", "", "vfio_pci");
	unbind = hp_plan_step_new(HP_STEP_UNBIND, &a, "0001:09:00.0", "tg3", NULL);
	restore = hp_plan_step_new(HP_STEP_RESTORE_OVERRIDE, &a, "", "vfio-pci", NULL);
	e = hp_journal_add_entry(j, modprobe, FALSE, NULL, NULL);
	e->result = HP_ENTRY_SKIPPED;
	e->message = g_strdup("not loaded: \"a copy\"\n");
	e = hp_journal_add_entry(j, set, FALSE, "tg3", NULL);
	e->result = HP_ENTRY_DONE;
	e = hp_journal_add_entry(j, unbind, FALSE, "tg3", "vfio-pci");
	e->result = HP_ENTRY_FAILED;
	e->message = g_strdup("0001:09:00.0 is still on tg3 after the unbind");
	hp_journal_add_entry(j, restore, TRUE, "tg3", "vfio-pci");
	return j;
}

static void
test_round_trip(void **state)
{
	g_autoptr(HpJournal) j = sample("seed");
	g_autofree gchar *text = hp_journal_to_json(j);
	g_autoptr(GError) error = NULL;
	g_autoptr(HpJournal) back = hp_journal_from_json(text, strlen(text), "seed.json", &error);
	g_autofree gchar *again = NULL;
	const HpJournalDevice *dev;
	const HpJournalEntry *e;

	g_assert_no_error(error);
	g_assert_nonnull(back);
	again = hp_journal_to_json(back);
	g_assert_cmpstr(text, ==, again);
	/* the values themselves, not only the text */
	g_assert_cmpstr(back->domain, ==, "seed");
	g_assert_cmpint(back->state, ==, HP_JOURNAL_APPLYING);
	g_assert_cmpuint(back->devices->len, ==, 2);
	dev = g_ptr_array_index(back->devices, 1);
	g_assert_null(dev->driver);
	g_assert_cmpstr(dev->override, ==, "e1000");
	g_assert_cmpint(dev->iommu_group, ==, -1);
	g_assert_cmpuint(back->entries->len, ==, 4);
	e = g_ptr_array_index(back->entries, 2);
	g_assert_cmpint(e->step->kind, ==, HP_STEP_UNBIND);
	g_assert_cmpstr(e->step->previous, ==, "tg3");
	g_assert_cmpstr(e->override_before, ==, "vfio-pci");
	g_assert_cmpint(e->result, ==, HP_ENTRY_FAILED);
	e = g_ptr_array_index(back->entries, 3);
	g_assert_true(e->undo);
	g_assert_cmpint(e->result, ==, HP_ENTRY_PENDING);
	g_assert_cmpstr(e->step->value, ==, "");
}

static void
test_save_load(void **state)
{
	g_autoptr(HpJournal) j = sample("seed");
	g_autoptr(HpJournal) back = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *path = g_build_filename(dir, "seed.json", NULL);
	g_autofree gchar *tmp = g_build_filename(dir, ".seed.json.new", NULL);
	g_autofree gchar *a = NULL, *b = NULL;
	struct stat st;

	back = hp_journal_load(dir, "seed", &error);
	g_assert_error(error, HP_ERROR, HP_ERROR_NOT_FOUND);
	g_assert_null(back);
	g_clear_error(&error);

	g_assert_true(hp_journal_save(j, dir, &error));
	g_assert_no_error(error);
	g_assert_cmpint(stat(path, &st), ==, 0);
	g_assert_cmpint(st.st_mode & 0777, ==, 0600);
	g_assert_false(g_file_test(tmp, G_FILE_TEST_EXISTS));
	/* saved again, changed: the new one replaces the old one whole */
	j->state = HP_JOURNAL_PREPARED;
	g_assert_true(hp_journal_save(j, dir, &error));
	back = hp_journal_load(dir, "seed", &error);
	g_assert_no_error(error);
	g_assert_cmpint(back->state, ==, HP_JOURNAL_PREPARED);
	a = hp_journal_to_json(j);
	b = hp_journal_to_json(back);
	g_assert_cmpstr(a, ==, b);

	g_assert_true(hp_journal_remove(dir, "seed", &error));
	g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
	g_assert_true(hp_journal_remove(dir, "seed", &error)); /* none is no error */
}

/* A journal cut at every length (a torn write, a full disk) is a clear error, never a crash. */
static void
test_torn(void **state)
{
	g_autoptr(HpJournal) j = sample("seed");
	g_autofree gchar *text = hp_journal_to_json(j);
	gsize len = strlen(text);

	for (gsize cut = 0; cut + 2 < len; cut++) {
		g_autoptr(GError) error = NULL;
		g_autofree gchar *part = g_strndup(text, cut);
		g_autoptr(HpJournal) back = hp_journal_from_json(part, cut, "seed.json", &error);
		g_assert_null(back);
		g_assert_error(error, HP_ERROR, HP_ERROR_INVALID_DATA);
		g_assert_nonnull(strstr(error->message, "seed.json"));
	}
}

static void
expect_garbled(const gchar *text, const gchar *what)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HpJournal) back = hp_journal_from_json(text, strlen(text), "x.json", &error);
	g_assert_null(back);
	g_assert_error(error, HP_ERROR, HP_ERROR_INVALID_DATA);
	if (strstr(error->message, what) == NULL)
		fail_msg("'%s': expected '%s' in: %s", text, what, error->message);
}

/* The sample's JSON with @from replaced by @to (once). */
static gchar *
sample_with(const gchar *from, const gchar *to)
{
	g_autoptr(HpJournal) j = sample("seed");
	g_autofree gchar *text = hp_journal_to_json(j);
	gchar *at = strstr(text, from);
	g_assert_nonnull(at);
	*at = '\0';
	return g_strconcat(text, to, at + strlen(from), NULL);
}

static void
test_garbled(void **state)
{
	g_autofree gchar *driver = sample_with("\"driver\" : \"tg3\"", "\"driver\" : \"../../x\"");
	g_autofree gchar *addr = sample_with("\"0001:09:00.0\"", "\"0001:09:00.9\"");
	g_autofree gchar *kind = sample_with("\"set-override\"", "\"reboot\"");
	g_autofree gchar *result = sample_with("\"done\"", "\"maybe\"");
	g_autofree gchar *group = sample_with("\"iommu_group\" : 17", "\"iommu_group\" : \"17\"");
	g_autofree gchar *state_ = sample_with("\"applying\"", "\"sleeping\"");
	g_autofree gchar *version = sample_with("\"version\" : 1", "\"version\" : 2");
	g_autofree gchar *before = sample_with("\"before\" : {", "\"after\" : {");

	expect_garbled("", "is empty");
	expect_garbled("\xff\xfe", "is not JSON");
	expect_garbled("[]", "not a hostdev-preflight journal");
	expect_garbled("{\"format\": \"other\"}", "not a hostdev-preflight journal");
	expect_garbled("{\"format\": \"hostdev-preflight-journal\", \"version\": 1}", "garbled");
	expect_garbled(driver, "device 1 is not valid");
	expect_garbled(addr, "is not valid");
	expect_garbled(kind, "step 2 is not valid");
	expect_garbled(result, "step 2 is not valid");
	expect_garbled(group, "device 1 is not valid");
	expect_garbled(state_, "garbled");
	expect_garbled(version, "version");
	expect_garbled(before, "step 1 is not valid");
}

/* A domain name never builds a path as it is. */
static void
test_file_stem(void **state)
{
	const gchar *cases[][2] = {
	    {"seed", "seed"},
	    {"vm-1_a+b.x", "vm-1_a+b.x"},
	    {"../etc/x", "%2E.%2Fetc%2Fx"},
	    {".hidden", "%2Ehidden"},
	    {"a b/c", "a%20b%2Fc"},
	    {"%", "%25"},
	    {"\xc3\xa9", "%C3%A9"},
	};
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree gchar *stem = hp_journal_file_stem(cases[i][0]);
		g_assert_cmpstr(stem, ==, cases[i][1]);
	}
}

static void
test_load_all(void **state)
{
	g_autoptr(HpJournal) a = sample("a");
	g_autoptr(HpJournal) b = sample("b/../c");
	g_autoptr(GPtrArray) bad = NULL;
	g_autoptr(GPtrArray) all = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(HpJournal) wrong = NULL;
	g_autofree gchar *garbled = g_build_filename(dir, "z.json", NULL);
	g_autofree gchar *hidden = g_build_filename(dir, ".y.json.new", NULL);
	g_autofree gchar *moved = g_build_filename(dir, "a2.json", NULL);
	g_autofree gchar *from = g_build_filename(dir, "a.json", NULL);

	g_assert_true(hp_journal_save(a, dir, &error));
	g_assert_true(hp_journal_save(b, dir, &error));
	g_assert_true(g_file_set_contents(garbled, "{\"format\"", -1, NULL));
	g_assert_true(g_file_set_contents(hidden, "half", -1, NULL));
	all = hp_journal_load_all(dir, &bad);
	g_assert_cmpuint(all->len, ==, 2);
	g_assert_cmpuint(bad->len, ==, 1);
	g_assert_nonnull(strstr(g_ptr_array_index(bad, 0), "z.json"));
	/* a journal under another domain's name is refused */
	g_assert_cmpint(g_rename(from, moved), ==, 0);
	wrong = hp_journal_load(dir, "a2", &error);
	g_assert_null(wrong);
	g_assert_error(error, HP_ERROR, HP_ERROR_INVALID_DATA);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test_setup_teardown(test_save_load, setup, teardown),
	    cmocka_unit_test(test_torn),
	    cmocka_unit_test(test_garbled),
	    cmocka_unit_test(test_file_stem),
	    cmocka_unit_test_setup_teardown(test_load_all, setup, teardown),
	};
	return cmocka_run_group_tests_name("journal", tests, NULL, NULL);
}
