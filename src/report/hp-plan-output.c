/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "hp-plan-output.h"

#include <json-glib/json-glib.h>

#include "hp-plan-sh.h"

gboolean
hp_plan_format_parse(const gchar *str, HpPlanFormat *ret_format)
{
	if (g_strcmp0(str, "text") == 0)
		*ret_format = HP_PLAN_FORMAT_TEXT;
	else if (g_strcmp0(str, "json") == 0)
		*ret_format = HP_PLAN_FORMAT_JSON;
	else if (g_strcmp0(str, "sh") == 0)
		*ret_format = HP_PLAN_FORMAT_SH;
	else
		return FALSE;
	return TRUE;
}

/* ---- JSON (SPEC section 7) ---- */

static void
hp_json_member_string(JsonBuilder *b, const gchar *name, const gchar *value)
{
	json_builder_set_member_name(b, name);
	if (value != NULL)
		json_builder_add_string_value(b, value);
	else
		json_builder_add_null_value(b);
}

/* Whether a kind replaces a state, and so has a `previous`. */
static gboolean
hp_step_kind_replaces(HpStepKind kind)
{
	return kind != HP_STEP_KIND_MODPROBE && kind != HP_STEP_KIND_VERIFY;
}

static void
hp_plan_steps_json(JsonBuilder *b, const gchar *name, GPtrArray *steps)
{
	json_builder_set_member_name(b, name);
	json_builder_begin_array(b);
	for (guint i = 0; i < steps->len; i++) {
		const HpPlanStep *s = g_ptr_array_index(steps, i);
		gchar bdf[HP_PCI_ADDRESS_STRLEN];
		json_builder_begin_object(b);
		hp_json_member_string(b, "action", hp_step_action_to_string(hp_step_kind_action(s->kind)));
		hp_json_member_string(b, "kind", hp_step_kind_to_string(s->kind));
		if (s->has_device)
			hp_json_member_string(b, "device", hp_pci_address_to_string(&s->device, bdf));
		if (s->path != NULL)
			hp_json_member_string(b, "path", s->path);
		if (s->value != NULL)
			hp_json_member_string(b, "value", s->value);
		if (hp_step_kind_replaces(s->kind))
			hp_json_member_string(b, "previous", s->previous);
		if (s->module != NULL)
			hp_json_member_string(b, "module", s->module);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
}

static gchar *
hp_plan_to_json(const HpPlan *plan)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonGenerator) gen = json_generator_new();
	g_autoptr(JsonNode) root = NULL;
	g_autofree gchar *text = NULL;

	json_builder_begin_object(b);
	hp_json_member_string(b, "domain", plan->domain);
	json_builder_set_member_name(b, "devices");
	json_builder_begin_array(b);
	for (guint i = 0; i < plan->devices->len; i++) {
		const HpPlanDevice *d = g_ptr_array_index(plan->devices, i);
		gchar bdf[HP_PCI_ADDRESS_STRLEN];
		json_builder_begin_object(b);
		hp_json_member_string(b, "address", hp_pci_address_to_string(&d->addr, bdf));
		json_builder_set_member_name(b, "assigned");
		json_builder_add_boolean_value(b, d->assigned);
		json_builder_set_member_name(b, "managed");
		json_builder_add_boolean_value(b, d->managed);
		json_builder_set_member_name(b, "iommu_group");
		if (d->iommu_group >= 0)
			json_builder_add_int_value(b, d->iommu_group);
		else
			json_builder_add_null_value(b);
		hp_json_member_string(b, "current_driver", d->current_driver);
		hp_json_member_string(b, "target_driver", d->target_driver);
		hp_json_member_string(b, "target_module", d->target_module);
		json_builder_set_member_name(b, "driver_confirmed");
		json_builder_add_boolean_value(b, d->driver_confirmed);
		hp_json_member_string(b, "selection", hp_selection_to_string(d->selection));
		hp_json_member_string(b, "reason", d->why);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	hp_plan_steps_json(b, "prepare", plan->prepare);
	hp_plan_steps_json(b, "release", plan->release);
	json_builder_end_object(b);
	root = json_builder_get_root(b);
	json_generator_set_root(gen, root);
	json_generator_set_pretty(gen, TRUE);
	json_generator_set_indent(gen, 2);
	text = json_generator_to_data(gen, NULL);
	return g_strconcat(text, "\n", NULL);
}

