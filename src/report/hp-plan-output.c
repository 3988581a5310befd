/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "hp-plan-output.h"

#include <json-glib/json-glib.h>

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

static void
hp_plan_steps_json(JsonBuilder *b, const gchar *name, GPtrArray *steps)
{
	json_builder_set_member_name(b, name);
	json_builder_begin_array(b);
	for (guint i = 0; i < steps->len; i++) {
		const HpPlanStep *s = g_ptr_array_index(steps, i);
		gchar bdf[HP_PCI_ADDRESS_STRLEN];
		json_builder_begin_object(b);
		hp_json_member_string(b, "action", hp_step_action_to_string(s->action));
		if (s->has_device)
			hp_json_member_string(b, "device", hp_pci_address_to_string(&s->device, bdf));
		if (s->path != NULL)
			hp_json_member_string(b, "path", s->path);
		if (s->value != NULL)
			hp_json_member_string(b, "value", s->value);
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

static void
hp_plan_steps_text(GString *out, GPtrArray *steps)
{
	for (guint i = 0; i < steps->len; i++) {
		const HpPlanStep *s = g_ptr_array_index(steps, i);
		gchar bdf[HP_PCI_ADDRESS_STRLEN] = "";
		if (s->has_device)
			hp_pci_address_to_string(&s->device, bdf);
		switch (s->action) {
		case HP_STEP_MODPROBE:
			g_string_append_printf(out, "  %2u. %s: load module %s (modprobe %s)\n", i + 1, bdf, s->module, s->module);
			break;
		case HP_STEP_WRITE:
			g_string_append_printf(out, "  %2u. %s: write '%s' to %s  (%s)\n", i + 1, bdf, s->value, s->path, s->comment);
			break;
		case HP_STEP_VERIFY:
		default:
			if (s->value[0] != '\0')
				g_string_append_printf(out, "  %2u. %s: verify it is bound to %s  (%s)\n", i + 1, bdf, s->value, s->comment);
			else
				g_string_append_printf(out, "  %2u. %s: verify it has no driver  (%s)\n", i + 1, bdf, s->comment);
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

	g_string_append_printf(out, "Plan for domain '%s': %u PCI function%s\n\n", plan->domain != NULL ? plan->domain : "",
			       plan->devices->len, plan->devices->len == 1 ? "" : "s");
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

/* ---- a POSIX shell script ---- */

/* 'x' for sh, with any ' closed, escaped and reopened */
static gchar *
hp_sh_quote(const gchar *s)
{
	GString *out = g_string_new("'");
	for (const gchar *p = s; *p != '\0'; p++) {
		if (*p == '\'')
			g_string_append(out, "'\\''");
		else
			g_string_append_c(out, *p);
	}
	g_string_append_c(out, '\'');
	return g_string_free(out, FALSE);
}

/* A driver value in sh: a variable when it is to be confirmed after modprobe */
static gchar *
hp_sh_driver(const HpPlanStep *s, const gchar *value)
{
	if (s->module != NULL)
		return g_strdup_printf("\"$drv_%s\"", s->module);
	return hp_sh_quote(value);
}

/* @guesses: module -> the driver name it is expected to register */
static void
hp_plan_steps_sh(GString *out, GPtrArray *steps, GHashTable *guesses)
{
	for (guint i = 0; i < steps->len; i++) {
		const HpPlanStep *s = g_ptr_array_index(steps, i);
		gchar bdf[HP_PCI_ADDRESS_STRLEN] = "";
		g_autofree gchar *path = s->path != NULL ? hp_sh_quote(s->path) : NULL;
		if (s->has_device)
			hp_pci_address_to_string(&s->device, bdf);
		g_string_append_printf(out, "\t# %s: %s\n", bdf, s->comment);
		switch (s->action) {
		case HP_STEP_MODPROBE: {
			g_autofree gchar *mod = hp_sh_quote(s->module);
			g_autofree gchar *guess = hp_sh_quote(g_hash_table_lookup(guesses, s->module));
			g_string_append_printf(out, "\tmodprobe %s\n\tdrv_%s=$(hp_module_driver %s %s)\n", mod, s->module, mod, guess);
			break;
		}
		case HP_STEP_WRITE: {
			g_autofree gchar *value = NULL;
			g_autofree gchar *p = NULL;
			/* paths with the driver in them follow the driver's variable */
			if (s->module != NULL && g_str_has_suffix(s->path, "/unbind")) {
				value = hp_sh_quote(s->value);
				p = g_strdup_printf("\"${HOSTDEV_ROOT:-}/sys/bus/pci/drivers/$drv_%s/unbind\"", s->module);
			} else {
				value = s->module != NULL ? hp_sh_driver(s, s->value) : hp_sh_quote(s->value);
				p = g_strdup_printf("\"${HOSTDEV_ROOT:-}\"%s", path);
			}
			g_string_append_printf(out, "\thp_write %s %s\n", p, value);
			break;
		}
		case HP_STEP_VERIFY:
		default: {
			g_autofree gchar *value = hp_sh_driver(s, s->value);
			g_string_append_printf(out, "\thp_verify %s %s\n", bdf, value);
			break;
		}
		}
	}
	if (steps->len == 0)
		g_string_append(out, "\ttrue # nothing to do\n");
}

static gchar *
hp_plan_to_sh(const HpPlan *plan)
{
	GString *out = g_string_new(NULL);
	g_autoptr(GHashTable) vars = g_hash_table_new(g_str_hash, g_str_equal);
	g_autoptr(GHashTable) guesses = g_hash_table_new(g_str_hash, g_str_equal);

	g_string_append_printf(out,
			       "#!/bin/sh\n"
			       "# Host preparation for libvirt domain '%s', written by hostdev-preflight plan.\n"
			       "#   sh THIS prepare   before the domain starts: VFIO drivers take the devices\n"
			       "#   sh THIS release   after it stops: the devices go back to their drivers\n"
			       "# HOSTDEV_ROOT=DIR tries it on a copy of the host's tree: every path is under\n"
			       "# DIR, and the binding checks are skipped (no kernel acts on a copy).\n"
			       "set -eu\n\n"
			       "R=\"${HOSTDEV_ROOT:-}\"\n\n",
			       plan->domain != NULL ? plan->domain : "");
	g_string_append(out,
			"# hp_write FILE VALUE: a sysfs write, said on stderr first; with a\n"
			"# newline as echo writes it (an empty write would not reach the kernel)\n"
			"hp_write() {\n"
			"\techo \"write '$2' to $1\" >&2\n"
			"\tprintf '%s\\n' \"$2\" > \"$1\"\n"
			"}\n\n"
			"# hp_verify BDF DRIVER: the device is bound to DRIVER ('' for none)\n"
			"hp_verify() {\n"
			"\tif [ -n \"$R\" ]; then\n"
			"\t\techo \"(not checked on a copy: $1 bound to '$2')\" >&2\n"
			"\t\treturn 0\n"
			"\tfi\n"
			"\tnow=''\n"
			"\tif [ -e \"/sys/bus/pci/devices/$1/driver\" ]; then\n"
			"\t\tnow=$(basename \"$(readlink \"/sys/bus/pci/devices/$1/driver\")\")\n"
			"\tfi\n"
			"\tif [ \"$now\" != \"$2\" ]; then\n"
			"\t\techo \"hostdev-preflight: $1 is bound to '$now', not '$2'\" >&2\n"
			"\t\texit 1\n"
			"\tfi\n"
			"}\n\n"
			"# hp_module_driver MODULE GUESS: the PCI driver a loaded module registered\n"
			"hp_module_driver() {\n"
			"\tfor d in \"$R/sys/module/$1/drivers/pci:\"*; do\n"
			"\t\tif [ -e \"$d\" ]; then\n"
			"\t\t\techo \"${d##*/pci:}\"\n"
			"\t\t\treturn 0\n"
			"\t\tfi\n"
			"\tdone\n"
			"\techo \"$2\"\n"
			"}\n\n");
	for (guint i = 0; i < plan->devices->len; i++) {
		const HpPlanDevice *d = g_ptr_array_index(plan->devices, i);
		if (!d->driver_confirmed && d->target_module != NULL)
			g_hash_table_insert(guesses, d->target_module, d->target_driver);
	}
	g_string_append(out, "prepare() {\n");
	hp_plan_steps_sh(out, plan->prepare, guesses);
	g_string_append(out, "}\n\nrelease() {\n");
	/* release needs the driver names of the modules prepare loaded */
	for (guint i = 0; i < plan->release->len; i++) {
		const HpPlanStep *s = g_ptr_array_index(plan->release, i);
		if (s->module != NULL && g_hash_table_add(vars, s->module)) {
			g_autofree gchar *mod = hp_sh_quote(s->module);
			g_autofree gchar *guess = hp_sh_quote(g_hash_table_lookup(guesses, s->module));
			g_string_append_printf(out, "\tdrv_%s=$(hp_module_driver %s %s)\n", s->module, mod, guess);
		}
	}
	hp_plan_steps_sh(out, plan->release, guesses);
	g_string_append(out, "}\n\n"
			     "case \"${1:-}\" in\n"
			     "prepare) prepare ;;\n"
			     "release) release ;;\n"
			     "*)\n"
			     "\techo \"usage: $0 prepare|release\" >&2\n"
			     "\texit 2\n"
			     "\t;;\n"
			     "esac\n");
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
