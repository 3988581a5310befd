/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "hp-plan-step.h"

#include <string.h>

const gchar *
hp_step_kind_to_string(HpStepKind kind)
{
	static const gchar *names[] = {"modprobe", "set-override", "unbind", "probe", "verify", "restore-override"};
	g_return_val_if_fail((guint)kind < G_N_ELEMENTS(names), NULL);
	return names[kind];
}

/* MODPROBE and VERIFY are their own actions; every other kind is a write. */
HpStepAction
hp_step_kind_action(HpStepKind kind)
{
	if (kind == HP_STEP_KIND_MODPROBE)
		return HP_STEP_MODPROBE;
	if (kind == HP_STEP_KIND_VERIFY)
		return HP_STEP_VERIFY;
	return HP_STEP_WRITE;
}

const gchar *
hp_step_action_to_string(HpStepAction action)
{
	static const gchar *names[] = {"modprobe", "write", "verify"};
	g_return_val_if_fail((guint)action < G_N_ELEMENTS(names), NULL);
	return names[action];
}

/**
 * hp_kernel_name_valid:
 * @name: (nullable): a module or driver name
 *
 * What a kernel module or driver name can be: 1 to 64 of `[A-Za-z0-9_.-]`,
 * and not `.` or `..` (it becomes a path component). The host reader
 * checks this too; the plan checks again because these names end up in
 * paths and in a shell script.
 *
 * Returns: %TRUE when @name is one.
 */
