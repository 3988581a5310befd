/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "hp-plan.h"

#include <string.h>

#include "hp-error.h"
#include "hp-host.h"

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
	g_free(dev->current_override);
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
	/* a plan refused half-way has some lists still empty */
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

/* A name from the host or the domain that a plan would write or run: only
 * what a kernel name can be (SPEC section 8), whatever validated it before. */
static gboolean
hp_plan_check_name(const gchar *what, const gchar *name, const HpPciAddress *addr, GError **error)
{
	gchar bdf[HP_PCI_ADDRESS_STRLEN];
	g_autofree gchar *shown = NULL;

	if (name == NULL || hp_host_name_is_valid(name))
		return TRUE;
	shown = hp_echo(name);
	g_set_error(error, HP_ERROR, HP_ERROR_INVALID_DATA,
		    "no plan: the %s of %s, '%s', is not a kernel driver or module name", what,
		    hp_pci_address_to_string(addr, bdf), shown);
	return FALSE;
}

/* driver_override as the kernel shows it: "(null)" when there is none. */
static gchar *
hp_plan_read_override(HpHostView *view, const HpPciAddress *addr)
{
	gchar bdf[HP_PCI_ADDRESS_STRLEN];
	g_autofree gchar *rel = g_strdup_printf("sys/bus/pci/devices/%s/driver_override",
					       hp_pci_address_to_string(addr, bdf));
	g_autofree gchar *line = hp_host_read_line(hp_host_view_get_host(view), rel, NULL);
	if (line == NULL || line[0] == '\0' || g_strcmp0(line, "(null)") == 0)
		return NULL;
	return g_steal_pointer(&line);
}

static void
hp_plan_add(GPtrArray *steps, HpStepKind kind, const HpPlanDevice *dev, const gchar *value, const gchar *previous,
	    const gchar *module)
{
	g_ptr_array_add(steps, hp_plan_step_new(kind, &dev->addr, value, previous, module));
}

/**
 * hp_plan_build:
 * @view: the target host
 * @domain: the domain, checked against @view
 * @findings: the findings of that check
 *
 * Every declared PCI function is in the plan, assigned or not: unassigned
 * functions are detached from the host too, that is why they are declared.
 * The release is derived from the prepare steps (hp_plan_steps_undo()).
 *
 * Returns: (transfer full) (nullable): the plan, or %NULL with @error when
 * @findings hold an error (the domain does not validate on this host) or a
 * name the plan would use is not a kernel name.
 */
HpPlan *
hp_plan_build(HpHostView *view, const HpDomain *domain, const HpDiagList *findings, GError **error)
{
	g_autoptr(HpPlan) plan = g_new0(HpPlan, 1);
	g_autoptr(GHashTable) seen = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
	g_autoptr(GHashTable) modprobed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	guint errors = findings != NULL ? hp_diag_list_count(findings, HP_SEVERITY_ERROR) : 0;

	g_return_val_if_fail(findings != NULL, NULL);
	if (errors > 0) {
		g_set_error(error, HP_ERROR, HP_ERROR_INVALID_DATA,
			    "no plan: the domain does not validate against this host (%u error%s)", errors,
			    errors == 1 ? "" : "s");
		return NULL;
	}
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
		dev->current_override = hp_plan_read_override(view, &hd->source);
		if (!hd->managed) {
			dev->selection = HP_SELECTION_UNMANAGED;
			dev->target_driver = g_strdup(dev->current_driver);
			dev->target_module = dev->current_driver != NULL ? hp_host_view_driver_module(view, dev->current_driver) : NULL;
			dev->driver_confirmed = TRUE;
			dev->why = g_strdup("managed='no': you bind it to its VFIO driver yourself; the plan only checks it is there");
		} else {
			hp_plan_choose(view, hd, pci, dev);
		}
		if (!hp_plan_check_name("driver", dev->current_driver, &dev->addr, error) ||
		    !hp_plan_check_name("driver_override", dev->current_override, &dev->addr, error) ||
		    !hp_plan_check_name("target driver", dev->target_driver, &dev->addr, error) ||
		    !hp_plan_check_name("target module", dev->target_module, &dev->addr, error))
			return NULL;
	}

	/* prepare, device by device */
	for (guint i = 0; i < plan->devices->len; i++) {
		HpPlanDevice *dev = g_ptr_array_index(plan->devices, i);
		const HpPciDevice *pci = hp_host_view_device(view, &dev->addr, NULL);
		gchar bdf[HP_PCI_ADDRESS_STRLEN];
		const gchar *module = dev->driver_confirmed ? NULL : dev->target_module;

		hp_pci_address_to_string(&dev->addr, bdf);
		if (dev->selection == HP_SELECTION_ALREADY_BOUND)
			continue;
		if (dev->selection == HP_SELECTION_UNMANAGED) {
			hp_plan_add(plan->prepare, HP_STEP_VERIFY, dev, dev->current_driver != NULL ? dev->current_driver : "",
				    NULL, NULL);
			continue;
		}
		if (module != NULL && g_hash_table_add(modprobed, g_strdup(module)))
			hp_plan_add(plan->prepare, HP_STEP_MODPROBE, dev, module, NULL, module);
		hp_plan_add(plan->prepare, HP_STEP_SET_OVERRIDE, dev, dev->target_driver,
			    dev->current_override != NULL ? dev->current_override : "", module);
		/* a driver link that cannot be read is still a driver to leave */
		if (dev->current_driver != NULL || (pci != NULL && pci->driver_unknown))
			hp_plan_add(plan->prepare, HP_STEP_UNBIND, dev, bdf,
				    dev->current_driver != NULL ? dev->current_driver : "", NULL);
		hp_plan_add(plan->prepare, HP_STEP_PROBE, dev, bdf, NULL, NULL);
		hp_plan_add(plan->prepare, HP_STEP_VERIFY, dev, dev->target_driver, NULL, module);
	}
	plan->release = hp_plan_steps_undo(plan->prepare);
	return g_steal_pointer(&plan);
}
