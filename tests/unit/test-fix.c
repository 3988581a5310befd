/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "hp-test.h"

#include "hp-diff.h"
#include "hp-fix.h"
#include "hp-normalize.h"
#include "hp-rules.h"

#define SRC0 "domain='0x0001' bus='0x09' slot='0x00' function='0x0'"
#define SRC1 "domain='0x0001' bus='0x09' slot='0x00' function='0x1'"

/* The document after fix, normalized; the findings before in @diags. */
static gchar *
hp_test_fix(const gchar *xml, HpDiagList *diags, const HpDiag *(*pick)(const HpDiagList *), guint *ret_n)
{
	g_autoptr(HpDocument) hdoc = hp_test_doc(xml, diags);
	g_autoptr(HpDomain) domain = NULL;
	g_autoptr(HpNormalizer) norm = hp_normalizer_new(NULL);

	assert_non_null(hdoc);
	domain = hp_domain_parse(hdoc, diags);
	hp_rules_check_static(hdoc, domain, diags);
	hp_diag_list_sort(diags);
	*ret_n = hp_fix_apply(hdoc, domain, diags, pick != NULL ? pick(diags) : NULL);
	return hp_normalizer_apply(norm, hdoc->doc, FALSE, NULL, NULL, NULL);
}

static void
test_unassigned(void **state)
{
	g_autofree gchar *xml = hp_test_domain(
	    HP_HOSTDEV("", SRC0, "      <address type='pci' domain='0' bus='1' slot='1' function='0' multifunction='on'/>\n")
		HP_HOSTDEV(" assigned='no'", SRC1,
			   "      <alias name='ua-x'/>\n      <rom bar='off'/>\n"
			   "      <address type='pci' domain='0' bus='1' slot='1' function='1'/>\n"));
	g_autoptr(HpDiagList) diags = hp_diag_list_new();
	g_autofree gchar *out = NULL;
	guint n = 0;

	out = hp_test_fix(xml, diags, NULL, &n);
	assert_int_equal(hp_test_count(diags, "unassigned-has-guest-address"), 1);
	assert_int_equal(hp_test_count(diags, "unassigned-has-guest-settings"), 2);
	assert_int_equal(n, 3);
	assert_null(strstr(out, "<alias"));
	assert_null(strstr(out, "<rom"));
	assert_null(strstr(out, "function='0x1'/>\n    </hostdev>")); /* the guest address of 1 went */
	assert_non_null(strstr(out, "function='0x0' multifunction='on'/>"));
}

static const HpDiag *
hp_pick_octal(const HpDiagList *diags)
{
	return hp_test_first(diags, "pci-address-octal");
}

static void
test_only_one(void **state)
{
	/* two repairable findings; only the one picked is repaired */
	g_autofree gchar *xml = hp_test_domain(
	    "    <disk type='file' device='disk'><source file='/x'/><target dev='vda' bus='virtio'/>"
	    "<address type='pci' domain='0' bus='010' slot='3' function='0'/></disk>\n"
	    HP_HOSTDEV(" assigned='no'", SRC1, "      <boot order='1'/>\n"));
	g_autoptr(HpDiagList) diags = hp_diag_list_new();
	g_autofree gchar *out = NULL;
	guint n = 0;

	out = hp_test_fix(xml, diags, hp_pick_octal, &n);
	assert_int_equal(n, 1);
	assert_non_null(strstr(out, "bus='0x08'"));
	assert_non_null(strstr(out, "<boot order='1'/>")); /* not picked: kept */
}

static void
test_multifunction_on(void **state)
{
	g_autofree gchar *xml = hp_test_domain(
	    HP_HOSTDEV("", SRC0, "      <address type='pci' domain='0' bus='1' slot='1' function='0'/>\n")
		HP_HOSTDEV("", SRC1, "      <address type='pci' domain='0' bus='1' slot='1' function='1'/>\n"));
	g_autoptr(HpDiagList) diags = hp_diag_list_new();
	g_autofree gchar *out = NULL;
	guint n = 0;

	out = hp_test_fix(xml, diags, NULL, &n);
	assert_int_equal(hp_test_count(diags, "guest-multifunction-off"), 1);
	assert_int_equal(n, 1);
	assert_non_null(strstr(out, "function='0x0' multifunction='on'/>"));
}

