/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Repairs on the document's tree. The findings say what is wrong and the
 * model says where; every change is planned first and made after, so that
 * no repair reads a node another has removed.
 */
#include "hp-fix.h"

#include <string.h>

#include "hp-pci-address.h"
#include "hp-xml-util.h"

/* What one finding's repair does to the tree. */
typedef struct {
	GPtrArray *remove;   /* of xmlNode: unlinked and freed last */
	GPtrArray *set_attr; /* of HpFixAttr */
	GPtrArray *declare;  /* of HpFixDeclare */
} HpFixPlan;

typedef struct {
	xmlNode *node;
	gchar *name;
	gchar *value;
} HpFixAttr;

typedef struct {
	xmlNode *after; /* the last declared sibling */
	HpPciAddress addr;
	gboolean managed;
} HpFixDeclare;

static void
hp_fix_attr_free(gpointer data)
{
	HpFixAttr *a = data;
	g_free(a->name);
	g_free(a->value);
	g_free(a);
}

/* The declared functions of @addr's slot, in document order. */
static GPtrArray *
hp_fix_siblings(const HpDomain *domain, const HpPciAddress *addr)
{
	GPtrArray *sibs = g_ptr_array_new();
	for (guint i = 0; i < domain->hostdevs->len; i++) {
		HpHostdev *hd = g_ptr_array_index(domain->hostdevs, i);
		if (hd->source_valid && hd->source.domain == addr->domain && hd->source.bus == addr->bus &&
		    hd->source.slot == addr->slot)
			g_ptr_array_add(sibs, hd);
	}
	return sibs;
}

/* The declaration a missing function gets, or FALSE when there is no one
 * safe choice (no sibling, or siblings that disagree on managed=). */
static gboolean
hp_fix_plan_declare(const HpDomain *domain, const HpDiag *diag, HpFixDeclare *ret)
{
	g_autoptr(GPtrArray) sibs = NULL;
	const HpHostdev *last;

	if (!diag->has_device)
		return FALSE;
	sibs = hp_fix_siblings(domain, &diag->device);
	if (sibs->len == 0)
		return FALSE;
	for (guint i = 0; i < sibs->len; i++) {
		const HpHostdev *hd = g_ptr_array_index(sibs, i);
		const HpHostdev *first = g_ptr_array_index(sibs, 0);
		if (hp_pci_address_equal(&hd->source, &diag->device))
			return FALSE; /* declared after all */
		if (hd->managed != first->managed)
			return FALSE;
	}
	last = g_ptr_array_index(sibs, sibs->len - 1);
	ret->after = last->node;
	ret->addr = diag->device;
	ret->managed = last->managed;
	return TRUE;
}

static const HpHostdev *
hp_fix_unassigned_of(const HpDomain *domain, const HpDiag *diag)
{
	for (guint i = 0; i < domain->hostdevs->len; i++) {
		const HpHostdev *hd = g_ptr_array_index(domain->hostdevs, i);
		if (hd->assigned || hd->kind != HP_HOSTDEV_KIND_HOSTDEV)
			continue;
		if (diag->has_device ? (hd->source_valid && hp_pci_address_equal(&hd->source, &diag->device))
				     : !hd->source_valid)
			return hd;
	}
	return NULL;
}

static gboolean
hp_span_starts_at(const HpSpan *span, const HpSpan *at)
{
	return span->line == at->line && span->column == at->column;
}

static HpGuestAddress *
hp_fix_guest_at(const HpDomain *domain, const HpSpan *at)
{
	for (guint i = 0; i < domain->guest_addresses->len; i++) {
		HpGuestAddress *ga = g_ptr_array_index(domain->guest_addresses, i);
		if (hp_span_starts_at(&ga->span, at))
			return ga;
	}
	return NULL;
}

/* The octal field a pci-address-octal finding is about: its element and
 * name, and the value in hex. */
static gboolean
hp_fix_octal_field(const HpDocument *hdoc, xmlNode *root, const HpSpan *at, HpFixAttr *ret)
{
	for (xmlNode *n = root; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (hp_xml_is_element(n, "address")) {
			for (HpPciField f = 0; f < HP_PCI_FIELD_LAST; f++) {
				const gchar *name = hp_pci_field_name(f);
				g_autofree gchar *value = hp_xml_prop(n, name);
				guint64 v;
				guint line = 0, col = 0;

				if (value == NULL || hp_number_parse(value, hp_pci_field_max(f), &v) != HP_NUMBER_OCTAL)
					continue;
				hp_document_locate(hdoc, n, name, &line, &col);
				if (line != at->line || col != at->column)
					continue;
				ret->node = n;
				ret->name = g_strdup(name);
				ret->value = g_strdup_printf(f == HP_PCI_FIELD_DOMAIN ? "0x%04" G_GINT64_MODIFIER "x"
						  : f == HP_PCI_FIELD_FUNCTION ? "0x%" G_GINT64_MODIFIER "x"
									       : "0x%02" G_GINT64_MODIFIER "x",
						  v);
				return TRUE;
			}
		}
		if (hp_fix_octal_field(hdoc, n->children, at, ret))
			return TRUE;
	}
	return FALSE;
}

