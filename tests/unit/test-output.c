/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "hp-test.h"

#include <json-glib/json-glib.h>

#include "hp-output.h"

static HpReport *
sample(gboolean werror)
{
	HpReport *report = hp_report_new(werror);
	HpDiagList *a = hp_report_add_file(report, "vm.xml");
	HpPciAddress dev = {1, 9, 0, 2};
	hp_report_add_file(report, "ok.xml");
	hp_diag_list_add(a, HP_RULE_MULTIFUNCTION_INCOMPLETE, HP_SPAN(14, 5), &dev, "declare %s", "it");
	hp_diag_list_add(a, HP_RULE_PCI_ADDRESS_OCTAL, HP_SPAN(3, 2), NULL, "octal");
	return report;
}

static void
test_text(void **state)
{
	g_autoptr(HpReport) report = sample(FALSE);
	g_autofree gchar *text = hp_report_to_string(report, HP_OUTPUT_TEXT);
	assert_string_equal(text, "vm.xml:14:5: error: declare it [multifunction-incomplete]\n"
				  "vm.xml:3:2: warning: octal [pci-address-octal]\n");
	assert_false(hp_report_valid(report));
}

static void
test_json(void **state)
{
	g_autoptr(HpReport) report = sample(FALSE);
	g_autofree gchar *text = hp_report_to_string(report, HP_OUTPUT_JSON);
	g_autoptr(JsonParser) parser = json_parser_new();
	JsonObject *root, *file, *diag;
	JsonArray *files, *diags;

	assert_true(json_parser_load_from_data(parser, text, -1, NULL));
	root = json_node_get_object(json_parser_get_root(parser));
	assert_int_equal(json_object_get_int_member(root, "errors"), 1);
	assert_int_equal(json_object_get_int_member(root, "warnings"), 1);
	files = json_object_get_array_member(root, "files");
	assert_int_equal(json_array_get_length(files), 2);
	file = json_array_get_object_element(files, 0);
	assert_string_equal(json_object_get_string_member(file, "file"), "vm.xml");
	assert_false(json_object_get_boolean_member(file, "valid"));
	assert_true(json_object_get_boolean_member(json_array_get_object_element(files, 1), "valid"));
	diags = json_object_get_array_member(file, "diagnostics");
	diag = json_array_get_object_element(diags, 0);
	assert_string_equal(json_object_get_string_member(diag, "rule"), "multifunction-incomplete");
	assert_string_equal(json_object_get_string_member(diag, "severity"), "error");
	assert_int_equal(json_object_get_int_member(diag, "line"), 14);
	assert_int_equal(json_object_get_int_member(diag, "column"), 5);
	assert_string_equal(json_object_get_string_member(diag, "device"), "0001:09:00.2");
	assert_false(json_object_has_member(json_array_get_object_element(diags, 1), "device"));
}

static void
test_sarif(void **state)
{
	g_autoptr(HpReport) report = sample(FALSE);
	g_autofree gchar *text = hp_report_to_string(report, HP_OUTPUT_SARIF);
	g_autoptr(JsonParser) parser = json_parser_new();
	JsonObject *root, *run, *result, *region;
	JsonArray *rules;

	assert_true(json_parser_load_from_data(parser, text, -1, NULL));
	root = json_node_get_object(json_parser_get_root(parser));
	assert_string_equal(json_object_get_string_member(root, "version"), "2.1.0");
	run = json_array_get_object_element(json_object_get_array_member(root, "runs"), 0);
	rules = json_object_get_array_member(json_object_get_object_member(json_object_get_object_member(run, "tool"), "driver"), "rules");
	result = json_array_get_object_element(json_object_get_array_member(run, "results"), 0);
	assert_string_equal(json_object_get_string_member(result, "ruleId"), "multifunction-incomplete");
	assert_string_equal(json_object_get_string_member(result, "level"), "error");
	assert_string_equal(json_object_get_string_member(json_array_get_object_element(rules, json_object_get_int_member(result, "ruleIndex")), "id"),
			    "multifunction-incomplete");
	region = json_object_get_object_member(json_object_get_object_member(
						   json_array_get_object_element(json_object_get_array_member(result, "locations"), 0),
						   "physicalLocation"),
					       "region");
	assert_int_equal(json_object_get_int_member(region, "startLine"), 14);
	assert_int_equal(json_object_get_int_member(region, "startColumn"), 5);
}

static void
test_werror(void **state)
{
	g_autoptr(HpReport) report = hp_report_new(TRUE);
	HpDiagList *a = hp_report_add_file(report, "w.xml");
	hp_diag_list_add(a, HP_RULE_GUEST_MULTIFUNCTION_OFF, HP_SPAN(1, 1), NULL, "w");
	assert_false(hp_report_valid(report));
	report->werror = FALSE;
	assert_true(hp_report_valid(report));
}

static void
test_rules_table(void **state)
{
	guint n = 0;
	const HpRule *rules = hp_rules_all(&n);
	assert_int_equal(n, HP_RULE_COUNT);
	assert_int_equal(n, 29); /* SPEC section 4 lists 29 rules */
	for (guint i = 0; i < n; i++) {
		assert_int_equal(rules[i].rule_id, i);
		assert_ptr_equal(hp_rule_lookup(rules[i].id), &rules[i]);
	}
	assert_string_equal(rules[0].id, "xml-malformed");
	assert_string_equal(hp_rule_get(HP_RULE_DOMAIN_TOO_LARGE)->id, "domain-too-large");
	assert_int_equal(hp_rule_lookup("host-checks-skipped")->severity, HP_SEVERITY_NOTE);
	assert_null(hp_rule_lookup("no-such-rule"));
}

static void
test_echo(void **state)
{
	g_autofree gchar *plain = hp_echo("tg3");
	g_autofree gchar *ctl = hp_echo("a\nb:1:1: note: x\x1b[31m\xff\xfe");
	g_autofree gchar *longv = g_strnfill(300, 'x');
	g_autofree gchar *cut = hp_echo(longv);
	g_autofree gchar *multi = hp_echo("\xc3\xa9t\xc3\xa9");
	g_autoptr(HpDiagList) list = hp_diag_list_new();
	const HpDiag *d;

	assert_string_equal(plain, "tg3");
	assert_string_equal(ctl, "a\\nb:1:1: note: x\\x1b[31m\\xff\\xfe");
	assert_int_equal(g_utf8_strlen(cut, -1), HP_ECHO_MAX + 1);
	assert_true(g_str_has_suffix(cut, "\xe2\x80\xa6"));
	assert_string_equal(multi, "\xc3\xa9t\xc3\xa9"); /* characters, not bytes */
	/* a value a rule forgot to pass through hp_echo() is still escaped */
	d = hp_diag_list_add(list, HP_RULE_SCHEMA, HP_SPAN(1, 1), NULL, "value '%s'", "x\ny\xff");
	assert_string_equal(d->message, "value 'x\\ny\\xff'");
	assert_true(g_utf8_validate(d->message, -1, NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_text),
	    cmocka_unit_test(test_json),
	    cmocka_unit_test(test_sarif),
	    cmocka_unit_test(test_werror),
	    cmocka_unit_test(test_rules_table),
	    cmocka_unit_test(test_echo),
	};
	return cmocka_run_group_tests_name("output", tests, NULL, NULL);
}
