/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "hp-host-rules.h"

#include <libxml/tree.h>

#include "hp-error.h"

/* The rules that check a domain against the host it will run on. */

typedef struct {
	HpHostView *view;
	const HpDocument *hdoc;
	const HpDomain *domain;
	HpDiagList *diags;
	GHashTable *declared; /* address key -> HpHostdev, first claim */
	GHashTable *missing;  /* address keys reported as multifunction-incomplete */
	GHashTable *slot_first; /* slot key (function 0) -> the first declared function of the slot */
	gboolean wants_modalias;
} HpHostCheck;


static const HpHostdev *
hp_declared(HpHostCheck *hc, const HpPciAddress *addr)
{
	gint64 key = (gint64)hp_pci_address_key(addr);
	return g_hash_table_lookup(hc->declared, &key);
}

static gint64
hp_slot_key(const HpPciAddress *addr)
{
	HpPciAddress slot = *addr;
	slot.function = 0;
	return (gint64)hp_pci_address_key(&slot);
}

/* The first declared function of @addr's slot: one hash lookup, so the
 * rules stay linear in the number of declared devices. */
static const HpHostdev *
hp_slot_first(HpHostCheck *hc, const HpPciAddress *addr)
{
	gint64 key = hp_slot_key(addr);
	return g_hash_table_lookup(hc->slot_first, &key);
}

/* " (host tree: …)" when the file a finding rests on had a problem */
static gchar *
hp_problems_note(const HpPciDevice *dev, const gchar *attr)
{
	const gchar *problem = dev != NULL ? g_hash_table_lookup(dev->problems, attr) : NULL;
	return problem != NULL ? g_strdup_printf(" (host tree: %s)", problem) : g_strdup("");
}

static void
hp_check_driver_vfio(HpHostCheck *hc, const HpHostdev *hd, const HpPciDevice *dev)
{
	g_autofree gchar *desc = hp_host_view_describe(hc->view, dev);
	g_autofree gchar *note = hp_problems_note(dev, "driver");
	HpVfioClass cls = hp_host_view_classify(hc->view, dev);

	if (dev->driver != NULL && g_strcmp0(dev->driver, "vfio-pci") != 0 && !dev->has_vfio_dev)
		hc->wants_modalias = TRUE;
	if (dev->driver_unknown) {
		hp_diag_list_add(hc->diags, HP_RULE_MANAGED_NO_NOT_BOUND, &hd->span, &dev->addr,
				 "%s is managed='no', but its driver cannot be read%s, so it is not known to be on a VFIO driver; fix the host tree, or check on the host that it is bound to vfio-pci (or its variant driver), or set managed='yes'",
				 desc, note);
	} else if (cls == HP_VFIO_NO) {
		hp_diag_list_add(hc->diags, HP_RULE_MANAGED_NO_NOT_BOUND, &hd->span, &dev->addr,
				 "%s is managed='no' but %s a VFIO driver%s; bind it to vfio-pci (or its variant driver) before the domain starts, e.g. driverctl set-override %s vfio-pci, or set managed='yes'",
				 desc, dev->driver != NULL ? "is not bound to" : "has no driver, not even", note, dev->bdf);
	} else if (cls == HP_VFIO_BY_NAME) {
		hp_diag_list_add(hc->diags, HP_RULE_VFIO_DRIVER_BY_NAME, &hd->span, &dev->addr,
				 "%s is taken to be on a VFIO driver only because the name '%s' contains \"vfio\": it has no vfio-dev/ and its module has no vfio_pci: aliases in modules.alias; check that %s really is a VFIO driver",
				 desc, dev->driver, dev->driver);
	}
}

/* What a check assumes when a device's host file is garbled. */
static const gchar *
hp_assumed(const gchar *attr)
{
	static const struct {
		const gchar *attr, *assumed;
	} table[] = {
	    {"driver", "its driver is taken as unknown: not a VFIO driver, and one that breaks its IOMMU group's viability"},
	    {"iommu_group", "its IOMMU group is taken as unknown"},
	    {"physfn", "it is taken as a function of its slot, not an SR-IOV VF"},
	    {"config", "whether its slot is multifunction is judged from the functions present"},
	    {"modalias", "no variant driver is chosen by its modalias"},
	    {"vendor", "its IDs are taken as unknown"},
	    {"device", "its IDs are taken as unknown"},
	};
	for (guint i = 0; i < G_N_ELEMENTS(table); i++) {
		if (g_strcmp0(table[i].attr, attr) == 0)
			return table[i].assumed;
	}
	return "the checks go on without it";
}

