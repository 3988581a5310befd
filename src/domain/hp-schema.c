/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "hp-schema.h"

#include <string.h>

#include <gio/gio.h>

#include "hp-domain.h"
#include "hp-error.h"
#include "hp-resources.h"
#include "hp-schema-cache.h"
#include "hp-xml-util.h"

struct _HpSchema {
	xmlRelaxNGPtr rng;
	HpRuleId rule_id; /* HP_RULE_SCHEMA or HP_RULE_LIBVIRT_SCHEMA */
	gboolean strip;       /* take our extensions out before validating */
	gboolean fragments;   /* validate <hostdev>/<interface> subtrees only */
	gchar *label;
};

typedef struct {
	GPtrArray *errors; /* of xmlError copies */
} HpSchemaErrors;

static void
hp_schema_collect(void *data, xmlErrorPtr err)
{
	HpSchemaErrors *errs = data;
	xmlErrorPtr copy = g_new0(xmlError, 1);
	xmlCopyError(err, copy);
	g_ptr_array_add(errs->errors, copy);
}

static void
hp_schema_error_free(gpointer data)
{
	xmlResetError(data);
	g_free(data);
}

/* libxml2 sets up RelaxNG's datatype libraries on first use, unguarded:
 * done once here, so two threads compiling grammars do not race in it. */
static void
hp_schema_init_once(void)
{
	static gsize once = 0;
	if (g_once_init_enter(&once)) {
		hp_xml_init();
		xmlRelaxNGInitTypes();
		g_once_init_leave(&once, 1);
	}
}

/* @includes: the grammar reads other files (libvirt's does; ours is one
 * self-contained file and loads nothing) */
static xmlRelaxNGPtr
hp_schema_compile(xmlRelaxNGParserCtxtPtr pctxt, gboolean includes, const gchar *what, GError **error)
{
	HpSchemaErrors errs = {g_ptr_array_new_with_free_func(hp_schema_error_free)};
	xmlRelaxNGPtr rng;

	xmlRelaxNGSetParserStructuredErrors(pctxt, hp_schema_collect, &errs);
	if (includes)
		hp_xml_trust_begin();
	rng = xmlRelaxNGParse(pctxt);
	if (includes)
		hp_xml_trust_end();
	xmlRelaxNGFreeParserCtxt(pctxt);
	if (rng == NULL) {
		const xmlError *first = errs.errors->len > 0 ? g_ptr_array_index(errs.errors, 0) : NULL;
		g_autofree gchar *msg = g_strdup(first != NULL && first->message != NULL ? first->message : "unknown error");
		g_set_error(error, HP_ERROR, HP_ERROR_INVALID_DATA, "cannot compile %s: %s", what, g_strstrip(msg));
	}
	g_ptr_array_unref(errs.errors);
	return rng;
}

/**
 * hp_schema_new_builtin:
 *
 * Compiles hostdev-preflight's own grammar, which is built into the library
 * (the same file as schemas/hostdev-preflight.rng).
 *
 * Returns: (transfer full) (nullable): the grammar, or %NULL with @error.
 */
