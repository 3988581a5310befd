/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "hp-plan-sh.h"

/*
 * The plan as a POSIX sh script (SPEC sections 7 and 8). Nothing from a
 * domain or a host is ever where the shell would run it: every value is a
 * single-quoted word, names were checked to be kernel names when the plan
 * was built (and driver names read at run time are checked again by the
 * script), the domain's name goes only into a comment and through
 * hp_echo() (no control character can end the comment), and the script's
 * variables are named by this file (hp_driver_N), never by an input.
 */

/**
 * hp_sh_quote:
 * @value: any text
 *
 * One shell word that is exactly @value: inside single quotes nothing is
 * special to sh (no `$`, backquote, backslash or newline), and a `'` is
 * closed, given as `\'`, and reopened.
 *
 * Returns: (transfer full): the word.
 */
gchar *
hp_sh_quote(const gchar *value)
{
	GString *out = g_string_new("'");
	for (const gchar *p = value; *p != '\0'; p++) {
		if (*p == '\'')
			g_string_append(out, "'\\''");
		else
			g_string_append_c(out, *p);
	}
	g_string_append_c(out, '\'');
	return g_string_free(out, FALSE);
}

/* The helpers every script carries; they return a status explicitly,
 * because the give-back runs them where `set -e` does not act. */