/* host-file-malformed for each garbled file of a declared device, in the
 * order of their names */
static void
hp_check_device_files(HpHostCheck *hc, const HpHostdev *hd, const HpPciDevice *dev)
{
	g_autoptr(GList) attrs = g_list_sort(g_hash_table_get_keys(dev->problems), (GCompareFunc)g_strcmp0);
	for (GList *l = attrs; l != NULL; l = l->next) {
		g_autofree gchar *rel = hp_pci_device_rel(&dev->addr, l->data);
		hp_diag_list_add(hc->diags, HP_RULE_HOST_FILE_MALFORMED, &hd->source_span, &dev->addr,
				 "host file %s: %s; %s; fix the host tree (or capture it again)", rel,
				 (const gchar *)g_hash_table_lookup(dev->problems, l->data), hp_assumed(l->data));
	}
}

static void
hp_check_device(HpHostCheck *hc, const HpHostdev *hd)
{
	const GError *error = NULL;
	const HpPciDevice *dev = hp_host_view_device(hc->view, &hd->source, &error);
	gchar bdf[HP_PCI_ADDRESS_STRLEN];

	hp_pci_address_to_string(&hd->source, bdf);
	if (dev == NULL) {
		if (g_error_matches(error, HP_ERROR, HP_ERROR_NOT_FOUND))
			hp_diag_list_add(hc->diags, HP_RULE_HOST_DEVICE_NOT_FOUND, &hd->source_span, &hd->source,
					 "host PCI device %s does not exist on this host (no %s/sys/bus/pci/devices/%s); check the address with 'lspci -D', or remove this <%s>",
					 bdf, g_strcmp0(hp_host_get_root(hp_host_view_get_host(hc->view)), "/") == 0 ? "" : hp_host_get_root(hp_host_view_get_host(hc->view)),
					 bdf, hp_hostdev_element_name(hd));
		else
			hp_diag_list_add(hc->diags, HP_RULE_HOST_DEVICE_NOT_FOUND, &hd->source_span, &hd->source,
					 "host PCI device %s cannot be read: %s; fix the host tree, or remove this <%s>",
					 bdf, error != NULL ? error->message : "unknown error", hp_hostdev_element_name(hd));
		return;
	}
	hp_check_device_files(hc, hd, dev);
	if (dev->group_unknown) {
		g_autofree gchar *desc = hp_host_view_describe(hc->view, dev);
		g_autofree gchar *note = hp_problems_note(dev, "iommu_group");
		hp_diag_list_add(hc->diags, HP_RULE_IOMMU_MISSING, &hd->span, &hd->source,
				 "%s has an iommu_group link that cannot be resolved%s, so its IOMMU group is unknown and VFIO's view of it cannot be checked; fix the host tree (or check on the host itself)",
				 desc, note);
	} else if (dev->iommu_group < 0) {
		g_autofree gchar *desc = hp_host_view_describe(hc->view, dev);
		g_autofree gchar *note = hp_problems_note(dev, "iommu_group");
		hp_diag_list_add(hc->diags, HP_RULE_IOMMU_MISSING, &hd->span, &hd->source,
				 "%s has no IOMMU group%s, so VFIO cannot assign it: the IOMMU is off or unsupported; enable VT-d/AMD-Vi in the firmware and boot with intel_iommu=on (Intel) or amd_iommu=on (AMD)",
				 desc, note);
	}
	if (!hd->managed)
		hp_check_driver_vfio(hc, hd, dev);
	else if (hd->driver_model == NULL)
		hc->wants_modalias = TRUE; /* the plan chooses a variant driver for it */
	if (hd->driver_model != NULL && !hp_host_view_has_driver_or_module(hc->view, hd->driver_model)) {
		hc->wants_modalias = TRUE;
		hp_diag_list_add(hc->diags, HP_RULE_VARIANT_DRIVER_UNKNOWN, &hd->model_span, &hd->source,
				 "<driver model='%s'/> of %s names no PCI driver (sys/bus/pci/drivers) and no module (sys/module, modules.alias) this host has; install the module, fix the name, or remove model= to let the host's modules.alias choose",
				 hd->driver_model, bdf);
	}
}

