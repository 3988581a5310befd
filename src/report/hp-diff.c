/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A unified diff of two texts, line by line, as `diff -u` and `git apply`
 * read it. The common head and tail are cut first; what is left is matched
 * by longest common subsequence when it is small (a fix changes a few
 * lines), and otherwise shown as one replaced block, which is still a
 * correct diff.
 */
#include "hp-diff.h"

#include <string.h>

#define HP_DIFF_LCS_MAX ((gsize)4 * 1024 * 1024) /* cells of the LCS table */

typedef enum {
	HP_DIFF_SAME,
	HP_DIFF_DEL,
	HP_DIFF_ADD,
} HpDiffOp;

typedef struct {
	HpDiffOp op;
	guint a; /* line in old, for SAME and DEL */
	guint b; /* line in new, for SAME and ADD */
} HpDiffEdit;

/* Splits keeping each line's end; the last line may lack one. */
static GPtrArray *
hp_diff_lines(const gchar *text)
{
	GPtrArray *lines = g_ptr_array_new_with_free_func(g_free);
	const gchar *p = text;
	while (*p != '\0') {
		const gchar *nl = strchr(p, '\n');
		const gchar *end = nl != NULL ? nl + 1 : p + strlen(p);
		g_ptr_array_add(lines, g_strndup(p, (gsize)(end - p)));
		p = end;
	}
	return lines;
}

static gboolean
hp_diff_eq(GPtrArray *a, guint i, GPtrArray *b, guint j)
{
	return strcmp(g_ptr_array_index(a, i), g_ptr_array_index(b, j)) == 0;
}

static void
hp_diff_add(GArray *edits, HpDiffOp op, guint a, guint b)
{
	HpDiffEdit e = {op, a, b};
	g_array_append_val(edits, e);
}

/* The edit script for the middle a[a0,a1) / b[b0,b1). */
static void
hp_diff_middle(GPtrArray *a, guint a0, guint a1, GPtrArray *b, guint b0, guint b1, GArray *edits)
{
	guint n = a1 - a0, m = b1 - b0;
	g_autofree guint *t = NULL;
	guint i = 0, j = 0;

	if ((gsize)(n + 1) * (m + 1) > HP_DIFF_LCS_MAX) {
		for (guint k = a0; k < a1; k++)
			hp_diff_add(edits, HP_DIFF_DEL, k, 0);
		for (guint k = b0; k < b1; k++)
			hp_diff_add(edits, HP_DIFF_ADD, 0, k);
		return;
	}
	/* t[i][j]: LCS length of a[a0+i..] and b[b0+j..] */
	t = g_new0(guint, (gsize)(n + 1) * (m + 1));
#define T(x, y) t[(gsize)(x) * (m + 1) + (y)]
	for (guint x = n; x-- > 0;)
		for (guint y = m; y-- > 0;)
			T(x, y) = hp_diff_eq(a, a0 + x, b, b0 + y) ? T(x + 1, y + 1) + 1 : MAX(T(x + 1, y), T(x, y + 1));
	while (i < n || j < m) {
		if (i < n && j < m && hp_diff_eq(a, a0 + i, b, b0 + j)) {
			hp_diff_add(edits, HP_DIFF_SAME, a0 + i, b0 + j);
			i++;
			j++;
		} else if (i < n && (j == m || T(i + 1, j) >= T(i, j + 1))) {
			hp_diff_add(edits, HP_DIFF_DEL, a0 + i, 0); /* a line goes before its replacement comes */
			i++;
		} else {
			hp_diff_add(edits, HP_DIFF_ADD, 0, b0 + j);
			j++;
		}
	}
#undef T
}

static void
hp_diff_line(GString *out, gchar mark, const gchar *line)
{
	g_string_append_c(out, mark);
	g_string_append(out, line);
	if (!g_str_has_suffix(line, "\n"))
		g_string_append(out, "\n\\ No newline at end of file\n");
}

/**
 * hp_diff_unified:
 * @context: lines of context around each change (3, as diff -u)
 *
 * Returns: (transfer full): the unified diff; "" when the texts are equal.
 */
gchar *
hp_diff_unified(const gchar *old_name, const gchar *old_text, const gchar *new_name, const gchar *new_text,
		guint context)
{
	g_autoptr(GPtrArray) a = hp_diff_lines(old_text);
	g_autoptr(GPtrArray) b = hp_diff_lines(new_text);
	g_autoptr(GArray) edits = g_array_new(FALSE, FALSE, sizeof(HpDiffEdit));
	GString *out = g_string_new(NULL);
	guint head = 0, tail = 0;
	guint k = 0;

	while (head < a->len && head < b->len && hp_diff_eq(a, head, b, head))
		head++;
	while (tail < a->len - head && tail < b->len - head && hp_diff_eq(a, a->len - 1 - tail, b, b->len - 1 - tail))
		tail++;
	if (head == a->len && head == b->len)
		return g_string_free(out, FALSE);
	for (guint i = 0; i < head; i++)
		hp_diff_add(edits, HP_DIFF_SAME, i, i);
	hp_diff_middle(a, head, a->len - tail, b, head, b->len - tail, edits);
	for (guint i = 0; i < tail; i++)
		hp_diff_add(edits, HP_DIFF_SAME, a->len - tail + i, b->len - tail + i);

	g_string_append_printf(out, "--- %s\n+++ %s\n", old_name, new_name);
	while (k < edits->len) {
		guint start, end, last_change;
		guint a_start = 0, b_start = 0, a_count = 0, b_count = 0;
		gboolean a_set = FALSE, b_set = FALSE;
		GString *body;

		while (k < edits->len && g_array_index(edits, HpDiffEdit, k).op == HP_DIFF_SAME)
			k++;
		if (k == edits->len)
			break;
		start = k > context ? k - context : 0;
		/* the hunk runs while changes are at most 2*context apart */
		last_change = k;
		end = k;
		while (end < edits->len) {
			if (g_array_index(edits, HpDiffEdit, end).op != HP_DIFF_SAME)
				last_change = end;
			else if (end - last_change > 2 * context)
				break;
			end++;
		}
		end = MIN(last_change + context + 1, edits->len);
		body = g_string_new(NULL);
		for (guint x = start; x < end; x++) {
			const HpDiffEdit *e = &g_array_index(edits, HpDiffEdit, x);
			if (e->op != HP_DIFF_ADD) {
				if (!a_set)
					a_start = e->a, a_set = TRUE;
				a_count++;
			}
			if (e->op != HP_DIFF_DEL) {
				if (!b_set)
					b_start = e->b, b_set = TRUE;
				b_count++;
			}
			hp_diff_line(body, e->op == HP_DIFF_SAME ? ' ' : e->op == HP_DIFF_DEL ? '-' : '+',
				     e->op == HP_DIFF_ADD ? g_ptr_array_index(b, e->b) : g_ptr_array_index(a, e->a));
		}
		/* an empty side starts at the line before it (diff's own rule) */
		if (!a_set)
			a_start = start < edits->len && start > 0 ? g_array_index(edits, HpDiffEdit, start - 1).a + 1 : 0;
		if (!b_set)
			b_start = start < edits->len && start > 0 ? g_array_index(edits, HpDiffEdit, start - 1).b + 1 : 0;
		g_string_append_printf(out, "@@ -%u,%u +%u,%u @@\n", a_count > 0 ? a_start + 1 : a_start, a_count,
				       b_count > 0 ? b_start + 1 : b_start, b_count);
		g_string_append(out, body->str);
		g_string_free(body, TRUE);
		k = end;
	}
	return g_string_free(out, FALSE);
}
