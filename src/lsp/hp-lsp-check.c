/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "hp-lsp-check.h"
#include "hp-lsp-check-private.h"

#include <sys/utsname.h>

#include "hp-document.h"
#include "hp-fix.h"
#include "hp-host-data.h"
#include "hp-host-rules.h"
#include "hp-host-view.h"
#include "hp-lsp-json.h"
#include "hp-normalize.h"
#include "hp-checker.h"

static void hp_lsp_checker_open_host(HpLspChecker *checker);


HpLspChecker *
hp_lsp_checker_new(const HpLspConfig *config, GError **error)
{
	g_autoptr(HpLspChecker) checker = g_new0(HpLspChecker, 1);

	hp_xml_init(); /* libxml2 is set up once, here, before any worker runs */
	checker->config.root = g_strdup(config->root);
	checker->config.kernel_release = g_strdup(config->kernel_release);
	checker->config.no_host = config->no_host;
	checker->config.libvirt_schemas = g_strdup(config->libvirt_schemas);
	checker->config.pci_ids = g_strdup(config->pci_ids);
	checker->config.default_root = g_strdup(config->default_root != NULL ? config->default_root : "/");
	pthread_mutex_init(&checker->lock, NULL);
	/* no host in the checker: the server's host data gives each check its own view */
	checker->checker = hp_checker_new(config->libvirt_schemas, error);
	if (checker->checker == NULL)
		return NULL;
	checker->normalizer = hp_normalizer_new(error);
	if (checker->normalizer == NULL)
		return NULL;
	hp_lsp_checker_open_host(checker);
	return g_steal_pointer(&checker);
}

void
hp_lsp_checker_free(HpLspChecker *checker)
{
	if (checker == NULL)
		return;
	hp_lsp_config_clear(&checker->config);
	hp_checker_free(checker->checker);
	hp_normalizer_free(checker->normalizer);
	if (checker->host_data != NULL)
		hp_host_data_unref(checker->host_data);
	g_free(checker->host_skip);
	pthread_mutex_destroy(&checker->lock);
	g_free(checker);
}

HpLspResult *
hp_lsp_result_ref(HpLspResult *result)
{
	if (result != NULL)
		g_atomic_int_inc(&result->ref);
	return result;
}

void
hp_lsp_result_unref(HpLspResult *result)
{
	if (result == NULL || !g_atomic_int_dec_and_test(&result->ref))
		return;
	g_free(result->uri);
	hp_lsp_text_free(result->text);
	hp_domain_free(result->domain);
	hp_document_free(result->hdoc);
	hp_diag_list_free(result->diags);
	g_free(result);
}

const gchar *
hp_lsp_result_get_uri(const HpLspResult *result)
{
	return result->uri;
}

gint64
hp_lsp_result_get_version(const HpLspResult *result)
{
	return result->version;
}

const HpLspText *
hp_lsp_result_get_text(const HpLspResult *result)
{
	return result->text;
}

/* The host to check against, or NULL with *ret_skip saying why not (NULL
 * too when the host rules are off). */
static HpHostView *
hp_lsp_host_view(HpLspChecker *checker, gchar **ret_skip)
{
	*ret_skip = NULL;
	if (checker->config.no_host)
		return NULL;
	if (checker->host_data == NULL) {
		*ret_skip = g_strdup(checker->host_skip);
		return NULL;
	}
	/* bindings are read anew for each check; modules.alias and pci.ids
	 * only when their files change */
	return hp_host_view_new_for_data(checker->host_data);
}

/* The host, once per server: its data is kept across checks. */
static void
hp_lsp_checker_open_host(HpLspChecker *checker)
{
	g_autoptr(GError) error = NULL;
	const gchar *root = checker->config.root != NULL ? checker->config.root : checker->config.default_root;
	HpHost *host;

	if (checker->config.no_host)
		return;
	/* a directory or a snapshot file; the release is the option's, else
	 * the snapshot's, else the running kernel's */
	host = hp_host_new(root, checker->config.kernel_release, &error);
	if (host != NULL && hp_host_get_kernel_release(host) == NULL) {
		struct utsname u;
		if (uname(&u) == 0)
			hp_host_set_kernel_release(host, u.release);
	}
	if (host == NULL) {
		checker->host_skip = g_strdup_printf("the host %s cannot be read (%s); fix the language server's "
						     "\"host\" initialization option",
						     root, error->message);
		return;
	}
	if (!hp_host_has_pci(host, NULL)) {
		checker->host_skip = g_strdup_printf("%s has no PCI sysfs (sys/bus/pci/devices), as in a container; "
						     "set the language server's \"host\" initialization option to a copy "
						     "of the target's tree or a snapshot captured on it, or to \"none\"",
						     root);
		hp_host_free(host);
		return;
	}
	hp_host_set_pci_ids(host, checker->config.pci_ids);
	checker->host_data = hp_host_data_new(host);
}

