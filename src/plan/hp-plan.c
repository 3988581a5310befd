/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "hp-plan.h"

#include <string.h>

#include "hp-error.h"

const gchar *
hp_selection_to_string(HpSelection selection)
{
	static const gchar *names[] = {"generic", "variant", "explicit", "already-bound", "unmanaged"};
	return names[selection];
}

static void
hp_plan_device_free(gpointer data)
{
	HpPlanDevice *dev = data;
	g_free(dev->current_driver);
	g_free(dev->driver_override);
	g_free(dev->target_driver);
	g_free(dev->target_module);
	g_free(dev->why);
	g_free(dev);
}

void
hp_plan_free(HpPlan *plan)
{
	if (plan == NULL)
		return;
	g_free(plan->domain);
	g_clear_pointer(&plan->devices, g_ptr_array_unref);
	g_clear_pointer(&plan->prepare, g_ptr_array_unref);
	g_clear_pointer(&plan->release, g_ptr_array_unref);
	g_free(plan);
}

/* The driver a managed device goes to, and why. */
static void
hp_plan_choose(HpHostView *view, const HpHostdev *hd, const HpPciDevice *pci, HpPlanDevice *dev)
{
	const gchar *name = NULL;
	gboolean loaded = FALSE;

	if (hd->driver_model != NULL) {
		dev->selection = HP_SELECTION_EXPLICIT;
		name = hd->driver_model;
		dev->why = g_strdup_printf("<driver model='%s'/> in the domain", hd->driver_model);
	} else {
		const HpModAlias *ma = hp_host_view_modalias(view, NULL);
		const HpVfioAlias *alias = ma != NULL && pci != NULL ? hp_modalias_match_vfio(ma, pci->modalias) : NULL;
		if (alias != NULL && g_strcmp0(alias->module, "vfio_pci") != 0) {
			dev->selection = HP_SELECTION_VARIANT;
			name = alias->module;
			dev->why = g_strdup_printf("modules.alias line %u (alias vfio_pci:v%sd%ssv%ssd%sbc%ssc%si%s %s) is the most specific match for its modalias",
						   alias->line, alias->fields[0], alias->fields[1], alias->fields[2],
						   alias->fields[3], alias->fields[4], alias->fields[5], alias->fields[6],
						   alias->module);
		} else {
			dev->selection = HP_SELECTION_GENERIC;
			name = "vfio_pci";
			dev->why = g_strdup(ma == NULL ? "there is no modules.alias to find a variant driver in"
						       : "no variant driver's vfio_pci: alias in modules.alias matches its modalias");
		}
	}
	if (!hp_host_view_resolve_driver(view, name, &dev->target_driver, &dev->target_module, &loaded)) {
		/* validate has said variant-driver-unknown; plan what was asked */
		dev->target_driver = g_strdup(name);
		dev->target_module = hp_modalias_module_name(name);
		loaded = FALSE;
	}
	dev->driver_confirmed = loaded;
	if (g_strcmp0(dev->current_driver, dev->target_driver) == 0 && loaded) {
		g_autofree gchar *was = g_steal_pointer(&dev->why);
		dev->selection = HP_SELECTION_ALREADY_BOUND;
		dev->why = g_strdup_printf("it is on %s already (%s)", dev->target_driver, was);
	}
}

/*
 * SHIM until host/ gives HpPciDevice a `driver_unknown` field (the host
 * engineer is adding it): a driver link that is present but cannot be
 * resolved leaves `driver` NULL and records a "driver" problem.
 */
static gboolean
hp_plan_driver_unknown(const HpPciDevice *pci)
{
	return pci != NULL && pci->driver == NULL && pci->problems != NULL &&
	       g_hash_table_contains(pci->problems, "driver");
}

/* The device's driver_override before the plan ("" none: the kernel shows
 * "(null)"); a missing file (a kernel before 3.16, a partial copy) is none. */
