/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "hp-test.h"

#include <libxml/tree.h>

static void
test_well_formed(void **state)
{
	g_autoptr(HpDiagList) diags = hp_diag_list_new();
	g_autoptr(HpDocument) hdoc = hp_test_doc("<domain>\n  <name>x</name>\n</domain>\n", diags);
	assert_non_null(hdoc);
	assert_int_equal(diags->items->len, 0);
}

static void
test_malformed_position(void **state)
{
	g_autoptr(HpDiagList) diags = hp_diag_list_new();
	g_autoptr(HpDocument) hdoc = hp_test_doc("<domain>\n  <name>x</nam>\n</domain>\n", diags);
	const HpDiag *d;
	assert_null(hdoc);
	d = hp_test_first(diags, "xml-malformed");
	assert_non_null(d);
	assert_int_equal(d->span.line, 2);
	assert_true(d->span.column > 1);
	assert_non_null(strstr(d->message, "not well-formed"));
}

static void
test_truncated_and_empty(void **state)
{
	g_autoptr(HpDiagList) diags = hp_diag_list_new();
	g_autoptr(HpDocument) a = hp_test_doc("<domain><devices><hostdev mode='subsys", diags);
	g_autoptr(HpDocument) b = hp_test_doc("", diags);
	assert_null(a);
	assert_null(b);
	assert_int_equal(hp_test_count(diags, "xml-malformed"), 2);
}

static void
test_entities_refused(void **state)
{
	const gchar *docs[] = {
	    /* an external entity naming a local file */
	    "<!DOCTYPE domain [<!ENTITY x SYSTEM 'file:///etc/passwd'>]>\n<domain><name>&x;</name></domain>",
	    /* a billion laughs */
	    "<!DOCTYPE d [<!ENTITY a 'aaaaaaaaaa'><!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;'>"
	    "<!ENTITY c '&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;'>]>\n<domain>&c;</domain>",
	    /* a parameter entity reaching out */
	    "<!DOCTYPE d [<!ENTITY % p SYSTEM 'http://127.0.0.1:1/x.dtd'> %p;]>\n<domain/>",
	    /* an external DTD */
	    "<!DOCTYPE domain SYSTEM 'file:///etc/passwd'>\n<domain/>",
	    NULL,
	};
	for (guint i = 0; docs[i] != NULL; i++) {
		g_autoptr(HpDiagList) diags = hp_diag_list_new();
		g_autoptr(HpDocument) hdoc = hp_test_doc(docs[i], diags);
		const HpDiag *d = hp_test_first(diags, "xml-malformed");
		if (hdoc != NULL) {
			/* a DOCTYPE without declarations may parse, but nothing loaded */
			xmlChar *text = xmlNodeGetContent(xmlDocGetRootElement(hdoc->doc));
			assert_null(strstr((const char *)text, "root:"));
			xmlFree(text);
			continue;
		}
		assert_non_null(d);
		assert_null(strstr(d->message, "root:"));
	}
}

static void
test_deep_nesting(void **state)
{
	g_autoptr(GString) s = g_string_new(NULL);
	g_autoptr(HpDiagList) diags = hp_diag_list_new();
	g_autoptr(HpDocument) hdoc = NULL;
	for (guint i = 0; i < 10000; i++)
		g_string_append(s, "<a>");
	hdoc = hp_test_doc(s->str, diags);
	assert_null(hdoc);
	assert_int_equal(hp_test_count(diags, "xml-malformed"), 1);
}

static void
test_locate(void **state)
{
	const gchar *xml = "<domain>\n"
			   "  <devices>\n"
			   "    <hostdev mode='subsystem'\n"
			   "             type='pci'>\n"
			   "    </hostdev>\n"
			   "    <address   bus='1' slot=\"2\"/>\n"
			   "  </devices>\n"
			   "</domain>\n";
	g_autoptr(HpDiagList) diags = hp_diag_list_new();
	g_autoptr(HpDocument) hdoc = hp_test_doc(xml, diags);
	xmlNode *devices, *hostdev, *address;
	guint line = 0, col = 0;

	assert_non_null(hdoc);
	devices = xmlFirstElementChild(xmlDocGetRootElement(hdoc->doc));
	hostdev = xmlFirstElementChild(devices);
	address = xmlNextElementSibling(hostdev);
	hp_document_locate(hdoc, hostdev, NULL, &line, &col);
	assert_int_equal(line, 3);
	assert_int_equal(col, 5);
	hp_document_locate(hdoc, hostdev, "type", &line, &col);
	assert_int_equal(line, 4);
	assert_int_equal(col, 14);
	hp_document_locate(hdoc, address, "slot", &line, &col);
	assert_int_equal(line, 6);
	assert_int_equal(col, 24);
	hp_document_locate(hdoc, address, "missing", &line, &col);
	assert_int_equal(line, 6);
	assert_int_equal(col, 5);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_well_formed),
	    cmocka_unit_test(test_malformed_position),
	    cmocka_unit_test(test_truncated_and_empty),
	    cmocka_unit_test(test_entities_refused),
	    cmocka_unit_test(test_deep_nesting),
	    cmocka_unit_test(test_locate),
	};
	return cmocka_run_group_tests_name("document", tests, NULL, NULL);
}
