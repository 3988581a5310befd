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
		g_autofree gchar *path = hp_plan_step_path(s);
		gchar bdf[HP_PCI_ADDRESS_STRLEN];
		json_builder_begin_object(b);
		hp_json_member_string(b, "action", hp_step_action_to_string(hp_step_kind_action(s->kind)));
		hp_json_member_string(b, "kind", hp_step_kind_to_string(s->kind));
		if (s->has_device)
			hp_json_member_string(b, "device", hp_pci_address_to_string(&s->device, bdf));
		if (path != NULL)
			hp_json_member_string(b, "path", path);
		if (s->kind != HP_STEP_MODPROBE && s->value != NULL)
			hp_json_member_string(b, "value", s->value);
		if (s->previous != NULL)
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
		hp_json_member_string(b, "current_override", d->current_override);
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
		g_autofree gchar *what = hp_plan_step_describe(s);
		g_autofree gchar *path = hp_plan_step_path(s);
		gchar bdf[HP_PCI_ADDRESS_STRLEN] = "";
		if (s->has_device)
			hp_pci_address_to_string(&s->device, bdf);
		if (hp_step_kind_action(s->kind) == HP_STEP_ACTION_WRITE)
			g_string_append_printf(out, "  %2u. %s: %s\n      write '%s' to %s\n", i + 1, bdf, what,
					       s->value[0] != '\0' ? s->value : "\\n", path);
		else
			g_string_append_printf(out, "  %2u. %s: %s\n", i + 1, bdf, what);
	}
	if (steps->len == 0)
		g_string_append(out, "  nothing to do\n");
}