static gboolean
hp_plan_read_override(HpHostView *view, const HpPlanDevice *dev, gchar **ret_override, GError **error)
{
	g_autofree gchar *rel = hp_pci_device_rel(&dev->addr, "driver_override");
	g_autoptr(GError) local = NULL;
	g_autofree gchar *line = hp_host_read_line(hp_host_view_get_host(view), rel, &local);
	gchar bdf[HP_PCI_ADDRESS_STRLEN];

	hp_pci_address_to_string(&dev->addr, bdf);
	if (line == NULL && !g_error_matches(local, HP_ERROR, HP_ERROR_NOT_FOUND)) {
		g_autofree gchar *why = hp_echo(local->message);
		g_set_error(error, HP_ERROR, HP_ERROR_INVALID_DATA,
			    "%s: cannot read its driver_override (%s), so its release could not write it back: no plan",
			    bdf, why);
		return FALSE;
	}
	if (line == NULL || line[0] == '\0' || g_strcmp0(line, "(null)") == 0) {
		*ret_override = g_strdup("");
		return TRUE;
	}
	if (!hp_kernel_name_valid(line)) {
		g_autofree gchar *shown = hp_echo(line);
		g_set_error(error, HP_ERROR, HP_ERROR_INVALID_DATA,
			    "%s: its driver_override holds '%s', which is no driver name ([A-Za-z0-9_.-], at most 64): no plan",
			    bdf, shown);
		return FALSE;
	}
	*ret_override = g_steal_pointer(&line);
	return TRUE;
}

/* Every name that goes into a path or a script is a kernel name (SPEC
 * section 8), whatever the checks before said. */
static gboolean
hp_plan_device_names_valid(const HpPlanDevice *dev, GError **error)
{
	const gchar *names[] = {dev->current_driver, dev->target_driver, dev->target_module};
	const gchar *what[] = {"its current driver", "its target driver", "its target module"};

	for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
		if (names[i] != NULL && !hp_kernel_name_valid(names[i])) {
			gchar bdf[HP_PCI_ADDRESS_STRLEN];
			g_autofree gchar *shown = hp_echo(names[i]);
			g_set_error(error, HP_ERROR, HP_ERROR_INVALID_DATA,
				    "%s: %s '%s' is no kernel name ([A-Za-z0-9_.-], at most 64 characters): no plan",
				    hp_pci_address_to_string(&dev->addr, bdf), what[i], shown);
			return FALSE;
		}
	}
	return TRUE;
}

static HpPlanStep *
hp_plan_add(HpPlan *plan, HpStepKind kind, const HpPlanDevice *dev, const gchar *driver, const gchar *previous,
	    const gchar *pending_module)
{
	HpPlanStep *step = hp_plan_step_new(kind, &dev->addr, driver, previous,
					    kind == HP_STEP_KIND_PROBE ? HP_STEP_BIND_PROBE : HP_STEP_BIND_NONE);
	if (pending_module != NULL && kind != HP_STEP_KIND_MODPROBE)
		hp_plan_step_set_pending(step, pending_module);
	step->origin = plan->prepare->len;
	g_ptr_array_add(plan->prepare, step);
	return step;
}

/* Prepare, per device (SPEC section 7): load the module if needed, write
 * the override, unbind, probe, verify. */
static void
hp_plan_prepare_device(HpPlan *plan, const HpPlanDevice *dev, GHashTable *modprobed)
{
	const gchar *pending = dev->driver_confirmed ? NULL : dev->target_module;

	if (dev->selection == HP_SELECTION_ALREADY_BOUND)
		return;
	if (dev->selection == HP_SELECTION_UNMANAGED) {
		HpPlanStep *s = hp_plan_add(plan, HP_STEP_KIND_VERIFY, dev,
					    dev->current_driver != NULL ? dev->current_driver : "", NULL, NULL);
		g_free(s->comment);
		s->comment = g_strdup_printf("managed='no': check it is already on its VFIO driver, %s",
					     dev->current_driver != NULL ? dev->current_driver : "(none)");
		return;
	}
	if (pending != NULL && g_hash_table_add(modprobed, g_strdup(pending)))
		hp_plan_add(plan, HP_STEP_KIND_MODPROBE, dev, pending, NULL, NULL);
	hp_plan_add(plan, HP_STEP_KIND_SET_OVERRIDE, dev, dev->target_driver, dev->driver_override, pending);
	if (dev->current_driver != NULL || dev->driver_unknown)
		hp_plan_add(plan, HP_STEP_KIND_UNBIND, dev, dev->current_driver, dev->current_driver, NULL);
	hp_plan_add(plan, HP_STEP_KIND_PROBE, dev, dev->target_driver, "", pending);
	hp_plan_add(plan, HP_STEP_KIND_VERIFY, dev, dev->target_driver, NULL, pending);
}