typedef struct {
	HpLspChecker *checker; /* borrowed: the server outlives its checks */
	gchar *uri;
	gint64 version;
	GBytes *bytes;
} HpLspCheckJob;

static void
hp_lsp_check_job_free(gpointer data)
{
	HpLspCheckJob *job = data;
	g_free(job->uri);
	g_bytes_unref(job->bytes);
	g_free(job);
}

/* The whole check of @bytes, as the command line's validate runs it. */
HpLspResult *
hp_lsp_check(HpLspChecker *checker, const gchar *uri, gint64 version, GBytes *bytes)
{
	HpLspResult *result = g_new0(HpLspResult, 1);
	g_autofree gchar *path = g_filename_from_uri(uri, NULL, NULL);
	gsize len;
	const gchar *data = g_bytes_get_data(bytes, &len);

	result->ref = 1;
	result->uri = g_strdup(uri);
	result->version = version;
	result->text = hp_lsp_text_new(data, len);
	{
		g_autoptr(HpCheckResult) checked = hp_checker_check(checker->checker, path != NULL ? path : uri, bytes);
		result->diags = g_steal_pointer(&checked->diags);
		result->hdoc = g_steal_pointer(&checked->document);
		result->domain = g_steal_pointer(&checked->domain);
	}
	if (result->hdoc != NULL) {
		g_autoptr(HpHostView) view = NULL;
		g_autofree gchar *skip = NULL;

		view = hp_lsp_host_view(checker, &skip);
		if (view != NULL)
			hp_host_rules_check(view, result->hdoc, result->domain, result->diags);
		else if (skip != NULL)
			hp_host_rules_skipped(result->hdoc, result->diags, skip);
		hp_diag_list_sort(result->diags);
	}
	return result;
}

static void
hp_lsp_check_thread(GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
	HpLspCheckJob *job = task_data;
	HpLspResult *result = hp_lsp_check(job->checker, job->uri, job->version, job->bytes);
	g_task_return_pointer(task, result, (GDestroyNotify)hp_lsp_result_unref);
}

/**
 * hp_lsp_checker_check_async:
 * @data: the document's text, copied
 *
 * Checks the text on a worker thread; one check at a time per checker (the
 * server sees to that: the validator's grammars are shared, the host view is
 * the thread's own).
 */
void
hp_lsp_checker_check_async(HpLspChecker *checker, const gchar *uri, gint64 version, const gchar *data, gsize len,
			   GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
	g_autoptr(GTask) task = g_task_new(NULL, cancellable, callback, user_data);
	HpLspCheckJob *job = g_new0(HpLspCheckJob, 1);

	job->checker = checker;
	job->uri = g_strdup(uri);
	job->version = version;
	job->bytes = g_bytes_new(data, len);
	g_task_set_source_tag(task, hp_lsp_checker_check_async);
	g_task_set_task_data(task, job, hp_lsp_check_job_free);
	g_task_run_in_thread(task, hp_lsp_check_thread);
}

HpLspResult *
hp_lsp_checker_check_finish(HpLspChecker *checker, GAsyncResult *res, GError **error)
{
	return g_task_propagate_pointer(G_TASK(res), error);
}

static gboolean
hp_span_contains(const HpSpan *span, guint line, guint column)
{
	if (span->line == 0)
		return FALSE;
	if (line < span->line || (line == span->line && column < span->column))
		return FALSE;
	if (span->end_line == 0) /* no end recorded: the rest of its first line */
		return line == span->line;
	return line < span->end_line || (line == span->end_line && column < span->end_column);
}

/* Markdown about the host's device behind the source address at @line:@column. */
static gchar *
hp_lsp_describe(HpLspChecker *checker, const HpLspResult *result, guint line, guint column)
{
	g_autoptr(HpHostView) view = NULL;
	g_autofree gchar *skip = NULL;
	const HpHostdev *hd = NULL;
	const HpPciDevice *dev;
	const GError *dev_error = NULL;
	g_autofree gchar *desc = NULL;
	gchar bdf[HP_PCI_ADDRESS_STRLEN];
	GString *md;

	if (result->domain == NULL)
		return NULL;
	for (guint i = 0; i < result->domain->hostdevs->len && hd == NULL; i++) {
		const HpHostdev *h = g_ptr_array_index(result->domain->hostdevs, i);
		if (h->source_node != NULL && h->source_valid && hp_span_contains(&h->source_span, line, column))
			hd = h;
	}
	if (hd == NULL)
		return NULL;
	hp_pci_address_to_string(&hd->source, bdf);
	view = hp_lsp_host_view(checker, &skip);
	if (view == NULL)
		return g_strdup_printf("**%s**: no host to describe it from%s%s", bdf, skip != NULL ? ": " : "",
				       skip != NULL ? skip : " (host checks are off)");
	dev = hp_host_view_device(view, &hd->source, &dev_error);
	if (dev == NULL)
		return g_strdup_printf("**%s**: not on this host (%s)", bdf,
				       dev_error != NULL ? dev_error->message : "no such device");
	desc = hp_host_view_describe(view, dev);
	md = g_string_new(NULL);
	g_string_append_printf(md, "**%s**\n\n", desc);
	g_string_append_printf(md, "- driver: %s\n", dev->driver != NULL ? dev->driver : "none");
	if (dev->iommu_group < 0) {
		g_string_append(md, "- IOMMU group: none (the IOMMU is off or unsupported)\n");
	} else {
		g_autoptr(GArray) members = hp_host_view_group_members(view, dev->iommu_group);
		g_string_append_printf(md, "- IOMMU group: %d, %u device%s\n", dev->iommu_group, members->len,
				       members->len == 1 ? "" : "s");
		for (guint i = 0; i < members->len; i++) {
			const HpPciAddress *a = &g_array_index(members, HpPciAddress, i);
			const HpPciDevice *m = hp_host_view_device(view, a, NULL);
			g_autofree gchar *mdesc = m != NULL ? hp_host_view_describe(view, m) : NULL;
			gchar mbdf[HP_PCI_ADDRESS_STRLEN];
			hp_pci_address_to_string(a, mbdf);
			g_string_append_printf(md, "  - %s%s\n", mdesc != NULL ? mdesc : mbdf,
					       hp_pci_address_equal(a, &dev->addr) ? " (this device)" : "");
		}
	}
	return g_string_free(md, FALSE);
}

