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

gboolean
hp_report_file_valid(const HpReport *report, const HpFileReport *file)
{
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

static gchar *
hp_report_to_text(const HpReport *report)
{
	GString *out = g_string_new(NULL);
	for (guint i = 0; i < report->files->len; i++) {
		const HpFileReport *file = g_ptr_array_index(report->files, i);
		for (guint j = 0; j < file->diags->items->len; j++) {
			const HpDiag *d = g_ptr_array_index(file->diags->items, j);
			g_string_append_printf(out, "%s:%u:%u: %s: %s [%s]\n", file->name, MAX(d->span.line, 1),
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
	gchar *text;
	gchar *with_nl;
	json_generator_set_pretty(gen, TRUE);
	json_generator_set_indent(gen, 2);
	json_generator_set_root(gen, root);
	text = json_generator_to_data(gen, NULL);
	with_nl = g_strconcat(text, "\n", NULL);
	g_free(text);
	return with_nl;
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
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "file");
		json_builder_add_string_value(b, file->name);
		json_builder_set_member_name(b, "valid");
		json_builder_add_boolean_value(b, hp_report_file_valid(report, file));
		json_builder_set_member_name(b, "diagnostics");
		json_builder_begin_array(b);
		for (guint j = 0; j < file->diags->items->len; j++) {
			const HpDiag *d = g_ptr_array_index(file->diags->items, j);
			json_builder_begin_object(b);
			json_builder_set_member_name(b, "rule");
			json_builder_add_string_value(b, d->rule->id);
			json_builder_set_member_name(b, "severity");
			json_builder_add_string_value(b, hp_severity_to_string(d->severity));
			json_builder_set_member_name(b, "line");
			json_builder_add_int_value(b, MAX(d->span.line, 1));
			json_builder_set_member_name(b, "column");
			json_builder_add_int_value(b, MAX(d->span.column, 1));
			if (d->has_device) {
				gchar bdf[HP_PCI_ADDRESS_STRLEN];
				json_builder_set_member_name(b, "device");
				json_builder_add_string_value(b, hp_pci_address_to_string(&d->device, bdf));
			}
			json_builder_set_member_name(b, "message");
			json_builder_add_string_value(b, d->message);
			json_builder_end_object(b);
		}
		json_builder_end_array(b);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	json_builder_set_member_name(b, "errors");
	json_builder_add_int_value(b, hp_report_count(report, HP_SEVERITY_ERROR));
	json_builder_set_member_name(b, "warnings");
	json_builder_add_int_value(b, hp_report_count(report, HP_SEVERITY_WARNING));
	json_builder_end_object(b);
	return hp_json_to_string(b);
}

static const gchar *
hp_sarif_level(HpSeverity severity)
{
	return hp_severity_to_string(severity); /* SARIF's levels have our names */
}

static gchar *
hp_report_to_sarif(const HpReport *report)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	guint nrules = 0;
	const HpRule *rules = hp_rules_all(&nrules);

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "$schema");
	json_builder_add_string_value(b, "https://json.schemastore.org/sarif-2.1.0.json");
	json_builder_set_member_name(b, "version");
	json_builder_add_string_value(b, "2.1.0");
	json_builder_set_member_name(b, "runs");
	json_builder_begin_array(b);
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "tool");
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "driver");
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "name");
	json_builder_add_string_value(b, "hostdev-preflight");
	json_builder_set_member_name(b, "version");
	json_builder_add_string_value(b, HP_VERSION);
	json_builder_set_member_name(b, "rules");
	json_builder_begin_array(b);
	for (guint i = 0; i < nrules; i++) {
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "id");
		json_builder_add_string_value(b, rules[i].id);
		json_builder_set_member_name(b, "shortDescription");
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "text");
		json_builder_add_string_value(b, rules[i].summary);
		json_builder_end_object(b);
		json_builder_set_member_name(b, "defaultConfiguration");
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "level");
		json_builder_add_string_value(b, hp_sarif_level(rules[i].severity));
		json_builder_end_object(b);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	json_builder_end_object(b); /* driver */
	json_builder_end_object(b); /* tool */
	json_builder_set_member_name(b, "results");
	json_builder_begin_array(b);
	for (guint i = 0; i < report->files->len; i++) {
		const HpFileReport *file = g_ptr_array_index(report->files, i);
		for (guint j = 0; j < file->diags->items->len; j++) {
			const HpDiag *d = g_ptr_array_index(file->diags->items, j);
			json_builder_begin_object(b);
			json_builder_set_member_name(b, "ruleId");
			json_builder_add_string_value(b, d->rule->id);
			json_builder_set_member_name(b, "ruleIndex");
			json_builder_add_int_value(b, d->rule - rules);
			json_builder_set_member_name(b, "level");
			json_builder_add_string_value(b, hp_sarif_level(d->severity));
			json_builder_set_member_name(b, "message");
			json_builder_begin_object(b);
			json_builder_set_member_name(b, "text");
			json_builder_add_string_value(b, d->message);
			json_builder_end_object(b);
			json_builder_set_member_name(b, "locations");
			json_builder_begin_array(b);
			json_builder_begin_object(b);
			json_builder_set_member_name(b, "physicalLocation");
			json_builder_begin_object(b);
			json_builder_set_member_name(b, "artifactLocation");
			json_builder_begin_object(b);
			json_builder_set_member_name(b, "uri");
			json_builder_add_string_value(b, file->name);
			json_builder_end_object(b);
			json_builder_set_member_name(b, "region");
			json_builder_begin_object(b);
			json_builder_set_member_name(b, "startLine");
			json_builder_add_int_value(b, MAX(d->span.line, 1));
			json_builder_set_member_name(b, "startColumn");
			json_builder_add_int_value(b, MAX(d->span.column, 1));
			json_builder_end_object(b);
			json_builder_end_object(b); /* physicalLocation */
			json_builder_end_object(b);
			json_builder_end_array(b);
			if (d->has_device) {
				gchar bdf[HP_PCI_ADDRESS_STRLEN];
				json_builder_set_member_name(b, "properties");
				json_builder_begin_object(b);
				json_builder_set_member_name(b, "device");
				json_builder_add_string_value(b, hp_pci_address_to_string(&d->device, bdf));
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
