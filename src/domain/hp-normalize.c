/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "hp-normalize.h"

#include <string.h>

#include <gio/gio.h>
#include <libxml/parser.h>
#include <libxslt/security.h>
#include <libxslt/transform.h>
#include <libxslt/xslt.h>
#include <libxslt/xsltutils.h>

#include "hp-diag.h"
#include "hp-document.h"
#include "hp-domain.h"
#include "hp-error.h"
#include "hp-resources.h"
#include "hp-xml-util.h"

/*
 * Shared read-only by every thread that normalizes with it: the compiled
 * stylesheet and the security preferences. Everything a transform changes
 * (its context, its error sink) belongs to that one call.
 */
struct _HpNormalizer {
	xsltStylesheetPtr xsl;
	xsltSecurityPrefsPtr security;
};

/* libxslt's process-wide state, set up once: two threads creating the
 * first normalizers at once would otherwise race in xsltInit(). */
static void
hp_xslt_init_once(void)
{
	static gsize once = 0;
	if (g_once_init_enter(&once)) {
		hp_xml_init();
		xsltInit();
		g_once_init_leave(&once, 1);
	}
}

/* One transform's messages (its context's error function): collected,
 * never printed. */
static void hp_xslt_collect(void *ctx, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static void
hp_xslt_collect(void *ctx, const char *fmt, ...)
{
	GString *msgs = ctx;
	va_list args;
	if (msgs == NULL)
		return;
	va_start(args, fmt);
	g_string_append_vprintf(msgs, fmt, args);
	va_end(args);
}

/**
 * hp_normalizer_new:
 *
 * Compiles schemas/normalize.xsl, built into the library. The normalizer
 * may then be used by several threads at once (see hp-normalize.h).
 *
 * Returns: (transfer full) (nullable): the normalizer, or %NULL with @error.
 */
HpNormalizer *
hp_normalizer_new(GError **error)
{
	g_autoptr(GBytes) bytes = NULL;
	g_autoptr(HpNormalizer) norm = g_new0(HpNormalizer, 1);
	xmlDoc *xsl_doc;
	gsize len = 0;
	const gchar *data;

	hp_xslt_init_once();
	bytes = g_resource_lookup_data(hp_get_resource(), "/org/hostdev-preflight/normalize.xsl",
				       G_RESOURCE_LOOKUP_FLAGS_NONE, error);
	if (bytes == NULL)
		return NULL;
	data = g_bytes_get_data(bytes, &len);
	xsl_doc = xmlReadMemory(data, (int)len, "normalize.xsl", NULL, XML_PARSE_NONET | XML_PARSE_NOERROR |
				XML_PARSE_NOWARNING);
	if (xsl_doc == NULL) {
		g_set_error_literal(error, HP_ERROR, HP_ERROR_INTERNAL, "the built-in normalize.xsl is not well-formed");
		return NULL;
	}
	/* The built-in stylesheet compiles (the suite proves it); were it ever
	 * not to, libxslt could only say so on its process-wide handler, which
	 * this library leaves alone. */
	norm->xsl = xsltParseStylesheetDoc(xsl_doc);
	if (norm->xsl == NULL || norm->xsl->errors > 0) {
		if (norm->xsl == NULL)
			xmlFreeDoc(xsl_doc);
		g_set_error_literal(error, HP_ERROR, HP_ERROR_INTERNAL, "the built-in normalize.xsl does not compile");
		return NULL;
	}
	/* The stylesheet reads and writes nothing but the document given. */
	norm->security = xsltNewSecurityPrefs();
	if (norm->security == NULL ||
	    xsltSetSecurityPrefs(norm->security, XSLT_SECPREF_READ_FILE, xsltSecurityForbid) != 0 ||
	    xsltSetSecurityPrefs(norm->security, XSLT_SECPREF_WRITE_FILE, xsltSecurityForbid) != 0 ||
	    xsltSetSecurityPrefs(norm->security, XSLT_SECPREF_CREATE_DIRECTORY, xsltSecurityForbid) != 0 ||
	    xsltSetSecurityPrefs(norm->security, XSLT_SECPREF_READ_NETWORK, xsltSecurityForbid) != 0 ||
	    xsltSetSecurityPrefs(norm->security, XSLT_SECPREF_WRITE_NETWORK, xsltSecurityForbid) != 0) {
		g_set_error_literal(error, HP_ERROR, HP_ERROR_INTERNAL, "cannot set up the stylesheet's security preferences");
		return NULL;
	}
	return g_steal_pointer(&norm);
}

void
hp_normalizer_free(HpNormalizer *norm)
{
	if (norm == NULL)
		return;
	if (norm->xsl != NULL)
		xsltFreeStylesheet(norm->xsl);
	if (norm->security != NULL)
		xsltFreeSecurityPrefs(norm->security);
	g_free(norm);
}

void
hp_normalize_warning_free(HpNormalizeWarning *warning)
{
	if (warning == NULL)
		return;
	g_free(warning->device);
	g_free(warning->message);
	g_free(warning);
}

/* ---- libvirt's style of XML ---- */

static void
hp_append_escaped(GString *out, const xmlChar *text, gboolean attr)
{
	for (const xmlChar *p = text; p != NULL && *p != '\0'; p++) {
		switch (*p) {
		case '&':
			g_string_append(out, "&amp;");
			break;
		case '<':
			g_string_append(out, "&lt;");
			break;
		case '>':
			g_string_append(out, "&gt;");
			break;
		case '\'':
			g_string_append(out, attr ? "&apos;" : "'");
			break;
		case '"':
			g_string_append(out, attr ? "&quot;" : "\"");
			break;
		case '\n':
			g_string_append(out, attr ? "&#10;" : "\n");
			break;
		case '\r':
			g_string_append(out, "&#13;");
			break;
		case '\t':
			g_string_append(out, attr ? "&#9;" : "\t");
			break;
		default:
			g_string_append_c(out, (gchar)*p);
		}
	}
}

static gboolean
hp_is_blank_text(const xmlNode *node)
{
	return node->type == XML_TEXT_NODE && xmlIsBlankNode((xmlNode *)node);
}

/* Element-only content (children that are elements, comments, PIs and
 * blank text) is indented; anything with real text is written as it is. */
static gboolean
hp_element_only(const xmlNode *node)
{
	gboolean any = FALSE;
	for (const xmlNode *c = node->children; c != NULL; c = c->next) {
		if (hp_is_blank_text(c))
			continue;
		if (c->type != XML_ELEMENT_NODE && c->type != XML_COMMENT_NODE && c->type != XML_PI_NODE)
			return FALSE;
		any = TRUE;
	}
	return any;
}

static void
hp_append_qname(GString *out, const xmlNs *ns, const xmlChar *name)
{
	if (ns != NULL && ns->prefix != NULL)
		g_string_append_printf(out, "%s:", (const gchar *)ns->prefix);
	g_string_append(out, (const gchar *)name);
}

static void hp_format_node(GString *out, const xmlNode *node, guint depth, gboolean indent);

static void
hp_format_element(GString *out, const xmlNode *node, guint depth, gboolean indent)
{
	gboolean element_only;

	g_string_append_c(out, '<');
	hp_append_qname(out, node->ns, node->name);
	for (const xmlNs *ns = node->nsDef; ns != NULL; ns = ns->next) {
		g_string_append(out, ns->prefix != NULL ? " xmlns:" : " xmlns");
		if (ns->prefix != NULL)
			g_string_append(out, (const gchar *)ns->prefix);
		g_string_append(out, "='");
		hp_append_escaped(out, ns->href, TRUE);
		g_string_append_c(out, '\'');
	}
	for (const xmlAttr *a = node->properties; a != NULL; a = a->next) {
		xmlChar *value = xmlNodeListGetString(node->doc, a->children, 1);
		g_string_append_c(out, ' ');
		hp_append_qname(out, a->ns, a->name);
		g_string_append(out, "='");
		hp_append_escaped(out, value, TRUE);
		g_string_append_c(out, '\'');
		xmlFree(value);
	}
	if (node->children == NULL) {
		g_string_append(out, "/>");
		return;
	}
	g_string_append_c(out, '>');
	element_only = indent && hp_element_only(node);
	for (const xmlNode *c = node->children; c != NULL; c = c->next) {
		if (element_only) {
			if (hp_is_blank_text(c))
				continue;
			g_string_append_c(out, '\n');
			for (guint i = 0; i < depth + 1; i++)
				g_string_append(out, "  ");
		}
		hp_format_node(out, c, depth + 1, element_only);
	}
	if (element_only) {
		g_string_append_c(out, '\n');
		for (guint i = 0; i < depth; i++)
			g_string_append(out, "  ");
	}
	g_string_append(out, "</");
	hp_append_qname(out, node->ns, node->name);
	g_string_append_c(out, '>');
}

static void
hp_format_node(GString *out, const xmlNode *node, guint depth, gboolean indent)
{
	switch (node->type) {
	case XML_ELEMENT_NODE:
		hp_format_element(out, node, depth, indent);
		break;
	case XML_TEXT_NODE:
		hp_append_escaped(out, node->content, FALSE);
		break;
	case XML_CDATA_SECTION_NODE:
		g_string_append_printf(out, "<![CDATA[%s]]>", (const gchar *)node->content);
		break;
	case XML_COMMENT_NODE:
		g_string_append_printf(out, "<!--%s-->", (const gchar *)node->content);
		break;
	case XML_PI_NODE:
		g_string_append_printf(out, "<?%s%s%s?>", (const gchar *)node->name,
				       node->content != NULL ? " " : "",
				       node->content != NULL ? (const gchar *)node->content : "");
		break;
	case XML_ENTITY_REF_NODE:
		g_string_append_printf(out, "&%s;", (const gchar *)node->name);
		break;
	default:
		break;
	}
}

/**
 * hp_xml_format_libvirt:
 * @doc: a document
 *
 * Writes @doc as `virsh dumpxml` does: no XML declaration, single-quoted
 * attributes, two spaces per level, one element per line; text content is
 * written exactly as it is.
 *
 * Returns: (transfer full): the text, ending in a newline.
 */
gchar *
hp_xml_format_libvirt(xmlDoc *doc)
{
	GString *out = g_string_new(NULL);
	for (const xmlNode *n = doc->children; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE && n->type != XML_COMMENT_NODE && n->type != XML_PI_NODE)
			continue;
		hp_format_node(out, n, 0, TRUE);
		g_string_append_c(out, '\n');
	}
	return g_string_free(out, FALSE);
}

