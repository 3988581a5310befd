/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "hp-host-safety.h"

#include <string.h>

#include "hp-error.h"
#include "hp-host-usage.h"
#include "hp-reset.h"

/*
 * The rules that keep the host safe from its own domain: a bridge or root
 * port (host-device-not-endpoint), a non-VF behind <interface type='hostdev'>
 * (interface-hostdev-not-vf), a device the host itself uses, or one detached
 * with it (host-device-in-use), and a device the kernel cannot reset
 * (device-reset-unavailable).
 */

typedef struct {
	HpHostView *view;
	const HpHost *host;
	GHashTable *declared;  /* address key -> HpHostdev */
	HpDiagList *diags;
	HpHostUsage *usage;
	GArray *all;           /* HpPciAddress of every device of the host, listed on first need */
	gint has_reset_method; /* -1 until known */
} HpSafety;

static gboolean
hp_safety_declared(HpSafety *s, const HpPciAddress *addr)
{
	gint64 key = (gint64)hp_pci_address_key(addr);
	return g_hash_table_contains(s->declared, &key);
}

/* The PCI functions directly behind a bridge: its sys/devices children. */
static gchar *
hp_safety_behind(HpSafety *s, const HpPciDevice *dev)
{
	g_autofree gchar *rel = hp_pci_device_rel(&dev->addr, NULL);
	g_autoptr(GPtrArray) names = hp_host_list_dir(s->host, rel, NULL);
	g_autoptr(GString) out = g_string_new(NULL);
	guint n = 0;

	for (guint i = 0; names != NULL && i < names->len; i++) {
		HpPciAddress a;
		if (!hp_pci_address_parse_bdf(g_ptr_array_index(names, i), &a))
			continue;
		if (n++ < 4)
			g_string_append_printf(out, "%s%s", out->len > 0 ? ", " : "", (const gchar *)g_ptr_array_index(names, i));
	}
	if (n > 4)
		g_string_append_printf(out, " and %u more", n - 4);
	if (n == 0)
		return g_strdup("everything behind it");
	return g_strdup_printf("everything behind it (%s)", out->str);
}

static void
hp_safety_endpoint(HpSafety *s, const HpHostdev *hd, const HpPciDevice *dev)
{
	g_autofree gchar *desc = NULL;
	g_autofree gchar *behind = NULL;
	g_autofree gchar *why = NULL;

	if (!hp_pci_device_is_not_endpoint(dev))
		return;
	desc = hp_host_view_describe(s->view, dev);
	behind = hp_safety_behind(s, dev);
	if (dev->header_type >= 0 && ((dev->header_type & 0x7f) == 1 || (dev->header_type & 0x7f) == 2))
		why = g_strdup_printf("header type %d", dev->header_type & 0x7f);
	else if (dev->class_known && ((dev->class_code >> 8) == 0x0604 || (dev->class_code >> 8) == 0x0607))
		why = g_strdup_printf("class 0x%06x", dev->class_code);
	else
		why = g_strdup("bound to pcieport");
	hp_diag_list_add(s->diags, HP_RULE_HOST_DEVICE_NOT_ENDPOINT, &hd->span, &dev->addr,
			 "%s is a bridge or root port (%s): VFIO cannot take it, and %s would be cut off from the host; give the guest the devices behind it instead, and remove this <%s>",
			 desc, why, behind, hp_hostdev_element_name(hd));
}

static void
hp_safety_vf(HpSafety *s, const HpHostdev *hd, const HpPciDevice *dev)
{
	g_autofree gchar *desc = NULL;

	/* a physfn link that cannot be read is unknown: no finding (the link's
	 * problem is reported as host-file-malformed where it is garbled) */
	if (hd->kind != HP_HOSTDEV_KIND_INTERFACE || dev->is_vf || dev->physfn_unknown)
		return;
	desc = hp_host_view_describe(s->view, dev);
	if (dev->num_vfs > 0)
		hp_diag_list_add(s->diags, HP_RULE_INTERFACE_HOSTDEV_NOT_VF, &hd->span, &dev->addr,
				 "<interface type='hostdev'> names %s, an SR-IOV physical function, not a virtual function (it has no physfn link): libvirt refuses to start the domain, since it sets the MAC address and VLAN through the PF; name one of its %u VFs (virtfnN) instead, or use <hostdev> for it",
				 desc, dev->num_vfs);
	else
		hp_diag_list_add(s->diags, HP_RULE_INTERFACE_HOSTDEV_NOT_VF, &hd->span, &dev->addr,
				 "<interface type='hostdev'> names %s, which is not an SR-IOV virtual function (it has no physfn link): libvirt refuses to start the domain, since it sets the MAC address and VLAN through the VF's PF; use <hostdev mode='subsystem' type='pci'> for it, or name a VF",
				 desc);
}

/* What the host uses on @t, a device detached with @hd's (@t itself, or
 * a member of its IOMMU group). */
