/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "hp-test.h"

#include <libxml/tree.h>

#include "hp-error.h"
#include "hp-xml-util.h"

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

/* Any internal subset is refused at its '[', before a declaration in it is
 * read: a default attribute would make one layer see bus 0x0b where another
 * (the stylesheet, reading the text) sees none. */
static void
test_internal_subset_refused(void **state)
{
	const gchar *docs[] = {
	    "<!DOCTYPE domain [<!ATTLIST address bus CDATA \"0x0b\">]>\n<domain><devices/></domain>",
	    "<!DOCTYPE domain [<!ATTLIST hostdev managed CDATA #FIXED \"yes\">]>\n<domain/>",
	    "<!DOCTYPE domain [<!ENTITY n 'vm'>]>\n<domain><name>&n;</name></domain>",
	    "<!DOCTYPE domain [<!ELEMENT domain ANY>]>\n<domain/>",
	    "<!DOCTYPE domain SYSTEM 'domain.dtd' [ ]>\n<domain/>",
	    NULL,
	};
	for (guint i = 0; docs[i] != NULL; i++) {
		g_autoptr(HpDiagList) diags = hp_diag_list_new();
		g_autoptr(HpDocument) hdoc = hp_test_doc(docs[i], diags);
		const HpDiag *d = hp_test_first(diags, "xml-malformed");
		assert_null(hdoc);
		assert_non_null(d);
		assert_int_equal(diags->items->len, 1);
		assert_non_null(strstr(d->message, "internal subset"));
		assert_int_equal(d->span.line, 1);
		/* the '[' */
		assert_int_equal(d->span.column, (guint)(strchr(docs[i], '[') - docs[i]) + 1);
	}
}

/* With no entity declared and no DTD read, only the predefined entities and
 * character references can be read; any other is refused, not read as "". */
static void
test_entity_reference_refused(void **state)
{
	g_autoptr(HpDiagList) diags = hp_diag_list_new();
	g_autoptr(HpDocument) bad = hp_test_doc("<!DOCTYPE domain SYSTEM 'domain.dtd'>\n<domain><name>&vm;</name></domain>",
						diags);
	g_autoptr(HpDiagList) fine_diags = hp_diag_list_new();
	g_autoptr(HpDocument) fine = hp_test_doc("<domain><name>&lt;&#65;&amp;&#x42;</name></domain>", fine_diags);
	const HpDiag *d = hp_test_first(diags, "xml-malformed");

	assert_null(bad);
	assert_non_null(d);
	assert_non_null(strstr(d->message, "'&vm;'"));
	assert_non_null(fine);
	assert_int_equal(fine_diags->items->len, 0);
}

/* libxml2 takes a NUL for the end of the input: what follows was dropped. */
static void
test_nul_refused(void **state)
{
	static const gchar after_root[] = "<domain type='kvm'>\n  <name>a</name>\n</domain>\n\0<garbage";
	static const gchar in_text[] = "<domain>\n  <name>\xc3\xa9\0x</name></domain>";
	static const gchar utf16[] = "<\0d\0/\0>\0";
	const struct {
		const gchar *data;
		gsize len;
		guint line, column;
	} cases[] = {
	    {after_root, sizeof(after_root) - 1, 4, 1},
	    {in_text, sizeof(in_text) - 1, 2, 10},
	    {utf16, sizeof(utf16) - 1, 1, 1},
	};
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(HpDiagList) diags = hp_diag_list_new();
		g_autoptr(GBytes) bytes = g_bytes_new_static(cases[i].data, cases[i].len);
		g_autoptr(HpDocument) hdoc = hp_document_new_from_bytes("t.xml", bytes, diags);
		const HpDiag *d = hp_test_first(diags, "xml-malformed");
		assert_null(hdoc);
		assert_non_null(d);
		assert_int_equal(d->span.line, cases[i].line);
		assert_int_equal(d->span.column, cases[i].column);
	}
}

static void
test_trailing_garbage(void **state)
{
	const gchar *docs[] = {"<domain/>garbage", "<domain/><domain/>", "<domain/>\n]]>", NULL};
	for (guint i = 0; docs[i] != NULL; i++) {
		g_autoptr(HpDiagList) diags = hp_diag_list_new();
		g_autoptr(HpDocument) hdoc = hp_test_doc(docs[i], diags);
		assert_null(hdoc);
		assert_int_equal(hp_test_count(diags, "xml-malformed"), 1);
	}
}

/* @n elements in <metadata>, padded with comments to @bytes when larger
 * (libxml2 limits one comment to 10 MB, so many small ones). */
static GBytes *
make_domain(guint n, gsize bytes)
{
	GString *s = g_string_new("<domain type='kvm'><name>big</name><metadata>");
	for (guint i = 3; i < n; i++) /* <domain>, <name>, <metadata> and these */
		g_string_append(s, "<x/>");
	g_string_append(s, "</metadata></domain>\n");
	while (s->len < bytes) {
		gsize room = bytes - s->len;
		if (room < 8) {
			g_string_append_len(s, "\n\n\n\n\n\n\n", (gssize)room);
			break;
		}
		g_string_append(s, "<!--");
		for (gsize i = 0; i < MIN(room - 8, 4096); i++)
			g_string_append_c(s, 'x');
		g_string_append(s, "-->\n");
	}
	return g_string_free_to_bytes(s);
}