gboolean
hp_kernel_name_valid(const gchar *name)
{
	gsize len;

	if (name == NULL)
		return FALSE;
	len = strlen(name);
	if (len == 0 || len > 64 || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return FALSE;
	for (const gchar *p = name; *p != '\0'; p++) {
		if (!g_ascii_isalnum(*p) && *p != '_' && *p != '.' && *p != '-')
			return FALSE;
	}
	return TRUE;
}

/* path, value and comment follow from the other fields */
static void
hp_plan_step_fill(HpPlanStep *step)
{
	gchar bdf[HP_PCI_ADDRESS_STRLEN];
	const gchar *d = step->driver;

	hp_pci_address_to_string(&step->device, bdf);
	g_clear_pointer(&step->path, g_free);
	g_clear_pointer(&step->value, g_free);
	g_clear_pointer(&step->comment, g_free);
	switch (step->kind) {
	case HP_STEP_KIND_MODPROBE:
		step->comment = g_strdup_printf("load the module %s", step->module);
		break;
	case HP_STEP_KIND_SET_OVERRIDE:
		step->path = g_strdup_printf("/sys/bus/pci/devices/%s/driver_override", bdf);
		step->value = g_strdup(d);
		step->comment = g_strdup_printf("only %s may take the device from now on", d);
		break;
	case HP_STEP_KIND_RESTORE_OVERRIDE:
		step->path = g_strdup_printf("/sys/bus/pci/devices/%s/driver_override", bdf);
		step->value = g_strdup(d);
		step->comment = d[0] == '\0' ? g_strdup("clear the override: it had none")
					     : g_strdup_printf("write back the override it had, %s", d);
		break;
	case HP_STEP_KIND_UNBIND:
		step->value = g_strdup(bdf);
		if (d != NULL) {
			step->path = g_strdup_printf("/sys/bus/pci/drivers/%s/unbind", d);
			step->comment = g_strdup_printf("take it from %s", d);
		} else {
			step->path = g_strdup_printf("/sys/bus/pci/devices/%s/driver/unbind", bdf);
			step->comment = g_strdup("take it from its driver (its name is unknown: through its driver link)");
		}
		break;
	case HP_STEP_KIND_PROBE:
		step->value = g_strdup(bdf);
		if (step->by_bind) {
			step->path = g_strdup_printf("/sys/bus/pci/drivers/%s/bind", d);
			step->comment = g_strdup_printf("bind %s again, through its own bind file", d);
		} else {
			step->path = g_strdup("/sys/bus/pci/drivers_probe");
			step->comment = d != NULL ? g_strdup_printf("let the kernel bind it again, now to %s", d)
						  : g_strdup("let the kernel bind a driver to it again");
		}
		break;
	case HP_STEP_KIND_VERIFY:
	default:
		step->path = g_strdup_printf("/sys/bus/pci/devices/%s/driver", bdf);
		step->value = g_strdup(d);
		step->comment = d == NULL	  ? g_strdup("check it has a driver again")
				: d[0] == '\0' ? g_strdup("check it has no driver")
					       : g_strdup_printf("check it is bound to %s", d);
		break;
	}
}

/**
 * hp_plan_step_new:
 * @kind: what the step does
 * @device: the PCI function
 * @driver: (nullable): see #HpPlanStep; for MODPROBE, the module
 * @previous: (nullable): the state the step replaces (see #HpPlanStep)
 * @bind: PROBE: how it binds (HP_STEP_BIND_FILE needs @driver)
 *
 * Fills the path, value and comment from the rest.
 *
 * Returns: (transfer full): the step.
 */
HpPlanStep *
hp_plan_step_new(HpStepKind kind, const HpPciAddress *device, const gchar *driver, const gchar *previous,
		 HpStepBind bind)
{
	HpPlanStep *step = g_new0(HpPlanStep, 1);

	g_return_val_if_fail(bind != HP_STEP_BIND_FILE || driver != NULL, NULL);
	step->kind = kind;
	if (device != NULL) {
		step->has_device = TRUE;
		step->device = *device;
	}
	if (kind == HP_STEP_KIND_MODPROBE)
		step->module = g_strdup(driver);
	else
		step->driver = g_strdup(driver);
	/* an override is never "unknown": NULL reads as none */
	if ((kind == HP_STEP_KIND_SET_OVERRIDE || kind == HP_STEP_KIND_RESTORE_OVERRIDE) && step->driver == NULL)
		step->driver = g_strdup("");
	step->previous = g_strdup(previous);
	step->by_bind = kind == HP_STEP_KIND_PROBE && bind == HP_STEP_BIND_FILE;
	hp_plan_step_fill(step);
	return step;
}

/**
 * hp_plan_step_set_pending:
 * @module: the module that provides the step's driver
 *
 * The step's driver name is a guess until @module is loaded; the executor
 * reads the real name then.
 */
void
hp_plan_step_set_pending(HpPlanStep *step, const gchar *module)
{
	g_free(step->module);
	step->module = g_strdup(module);
	step->driver_pending = module != NULL;
}

HpPlanStep *
hp_plan_step_copy(const HpPlanStep *step)
{
	HpPlanStep *copy = g_memdup2(step, sizeof(*step));
	copy->driver = g_strdup(step->driver);
	copy->module = g_strdup(step->module);
	copy->previous = g_strdup(step->previous);
	copy->path = g_strdup(step->path);
	copy->value = g_strdup(step->value);
	copy->comment = g_strdup(step->comment);
	return copy;
}

void
hp_plan_step_free(HpPlanStep *step)
{
	if (step == NULL)
		return;
	g_free(step->driver);
	g_free(step->module);
	g_free(step->previous);
	g_free(step->path);
	g_free(step->value);
	g_free(step->comment);
	g_free(step);
}

static HpPlanStep *
hp_plan_step_add(GPtrArray *out, const HpPlanStep *from, HpStepKind kind, const gchar *driver, const gchar *previous,
		 HpStepBind bind, gboolean pending)
{
	HpPlanStep *step = hp_plan_step_new(kind, from->has_device ? &from->device : NULL, driver, previous, bind);
	if (pending)
		hp_plan_step_set_pending(step, from->module);
	g_ptr_array_add(out, step);
	return step;
}

/**
 * hp_plan_step_undo:
 * @step: a step
 *
 * What gives back the state @step replaced, checked where it binds:
 * - MODPROBE, VERIFY: nothing (a module is never unloaded: another domain
 *   may use it; a check changes nothing);
 * - SET_OVERRIDE: RESTORE_OVERRIDE of the previous override (written back,
 *   not cleared), and the other way round;
 * - UNBIND: PROBE of the previous driver through its own bind file, then
 *   VERIFY it is back. The bind file, not drivers_probe: the kernel then
 *   binds exactly the recorded driver or fails the write, where
 *   drivers_probe reports success whatever happened and lets any matching
 *   driver (a dynamic id, pci-stub's ids=) take the device. When the
 *   previous driver is unknown: drivers_probe, and VERIFY it has a driver;
 * - PROBE: UNBIND from the driver it bound, then VERIFY the device is as
 *   before (no driver).
 *
 * Returns: (transfer container) (element-type HpPlanStep): 0 to 2 steps,
 * their origin left 0.
 */
GPtrArray *
hp_plan_step_undo(const HpPlanStep *step)
{
	GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)hp_plan_step_free);

	switch (step->kind) {
	case HP_STEP_KIND_SET_OVERRIDE:
		hp_plan_step_add(out, step, HP_STEP_KIND_RESTORE_OVERRIDE, step->previous, step->driver, HP_STEP_BIND_NONE,
				 FALSE);
		break;
	case HP_STEP_KIND_RESTORE_OVERRIDE:
		hp_plan_step_add(out, step, HP_STEP_KIND_SET_OVERRIDE, step->previous, step->driver, HP_STEP_BIND_NONE,
				 FALSE);
		break;
	case HP_STEP_KIND_UNBIND:
		if (step->previous != NULL && step->previous[0] != '\0') {
			hp_plan_step_add(out, step, HP_STEP_KIND_PROBE, step->previous, "", HP_STEP_BIND_FILE,
					 step->driver_pending);
			hp_plan_step_add(out, step, HP_STEP_KIND_VERIFY, step->previous, NULL, HP_STEP_BIND_NONE,
					 step->driver_pending);
		} else {
			hp_plan_step_add(out, step, HP_STEP_KIND_PROBE, NULL, "", HP_STEP_BIND_PROBE, FALSE);
			hp_plan_step_add(out, step, HP_STEP_KIND_VERIFY, NULL, NULL, HP_STEP_BIND_NONE, FALSE);
		}
		break;
	case HP_STEP_KIND_PROBE:
		hp_plan_step_add(out, step, HP_STEP_KIND_UNBIND, step->driver, step->driver, HP_STEP_BIND_NONE,
				 step->driver_pending);
		hp_plan_step_add(out, step, HP_STEP_KIND_VERIFY, step->previous != NULL ? step->previous : "", NULL,
				 HP_STEP_BIND_NONE, FALSE);
		break;
	case HP_STEP_KIND_MODPROBE:
	case HP_STEP_KIND_VERIFY:
	default:
		break;
	}
	return out;
}