/* Functions of the host slot of @hd that are not SR-IOV VFs. */
static void
hp_check_slot(HpHostCheck *hc, const HpHostdev *hd)
{
	const HpPciDevice *self = hp_host_view_device(hc->view, &hd->source, NULL);
	const HpPciDevice *fn0;
	g_autoptr(GPtrArray) siblings = g_ptr_array_new();
	HpPciAddress a = hd->source;
	gboolean multifunction = FALSE, known = FALSE;
	g_autofree gchar *config_note = NULL;

	if (self == NULL)
		return;
	for (guint f = 0; f < 8; f++) {
		const HpPciDevice *sib;
		a.function = f;
		sib = hp_host_view_device(hc->view, &a, NULL);
		if (sib != NULL && !sib->is_vf)
			g_ptr_array_add(siblings, (gpointer)sib);
	}
	a.function = 0;
	fn0 = hp_host_view_device(hc->view, &a, NULL);
	if (self->is_vf)
		multifunction = FALSE; /* an SR-IOV VF is never part of a multifunction device */
	else if (fn0 != NULL && !fn0->is_vf)
		multifunction = hp_pci_device_multifunction_bit(fn0, &known);
	if (self->is_vf)
		known = TRUE;
	if (!known)
		multifunction = siblings->len > 1; /* no config space to read: count the functions */

	if (!multifunction) {
		if (hd->assigned_attr || hd->unassigned_address) {
			g_autofree gchar *desc = hp_host_view_describe(hc->view, self);
			hp_diag_list_add(hc->diags, HP_RULE_ASSIGNED_NOT_MULTIFUNCTION, &hd->span, &hd->source,
					 "%s uses %s, which is only for multifunction devices, but it is %s; remove %s (to keep it from the guest, remove the whole <hostdev>)",
					 desc, hd->assigned_attr ? "the assigned attribute" : "<address type='unassigned'/>",
					 self->is_vf ? "an SR-IOV virtual function" : "a single-function device",
					 hd->assigned_attr ? "assigned=" : "<address type='unassigned'/>");
		}
		return;
	}
	config_note = hp_problems_note(fn0, "config");
	/* report each missing function once, at the first declared function of the slot */
	if (hp_slot_first(hc, &hd->source) != hd)
		return;
	for (guint i = 0; i < siblings->len; i++) {
		const HpPciDevice *sib = g_ptr_array_index(siblings, i);
		g_autofree gchar *desc = NULL;
		if (hp_declared(hc, &sib->addr) != NULL)
			continue;
		desc = hp_host_view_describe(hc->view, sib);
		g_hash_table_add(hc->missing, g_memdup2(&(gint64){(gint64)hp_pci_address_key(&sib->addr)}, sizeof(gint64)));
		if (known)
			hp_diag_list_add(hc->diags, HP_RULE_MULTIFUNCTION_INCOMPLETE, &hd->span, &sib->addr,
					 "host device %04x:%02x:%02x is multifunction and its function %s is not declared; VFIO takes the whole device, so declare %s with assigned='no', or assign it",
					 sib->addr.domain, sib->addr.bus, sib->addr.slot, desc, sib->bdf);
		else
			hp_diag_list_add(hc->diags, HP_RULE_MULTIFUNCTION_INCOMPLETE, &hd->span, &sib->addr,
					 "host device %04x:%02x:%02x counts as multifunction (the config of its function 0 cannot be read%s, and the slot has %u functions that are not SR-IOV VFs) and its function %s is not declared; declare %s with assigned='no', or assign it (if these are VFs whose physfn links are missing from the tree, check on the host itself)",
					 sib->addr.domain, sib->addr.bus, sib->addr.slot, config_note, siblings->len, desc, sib->bdf);
	}
}

