/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "hp-test.h"

#include <gio/gio.h>

#include "hp-modalias.h"

#define CX_VF "pci:v000015B3d0000101Esv000015B3sd00000052bc02sc00i00"
#define BCM "pci:v000014E4d00001657sv000014E4sd00001657bc02sc00i00"

static HpModAlias *
load(const gchar *text)
{
	return hp_modalias_new_from_data(text, strlen(text));
}

static void
test_generic_only(void **state)
{
	g_autoptr(HpModAlias) ma = load("alias vfio_pci:v*d*sv*sd*bc*sc*i* vfio_pci\nalias pci:v000014E4d00001657sv*sd*bc*sc*i* tg3\n");
	const HpVfioAlias *a = hp_modalias_match_vfio(ma, BCM);
	assert_non_null(a);
	assert_string_equal(a->module, "vfio_pci");
	assert_int_equal(a->wildcards, 7);
	assert_false(hp_modalias_module_is_vfio(ma, "tg3"));
	assert_true(hp_modalias_module_is_vfio(ma, "vfio-pci"));
}

static void
test_specific_wins(void **state)
{
	g_autoptr(HpModAlias) ma = load("alias vfio_pci:v*d*sv*sd*bc*sc*i* vfio_pci\n"
					"alias vfio_pci:v000015B3d0000101Esv*sd*bc*sc*i* mlx5_vfio_pci\n");
	assert_string_equal(hp_modalias_match_vfio(ma, CX_VF)->module, "mlx5_vfio_pci");
	assert_string_equal(hp_modalias_match_vfio(ma, BCM)->module, "vfio_pci");
}

static void
test_tie_first_line(void **state)
{
	g_autoptr(HpModAlias) ma = load("alias vfio_pci:v000015B3d0000101Esv*sd*bc*sc*i* first_vfio_pci\n"
					"alias vfio_pci:v000015B3d0000101Esv*sd*bc*sc*i* second_vfio_pci\n");
	assert_string_equal(hp_modalias_match_vfio(ma, CX_VF)->module, "first_vfio_pci");
}

static void
test_subsystem_and_class(void **state)
{
	g_autoptr(HpModAlias) ma = load("alias vfio_pci:v*d*sv*sd*bc*sc*i* vfio_pci\n"
					"alias vfio_pci:v000015B3d*sv*sd*bc02sc00i* class_vfio\n"
					"alias vfio_pci:v000015B3d0000101Esv000015B3sd00000052bc*sc*i* sub_vfio\n");
	/* 3 wildcards beat 5 */
	assert_string_equal(hp_modalias_match_vfio(ma, CX_VF)->module, "sub_vfio");
	assert_string_equal(hp_modalias_match_vfio(ma, "pci:v000015B3d0000FFFFsv00000000sd00000000bc02sc00i00")->module,
			    "class_vfio");
}

static void
test_case(void **state)
{
	g_autoptr(HpModAlias) ma = load("alias vfio_pci:v000015b3d0000101esv*sd*bc*sc*i* lower_vfio\n");
	assert_string_equal(hp_modalias_match_vfio(ma, CX_VF)->module, "lower_vfio");
	assert_string_equal(hp_modalias_match_vfio(ma, "pci:v000015b3d0000101esv000015b3sd00000052bc02sc00i00")->module,
			    "lower_vfio");
}