static void
hp_safety_in_use(HpSafety *s, const HpHostdev *hd, const HpPciDevice *dev, const HpPciDevice *t, gint group)
{
	g_autoptr(GPtrArray) uses = hp_host_usage_of(s->usage, t);

	for (guint i = 0; i < uses->len; i++) {
		const HpUse *use = g_ptr_array_index(uses, i);
		g_autofree gchar *desc = hp_host_view_describe(s->view, t);
		HpDiag *d;
		if (t == dev && hd->assigned)
			d = hp_diag_list_add(s->diags, HP_RULE_HOST_DEVICE_IN_USE, &hd->span, &t->addr,
					     "%s %s, and the host loses it when the domain starts; %s",
					     desc, use->what, use->fix);
		else if (t == dev)
			d = hp_diag_list_add(s->diags, HP_RULE_HOST_DEVICE_IN_USE, &hd->span, &t->addr,
					     "%s %s; assigned='no' keeps it from the guest, but not on the host: it is detached all the same when the domain starts; %s",
					     desc, use->what, use->fix);
		else
			d = hp_diag_list_add(s->diags, HP_RULE_HOST_DEVICE_IN_USE, &hd->span, &t->addr,
					     "%s %s, and it is detached with %s (VFIO takes IOMMU group %d whole) when the domain starts; %s",
					     desc, use->what, dev->bdf, group, use->fix);
		if (!use->severe)
			d->severity = HP_SEVERITY_WARNING;
	}
}

/* vfio-pci refuses a PF whose VFs are enabled ("Cannot bind to PF with
 * SR-IOV enabled"): its VFs are the host's to use. */
static void
hp_safety_pf(HpSafety *s, const HpHostdev *hd, const HpPciDevice *dev)
{
	g_autofree gchar *desc = NULL;
	HpDiag *d;

	if (dev->num_vfs == 0 || dev->is_vf || g_strcmp0(dev->driver, "vfio-pci") == 0 || dev->has_vfio_dev ||
	    hd->kind == HP_HOSTDEV_KIND_INTERFACE)
		return;
	desc = hp_host_view_describe(s->view, dev);
	d = hp_diag_list_add(s->diags, HP_RULE_HOST_DEVICE_IN_USE, &hd->span, &dev->addr,
			     "%s has %u SR-IOV virtual functions enabled (virtfnN links): vfio-pci refuses a physical function whose VFs are enabled, so the domain would not start; disable them first (write 0 to its sriov_numvfs), or give the guest a VF",
			     desc, dev->num_vfs);
	d->severity = HP_SEVERITY_WARNING;
}

static void
hp_safety_list_all(HpSafety *s)
{
	g_autoptr(GPtrArray) names = NULL;

	if (s->all != NULL)
		return;
	s->all = g_array_new(FALSE, FALSE, sizeof(HpPciAddress));
	names = hp_host_list_dir(s->host, "sys/bus/pci/devices", NULL);
	for (guint i = 0; names != NULL && i < names->len; i++) {
		HpPciAddress a;
		if (hp_pci_address_parse_bdf(g_ptr_array_index(names, i), &a))
			g_array_append_val(s->all, a);
	}
}

/* The first device on @dev's bus that the domain does not declare: a bus
 * reset would reset it too, so it cannot be done while the host has it. */
static gboolean
hp_safety_bus_neighbour(HpSafety *s, const HpPciDevice *dev, HpPciAddress *ret)
{
	hp_safety_list_all(s);
	for (guint i = 0; i < s->all->len; i++) {
		const HpPciAddress *a = &g_array_index(s->all, HpPciAddress, i);
		if (a->domain != dev->addr.domain || a->bus != dev->addr.bus || hp_pci_address_equal(a, &dev->addr) ||
		    hp_safety_declared(s, a))
			continue;
		*ret = *a;
		return TRUE;
	}
	return FALSE;
}

/* Whether the kernel has the reset_method attribute: some device shows it. */
static gboolean
hp_safety_kernel_has_reset_method(HpSafety *s)
{
	if (s->has_reset_method >= 0)
		return s->has_reset_method;
	hp_safety_list_all(s);
	s->has_reset_method = FALSE;
	for (guint i = 0; i < s->all->len && !s->has_reset_method; i++) {
		g_autofree gchar *rel = hp_pci_device_rel(&g_array_index(s->all, HpPciAddress, i), "reset_method");
		s->has_reset_method = hp_host_exists(s->host, rel);
	}
	return s->has_reset_method;
}