static void
hp_check_group(HpHostCheck *hc, const HpHostdev *hd, GHashTable *groups_done)
{
	const HpPciDevice *dev = hp_host_view_device(hc->view, &hd->source, NULL);
	g_autoptr(GArray) members = NULL;

	if (dev == NULL || dev->iommu_group < 0 || !g_hash_table_add(groups_done, GINT_TO_POINTER(dev->iommu_group)))
		return;
	members = hp_host_view_group_members(hc->view, dev->iommu_group);
	for (guint i = 0; i < members->len; i++) {
		const HpPciAddress *addr = &g_array_index(members, HpPciAddress, i);
		const HpPciDevice *m;
		g_autofree gchar *desc = NULL;
		g_autofree gchar *note = NULL;
		HpVfioClass cls;

		gint64 key = (gint64)hp_pci_address_key(addr);
		/* a function already reported missing from its multifunction device */
		if (hp_declared(hc, addr) != NULL || g_hash_table_contains(hc->missing, &key))
			continue;
		m = hp_host_view_device(hc->view, addr, NULL);
		if (m == NULL)
			continue; /* listed in the group but gone: nothing holds it */
		if (hp_pci_device_is_bridge(m))
			continue;
		if (m->driver_unknown) {
			desc = hp_host_view_describe(hc->view, m);
			note = hp_problems_note(m, "driver");
			hp_diag_list_add(hc->diags, HP_RULE_IOMMU_GROUP_NOT_VIABLE, &hd->span, addr,
					 "IOMMU group %d of %s also holds %s, which the domain does not declare, and whose driver could not be read%s, so the group may not be viable; declare %s (assigned='no' keeps it from the guest), or fix the host tree",
					 dev->iommu_group, dev->bdf, desc, note, m->bdf);
			continue;
		}
		if (m->driver == NULL || g_strcmp0(m->driver, "pci-stub") == 0)
			continue;
		if (g_strcmp0(m->driver, "vfio-pci") != 0 && !m->has_vfio_dev)
			hc->wants_modalias = TRUE;
		cls = hp_host_view_classify(hc->view, m);
		desc = hp_host_view_describe(hc->view, m);
		if (cls == HP_VFIO_BY_NAME)
			hp_diag_list_add(hc->diags, HP_RULE_VFIO_DRIVER_BY_NAME, &hd->span, addr,
					 "IOMMU group %d member %s is taken to be on a VFIO driver only because the name '%s' contains \"vfio\"; check that it really is one",
					 dev->iommu_group, desc, m->driver);
		if (cls != HP_VFIO_NO)
			continue;
		note = hp_problems_note(m, "driver");
		hp_diag_list_add(hc->diags, HP_RULE_IOMMU_GROUP_NOT_VIABLE, &hd->span, addr,
				 "IOMMU group %d of %s also holds %s%s, which the domain does not declare; VFIO needs the whole group: declare %s (assigned='no' keeps it from the guest), or unbind it from %s",
				 dev->iommu_group, dev->bdf, desc, note, m->bdf, m->driver);
	}
}

/*
 * Host files the checks read that are garbled in ways no device holds: the
 * vfio_pci: lines of modules.alias, names in sys/. They have no place in
 * the domain, so they go on its root element.
 */
static void
hp_check_host_notes(HpHostCheck *hc, gboolean any)
{
	g_autoptr(GPtrArray) notes = hp_host_view_take_notes(hc->view);
	const HpModAlias *ma = hp_host_view_modalias_if_read(hc->view);

	if (!any)
		return;
	if (ma != NULL && ma->malformed > 0) {
		g_autofree gchar *rel = hp_modalias_rel(hp_host_view_get_host(hc->view));
		hp_diag_list_add(hc->diags, HP_RULE_HOST_FILE_MALFORMED, &hc->domain->span, NULL,
				 "host file %s: %u vfio_pci: alias line%s (the first is line %u) %s not 'alias vfio_pci:PATTERN MODULE' with a kernel module name ([A-Za-z0-9_.-], at most 64 characters); %s ignored, so no variant driver is chosen by %s; fix the file on the host (depmod writes it)",
				 rel, ma->malformed, ma->malformed == 1 ? "" : "s", ma->first_malformed_line,
				 ma->malformed == 1 ? "is" : "are", ma->malformed == 1 ? "it is" : "they are",
				 ma->malformed == 1 ? "it" : "them");
	}
	for (guint i = 0; i < notes->len; i++)
		hp_diag_list_add(hc->diags, HP_RULE_HOST_FILE_MALFORMED, &hc->domain->span, NULL, "host file %s; fix the host tree",
				 (const gchar *)g_ptr_array_index(notes, i));
}

/**
 * hp_host_rules_check:
 * @view: the host
 * @hdoc: the document, for places
 * @domain: its model
 * @diags: findings go here
 *
 * Runs every host rule of the contract on the domain's PCI host devices.
 */
