/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "hp-domain.h"

#include <string.h>

#include "hp-xml-util.h"

static const gchar *guest_setting_names[] = {"alias", "boot", "rom", "acpi", "teaming"};

const gchar *
hp_guest_setting_name(HpGuestSetting setting)
{
	for (guint i = 0; i < G_N_ELEMENTS(guest_setting_names); i++) {
		if (setting == (1u << i))
			return guest_setting_names[i];
	}
	return "?";
}

const gchar *
hp_hostdev_element_name(const HpHostdev *hostdev)
{
	return hostdev->kind == HP_HOSTDEV_KIND_INTERFACE ? "interface" : "hostdev";
}

/* <hostdev> is a PCI subsystem device: mode absent or 'subsystem', type 'pci'. */
gboolean
hp_hostdev_is_pci_subsystem(const xmlNode *node)
{
	g_autofree gchar *mode = hp_xml_prop(node, "mode");
	g_autofree gchar *type = hp_xml_prop(node, "type");
	return hp_xml_is_element(node, "hostdev") && (mode == NULL || g_strcmp0(mode, "subsystem") == 0) &&
	       g_strcmp0(type, "pci") == 0;
}

/*
 * Reads the four fields of a PCI <address>. A field that is absent is 0, as
 * libvirt takes it. Each bad field is a finding at the attribute; a value
 * whose leading zero makes it octal, and so not what it reads as, a warning.
 * Returns TRUE when every field is usable.
 */
static gboolean
hp_domain_parse_pci_address(const HpDocument *hdoc, xmlNode *node, HpDiagList *diags,
			    HpPciAddress *ret_addr)
{
	HpPciAddress addr = {0};
	gboolean ok = TRUE;

	for (HpPciField f = 0; f < HP_PCI_FIELD_LAST; f++) {
		const gchar *name = hp_pci_field_name(f);
		g_autofree gchar *value = hp_xml_prop(node, name);
		g_autofree gchar *echo = NULL;
		guint64 v = 0;
		HpSpan span;
		HpNumberResult result;

		if (value == NULL)
			continue;
		result = hp_number_parse(value, hp_pci_field_max(f), &v);
		if (result == HP_NUMBER_OK) {
			hp_pci_address_set_field(&addr, f, (guint)v);
			continue;
		}
		span = hp_document_span(hdoc, node, name);
		echo = hp_echo(value);
		switch (result) {
		case HP_NUMBER_OCTAL:
			hp_diag_list_add(diags, HP_RULE_PCI_ADDRESS_OCTAL, &span, NULL,
					 "%s='%s' has a leading zero, so it is read as octal %" G_GUINT64_FORMAT
					 " (0x%" G_GINT64_MODIFIER "x), not decimal; write %s='0x%" G_GINT64_MODIFIER
					 "x' if that is meant, or drop the leading zero",
					 name, echo, v, v, name, v);
			hp_pci_address_set_field(&addr, f, (guint)v);
			break;
		case HP_NUMBER_NOT_A_NUMBER:
			hp_diag_list_add(diags, HP_RULE_PCI_ADDRESS_INVALID, &span, NULL,
					 "%s='%s' of <address> is not a number; write it in hex like %s='0x%0*x'",
					 name, echo, name, f == HP_PCI_FIELD_DOMAIN ? 4 : (f == HP_PCI_FIELD_FUNCTION ? 1 : 2), 0);
			ok = FALSE;
			break;
		case HP_NUMBER_OUT_OF_RANGE:
		case HP_NUMBER_OK:
		default:
			hp_diag_list_add(diags, HP_RULE_PCI_ADDRESS_INVALID, &span, NULL,
					 "%s='%s' of <address> is out of range: a PCI %s is at most 0x%" G_GINT64_MODIFIER "x",
					 name, echo, name, hp_pci_field_max(f));
			ok = FALSE;
			break;
		}
	}
	if (ok)
		*ret_addr = addr;
	return ok;
}

static HpGuestAddress *
hp_domain_add_guest_address(HpDomain *domain, const HpDocument *hdoc, xmlNode *device, HpDiagList *diags)
{
	xmlNode *addr_node = hp_xml_child(device, "address");
	g_autofree gchar *type = NULL;
	g_autofree gchar *mf = NULL;
	HpGuestAddress *guest;

	if (addr_node == NULL)
		return NULL;
	type = hp_xml_prop(addr_node, "type");
	if (g_strcmp0(type, "pci") != 0)
		return NULL;
	guest = g_new0(HpGuestAddress, 1);
	guest->device = device;
	guest->node = addr_node;
	guest->valid = hp_domain_parse_pci_address(hdoc, addr_node, diags, &guest->addr);
	/* libvirt fills in an all-zero guest PCI address itself */
	guest->wanted = guest->valid && hp_pci_address_key(&guest->addr) == 0;
	guest->span = hp_document_span(hdoc, addr_node, NULL);
	guest->function_span = hp_document_span(hdoc, addr_node, "function");
	mf = hp_xml_prop(addr_node, "multifunction");
	guest->multifunction = g_strcmp0(mf, "on") == 0;
	g_ptr_array_add(domain->guest_addresses, guest);
	return guest;
}

static void
hp_hostdev_free(gpointer data)
{
	HpHostdev *hostdev = data;
	g_free(hostdev->driver_model);
	g_free(hostdev);
}

