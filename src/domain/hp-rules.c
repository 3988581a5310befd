/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "hp-rules.h"

#include "hp-xml-util.h"

/* The semantic rules that a grammar cannot express, on the document alone. */

static GHashTable *
hp_claims_new(void)
{
	return g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
}

/* The item that claimed @addr first; NULL when @item is the first, which
 * it then becomes. */
static gpointer
hp_claim(GHashTable *claims, const HpPciAddress *addr, gpointer item)
{
	gint64 key = (gint64)hp_pci_address_key(addr);
	gpointer first = g_hash_table_lookup(claims, &key);
	if (first == NULL)
		g_hash_table_insert(claims, g_memdup2(&key, sizeof(key)), item);
	return first;
}

static void
hp_rules_duplicates(const HpDomain *domain, HpDiagList *diags)
{
	g_autoptr(GHashTable) claims = hp_claims_new();

	for (guint i = 0; i < domain->hostdevs->len; i++) {
		HpHostdev *hd = g_ptr_array_index(domain->hostdevs, i);
		HpHostdev *first;
		gchar bdf[HP_PCI_ADDRESS_STRLEN];
		guint first_line;

		if (!hd->source_valid || hd->source_node == NULL)
			continue;
		first = hp_claim(claims, &hd->source, hd);
		if (first == NULL)
			continue;
		first_line = first->span.line;
		hp_diag_list_add(diags, HP_RULE_HOSTDEV_DUPLICATE, &hd->span, &hd->source,
				 "host PCI function %s is claimed by this <%s> and already by the <%s> on line %u; remove one of them",
				 hp_pci_address_to_string(&hd->source, bdf), hp_hostdev_element_name(hd),
				 hp_hostdev_element_name(first), first_line);
	}
}

static void
hp_rules_unassigned(const HpDomain *domain, HpDiagList *diags)
{
	for (guint i = 0; i < domain->hostdevs->len; i++) {
		HpHostdev *hd = g_ptr_array_index(domain->hostdevs, i);
		gchar bdf[HP_PCI_ADDRESS_STRLEN] = "?";
		const gchar *how;

		if (hd->assigned)
			continue;
		if (hd->source_valid)
			hp_pci_address_to_string(&hd->source, bdf);
		how = hd->unassigned_address ? "<address type='unassigned'/>" : "assigned='no'";
		if (hd->guest != NULL) {
			gchar gaddr[HP_PCI_ADDRESS_STRLEN] = "?";
			if (hd->guest->valid)
				hp_pci_address_to_string(&hd->guest->addr, gaddr);
			hp_diag_list_add(diags, HP_RULE_UNASSIGNED_HAS_GUEST_ADDRESS, &hd->guest->span,
					 hd->source_valid ? &hd->source : NULL,
					 "<hostdev> %s is unassigned (%s) but has the guest address %s; remove its <address type='pci'/>, or assign it to the guest",
					 bdf, how, gaddr);
		}
		for (guint s = 0; s < G_N_ELEMENTS(hd->guest_setting_nodes); s++) {
			xmlNode *node = hd->guest_setting_nodes[s];
			const gchar *name;
			if (node == NULL)
				continue;
			name = hp_guest_setting_name(1u << s);
			hp_diag_list_add(diags, HP_RULE_UNASSIGNED_HAS_GUEST_SETTINGS, &hd->guest_setting_spans[s],
					 hd->source_valid ? &hd->source : NULL,
					 "<hostdev> %s is unassigned (%s) but has <%s>, which only a function given to the guest can use; remove <%s>, or assign it",
					 bdf, how, name, name);
		}
	}
}

/* The host device an element of <devices> is, for constant-time lookups. */
static GHashTable *
hp_rules_hostdev_index(const HpDomain *domain)
{
	GHashTable *index = g_hash_table_new(g_direct_hash, g_direct_equal);
	for (guint i = 0; i < domain->hostdevs->len; i++) {
		HpHostdev *hd = g_ptr_array_index(domain->hostdevs, i);
		g_hash_table_insert(index, hd->node, hd);
	}
	return index;
}