static void
test_not_repairable(void **state)
{
	/* a duplicate has two possible repairs: none is made */
	g_autofree gchar *xml = hp_test_domain(HP_HOSTDEV("", SRC0, "") HP_HOSTDEV("", SRC0, ""));
	g_autoptr(HpDiagList) diags = hp_diag_list_new();
	g_autofree gchar *out = NULL;
	guint n = 9;

	out = hp_test_fix(xml, diags, NULL, &n);
	assert_int_equal(hp_test_count(diags, "hostdev-duplicate"), 1);
	assert_false(hp_fix_is_repairable(hp_test_first(diags, "hostdev-duplicate"), NULL));
	assert_int_equal(n, 0);
}

static void
test_missing_function(void **state)
{
	/* the host rule's finding names the missing function: it is declared
	 * after its siblings with their managed=; siblings that disagree on
	 * managed= leave no one safe choice */
	g_autofree gchar *xml = hp_test_domain(HP_HOSTDEV("", SRC0, "") "    <hostdev mode='subsystem' type='pci' managed='yes'>\n"
								"      <source><address " SRC1 "/></source>\n    </hostdev>\n");
	g_autofree gchar *mixed = hp_test_domain(HP_HOSTDEV("", SRC0, "") "    <hostdev mode='subsystem' type='pci' managed='no'>\n"
								  "      <source><address " SRC1 "/></source>\n    </hostdev>\n");
	g_autoptr(HpDiagList) diags = hp_diag_list_new();
	g_autoptr(HpDiagList) diags2 = hp_diag_list_new();
	g_autoptr(HpDocument) hdoc = hp_test_doc(xml, diags);
	g_autoptr(HpDocument) hdoc2 = hp_test_doc(mixed, diags2);
	g_autoptr(HpDomain) domain = hp_domain_parse(hdoc, diags);
	g_autoptr(HpDomain) domain2 = hp_domain_parse(hdoc2, diags2);
	g_autoptr(HpNormalizer) norm = hp_normalizer_new(NULL);
	HpPciAddress two = {1, 9, 0, 2};
	g_autofree gchar *out = NULL;
	const gchar *f1, *f2;

	hp_diag_list_add(diags, HP_RULE_MULTIFUNCTION_INCOMPLETE, HP_SPAN(4, 5), &two, "missing");
	hp_diag_list_add(diags2, HP_RULE_MULTIFUNCTION_INCOMPLETE, HP_SPAN(4, 5), &two, "missing");
	assert_true(hp_fix_is_repairable(g_ptr_array_index(diags->items, 0), domain));
	assert_false(hp_fix_is_repairable(g_ptr_array_index(diags2->items, 0), domain2));
	assert_int_equal(hp_fix_apply(hdoc2, domain2, diags2, NULL), 0);
	assert_int_equal(hp_fix_apply(hdoc, domain, diags, NULL), 1);
	out = hp_normalizer_apply(norm, hdoc->doc, FALSE, NULL, NULL, NULL);
	f1 = strstr(out, "function='0x1'");
	f2 = strstr(out, "<hostdev mode='subsystem' type='pci' managed='yes' assigned='no'>\n      <source>\n"
			 "        <address domain='0x0001' bus='0x09' slot='0x00' function='0x2'/>");
	assert_non_null(f1);
	assert_non_null(f2);
	assert_true(f2 > f1);
}

static void
test_diff(void **state)
{
	g_autofree gchar *same = hp_diff_unified("a", "x\ny\n", "b", "x\ny\n", 3);
	g_autofree gchar *d = hp_diff_unified("a/f", "1\n2\n3\n4\n5\n6\n7\n8\n9\n", "b/f", "1\n2\n3\n4\nX\n6\n7\n8\n9\n", 3);
	g_autofree gchar *add = hp_diff_unified("a", "", "b", "new\n", 3);
	g_autofree gchar *nonl = hp_diff_unified("a", "x", "b", "y", 3);

	assert_string_equal(same, "");
	assert_string_equal(d, "--- a/f\n+++ b/f\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+X\n 6\n 7\n 8\n");
	assert_string_equal(add, "--- a\n+++ b\n@@ -0,0 +1,1 @@\n+new\n");
	assert_string_equal(nonl, "--- a\n+++ b\n@@ -1,1 +1,1 @@\n-x\n\\ No newline at end of file\n+y\n"
				  "\\ No newline at end of file\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_unassigned),
	    cmocka_unit_test(test_only_one),
	    cmocka_unit_test(test_multifunction_on),
	    cmocka_unit_test(test_not_repairable),
	    cmocka_unit_test(test_missing_function),
	    cmocka_unit_test(test_diff),
	};
	return cmocka_run_group_tests_name("fix", tests, NULL, NULL);
}
