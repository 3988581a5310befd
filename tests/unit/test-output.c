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

static JsonObject *
parse_object(JsonParser *parser, const gchar *text)
{
	assert_true(g_utf8_validate(text, -1, NULL));
	assert_true(json_parser_load_from_data(parser, text, -1, NULL));
	return json_node_get_object(json_parser_get_root(parser));
}

static JsonObject *
sarif_run(JsonObject *root)
{
	return json_array_get_object_element(json_object_get_array_member(root, "runs"), 0);
}

static JsonObject *
sarif_physical(JsonObject *with_locations)
{
	return json_object_get_object_member(
	    json_array_get_object_element(json_object_get_array_member(with_locations, "locations"), 0),
	    "physicalLocation");
}

/* JSON adds end_line/end_column when known; SARIF a full region, its
 * columns counted in code points. */
static void
test_end_positions(void **state)
{
	g_autoptr(HpReport) report = hp_report_new(FALSE);
	HpDiagList *a = hp_report_add_file(report, "vm.xml");
	g_autofree gchar *json = NULL;
	g_autofree gchar *sarif = NULL;
	g_autoptr(JsonParser) p1 = json_parser_new();
	g_autoptr(JsonParser) p2 = json_parser_new();
	JsonArray *diags, *results;
	JsonObject *d0, *d1, *run, *region;

	hp_diag_list_add(a, HP_RULE_SCHEMA, &(HpSpan){14, 5, 16, 15}, NULL, "spans lines");
	hp_diag_list_add(a, HP_RULE_SCHEMA, HP_SPAN(20, 3), NULL, "start only");
	json = hp_report_to_string(report, HP_OUTPUT_JSON);
	diags = json_object_get_array_member(
	    json_array_get_object_element(json_object_get_array_member(parse_object(p1, json), "files"), 0), "diagnostics");
	d0 = json_array_get_object_element(diags, 0);
	d1 = json_array_get_object_element(diags, 1);
	assert_int_equal(json_object_get_int_member(d0, "line"), 14);
	assert_int_equal(json_object_get_int_member(d0, "column"), 5);
	assert_int_equal(json_object_get_int_member(d0, "end_line"), 16);
	assert_int_equal(json_object_get_int_member(d0, "end_column"), 15);
	assert_false(json_object_has_member(d1, "end_line"));
	assert_false(json_object_has_member(d1, "end_column"));

	sarif = hp_report_to_string(report, HP_OUTPUT_SARIF);
	run = sarif_run(parse_object(p2, sarif));
	assert_string_equal(json_object_get_string_member(run, "columnKind"), "unicodeCodePoints");
	results = json_object_get_array_member(run, "results");
	region = json_object_get_object_member(sarif_physical(json_array_get_object_element(results, 0)), "region");
	assert_int_equal(json_object_get_int_member(region, "startLine"), 14);
	assert_int_equal(json_object_get_int_member(region, "startColumn"), 5);
	assert_int_equal(json_object_get_int_member(region, "endLine"), 16);
	assert_int_equal(json_object_get_int_member(region, "endColumn"), 15);
	region = json_object_get_object_member(sarif_physical(json_array_get_object_element(results, 1)), "region");
	assert_int_equal(json_object_get_int_member(region, "startLine"), 20);
	assert_false(json_object_has_member(region, "endLine"));
}

/* A file that cannot be read is in every report, not valid. */
static void
test_unreadable(void **state)
{
	g_autoptr(HpReport) report = hp_report_new(FALSE);
	g_autoptr(HpReport) fine = hp_report_new(FALSE);
	g_autofree gchar *json = NULL;
	g_autofree gchar *sarif = NULL;
	g_autofree gchar *sarif_fine = NULL;
	g_autofree gchar *text = NULL;
	g_autoptr(JsonParser) p1 = json_parser_new();
	g_autoptr(JsonParser) p2 = json_parser_new();
	g_autoptr(JsonParser) p3 = json_parser_new();
	JsonArray *files, *invocations, *notes;
	JsonObject *missing, *inv, *note;

	hp_report_add_file(report, "ok.xml");
	hp_report_add_unreadable(report, "missing.xml", "No such file or directory");
	hp_report_add_file(fine, "ok.xml");
	assert_false(hp_report_valid(report));
	assert_int_equal(hp_report_count_unreadable(report), 1);

	json = hp_report_to_string(report, HP_OUTPUT_JSON);
	files = json_object_get_array_member(parse_object(p1, json), "files");
	assert_int_equal(json_array_get_length(files), 2);
	missing = json_array_get_object_element(files, 1);
	assert_string_equal(json_object_get_string_member(missing, "file"), "missing.xml");
	assert_false(json_object_get_boolean_member(missing, "valid"));
	assert_string_equal(json_object_get_string_member(missing, "error"), "No such file or directory");
	assert_false(json_object_has_member(missing, "diagnostics"));

	sarif = hp_report_to_string(report, HP_OUTPUT_SARIF);
	invocations = json_object_get_array_member(sarif_run(parse_object(p2, sarif)), "invocations");
	assert_int_equal(json_array_get_length(invocations), 1);
	inv = json_array_get_object_element(invocations, 0);
	assert_false(json_object_get_boolean_member(inv, "executionSuccessful"));
	notes = json_object_get_array_member(inv, "toolExecutionNotifications");
	assert_int_equal(json_array_get_length(notes), 1);
	note = json_array_get_object_element(notes, 0);
	assert_string_equal(json_object_get_string_member(note, "level"), "error");
	assert_string_equal(json_object_get_string_member(json_object_get_object_member(note, "message"), "text"),
			    "cannot read missing.xml: No such file or directory");
	assert_string_equal(json_object_get_string_member(json_object_get_object_member(sarif_physical(note), "artifactLocation"), "uri"),
			    "missing.xml");
	sarif_fine = hp_report_to_string(fine, HP_OUTPUT_SARIF);
	inv = json_array_get_object_element(json_object_get_array_member(sarif_run(parse_object(p3, sarif_fine)), "invocations"), 0);
	assert_true(json_object_get_boolean_member(inv, "executionSuccessful"));
	/* text reports findings only; the command line says it on stderr */
	text = hp_report_to_string(report, HP_OUTPUT_TEXT);
	assert_string_equal(text, "");
}

