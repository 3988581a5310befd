/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "hp-diag.h"

#include <string.h>

/* The contract's rules, indexed by HpRuleId. */
static const HpRule rules[] = {
    [HP_RULE_XML_MALFORMED] = {HP_RULE_XML_MALFORMED, "xml-malformed", HP_SEVERITY_ERROR, HP_LAYER_STATIC, "The document is not well-formed XML"},
    [HP_RULE_SCHEMA] = {HP_RULE_SCHEMA, "schema", HP_SEVERITY_ERROR, HP_LAYER_STATIC, "hostdev-preflight's RelaxNG grammar rejects the document"},
    [HP_RULE_LIBVIRT_SCHEMA] = {HP_RULE_LIBVIRT_SCHEMA, "libvirt-schema", HP_SEVERITY_ERROR, HP_LAYER_STATIC, "libvirt's RelaxNG grammar rejects the document (extensions removed first)"},
    [HP_RULE_PCI_ADDRESS_INVALID] = {HP_RULE_PCI_ADDRESS_INVALID, "pci-address-invalid", HP_SEVERITY_ERROR, HP_LAYER_STATIC, "A PCI address field is out of range or not a number"},
    [HP_RULE_PCI_ADDRESS_OCTAL] = {HP_RULE_PCI_ADDRESS_OCTAL, "pci-address-octal", HP_SEVERITY_WARNING, HP_LAYER_STATIC, "A PCI address field is written with a leading zero and so read as octal"},
    [HP_RULE_HOSTDEV_DUPLICATE] = {HP_RULE_HOSTDEV_DUPLICATE, "hostdev-duplicate", HP_SEVERITY_ERROR, HP_LAYER_STATIC, "The same host PCI function is claimed twice"},
    [HP_RULE_UNASSIGNED_HAS_GUEST_ADDRESS] = {HP_RULE_UNASSIGNED_HAS_GUEST_ADDRESS, "unassigned-has-guest-address", HP_SEVERITY_ERROR, HP_LAYER_STATIC, "An unassigned function carries a guest PCI address"},
    [HP_RULE_UNASSIGNED_HAS_GUEST_SETTINGS] = {HP_RULE_UNASSIGNED_HAS_GUEST_SETTINGS, "unassigned-has-guest-settings", HP_SEVERITY_ERROR, HP_LAYER_STATIC, "An unassigned function carries guest-side settings"},
    [HP_RULE_GUEST_ADDRESS_CONFLICT] = {HP_RULE_GUEST_ADDRESS_CONFLICT, "guest-address-conflict", HP_SEVERITY_ERROR, HP_LAYER_STATIC, "Two devices sit at one guest PCI address"},
    [HP_RULE_GUEST_FUNCTION_ZERO_MISSING] = {HP_RULE_GUEST_FUNCTION_ZERO_MISSING, "guest-function-zero-missing", HP_SEVERITY_ERROR, HP_LAYER_STATIC, "A guest slot holds functions above 0 but no function 0"},
    [HP_RULE_GUEST_MULTIFUNCTION_OFF] = {HP_RULE_GUEST_MULTIFUNCTION_OFF, "guest-multifunction-off", HP_SEVERITY_WARNING, HP_LAYER_STATIC, "Function 0 of a shared guest slot lacks multifunction='on'"},
    [HP_RULE_ALL_FUNCTIONS_UNASSIGNED] = {HP_RULE_ALL_FUNCTIONS_UNASSIGNED, "all-functions-unassigned", HP_SEVERITY_WARNING, HP_LAYER_STATIC, "Every declared function of a host device is unassigned"},
    [HP_RULE_HOST_CHECKS_SKIPPED] = {HP_RULE_HOST_CHECKS_SKIPPED, "host-checks-skipped", HP_SEVERITY_NOTE, HP_LAYER_HOST, "There is no PCI sysfs to check against"},
    [HP_RULE_HOST_DEVICE_NOT_FOUND] = {HP_RULE_HOST_DEVICE_NOT_FOUND, "host-device-not-found", HP_SEVERITY_ERROR, HP_LAYER_HOST, "No such PCI device on the host"},
    [HP_RULE_IOMMU_MISSING] = {HP_RULE_IOMMU_MISSING, "iommu-missing", HP_SEVERITY_ERROR, HP_LAYER_HOST, "The device has no IOMMU group"},
    [HP_RULE_MULTIFUNCTION_INCOMPLETE] = {HP_RULE_MULTIFUNCTION_INCOMPLETE, "multifunction-incomplete", HP_SEVERITY_ERROR, HP_LAYER_HOST, "A function of a multifunction host device is not declared"},
    [HP_RULE_ASSIGNED_NOT_MULTIFUNCTION] = {HP_RULE_ASSIGNED_NOT_MULTIFUNCTION, "assigned-not-multifunction", HP_SEVERITY_ERROR, HP_LAYER_HOST, "The assigned attribute or unassigned form is used on a device that is not multifunction"},
    [HP_RULE_IOMMU_GROUP_NOT_VIABLE] = {HP_RULE_IOMMU_GROUP_NOT_VIABLE, "iommu-group-not-viable", HP_SEVERITY_ERROR, HP_LAYER_HOST, "An undeclared IOMMU group member is bound to a driver that breaks VFIO group viability"},
    [HP_RULE_MANAGED_NO_NOT_BOUND] = {HP_RULE_MANAGED_NO_NOT_BOUND, "managed-no-not-bound", HP_SEVERITY_ERROR, HP_LAYER_HOST, "managed='no' but the device is not bound to a VFIO driver"},
    [HP_RULE_VFIO_DRIVER_BY_NAME] = {HP_RULE_VFIO_DRIVER_BY_NAME, "vfio-driver-by-name", HP_SEVERITY_WARNING, HP_LAYER_HOST, "A bound driver is taken as VFIO only because its name contains \"vfio\""},
    [HP_RULE_VARIANT_DRIVER_UNKNOWN] = {HP_RULE_VARIANT_DRIVER_UNKNOWN, "variant-driver-unknown", HP_SEVERITY_ERROR, HP_LAYER_HOST, "<driver model='X'/> names a driver or module the host does not have"},
    [HP_RULE_MODULES_ALIAS_MISSING] = {HP_RULE_MODULES_ALIAS_MISSING, "modules-alias-missing", HP_SEVERITY_WARNING, HP_LAYER_HOST, "No modules.alias for the kernel release; the generic vfio-pci is assumed"},
    [HP_RULE_MULTIFUNCTION_PARTIAL] = {HP_RULE_MULTIFUNCTION_PARTIAL, "multifunction-partial", HP_SEVERITY_WARNING, HP_LAYER_HOST, "A function of a multifunction device is not declared, but the IOMMU isolates it in a group of its own"},
    [HP_RULE_HOST_DEVICE_NOT_ENDPOINT] = {HP_RULE_HOST_DEVICE_NOT_ENDPOINT, "host-device-not-endpoint", HP_SEVERITY_ERROR, HP_LAYER_HOST, "The device is a bridge or root port, which VFIO cannot take"},
    [HP_RULE_INTERFACE_HOSTDEV_NOT_VF] = {HP_RULE_INTERFACE_HOSTDEV_NOT_VF, "interface-hostdev-not-vf", HP_SEVERITY_ERROR, HP_LAYER_HOST, "<interface type='hostdev'> names a device that is not an SR-IOV VF"},
    [HP_RULE_HOST_DEVICE_IN_USE] = {HP_RULE_HOST_DEVICE_IN_USE, "host-device-in-use", HP_SEVERITY_ERROR, HP_LAYER_HOST, "The host uses the device: a mounted filesystem, active swap, the default route or the boot display"},
    [HP_RULE_DEVICE_RESET_UNAVAILABLE] = {HP_RULE_DEVICE_RESET_UNAVAILABLE, "device-reset-unavailable", HP_SEVERITY_WARNING, HP_LAYER_HOST, "The kernel has no way to reset the device"},
    [HP_RULE_HOST_FILE_MALFORMED] = {HP_RULE_HOST_FILE_MALFORMED, "host-file-malformed", HP_SEVERITY_WARNING, HP_LAYER_HOST, "A host file a check read is garbled, not a regular file, or over its size limit"},
    [HP_RULE_DOMAIN_TOO_LARGE] = {HP_RULE_DOMAIN_TOO_LARGE, "domain-too-large", HP_SEVERITY_ERROR, HP_LAYER_STATIC, "The document exceeds the input limits (10 MiB, 200,000 elements)"},
};
G_STATIC_ASSERT(G_N_ELEMENTS(rules) == HP_RULE_COUNT);

