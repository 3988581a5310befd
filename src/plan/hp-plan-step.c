/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "hp-plan-step.h"

HpPlanStep *
hp_plan_step_new(HpStepKind kind, const HpPciAddress *device, const gchar *value, const gchar *previous,
		 const gchar *module)
{
	HpPlanStep *step = g_new0(HpPlanStep, 1);
	step->kind = kind;
	if (device != NULL) {
		step->has_device = TRUE;
		step->device = *device;
	}
	step->value = g_strdup(value);
	step->previous = g_strdup(previous);
	step->module = g_strdup(module);
	return step;
}

void
hp_plan_step_free(HpPlanStep *step)
{
	if (step == NULL)
		return;
	g_free(step->value);
	g_free(step->previous);
	g_free(step->module);
	g_free(step);
}

const gchar *
hp_step_kind_to_string(HpStepKind kind)
{
	static const gchar *names[] = {"modprobe", "set-override", "unbind", "probe", "verify", "restore-override"};
	return names[kind];
}

HpStepAction
hp_step_kind_action(HpStepKind kind)
{
	switch (kind) {
	case HP_STEP_MODPROBE:
		return HP_STEP_ACTION_MODPROBE;
	case HP_STEP_VERIFY:
		return HP_STEP_ACTION_VERIFY;
	case HP_STEP_SET_OVERRIDE:
	case HP_STEP_UNBIND:
	case HP_STEP_PROBE:
	case HP_STEP_RESTORE_OVERRIDE:
	default:
		return HP_STEP_ACTION_WRITE;
	}
}

const gchar *
hp_step_action_to_string(HpStepAction action)
{
	static const gchar *names[] = {"modprobe", "write", "verify"};
	return names[action];
}

/**
 * hp_plan_step_path:
 *
 * Returns: (transfer full) (nullable): the sysfs file the step writes or
 * reads on the target host (`/sys/...`); %NULL for MODPROBE.
 */
gchar *
hp_plan_step_path(const HpPlanStep *step)
{
	gchar bdf[HP_PCI_ADDRESS_STRLEN];

	if (step->kind == HP_STEP_MODPROBE || !step->has_device)
		return NULL;
	hp_pci_address_to_string(&step->device, bdf);
	switch (step->kind) {
	case HP_STEP_SET_OVERRIDE:
	case HP_STEP_RESTORE_OVERRIDE:
		return g_strdup_printf("/sys/bus/pci/devices/%s/driver_override", bdf);
	case HP_STEP_UNBIND:
		/* through the device's own driver link: right whatever the driver's name */
		return g_strdup_printf("/sys/bus/pci/devices/%s/driver/unbind", bdf);
	case HP_STEP_PROBE:
		return g_strdup("/sys/bus/pci/drivers_probe");
	case HP_STEP_VERIFY:
	default:
		return g_strdup_printf("/sys/bus/pci/devices/%s/driver", bdf);
	}
}

/**
 * hp_plan_step_describe:
 *
 * Returns: (transfer full): what the step does and why, for people.
 */
gchar *
hp_plan_step_describe(const HpPlanStep *step)
{
	switch (step->kind) {
	case HP_STEP_MODPROBE:
		return g_strdup_printf("load module %s", step->value);
	case HP_STEP_SET_OVERRIDE:
		return g_strdup_printf("set driver_override to %s (it was %s): only that driver may take the device",
				       step->value, step->previous[0] != '\0' ? step->previous : "none");
	case HP_STEP_UNBIND:
		return g_strdup_printf("unbind it from %s", step->previous[0] != '\0' ? step->previous : "its driver");
	case HP_STEP_PROBE:
		return g_strdup("let the kernel bind it (drivers_probe)");
	case HP_STEP_VERIFY:
		return step->value[0] != '\0' ? g_strdup_printf("check it is bound to %s", step->value)
					      : g_strdup("check it has no driver");
	case HP_STEP_RESTORE_OVERRIDE:
	default:
		return step->value[0] != '\0'
			   ? g_strdup_printf("write driver_override back to %s, as it was", step->value)
			   : g_strdup("clear driver_override, as it was");
	}
}

/* The order undos run in, per device: the override goes back before the
 * device leaves the VFIO driver, so that the probe after it binds the
 * device's own driver and not the VFIO one again. */
static guint
hp_undo_rank(HpStepKind kind)
{
	switch (kind) {
	case HP_STEP_RESTORE_OVERRIDE:
		return 0;
	case HP_STEP_UNBIND:
		return 1;
	case HP_STEP_PROBE:
		return 2;
	case HP_STEP_VERIFY:
	default:
		return 3;
	}
}