static void
test_uri(void **state)
{
	const struct {
		const gchar *name, *uri;
	} cases[] = {
	    {"vm.xml", "vm.xml"},
	    {"dir/vm-1_a~.xml", "dir/vm-1_a~.xml"},
	    {"my vm#2 100%.xml", "my%20vm%232%20100%25.xml"},
	    {"c:vm.xml", "c%3Avm.xml"}, /* not a scheme */
	    {"a?b.xml", "a%3Fb.xml"},
	    {"/srv/d\xc3\xa9j\xc3\xa0.xml", "file:///srv/d%C3%A9j%C3%A0.xml"},
	    {"\xff\xfe.xml", "%FF%FE.xml"},
	    {"<stdin>", "%3Cstdin%3E"},
	};
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree gchar *uri = hp_report_uri(cases[i].name);
		assert_string_equal(uri, cases[i].uri);
	}
}

/* Nothing from an input forges a line or breaks a JSON reader: not a value
 * with a newline (as &#10; gives), not control bytes or invalid UTF-8 in a
 * value, not a file name with any of them. */
static void
test_forged(void **state)
{
	const gchar *names[] = {"vm.xml\nvm.xml:1:1: note: forged [schema]", "\xff\xfe\x1b[31m.xml"};
	for (guint n = 0; n < G_N_ELEMENTS(names); n++) {
		g_autoptr(HpReport) report = hp_report_new(FALSE);
		HpDiagList *a = hp_report_add_file(report, names[n]);
		g_autofree gchar *echo = hp_echo("1\nvm.xml:1:1: note: fake line [schema]");
		g_autofree gchar *text = NULL;
		g_autofree gchar *json = NULL;
		g_autofree gchar *sarif = NULL;
		g_autoptr(JsonParser) p1 = json_parser_new();
		g_autoptr(JsonParser) p2 = json_parser_new();
		g_auto(GStrv) lines = NULL;
		JsonObject *file;

		hp_diag_list_add(a, HP_RULE_PCI_ADDRESS_INVALID, HP_SPAN(3, 7), NULL, "bus '%s' is not a number", echo);
		hp_diag_list_add(a, HP_RULE_HOST_FILE_MALFORMED, HP_SPAN(4, 1), NULL, "driver '%s'", "\xff\xfe\x1b[31m");
		hp_report_add_unreadable(report, names[n], "bad\nline \x1b[31m\xff");
		text = hp_report_to_string(report, HP_OUTPUT_TEXT);
		assert_true(g_utf8_validate(text, -1, NULL));
		assert_null(strchr(text, '\x1b'));
		lines = g_strsplit(text, "\n", -1);
		assert_int_equal(g_strv_length(lines), 3); /* two findings, then "" */
		assert_non_null(strstr(lines[0], ":3:7: error: bus '1\\nvm.xml:1:1: note: fake line [schema]' is not a number [pci-address-invalid]"));
		assert_non_null(strstr(lines[1], ":4:1: warning: driver '\\xff\\xfe\\x1b[31m' [host-file-malformed]"));

		json = hp_report_to_string(report, HP_OUTPUT_JSON);
		file = json_array_get_object_element(json_object_get_array_member(parse_object(p1, json), "files"), 0);
		if (n == 0) /* valid UTF-8: the name as it is, JSON escapes the newline */
			assert_string_equal(json_object_get_string_member(file, "file"), names[0]);
		else
			assert_string_equal(json_object_get_string_member(file, "file"), "\\xff\\xfe\\x1b[31m.xml");
		assert_null(strchr(json, '\x1b'));
		sarif = hp_report_to_string(report, HP_OUTPUT_SARIF);
		(void)parse_object(p2, sarif);
		assert_null(strchr(sarif, '\x1b'));
	}
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
	    cmocka_unit_test(test_end_positions),
	    cmocka_unit_test(test_unreadable),
	    cmocka_unit_test(test_uri),
	    cmocka_unit_test(test_forged),
	};
	return cmocka_run_group_tests_name("output", tests, NULL, NULL);
}