typedef struct {
	HpLspChecker *checker;
	HpLspResult *result;
	guint line, column;
} HpLspHoverJob;

static void
hp_lsp_hover_job_free(gpointer data)
{
	HpLspHoverJob *job = data;
	hp_lsp_result_unref(job->result);
	g_free(job);
}

static void
hp_lsp_hover_thread(GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
	HpLspHoverJob *job = g_object_get_data(G_OBJECT(task), "hp-hover-job");
	g_task_return_pointer(task, hp_lsp_describe(job->checker, job->result, job->line, job->column), g_free);
}

/**
 * hp_lsp_checker_hover_async:
 * @task_data: (transfer full): kept on the task for the callback
 *
 * Describes, on a worker thread, the host device whose source address is at
 * @line:@column of @result's text; the task's pointer is %NULL when there
 * is none.
 */
void
hp_lsp_checker_hover_async(HpLspChecker *checker, HpLspResult *result, guint line, guint column,
			   GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data,
			   GVariant *task_data)
{
	g_autoptr(GTask) task = g_task_new(NULL, cancellable, callback, user_data);
	HpLspHoverJob *job = g_new0(HpLspHoverJob, 1);

	job->checker = checker;
	job->result = hp_lsp_result_ref(result);
	job->line = line;
	job->column = column;
	g_object_set_data_full(G_OBJECT(task), "hp-hover-job", job, hp_lsp_hover_job_free);
	g_task_set_task_data(task, task_data, (GDestroyNotify)g_variant_unref);
	g_task_run_in_thread(task, hp_lsp_hover_thread);
}

/* LSP DiagnosticSeverity: 1 error, 2 warning, 3 information */
static gint64
hp_lsp_severity(HpSeverity severity)
{
	switch (severity) {
	case HP_SEVERITY_ERROR:
		return 1;
	case HP_SEVERITY_WARNING:
		return 2;
	case HP_SEVERITY_NOTE:
	default:
		return 3;
	}
}

/**
 * hp_lsp_result_diagnostics:
 *
 * Returns: (transfer floating): the findings as LSP Diagnostic objects, with
 * ranges counted in @encoding over the text they were found in.
 */
GVariant *
hp_lsp_result_diagnostics(const HpLspResult *result, HpLspEncoding encoding)
{
	GVariantBuilder b;

	g_variant_builder_init(&b, G_VARIANT_TYPE("av"));
	for (guint i = 0; i < result->diags->items->len; i++) {
		const HpDiag *d = g_ptr_array_index(result->diags->items, i);
		HpLspPosition start = hp_lsp_text_position(result->text, encoding, d->span.line, d->span.column);
		HpLspPosition end;
		GVariantDict dict;

		if (d->span.end_line > 0)
			end = hp_lsp_text_position(result->text, encoding, d->span.end_line, d->span.end_column);
		else /* one character: something an editor can underline */
			end = hp_lsp_text_position(result->text, encoding, d->span.line, MAX(d->span.column, 1) + 1);
		g_variant_dict_init(&dict, NULL);
		g_variant_dict_insert_value(&dict, "range", hp_lsp_json_new_range(&start, &end));
		g_variant_dict_insert(&dict, "severity", "x", hp_lsp_severity(d->severity));
		g_variant_dict_insert(&dict, "code", "s", d->rule->id);
		g_variant_dict_insert(&dict, "source", "s", "hostdev-preflight");
		g_variant_dict_insert(&dict, "message", "s", d->message);
		g_variant_builder_add(&b, "v", g_variant_dict_end(&dict));
	}
	return g_variant_builder_end(&b);
}

