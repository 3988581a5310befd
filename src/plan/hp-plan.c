/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "hp-plan.h"

#include <string.h>

const gchar *
hp_selection_to_string(HpSelection selection)
{
	static const gchar *names[] = {"generic", "variant", "explicit", "already-bound", "unmanaged"};
	return names[selection];
}

const gchar *
hp_step_action_to_string(HpStepAction action)
{
	static const gchar *names[] = {"modprobe", "write", "verify"};
	return names[action];
}

static void
hp_plan_step_free(gpointer data)
{
	HpPlanStep *step = data;
	g_free(step->path);
	g_free(step->value);
	g_free(step->module);
	g_free(step->comment);
	g_free(step);
}

static void
hp_plan_device_free(gpointer data)
{
	HpPlanDevice *dev = data;
	g_free(dev->current_driver);
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
	g_ptr_array_unref(plan->devices);
	g_ptr_array_unref(plan->prepare);
	g_ptr_array_unref(plan->release);
	g_free(plan);
}

static HpPlanStep *
hp_plan_add(GPtrArray *steps, HpStepAction action, const HpPlanDevice *dev, const gchar *path, const gchar *value,
	    const gchar *module, const gchar *comment)
{
	HpPlanStep *step = g_new0(HpPlanStep, 1);
	step->action = action;
	if (dev != NULL) {
		step->has_device = TRUE;
		step->device = dev->addr;
	}
	step->path = g_strdup(path);
	step->value = g_strdup(value);
	step->module = g_strdup(module);
	step->comment = g_strdup(comment);
	g_ptr_array_add(steps, step);
	return step;
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

/**
 * hp_plan_build:
 * @view: the target host
 * @domain: a domain that validates against @view
 *
 * Every declared PCI function is in the plan, assigned or not: unassigned
 * functions are detached from the host too, that is why they are declared.
 *
 * Returns: (transfer full): the plan.
 */
HpPlan *
hp_plan_build(HpHostView *view, const HpDomain *domain)
{
	HpPlan *plan = g_new0(HpPlan, 1);
	g_autoptr(GHashTable) seen = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
	g_autoptr(GHashTable) modprobed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

	plan->domain = g_strdup(domain->name);
	plan->devices = g_ptr_array_new_with_free_func(hp_plan_device_free);
	plan->prepare = g_ptr_array_new_with_free_func(hp_plan_step_free);
	plan->release = g_ptr_array_new_with_free_func(hp_plan_step_free);

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
		dev->addr = hd->source;
		dev->assigned = hd->assigned;
		dev->managed = hd->managed;
		dev->iommu_group = pci != NULL ? pci->iommu_group : -1;
		dev->current_driver = pci != NULL ? g_strdup(pci->driver) : NULL;
		if (!hd->managed) {
			dev->selection = HP_SELECTION_UNMANAGED;
			dev->target_driver = g_strdup(dev->current_driver);
			dev->target_module = dev->current_driver != NULL ? hp_host_view_driver_module(view, dev->current_driver) : NULL;
			dev->driver_confirmed = TRUE;
			dev->why = g_strdup("managed='no': you bind it to its VFIO driver yourself; the plan only checks it is there");
		} else {
			hp_plan_choose(view, hd, pci, dev);
		}
		g_ptr_array_add(plan->devices, dev);
	}

	/* prepare, device by device */
	for (guint i = 0; i < plan->devices->len; i++) {
		HpPlanDevice *dev = g_ptr_array_index(plan->devices, i);
		gchar bdf[HP_PCI_ADDRESS_STRLEN];
		g_autofree gchar *override = NULL;
		g_autofree gchar *link = NULL;
		const gchar *module = dev->driver_confirmed ? NULL : dev->target_module;

		hp_pci_address_to_string(&dev->addr, bdf);
		override = g_strdup_printf("/sys/bus/pci/devices/%s/driver_override", bdf);
		link = g_strdup_printf("/sys/bus/pci/devices/%s/driver", bdf);
		if (dev->selection == HP_SELECTION_ALREADY_BOUND)
			continue;
		if (dev->selection == HP_SELECTION_UNMANAGED) {
			hp_plan_add(plan->prepare, HP_STEP_VERIFY, dev, link, dev->current_driver != NULL ? dev->current_driver : "",
				    NULL, "managed='no': it must already be on its VFIO driver");
			continue;
		}
		if (module != NULL && g_hash_table_add(modprobed, g_strdup(module)))
			hp_plan_add(plan->prepare, HP_STEP_MODPROBE, dev, NULL, NULL, module, "load the driver's module");
		hp_plan_add(plan->prepare, HP_STEP_WRITE, dev, override, dev->target_driver, module,
			    "only this driver may take the device from now on");
		if (dev->current_driver != NULL) {
			g_autofree gchar *unbind = g_strdup_printf("/sys/bus/pci/drivers/%s/unbind", dev->current_driver);
			hp_plan_add(plan->prepare, HP_STEP_WRITE, dev, unbind, bdf, NULL, "take it from its current driver");
		}
		hp_plan_add(plan->prepare, HP_STEP_WRITE, dev, "/sys/bus/pci/drivers_probe", bdf, NULL,
			    "let the kernel bind it again, now to the override");
		hp_plan_add(plan->prepare, HP_STEP_VERIFY, dev, link, dev->target_driver, module, "check the binding");
	}

	/* release: the reverse, last device first */
	for (guint i = plan->devices->len; i > 0; i--) {
		HpPlanDevice *dev = g_ptr_array_index(plan->devices, i - 1);
		gchar bdf[HP_PCI_ADDRESS_STRLEN];
		g_autofree gchar *override = NULL;
		g_autofree gchar *unbind = NULL;
		g_autofree gchar *link = NULL;
		const gchar *module = dev->driver_confirmed ? NULL : dev->target_module;

		if (dev->selection == HP_SELECTION_ALREADY_BOUND || dev->selection == HP_SELECTION_UNMANAGED)
			continue;
		hp_pci_address_to_string(&dev->addr, bdf);
		override = g_strdup_printf("/sys/bus/pci/devices/%s/driver_override", bdf);
		unbind = g_strdup_printf("/sys/bus/pci/drivers/%s/unbind", dev->target_driver);
		link = g_strdup_printf("/sys/bus/pci/devices/%s/driver", bdf);
		hp_plan_add(plan->release, HP_STEP_WRITE, dev, override, "", NULL, "clear the override");
		hp_plan_add(plan->release, HP_STEP_WRITE, dev, unbind, bdf, module, "take it from the VFIO driver");
		hp_plan_add(plan->release, HP_STEP_WRITE, dev, "/sys/bus/pci/drivers_probe", bdf, NULL,
			    "let the kernel bind its own driver again");
		hp_plan_add(plan->release, HP_STEP_VERIFY, dev, link, dev->current_driver != NULL ? dev->current_driver : "",
			    NULL, dev->current_driver != NULL ? "check its driver is back" : "it had no driver before");
	}
	return plan;
}