/*
 * One run of the stylesheet, with a transform context of its own: its
 * messages go to this call's sink, whatever other threads are doing.
 */
static xmlDoc *
hp_normalizer_transform(HpNormalizer *norm, xmlDoc *doc, gboolean compat, gboolean keep_model, GError **error)
{
	const char *params[] = {"libvirt-compat", compat ? "'yes'" : "'no'",
				"keep-driver-model", keep_model ? "'yes'" : "'no'", NULL};
	g_autoptr(GString) msgs = g_string_new(NULL);
	xsltTransformContextPtr ctxt;
	xmlDoc *result;
	gboolean failed;

	ctxt = xsltNewTransformContext(norm->xsl, doc);
	if (ctxt == NULL) {
		g_set_error_literal(error, HP_ERROR, HP_ERROR_INTERNAL, "cannot create a transform context for normalize.xsl");
		return NULL;
	}
	xsltSetTransformErrorFunc(ctxt, msgs, hp_xslt_collect);
	xsltSetCtxtSecurityPrefs(norm->security, ctxt);
	result = xsltApplyStylesheetUser(norm->xsl, doc, params, NULL, NULL, ctxt);
	failed = result == NULL || ctxt->state != XSLT_STATE_OK;
	xsltFreeTransformContext(ctxt);
	if (failed) {
		/* the stylesheet's own "error: ..." line says why; else libxslt's first */
		g_auto(GStrv) lines = g_strsplit(msgs->str, "\n", -1);
		const gchar *why = NULL;
		for (guint i = 0; lines[i] != NULL && why == NULL; i++) {
			if (g_str_has_prefix(lines[i], "error: "))
				why = lines[i] + strlen("error: ");
		}
		if (why == NULL)
			why = lines[0] != NULL && lines[0][0] != '\0' ? lines[0] : "no reason given";
		g_set_error(error, HP_ERROR, HP_ERROR_INVALID_DATA, "normalize.xsl stopped: %s", why);
		if (result != NULL)
			xmlFreeDoc(result);
		return NULL;
	}
	return result;
}

