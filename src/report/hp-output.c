/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "hp-output.h"

#include <json-glib/json-glib.h>

#include "config.h"

static void
hp_file_report_free(gpointer data)
{
	HpFileReport *file = data;
	g_free(file->name);
	hp_diag_list_free(file->diags);
	g_free(file->error);
	g_free(file);
}

HpReport *
hp_report_new(gboolean werror)
{
	HpReport *report = g_new0(HpReport, 1);
	report->files = g_ptr_array_new_with_free_func(hp_file_report_free);
	report->werror = werror;
	return report;
}

void
hp_report_free(HpReport *report)
{
	if (report == NULL)
		return;
	g_ptr_array_unref(report->files);
	g_free(report);
}

/* Returns: (transfer none): the list to add the file's findings to. */
HpDiagList *
hp_report_add_file(HpReport *report, const gchar *name)
{
	HpFileReport *file = g_new0(HpFileReport, 1);
	file->name = g_strdup(name);
	file->diags = hp_diag_list_new();
	g_ptr_array_add(report->files, file);
	return file->diags;
}

/**
 * hp_report_take_file:
 * @name: the file's name, as the user gave it
 * @diags: (transfer full): its findings, in the order to report them
 *
 * Adds a file that was checked.
 */
void
hp_report_take_file(HpReport *report, const gchar *name, HpDiagList *diags)
{
	HpFileReport *file = g_new0(HpFileReport, 1);
	file->name = g_strdup(name);
	file->diags = diags;
	g_ptr_array_add(report->files, file);
}

/**
 * hp_report_add_unreadable:
 * @name: the file's name, as the user gave it
 * @why: why it cannot be read
 *
 * Adds a file that could not be read: it is not valid, and every format
 * says so (it never just vanishes from a report).
 */
void
hp_report_add_unreadable(HpReport *report, const gchar *name, const gchar *why)
{
	HpFileReport *file = g_new0(HpFileReport, 1);
	file->name = g_strdup(name);
	file->diags = hp_diag_list_new();
	file->error = g_strdup(why);
	g_ptr_array_add(report->files, file);
}

guint
hp_report_count_unreadable(const HpReport *report)
{
	guint n = 0;
	for (guint i = 0; i < report->files->len; i++) {
		const HpFileReport *file = g_ptr_array_index(report->files, i);
		if (file->error != NULL)
			n++;
	}
	return n;
}

gboolean
hp_report_file_valid(const HpReport *report, const HpFileReport *file)
{
	if (file->error != NULL)
		return FALSE;
	if (hp_diag_list_count(file->diags, HP_SEVERITY_ERROR) > 0)
		return FALSE;
	return !report->werror || hp_diag_list_count(file->diags, HP_SEVERITY_WARNING) == 0;
}

guint
hp_report_count(const HpReport *report, HpSeverity severity)
{
	guint n = 0;
	for (guint i = 0; i < report->files->len; i++) {
		const HpFileReport *file = g_ptr_array_index(report->files, i);
		n += hp_diag_list_count(file->diags, severity);
	}
	return n;
}

gboolean
hp_report_valid(const HpReport *report)
{
	for (guint i = 0; i < report->files->len; i++) {
		if (!hp_report_file_valid(report, g_ptr_array_index(report->files, i)))
			return FALSE;
	}
	return TRUE;
}

gboolean
hp_output_format_parse(const gchar *str, HpOutputFormat *ret_format)
{
	if (g_strcmp0(str, "text") == 0)
		*ret_format = HP_OUTPUT_TEXT;
	else if (g_strcmp0(str, "json") == 0)
		*ret_format = HP_OUTPUT_JSON;
	else if (g_strcmp0(str, "sarif") == 0)
		*ret_format = HP_OUTPUT_SARIF;
	else
		return FALSE;
	return TRUE;
}

/* A file name as a text line may show it: whole, with control characters
 * and invalid UTF-8 escaped, so that a name cannot forge a line. */
static gchar *
hp_report_to_text(const HpReport *report)
{
	GString *out = g_string_new(NULL);
	for (guint i = 0; i < report->files->len; i++) {
		const HpFileReport *file = g_ptr_array_index(report->files, i);
		g_autofree gchar *name = hp_escape(file->name);
		for (guint j = 0; j < file->diags->items->len; j++) {
			const HpDiag *d = g_ptr_array_index(file->diags->items, j);
			g_string_append_printf(out, "%s:%u:%u: %s: %s [%s]\n", name, MAX(d->span.line, 1),
					       MAX(d->span.column, 1), hp_severity_to_string(d->severity), d->message,
					       d->rule->id);
		}
	}
	return g_string_free(out, FALSE);
}

static gchar *
hp_json_to_string(JsonBuilder *builder)
{
	g_autoptr(JsonGenerator) gen = json_generator_new();
	g_autoptr(JsonNode) root = json_builder_get_root(builder);
	g_autofree gchar *text = NULL;
	json_generator_set_pretty(gen, TRUE);
	json_generator_set_indent(gen, 2);
	json_generator_set_root(gen, root);
	text = json_generator_to_data(gen, NULL);
	return g_strconcat(text, "\n", NULL);
}

