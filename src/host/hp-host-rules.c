/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "hp-host-rules.h"

#include <libxml/tree.h>
#include <string.h>

#include "hp-diag.h"
#include "hp-error.h"
#include "hp-host-safety.h"

/* The rules that check a domain against the host it will run on. */

typedef struct {
	HpHostView *view;
	const HpDocument *hdoc;
	const HpDomain *domain;
	HpDiagList *diags;
	GHashTable *declared;    /* address key -> HpHostdev, first claim */
	GHashTable *slot_first;  /* slot key -> the first HpHostdev of that host slot */
	GHashTable *missing;     /* address keys reported as multifunction-incomplete */
	GHashTable *touched;     /* address keys of the devices a rule read */
	GPtrArray *malformed;    /* HpMalformed: devices with garbled files, in the order read */
	GHashTable *groups;      /* the IOMMU groups of the declared devices */
	gboolean groups_unknown; /* a declared device's group cannot be had */
	gboolean wants_modalias;
	HpHostRulesFlags flags;
} HpHostCheck;

/* A device with garbled files, and the declared device that led to it. */
typedef struct {
	const HpPciDevice *dev;
	const HpHostdev *hd;
} HpMalformed;

static gint64
hp_slot_key(const HpPciAddress *addr)
{
	HpPciAddress slot = *addr;
	slot.function = 0;
	return (gint64)hp_pci_address_key(&slot);
}

/* Every device a rule reads goes through here: its garbled files become
 * host-file-malformed findings, at the element that led to reading it. */
static const HpPciDevice *
hp_read(HpHostCheck *hc, const HpHostdev *hd, const HpPciAddress *addr, const GError **ret_error)
{
	const HpPciDevice *dev = hp_host_view_device(hc->view, addr, ret_error);
	gint64 key = (gint64)hp_pci_address_key(addr);

	if (dev != NULL && g_hash_table_size(dev->malformed) > 0 && !g_hash_table_contains(hc->touched, &key)) {
		HpMalformed *m = g_new0(HpMalformed, 1);
		g_hash_table_add(hc->touched, g_memdup2(&key, sizeof(key)));
		m->dev = dev;
		m->hd = hd;
		g_ptr_array_add(hc->malformed, m);
	}
	return dev;
}