/* A name for a device element in a message: <hostdev> 0001:09:00.0, <disk>. */
static gchar *
hp_rules_device_label(GHashTable *hostdevs, const xmlNode *device)
{
	const HpHostdev *hd = g_hash_table_lookup(hostdevs, device);
	g_autofree gchar *name = NULL;
	gchar bdf[HP_PCI_ADDRESS_STRLEN];
	if (hd != NULL && hd->source_valid)
		return g_strdup_printf("<%s> %s", hp_hostdev_element_name(hd), hp_pci_address_to_string(&hd->source, bdf));
	name = hp_echo((const gchar *)device->name);
	return g_strdup_printf("<%s>", name);
}

static void
hp_rules_guest_conflicts(const HpDomain *domain, GHashTable *hostdevs, HpDiagList *diags)
{
	g_autoptr(GHashTable) claims = hp_claims_new();

	for (guint i = 0; i < domain->guest_addresses->len; i++) {
		HpGuestAddress *ga = g_ptr_array_index(domain->guest_addresses, i);
		HpGuestAddress *first;
		g_autofree gchar *label = NULL;
		g_autofree gchar *first_label = NULL;
		gchar gaddr[HP_PCI_ADDRESS_STRLEN];

		/* a <console> repeats the address of the <serial> it stands for */
		if (!ga->valid || ga->wanted || hp_xml_is_element(ga->device, "console"))
			continue;
		first = hp_claim(claims, &ga->addr, ga);
		if (first == NULL)
			continue;
		label = hp_rules_device_label(hostdevs, ga->device);
		first_label = hp_rules_device_label(hostdevs, first->device);
		hp_diag_list_add(diags, HP_RULE_GUEST_ADDRESS_CONFLICT, &ga->span, NULL,
				 "guest PCI address %s of %s is already taken by %s on line %u; move one of them to a free guest slot or function",
				 hp_pci_address_to_string(&ga->addr, gaddr), label, first_label, first->span.line);
	}
}

/*
 * Guest slots that hold a PCI host device: function 0 must be present when
 * others are, and say multifunction='on' when the slot is shared. Slots of
 * emulated devices only are left alone: machine types put implicit devices
 * at function 0 of some of them (the PIIX3 at 00:01.0, the LPC at 00:1f.0)
 * that the domain XML never shows.
 */
static void
hp_rules_guest_slots(const HpDomain *domain, GHashTable *hostdevs, HpDiagList *diags)
{
	g_autoptr(GHashTable) slots = g_hash_table_new(g_int64_hash, g_int64_equal);
	g_autoptr(GPtrArray) order = g_ptr_array_new();
	g_autoptr(GArray) keys = g_array_sized_new(FALSE, FALSE, sizeof(gint64), domain->guest_addresses->len);

	/* group the valid guest addresses by slot, keeping document order */
	for (guint i = 0; i < domain->guest_addresses->len; i++) {
		HpGuestAddress *ga = g_ptr_array_index(domain->guest_addresses, i);
		HpPciAddress slot_addr = ga->addr;
		gint64 key;
		slot_addr.function = 0;
		key = (gint64)hp_pci_address_key(&slot_addr);
		g_array_append_val(keys, key);
	}
	for (guint i = 0; i < domain->guest_addresses->len; i++) {
		HpGuestAddress *ga = g_ptr_array_index(domain->guest_addresses, i);
		GPtrArray *members;
		if (!ga->valid || ga->wanted || hp_xml_is_element(ga->device, "console"))
			continue;
		members = g_hash_table_lookup(slots, &g_array_index(keys, gint64, i));
		if (members == NULL) {
			members = g_ptr_array_new();
			g_hash_table_insert(slots, &g_array_index(keys, gint64, i), members);
			g_ptr_array_add(order, members);
		}
		g_ptr_array_add(members, ga);
	}
	for (guint i = 0; i < order->len; i++) {
		GPtrArray *members = g_ptr_array_index(order, i);
		HpGuestAddress *zero = NULL;
		HpGuestAddress *first_other = NULL;
		g_autoptr(GString) funcs = g_string_new(NULL);
		guint nfuncs = 0;
		guint64 seen_funcs = 0;
		gboolean has_host_device = FALSE;

		for (guint j = 0; j < members->len; j++) {
			HpGuestAddress *ga = g_ptr_array_index(members, j);
			if (g_hash_table_contains(hostdevs, ga->device))
				has_host_device = TRUE;
			if (ga->addr.function == 0) {
				if (zero == NULL)
					zero = ga;
			} else if (first_other == NULL) {
				first_other = ga;
			}
			if ((seen_funcs & (1u << ga->addr.function)) == 0) {
				seen_funcs |= 1u << ga->addr.function;
				nfuncs++;
				if (ga->addr.function != 0)
					g_string_append_printf(funcs, "%s%u", funcs->len > 0 ? ", " : "", ga->addr.function);
			}
		}
		if (!has_host_device)
			continue;
		if (zero == NULL && first_other != NULL) {
			g_autofree gchar *label = hp_rules_device_label(hostdevs, first_other->device);
			hp_diag_list_add(diags, HP_RULE_GUEST_FUNCTION_ZERO_MISSING, &first_other->function_span, NULL,
					 "guest slot %04x:%02x:%02x holds function %s (%s) but no function 0, so the guest never sees them; put one device of this slot at function='0x0'",
					 first_other->addr.domain, first_other->addr.bus, first_other->addr.slot,
					 funcs->str, label);
		} else if (zero != NULL && nfuncs > 1 && !zero->multifunction) {
			g_autofree gchar *label = hp_rules_device_label(hostdevs, zero->device);
			hp_diag_list_add(diags, HP_RULE_GUEST_MULTIFUNCTION_OFF, &zero->span, NULL,
					 "function 0 of guest slot %04x:%02x:%02x (%s) shares the slot with function %s but lacks multifunction='on'; add multifunction='on' to its <address>",
					 zero->addr.domain, zero->addr.bus, zero->addr.slot, label, funcs->str);
		}
	}
	for (guint i = 0; i < order->len; i++)
		g_ptr_array_unref(g_ptr_array_index(order, i));
}

