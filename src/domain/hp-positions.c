/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "hp-positions.h"

#include <string.h>

/*
 * libxml2 records a line per element but no column and nothing per
 * attribute, and finding a tag again by searching the text cannot tell two
 * same-named elements on one line apart (and costs a search per finding).
 * Once libxml2 has said the document is well-formed and it has no internal
 * subset, its markup can be walked in one linear pass: only comments, CDATA
 * sections, processing instructions, the DOCTYPE and quoted attribute values
 * can hold a '<' or '>' that is not a tag's, and each is skipped whole.
 */

typedef struct {
	const gchar *text;
	gsize len;
	gsize i;
	guint line;
	guint column;
} HpCursor;

/* Moves over @n bytes, counting lines and characters (a UTF-8 continuation
 * byte starts no character). */
static void
hp_cursor_advance(HpCursor *c, gsize n)
{
	gsize end = MIN(c->i + n, c->len);
	for (; c->i < end; c->i++) {
		guchar b = (guchar)c->text[c->i];
		if (b == '\n') {
			c->line++;
			c->column = 1;
		} else if ((b & 0xc0) != 0x80) {
			c->column++;
		}
	}
}

/* Moves to just past the next @needle; FALSE when there is none. */
static gboolean
hp_cursor_skip_past(HpCursor *c, const gchar *needle)
{
	gsize nlen = strlen(needle);
	const gchar *found = c->i < c->len ? memmem(c->text + c->i, c->len - c->i, needle, nlen) : NULL;
	if (found == NULL)
		return FALSE;
	hp_cursor_advance(c, (gsize)(found - (c->text + c->i)) + nlen);
	return TRUE;
}

static gboolean
hp_cursor_at(const HpCursor *c, const gchar *prefix)
{
	gsize plen = strlen(prefix);
	return c->len - c->i >= plen && memcmp(c->text + c->i, prefix, plen) == 0;
}