static void
hp_json_string(JsonBuilder *b, const gchar *member, const gchar *value)
{
	json_builder_set_member_name(b, member);
	json_builder_add_string_value(b, value);
}

static void
hp_json_int(JsonBuilder *b, const gchar *member, gint64 value)
{
	json_builder_set_member_name(b, member);
	json_builder_add_int_value(b, value);
}

/* JSON holds any valid UTF-8 (the generator escapes control characters);
 * a name that is not UTF-8 is written escaped, as text shows it. */
static gchar *
hp_json_name(const gchar *name)
{
	return g_utf8_validate(name, -1, NULL) ? g_strdup(name) : hp_escape(name);
}

static void
hp_json_diag(JsonBuilder *b, const HpDiag *d)
{
	json_builder_begin_object(b);
	hp_json_string(b, "rule", d->rule->id);
	hp_json_string(b, "severity", hp_severity_to_string(d->severity));
	hp_json_int(b, "line", MAX(d->span.line, 1));
	hp_json_int(b, "column", MAX(d->span.column, 1));
	if (d->span.end_line > 0 && d->span.end_column > 0) {
		hp_json_int(b, "end_line", d->span.end_line);
		hp_json_int(b, "end_column", d->span.end_column);
	}
	if (d->has_device) {
		gchar bdf[HP_PCI_ADDRESS_STRLEN];
		hp_json_string(b, "device", hp_pci_address_to_string(&d->device, bdf));
	}
	hp_json_string(b, "message", d->message);
	json_builder_end_object(b);
}

static gchar *
hp_report_to_json(const HpReport *report)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "files");
	json_builder_begin_array(b);
	for (guint i = 0; i < report->files->len; i++) {
		const HpFileReport *file = g_ptr_array_index(report->files, i);
		g_autofree gchar *name = hp_json_name(file->name);
		json_builder_begin_object(b);
		hp_json_string(b, "file", name);
		json_builder_set_member_name(b, "valid");
		json_builder_add_boolean_value(b, hp_report_file_valid(report, file));
		if (file->error != NULL) {
			g_autofree gchar *why = hp_escape(file->error);
			hp_json_string(b, "error", why);
			json_builder_end_object(b);
			continue;
		}
		json_builder_set_member_name(b, "diagnostics");
		json_builder_begin_array(b);
		for (guint j = 0; j < file->diags->items->len; j++)
			hp_json_diag(b, g_ptr_array_index(file->diags->items, j));
		json_builder_end_array(b);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	hp_json_int(b, "errors", hp_report_count(report, HP_SEVERITY_ERROR));
	hp_json_int(b, "warnings", hp_report_count(report, HP_SEVERITY_WARNING));
	json_builder_end_object(b);
	return hp_json_to_string(b);
}

/**
 * hp_report_uri:
 * @name: a file name as the user gave it (any bytes)
 *
 * The file as a URI reference for SARIF's `artifactLocation.uri`: every
 * byte but the unreserved ones and `/` percent-encoded (`#`, `%`, `?`, a
 * space, `:`, non-ASCII), so that no part of a name reads as a fragment,
 * a query or a scheme; an absolute path becomes a `file://` URI, a relative
 * one stays relative (to the directory the tool ran in).
 *
 * Returns: (transfer full): the URI reference.
 */
gchar *
hp_report_uri(const gchar *name)
{
	g_autofree gchar *escaped = g_uri_escape_string(name, "/", FALSE);
	if (g_path_is_absolute(name))
		return g_strconcat("file://", escaped, NULL);
	return g_steal_pointer(&escaped);
}

static const gchar *
hp_sarif_level(HpSeverity severity)
{
	return hp_severity_to_string(severity); /* SARIF's levels have our names */
}

static void
hp_sarif_text(JsonBuilder *b, const gchar *member, const gchar *text)
{
	json_builder_set_member_name(b, member);
	json_builder_begin_object(b);
	hp_json_string(b, "text", text);
	json_builder_end_object(b);
}

/* [{"physicalLocation": {"artifactLocation": {"uri"}, "region": …}}] */
static void
hp_sarif_locations(JsonBuilder *b, const gchar *name, const HpSpan *span)
{
	g_autofree gchar *uri = hp_report_uri(name);

	json_builder_set_member_name(b, "locations");
	json_builder_begin_array(b);
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "physicalLocation");
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "artifactLocation");
	json_builder_begin_object(b);
	hp_json_string(b, "uri", uri);
	json_builder_end_object(b);
	if (span != NULL) {
		json_builder_set_member_name(b, "region");
		json_builder_begin_object(b);
		hp_json_int(b, "startLine", MAX(span->line, 1));
		hp_json_int(b, "startColumn", MAX(span->column, 1));
		if (span->end_line > 0 && span->end_column > 0) {
			hp_json_int(b, "endLine", span->end_line);
			hp_json_int(b, "endColumn", span->end_column);
		}
		json_builder_end_object(b);
	}
	json_builder_end_object(b); /* physicalLocation */
	json_builder_end_object(b);
	json_builder_end_array(b);
}