static const gchar hp_sh_helpers[] =
	"R=\"${HOSTDEV_ROOT:-}\"\n"
	"hp_wait=5       # seconds the kernel gets to bind a device\n"
	"hp_phase=''     # prepare while the devices are being taken\n"
	"hp_at=0         # prepare steps started so far\n"
	"hp_skipped=' '  # prepare steps that found nothing to do\n"
	"hp_left=''      # devices that could not be given back\n"
	"hp_root=''\n"
	"if [ -n \"$R\" ]; then\n"
	"\tif ! hp_root=$(cd -P -- \"$R\" && pwd -P); then\n"
	"\t\techo \"hostdev-preflight: HOSTDEV_ROOT is not a directory\" >&2\n"
	"\t\texit 2\n"
	"\tfi\n"
	"\thp_root=${hp_root%/}\n"
	"fi\n\n"
	"hp_say() {\n"
	"\tprintf 'hostdev-preflight: %s\\n' \"$*\" >&2\n"
	"}\n\n"
	"# hp_target FILE: hp_t is where FILE (a /sys path) is written: FILE on a\n"
	"# live host; on a copy, FILE inside it, refused unless its directory is\n"
	"# inside the copy (links followed only within it) and it is a regular file\n"
	"hp_target() {\n"
	"\tif [ -z \"$R\" ]; then\n"
	"\t\thp_t=$1\n"
	"\t\treturn 0\n"
	"\tfi\n"
	"\tif ! hp_d=$(cd -P -- \"$R${1%/*}\" 2>/dev/null && pwd -P); then\n"
	"\t\thp_say \"refusing to write $1 on the copy: it has no ${1%/*} (a driver this plan loads is there only if the copy has it)\"\n"
	"\t\treturn 1\n"
	"\tfi\n"
	"\tcase \"$hp_d/\" in\n"
	"\t\"$hp_root\"/*) ;;\n"
	"\t*)\n"
	"\t\thp_say \"refusing to write $1 on the copy: a link in its path leads out of HOSTDEV_ROOT\"\n"
	"\t\treturn 1\n"
	"\t\t;;\n"
	"\tesac\n"
	"\thp_t=\"$hp_d/${1##*/}\"\n"
	"\tif [ -L \"$hp_t\" ] || [ ! -f \"$hp_t\" ]; then\n"
	"\t\thp_say \"refusing to write $1 on the copy: it is a link or not a regular file\"\n"
	"\t\treturn 1\n"
	"\tfi\n"
	"}\n\n"
	"# hp_write FILE VALUE: one sysfs write, said first; with a newline, as\n"
	"# echo writes it (an empty write would not reach the kernel)\n"
	"hp_write() {\n"
	"\thp_target \"$1\" || return 1\n"
	"\tprintf \"write '%s' to %s\\n\" \"$2\" \"$1\" >&2\n"
	"\tif ! printf '%s\\n' \"$2\" >\"$hp_t\"; then\n"
	"\t\thp_say \"writing '$2' to $1 failed\"\n"
	"\t\treturn 1\n"
	"\tfi\n"
	"}\n\n"
	"# hp_driver_of BDF: the driver the device is on now ('' none, ? unknown)\n"
	"hp_driver_of() {\n"
	"\tif [ -L \"/sys/bus/pci/devices/$1/driver\" ]; then\n"
	"\t\thp_l=$(cd -P -- \"/sys/bus/pci/devices/$1/driver\" 2>/dev/null && pwd -P) || hp_l='?'\n"
	"\t\tprintf '%s\\n' \"${hp_l##*/}\"\n"
	"\tfi\n"
	"}\n\n"
	"# hp_verify BDF DRIVER: the device is on DRIVER ('' none, * any), waiting\n"
	"# up to hp_wait seconds: drivers_probe reports success even when no\n"
	"# driver took the device\n"
	"hp_verify() {\n"
	"\tif [ -n \"$R\" ]; then\n"
	"\t\techo \"(not checked on a copy: $1 on '$2')\" >&2\n"
	"\t\treturn 0\n"
	"\tfi\n"
	"\thp_n=0\n"
	"\twhile :; do\n"
	"\t\thp_now=$(hp_driver_of \"$1\")\n"
	"\t\tif [ \"$hp_now\" = \"$2\" ] || { [ \"$2\" = '*' ] && [ -n \"$hp_now\" ]; }; then\n"
	"\t\t\treturn 0\n"
	"\t\tfi\n"
	"\t\tif [ \"$hp_n\" -ge \"$hp_wait\" ]; then\n"
	"\t\t\thp_say \"$1 is on '${hp_now:-no driver}', not '${2:-no driver}', after ${hp_wait}s (a driver that refused it says why in dmesg)\"\n"
	"\t\t\treturn 1\n"
	"\t\tfi\n"
	"\t\tsleep 1\n"
	"\t\thp_n=$((hp_n + 1))\n"
	"\tdone\n"
	"}\n\n"
	"# hp_modprobe MODULE: on a copy, only says so\n"
	"hp_modprobe() {\n"
	"\tif [ -n \"$R\" ]; then\n"
	"\t\techo \"(on a copy: would load the module $1; nothing is loaded)\" >&2\n"
	"\t\treturn 0\n"
	"\tfi\n"
	"\techo \"modprobe $1\" >&2\n"
	"\tif ! modprobe -- \"$1\"; then\n"
	"\t\thp_say \"cannot load the module $1 (not installed, or blacklisted?): nothing was changed for this device\"\n"
	"\t\treturn 1\n"
	"\tfi\n"
	"}\n\n"
	"# hp_module_driver MODULE GUESS: the PCI driver a loaded module registered\n"
	"# (GUESS when it is not loaded), refused unless it is a kernel name\n"
	"hp_module_driver() {\n"
	"\thp_m=$2\n"
	"\tfor hp_e in \"$R/sys/module/$1/drivers/pci:\"*; do\n"
	"\t\tif [ -e \"$hp_e\" ]; then\n"
	"\t\t\thp_m=${hp_e##*/pci:}\n"
	"\t\t\tbreak\n"
	"\t\tfi\n"
	"\tdone\n"
	"\tcase \"$hp_m\" in\n"
	"\t'' | . | .. | *[!A-Za-z0-9_.-]*)\n"
	"\t\thp_say \"the module $1 registered a PCI driver whose name is no kernel name\"\n"
	"\t\treturn 1\n"
	"\t\t;;\n"
	"\tesac\n"
	"\tif [ \"${#hp_m}\" -gt 64 ]; then\n"
	"\t\thp_say \"the module $1 registered a PCI driver whose name is too long\"\n"
	"\t\treturn 1\n"
	"\tfi\n"
	"\tprintf '%s\\n' \"$hp_m\"\n"
	"}\n\n"
	"# hp_set_override BDF DRIVER PREVIOUS: on a live host, the override must\n"
	"# still be PREVIOUS, the one its release writes back\n"
	"hp_set_override() {\n"
	"\tif [ -z \"$R\" ]; then\n"
	"\t\thp_o=''\n"
	"\t\tif [ -f \"/sys/bus/pci/devices/$1/driver_override\" ]; then\n"
	"\t\t\tIFS= read -r hp_o <\"/sys/bus/pci/devices/$1/driver_override\" || hp_o='?'\n"
	"\t\tfi\n"
	"\t\tif [ \"$hp_o\" = '(null)' ]; then\n"
	"\t\t\thp_o=''\n"
	"\t\tfi\n"
	"\t\tif [ \"$hp_o\" != \"$3\" ]; then\n"
	"\t\t\thp_say \"$1 has the driver_override '$hp_o', not '$3' as when this plan was made: make the plan again\"\n"
	"\t\t\treturn 1\n"
	"\t\tfi\n"
	"\tfi\n"
	"\thp_write \"/sys/bus/pci/devices/$1/driver_override\" \"$2\"\n"
	"}\n\n"
	"# hp_restore_override BDF DRIVER: writes back what it had ('' clears)\n"
	"hp_restore_override() {\n"
	"\thp_write \"/sys/bus/pci/devices/$1/driver_override\" \"$2\"\n"
	"}\n\n"
	"# hp_unbind BDF DRIVER: takes the device from DRIVER (* whichever it is\n"
	"# on, through its driver link); a device with no driver is left alone\n"
	"hp_unbind() {\n"
	"\tif [ -z \"$R\" ]; then\n"
	"\t\thp_now=$(hp_driver_of \"$1\")\n"
	"\t\tif [ -z \"$hp_now\" ]; then\n"
	"\t\t\techo \"($1 has no driver: nothing to unbind)\" >&2\n"
	"\t\t\thp_skipped=\"$hp_skipped$hp_at \"\n"
	"\t\t\treturn 0\n"
	"\t\tfi\n"
	"\t\tif [ \"$2\" != '*' ] && [ \"$hp_now\" != \"$2\" ]; then\n"
	"\t\t\thp_say \"$1 is on '$hp_now', not '$2' as when this plan was made: make the plan again\"\n"
	"\t\t\treturn 1\n"
	"\t\tfi\n"
	"\tfi\n"
	"\tif [ \"$2\" = '*' ]; then\n"
	"\t\thp_write \"/sys/bus/pci/devices/$1/driver/unbind\" \"$1\"\n"
	"\telse\n"
	"\t\thp_write \"/sys/bus/pci/drivers/$2/unbind\" \"$1\"\n"
	"\tfi\n"
	"}\n\n"
	"# hp_probe BDF: the kernel binds the driver the override names\n"
	"hp_probe() {\n"
	"\thp_write /sys/bus/pci/drivers_probe \"$1\"\n"
	"}\n\n"
	"# hp_bind BDF DRIVER: binds exactly DRIVER through its bind file (the write\n"
	"# fails if it refuses); drivers_probe if DRIVER is no longer registered\n"
	"hp_bind() {\n"
	"\tif [ -z \"$R\" ] && [ ! -e \"/sys/bus/pci/drivers/$2/bind\" ]; then\n"
	"\t\thp_say \"$2 is not registered any more: asking the kernel to probe $1\"\n"
	"\t\thp_probe \"$1\"\n"
	"\t\treturn\n"
	"\tfi\n"
	"\thp_write \"/sys/bus/pci/drivers/$2/bind\" \"$1\"\n"
	"}\n\n"
	"# hp_did I N: prepare step I was among the first N started, and did something\n"
	"hp_did() {\n"
	"\tif [ \"$1\" -gt \"$2\" ]; then\n"
	"\t\treturn 1\n"
	"\tfi\n"
	"\tcase \"$hp_skipped\" in\n"
	"\t*\" $1 \"*) return 1 ;;\n"
	"\tesac\n"
	"\treturn 0\n"
	"}\n\n"
	"# On any failure while preparing (a step, an interrupt), every step\n"
	"# started is undone, last first: exit 1 when every device is back, 3 when not\n"
	"hp_exit() {\n"
	"\thp_status=$?\n"
	"\tset +e\n"
	"\ttrap - EXIT INT TERM HUP\n"
	"\tif [ \"$hp_phase\" = prepare ]; then\n"
	"\t\thp_say \"prepare stopped at step $hp_at: giving back every device it touched\"\n"
	"\t\t# a step that failed changed nothing; one a signal cut may have\n"
	"\t\tcase $hp_status in\n"
	"\t\t129 | 130 | 143) hp_giveback \"$hp_at\" ;;\n"
	"\t\t*) hp_giveback $((hp_at - 1)) ;;\n"
	"\t\tesac\n"
	"\t\tif [ -n \"$hp_left\" ]; then\n"
	"\t\t\thp_say \"could not give back:$hp_left (see above)\"\n"
	"\t\t\texit 3\n"
	"\t\tfi\n"
	"\t\thp_say \"every device it touched was given back\"\n"
	"\t\texit 1\n"
	"\tfi\n"
	"\texit \"$hp_status\"\n"
	"}\n\n";