/* ---- text, for people ---- */

/* "it had none" / "it had 'X'": what a release writes back */
static gchar *
hp_step_text_previous(const HpPlanStep *s)
{
	if (s->kind != HP_STEP_KIND_SET_OVERRIDE)
		return g_strdup("");
	if (s->previous == NULL || s->previous[0] == '\0')
		return g_strdup("; it had none");
	return g_strdup_printf("; it had '%s'", s->previous);
}

static void
hp_plan_steps_text(GString *out, GPtrArray *steps)
{
	for (guint i = 0; i < steps->len; i++) {
		const HpPlanStep *s = g_ptr_array_index(steps, i);
		gchar bdf[HP_PCI_ADDRESS_STRLEN] = "";
		const gchar *kind = hp_step_kind_to_string(s->kind);
		g_autofree gchar *prev = hp_step_text_previous(s);
		if (s->has_device)
			hp_pci_address_to_string(&s->device, bdf);
		switch (hp_step_kind_action(s->kind)) {
		case HP_STEP_MODPROBE:
			g_string_append_printf(out, "  %2u. %s %-16s load module %s (modprobe %s)\n", i + 1, bdf, kind,
					       s->module, s->module);
			break;
		case HP_STEP_WRITE:
			g_string_append_printf(out, "  %2u. %s %-16s write '%s' to %s  (%s%s)\n", i + 1, bdf, kind, s->value,
					       s->path, s->comment, prev);
			break;
		case HP_STEP_VERIFY:
		default:
			g_string_append_printf(out, "  %2u. %s %-16s %s\n", i + 1, bdf, kind, s->comment);
			break;
		}
	}
	if (steps->len == 0)
		g_string_append(out, "  nothing to do\n");
}

static gchar *
hp_plan_to_text(const HpPlan *plan)
{
	GString *out = g_string_new(NULL);
	gboolean guesses = FALSE;

	g_autofree gchar *name = hp_echo(plan->domain != NULL ? plan->domain : "");

	g_string_append_printf(out, "Plan for domain '%s': %u PCI function%s\n\n", name, plan->devices->len,
			       plan->devices->len == 1 ? "" : "s");
	for (guint i = 0; i < plan->devices->len; i++) {
		const HpPlanDevice *d = g_ptr_array_index(plan->devices, i);
		gchar bdf[HP_PCI_ADDRESS_STRLEN];
		g_autofree gchar *group = d->iommu_group >= 0 ? g_strdup_printf("group %d", d->iommu_group) : g_strdup("no group");
		guesses |= !d->driver_confirmed;
		g_string_append_printf(out, "  %s  %-9s %-10s %-11s %s -> %s%s\n", hp_pci_address_to_string(&d->addr, bdf),
				       group, d->assigned ? "for guest" : "host only", d->managed ? "managed" : "unmanaged",
				       d->current_driver != NULL ? d->current_driver : "(no driver)",
				       d->target_driver != NULL ? d->target_driver : "(no driver)", d->driver_confirmed ? "" : " *");
		g_string_append_printf(out, "      %s: %s\n", hp_selection_to_string(d->selection), d->why);
	}
	if (guesses)
		g_string_append(out, "\n  * its module is not loaded yet: the driver name is confirmed once it is\n");
	g_string_append(out, "\nPrepare, before the domain starts:\n");
	hp_plan_steps_text(out, plan->prepare);
	g_string_append(out, "\nRelease, after the domain stops:\n");
	hp_plan_steps_text(out, plan->release);
	return g_string_free(out, FALSE);
}

/**
 * hp_plan_to_string:
 * @format: text (a table of devices, then numbered steps), JSON (SPEC
 *   section 7), or a POSIX sh script
 *
 * Returns: (transfer full): the plan.
 */
gchar *
hp_plan_to_string(const HpPlan *plan, HpPlanFormat format)
{
	switch (format) {
	case HP_PLAN_FORMAT_JSON:
		return hp_plan_to_json(plan);
	case HP_PLAN_FORMAT_SH:
		return hp_plan_to_sh(plan);
	case HP_PLAN_FORMAT_TEXT:
	default:
		return hp_plan_to_text(plan);
	}
}