static gboolean
hp_plan_step_same_device(const HpPlanStep *a, const HpPlanStep *b)
{
	return a->has_device && b->has_device && hp_pci_address_key(&a->device) == hp_pci_address_key(&b->device);
}

/**
 * hp_plan_steps_undo:
 * @steps: (element-type HpPlanStep): steps, in the order they run
 * @n: how many of them ran (the first @n)
 *
 * The release of a plan (@n all of its prepare steps), or the rollback of
 * a prepare that stopped after @n steps: the undo of each step
 * (hp_plan_step_undo()), last step first, with one exception the kernel
 * imposes: a device's override is written back before the device is bound
 * again, because while an override is set the kernel lets only that driver
 * bind it. Each step's origin is the index in @steps of the step it undoes,
 * so the rollback after any @n is the release filtered to origins below @n.
 *
 * Returns: (transfer container) (element-type HpPlanStep): the steps.
 */
GPtrArray *
hp_plan_steps_undo(GPtrArray *steps, guint n)
{
	GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)hp_plan_step_free);

	g_return_val_if_fail(n <= steps->len, out);
	for (guint i = n; i > 0; i--) {
		g_autoptr(GPtrArray) undo = hp_plan_step_undo(g_ptr_array_index(steps, i - 1));
		for (guint j = 0; j < undo->len; j++) {
			HpPlanStep *u = hp_plan_step_copy(g_ptr_array_index(undo, j));
			u->origin = i - 1;
			g_ptr_array_add(out, u);
		}
	}
	/* an override write goes before the first binding of its device */
	for (guint j = 0; j < out->len; j++) {
		HpPlanStep *s = g_ptr_array_index(out, j);
		if (s->kind != HP_STEP_KIND_SET_OVERRIDE && s->kind != HP_STEP_KIND_RESTORE_OVERRIDE)
			continue;
		for (guint k = 0; k < j; k++) {
			const HpPlanStep *b = g_ptr_array_index(out, k);
			if (b->kind == HP_STEP_KIND_PROBE && hp_plan_step_same_device(b, s)) {
				g_ptr_array_steal_index(out, j);
				g_ptr_array_insert(out, (gint)k, s);
				break;
			}
		}
	}
	return out;
}