/* The "DDDD:BB:SS.F" of a host device's source address, or NULL. */
static gchar *
hp_normalize_source_name(xmlNode *hostdev)
{
	xmlNode *source = hp_xml_child(hostdev, "source");
	xmlNode *addr = source != NULL ? hp_xml_child(source, "address") : NULL;
	HpPciAddress pci = {0};
	gchar buf[HP_PCI_ADDRESS_STRLEN];

	if (addr == NULL)
		return NULL;
	for (HpPciField f = 0; f < HP_PCI_FIELD_LAST; f++) {
		g_autofree gchar *value = hp_xml_prop(addr, hp_pci_field_name(f));
		guint64 v = 0;
		HpNumberResult r;
		if (value == NULL)
			continue;
		r = hp_number_parse(value, hp_pci_field_max(f), &v);
		if (r != HP_NUMBER_OK && r != HP_NUMBER_OCTAL)
			return NULL;
		hp_pci_address_set_field(&pci, f, (guint)v);
	}
	return g_strdup(hp_pci_address_to_string(&pci, buf));
}

/* The <driver model> elements of the PCI hostdevs of every <devices>, the
 * ones the stylesheet drops in compat form unless told to keep them. */
static GPtrArray *
hp_normalize_driver_models(xmlDoc *doc)
{
	GPtrArray *drivers = g_ptr_array_new();
	xmlNode *root = xmlDocGetRootElement(doc);

	if (!hp_xml_is_element(root, "domain"))
		return drivers;
	for (xmlNode *devices = root->children; devices != NULL; devices = devices->next) {
		if (!hp_xml_is_element(devices, "devices"))
			continue;
		for (xmlNode *n = devices->children; n != NULL; n = n->next) {
			if (!hp_hostdev_is_pci_subsystem(n))
				continue;
			for (xmlNode *c = n->children; c != NULL; c = c->next) {
				if (hp_xml_is_element(c, "driver") && xmlHasNsProp(c, (const xmlChar *)"model", NULL) != NULL)
					g_ptr_array_add(drivers, c);
			}
		}
	}
	return drivers;
}

