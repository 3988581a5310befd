/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "hp-diag.h"

/* The contract's rules, in SPEC order. */
static const HpRule rules[] = {
    {"xml-malformed", HP_SEVERITY_ERROR, HP_LAYER_STATIC, "The document is not well-formed XML"},
    {"schema", HP_SEVERITY_ERROR, HP_LAYER_STATIC, "hostdev-preflight's RelaxNG grammar rejects the document"},
    {"libvirt-schema", HP_SEVERITY_ERROR, HP_LAYER_STATIC, "libvirt's RelaxNG grammar rejects the document (extensions removed first)"},
    {"pci-address-invalid", HP_SEVERITY_ERROR, HP_LAYER_STATIC, "A PCI address field is out of range or not a number"},
    {"pci-address-octal", HP_SEVERITY_WARNING, HP_LAYER_STATIC, "A PCI address field is written with a leading zero and so read as octal"},
    {"hostdev-duplicate", HP_SEVERITY_ERROR, HP_LAYER_STATIC, "The same host PCI function is claimed twice"},
    {"unassigned-has-guest-address", HP_SEVERITY_ERROR, HP_LAYER_STATIC, "An unassigned function carries a guest PCI address"},
    {"unassigned-has-guest-settings", HP_SEVERITY_ERROR, HP_LAYER_STATIC, "An unassigned function carries guest-side settings"},
    {"guest-address-conflict", HP_SEVERITY_ERROR, HP_LAYER_STATIC, "Two devices sit at one guest PCI address"},
    {"guest-function-zero-missing", HP_SEVERITY_ERROR, HP_LAYER_STATIC, "A guest slot holds functions above 0 but no function 0"},
    {"guest-multifunction-off", HP_SEVERITY_WARNING, HP_LAYER_STATIC, "Function 0 of a shared guest slot lacks multifunction='on'"},
    {"all-functions-unassigned", HP_SEVERITY_WARNING, HP_LAYER_STATIC, "Every declared function of a host device is unassigned"},
    {"host-checks-skipped", HP_SEVERITY_NOTE, HP_LAYER_HOST, "There is no PCI sysfs to check against"},
    {"host-device-not-found", HP_SEVERITY_ERROR, HP_LAYER_HOST, "No such PCI device on the host"},
    {"iommu-missing", HP_SEVERITY_ERROR, HP_LAYER_HOST, "The device has no IOMMU group"},
    {"multifunction-incomplete", HP_SEVERITY_ERROR, HP_LAYER_HOST, "A function of a multifunction host device is not declared"},
    {"assigned-not-multifunction", HP_SEVERITY_ERROR, HP_LAYER_HOST, "The assigned attribute or unassigned form is used on a device that is not multifunction"},
    {"iommu-group-not-viable", HP_SEVERITY_ERROR, HP_LAYER_HOST, "An undeclared IOMMU group member is bound to a driver that breaks VFIO group viability"},
    {"managed-no-not-bound", HP_SEVERITY_ERROR, HP_LAYER_HOST, "managed='no' but the device is not bound to a VFIO driver"},
    {"vfio-driver-by-name", HP_SEVERITY_WARNING, HP_LAYER_HOST, "A bound driver is taken as VFIO only because its name contains \"vfio\""},
    {"variant-driver-unknown", HP_SEVERITY_ERROR, HP_LAYER_HOST, "<driver model='X'/> names a driver or module the host does not have"},
    {"modules-alias-missing", HP_SEVERITY_WARNING, HP_LAYER_HOST, "No modules.alias for the kernel release; the generic vfio-pci is assumed"},
};

const HpRule *
hp_rules_all(guint *ret_count)
{
	*ret_count = G_N_ELEMENTS(rules);
	return rules;
}

const HpRule *
hp_rule_lookup(const gchar *id)
{
	for (guint i = 0; i < G_N_ELEMENTS(rules); i++) {
		if (g_strcmp0(rules[i].id, id) == 0)
			return &rules[i];
	}
	return NULL;
}

const gchar *
hp_severity_to_string(HpSeverity severity)
{
	switch (severity) {
	case HP_SEVERITY_ERROR:
		return "error";
	case HP_SEVERITY_WARNING:
		return "warning";
	case HP_SEVERITY_NOTE:
	default:
		return "note";
	}
}

static void
hp_diag_free(gpointer data)
{
	HpDiag *diag = data;
	g_free(diag->message);
	g_free(diag);
}

HpDiagList *
hp_diag_list_new(void)
{
	HpDiagList *list = g_new0(HpDiagList, 1);
	list->items = g_ptr_array_new_with_free_func(hp_diag_free);
	return list;
}

void
hp_diag_list_free(HpDiagList *list)
{
	if (list == NULL)
		return;
	g_ptr_array_unref(list->items);
	g_free(list);
}

/**
 * hp_diag_list_add:
 * @rule_id: a rule of the contract; an unknown id is a programming error
 * @device: (nullable): the host PCI function the finding is about
 *
 * Returns: (transfer none): the new record, owned by @list.
 */
HpDiag *
hp_diag_list_add(HpDiagList *list, const gchar *rule_id, guint line, guint column,
		 const HpPciAddress *device, const gchar *fmt, ...)
{
	const HpRule *rule = hp_rule_lookup(rule_id);
	HpDiag *diag;
	va_list args;

	g_return_val_if_fail(rule != NULL, NULL);
	diag = g_new0(HpDiag, 1);
	diag->rule = rule;
	diag->severity = rule->severity;
	diag->line = line;
	diag->column = column;
	if (device != NULL) {
		diag->has_device = TRUE;
		diag->device = *device;
	}
	va_start(args, fmt);
	diag->message = g_strdup_vprintf(fmt, args);
	va_end(args);
	g_ptr_array_add(list->items, diag);
	return diag;
}

guint
hp_diag_list_count(const HpDiagList *list, HpSeverity severity)
{
	guint n = 0;
	for (guint i = 0; i < list->items->len; i++) {
		const HpDiag *diag = g_ptr_array_index(list->items, i);
		if (diag->severity == severity)
			n++;
	}
	return n;
}

static gint
hp_diag_cmp(gconstpointer a, gconstpointer b)
{
	const HpDiag *da = *(HpDiag *const *)a;
	const HpDiag *db = *(HpDiag *const *)b;
	if (da->line != db->line)
		return da->line < db->line ? -1 : 1;
	if (da->column != db->column)
		return da->column < db->column ? -1 : 1;
	return 0;
}

/* Orders by place in the file; g_ptr_array_sort is stable on equal places
 * only as far as glib's merge sort is, which it is. */
void
hp_diag_list_sort(HpDiagList *list)
{
	g_ptr_array_sort(list->items, hp_diag_cmp);
}
