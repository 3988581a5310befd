/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Quick fixes: for a finding the client names, the repair fix makes, as one
 * versioned workspace edit of the lines that change. Each is computed from
 * a fresh check of the text the finding was published for.
 */
#include "hp-lsp-check.h"
#include "hp-lsp-check-private.h"

#include <string.h>

#include "hp-fix.h"
#include "hp-lsp-json.h"

void
hp_lsp_target_free(gpointer data)
{
	HpLspTarget *t = data;
	g_free(t->rule);
	g_free(t);
}

/**
 * hp_lsp_result_targets_in:
 *
 * Returns: (transfer full) (element-type HpLspTarget): the repairable
 * findings of @result that start on lines @first_line..@last_line (ours).
 */
GPtrArray *
hp_lsp_result_targets_in(const HpLspResult *result, guint first_line, guint last_line)
{
	GPtrArray *targets = g_ptr_array_new_with_free_func(hp_lsp_target_free);
	for (guint i = 0; i < result->diags->items->len; i++) {
		const HpDiag *d = g_ptr_array_index(result->diags->items, i);
		HpLspTarget *t;
		if (d->span.line < first_line || d->span.line > last_line || !hp_fix_is_repairable(d, result->domain))
			continue;
		t = g_new0(HpLspTarget, 1);
		t->rule = g_strdup(d->rule->id);
		t->line = d->span.line;
		t->column = d->span.column;
		g_ptr_array_add(targets, t);
	}
	return targets;
}

/* Lines with their ends; the last may lack one. */
static GPtrArray *
hp_lsp_lines(const gchar *text, gsize len)
{
	GPtrArray *lines = g_ptr_array_new_with_free_func(g_free);
	gsize i = 0;
	while (i < len) {
		const gchar *nl = memchr(text + i, '\n', len - i);
		gsize end = nl != NULL ? (gsize)(nl - text) + 1 : len;
		g_ptr_array_add(lines, g_strndup(text + i, end - i));
		i = end;
	}
	return lines;
}

/* The one edit that turns @old into @new_text: the lines between their
 * common head and tail, so an editor keeps its marks everywhere else. */
static GVariant *
hp_lsp_text_edit(const HpLspText *old, const gchar *new_text, HpLspEncoding encoding)
{
	gsize old_len;
	const gchar *old_text = hp_lsp_text_get(old, &old_len);
	g_autoptr(GPtrArray) a = hp_lsp_lines(old_text, old_len);
	g_autoptr(GPtrArray) b = hp_lsp_lines(new_text, strlen(new_text));
	g_autoptr(GString) middle = g_string_new(NULL);
	guint head = 0, tail = 0;
	HpLspPosition start, end;
	GVariantDict d;

	while (head < a->len && head < b->len &&
	       g_strcmp0(g_ptr_array_index(a, head), g_ptr_array_index(b, head)) == 0)
		head++;
	while (tail < a->len - head && tail < b->len - head &&
	       g_strcmp0(g_ptr_array_index(a, a->len - 1 - tail), g_ptr_array_index(b, b->len - 1 - tail)) == 0)
		tail++;
	for (guint i = head; i < b->len - tail; i++)
		g_string_append(middle, g_ptr_array_index(b, i));
	start = (HpLspPosition){head, 0};
	if (tail > 0 || a->len == 0 || g_str_has_suffix(old_text, "\n"))
		end = (HpLspPosition){a->len - tail, 0};
	else /* up to the end of a last line without a line end */
		end = hp_lsp_text_position(old, encoding, a->len, G_MAXUINT);
	g_variant_dict_init(&d, NULL);
	g_variant_dict_insert_value(&d, "range", hp_lsp_json_new_range(&start, &end));
	g_variant_dict_insert(&d, "newText", "s", middle->str);
	return g_variant_dict_end(&d);
}

typedef struct {
	HpLspChecker *checker;
	HpLspResult *result;
	GPtrArray *targets;
	HpLspEncoding encoding;
} HpLspActionJob;

static void
hp_lsp_action_job_free(gpointer data)
{
	HpLspActionJob *job = data;
	hp_lsp_result_unref(job->result);
	g_ptr_array_unref(job->targets);
	g_free(job);
}

/* One quick fix: the repair of the finding @t, checked afresh from the text;
 * NULL with *@ret_why when there is none. */
