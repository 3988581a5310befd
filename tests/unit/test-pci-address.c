/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "hp-test.h"

#include "hp-pci-address.h"

static void
test_number_bases(void **state)
{
	guint64 v = 99;
	assert_int_equal(hp_number_parse("0", 0xff, &v), HP_NUMBER_OK);
	assert_int_equal(v, 0);
	assert_int_equal(hp_number_parse("17", 0xff, &v), HP_NUMBER_OK);
	assert_int_equal(v, 17);
	assert_int_equal(hp_number_parse("0x1F", 0xff, &v), HP_NUMBER_OK);
	assert_int_equal(v, 0x1f);
	assert_int_equal(hp_number_parse("0X0a", 0xff, &v), HP_NUMBER_OK);
	assert_int_equal(v, 10);
	assert_int_equal(hp_number_parse("010", 0xff, &v), HP_NUMBER_OCTAL);
	assert_int_equal(v, 8);
	/* the same in both readings: no warning (SPEC section 2) */
	assert_int_equal(hp_number_parse("00", 0xff, &v), HP_NUMBER_OK);
	assert_int_equal(v, 0);
	assert_int_equal(hp_number_parse("07", 0xff, &v), HP_NUMBER_OK);
	assert_int_equal(v, 7);
}

static void
test_number_invalid(void **state)
{
	guint64 v = 42;
	const gchar *bad[] = {"", "0x", "08", "09", "1a", "-1", "+1", " 1", "1 ", "0xg", "x10", "1e3", "0b1", NULL};
	for (guint i = 0; bad[i] != NULL; i++)
		assert_int_equal(hp_number_parse(bad[i], G_MAXUINT64, &v), HP_NUMBER_NOT_A_NUMBER);
	assert_int_equal(hp_number_parse(NULL, 10, &v), HP_NUMBER_NOT_A_NUMBER);
	assert_int_equal(v, 42); /* untouched on failure */
}

static void
test_number_range(void **state)
{
	guint64 v = 0;
	assert_int_equal(hp_number_parse("0x100", 0xff, &v), HP_NUMBER_OUT_OF_RANGE);
	assert_int_equal(hp_number_parse("256", 0xff, &v), HP_NUMBER_OUT_OF_RANGE);
	assert_int_equal(hp_number_parse("0x1ffffffffffffffff", G_MAXUINT64, &v), HP_NUMBER_OUT_OF_RANGE);
	assert_int_equal(hp_number_parse("99999999999999999999999", G_MAXUINT64, &v), HP_NUMBER_OUT_OF_RANGE);
	assert_int_equal(hp_number_parse("0xffffffffffffffff", G_MAXUINT64, &v), HP_NUMBER_OK);
	assert_true(v == G_MAXUINT64);
	assert_int_equal(hp_number_parse("0x20", hp_pci_field_max(HP_PCI_FIELD_SLOT), &v), HP_NUMBER_OUT_OF_RANGE);
	assert_int_equal(hp_number_parse("8", hp_pci_field_max(HP_PCI_FIELD_FUNCTION), &v), HP_NUMBER_OUT_OF_RANGE);
	assert_int_equal(hp_number_parse("0xffff", hp_pci_field_max(HP_PCI_FIELD_DOMAIN), &v), HP_NUMBER_OK);
	assert_int_equal(hp_number_parse("0x10000", hp_pci_field_max(HP_PCI_FIELD_DOMAIN), &v), HP_NUMBER_OUT_OF_RANGE);
}

static void
test_bdf(void **state)
{
	HpPciAddress a = {0}, b = {0};
	gchar buf[HP_PCI_ADDRESS_STRLEN];

	assert_true(hp_pci_address_parse_bdf("0001:09:00.2", &a));
	assert_int_equal(a.domain, 1);
	assert_int_equal(a.bus, 9);
	assert_int_equal(a.slot, 0);
	assert_int_equal(a.function, 2);
	assert_string_equal(hp_pci_address_to_string(&a, buf), "0001:09:00.2");
	assert_true(hp_pci_address_parse_bdf("ABCD:EF:1f.7", &b));
	assert_string_equal(hp_pci_address_to_string(&b, buf), "abcd:ef:1f.7");
	assert_false(hp_pci_address_parse_bdf("0000:00:20.0", &b)); /* slot > 0x1f */
	assert_false(hp_pci_address_parse_bdf("0000:00:00.8", &b));
	assert_false(hp_pci_address_parse_bdf("0000:00:00.0x", &b));
	assert_false(hp_pci_address_parse_bdf("000:00:00.0", &b));
	assert_false(hp_pci_address_parse_bdf("0000-00:00.0", &b));
	assert_false(hp_pci_address_parse_bdf("", &b));
	assert_false(hp_pci_address_parse_bdf(NULL, &b));
	assert_false(hp_pci_address_parse_bdf("..", &b));
}

