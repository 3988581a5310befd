/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The editor's copy of a document, and the two ways of counting a place in
 * it: the editor's (0-based line, characters in UTF-16 units, code points or
 * bytes, as negotiated) and ours (1-based line and column in code points).
 * Text that is not valid UTF-8 is kept as it came: the checker reports it.
 */
#include "hp-lsp-text.h"

#include <string.h>

#include "hp-error.h"

struct _HpLspText {
	GString *data;
};

HpLspText *
hp_lsp_text_new(const gchar *text, gsize len)
{
	HpLspText *t = g_new0(HpLspText, 1);
	t->data = g_string_new_len(text, (gssize)len);
	return t;
}

void
hp_lsp_text_free(HpLspText *text)
{
	if (text == NULL)
		return;
	g_string_free(text->data, TRUE);
	g_free(text);
}

const gchar *
hp_lsp_text_get(const HpLspText *text, gsize *ret_len)
{
	if (ret_len != NULL)
		*ret_len = text->data->len;
	return text->data->str;
}

void
hp_lsp_text_replace_all(HpLspText *text, const gchar *data, gsize len)
{
	g_string_truncate(text->data, 0);
	g_string_append_len(text->data, data, (gssize)len);
}

const gchar *
hp_lsp_encoding_to_string(HpLspEncoding encoding)
{
	switch (encoding) {
	case HP_LSP_ENCODING_UTF32:
		return "utf-32";
	case HP_LSP_ENCODING_UTF8:
		return "utf-8";
	case HP_LSP_ENCODING_UTF16:
	default:
		return "utf-16";
	}
}

/* Byte offset where 0-based @line starts, or FALSE past the last line.
 * LSP ends a line at \n, \r\n or \r. */
static gboolean
hp_lsp_line_start(const GString *s, guint line, gsize *ret_offset)
{
	gsize i = 0;
	for (guint l = 0; l < line; l++) {
		while (i < s->len && s->str[i] != '\n' && s->str[i] != '\r')
			i++;
		if (i == s->len)
			return FALSE;
		if (s->str[i] == '\r' && i + 1 < s->len && s->str[i + 1] == '\n')
			i++;
		i++;
	}
	*ret_offset = i;
	return TRUE;
}

/* Length in bytes of the character at @p (an invalid byte counts as one
 * character of one byte), and its width in @encoding's units. */
static gsize
hp_lsp_char_at(const gchar *p, const gchar *end, HpLspEncoding encoding, guint *ret_units)
{
	gunichar c = g_utf8_get_char_validated(p, end - p);
	gsize len;

	if (c == (gunichar)-1 || c == (gunichar)-2) {
		*ret_units = 1;
		return 1;
	}
	len = (gsize)(g_utf8_next_char(p) - p);
	switch (encoding) {
	case HP_LSP_ENCODING_UTF8:
		*ret_units = (guint)len;
		break;
	case HP_LSP_ENCODING_UTF32:
		*ret_units = 1;
		break;
	case HP_LSP_ENCODING_UTF16:
	default:
		*ret_units = c >= 0x10000 ? 2 : 1;
		break;
	}
	return len;
}

/*
 * The byte offset of @pos. A character past the end of its line is the
 * line's end, and a line past the last is the end of the text, as LSP says
 * a client may send; a place inside a UTF-16 surrogate pair is its start.
 */
static gsize
hp_lsp_offset(const GString *s, HpLspEncoding encoding, const HpLspPosition *pos)
{
	const gchar *end = s->str + s->len;
	const gchar *p;
	gsize start;
	guint units = 0;

	if (!hp_lsp_line_start(s, pos->line, &start))
		return s->len;
	p = s->str + start;
	while (p < end && *p != '\n' && *p != '\r') {
		guint w;
		gsize len = hp_lsp_char_at(p, end, encoding, &w);
		if (units + w > pos->character)
			break;
		units += w;
		p += len;
	}
	return (gsize)(p - s->str);
}

/**
 * hp_lsp_text_apply:
 * @start: (nullable): with @end, the range to replace; %NULL replaces all
 *
 * Applies one change of `textDocument/didChange`.
 *
 * Returns: %FALSE with @error when the range is backwards.
 */
gboolean
hp_lsp_text_apply(HpLspText *text, HpLspEncoding encoding, const HpLspPosition *start, const HpLspPosition *end,
		  const gchar *data, gsize len, GError **error)
{
	gsize from, to;

	if (start == NULL || end == NULL) {
		hp_lsp_text_replace_all(text, data, len);
		return TRUE;
	}
	from = hp_lsp_offset(text->data, encoding, start);
	to = hp_lsp_offset(text->data, encoding, end);
	if (to < from) {
		g_set_error(error, HP_ERROR, HP_ERROR_INVALID_DATA,
			    "the change's range ends (%u:%u) before it starts (%u:%u)", end->line, end->character,
			    start->line, start->character);
		return FALSE;
	}
	g_string_erase(text->data, (gssize)from, (gssize)(to - from));
	g_string_insert_len(text->data, (gssize)from, data, (gssize)len);
	return TRUE;
}

/**
 * hp_lsp_text_position:
 * @line: 1-based line, as in an #HpSpan
 * @column: 1-based column in characters
 *
 * Returns: the same place as the editor counts it. An unknown place (0) is
 * the start of the line, or of the text.
 */
HpLspPosition
hp_lsp_text_position(const HpLspText *text, HpLspEncoding encoding, guint line, guint column)
{
	HpLspPosition pos = {line > 0 ? line - 1 : 0, 0};
	const GString *s = text->data;
	const gchar *end = s->str + s->len;
	const gchar *p;
	gsize start;

	if (!hp_lsp_line_start(s, pos.line, &start))
		return pos;
	p = s->str + start;
	for (guint c = 1; c < column && p < end && *p != '\n' && *p != '\r'; c++) {
		guint w;
		p += hp_lsp_char_at(p, end, encoding, &w);
		pos.character += w;
	}
	return pos;
}

/**
 * hp_lsp_text_to_span_point:
 *
 * The editor's @pos as our 1-based line and character column.
 *
 * Returns: %FALSE when @pos is past the end of the text.
 */
gboolean
hp_lsp_text_to_span_point(const HpLspText *text, HpLspEncoding encoding, const HpLspPosition *pos,
			  guint *ret_line, guint *ret_column)
{
	const GString *s = text->data;
	const gchar *end = s->str + s->len;
	const gchar *p;
	gsize start;
	guint units = 0, column = 1;

	if (!hp_lsp_line_start(s, pos->line, &start))
		return FALSE;
	p = s->str + start;
	while (p < end && *p != '\n' && *p != '\r') {
		guint w;
		gsize len = hp_lsp_char_at(p, end, encoding, &w);
		if (units + w > pos->character)
			break;
		units += w;
		p += len;
		column++;
	}
	*ret_line = pos->line + 1;
	*ret_column = column;
	return TRUE;
}