static GVariant *
hp_lsp_code_action(HpLspActionJob *job, const HpLspTarget *t, gchar **ret_why)
{
	gsize len;
	const gchar *data = hp_lsp_text_get(job->result->text, &len);
	g_autoptr(GBytes) bytes = g_bytes_new(data, len);
	g_autoptr(HpLspResult) fresh = hp_lsp_check(job->checker, job->result->uri, job->result->version, bytes);
	g_autoptr(GError) error = NULL;
	g_autofree gchar *out = NULL;
	g_autofree gchar *title = NULL;
	const HpDiag *diag = NULL;
	GVariantDict action, edit, change, ident;
	GVariantBuilder edits, changes;
	HpLspPosition start, end;
	GVariantDict dd;
	GVariantBuilder diags;

	if (fresh->hdoc == NULL) {
		*ret_why = g_strdup("the document is not well-formed");
		return NULL;
	}
	for (guint i = 0; i < fresh->diags->items->len && diag == NULL; i++) {
		const HpDiag *d = g_ptr_array_index(fresh->diags->items, i);
		if (g_strcmp0(d->rule->id, t->rule) == 0 && d->span.line == t->line && d->span.column == t->column)
			diag = d;
	}
	if (diag == NULL) {
		*ret_why = g_strdup_printf("no finding %s at %u:%u in the text (of %u findings)", t->rule, t->line, t->column,
					   fresh->diags->items->len);
		return NULL;
	}
	if (hp_fix_apply(fresh->hdoc, fresh->domain, fresh->diags, diag) == 0) {
		*ret_why = g_strdup_printf("%s at %u:%u has no one safe repair", t->rule, t->line, t->column);
		return NULL;
	}
	pthread_mutex_lock(&job->checker->lock);
	out = hp_normalizer_apply(job->checker->normalizer, fresh->hdoc->doc, FALSE, NULL, NULL, &error);
	pthread_mutex_unlock(&job->checker->lock);
	if (out == NULL) {
		*ret_why = g_strdup_printf("the repaired document cannot be written: %s", error->message);
		return NULL;
	}
	title = hp_fix_describe(diag);

	g_variant_builder_init(&edits, G_VARIANT_TYPE("av"));
	g_variant_builder_add(&edits, "v", hp_lsp_text_edit(job->result->text, out, job->encoding));
	g_variant_dict_init(&ident, NULL);
	g_variant_dict_insert(&ident, "uri", "s", job->result->uri);
	g_variant_dict_insert(&ident, "version", "x", job->result->version);
	g_variant_dict_init(&change, NULL);
	g_variant_dict_insert_value(&change, "textDocument", g_variant_dict_end(&ident));
	g_variant_dict_insert_value(&change, "edits", g_variant_builder_end(&edits));
	g_variant_builder_init(&changes, G_VARIANT_TYPE("av"));
	g_variant_builder_add(&changes, "v", g_variant_dict_end(&change));
	g_variant_dict_init(&edit, NULL);
	g_variant_dict_insert_value(&edit, "documentChanges", g_variant_builder_end(&changes));

	/* the finding it repairs, as we published it */
	start = hp_lsp_text_position(job->result->text, job->encoding, diag->span.line, diag->span.column);
	end = diag->span.end_line > 0
		  ? hp_lsp_text_position(job->result->text, job->encoding, diag->span.end_line, diag->span.end_column)
		  : hp_lsp_text_position(job->result->text, job->encoding, diag->span.line, MAX(diag->span.column, 1) + 1);
	g_variant_dict_init(&dd, NULL);
	g_variant_dict_insert_value(&dd, "range", hp_lsp_json_new_range(&start, &end));
	g_variant_dict_insert(&dd, "code", "s", diag->rule->id);
	g_variant_dict_insert(&dd, "message", "s", diag->message);
	g_variant_builder_init(&diags, G_VARIANT_TYPE("av"));
	g_variant_builder_add(&diags, "v", g_variant_dict_end(&dd));

	g_variant_dict_init(&action, NULL);
	g_variant_dict_insert(&action, "title", "s", title);
	g_variant_dict_insert(&action, "kind", "s", "quickfix");
	g_variant_dict_insert(&action, "isPreferred", "b", TRUE);
	g_variant_dict_insert_value(&action, "diagnostics", g_variant_builder_end(&diags));
	g_variant_dict_insert_value(&action, "edit", g_variant_dict_end(&edit));
	return g_variant_dict_end(&action);
}

static void
hp_lsp_actions_thread(GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
	HpLspActionJob *job = g_object_get_data(G_OBJECT(task), "hp-action-job");
	GVariantBuilder b;

	g_variant_builder_init(&b, G_VARIANT_TYPE("av"));
	for (guint i = 0; i < job->targets->len; i++) {
		g_autofree gchar *why = NULL;
		GVariant *a = hp_lsp_code_action(job, g_ptr_array_index(job->targets, i), &why);
		if (a != NULL)
			g_variant_builder_add(&b, "v", a);
		else if (why != NULL)
			g_debug("no quick fix: %s", why);
	}
	g_task_return_pointer(task, g_variant_ref_sink(g_variant_builder_end(&b)), (GDestroyNotify)g_variant_unref);
}

/**
 * hp_lsp_checker_code_actions_async:
 * @targets: (transfer full) (element-type HpLspTarget): the findings to repair
 * @task_data: (transfer full): kept on the task for the callback
 *
 * Builds, on a worker thread, a quick fix for each target that fix can
 * repair; the task's pointer is an `av` of CodeAction objects.
 */
void
hp_lsp_checker_code_actions_async(HpLspChecker *checker, HpLspResult *result, GPtrArray *targets,
				  HpLspEncoding encoding, GCancellable *cancellable, GAsyncReadyCallback callback,
				  gpointer user_data, GVariant *task_data)
{
	g_autoptr(GTask) task = g_task_new(NULL, cancellable, callback, user_data);
	HpLspActionJob *job = g_new0(HpLspActionJob, 1);

	job->checker = checker;
	job->result = hp_lsp_result_ref(result);
	job->targets = targets;
	job->encoding = encoding;
	g_object_set_data_full(G_OBJECT(task), "hp-action-job", job, hp_lsp_action_job_free);
	g_task_set_task_data(task, task_data, (GDestroyNotify)g_variant_unref);
	g_task_run_in_thread(task, hp_lsp_actions_thread);
}