/* Module -> the number of its hp_driver_N variable, for the modules this
 * plan loads (their driver names are read once they are). */
typedef struct {
	GHashTable *vars;   /* module -> GUINT index, 1-based */
	GPtrArray *modules; /* in the order of their numbers */
	GPtrArray *guesses; /* the driver name each is expected to register */
} HpShVars;

static void
hp_sh_vars_init(HpShVars *v, const HpPlan *plan)
{
	v->vars = g_hash_table_new(g_str_hash, g_str_equal);
	v->modules = g_ptr_array_new();
	v->guesses = g_ptr_array_new();
	for (guint i = 0; i < plan->devices->len; i++) {
		const HpPlanDevice *d = g_ptr_array_index(plan->devices, i);
		if (d->driver_confirmed || d->target_module == NULL || g_hash_table_contains(v->vars, d->target_module))
			continue;
		g_ptr_array_add(v->modules, d->target_module);
		g_ptr_array_add(v->guesses, d->target_driver);
		g_hash_table_insert(v->vars, d->target_module, GUINT_TO_POINTER(v->modules->len));
	}
}

static void
hp_sh_vars_clear(HpShVars *v)
{
	g_hash_table_unref(v->vars);
	g_ptr_array_unref(v->modules);
	g_ptr_array_unref(v->guesses);
}