static gboolean
hp_is_space(gchar ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

static void
hp_cursor_skip_spaces(HpCursor *c)
{
	gsize n = 0;
	while (c->i + n < c->len && hp_is_space(c->text[c->i + n]))
		n++;
	hp_cursor_advance(c, n);
}

/* A DOCTYPE (without an internal subset here, but any bracket or quoted
 * literal is skipped whole all the same). */
static gboolean
hp_cursor_skip_decl(HpCursor *c)
{
	guint depth = 0;
	while (c->i < c->len) {
		gchar ch = c->text[c->i];
		if (ch == '"' || ch == '\'') {
			const gchar *q = memchr(c->text + c->i + 1, ch, c->len - c->i - 1);
			if (q == NULL)
				return FALSE;
			hp_cursor_advance(c, (gsize)(q - (c->text + c->i)) + 1);
			continue;
		}
		if (ch == '[')
			depth++;
		else if (ch == ']' && depth > 0)
			depth--;
		hp_cursor_advance(c, 1);
		if (ch == '>' && depth == 0)
			return TRUE;
	}
	return FALSE;
}

/* The tag name or attribute name at the cursor, up to a space, '=', '/' or '>'. */
static guint
hp_cursor_name(HpCursor *c)
{
	gsize n = 0;
	while (c->i + n < c->len) {
		gchar ch = c->text[c->i + n];
		if (hp_is_space(ch) || ch == '=' || ch == '/' || ch == '>')
			break;
		n++;
	}
	hp_cursor_advance(c, n);
	return (guint)n;
}

static gboolean
hp_scan_start_tag(HpCursor *c, HpPositions *pos)
{
	HpTagPos tag = {{c->line, c->column, 0, 0}, 0, 0, pos->attrs->len, 0};

	hp_cursor_advance(c, 1); /* '<' */
	tag.name_off = c->i;
	tag.name_len = hp_cursor_name(c);
	if (tag.name_len == 0)
		return FALSE;
	for (;;) {
		HpAttrPos attr;
		const gchar *q;
		gchar quote;

		memset(&attr, 0, sizeof(attr));
		hp_cursor_skip_spaces(c);
		if (hp_cursor_at(c, "/>"))
			hp_cursor_advance(c, 1);
		if (hp_cursor_at(c, ">")) {
			hp_cursor_advance(c, 1);
			break;
		}
		if (c->i >= c->len)
			return FALSE;
		attr.span.line = c->line;
		attr.span.column = c->column;
		attr.name_off = c->i;
		attr.name_len = hp_cursor_name(c);
		hp_cursor_skip_spaces(c);
		if (attr.name_len == 0 || !hp_cursor_at(c, "="))
			return FALSE;
		hp_cursor_advance(c, 1);
		hp_cursor_skip_spaces(c);
		if (c->i >= c->len || (c->text[c->i] != '"' && c->text[c->i] != '\''))
			return FALSE;
		quote = c->text[c->i];
		hp_cursor_advance(c, 1);
		attr.value_span.line = c->line;
		attr.value_span.column = c->column;
		q = memchr(c->text + c->i, quote, c->len - c->i);
		if (q == NULL)
			return FALSE;
		hp_cursor_advance(c, (gsize)(q - (c->text + c->i)));
		attr.value_span.end_line = c->line;
		attr.value_span.end_column = c->column;
		hp_cursor_advance(c, 1);
		attr.span.end_line = c->line;
		attr.span.end_column = c->column;
		g_array_append_val(pos->attrs, attr);
		tag.n_attrs++;
	}
	tag.span.end_line = c->line;
	tag.span.end_column = c->column;
	g_array_append_val(pos->tags, tag);
	return TRUE;
}

/**
 * hp_positions_scan:
 * @text: a well-formed document in UTF-8, with no DTD internal subset
 * @len: its length in bytes
 *
 * Records every start tag and attribute, in one pass (linear in @len).
 *
 * Returns: (transfer full) (nullable): the positions; %NULL when the text is
 * not what was promised (the caller then has no columns, not wrong ones).
 */
HpPositions *
hp_positions_scan(const gchar *text, gsize len)
{
	g_autoptr(HpPositions) pos = g_new0(HpPositions, 1);
	HpCursor c = {text, len, 0, 1, 1};

	pos->tags = g_array_new(FALSE, FALSE, sizeof(HpTagPos));
	pos->attrs = g_array_new(FALSE, FALSE, sizeof(HpAttrPos));
	while (c.i < c.len) {
		const gchar *lt = memchr(text + c.i, '<', len - c.i);
		gboolean ok;
		if (lt == NULL)
			break;
		hp_cursor_advance(&c, (gsize)(lt - (text + c.i)));
		if (hp_cursor_at(&c, "<!--"))
			ok = hp_cursor_skip_past(&c, "-->");
		else if (hp_cursor_at(&c, "<![CDATA["))
			ok = hp_cursor_skip_past(&c, "]]>");
		else if (hp_cursor_at(&c, "<?"))
			ok = hp_cursor_skip_past(&c, "?>");
		else if (hp_cursor_at(&c, "<!"))
			ok = hp_cursor_skip_decl(&c);
		else if (hp_cursor_at(&c, "</"))
			ok = hp_cursor_skip_past(&c, ">");
		else
			ok = hp_scan_start_tag(&c, pos);
		if (!ok)
			return NULL;
	}
	return g_steal_pointer(&pos);
}

void
hp_positions_free(HpPositions *pos)
{
	if (pos == NULL)
		return;
	if (pos->tags != NULL)
		g_array_unref(pos->tags);
	if (pos->attrs != NULL)
		g_array_unref(pos->attrs);
	g_free(pos);
}

/**
 * hp_text_position:
 * @text: UTF-8 text
 * @offset: a byte offset in it (at most @len)
 * @ret_line: (out): its 1-based line
 * @ret_column: (out): its 1-based column, in characters
 */
void
hp_text_position(const gchar *text, gsize len, gsize offset, guint *ret_line, guint *ret_column)
{
	HpCursor c = {text, len, 0, 1, 1};
	hp_cursor_advance(&c, MIN(offset, len));
	*ret_line = c.line;
	*ret_column = c.column;
}