static void
hp_sarif_driver(JsonBuilder *b, const HpRule *rules, guint nrules)
{
	json_builder_set_member_name(b, "tool");
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "driver");
	json_builder_begin_object(b);
	hp_json_string(b, "name", "hostdev-preflight");
	hp_json_string(b, "version", HP_VERSION);
	json_builder_set_member_name(b, "rules");
	json_builder_begin_array(b);
	for (guint i = 0; i < nrules; i++) {
		json_builder_begin_object(b);
		hp_json_string(b, "id", rules[i].id);
		hp_sarif_text(b, "shortDescription", rules[i].summary);
		json_builder_set_member_name(b, "defaultConfiguration");
		json_builder_begin_object(b);
		hp_json_string(b, "level", hp_sarif_level(rules[i].severity));
		json_builder_end_object(b);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	json_builder_end_object(b); /* driver */
	json_builder_end_object(b); /* tool */
}

/* One invocation; a file that could not be read is a notification of it,
 * and the run did not succeed. */
static void
hp_sarif_invocations(JsonBuilder *b, const HpReport *report)
{
	json_builder_set_member_name(b, "invocations");
	json_builder_begin_array(b);
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "executionSuccessful");
	json_builder_add_boolean_value(b, hp_report_count_unreadable(report) == 0);
	json_builder_set_member_name(b, "toolExecutionNotifications");
	json_builder_begin_array(b);
	for (guint i = 0; i < report->files->len; i++) {
		const HpFileReport *file = g_ptr_array_index(report->files, i);
		g_autofree gchar *name = NULL;
		g_autofree gchar *why = NULL;
		g_autofree gchar *text = NULL;
		if (file->error == NULL)
			continue;
		name = hp_escape(file->name);
		why = hp_escape(file->error);
		text = g_strdup_printf("cannot read %s: %s", name, why);
		json_builder_begin_object(b);
		hp_json_string(b, "level", "error");
		hp_sarif_text(b, "message", text);
		hp_sarif_locations(b, file->name, NULL);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	json_builder_end_object(b);
	json_builder_end_array(b);
}

static gchar *
hp_report_to_sarif(const HpReport *report)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	guint nrules = 0;
	const HpRule *rules = hp_rules_all(&nrules);

	json_builder_begin_object(b);
	hp_json_string(b, "$schema", "https://json.schemastore.org/sarif-2.1.0.json");
	hp_json_string(b, "version", "2.1.0");
	json_builder_set_member_name(b, "runs");
	json_builder_begin_array(b);
	json_builder_begin_object(b);
	hp_sarif_driver(b, rules, nrules);
	/* our columns count characters (SPEC section 4) */
	hp_json_string(b, "columnKind", "unicodeCodePoints");
	hp_sarif_invocations(b, report);
	json_builder_set_member_name(b, "results");
	json_builder_begin_array(b);
	for (guint i = 0; i < report->files->len; i++) {
		const HpFileReport *file = g_ptr_array_index(report->files, i);
		for (guint j = 0; j < file->diags->items->len; j++) {
			const HpDiag *d = g_ptr_array_index(file->diags->items, j);
			json_builder_begin_object(b);
			hp_json_string(b, "ruleId", d->rule->id);
			hp_json_int(b, "ruleIndex", d->rule - rules);
			hp_json_string(b, "level", hp_sarif_level(d->severity));
			hp_sarif_text(b, "message", d->message);
			hp_sarif_locations(b, file->name, &d->span);
			if (d->has_device) {
				gchar bdf[HP_PCI_ADDRESS_STRLEN];
				json_builder_set_member_name(b, "properties");
				json_builder_begin_object(b);
				hp_json_string(b, "device", hp_pci_address_to_string(&d->device, bdf));
				json_builder_end_object(b);
			}
			json_builder_end_object(b);
		}
	}
	json_builder_end_array(b);
	json_builder_end_object(b); /* run */
	json_builder_end_array(b);
	json_builder_end_object(b);
	return hp_json_to_string(b);
}

/**
 * hp_report_to_string:
 * @report: the findings
 * @format: text (one `FILE:LINE:COLUMN: severity: message [rule]` line per
 *   finding), JSON, or SARIF 2.1.0
 *
 * Returns: (transfer full): the report, ending in a newline unless empty.
 */
gchar *
hp_report_to_string(const HpReport *report, HpOutputFormat format)
{
	switch (format) {
	case HP_OUTPUT_JSON:
		return hp_report_to_json(report);
	case HP_OUTPUT_SARIF:
		return hp_report_to_sarif(report);
	case HP_OUTPUT_TEXT:
	default:
		return hp_report_to_text(report);
	}
}