/* A step's driver as one word: "$hp_driver_N" when it is read at run
 * time; '*' for any/unknown; else the quoted name. */
static gchar *
hp_sh_driver(const HpShVars *v, const HpPlanStep *s)
{
	if (s->driver_pending && s->module != NULL && g_hash_table_contains(v->vars, s->module))
		return g_strdup_printf("\"$hp_driver_%u\"", GPOINTER_TO_UINT(g_hash_table_lookup(v->vars, s->module)));
	if (s->driver == NULL)
		return g_strdup("'*'");
	return hp_sh_quote(s->driver);
}

/* One step as a helper call (indented by @indent tabs). */
static void
hp_sh_step(GString *out, const HpShVars *v, const HpPlanStep *s, const gchar *indent, const gchar *on_failure)
{
	gchar bdf[HP_PCI_ADDRESS_STRLEN] = "";
	g_autofree gchar *dev = NULL;
	g_autofree gchar *drv = hp_sh_driver(v, s);

	hp_pci_address_to_string(&s->device, bdf);
	dev = hp_sh_quote(bdf);
	switch (s->kind) {
	case HP_STEP_KIND_MODPROBE: {
		g_autofree gchar *mod = hp_sh_quote(s->module);
		guint n = GPOINTER_TO_UINT(g_hash_table_lookup(v->vars, s->module));
		g_string_append_printf(out, "%shp_modprobe %s%s\n", indent, mod, on_failure);
		if (n > 0) {
			g_autofree gchar *guess = hp_sh_quote(g_ptr_array_index(v->guesses, n - 1));
			g_string_append_printf(out, "%shp_driver_%u=$(hp_module_driver %s %s)\n", indent, n, mod, guess);
		}
		break;
	}
	case HP_STEP_KIND_SET_OVERRIDE: {
		g_autofree gchar *prev = hp_sh_quote(s->previous != NULL ? s->previous : "");
		g_string_append_printf(out, "%shp_set_override %s %s %s%s\n", indent, dev, drv, prev, on_failure);
		break;
	}
	case HP_STEP_KIND_RESTORE_OVERRIDE:
		g_string_append_printf(out, "%shp_restore_override %s %s%s\n", indent, dev, drv, on_failure);
		break;
	case HP_STEP_KIND_UNBIND:
		g_string_append_printf(out, "%shp_unbind %s %s%s\n", indent, dev, drv, on_failure);
		break;
	case HP_STEP_KIND_PROBE:
		if (s->by_bind)
			g_string_append_printf(out, "%shp_bind %s %s%s\n", indent, dev, drv, on_failure);
		else
			g_string_append_printf(out, "%shp_probe %s%s\n", indent, dev, on_failure);
		break;
	case HP_STEP_KIND_VERIFY:
	default: {
		g_string_append_printf(out, "%shp_verify %s %s%s\n", indent, dev, drv, on_failure);
		break;
	}
	}
}