static const HpHostdev *
hp_declared(HpHostCheck *hc, const HpPciAddress *addr)
{
	gint64 key = (gint64)hp_pci_address_key(addr);
	return g_hash_table_lookup(hc->declared, &key);
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
	/* the caller (the libvirt hook) binds it next: not on VFIO yet is no finding */
	if ((hc->flags & HP_HOST_RULES_UNMANAGED_PREPARED) && (dev->driver_unknown || cls == HP_VFIO_NO)) {
		hc->wants_modalias = TRUE; /* its VFIO (variant) driver is chosen as for a managed one */
		return;
	}
	if (dev->driver_unknown) {
		hp_diag_list_add(hc->diags, HP_RULE_MANAGED_NO_NOT_BOUND, &hd->span, &dev->addr,
				 "%s is managed='no' but its driver link cannot be read%s, so it is not known to be on a VFIO driver; fix the host tree, or check on the host that it is bound to vfio-pci (or its variant driver), or set managed='yes'",
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

/* The IOMMU is off, or the group link cannot be read. */
static void
hp_check_iommu(HpHostCheck *hc, const HpHostdev *hd, const HpPciDevice *dev)
{
	g_autofree gchar *desc = hp_host_view_describe(hc->view, dev);
	g_autofree gchar *note = hp_problems_note(dev, "iommu_group");

	if (dev->iommu_group_unknown)
		hp_diag_list_add(hc->diags, HP_RULE_IOMMU_MISSING, &hd->span, &hd->source,
				 "%s has an iommu_group link that cannot be read%s, so its IOMMU group is unknown and VFIO cannot be shown to take it; fix the host tree, or check the group on the host itself",
				 desc, note);
	else
		hp_diag_list_add(hc->diags, HP_RULE_IOMMU_MISSING, &hd->span, &hd->source,
				 "%s has no IOMMU group%s, so VFIO cannot assign it: the IOMMU is off or unsupported; enable VT-d (Intel) or AMD-Vi (AMD) in the firmware, and on Intel boot with intel_iommu=on; on AMD the IOMMU is on once the firmware enables it (check that neither amd_iommu=off nor iommu=off is on the kernel command line)",
				 desc, note);
}

static void
hp_check_device(HpHostCheck *hc, const HpHostdev *hd)
{
	const GError *error = NULL;
	const HpPciDevice *dev = hp_read(hc, hd, &hd->source, &error);
	gchar bdf[HP_PCI_ADDRESS_STRLEN];

	hp_pci_address_to_string(&hd->source, bdf);
	if (dev == NULL) {
		const gchar *root = hp_host_get_root(hp_host_view_get_host(hc->view));
		g_autofree gchar *shown = hp_echo(g_strcmp0(root, "/") == 0 ? "" : root);
		if (g_error_matches(error, HP_ERROR, HP_ERROR_NOT_FOUND))
			hp_diag_list_add(hc->diags, HP_RULE_HOST_DEVICE_NOT_FOUND, &hd->source_span, &hd->source,
					 "host PCI device %s does not exist on this host (no %s/sys/bus/pci/devices/%s); check the address with 'lspci -D', or remove this <%s>",
					 bdf, shown, bdf, hp_hostdev_element_name(hd));
		else
			hp_diag_list_add(hc->diags, HP_RULE_HOST_DEVICE_NOT_FOUND, &hd->source_span, &hd->source,
					 "host PCI device %s cannot be read: %s; fix the host tree, or remove this <%s>",
					 bdf, error != NULL ? error->message : "unknown error", hp_hostdev_element_name(hd));
		return;
	}
	if (dev->iommu_group < 0)
		hp_check_iommu(hc, hd, dev);
	if (!hd->managed)
		hp_check_driver_vfio(hc, hd, dev);
	else if (hd->driver_model == NULL)
		hc->wants_modalias = TRUE; /* the plan chooses a variant driver for it */
	if (hd->driver_model != NULL && !hp_host_view_has_driver_or_module(hc->view, hd->driver_model)) {
		g_autofree gchar *model = hp_echo(hd->driver_model);
		hc->wants_modalias = TRUE;
		hp_diag_list_add(hc->diags, HP_RULE_VARIANT_DRIVER_UNKNOWN, &hd->model_span, &hd->source,
				 "<driver model='%s'/> of %s names no PCI driver (sys/bus/pci/drivers) and no module (sys/module, modules.alias) this host has; install the module, fix the name, or remove model= to let the host's modules.alias choose",
				 model, bdf);
	}
}

/* Functions of the host slot of @hd that are not SR-IOV VFs. */
static void
hp_check_slot(HpHostCheck *hc, const HpHostdev *hd)
{
	const HpPciDevice *self = hp_read(hc, hd, &hd->source, NULL);
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
		sib = hp_read(hc, hd, &a, NULL);
		if (sib != NULL && !sib->is_vf)
			g_ptr_array_add(siblings, (gpointer)sib);
	}
	a.function = 0;
	fn0 = hp_read(hc, hd, &a, NULL);
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
	if (g_hash_table_lookup(hc->slot_first, &(gint64){hp_slot_key(&hd->source)}) != hd)
		return;
	for (guint i = 0; i < siblings->len; i++) {
		const HpPciDevice *sib = g_ptr_array_index(siblings, i);
		g_autofree gchar *desc = NULL;
		if (hp_declared(hc, &sib->addr) != NULL)
			continue;
		desc = hp_host_view_describe(hc->view, sib);
		if (sib->iommu_group >= 0 && !hc->groups_unknown &&
		    !g_hash_table_contains(hc->groups, GINT_TO_POINTER(sib->iommu_group))) {
			hp_diag_list_add(hc->diags, HP_RULE_MULTIFUNCTION_PARTIAL, &hd->span, &sib->addr,
					 "host device %04x:%02x:%02x is multifunction and its function %s is not declared; the IOMMU isolates it in group %d, which no declared function is in, so it stays with the host; declare %s with assigned='no' to say so, or assign it",
					 sib->addr.domain, sib->addr.bus, sib->addr.slot, desc, sib->iommu_group, sib->bdf);
			continue;
		}
		g_hash_table_add(hc->missing, g_memdup2(&(gint64){(gint64)hp_pci_address_key(&sib->addr)}, sizeof(gint64)));
		if (known)
			hp_diag_list_add(hc->diags, HP_RULE_MULTIFUNCTION_INCOMPLETE, &hd->span, &sib->addr,
					 "host device %04x:%02x:%02x is multifunction and its function %s is not declared; VFIO takes the whole device, so declare %s with assigned='no', or assign it",
					 sib->addr.domain, sib->addr.bus, sib->addr.slot, desc, sib->bdf);
		else
			hp_diag_list_add(hc->diags, HP_RULE_MULTIFUNCTION_INCOMPLETE, &hd->span, &sib->addr,
					 "host device %04x:%02x:%02x counts as multifunction because the config of its function 0 cannot be read%s and the slot holds %u functions without a physfn link; its function %s is not declared: declare %s with assigned='no', or assign it. If these functions are SR-IOV VFs, their physfn links are missing from the host tree: check on the host itself, or capture the tree again",
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
		gint64 key = (gint64)hp_pci_address_key(addr);
		const HpPciDevice *m;
		g_autofree gchar *desc = NULL;
		g_autofree gchar *note = NULL;
		HpVfioClass cls;

		/* a function already reported missing from its multifunction device */
		if (hp_declared(hc, addr) != NULL || g_hash_table_contains(hc->missing, &key))
			continue;
		m = hp_read(hc, hd, addr, NULL);
		if (m == NULL)
			continue; /* listed in the group but gone: nothing holds it */
		if ((m->driver == NULL && !m->driver_unknown) || g_strcmp0(m->driver, "pci-stub") == 0 ||
		    hp_pci_device_is_bridge(m))
			continue;
		desc = hp_host_view_describe(hc->view, m);
		note = hp_problems_note(m, "driver");
		if (m->driver_unknown) {
			hp_diag_list_add(hc->diags, HP_RULE_IOMMU_GROUP_NOT_VIABLE, &hd->span, addr,
					 "IOMMU group %d of %s also holds %s%s, which the domain does not declare: its driver link cannot be read, so it may be bound to a driver that keeps VFIO from the group; declare %s (assigned='no' keeps it from the guest), or fix the host tree",
					 dev->iommu_group, dev->bdf, desc, note, m->bdf);
			continue;
		}
		if (g_strcmp0(m->driver, "vfio-pci") != 0 && !m->has_vfio_dev)
			hc->wants_modalias = TRUE;
		cls = hp_host_view_classify(hc->view, m);
		if (cls == HP_VFIO_BY_NAME)
			hp_diag_list_add(hc->diags, HP_RULE_VFIO_DRIVER_BY_NAME, &hd->span, addr,
					 "IOMMU group %d member %s is taken to be on a VFIO driver only because the name '%s' contains \"vfio\"; check that it really is one",
					 dev->iommu_group, desc, m->driver);
		if (cls != HP_VFIO_NO)
			continue;
		hp_diag_list_add(hc->diags, HP_RULE_IOMMU_GROUP_NOT_VIABLE, &hd->span, addr,
				 "IOMMU group %d of %s also holds %s%s, which the domain does not declare; VFIO needs the whole group: declare %s (assigned='no' keeps it from the guest), or unbind it from %s",
				 dev->iommu_group, dev->bdf, desc, note, m->bdf, m->driver);
	}
}

/* What the check assumes in place of a garbled attribute. */
static const gchar *
hp_assumed(const gchar *attr)
{
	static const struct {
		const gchar *attr, *assumed;
	} table[] = {
	    {"vendor", "the device's IDs are taken as unknown"},
	    {"device", "the device's IDs are taken as unknown"},
	    {"subsystem_vendor", "its subsystem IDs are taken as unknown"},
	    {"subsystem_device", "its subsystem IDs are taken as unknown"},
	    {"class", "its class is taken as unknown"},
	    {"modalias", "no variant driver is chosen from it"},
	    {"config", "its header type is unknown, so multifunction is judged from the functions present"},
	    {"driver", "its driver is taken as unknown, one that may hold the device"},
	    {"iommu_group", "its IOMMU group is taken as unknown"},
	    {"physfn", "it is taken as no SR-IOV VF"},
	};
	for (guint i = 0; i < G_N_ELEMENTS(table); i++) {
		if (g_strcmp0(table[i].attr, attr) == 0)
			return table[i].assumed;
	}
	return "it is ignored";
}

static gint
hp_cmp_strv(gconstpointer a, gconstpointer b, gpointer user_data)
{
	return strcmp(*(const gchar *const *)a, *(const gchar *const *)b);
}

static void
hp_report_malformed_devices(HpHostCheck *hc)
{
	for (guint i = 0; i < hc->malformed->len; i++) {
		const HpMalformed *m = g_ptr_array_index(hc->malformed, i);
		g_autofree const gchar **attrs = (const gchar **)g_hash_table_get_keys_as_array(m->dev->malformed, NULL);
		guint n = g_strv_length((gchar **)attrs);

		g_qsort_with_data(attrs, (gint)n, sizeof(gchar *), hp_cmp_strv, NULL);
		for (guint j = 0; j < n; j++) {
			const gchar *what = g_hash_table_lookup(m->dev->malformed, attrs[j]);
			hp_diag_list_add(hc->diags, HP_RULE_HOST_FILE_MALFORMED, &m->hd->span, &m->dev->addr,
					 "garbled host file: %s; %s; fix the host tree (or capture it again)", what,
					 hp_assumed(attrs[j]));
		}
	}
}

/* modules.alias: missing, refused, or with lines that are ignored. */
static void
hp_report_modalias(HpHostCheck *hc, const HpHostdev *first)
{
	const HpHost *host = hp_host_view_get_host(hc->view);
	const GError *error = NULL;
	const HpModAlias *ma = hp_host_view_modalias(hc->view, &error);
	g_autofree gchar *release = hp_echo(hp_host_get_kernel_release(host) != NULL ? hp_host_get_kernel_release(host) : "(unknown)");

	if (ma == NULL && g_error_matches(error, HP_ERROR, HP_ERROR_INVALID_DATA)) {
		hp_diag_list_add(hc->diags, HP_RULE_HOST_FILE_MALFORMED, &first->span, NULL,
				 "host file lib/modules/%s/modules.alias is refused: %s; VFIO variant drivers cannot be chosen or recognised and the generic vfio-pci is assumed; regenerate it with depmod",
				 release, error->message);
	} else if (ma == NULL) {
		hp_diag_list_add(hc->diags, HP_RULE_MODULES_ALIAS_MISSING, &first->span, NULL,
				 "no modules.alias for kernel %s (%s), so VFIO variant drivers cannot be chosen or recognised and the generic vfio-pci is assumed; give the target's release with --kernel-release, or run depmod",
				 release, error != NULL ? error->message : "not found");
	} else if (ma->malformed > 0) {
		hp_diag_list_add(hc->diags, HP_RULE_HOST_FILE_MALFORMED, &first->span, NULL,
				 "host file lib/modules/%s/modules.alias:%u: %u line%s not 'alias PATTERN MODULE' with a kernel module name (the first is line %u); %s ignored, no driver is taken from %s; regenerate the file with depmod",
				 release, ma->first_malformed_line, ma->malformed, ma->malformed == 1 ? " is" : "s are",
				 ma->first_malformed_line, ma->malformed == 1 ? "it is" : "they are",
				 ma->malformed == 1 ? "it" : "them");
	}
}

/* Names met while resolving drivers and modules that no kernel name can be. */
static void
hp_report_view_problems(HpHostCheck *hc, const HpHostdev *first)
{
	g_autoptr(GPtrArray) problems = hp_host_view_steal_problems(hc->view);
	g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);

	for (guint i = 0; i < problems->len; i++) {
		const HpHostProblem *p = g_ptr_array_index(problems, i);
		if (!g_hash_table_add(seen, p->file))
			continue;
		hp_diag_list_add(hc->diags, HP_RULE_HOST_FILE_MALFORMED, &first->span, NULL,
				 "garbled host file: %s; fix the host tree (or capture it again)", p->message);
	}
}

/**
 * hp_host_rules_check:
 * @view: the host
 * @hdoc: the document, for places
 * @domain: its model
 * @diags: findings go here
 *
 * Runs every host rule of the contract on the domain's PCI host devices.
 * Host files found garbled on the way are host-file-malformed findings: a
 * device's files at the element of the declared device whose check read
 * them, modules.alias and the drivers' and modules' names at the first
 * declared device (the file has no place in the domain; that element is the
 * first that made the host be read). Linear in the declared devices: the
 * declared addresses and the first device of each slot are indexed.
 */
void
hp_host_rules_check(HpHostView *view, const HpDocument *hdoc, const HpDomain *domain, HpDiagList *diags)
{
	hp_host_rules_check_with(view, hdoc, domain, diags, 0);
}

/* As hp_host_rules_check(), with @flags (HpHostRulesFlags). */
void
hp_host_rules_check_with(HpHostView *view, const HpDocument *hdoc, const HpDomain *domain, HpDiagList *diags,
			 HpHostRulesFlags flags)
{
	HpHostCheck hc = {.view = view, .hdoc = hdoc, .domain = domain, .diags = diags, .flags = flags};
	g_autoptr(GHashTable) groups_done = g_hash_table_new(g_direct_hash, g_direct_equal);
	g_autoptr(GArray) keys = g_array_sized_new(FALSE, FALSE, sizeof(gint64), domain->hostdevs->len * 2);
	const HpHostdev *first = NULL;

	g_ptr_array_unref(hp_host_view_steal_problems(view)); /* an earlier user's */
	hc.declared = g_hash_table_new(g_int64_hash, g_int64_equal);
	hc.slot_first = g_hash_table_new(g_int64_hash, g_int64_equal);
	hc.missing = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
	hc.touched = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
	hc.malformed = g_ptr_array_new_with_free_func(g_free);
	/* the keys live in one array sized once: the tables point into it */
	for (guint i = 0; i < domain->hostdevs->len; i++) {
		const HpHostdev *hd = g_ptr_array_index(domain->hostdevs, i);
		gint64 key = (gint64)hp_pci_address_key(&hd->source);
		gint64 slot = hp_slot_key(&hd->source);
		g_array_append_val(keys, key);
		g_array_append_val(keys, slot);
	}
	for (guint i = 0; i < domain->hostdevs->len; i++) {
		const HpHostdev *hd = g_ptr_array_index(domain->hostdevs, i);
		if (!hd->source_valid || hd->source_node == NULL)
			continue;
		if (!g_hash_table_contains(hc.declared, &g_array_index(keys, gint64, 2 * i)))
			g_hash_table_insert(hc.declared, &g_array_index(keys, gint64, 2 * i), (gpointer)hd);
		if (!g_hash_table_contains(hc.slot_first, &g_array_index(keys, gint64, 2 * i + 1)))
			g_hash_table_insert(hc.slot_first, &g_array_index(keys, gint64, 2 * i + 1), (gpointer)hd);
	}
	hc.groups = g_hash_table_new(g_direct_hash, g_direct_equal);
	for (guint i = 0; i < domain->hostdevs->len; i++) {
		const HpHostdev *hd = g_ptr_array_index(domain->hostdevs, i);
		const HpPciDevice *dev = hd->source_valid && hd->source_node != NULL ? hp_host_view_device(view, &hd->source, NULL) : NULL;
		if (dev != NULL && dev->iommu_group >= 0)
			g_hash_table_add(hc.groups, GINT_TO_POINTER(dev->iommu_group));
		else if (dev != NULL)
			hc.groups_unknown = TRUE;
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
	hp_host_safety_check(view, domain, hc.declared, diags);
	hp_report_malformed_devices(&hc);
	if (hc.wants_modalias && first != NULL)
		hp_report_modalias(&hc, first);
	if (first != NULL)
		hp_report_view_problems(&hc, first);
	g_hash_table_unref(hc.declared);
	g_hash_table_unref(hc.slot_first);
	g_hash_table_unref(hc.missing);
	g_hash_table_unref(hc.touched);
	g_hash_table_unref(hc.groups);
	g_ptr_array_unref(hc.malformed);
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