static void
hp_domain_add_hostdev(HpDomain *domain, const HpDocument *hdoc, xmlNode *node, HpHostdevKind kind,
		      HpGuestAddress *guest, HpDiagList *diags)
{
	HpHostdev *hostdev;
	xmlNode *source = hp_xml_child(node, "source");
	xmlNode *addr = source != NULL ? hp_xml_child(source, "address") : NULL;
	g_autofree gchar *managed = hp_xml_prop(node, "managed");
	g_autofree gchar *assigned = NULL;
	xmlNode *guest_addr = hp_xml_child(node, "address");
	xmlNode *driver = hp_xml_child(node, "driver");

	if (kind == HP_HOSTDEV_KIND_INTERFACE) {
		/* an interface's source may be a USB device: not ours */
		g_autofree gchar *type = addr != NULL ? hp_xml_prop(addr, "type") : NULL;
		if (addr == NULL || g_strcmp0(type, "pci") != 0)
			return;
	}
	hostdev = g_new0(HpHostdev, 1);
	hostdev->kind = kind;
	hostdev->node = node;
	hostdev->source_node = addr;
	hostdev->span = hp_document_span(hdoc, node, NULL);
	hostdev->source_span = hp_document_span(hdoc, addr != NULL ? addr : node, NULL);
	hostdev->model_span = hp_document_span(hdoc, driver != NULL ? driver : node, driver != NULL ? "model" : NULL);
	if (addr != NULL)
		hostdev->source_valid = hp_domain_parse_pci_address(hdoc, addr, diags, &hostdev->source);
	hostdev->managed = g_strcmp0(managed, "yes") == 0;
	hostdev->assigned = TRUE;
	if (kind == HP_HOSTDEV_KIND_HOSTDEV) {
		g_autofree gchar *gtype = guest_addr != NULL ? hp_xml_prop(guest_addr, "type") : NULL;
		assigned = hp_xml_prop(node, "assigned");
		hostdev->assigned_attr = assigned != NULL;
		hostdev->unassigned_address = g_strcmp0(gtype, "unassigned") == 0;
		if (g_strcmp0(assigned, "no") == 0 || hostdev->unassigned_address)
			hostdev->assigned = FALSE;
		if (driver != NULL)
			hostdev->driver_model = hp_xml_prop(driver, "model");
	}
	hostdev->guest = guest;
	for (guint i = 0; i < G_N_ELEMENTS(guest_setting_names); i++) {
		xmlNode *child = hp_xml_child(node, guest_setting_names[i]);
		if (child != NULL) {
			hostdev->guest_settings |= 1u << i;
			hostdev->guest_setting_nodes[i] = child;
			hostdev->guest_setting_spans[i] = hp_document_span(hdoc, child, NULL);
		}
	}
	g_ptr_array_add(domain->hostdevs, hostdev);
}

/**
 * hp_domain_parse:
 * @hdoc: a well-formed document
 * @diags: findings about address fields go here
 *
 * Reads the devices of every <devices> element of the domain, in document
 * order: libvirt's own parser collects them with `./devices/hostdev` (all
 * of them), and the schema layer checks every <devices> too; that more than
 * one is there is for libvirt's grammar to refuse. Spans come from the
 * positions recorded when @hdoc was read: an element's covers its start tag
 * (from '<' to just past '>'), an attribute's its name to just past the
 * value's closing quote.
 *
 * Returns: (transfer full): the PCI host devices and guest PCI addresses of
 * the domain; empty lists when the root is not <domain>.
 */
HpDomain *
hp_domain_parse(const HpDocument *hdoc, HpDiagList *diags)
{
	HpDomain *domain = g_new0(HpDomain, 1);
	xmlNode *root = xmlDocGetRootElement(hdoc->doc);

	domain->hostdevs = g_ptr_array_new_with_free_func(hp_hostdev_free);
	domain->guest_addresses = g_ptr_array_new_with_free_func(g_free);
	domain->span = hp_document_span(hdoc, root, NULL);
	if (!hp_xml_is_element(root, "domain"))
		return domain;
	domain->name = hp_xml_child_text(root, "name");
	for (xmlNode *devices = root->children; devices != NULL; devices = devices->next) {
		if (!hp_xml_is_element(devices, "devices"))
			continue;
		for (xmlNode *n = devices->children; n != NULL; n = n->next) {
			HpGuestAddress *guest;
			if (n->type != XML_ELEMENT_NODE)
				continue;
			guest = hp_domain_add_guest_address(domain, hdoc, n, diags);
			if (hp_hostdev_is_pci_subsystem(n)) {
				hp_domain_add_hostdev(domain, hdoc, n, HP_HOSTDEV_KIND_HOSTDEV, guest, diags);
			} else if (hp_xml_is_element(n, "interface")) {
				g_autofree gchar *type = hp_xml_prop(n, "type");
				if (g_strcmp0(type, "hostdev") == 0)
					hp_domain_add_hostdev(domain, hdoc, n, HP_HOSTDEV_KIND_INTERFACE, guest, diags);
			}
		}
	}
	return domain;
}

void
hp_domain_free(HpDomain *domain)
{
	if (domain == NULL)
		return;
	g_free(domain->name);
	g_ptr_array_unref(domain->hostdevs);
	g_ptr_array_unref(domain->guest_addresses);
	g_free(domain);
}