static void
hp_safety_reset(HpSafety *s, const HpHostdev *hd, const HpPciDevice *dev)
{
	g_autofree gchar *rel = hp_pci_device_rel(&dev->addr, "reset_method");
	g_autoptr(GError) error = NULL;
	g_autofree gchar *method = hp_host_read_line(s->host, rel, &error);
	g_autofree gchar *desc = NULL;
	gboolean known = FALSE, root_bus;
	HpPciAddress other;
	gchar other_bdf[HP_PCI_ADDRESS_STRLEN];

	if (method != NULL) {
		if (*g_strstrip(method) != '\0')
			return;
		desc = hp_host_view_describe(s->view, dev);
		hp_diag_list_add(s->diags, HP_RULE_DEVICE_RESET_UNAVAILABLE, &hd->span, &dev->addr,
				 "%s has an empty reset_method: the kernel has no way to reset it, so it may not work again after the domain stops (or in the next one); expect to reboot the host to recover it, or give the guest a device with FLR",
				 desc);
		return;
	}
	if (!g_error_matches(error, HP_ERROR, HP_ERROR_NOT_FOUND))
		return; /* unreadable: unknown */
	/* no reset_method: a kernel that has the attribute (5.15 and later)
	 * hides it when it found no method (no FLR, no PM reset, and no bus
	 * reset when the device was added); an older kernel never has it, and
	 * config space says whether FLR or a PM reset exist. Only a bus reset
	 * may still be possible, once the whole bus goes to the domain. */
	if (!hp_safety_kernel_has_reset_method(s) && hp_reset_from_config(dev) != HP_RESET_NONE)
		return;
	root_bus = hp_reset_on_root_bus(s->host, dev, &known);
	if (!known)
		return;
	desc = hp_host_view_describe(s->view, dev);
	if (root_bus) {
		hp_diag_list_add(s->diags, HP_RULE_DEVICE_RESET_UNAVAILABLE, &hd->span, &dev->addr,
				 "%s has no function-level reset and no PM reset, and it sits on a root bus, where there is no bridge to reset its bus: the kernel cannot reset it, so it may not work again after the domain stops; expect to reboot the host to recover it, or give the guest a device with FLR or one behind a bridge",
				 desc);
		return;
	}
	if (!hp_safety_bus_neighbour(s, dev, &other))
		return;
	hp_pci_address_to_string(&other, other_bdf);
	hp_diag_list_add(s->diags, HP_RULE_DEVICE_RESET_UNAVAILABLE, &hd->span, &dev->addr,
			 "%s has no function-level reset and no PM reset, and its bus cannot be reset because %s on the same bus stays with the host: the kernel cannot reset it, so it may not work again after the domain stops; declare %s too (assigned='no' keeps it from the guest), or give the guest a device with FLR",
			 desc, other_bdf, other_bdf);
}

/**
 * hp_host_safety_check:
 * @declared: address key -> the first HpHostdev that claims it
 *
 * Runs the safety rules on every declared device; what the host uses is
 * also looked for on the undeclared members of their IOMMU groups, which
 * VFIO detaches with them.
 */
void
hp_host_safety_check(HpHostView *view, const HpDomain *domain, GHashTable *declared, HpDiagList *diags)
{
	HpSafety s = {.view = view, .host = hp_host_view_get_host(view), .declared = declared, .diags = diags,
		    .has_reset_method = -1};
	g_autoptr(GHashTable) groups_done = g_hash_table_new(g_direct_hash, g_direct_equal);
	g_autoptr(GHashTable) seen = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);

	s.usage = hp_host_usage_new(s.host);
	for (guint i = 0; i < domain->hostdevs->len; i++) {
		const HpHostdev *hd = g_ptr_array_index(domain->hostdevs, i);
		const HpPciDevice *dev;
		gint64 key = (gint64)hp_pci_address_key(&hd->source);
		g_autoptr(GArray) members = NULL;

		if (!hd->source_valid || hd->source_node == NULL || g_hash_table_lookup(declared, &key) != hd)
			continue;
		dev = hp_host_view_device(view, &hd->source, NULL);
		if (dev == NULL)
			continue;
		hp_safety_endpoint(&s, hd, dev);
		hp_safety_vf(&s, hd, dev);
		if (g_hash_table_add(seen, g_memdup2(&key, sizeof(key))))
			hp_safety_in_use(&s, hd, dev, dev, dev->iommu_group);
		hp_safety_pf(&s, hd, dev);
		if (!hp_pci_device_is_not_endpoint(dev))
			hp_safety_reset(&s, hd, dev);
		if (dev->iommu_group < 0 || !g_hash_table_add(groups_done, GINT_TO_POINTER(dev->iommu_group)))
			continue;
		members = hp_host_view_group_members(view, dev->iommu_group);
		for (guint j = 0; j < members->len; j++) {
			const HpPciAddress *a = &g_array_index(members, HpPciAddress, j);
			gint64 mkey = (gint64)hp_pci_address_key(a);
			const HpPciDevice *m;
			if (hp_safety_declared(&s, a) || g_hash_table_contains(seen, &mkey))
				continue;
			m = hp_host_view_device(view, a, NULL);
			if (m == NULL || hp_pci_device_is_not_endpoint(m))
				continue; /* a bridge in the group stays on its driver: VFIO leaves it be */
			g_hash_table_add(seen, g_memdup2(&mkey, sizeof(mkey)));
			hp_safety_in_use(&s, hd, dev, m, dev->iommu_group);
		}
	}
	if (s.all != NULL)
		g_array_unref(s.all);
	hp_host_usage_free(s.usage);
}