void
hp_host_rules_check(HpHostView *view, const HpDocument *hdoc, const HpDomain *domain, HpDiagList *diags)
{
	HpHostCheck hc = {view, hdoc, domain, diags, NULL, NULL, NULL, FALSE};
	g_autofree gchar *rel_alias = hp_modalias_rel(hp_host_view_get_host(view));
	g_autoptr(GHashTable) groups_done = g_hash_table_new(g_direct_hash, g_direct_equal);
	g_autoptr(GArray) keys = g_array_sized_new(FALSE, FALSE, sizeof(gint64), domain->hostdevs->len);
	const HpHostdev *first = NULL;

	g_ptr_array_unref(hp_host_view_take_notes(view)); /* only what this check meets */
	hc.declared = g_hash_table_new(g_int64_hash, g_int64_equal);
	hc.missing = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
	hc.slot_first = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
	for (guint i = 0; i < domain->hostdevs->len; i++) {
		const HpHostdev *hd = g_ptr_array_index(domain->hostdevs, i);
		gint64 key = (gint64)hp_pci_address_key(&hd->source);
		g_array_append_val(keys, key);
	}
	for (guint i = 0; i < domain->hostdevs->len; i++) {
		const HpHostdev *hd = g_ptr_array_index(domain->hostdevs, i);
		gint64 slot = hp_slot_key(&hd->source);
		if (hd->source_valid && hd->source_node != NULL &&
		    !g_hash_table_contains(hc.declared, &g_array_index(keys, gint64, i)))
			g_hash_table_insert(hc.declared, &g_array_index(keys, gint64, i), (gpointer)hd);
		if (hd->source_valid && !g_hash_table_contains(hc.slot_first, &slot))
			g_hash_table_insert(hc.slot_first, g_memdup2(&slot, sizeof(slot)), (gpointer)hd);
	}
	for (guint i = 0; i < domain->hostdevs->len; i++) {
		const HpHostdev *hd = g_ptr_array_index(domain->hostdevs, i);
		if (!hd->source_valid || hd->source_node == NULL)
			continue;
		if (first == NULL)
			first = hd;
		hp_check_device(&hc, hd);
		hp_check_slot(&hc, hd);
	}
	for (guint i = 0; i < domain->hostdevs->len; i++) {
		const HpHostdev *hd = g_ptr_array_index(domain->hostdevs, i);
		if (hd->source_valid && hd->source_node != NULL)
			hp_check_group(&hc, hd, groups_done);
	}
	if (hc.wants_modalias && first != NULL) {
		const GError *error = NULL;
		const HpModAlias *ma = hp_host_view_modalias(view, &error);
		if (ma == NULL && !g_error_matches(error, HP_ERROR, HP_ERROR_NOT_FOUND)) {
			hp_diag_list_add(diags, HP_RULE_HOST_FILE_MALFORMED, &domain->span, NULL,
					 "host file %s cannot be used (%s), so VFIO variant drivers cannot be chosen or recognised and the generic vfio-pci is assumed; fix it on the host (depmod writes it), or capture the host again",
					 rel_alias, error->message);
		} else if (ma == NULL) {
			hp_diag_list_add(diags, HP_RULE_MODULES_ALIAS_MISSING, &first->span, NULL,
					 "no modules.alias for kernel %s (%s), so VFIO variant drivers cannot be chosen or recognised and the generic vfio-pci is assumed; give the target's release with --kernel-release, or run depmod",
					 hp_host_get_kernel_release(hp_host_view_get_host(view)) != NULL ? hp_host_get_kernel_release(hp_host_view_get_host(view)) : "(unknown)",
					 error != NULL ? error->message : "not found");
		}
	}
	hp_check_host_notes(&hc, first != NULL);
	g_hash_table_unref(hc.declared);
	g_hash_table_unref(hc.missing);
	g_hash_table_unref(hc.slot_first);
}

/* One note: the host rules did not run, and why. */
void
hp_host_rules_skipped(const HpDocument *hdoc, HpDiagList *diags, const gchar *why)
{
	xmlNode *root = xmlDocGetRootElement(hdoc->doc);
	guint line = 1, col = 1;
	if (root != NULL)
		hp_document_locate(hdoc, root, NULL, &line, &col);
	hp_diag_list_add(diags, HP_RULE_HOST_CHECKS_SKIPPED, HP_SPAN(line, col), NULL, "host checks skipped: %s", why);
}