static guint
hp_sh_device_number(const HpPlan *plan, const HpPlanStep *s)
{
	for (guint i = 0; i < plan->devices->len; i++) {
		const HpPlanDevice *d = g_ptr_array_index(plan->devices, i);
		if (hp_pci_address_key(&d->addr) == hp_pci_address_key(&s->device))
			return i + 1;
	}
	return 0;
}

/* The release (plan->release, derived from prepare) as one function per
 * device, each undo guarded by the prepare step it undoes, so that
 * `hp_giveback N` is the rollback after N prepare steps, and the release
 * when N is all of them. */
static void
hp_sh_giveback(GString *out, const HpPlan *plan, const HpShVars *v)
{
	g_autoptr(GString) calls = g_string_new(NULL);

	for (guint i = 0; i < plan->release->len;) {
		const HpPlanStep *first = g_ptr_array_index(plan->release, i);
		guint n = hp_sh_device_number(plan, first);
		gchar bdf[HP_PCI_ADDRESS_STRLEN];
		g_autofree gchar *dev = hp_sh_quote(hp_pci_address_to_string(&first->device, bdf));

		g_string_append_printf(out, "# give %s back\nhp_giveback_%u() {\n", bdf, n);
		g_string_append_printf(calls, "\thp_giveback_%u \"$1\" || hp_left=\"$hp_left \"%s\n", n, dev);
		while (i < plan->release->len) {
			const HpPlanStep *s = g_ptr_array_index(plan->release, i);
			guint origin = s->origin;
			if (hp_pci_address_key(&s->device) != hp_pci_address_key(&first->device))
				break;
			g_string_append_printf(out, "\tif hp_did %u \"$1\"; then\n", origin + 1);
			for (; i < plan->release->len; i++) {
				s = g_ptr_array_index(plan->release, i);
				if (s->origin != origin || hp_pci_address_key(&s->device) != hp_pci_address_key(&first->device))
					break;
				g_string_append_printf(out, "\t\t# %s\n", s->comment);
				hp_sh_step(out, v, s, "\t\t", " || return 1");
			}
			g_string_append(out, "\tfi\n");
		}
		g_string_append(out, "}\n\n");
	}
	g_string_append(out, "# hp_giveback N: undo the first N prepare steps, every device it can\n"
			     "hp_giveback() {\n\thp_left=''\n");
	g_string_append(out, calls->len > 0 ? calls->str : "\ttrue # nothing to give back\n");
	g_string_append(out, "}\n\n");
}