static GPtrArray *
hp_normalize_drop_warnings(GPtrArray *drivers, HpSchema *libvirt)
{
	GPtrArray *warnings = g_ptr_array_new_with_free_func((GDestroyNotify)hp_normalize_warning_free);

	for (guint i = 0; i < drivers->len; i++) {
		xmlNode *driver = g_ptr_array_index(drivers, i);
		g_autofree gchar *model = hp_xml_prop(driver, "model");
		g_autofree gchar *echo = hp_echo(model);
		HpNormalizeWarning *w = g_new0(HpNormalizeWarning, 1);
		long line = xmlGetLineNo(driver);

		w->line = line > 0 ? (guint)line : 0;
		w->device = hp_normalize_source_name(driver->parent);
		w->message = g_strdup_printf(
		    "<hostdev> %s: <driver model='%s'/> dropped from the --libvirt-compat output: %s; libvirt 10.0 or newer "
		    "is needed to choose this device's driver (without it, libvirt binds vfio-pci)",
		    w->device != NULL ? w->device : "(no source address)", echo,
		    libvirt != NULL ? "the libvirt grammar in use does not accept it" : "no libvirt grammar is in use to show that libvirt accepts it");
		g_ptr_array_add(warnings, w);
	}
	return warnings;
}

/**
 * hp_normalizer_apply:
 * @norm: a normalizer, possibly shared with other threads
 * @doc: a domain document that validates; only read
 * @libvirt_compat: write what the libvirt whose grammar is @libvirt accepts
 *   (SPEC section 6)
 * @libvirt: (nullable): the libvirt grammar in use; with @libvirt_compat,
 *   `<driver model='X'/>` is kept when this grammar accepts the output with
 *   it, and dropped otherwise (always, without a grammar)
 * @ret_warnings: (out) (optional) (element-type HpNormalizeWarning): on
 *   success, what was dropped and why (one per `<driver model>`; empty
 *   when nothing was). The caller shows them: nothing is dropped silently.
 *
 * Returns: (transfer full) (nullable): the normalized document as text, or
 * %NULL with @error (a field that is not a PCI number stops the transform).
 */
gchar *
hp_normalizer_apply(HpNormalizer *norm, xmlDoc *doc, gboolean libvirt_compat, HpSchema *libvirt,
		    GPtrArray **ret_warnings, GError **error)
{
	g_autoptr(GPtrArray) drivers = NULL;
	g_autoptr(GPtrArray) warnings = NULL;
	g_autoptr(xmlDoc) result = NULL;

	drivers = libvirt_compat ? hp_normalize_driver_models(doc) : g_ptr_array_new();
	result = hp_normalizer_transform(norm, doc, libvirt_compat, TRUE, error);
	if (result == NULL)
		return NULL;
	/* libvirt reads <driver model> since 10.0: keep it when the grammar in
	 * use takes the converted document with it */
	if (drivers->len > 0 && (libvirt == NULL || !hp_schema_accepts(libvirt, result))) {
		g_clear_pointer(&result, xmlFreeDoc);
		result = hp_normalizer_transform(norm, doc, libvirt_compat, FALSE, error);
		if (result == NULL)
			return NULL;
		warnings = hp_normalize_drop_warnings(drivers, libvirt);
	}
	if (ret_warnings != NULL)
		*ret_warnings = warnings != NULL ? g_steal_pointer(&warnings)
						 : g_ptr_array_new_with_free_func((GDestroyNotify)hp_normalize_warning_free);
	return hp_xml_format_libvirt(result);
}