static guint
count_too_large(GBytes *bytes, gboolean *ret_loaded)
{
	g_autoptr(HpDiagList) diags = hp_diag_list_new();
	g_autoptr(HpDocument) hdoc = hp_document_new_from_bytes("big.xml", bytes, diags);
	*ret_loaded = hdoc != NULL;
	return hp_test_count(diags, "domain-too-large");
}

static void
test_limits(void **state)
{
	g_autoptr(GBytes) max_bytes = make_domain(10, HP_DOCUMENT_MAX_BYTES);
	g_autoptr(GBytes) past_bytes = make_domain(10, HP_DOCUMENT_MAX_BYTES + 1);
	g_autoptr(GBytes) max_elements = make_domain(HP_DOCUMENT_MAX_ELEMENTS, 0);
	g_autoptr(GBytes) past_elements = make_domain(HP_DOCUMENT_MAX_ELEMENTS + 1, 0);
	gboolean loaded = FALSE;

	assert_int_equal(g_bytes_get_size(max_bytes), HP_DOCUMENT_MAX_BYTES);
	assert_int_equal(g_bytes_get_size(past_bytes), HP_DOCUMENT_MAX_BYTES + 1);
	assert_int_equal(count_too_large(max_bytes, &loaded), 0);
	assert_true(loaded);
	assert_int_equal(count_too_large(past_bytes, &loaded), 1);
	assert_false(loaded);
	assert_int_equal(count_too_large(max_elements, &loaded), 0);
	assert_true(loaded);
	assert_int_equal(count_too_large(past_elements, &loaded), 1);
	assert_false(loaded);
}

/* A device that never ends is read only to one byte past the limit. */
static void
test_load_bounded(void **state)
{
	g_autoptr(HpDiagList) diags = hp_diag_list_new();
	g_autoptr(GError) error = NULL;
	g_autoptr(HpDocument) hdoc = hp_document_load("/dev/zero", NULL, diags, &error);
	const HpDiag *d = hp_test_first(diags, "domain-too-large");

	assert_null(hdoc);
	assert_null(error);
	assert_non_null(d);
	assert_int_equal(diags->items->len, 1);
	assert_non_null(strstr(d->message, "10 MiB"));
}

static void
test_load_errors(void **state)
{
	g_autoptr(HpDiagList) diags = hp_diag_list_new();
	g_autoptr(GError) missing = NULL;
	g_autoptr(GError) dir = NULL;
	g_autoptr(HpDocument) a = hp_document_load("/nonexistent/vm.xml", NULL, diags, &missing);
	g_autoptr(HpDocument) b = hp_document_load("/", NULL, diags, &dir);

	assert_null(a);
	assert_null(b);
	assert_true(g_error_matches(missing, HP_ERROR, HP_ERROR_NOT_FOUND));
	assert_true(g_error_matches(dir, HP_ERROR, HP_ERROR_READ));
	assert_int_equal(diags->items->len, 0);
}

static HpSpan
span_of(const HpDocument *hdoc, const xmlNode *node, const gchar *attr)
{
	HpSpan span = {0};
	assert_true(hp_document_node_span(hdoc, node, attr, &span));
	return span;
}

/* Two same-named elements on one line each get their own column, and
 * columns count characters (é is two bytes, one character). */
static void
test_spans_one_line(void **state)
{
	const gchar *xml = "<domain><name>\xc3\xa9\xc3\xa9</name><devices><hostdev type='pci' "
			   "managed='yes'/><hostdev  type = \"pci\"/></devices></domain>";
	g_autoptr(HpDiagList) diags = hp_diag_list_new();
	g_autoptr(HpDocument) hdoc = hp_test_doc(xml, diags);
	xmlNode *devices, *first, *second;
	HpSpan s;

	assert_non_null(hdoc);
	devices = xmlLastElementChild(xmlDocGetRootElement(hdoc->doc));
	first = xmlFirstElementChild(devices);
	second = xmlNextElementSibling(first);
	s = span_of(hdoc, devices, NULL);
	assert_int_equal(s.line, 1);
	assert_int_equal(s.column, 24); /* 25 bytes in */
	assert_int_equal(s.end_column, 33);
	s = span_of(hdoc, first, NULL);
	assert_int_equal(s.column, 33);
	assert_int_equal(s.end_line, 1);
	assert_int_equal(s.end_column, 33 + (guint)strlen("<hostdev type='pci' managed='yes'/>"));
	s = span_of(hdoc, first, "managed");
	assert_int_equal(s.column, 53);
	assert_int_equal(s.end_column, 53 + (guint)strlen("managed='yes'"));
	s = span_of(hdoc, second, NULL);
	assert_int_equal(s.column, 68);
	s = span_of(hdoc, second, "type");
	assert_int_equal(s.column, 78);
	assert_int_equal(s.end_column, 78 + (guint)strlen("type = \"pci\""));
	assert_false(hp_document_node_span(hdoc, second, "managed", &s));
}