static gint
hp_undo_cmp(gconstpointer a, gconstpointer b)
{
	const HpPlanStep *sa = *(HpPlanStep *const *)a;
	const HpPlanStep *sb = *(HpPlanStep *const *)b;
	return (gint)hp_undo_rank(sa->kind) - (gint)hp_undo_rank(sb->kind);
}

/* The undo of one prepare step, appended to @out (none for some kinds). */
static void
hp_plan_step_undo(const HpPlanStep *step, const gchar *target, GPtrArray *out)
{
	switch (step->kind) {
	case HP_STEP_SET_OVERRIDE:
		g_ptr_array_add(out, hp_plan_step_new(HP_STEP_RESTORE_OVERRIDE, &step->device, step->previous,
						      step->value, NULL));
		break;
	case HP_STEP_PROBE:
		/* it bound the VFIO driver: the device leaves it */
		g_ptr_array_add(out, hp_plan_step_new(HP_STEP_UNBIND, &step->device, step->value, target, step->module));
		break;
	case HP_STEP_UNBIND:
		/* it left its driver: the kernel binds it again, and it is checked */
		g_ptr_array_add(out, hp_plan_step_new(HP_STEP_PROBE, &step->device, step->value, NULL, NULL));
		g_ptr_array_add(out, hp_plan_step_new(HP_STEP_VERIFY, &step->device, step->previous, NULL, NULL));
		break;
	case HP_STEP_MODPROBE: /* never unloaded: another domain may use it */
	case HP_STEP_VERIFY:
	case HP_STEP_RESTORE_OVERRIDE:
	default:
		break;
	}
}

/**
 * hp_plan_steps_undo:
 * @prepare: (element-type HpPlanStep): the prepare steps
 *
 * The release: every prepare step's undo, device by device in reverse order,
 * each device's undos in the order that gives it back (override, unbind,
 * probe, verify). A device that had no driver gets a verify that it has
 * none again.
 *
 * Returns: (transfer full) (element-type HpPlanStep): the release steps.
 */
GPtrArray *
hp_plan_steps_undo(GPtrArray *prepare)
{
	GPtrArray *release = g_ptr_array_new_with_free_func((GDestroyNotify)hp_plan_step_free);
	g_autoptr(GPtrArray) order = g_ptr_array_new(); /* devices, first seen first */
	g_autoptr(GHashTable) seen = g_hash_table_new(g_direct_hash, g_direct_equal);

	for (guint i = 0; i < prepare->len; i++) {
		const HpPlanStep *s = g_ptr_array_index(prepare, i);
		gpointer key = GSIZE_TO_POINTER(hp_pci_address_key(&s->device) + 1);
		if (s->has_device && s->kind != HP_STEP_MODPROBE && g_hash_table_add(seen, key))
			g_ptr_array_add(order, (gpointer)s);
	}
	for (guint d = order->len; d > 0; d--) {
		const HpPlanStep *first = g_ptr_array_index(order, d - 1);
		g_autoptr(GPtrArray) undo = g_ptr_array_new_with_free_func((GDestroyNotify)hp_plan_step_free);
		const gchar *target = NULL;
		gboolean unbound = FALSE, touched = FALSE;

		for (guint i = 0; i < prepare->len; i++) {
			const HpPlanStep *s = g_ptr_array_index(prepare, i);
			if (!s->has_device || !hp_pci_address_equal(&s->device, &first->device))
				continue;
			if (s->kind == HP_STEP_SET_OVERRIDE)
				target = s->value;
			if (s->kind == HP_STEP_UNBIND)
				unbound = TRUE;
			if (s->kind != HP_STEP_VERIFY)
				touched = TRUE;
		}
		if (!touched)
			continue; /* verified only (managed='no'): nothing to give back */
		for (guint i = 0; i < prepare->len; i++) {
			const HpPlanStep *s = g_ptr_array_index(prepare, i);
			if (s->has_device && hp_pci_address_equal(&s->device, &first->device))
				hp_plan_step_undo(s, target, undo);
		}
		if (!unbound) { /* it had no driver: after the VFIO driver leaves it, it has none */
			g_ptr_array_add(undo, hp_plan_step_new(HP_STEP_VERIFY, &first->device, "", NULL, NULL));
		}
		g_ptr_array_sort(undo, hp_undo_cmp);
		while (undo->len > 0)
			g_ptr_array_add(release, g_ptr_array_steal_index(undo, 0));
	}
	return release;
}