typedef struct {
	const HpHostdev *first; /* the slot's first declared function */
	guint count;
	gboolean any_assigned;
} HpSlotTally;

/* A host device (domain:bus:slot) whose declared functions are all
 * unassigned: one pass to tally each slot, one to report in document order. */
static void
hp_rules_all_unassigned(const HpDomain *domain, HpDiagList *diags)
{
	g_autoptr(GHashTable) slots = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);

	for (guint i = 0; i < domain->hostdevs->len; i++) {
		HpHostdev *hd = g_ptr_array_index(domain->hostdevs, i);
		HpPciAddress slot = hd->source;
		HpSlotTally *tally;
		gint64 key;

		if (!hd->source_valid || hd->source_node == NULL)
			continue;
		slot.function = 0;
		key = (gint64)hp_pci_address_key(&slot);
		tally = g_hash_table_lookup(slots, &key);
		if (tally == NULL) {
			tally = g_new0(HpSlotTally, 1);
			tally->first = hd;
			g_hash_table_insert(slots, g_memdup2(&key, sizeof(key)), tally);
		}
		tally->count++;
		tally->any_assigned |= hd->assigned;
	}
	for (guint i = 0; i < domain->hostdevs->len; i++) {
		HpHostdev *hd = g_ptr_array_index(domain->hostdevs, i);
		HpPciAddress slot = hd->source;
		const HpSlotTally *tally;
		gint64 key;

		if (!hd->source_valid || hd->source_node == NULL)
			continue;
		slot.function = 0;
		key = (gint64)hp_pci_address_key(&slot);
		tally = g_hash_table_lookup(slots, &key);
		if (tally->first != hd || tally->any_assigned)
			continue;
		hp_diag_list_add(diags, HP_RULE_ALL_FUNCTIONS_UNASSIGNED, &hd->span, &hd->source,
				 "every declared function of host device %04x:%02x:%02x (%u) is unassigned, so the guest gets none of them; assign at least one, or remove them",
				 hd->source.domain, hd->source.bus, hd->source.slot, tally->count);
	}
}

/**
 * hp_rules_check_static:
 * @hdoc: the document (unused: every place comes from the model's spans)
 * @domain: its model, from hp_domain_parse()
 * @diags: findings are appended here
 *
 * Runs every static semantic rule of the contract, in time linear in the
 * number of devices (every grouping is a hash table).
 */
void
hp_rules_check_static(const HpDocument *hdoc, const HpDomain *domain, HpDiagList *diags)
{
	g_autoptr(GHashTable) hostdevs = hp_rules_hostdev_index(domain);

	hp_rules_duplicates(domain, diags);
	hp_rules_unassigned(domain, diags);
	hp_rules_guest_conflicts(domain, hostdevs, diags);
	hp_rules_guest_slots(domain, hostdevs, diags);
	hp_rules_all_unassigned(domain, diags);
}
