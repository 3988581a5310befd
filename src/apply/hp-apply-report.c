/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What apply and release did, step by step, as text and as JSON. */
#include "hp-apply.h"

#include <json-glib/json-glib.h>

#include "hp-diag.h"

HpApplyReport *
hp_apply_report_new(const gchar *action, const gchar *domain)
{
	HpApplyReport *report = g_new0(HpApplyReport, 1);
	report->action = g_strdup(action);
	report->domain = g_strdup(domain);
	report->log = hp_journal_new(domain);
	report->messages = g_ptr_array_new_with_free_func(g_free);
	report->left = g_ptr_array_new_with_free_func(g_free);
	return report;
}

void
hp_apply_report_free(HpApplyReport *report)
{
	if (report == NULL)
		return;
	g_free(report->action);
	g_free(report->domain);
	hp_journal_free(report->log);
	g_ptr_array_unref(report->messages);
	g_ptr_array_unref(report->left);
	g_free(report);
}

const gchar *
hp_apply_outcome_to_string(HpApplyOutcome outcome)
{
	static const gchar *names[] = {"applied",     "nothing-to-do", "already-prepared",
				       "refused",     "rolled-back",   "partial",
				       "released",    "nothing-to-release", "recovered"};
	return names[outcome];
}

/* @other's steps and messages come first in @report (what ran before it: a recovery). */
void
hp_apply_report_merge(HpApplyReport *report, HpApplyReport *other)
{
	for (guint i = other->log->entries->len; i > 0; i--) {
		g_ptr_array_insert(report->log->entries, 0, g_ptr_array_steal_index(other->log->entries, i - 1));
	}
	for (guint i = other->messages->len; i > 0; i--)
		g_ptr_array_insert(report->messages, 0, g_ptr_array_steal_index(other->messages, i - 1));
}

static const gchar *
hp_or_none(const gchar *s)
{
	return s != NULL && s[0] != '\0' ? s : "none";
}

/**
 * hp_apply_report_to_text:
 *
 * Returns: (transfer full): one line per step run (its result, the device,
 * what it did, the state before), then the messages, then the devices left
 * changed, each line escaped.
 */
gchar *
hp_apply_report_to_text(const HpApplyReport *report)
{
	GString *out = g_string_new(NULL);
	g_autofree gchar *domain = hp_escape(report->domain);
	gchar bdf[HP_PCI_ADDRESS_STRLEN];

	g_string_append_printf(out, "%s %s: %s\n", report->action, domain, hp_apply_outcome_to_string(report->outcome));
	for (guint i = 0; i < report->log->entries->len; i++) {
		const HpJournalEntry *e = g_ptr_array_index(report->log->entries, i);
		g_autofree gchar *what = hp_plan_step_describe(e->step);
		g_autofree gchar *msg = e->message != NULL ? hp_escape(e->message) : NULL;
		g_string_append_printf(out, "  %-7s %-7s %s %s", hp_entry_result_to_string(e->result),
				       e->undo ? "undo" : "prepare",
				       e->step->has_device ? hp_pci_address_to_string(&e->step->device, bdf) : "-", what);
		if (e->step->kind != HP_STEP_MODPROBE)
			g_string_append_printf(out, " [before: driver %s, driver_override %s]", hp_or_none(e->driver_before),
					       hp_or_none(e->override_before));
		if (msg != NULL)
			g_string_append_printf(out, ": %s", msg);
		g_string_append_c(out, '\n');
	}
	for (guint i = 0; i < report->messages->len; i++) {
		g_autofree gchar *msg = hp_escape(g_ptr_array_index(report->messages, i));
		g_string_append_printf(out, "%s\n", msg);
	}
	for (guint i = 0; i < report->left->len; i++) {
		g_autofree gchar *msg = hp_escape(g_ptr_array_index(report->left, i));
		g_string_append_printf(out, "not as found: %s\n", msg);
	}
	return g_string_free(out, FALSE);
}

/**
 * hp_apply_report_to_json:
 *
 * Returns: (transfer full): {"action", "domain", "outcome", "status",
 * "steps": [{"phase", "kind", "device", "value", "previous", "path",
 * "before": {"driver", "driver_override"}, "result", "message"}],
 * "messages": [...], "left": [...]}.
 */
gchar *
hp_apply_report_to_json(const HpApplyReport *report)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonGenerator) gen = json_generator_new();
	g_autoptr(JsonNode) root = NULL;
	gchar *text, *out;

	json_builder_begin_object(b);
	hp_json_add_nullable(b, "action", report->action);
	hp_json_add_nullable(b, "domain", report->domain);
	hp_json_add_nullable(b, "outcome", hp_apply_outcome_to_string(report->outcome));
	json_builder_set_member_name(b, "status");
	json_builder_add_int_value(b, report->status);
	json_builder_set_member_name(b, "steps");
	json_builder_begin_array(b);
	for (guint i = 0; i < report->log->entries->len; i++)
		hp_journal_entry_to_json(g_ptr_array_index(report->log->entries, i), TRUE, b);
	json_builder_end_array(b);
	json_builder_set_member_name(b, "messages");
	json_builder_begin_array(b);
	for (guint i = 0; i < report->messages->len; i++)
		json_builder_add_string_value(b, g_ptr_array_index(report->messages, i));
	json_builder_end_array(b);
	json_builder_set_member_name(b, "left");
	json_builder_begin_array(b);
	for (guint i = 0; i < report->left->len; i++)
		json_builder_add_string_value(b, g_ptr_array_index(report->left, i));
	json_builder_end_array(b);
	json_builder_end_object(b);
	root = json_builder_get_root(b);
	json_generator_set_root(gen, root);
	json_generator_set_pretty(gen, TRUE);
	text = json_generator_to_data(gen, NULL);
	out = g_strconcat(text, "\n", NULL);
	g_free(text);
	return out;
}