static void
test_malformed(void **state)
{
	g_autoptr(GString) big = g_string_new("alias vfio_pci:v*d*sv*sd*bc*sc*i* vfio_pci\nalias vfio_pci:v*d*sv*sd*bc*sc*i*\n");
	g_autoptr(HpModAlias) ma = NULL;
	g_string_append(big, "alias vfio_pci:vXYZ nope\n\x01\x02\xff junk\n");
	g_string_append_len(big, "alias a\0b c\n", 12);
	for (guint i = 0; i < 1024 * 1024; i++)
		g_string_append_c(big, 'x');
	g_string_append(big, "\nalias pci:v*d*sv*sd*bc*sc*i* last\n");
	/* names no kernel name can be (SPEC section 8): never used */
	g_string_append(big, "alias vfio_pci:v000014E4d00001657sv*sd*bc*sc*i* x$(touch${IFS}PWNED)\n");
	g_string_append(big, "alias vfio_pci:v*d*sv*sd*bc*sc*i* aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n");
	g_string_append_len(big, "alias vfio_pci:v*d*sv*sd*bc*sc*i* nul\0\n", 39);
	g_string_append(big, "  alias\tvfio_pci:v*d*sv*sd*bc*sc*i*  ok-64_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n");
	ma = hp_modalias_new_from_data(big->str, big->len);
	/* only vfio_pci: lines are read; the others (junk, NUL, a 1 MB line,
	 * other aliases) are no check's business */
	assert_int_equal(ma->vfio->len, 2);
	assert_int_equal(ma->malformed, 5);
	assert_int_equal(ma->first_malformed_line, 2);
	assert_false(hp_modalias_module_is_vfio(ma, "last"));
	assert_true(hp_modalias_module_is_vfio(ma, "ok_64_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
	assert_null(hp_modalias_match_vfio(ma, BCM) == NULL ? NULL : strstr(hp_modalias_match_vfio(ma, BCM)->module, "PWNED"));
	assert_null(hp_modalias_match_vfio(ma, "garbage"));
	assert_null(hp_modalias_match_vfio(ma, "pci:v0000"));
}

/* A capture keeps only vfio_pci: lines and marks where they were, so a
 * snapshot names the host's line numbers. */
static void
test_line_markers(void **state)
{
	g_autoptr(HpModAlias) ma = load(HP_MODALIAS_LINE_MARKER "21770\n"
					"alias vfio_pci:v*d*sv*sd*bc*sc*i* vfio_pci\n"
					"alias vfio_pci:v000015B3d0000101Esv*sd*bc*sc*i* mlx5_vfio_pci\n"
					HP_MODALIAS_LINE_MARKER "30000\n"
					"alias vfio_pci:v*d*sv*sd*bc*sc*i* bad$name\n"
					HP_MODALIAS_LINE_MARKER "2\n" /* backwards: ignored */
					"alias vfio_pci:v*d*sv*sd*bc*sc*i* bad$name\n");
	assert_int_equal(((const HpVfioAlias *)g_ptr_array_index(ma->vfio, 0))->line, 21770);
	assert_int_equal(((const HpVfioAlias *)g_ptr_array_index(ma->vfio, 1))->line, 21771);
	assert_int_equal(ma->malformed, 2);
	assert_int_equal(ma->first_malformed_line, 30000);
}

static void
test_split(void **state)
{
	gchar *f[HP_MODALIAS_FIELDS];
	assert_true(hp_modalias_split("v0000100Dd0000DDDDsv*sd*bc*sc*i*", f));
	assert_string_equal(f[0], "0000100D");
	assert_string_equal(f[1], "0000DDDD");
	assert_string_equal(f[2], "*");
	for (guint i = 0; i < HP_MODALIAS_FIELDS; i++)
		g_free(f[i]);
	/* lowercase hex 'd' is not taken for the device marker */
	assert_true(hp_modalias_split("v0000100dd0000dddds*", f) == FALSE);
	assert_true(hp_modalias_split("v0000100dd0000ddddsv*sd*bc*sc*i*", f));
	assert_string_equal(f[0], "0000100d");
	assert_string_equal(f[1], "0000dddd");
	for (guint i = 0; i < HP_MODALIAS_FIELDS; i++)
		g_free(f[i]);
	assert_false(hp_modalias_split("v*d*sv*sd*bc*sc*i*extra", f));
}

/* Debian's own modules.alias (tests/data/kernel, gzipped: the suite owns
 * its data). */
static void
test_real_file(void **state)
{
	const gchar *srcdir = g_getenv("HP_SRCDIR");
	g_autofree gchar *path = g_build_filename(srcdir != NULL ? srcdir : "..", "tests", "data", "kernel",
						  "modules.alias.6.12.107+deb12-amd64.gz", NULL);
	g_autoptr(GFile) file = g_file_new_for_path(path);
	g_autoptr(GInputStream) raw = NULL;
	g_autoptr(GZlibDecompressor) gunzip = g_zlib_decompressor_new(G_ZLIB_COMPRESSOR_FORMAT_GZIP);
	g_autoptr(GInputStream) in = NULL;
	g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable();
	g_autoptr(HpModAlias) ma = NULL;
	const gchar *data;
	gsize len;
	const HpVfioAlias *a;

	raw = G_INPUT_STREAM(g_file_read(file, NULL, NULL));
	assert_non_null(raw);
	in = g_converter_input_stream_new(raw, G_CONVERTER(gunzip));
	assert_true(g_output_stream_splice(out, in, G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET, NULL, NULL) > 1000000);
	data = g_memory_output_stream_get_data(G_MEMORY_OUTPUT_STREAM(out));
	len = g_memory_output_stream_get_data_size(G_MEMORY_OUTPUT_STREAM(out));
	ma = hp_modalias_new_from_data(data, len);
	assert_int_equal(ma->malformed, 0);
	assert_int_equal(ma->vfio->len, 1);
	assert_int_equal(g_hash_table_size(ma->modules), 1); /* only modules with vfio_pci: aliases */
	assert_false(hp_modalias_module_is_vfio(ma, "tg3"));
	assert_true(hp_modalias_module_is_vfio(ma, "vfio_pci"));
	a = hp_modalias_match_vfio(ma, CX_VF);
	assert_non_null(a);
	assert_string_equal(a->module, "vfio_pci"); /* no variant drivers in Debian's build */
	assert_int_equal(a->line, 21770);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_generic_only),
	    cmocka_unit_test(test_specific_wins),
	    cmocka_unit_test(test_tie_first_line),
	    cmocka_unit_test(test_subsystem_and_class),
	    cmocka_unit_test(test_case),
	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_split),
	    cmocka_unit_test(test_line_markers),
	    cmocka_unit_test(test_real_file),
	};
	return cmocka_run_group_tests_name("modalias", tests, NULL, NULL);
}