HpSchema *
hp_schema_new_builtin(GError **error)
{
	g_autoptr(GBytes) bytes = NULL;
	g_autoptr(HpSchema) schema = g_new0(HpSchema, 1);
	g_autoptr(xmlDoc) doc = NULL;
	xmlNode *grammar, *start = NULL, *choice;
	gsize len = 0;
	const gchar *data;

	hp_schema_init_once();
	bytes = g_resource_lookup_data(hp_get_resource(), "/org/hostdev-preflight/hostdev-preflight.rng",
				       G_RESOURCE_LOOKUP_FLAGS_NONE, error);
	if (bytes == NULL)
		return NULL;
	data = g_bytes_get_data(bytes, &len);
	schema->rule_id = HP_RULE_SCHEMA;
	schema->label = g_strdup("hostdev-preflight's grammar");

	/*
	 * The grammar accepts anything outside <hostdev> and <interface>, and
	 * walking a whole domain through anyName patterns costs libxml2 more
	 * than parsing it. So the same grammar is compiled with its start
	 * narrowed to those two elements, and only they are validated; the
	 * root element is checked by hand (hp_schema_validate).
	 */
	doc = xmlReadMemory(data, (int)len, "hostdev-preflight.rng", NULL,
			    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	grammar = doc != NULL ? xmlDocGetRootElement(doc) : NULL;
	for (xmlNode *n = grammar != NULL ? grammar->children : NULL; n != NULL; n = n->next) {
		if (n->type == XML_ELEMENT_NODE && xmlStrEqual(n->name, (const xmlChar *)"start"))
			start = n;
	}
	if (start == NULL) {
		g_set_error_literal(error, HP_ERROR, HP_ERROR_INTERNAL, "the built-in grammar has no <start>");
		return NULL;
	}
	while (start->children != NULL) {
		xmlNode *child = start->children;
		xmlUnlinkNode(child);
		xmlFreeNode(child);
	}
	choice = xmlNewChild(start, start->ns, (const xmlChar *)"choice", NULL);
	xmlNewProp(xmlNewChild(choice, start->ns, (const xmlChar *)"ref", NULL), (const xmlChar *)"name",
		   (const xmlChar *)"hostdev");
	xmlNewProp(xmlNewChild(choice, start->ns, (const xmlChar *)"ref", NULL), (const xmlChar *)"name",
		   (const xmlChar *)"interface");
	schema->fragments = TRUE;
	/* the parser context works on its own copy of the document */
	schema->rng = hp_schema_compile(xmlRelaxNGNewDocParserCtxt(doc), FALSE, schema->label, error);
	if (schema->rng == NULL)
		return NULL;
	return g_steal_pointer(&schema);
}

/**
 * hp_schema_new_libvirt_cached:
 * @dir: a directory holding libvirt's domain.rng and the files it includes
 * @cache_dir: (nullable): where to keep a flattened copy of the grammar
 *   that compiles faster (hp-schema-cache.h), or %NULL for none
 *
 * Returns: (transfer full) (nullable): the grammar; %NULL with @error
 * (HP_ERROR_NOT_FOUND when there is no domain.rng).
 */
HpSchema *
hp_schema_new_libvirt_cached(const gchar *dir, const gchar *cache_dir, GError **error)
{
	g_autofree gchar *path = g_build_filename(dir, "domain.rng", NULL);
	g_autoptr(HpSchema) schema = g_new0(HpSchema, 1);

	if (!g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
		g_set_error(error, HP_ERROR, HP_ERROR_NOT_FOUND,
			    "libvirt's grammar %s does not exist; install libvirt's schemas (Debian: libvirt0) or pass --no-libvirt-schemas",
			    path);
		return NULL;
	}
	hp_schema_init_once();
	schema->rule_id = HP_RULE_LIBVIRT_SCHEMA;
	schema->strip = TRUE;
	schema->label = g_strdup_printf("libvirt's grammar (%s)", path);
	/* the cache is only a faster path: anything wrong with it, the real one */
	if (cache_dir != NULL)
		schema->rng = hp_schema_cache_compile(dir, cache_dir);
	if (schema->rng == NULL)
		schema->rng = hp_schema_compile(xmlRelaxNGNewParserCtxt(path), TRUE, schema->label, error);
	if (schema->rng == NULL)
		return NULL;
	return g_steal_pointer(&schema);
}

/**
 * hp_schema_new_libvirt:
 * @dir: a directory holding libvirt's domain.rng and the files it includes
 *
 * As hp_schema_new_libvirt_cached() without a cache.
 */
HpSchema *
hp_schema_new_libvirt(const gchar *dir, GError **error)
{
	return hp_schema_new_libvirt_cached(dir, NULL, error);
}

void
hp_schema_free(HpSchema *schema)
{
	if (schema == NULL)
		return;
	if (schema->rng != NULL)
		xmlRelaxNGFree(schema->rng);
	g_free(schema->label);
	g_free(schema);
}

static gboolean
hp_schema_has_extensions(xmlNode *node)
{
	for (xmlNode *n = node; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (hp_xml_is_element(n, "hostdev") && xmlHasNsProp(n, (const xmlChar *)"assigned", NULL) != NULL)
			return TRUE;
		if (hp_xml_is_element(n, "driver") && hp_xml_is_element(n->parent, "hostdev") &&
		    xmlHasNsProp(n, (const xmlChar *)"model", NULL) != NULL)
			return TRUE;
		if (hp_schema_has_extensions(n->children))
			return TRUE;
	}
	return FALSE;
}

static void
hp_schema_strip_node(xmlNode *node)
{
	xmlNode *next;
	for (xmlNode *n = node; n != NULL; n = next) {
		xmlAttr *attr;
		next = n->next;
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (hp_xml_is_element(n, "hostdev") && (attr = xmlHasNsProp(n, (const xmlChar *)"assigned", NULL)) != NULL)
			xmlRemoveProp(attr);
		if (hp_xml_is_element(n, "driver") && hp_xml_is_element(n->parent, "hostdev") &&
		    (attr = xmlHasNsProp(n, (const xmlChar *)"model", NULL)) != NULL) {
			xmlRemoveProp(attr);
			/* libvirt's <driver> needs name=: one that only had model= goes */
			if (n->properties == NULL) {
				xmlUnlinkNode(n);
				xmlFreeNode(n);
				continue;
			}
		}
		hp_schema_strip_node(n->children);
	}
}

/*
 * The domain's <metadata> when what is inside it cannot change libvirt's
 * verdict: libvirt's grammar takes any elements there, with any attributes
 * and content (its customElement), so a <metadata> holding only elements
 * (and blanks, comments) is as valid empty. Validating it empty spares
 * libxml2 a walk through anyName for each of them (128,000 small elements
 * took 34 s). NULL when there is none, or it holds text (left for the
 * grammar to judge).
 */
static xmlNode *
hp_schema_prunable_metadata(xmlNode *root)
{
	xmlNode *metadata = NULL;
	gboolean elements = FALSE;

	if (root == NULL)
		return NULL;
	for (xmlNode *n = root->children; n != NULL; n = n->next) {
		if (hp_xml_is_element(n, "metadata"))
			metadata = n;
	}
	if (metadata == NULL)
		return NULL;
	for (xmlNode *n = metadata->children; n != NULL; n = n->next) {
		if (n->type == XML_ELEMENT_NODE)
			elements = TRUE;
		else if (n->type == XML_TEXT_NODE && !xmlIsBlankNode(n))
			return NULL;
		else if (n->type == XML_CDATA_SECTION_NODE || n->type == XML_ENTITY_REF_NODE)
			return NULL;
	}
	return elements ? metadata : NULL;
}

/**
 * hp_schema_strip_extensions:
 * @doc: a domain document
 *
 * Returns: (transfer full) (nullable): a copy of @doc without our extensions
 * (`assigned` on <hostdev>, `model` on its <driver>), keeping line numbers;
 * %NULL when @doc has none and can be used as it is.
 */
xmlDoc *
hp_schema_strip_extensions(xmlDoc *doc)
{
	xmlDoc *copy;
	xmlNode *metadata = hp_schema_prunable_metadata(xmlDocGetRootElement(doc));
	if (!hp_schema_has_extensions(xmlDocGetRootElement(doc)) && metadata == NULL)
		return NULL;
	copy = xmlCopyDoc(doc, 1);
	if (copy != NULL) {
		hp_schema_strip_node(xmlDocGetRootElement(copy));
		/* the copy's <metadata>, emptied: see hp_schema_prunable_metadata() */
		metadata = hp_schema_prunable_metadata(xmlDocGetRootElement(copy));
		while (metadata != NULL && metadata->children != NULL) {
			xmlNode *child = metadata->children;
			xmlUnlinkNode(child);
			xmlFreeNode(child);
		}
	}
	return copy;
}

static gboolean
hp_schema_is_ancestor(const xmlNode *ancestor, const xmlNode *node)
{
	for (const xmlNode *n = node != NULL ? node->parent : NULL; n != NULL; n = n->parent) {
		if (n == ancestor)
			return TRUE;
	}
	return FALSE;
}

/* A hint for the mistakes our grammar exists to catch. */
static const gchar *
hp_schema_hint(const xmlNode *node)
{
	if (node == NULL || node->type != XML_ELEMENT_NODE)
		return NULL;
	if (xmlHasNsProp(node, (const xmlChar *)"assigned", NULL) != NULL) {
		if (hp_xml_is_element(node, "hostdev") && !hp_hostdev_is_pci_subsystem(node))
			return "assigned= is only for <hostdev mode='subsystem' type='pci'>; remove it";
		if (hp_xml_is_element(node, "interface"))
			return "assigned= is only for <hostdev mode='subsystem' type='pci'>, not <interface>; remove it";
		if (hp_xml_is_element(node, "hostdev")) {
			xmlNode *addr = hp_xml_child(node, "address");
			g_autofree gchar *type = addr != NULL ? hp_xml_prop(addr, "type") : NULL;
			g_autofree gchar *assigned = hp_xml_prop(node, "assigned");
			if (g_strcmp0(type, "unassigned") == 0 && g_strcmp0(assigned, "yes") == 0)
				return "assigned='yes' contradicts <address type='unassigned'/>; keep one of them";
		}
	}
	return NULL;
}

/*
 * Validates @doc and reports its errors, the most specific only: an error
 * about an element whose descendant is also reported is the echo of that
 * one, and is dropped.
 */
static void
hp_schema_validate_doc(HpSchema *schema, const HpDocument *hdoc, xmlDoc *doc, GHashTable *origin,
		       GHashTable *reported, HpDiagList *diags)
{
	HpSchemaErrors errs = {g_ptr_array_new_with_free_func(hp_schema_error_free)};
	xmlRelaxNGValidCtxtPtr vctxt = xmlRelaxNGNewValidCtxt(schema->rng);
	gboolean any_node = FALSE;
	gint rc;

	xmlRelaxNGSetValidStructuredErrors(vctxt, hp_schema_collect, &errs);
	rc = xmlRelaxNGValidateDoc(vctxt, doc);
	xmlRelaxNGFreeValidCtxt(vctxt);

	for (guint i = 0; i < errs.errors->len; i++) {
		const xmlError *err = g_ptr_array_index(errs.errors, i);
		if (err->node != NULL)
			any_node = TRUE;
	}
	for (guint i = 0; i < errs.errors->len; i++) {
		const xmlError *err = g_ptr_array_index(errs.errors, i);
		const xmlNode *node = err->node;
		g_autofree gchar *raw = g_strstrip(g_strdup(err->message != NULL ? err->message : "invalid"));
		g_autofree gchar *msg = NULL;
		const gchar *hint;
		gboolean echo = FALSE;
		guint line = err->line > 0 ? (guint)err->line : 1, col = 1;

		/* libxml2 follows the real error with echoes: the same problem
		 * seen from each enclosing element, and some with no element */
		if (node == NULL && any_node)
			continue;
		for (guint j = 0; j < errs.errors->len && node != NULL; j++) {
			const xmlError *other = g_ptr_array_index(errs.errors, j);
			if (j != i && hp_schema_is_ancestor(node, other->node))
				echo = TRUE;
		}
		if (echo)
			continue;
		if (node != NULL && node->type == XML_ELEMENT_NODE)
			hp_document_locate(hdoc, origin != NULL && g_hash_table_contains(origin, node) ? g_hash_table_lookup(origin, node) : node,
					   NULL, &line, &col);
		hint = hp_schema_hint(node);
		if (node != NULL && node->name != NULL)
			msg = g_strdup_printf("%s rejects <%s>: %s", schema->label, (const gchar *)node->name,
					      hint != NULL ? hint : raw);
		else
			msg = g_strdup_printf("%s rejects the document: %s", schema->label, raw);
		if (!g_hash_table_add(reported, g_strdup_printf("%u:%u:%s", line, col, msg)))
			continue;
		hp_diag_list_add(diags, schema->rule_id, HP_SPAN(line, col), NULL, "%s", msg);
	}
	if (rc != 0 && errs.errors->len == 0)
		hp_diag_list_add(diags, schema->rule_id, HP_SPAN(1, 1), NULL, "%s rejects the document", schema->label);
	g_ptr_array_unref(errs.errors);
}

/* Each <hostdev> and <interface> of the domain's <devices>, on its own. */
static void
hp_schema_validate_fragments(HpSchema *schema, const HpDocument *hdoc, GHashTable *reported, HpDiagList *diags)
{
	xmlNode *root = xmlDocGetRootElement(hdoc->doc);

	if (!hp_xml_is_element(root, "domain")) {
		guint line = 1, col = 1;
		if (root != NULL)
			hp_document_locate(hdoc, root, NULL, &line, &col);
		hp_diag_list_add(diags, schema->rule_id, HP_SPAN(line, col), NULL,
				 "%s rejects <%s>: a libvirt domain's root element is <domain>", schema->label,
				 root != NULL ? (const gchar *)root->name : "");
		return;
	}
	for (xmlNode *devices = root->children; devices != NULL; devices = devices->next) {
		if (!hp_xml_is_element(devices, "devices"))
			continue;
		for (xmlNode *n = devices->children; n != NULL; n = n->next) {
			g_autoptr(xmlDoc) scratch = NULL;
			g_autoptr(GHashTable) origin = NULL;
			if (!hp_xml_is_element(n, "hostdev") && !hp_xml_is_element(n, "interface"))
				continue;
			/* a copy: its errors are placed at the originals */
			scratch = xmlNewDoc((const xmlChar *)"1.0");
			xmlDocSetRootElement(scratch, xmlDocCopyNode(n, scratch, 1));
			origin = g_hash_table_new(g_direct_hash, g_direct_equal);
			hp_xml_copy_map_add(origin, xmlDocGetRootElement(scratch), n);
			hp_schema_validate_doc(schema, hdoc, scratch, origin, reported, diags);
		}
	}
}

static void
hp_schema_ignore(void *data, xmlErrorPtr err)
{
	/* hp_schema_accepts() wants the verdict, not the reasons */
}

static gboolean
hp_schema_accepts_tree(HpSchema *schema, xmlDoc *doc)
{
	xmlRelaxNGValidCtxtPtr vctxt = xmlRelaxNGNewValidCtxt(schema->rng);
	gint rc;

	if (vctxt == NULL)
		return FALSE;
	xmlRelaxNGSetValidStructuredErrors(vctxt, hp_schema_ignore, NULL);
	rc = xmlRelaxNGValidateDoc(vctxt, doc);
	xmlRelaxNGFreeValidCtxt(vctxt);
	return rc == 0;
}

/**
 * hp_schema_accepts:
 * @schema: a compiled grammar
 * @doc: a document, validated as it is (our extensions are not taken out)
 *
 * Whether @schema accepts @doc: the question --libvirt-compat asks of the
 * libvirt grammar in use about a converted document.
 *
 * Returns: %TRUE when @doc is valid.
 */
gboolean
hp_schema_accepts(HpSchema *schema, xmlDoc *doc)
{
	xmlNode *root;

	g_return_val_if_fail(schema != NULL && doc != NULL, FALSE);
	if (!schema->fragments)
		return hp_schema_accepts_tree(schema, doc);
	/* the built-in grammar: each host device of each <devices> on its own,
	 * as hp_schema_validate() does */
	root = xmlDocGetRootElement(doc);
	if (!hp_xml_is_element(root, "domain"))
		return FALSE;
	for (xmlNode *devices = root->children; devices != NULL; devices = devices->next) {
		if (!hp_xml_is_element(devices, "devices"))
			continue;
		for (xmlNode *n = devices->children; n != NULL; n = n->next) {
			g_autoptr(xmlDoc) scratch = NULL;
			if (!hp_xml_is_element(n, "hostdev") && !hp_xml_is_element(n, "interface"))
				continue;
			scratch = xmlNewDoc((const xmlChar *)"1.0");
			xmlDocSetRootElement(scratch, xmlDocCopyNode(n, scratch, 1));
			if (!hp_schema_accepts_tree(schema, scratch))
				return FALSE;
		}
	}
	return TRUE;
}

/**
 * hp_schema_validate:
 * @schema: a compiled grammar
 * @hdoc: a well-formed document
 * @diags: one finding per rejected element goes here
 */
void
hp_schema_validate(HpSchema *schema, const HpDocument *hdoc, HpDiagList *diags)
{
	g_autoptr(GHashTable) reported = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_autoptr(xmlDoc) stripped = NULL;
	g_autoptr(GHashTable) origin = g_hash_table_new(g_direct_hash, g_direct_equal);

	if (schema->fragments) {
		hp_schema_validate_fragments(schema, hdoc, reported, diags);
		return;
	}
	stripped = schema->strip ? hp_schema_strip_extensions(hdoc->doc) : NULL;
	/* the stripped copy lost only attributes and some <driver>s */
	if (stripped != NULL)
		hp_xml_copy_map_add(origin, xmlDocGetRootElement(stripped), xmlDocGetRootElement(hdoc->doc));
	hp_schema_validate_doc(schema, hdoc, stripped != NULL ? stripped : hdoc->doc, origin, reported, diags);
}
