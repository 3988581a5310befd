/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "hp-lsp-text.h"

/* "a😀é" is 1 + 4 + 2 bytes, 3 code points, 1 + 2 + 1 UTF-16 units */
#define EMOJI "\xf0\x9f\x98\x80"
#define E_ACUTE "\xc3\xa9"

static void
test_positions(void **state)
{
	static const gchar text[] = "x\na" EMOJI E_ACUTE "<b/>\r\nz";
	g_autoptr(HpLspText) t = hp_lsp_text_new(text, strlen(text));
	HpLspPosition p;
	guint line = 0, col = 0;

	/* our line 2, column 4 is the '<' after a, the emoji and é */
	p = hp_lsp_text_position(t, HP_LSP_ENCODING_UTF32, 2, 4);
	assert_int_equal(p.line, 1);
	assert_int_equal(p.character, 3);
	p = hp_lsp_text_position(t, HP_LSP_ENCODING_UTF16, 2, 4);
	assert_int_equal(p.character, 4);
	p = hp_lsp_text_position(t, HP_LSP_ENCODING_UTF8, 2, 4);
	assert_int_equal(p.character, 7);
	/* past the line's end: the end; unknown line 0: the start */
	p = hp_lsp_text_position(t, HP_LSP_ENCODING_UTF32, 2, 99);
	assert_int_equal(p.character, 7);
	p = hp_lsp_text_position(t, HP_LSP_ENCODING_UTF32, 0, 0);
	assert_int_equal(p.line, 0);
	assert_int_equal(p.character, 0);
	/* and back */
	p = (HpLspPosition){1, 4};
	assert_true(hp_lsp_text_to_span_point(t, HP_LSP_ENCODING_UTF16, &p, &line, &col));
	assert_int_equal(line, 2);
	assert_int_equal(col, 4);
	p = (HpLspPosition){2, 0}; /* after \r\n */
	assert_true(hp_lsp_text_to_span_point(t, HP_LSP_ENCODING_UTF16, &p, &line, &col));
	assert_int_equal(line, 3);
	assert_int_equal(col, 1);
	p = (HpLspPosition){7, 0};
	assert_false(hp_lsp_text_to_span_point(t, HP_LSP_ENCODING_UTF16, &p, &line, &col));
}

static void
test_apply(void **state)
{
	g_autoptr(HpLspText) t = hp_lsp_text_new("ab" EMOJI "cd\nef", 11);
	g_autoptr(GError) error = NULL;
	HpLspPosition s = {0, 4}, e = {1, 1}; /* UTF-16: after the emoji's two units */
	HpLspPosition mid = {0, 3};           /* inside the surrogate pair: its start */
	const gchar *got;

	assert_true(hp_lsp_text_apply(t, HP_LSP_ENCODING_UTF16, &s, &e, "X", 1, &error));
	got = hp_lsp_text_get(t, NULL);
	assert_string_equal(got, "ab" EMOJI "Xf");
	assert_true(hp_lsp_text_apply(t, HP_LSP_ENCODING_UTF16, &mid, &mid, "-", 1, &error));
	assert_string_equal(hp_lsp_text_get(t, NULL), "ab-" EMOJI "Xf");
	/* a line past the end is the end of the text */
	s = (HpLspPosition){9, 0};
	assert_true(hp_lsp_text_apply(t, HP_LSP_ENCODING_UTF16, &s, &s, "!", 1, &error));
	assert_string_equal(hp_lsp_text_get(t, NULL), "ab-" EMOJI "Xf!");
	/* backwards: refused, text kept */
	s = (HpLspPosition){0, 2};
	e = (HpLspPosition){0, 1};
	assert_false(hp_lsp_text_apply(t, HP_LSP_ENCODING_UTF16, &s, &e, "?", 1, &error));
	assert_non_null(error);
	assert_string_equal(hp_lsp_text_get(t, NULL), "ab-" EMOJI "Xf!");
	/* no range: all of it */
	assert_true(hp_lsp_text_apply(t, HP_LSP_ENCODING_UTF16, NULL, NULL, "new", 3, NULL));
	assert_string_equal(hp_lsp_text_get(t, NULL), "new");
}

static void
test_invalid_utf8(void **state)
{
	/* a byte that is not UTF-8 counts as one character: no crash, no loop */
	g_autoptr(HpLspText) t = hp_lsp_text_new("\xff\xfe<a/>", 6);
	HpLspPosition p = hp_lsp_text_position(t, HP_LSP_ENCODING_UTF16, 1, 3);
	assert_int_equal(p.character, 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_positions),
	    cmocka_unit_test(test_apply),
	    cmocka_unit_test(test_invalid_utf8),
	};
	return cmocka_run_group_tests_name("lsp-text", tests, NULL, NULL);
}