/**
 * hp_plan_to_sh:
 *
 * `sh SCRIPT prepare` runs the prepare steps, each checked, and on any
 * failure gives back every device it touched; `sh SCRIPT release` runs the
 * release. Both are the plan's steps, rendered one helper call each.
 *
 * Returns: (transfer full): the script.
 */
gchar *
hp_plan_to_sh(const HpPlan *plan)
{
	GString *out = g_string_new(NULL);
	g_autofree gchar *name = hp_echo(plan->domain != NULL ? plan->domain : "");
	HpShVars v;

	hp_sh_vars_init(&v, plan);
	/* the name is in a comment, escaped: no newline can end the comment */
	g_string_append_printf(out,
			       "#!/bin/sh\n"
			       "# Host preparation for the libvirt domain named '%s', written by hostdev-preflight plan.\n"
			       "#   sh THIS prepare   before the domain starts: VFIO drivers take the devices\n"
			       "#   sh THIS release   after it stops: the devices go back to what they had\n"
			       "# Each binding is checked (the kernel reports success on drivers_probe even\n"
			       "# when no driver took the device); when a prepare step fails, every device\n"
			       "# it touched is given back and it exits 1 (3 if one could not be).\n"
			       "# HOSTDEV_ROOT=DIR tries it on a copy of a host's tree: nothing is loaded\n"
			       "# or checked (no kernel acts on a copy), and it writes only regular files\n"
			       "# inside DIR, never through a link out of it.\n"
			       "set -eu\n\n",
			       name);
	g_string_append(out, hp_sh_helpers);
	for (guint i = 0; i < v.modules->len; i++) {
		g_autofree gchar *guess = hp_sh_quote(g_ptr_array_index(v.guesses, i));
		g_string_append_printf(out, "hp_driver_%u=%s # the driver of %s, read once it is loaded\n", i + 1, guess,
				       (const gchar *)g_ptr_array_index(v.modules, i));
	}
	if (v.modules->len > 0)
		g_string_append(out, "\n");
	hp_sh_giveback(out, plan, &v);

	g_string_append(out, "prepare() {\n"
			     "\ttrap hp_exit EXIT\n"
			     "\ttrap 'exit 129' HUP\n"
			     "\ttrap 'exit 130' INT\n"
			     "\ttrap 'exit 143' TERM\n"
			     "\thp_phase=prepare\n");
	for (guint i = 0; i < plan->prepare->len; i++) {
		const HpPlanStep *s = g_ptr_array_index(plan->prepare, i);
		gchar bdf[HP_PCI_ADDRESS_STRLEN];
		g_string_append_printf(out, "\t# %s: %s\n\thp_at=%u\n", hp_pci_address_to_string(&s->device, bdf),
				       s->comment, i + 1);
		hp_sh_step(out, &v, s, "\t", "");
	}
	g_string_append(out, "\thp_phase=finished\n}\n\n");

	g_string_append(out, "release() {\n");
	for (guint i = 0; i < v.modules->len; i++) {
		g_autofree gchar *mod = hp_sh_quote(g_ptr_array_index(v.modules, i));
		g_autofree gchar *guess = hp_sh_quote(g_ptr_array_index(v.guesses, i));
		g_string_append_printf(out, "\thp_driver_%u=$(hp_module_driver %s %s)\n", i + 1, mod, guess);
	}
	g_string_append_printf(out,
			       "\thp_giveback %u\n"
			       "\tif [ -n \"$hp_left\" ]; then\n"
			       "\t\thp_say \"release could not give back:$hp_left (see above)\"\n"
			       "\t\texit 3\n"
			       "\tfi\n"
			       "}\n\n"
			       "case \"${1:-}\" in\n"
			       "prepare) prepare ;;\n"
			       "release) release ;;\n"
			       "*)\n"
			       "\techo \"usage: $0 prepare|release\" >&2\n"
			       "\texit 2\n"
			       "\t;;\n"
			       "esac\n",
			       plan->prepare->len);
	hp_sh_vars_clear(&v);
	return g_string_free(out, FALSE);
}