/* Comments, CDATA, processing instructions and attribute values holding
 * '<' or '>' are not tags; a start tag may span lines. */
static void
test_spans_markup(void **state)
{
	const gchar *xml = "<?xml version='1.0'?>\n<!DOCTYPE domain>\n<!-- <devices> -->\n"
			   "<domain a='x&gt;y' b=\"?> --> ]]>\">\n"
			   "  <![CDATA[ <hostdev> ]]><?pi <x> ?>\n"
			   "  <description>a > b</description><hostdev\n"
			   "\tmode='subsystem'\n"
			   "     type='pci'\n"
			   "  /></domain>\n";
	g_autoptr(HpDiagList) diags = hp_diag_list_new();
	g_autoptr(HpDocument) hdoc = hp_test_doc(xml, diags);
	xmlNode *root, *hostdev;
	HpSpan s;

	assert_non_null(hdoc);
	root = xmlDocGetRootElement(hdoc->doc);
	hostdev = xmlLastElementChild(root);
	s = span_of(hdoc, root, NULL);
	assert_int_equal(s.line, 4);
	assert_int_equal(s.column, 1);
	s = span_of(hdoc, root, "b");
	assert_int_equal(s.column, 20);
	assert_int_equal(s.end_column, 20 + (guint)strlen("b=\"?> --> ]]>\""));
	s = span_of(hdoc, hostdev, NULL);
	assert_int_equal(s.line, 6);
	assert_int_equal(s.column, 35);
	assert_int_equal(s.end_line, 9);
	assert_int_equal(s.end_column, 5);
	s = span_of(hdoc, hostdev, "mode");
	assert_int_equal(s.line, 7);
	assert_int_equal(s.column, 2);
	s = span_of(hdoc, hostdev, "type");
	assert_int_equal(s.line, 8);
	assert_int_equal(s.column, 6);
	assert_int_equal(hp_document_node_line(hdoc, hostdev), 6);
}

/* A grammar validates copies: a copy's node maps back to its original. */
static void
test_spans_copies(void **state)
{
	const gchar *xml = "<domain><devices><hostdev><driver model='m'/><source/></hostdev>"
			   "<hostdev><source/></hostdev></devices></domain>";
	g_autoptr(HpDiagList) diags = hp_diag_list_new();
	g_autoptr(HpDocument) hdoc = hp_test_doc(xml, diags);
	g_autoptr(GHashTable) map = g_hash_table_new(g_direct_hash, g_direct_equal);
	g_autoptr(xmlDoc) copy = NULL;
	xmlNode *second, *copy_root, *copy_source, *driver;
	HpSpan s;

	assert_non_null(hdoc);
	second = xmlLastElementChild(xmlFirstElementChild(xmlDocGetRootElement(hdoc->doc)));
	copy = xmlCopyDoc(hdoc->doc, 1);
	copy_root = xmlDocGetRootElement(copy);
	hp_xml_copy_map_add(map, copy_root, xmlDocGetRootElement(hdoc->doc));
	/* the copy loses an element: the map still pairs the others */
	driver = xmlFirstElementChild(xmlFirstElementChild(xmlFirstElementChild(copy_root)));
	xmlUnlinkNode(driver);
	xmlFreeNode(driver);
	copy_source = xmlFirstElementChild(xmlLastElementChild(xmlFirstElementChild(copy_root)));
	assert_ptr_equal(g_hash_table_lookup(map, copy_source), xmlFirstElementChild(second));
	s = span_of(hdoc, g_hash_table_lookup(map, copy_source), NULL);
	assert_int_equal(s.column, (guint)(strstr(xml, "<source/></hostdev></devices>") - xml) + 1);
	/* unmapped, a copy is found by name and line: the first such tag */
	s = span_of(hdoc, copy_source, NULL);
	assert_int_equal(s.column, (guint)(strstr(xml, "<source/>") - xml) + 1);
}

static void
test_malformed_column_characters(void **state)
{
	g_autoptr(HpDiagList) diags = hp_diag_list_new();
	g_autoptr(HpDocument) hdoc = hp_test_doc("<domain>\n<name>\xc3\xa9\xc3\xa9\xc3\xa9</nam></domain>", diags);
	const HpDiag *d = hp_test_first(diags, "xml-malformed");
	assert_null(hdoc);
	assert_non_null(d);
	assert_int_equal(d->span.line, 2);
	/* just past "</nam>", counted in characters (bytes would say 19) */
	assert_int_equal(d->span.column, 16);
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
	    cmocka_unit_test(test_internal_subset_refused),
	    cmocka_unit_test(test_entity_reference_refused),
	    cmocka_unit_test(test_nul_refused),
	    cmocka_unit_test(test_trailing_garbage),
	    cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_load_bounded),
	    cmocka_unit_test(test_load_errors),
	    cmocka_unit_test(test_spans_one_line),
	    cmocka_unit_test(test_spans_markup),
	    cmocka_unit_test(test_spans_copies),
	    cmocka_unit_test(test_malformed_column_characters),
	};
	return cmocka_run_group_tests_name("document", tests, NULL, NULL);
}