/**
 * hp_plan_build:
 * @view: the target host
 * @domain: the domain
 * @findings: what checking @domain against @view found
 * @error: return location for a #GError
 *
 * Every declared PCI function is in the plan, assigned or not: unassigned
 * functions are detached from the host too, that is why they are declared.
 * The release is derived from the prepare steps (hp_plan_steps_undo()).
 *
 * Returns: (transfer full) (nullable): the plan; %NULL with an HP_ERROR
 * when @findings hold an error (a domain that does not validate on that
 * host gets no plan), or when a name from the host or the domain that would
 * go into a path or a script is no kernel name.
 */
HpPlan *
hp_plan_build(HpHostView *view, const HpDomain *domain, const HpDiagList *findings, GError **error)
{
	g_autoptr(HpPlan) plan = NULL;
	g_autoptr(GHashTable) seen = NULL;
	g_autoptr(GHashTable) modprobed = NULL;
	guint errors;

	g_return_val_if_fail(view != NULL && domain != NULL && findings != NULL, NULL);
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);

	errors = hp_diag_list_count(findings, HP_SEVERITY_ERROR);
	if (errors > 0) {
		g_autofree gchar *name = hp_echo(domain->name != NULL ? domain->name : "");
		g_set_error(error, HP_ERROR, HP_ERROR_INVALID_DATA,
			    "domain '%s' has %u error%s on this host: no plan; fix what validate reports first", name,
			    errors, errors == 1 ? "" : "s");
		return NULL;
	}

	plan = g_new0(HpPlan, 1);
	seen = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
	modprobed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	plan->domain = g_strdup(domain->name);
	plan->devices = g_ptr_array_new_with_free_func(hp_plan_device_free);
	plan->prepare = g_ptr_array_new_with_free_func((GDestroyNotify)hp_plan_step_free);

	for (guint i = 0; i < domain->hostdevs->len; i++) {
		const HpHostdev *hd = g_ptr_array_index(domain->hostdevs, i);
		gint64 key = (gint64)hp_pci_address_key(&hd->source);
		const HpPciDevice *pci;
		HpPlanDevice *dev;

		if (!hd->source_valid || hd->source_node == NULL || g_hash_table_contains(seen, &key))
			continue;
		g_hash_table_add(seen, g_memdup2(&key, sizeof(key)));
		pci = hp_host_view_device(view, &hd->source, NULL);
		dev = g_new0(HpPlanDevice, 1);
		g_ptr_array_add(plan->devices, dev);
		dev->addr = hd->source;
		dev->assigned = hd->assigned;
		dev->managed = hd->managed;
		dev->iommu_group = pci != NULL ? pci->iommu_group : -1;
		dev->current_driver = pci != NULL ? g_strdup(pci->driver) : NULL;
		dev->driver_unknown = hp_plan_driver_unknown(pci);
		if (!hd->managed) {
			dev->selection = HP_SELECTION_UNMANAGED;
			dev->target_driver = g_strdup(dev->current_driver);
			dev->target_module = dev->current_driver != NULL && hp_kernel_name_valid(dev->current_driver)
						     ? hp_host_view_driver_module(view, dev->current_driver)
						     : NULL;
			dev->driver_confirmed = TRUE;
			dev->why = g_strdup("managed='no': you bind it to its VFIO driver yourself; the plan only checks it is there");
		} else {
			hp_plan_choose(view, hd, pci, dev);
		}
		if (!hp_plan_device_names_valid(dev, error) ||
		    !hp_plan_read_override(view, dev, &dev->driver_override, error))
			return NULL;
	}

	for (guint i = 0; i < plan->devices->len; i++)
		hp_plan_prepare_device(plan, g_ptr_array_index(plan->devices, i), modprobed);
	plan->release = hp_plan_steps_undo(plan->prepare, plan->prepare->len);
	return g_steal_pointer(&plan);
}
