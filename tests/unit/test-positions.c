/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "hp-test.h"

#include "hp-domain.h"
#include "hp-positions.h"
#include "hp-rules.h"

/*
 * A domain of about 1 MB on one line, with a multibyte character before
 * each device and a finding (pci-address-octal) in each of its 5,000 host
 * devices. The generator notes where each bus= attribute starts, in
 * characters, as it writes it; every finding must be exactly there. (Its
 * speed is benchmarks/domain-scale.py's.)
 */
static void
test_one_line_domain(void **state)
{
	g_autoptr(GString) xml = g_string_new("<domain type='kvm'><name>one-line</name><devices>");
	g_autoptr(GArray) expected = g_array_new(FALSE, FALSE, sizeof(guint));
	g_autoptr(HpDiagList) diags = hp_diag_list_new();
	g_autoptr(GBytes) bytes = NULL;
	g_autoptr(HpDocument) hdoc = NULL;
	g_autoptr(HpDomain) domain = NULL;
	glong chars = (glong)xml->len;
	const guint n = 5000;

	for (guint i = 0; i < n; i++) {
		g_autofree gchar *before = g_strdup_printf("<!-- \xc3\xa9t\xc3\xa9 %u --><hostdev mode='subsystem' type='pci' managed='yes'>"
							   "<source><address domain='0x%04x' ",
							   i, i);
		g_autofree gchar *after = g_strdup_printf("bus='010' slot='0x01' function='0x0'/></source>"
							  "<address type='pci' domain='0x0000' bus='0x01' slot='0x%02x' function='0x%x'/></hostdev>",
							  (i / 8) % 32, i % 8);
		guint column;
		g_string_append(xml, before);
		chars += g_utf8_strlen(before, -1);
		column = (guint)chars + 1;
		g_array_append_val(expected, column);
		g_string_append(xml, after);
		chars += g_utf8_strlen(after, -1);
	}
	g_string_append(xml, "</devices></domain>");
	assert_true(xml->len > 1000000);
	assert_null(memchr(xml->str, '\n', xml->len));

	bytes = g_bytes_new(xml->str, xml->len);
	hdoc = hp_document_new_from_bytes("one-line.xml", bytes, diags);
	assert_non_null(hdoc);
	domain = hp_domain_parse(hdoc, diags);
	hp_rules_check_static(hdoc, domain, diags);
	assert_int_equal(domain->hostdevs->len, n);
	assert_int_equal(hp_test_count(diags, "pci-address-octal"), n);
	for (guint i = 0, k = 0; i < diags->items->len; i++) {
		const HpDiag *d = g_ptr_array_index(diags->items, i);
		if (d->rule->rule_id != HP_RULE_PCI_ADDRESS_OCTAL)
			continue;
		assert_int_equal(d->span.line, 1);
		assert_int_equal(d->span.column, g_array_index(expected, guint, k));
		assert_int_equal(d->span.end_column, g_array_index(expected, guint, k) + strlen("bus='010'"));
		k++;
	}
}

/* The scanner alone: what it must skip, and text it must not take. */
static void
test_scan(void **state)
{
	const gchar *text = "<?xml version='1.0'?><!DOCTYPE d SYSTEM 'a>b'><!-- <c> --><d x=\"<>\"><![CDATA[<e>]]><f/>\xe2\x82\xac<g\ny='1'/></d>";
	g_autoptr(HpPositions) pos = hp_positions_scan(text, strlen(text));
	const HpTagPos *tag;
	const HpAttrPos *attr;
	guint line = 0, column = 0;

	assert_non_null(pos);
	assert_int_equal(pos->tags->len, 3); /* d, f, g */
	tag = &g_array_index(pos->tags, HpTagPos, 2);
	assert_int_equal(tag->span.line, 1);
	assert_int_equal(tag->span.column, (guint)g_utf8_strlen(text, strstr(text, "<g") - text) + 1);
	assert_int_equal(tag->n_attrs, 1);
	attr = &g_array_index(pos->attrs, HpAttrPos, tag->attr_first);
	assert_int_equal(attr->span.line, 2);
	assert_int_equal(attr->span.column, 1);
	assert_int_equal(attr->value_span.column, 4);
	assert_int_equal(attr->value_span.end_column, 5);
	/* not what was promised: no positions rather than wrong ones */
	assert_null(hp_positions_scan("<a b='1></a>", 12));
	assert_null(hp_positions_scan("<!-- x", 6));
	hp_text_position(text, strlen(text), (gsize)(strstr(text, "y=") - text), &line, &column);
	assert_int_equal(line, 2);
	assert_int_equal(column, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_one_line_domain),
	    cmocka_unit_test(test_scan),
	};
	return cmocka_run_group_tests_name("positions", tests, NULL, NULL);
}