/* Adds @diag's repair to @plan; FALSE when it has none. */
static gboolean
hp_fix_plan_one(const HpDocument *hdoc, const HpDomain *domain, const HpDiag *diag, HpFixPlan *plan)
{
	switch (diag->rule->rule_id) {
	case HP_RULE_MULTIFUNCTION_INCOMPLETE: {
		HpFixDeclare decl;
		if (!hp_fix_plan_declare(domain, diag, &decl))
			return FALSE;
		if (plan != NULL)
			g_ptr_array_add(plan->declare, g_memdup2(&decl, sizeof(decl)));
		return TRUE;
	}
	case HP_RULE_UNASSIGNED_HAS_GUEST_ADDRESS: {
		const HpHostdev *hd = hp_fix_unassigned_of(domain, diag);
		if (hd == NULL || hd->guest == NULL)
			return FALSE;
		if (plan != NULL)
			g_ptr_array_add(plan->remove, hd->guest->node);
		return TRUE;
	}
	case HP_RULE_UNASSIGNED_HAS_GUEST_SETTINGS: {
		const HpHostdev *hd = hp_fix_unassigned_of(domain, diag);
		gboolean any = FALSE;
		if (hd == NULL)
			return FALSE;
		for (guint s = 0; s < G_N_ELEMENTS(hd->guest_setting_nodes); s++) {
			if (hd->guest_setting_nodes[s] == NULL)
				continue;
			/* one finding a setting: only the one it is about */
			if (!hp_span_starts_at(&hd->guest_setting_spans[s], &diag->span))
				continue;
			if (plan != NULL)
				g_ptr_array_add(plan->remove, hd->guest_setting_nodes[s]);
			any = TRUE;
		}
		return any;
	}
	case HP_RULE_GUEST_MULTIFUNCTION_OFF: {
		HpGuestAddress *ga = hp_fix_guest_at(domain, &diag->span);
		if (ga == NULL)
			return FALSE;
		if (plan != NULL) {
			HpFixAttr *a = g_new0(HpFixAttr, 1);
			a->node = ga->node;
			a->name = g_strdup("multifunction");
			a->value = g_strdup("on");
			g_ptr_array_add(plan->set_attr, a);
		}
		return TRUE;
	}
	case HP_RULE_PCI_ADDRESS_OCTAL: {
		HpFixAttr field = {0};
		if (!hp_fix_octal_field(hdoc, xmlDocGetRootElement(hdoc->doc), &diag->span, &field))
			return FALSE;
		if (plan != NULL)
			g_ptr_array_add(plan->set_attr, g_memdup2(&field, sizeof(field)));
		else {
			g_free(field.name);
			g_free(field.value);
		}
		return TRUE;
	}
	default:
		return FALSE;
	}
}

/**
 * hp_fix_describe:
 *
 * Returns: (transfer full): what repairing @diag does, for a person (an
 * editor's quick-fix title).
 */
gchar *
hp_fix_describe(const HpDiag *diag)
{
	gchar bdf[HP_PCI_ADDRESS_STRLEN] = "the function";

	if (diag->has_device)
		hp_pci_address_to_string(&diag->device, bdf);
	switch (diag->rule->rule_id) {
	case HP_RULE_MULTIFUNCTION_INCOMPLETE:
		return g_strdup_printf("Declare %s with assigned='no'", bdf);
	case HP_RULE_UNASSIGNED_HAS_GUEST_ADDRESS:
		return g_strdup_printf("Remove the guest address of unassigned %s", bdf);
	case HP_RULE_UNASSIGNED_HAS_GUEST_SETTINGS:
		return g_strdup_printf("Remove the guest setting of unassigned %s", bdf);
	case HP_RULE_GUEST_MULTIFUNCTION_OFF:
		return g_strdup("Add multifunction='on' to function 0 of the guest slot");
	case HP_RULE_PCI_ADDRESS_OCTAL:
		return g_strdup("Write the address field in hex (the same value)");
	default:
		return g_strdup_printf("Repair %s", diag->rule->id);
	}
}

/**
 * hp_fix_is_repairable:
 * @diag: a finding of a check of the document @domain models
 *
 * Returns: whether hp_fix_apply() would repair @diag.
 */