const HpRule *
hp_rules_all(guint *ret_count)
{
	*ret_count = G_N_ELEMENTS(rules);
	return rules;
}

const HpRule *
hp_rule_get(HpRuleId id)
{
	g_return_val_if_fail((guint)id < HP_RULE_COUNT, NULL);
	return &rules[id];
}

/* By its stable id, for tests and configuration; NULL when unknown. */
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

/*
 * Appends @str (at most @len bytes) to @out with every control character and
 * every byte that is not valid UTF-8 written as an escape (\n, \t, \x1b,
 * \xff), so that no text from an input can start a new diagnostic line, move
 * a terminal's cursor, or make a JSON or SARIF reader fail. Stops after
 * @max_chars characters of @str, setting *@ret_cut.
 */
static void
hp_escape_append(GString *out, const gchar *str, gsize len, guint max_chars, gboolean *ret_cut)
{
	const gchar *p = str;
	const gchar *end = str + len;
	guint chars = 0;

	*ret_cut = FALSE;
	while (p < end) {
		gunichar c;
		const gchar *next;

		if (chars == max_chars) {
			*ret_cut = TRUE;
			return;
		}
		c = g_utf8_get_char_validated(p, end - p);
		if (c == (gunichar)-1 || c == (gunichar)-2) {
			g_string_append_printf(out, "\\x%02x", (guchar)*p);
			p++;
			chars++;
			continue;
		}
		next = g_utf8_next_char(p);
		switch (c) {
		case '\n':
			g_string_append(out, "\\n");
			break;
		case '\r':
			g_string_append(out, "\\r");
			break;
		case '\t':
			g_string_append(out, "\\t");
			break;
		default:
			if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) || c == 0x2028 || c == 0x2029)
				g_string_append_printf(out, c < 0x100 ? "\\x%02x" : "\\u%04x", c);
			else
				g_string_append_len(out, p, next - p);
		}
		p = next;
		chars++;
	}
}