static void
test_compare(void **state)
{
	HpPciAddress a = {1, 9, 0, 2}, b = {1, 9, 0, 3}, c = {1, 9, 0, 2};
	assert_true(hp_pci_address_same_slot(&a, &b));
	assert_false(hp_pci_address_equal(&a, &b));
	assert_true(hp_pci_address_equal(&a, &c));
	assert_true(hp_pci_address_compare(&a, &b) < 0);
	assert_true(hp_pci_address_compare(&b, &a) > 0);
	assert_int_equal(hp_pci_address_compare(&a, &c), 0);
	assert_true(hp_pci_address_key(&a) != hp_pci_address_key(&b));
}

/* "\x20" and "\\" escapes of tests/data/pci-numbers.tsv. */
static gchar *
unescape(const gchar *text)
{
	GString *out = g_string_new(NULL);
	for (const gchar *p = text; *p != '\0'; p++) {
		if (p[0] == '\\' && p[1] == 'x' && g_ascii_isxdigit(p[2]) && g_ascii_isxdigit(p[3])) {
			g_string_append_c(out, (gchar)(g_ascii_xdigit_value(p[2]) * 16 + g_ascii_xdigit_value(p[3])));
			p += 3;
		} else if (p[0] == '\\' && p[1] == '\\') {
			g_string_append_c(out, '\\');
			p++;
		} else {
			g_string_append_c(out, *p);
		}
	}
	return g_string_free(out, FALSE);
}

/* Every shared vector through the C parser (the stylesheet runs the same). */
static void
test_number_vectors(void **state)
{
	const gchar *srcdir = g_getenv("HP_SRCDIR");
	g_autofree gchar *path = NULL;
	g_autofree gchar *data = NULL;
	g_auto(GStrv) lines = NULL;
	guint n = 0;
	guint kinds[4] = {0};

	assert_non_null(srcdir);
	path = g_build_filename(srcdir, "tests", "data", "pci-numbers.tsv", NULL);
	assert_true(g_file_get_contents(path, &data, NULL, NULL));
	lines = g_strsplit(data, "\n", -1);
	for (guint i = 0; lines[i] != NULL; i++) {
		g_auto(GStrv) cols = NULL;
		g_autofree gchar *text = NULL;
		g_autofree gchar *got = NULL;
		guint64 v = G_MAXUINT64, max;
		HpNumberResult r;

		if (lines[i][0] == '#' || lines[i][0] == '\0')
			continue;
		cols = g_strsplit(lines[i], "\t", -1);
		assert_int_equal(g_strv_length(cols), 3);
		text = unescape(cols[0]);
		max = g_ascii_strtoull(cols[1], NULL, 10);
		r = hp_number_parse(text, max, &v);
		switch (r) {
		case HP_NUMBER_OK:
			got = g_strdup_printf("ok %" G_GUINT64_FORMAT, v);
			break;
		case HP_NUMBER_OCTAL:
			got = g_strdup_printf("octal %" G_GUINT64_FORMAT, v);
			break;
		case HP_NUMBER_NOT_A_NUMBER:
			got = g_strdup("invalid");
			break;
		case HP_NUMBER_OUT_OF_RANGE:
		default:
			got = g_strdup("out-of-range");
			break;
		}
		if (g_strcmp0(got, cols[2]) != 0)
			fail_msg("pci-numbers.tsv line %u: '%s' (max %s) gives '%s', expected '%s'", i + 1, cols[0],
				 cols[1], got, cols[2]);
		kinds[r]++;
		n++;
	}
	/* the file is there and holds every outcome */
	assert_true(n >= 50);
	for (guint k = 0; k < G_N_ELEMENTS(kinds); k++)
		assert_true(kinds[k] > 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_number_bases),
	    cmocka_unit_test(test_number_invalid),
	    cmocka_unit_test(test_number_range),
	    cmocka_unit_test(test_number_vectors),
	    cmocka_unit_test(test_bdf),
	    cmocka_unit_test(test_compare),
	};
	return cmocka_run_group_tests_name("pci-address", tests, NULL, NULL);
}