gboolean
hp_fix_is_repairable(const HpDiag *diag, const HpDomain *domain)
{
	/* pci-address-octal needs the document to find its field: say yes for
	 * the rule, hp_fix_apply() finds it */
	if (diag->rule->rule_id == HP_RULE_PCI_ADDRESS_OCTAL)
		return TRUE;
	return domain != NULL && hp_fix_plan_one(NULL, domain, diag, NULL);
}


static void
hp_fix_declare(const HpFixDeclare *decl, xmlNode **after)
{
	xmlNode *hostdev = xmlNewNode(NULL, (const xmlChar *)"hostdev");
	xmlNode *source, *addr;
	gchar buf[16];

	xmlNewProp(hostdev, (const xmlChar *)"mode", (const xmlChar *)"subsystem");
	xmlNewProp(hostdev, (const xmlChar *)"type", (const xmlChar *)"pci");
	xmlNewProp(hostdev, (const xmlChar *)"managed", (const xmlChar *)(decl->managed ? "yes" : "no"));
	xmlNewProp(hostdev, (const xmlChar *)"assigned", (const xmlChar *)"no");
	source = xmlNewChild(hostdev, NULL, (const xmlChar *)"source", NULL);
	addr = xmlNewChild(source, NULL, (const xmlChar *)"address", NULL);
	g_snprintf(buf, sizeof(buf), "0x%04x", decl->addr.domain);
	xmlNewProp(addr, (const xmlChar *)"domain", (const xmlChar *)buf);
	g_snprintf(buf, sizeof(buf), "0x%02x", decl->addr.bus);
	xmlNewProp(addr, (const xmlChar *)"bus", (const xmlChar *)buf);
	g_snprintf(buf, sizeof(buf), "0x%02x", decl->addr.slot);
	xmlNewProp(addr, (const xmlChar *)"slot", (const xmlChar *)buf);
	g_snprintf(buf, sizeof(buf), "0x%x", decl->addr.function);
	xmlNewProp(addr, (const xmlChar *)"function", (const xmlChar *)buf);
		*after = xmlAddNextSibling(*after, hostdev);
}

static gint
hp_fix_declare_cmp(gconstpointer a, gconstpointer b)
{
	const HpFixDeclare *da = *(HpFixDeclare *const *)a;
	const HpFixDeclare *db = *(HpFixDeclare *const *)b;
	return (gint)da->addr.function - (gint)db->addr.function;
}

/**
 * hp_fix_apply:
 * @hdoc: the document, changed in place
 * @domain: its model, from the same check as @diags
 * @diags: the check's findings
 * @only: (nullable): repair only this finding of @diags
 *
 * Returns: how many findings were repaired.
 */
guint
hp_fix_apply(HpDocument *hdoc, const HpDomain *domain, const HpDiagList *diags, const HpDiag *only)
{
	HpFixPlan plan;
	g_autoptr(GHashTable) removed = g_hash_table_new(NULL, NULL);
	guint n = 0;

	plan.remove = g_ptr_array_new();
	plan.set_attr = g_ptr_array_new_with_free_func(hp_fix_attr_free);
	plan.declare = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; i < diags->items->len; i++) {
		const HpDiag *d = g_ptr_array_index(diags->items, i);
		if (only != NULL && d != only)
			continue;
		if (hp_fix_plan_one(hdoc, domain, d, &plan))
			n++;
	}
	for (guint i = 0; i < plan.set_attr->len; i++) {
		const HpFixAttr *a = g_ptr_array_index(plan.set_attr, i);
		xmlSetProp(a->node, (const xmlChar *)a->name, (const xmlChar *)a->value);
	}
	/* missing functions in ascending order, each after the one before */
	g_ptr_array_sort(plan.declare, hp_fix_declare_cmp);
	for (guint i = 0; i < plan.declare->len; i++) {
		const HpFixDeclare *decl = g_ptr_array_index(plan.declare, i);
		xmlNode *after = decl->after;
		hp_fix_declare(decl, &after);
		/* the next function of this slot goes after this one */
		for (guint j = i + 1; j < plan.declare->len; j++) {
			HpFixDeclare *next = g_ptr_array_index(plan.declare, j);
			if (next->after == decl->after)
				next->after = after;
		}
	}
	for (guint i = 0; i < plan.remove->len; i++) {
		xmlNode *node = g_ptr_array_index(plan.remove, i);
		xmlNode *prev = node->prev;
		if (!g_hash_table_add(removed, node))
			continue;
		/* the whitespace before it goes with it */
		if (prev != NULL && prev->type == XML_TEXT_NODE && xmlIsBlankNode(prev)) {
			xmlUnlinkNode(prev);
			xmlFreeNode(prev);
		}
		xmlUnlinkNode(node);
		xmlFreeNode(node);
	}
	g_ptr_array_unref(plan.remove);
	g_ptr_array_unref(plan.set_attr);
	g_ptr_array_unref(plan.declare);
	return n;
}