/**
 * hp_echo:
 * @value: (nullable): text from an input (a domain, a host file)
 *
 * The one way a value from an input goes into a message: cut at
 * %HP_ECHO_MAX characters (an ellipsis says it was cut) and with control
 * characters and invalid UTF-8 escaped (SPEC section 4).
 *
 * Returns: (transfer full): the text to print; "(null)" for %NULL.
 */
gchar *
hp_echo(const gchar *value)
{
	GString *out;
	gboolean cut;

	if (value == NULL)
		return g_strdup("(null)");
	out = g_string_sized_new(strlen(value) + 8);
	hp_escape_append(out, value, strlen(value), HP_ECHO_MAX, &cut);
	if (cut)
		g_string_append(out, "\xe2\x80\xa6"); /* U+2026, an ellipsis */
	return g_string_free(out, FALSE);
}

/**
 * hp_escape:
 * @value: (nullable): text from outside that must be shown whole (a file
 *   name given on the command line)
 *
 * As hp_echo(), without the cut: control characters and invalid UTF-8
 * escaped, so a file name with a newline cannot forge a diagnostic line.
 *
 * Returns: (transfer full): the text to print; "(null)" for %NULL.
 */
gchar *
hp_escape(const gchar *value)
{
	GString *out;
	gboolean cut;

	if (value == NULL)
		return g_strdup("(null)");
	out = g_string_sized_new(strlen(value) + 8);
	hp_escape_append(out, value, strlen(value), G_MAXUINT, &cut);
	return g_string_free(out, FALSE);
}

/* A message is ours, but the values in it come from inputs: whatever a rule
 * forgot to pass through hp_echo() is still escaped here. */
static gchar *
hp_message_sanitize(const gchar *msg)
{
	GString *out = g_string_sized_new(strlen(msg));
	gboolean cut;
	hp_escape_append(out, msg, strlen(msg), G_MAXUINT, &cut);
	return g_string_free(out, FALSE);
}

/**
 * hp_diag_list_add:
 * @rule: the rule
 * @span: (nullable): where in the file, %NULL when the finding has no place there
 * @device: (nullable): the host PCI function the finding is about
 *
 * Returns: (transfer none): the new record, owned by @list.
 */
HpDiag *
hp_diag_list_add(HpDiagList *list, HpRuleId rule_id, const HpSpan *span, const HpPciAddress *device,
		 const gchar *fmt, ...)
{
	const HpRule *rule = hp_rule_get(rule_id);
	g_autofree gchar *raw = NULL;
	HpDiag *diag;
	va_list args;

	g_return_val_if_fail(rule != NULL, NULL);
	diag = g_new0(HpDiag, 1);
	diag->rule = rule;
	diag->severity = rule->severity;
	if (span != NULL)
		diag->span = *span;
	if (device != NULL) {
		diag->has_device = TRUE;
		diag->device = *device;
	}
	va_start(args, fmt);
	raw = g_strdup_vprintf(fmt, args);
	va_end(args);
	diag->message = hp_message_sanitize(raw);
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
	if (da->span.line != db->span.line)
		return da->span.line < db->span.line ? -1 : 1;
	if (da->span.column != db->span.column)
		return da->span.column < db->span.column ? -1 : 1;
	return 0;
}

/* Orders by place in the file; g_ptr_array_sort is stable on equal places
 * only as far as glib's merge sort is, which it is. */
void
hp_diag_list_sort(HpDiagList *list)
{
	g_ptr_array_sort(list->items, hp_diag_cmp);
}