static gchar *
hp_plan_to_text(const HpPlan *plan)
{
	GString *out = g_string_new(NULL);
	gboolean guesses = FALSE;

	g_autofree gchar *domain = hp_echo(plan->domain != NULL ? plan->domain : "");
	g_string_append_printf(out, "Plan for domain '%s': %u PCI function%s\n\n", domain, plan->devices->len,
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

/* ---- a POSIX shell script ---- */

/* 'x' for sh, with any ' closed, escaped and reopened: nothing inside is
 * ever expanded or run. */
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

/* The functions every plan script has. Only they touch the host; the steps
 * call them with quoted values and with variables the tool names. */
static const gchar hp_sh_functions[] =
	"R=\"${HOSTDEV_ROOT:-}\"\n"
	"hp_phase=''\n"
	"hp_touched=''\n\n"
	"# hp_target FILE: where a write to FILE goes: FILE itself on the live host;\n"
	"# on a copy, $R/FILE, which must be a regular file (never a link) in a\n"
	"# directory that, links resolved, is still inside the copy\n"
	"hp_target() {\n"
	"\tif [ -z \"$R\" ]; then\n"
	"\t\tprintf '%s\\n' \"$1\"\n"
	"\t\treturn 0\n"
	"\tfi\n"
	"\tf=\"$R$1\"\n"
	"\td=$(cd -P -- \"$(dirname -- \"$f\")\" 2>/dev/null && pwd -P) || {\n"
	"\t\techo \"hostdev-preflight: $f: no such directory in the copy; nothing written\" >&2\n"
	"\t\treturn 1\n"
	"\t}\n"
	"\troot=$(cd -P -- \"$R\" && pwd -P)\n"
	"\tcase \"$d/\" in\n"
	"\t\"$root\"/*) ;;\n"
	"\t*)\n"
	"\t\techo \"hostdev-preflight: $f leads out of $R; nothing written\" >&2\n"
	"\t\treturn 1\n"
	"\t\t;;\n"
	"\tesac\n"
	"\tif [ -L \"$f\" ] || [ ! -f \"$f\" ]; then\n"
	"\t\techo \"hostdev-preflight: $f is a link or not a regular file; on a copy only regular files are written\" >&2\n"
	"\t\treturn 1\n"
	"\tfi\n"
	"\tprintf '%s\\n' \"$d/${f##*/}\"\n"
	"}\n\n"
	"# hp_write FILE VALUE: a sysfs write, said on stderr first; with a newline\n"
	"# as echo writes it (an empty write would not reach the kernel)\n"
	"hp_write() {\n"
	"\tt=$(hp_target \"$1\") || return 1\n"
	"\techo \"write '$2' to $1\" >&2\n"
	"\tprintf '%s\\n' \"$2\" > \"$t\"\n"
	"}\n\n"
	"# hp_driver BDF: the driver the device is bound to now ('' none)\n"
	"hp_driver() {\n"
	"\tif [ -e \"$R/sys/bus/pci/devices/$1/driver\" ]; then\n"
	"\t\tbasename \"$(readlink \"$R/sys/bus/pci/devices/$1/driver\")\"\n"
	"\tfi\n"
	"}\n\n"
	"# hp_override BDF: its driver_override now ('' none)\n"
	"hp_override() {\n"
	"\tv=$(cat \"$R/sys/bus/pci/devices/$1/driver_override\" 2>/dev/null || true)\n"
	"\tif [ \"$v\" = '(null)' ]; then v=''; fi\n"
	"\tprintf '%s\\n' \"$v\"\n"
	"}\n\n"
	"# hp_verify BDF DRIVER: the device is bound to DRIVER ('' none); the kernel\n"
	"# says yes to drivers_probe even when no driver took the device, so look,\n"
	"# and give it a few seconds\n"
	"hp_verify() {\n"
	"\tif [ -n \"$R\" ]; then\n"
	"\t\techo \"(not checked on a copy: $1 bound to '$2')\" >&2\n"
	"\t\treturn 0\n"
	"\tfi\n"
	"\tn=0\n"
	"\twhile :; do\n"
	"\t\tnow=$(hp_driver \"$1\")\n"
	"\t\tif [ \"$now\" = \"$2\" ]; then\n"
	"\t\t\treturn 0\n"
	"\t\tfi\n"
	"\t\tn=$((n + 1))\n"
	"\t\tif [ \"$n\" -ge 5 ]; then\n"
	"\t\t\techo \"hostdev-preflight: $1 is bound to '${now:-no driver}', not '${2:-no driver}'\" >&2\n"
	"\t\t\treturn 1\n"
	"\t\tfi\n"
	"\t\tsleep 1\n"
	"\tdone\n"
	"}\n\n"
	"# hp_unbind BDF: the device leaves whatever driver it is on\n"
	"hp_unbind() {\n"
	"\tif [ ! -e \"$R/sys/bus/pci/devices/$1/driver\" ]; then\n"
	"\t\techo \"($1 has no driver to leave)\" >&2\n"
	"\t\treturn 0\n"
	"\tfi\n"
	"\thp_write \"/sys/bus/pci/devices/$1/driver/unbind\" \"$1\"\n"
	"}\n\n"
	"# hp_modprobe MODULE BDF: loads the module BDF's driver comes from; on a\n"
	"# copy it only says so\n"
	"hp_modprobe() {\n"
	"\tif [ -n \"$R\" ]; then\n"
	"\t\techo \"(on a copy: would load module $1)\" >&2\n"
	"\t\treturn 0\n"
	"\tfi\n"
	"\tif ! modprobe -- \"$1\"; then\n"
	"\t\techo \"hostdev-preflight: $2: cannot load module $1 for its VFIO driver (not installed, or blacklisted: see modprobe.d); nothing was changed for it\" >&2\n"
	"\t\treturn 1\n"
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
	"}\n\n"
	"# hp_save N BDF: what device N had before prepare touched it\n"
	"hp_save() {\n"
	"\teval \"hp_bdf_$1=\\$2\"\n"
	"\teval \"hp_drv_$1=\\$(hp_driver \\\"\\$2\\\")\"\n"
	"\teval \"hp_ovr_$1=\\$(hp_override \\\"\\$2\\\")\"\n"
	"\thp_touched=\"$1 $hp_touched\"\n"
	"}\n\n"
	"# hp_restore N: device N back to its driver and driver_override\n"
	"hp_restore() {\n"
	"\tbdf='' drv='' ovr=''\n"
	"\teval \"bdf=\\$hp_bdf_$1 drv=\\$hp_drv_$1 ovr=\\$hp_ovr_$1\"\n"
	"\techo \"hostdev-preflight: giving $bdf back to '${drv:-no driver}' (driver_override '${ovr:-none}')\" >&2\n"
	"\thp_write \"/sys/bus/pci/devices/$bdf/driver_override\" \"$ovr\"\n"
	"\tnow=$(hp_driver \"$bdf\")\n"
	"\tif [ \"$now\" != \"$drv\" ]; then\n"
	"\t\tif [ -n \"$now\" ]; then\n"
	"\t\t\thp_unbind \"$bdf\"\n"
	"\t\tfi\n"
	"\t\tif [ -n \"$drv\" ]; then\n"
	"\t\t\thp_write \"/sys/bus/pci/drivers/$drv/bind\" \"$bdf\" ||\n"
	"\t\t\t\thp_write /sys/bus/pci/drivers_probe \"$bdf\"\n"
	"\t\tfi\n"
	"\tfi\n"
	"\thp_verify \"$bdf\" \"$drv\"\n"
	"}\n\n"
	"# A prepare that fails gives back every device it touched, last first.\n"
	"hp_on_exit() {\n"
	"\trc=$?\n"
	"\tif [ \"$rc\" -ne 0 ] && [ \"$hp_phase\" = prepare ] && [ -n \"$hp_touched\" ]; then\n"
	"\t\tset +e\n"
	"\t\techo \"hostdev-preflight: prepare failed; giving back every device it touched\" >&2\n"
	"\t\tleft=''\n"
	"\t\tfor n in $hp_touched; do\n"
	"\t\t\thp_restore \"$n\" || left=\"$left $n\"\n"
	"\t\tdone\n"
	"\t\tif [ -n \"$left\" ]; then\n"
	"\t\t\techo \"hostdev-preflight: some devices could not be given back (see above); fix them by hand\" >&2\n"
	"\t\t\trc=3\n"
	"\t\tfi\n"
	"\tfi\n"
	"\texit \"$rc\"\n"
	"}\n"
	"trap hp_on_exit EXIT\n\n";

/* The sh name of a module's driver: a variable the tool names, filled once
 * the module is loaded. @vars: module -> its number. */
static gchar *
hp_sh_driver_value(const HpPlanStep *s, const gchar *value, GHashTable *vars)
{
	if (s->module != NULL && g_hash_table_contains(vars, s->module))
		return g_strdup_printf("\"$hp_mdrv_%u\"", GPOINTER_TO_UINT(g_hash_table_lookup(vars, s->module)));
	return hp_sh_quote(value);
}

static void
hp_plan_steps_sh(GString *out, const HpPlan *plan, GPtrArray *steps, GHashTable *vars, GHashTable *guesses,
		 gboolean prepare)
{
	g_autoptr(GHashTable) saved = g_hash_table_new(g_direct_hash, g_direct_equal);

	for (guint i = 0; i < steps->len; i++) {
		const HpPlanStep *s = g_ptr_array_index(steps, i);
		g_autofree gchar *what = hp_plan_step_describe(s);
		g_autofree gchar *comment = hp_echo(what);
		g_autofree gchar *path = hp_plan_step_path(s);
		g_autofree gchar *qpath = path != NULL ? hp_sh_quote(path) : NULL;
		gchar bdf[HP_PCI_ADDRESS_STRLEN] = "";
		g_autofree gchar *qbdf = NULL;

		if (s->has_device)
			hp_pci_address_to_string(&s->device, bdf);
		qbdf = hp_sh_quote(bdf);
		g_string_append_printf(out, "\t# %s: %s\n", bdf, comment);
		/* before prepare first writes to a device: what it had */
		if (prepare && s->has_device && s->kind != HP_STEP_MODPROBE && s->kind != HP_STEP_VERIFY) {
			for (guint d = 0; d < plan->devices->len; d++) {
				const HpPlanDevice *dev = g_ptr_array_index(plan->devices, d);
				if (hp_pci_address_equal(&dev->addr, &s->device) &&
				    g_hash_table_add(saved, GUINT_TO_POINTER(d + 1)))
					g_string_append_printf(out, "\thp_save %u %s\n", d + 1, qbdf);
			}
		}
		switch (s->kind) {
		case HP_STEP_MODPROBE: {
			g_autofree gchar *mod = hp_sh_quote(s->value);
			g_autofree gchar *guess = hp_sh_quote(g_hash_table_lookup(guesses, s->value));
			g_string_append_printf(out, "\thp_modprobe %s %s\n\thp_mdrv_%u=$(hp_module_driver %s %s)\n", mod, qbdf,
					       GPOINTER_TO_UINT(g_hash_table_lookup(vars, s->value)), mod, guess);
			break;
		}
		case HP_STEP_SET_OVERRIDE: {
			g_autofree gchar *value = hp_sh_driver_value(s, s->value, vars);
			g_string_append_printf(out, "\thp_write %s %s\n", qpath, value);
			break;
		}
		case HP_STEP_RESTORE_OVERRIDE: {
			g_autofree gchar *value = hp_sh_quote(s->value);
			g_string_append_printf(out, "\thp_write %s %s\n", qpath, value);
			break;
		}
		case HP_STEP_UNBIND:
			g_string_append_printf(out, "\thp_unbind %s\n", qbdf);
			break;
		case HP_STEP_PROBE:
			g_string_append_printf(out, "\thp_write %s %s\n", qpath, qbdf);
			break;
		case HP_STEP_VERIFY:
		default: {
			g_autofree gchar *value = hp_sh_driver_value(s, s->value, vars);
			g_string_append_printf(out, "\thp_verify %s %s\n", qbdf, value);
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
	g_autoptr(GHashTable) named = g_hash_table_new(g_str_hash, g_str_equal);
	g_autofree gchar *domain = hp_echo(plan->domain != NULL ? plan->domain : "");
	guint nvars = 0;

	/* the domain's name is only ever in this comment, escaped: no newline
	 * in it can end the comment */
	g_string_append_printf(out,
			       "#!/bin/sh\n"
			       "# Host preparation for libvirt domain '%s', written by hostdev-preflight plan.\n"
			       "#   sh THIS prepare   before the domain starts: VFIO drivers take the devices\n"
			       "#   sh THIS release   after it stops: the devices go back to their drivers\n"
			       "# A prepare that fails gives back what it did (exit 1; 3 when it could not).\n"
			       "# HOSTDEV_ROOT=DIR tries it on a copy of the host's tree: every path is under\n"
			       "# DIR, no module is loaded, no binding is checked (no kernel acts on a copy),\n"
			       "# and only regular files inside DIR are written, never through a link.\n"
			       "set -eu\n\n",
			       domain);
	g_string_append(out, hp_sh_functions);
	for (guint i = 0; i < plan->devices->len; i++) {
		const HpPlanDevice *d = g_ptr_array_index(plan->devices, i);
		if (!d->driver_confirmed && d->target_module != NULL) {
			g_hash_table_insert(guesses, d->target_module, d->target_driver);
			if (!g_hash_table_contains(vars, d->target_module))
				g_hash_table_insert(vars, d->target_module, GUINT_TO_POINTER(++nvars));
		}
	}
	g_string_append(out, "prepare() {\n\thp_phase=prepare\n");
	hp_plan_steps_sh(out, plan, plan->prepare, vars, guesses, TRUE);
	g_string_append(out, "\thp_phase=''\n}\n\nrelease() {\n");
	/* release needs the driver names of the modules prepare loaded */
	for (guint i = 0; i < plan->devices->len; i++) {
		const HpPlanDevice *d = g_ptr_array_index(plan->devices, i);
		guint n;
		g_autofree gchar *mod = NULL;
		g_autofree gchar *guess = NULL;

		if (d->driver_confirmed || d->target_module == NULL || !g_hash_table_add(named, d->target_module))
			continue;
		n = GPOINTER_TO_UINT(g_hash_table_lookup(vars, d->target_module));
		mod = hp_sh_quote(d->target_module);
		guess = hp_sh_quote(d->target_driver);
		g_string_append_printf(out, "\thp_mdrv_%u=$(hp_module_driver %s %s)\n", n, mod, guess);
	}
	hp_plan_steps_sh(out, plan, plan->release, vars, guesses, FALSE);
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
