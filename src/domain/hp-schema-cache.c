/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "hp-schema-cache.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/globals.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlversion.h>

#include "hp-document.h"

#define HP_RNG_NS "http://relaxng.org/ns/structure/1.0"
/* libvirt's domain grammar is 9 files, 300 KB: far from these */
#define HP_CACHE_MAX_BYTES (32u * 1024 * 1024)
#define HP_CACHE_MAX_FILES 64u
#define HP_CACHE_MAX_DEPTH 16u

/*
 * A 128-bit content hash: two independent multiply-xor lanes over 64-bit
 * little-endian words (the tail zero-padded), the length mixed in. Not a
 * cryptographic hash, and it needs not be one: it tells whether the grammar
 * files changed and whether the cache was cut short or altered by accident;
 * anyone who can write the user's cache could write a matching hash of any
 * strength. It is fast enough to check on every run (about 0.1 ms for
 * libvirt's 300 KB, where SHA-256 took some 1.5 ms).
 */
#define HP_K1 0x9e3779b97f4a7c15ULL
#define HP_K2 0xc2b2ae3d27d4eb4fULL
#define HP_K3 0xff51afd7ed558ccdULL

static inline void
hp_hash_step(guint64 *a, guint64 *b, guint64 w)
{
	*a = (*a ^ w) * HP_K1;
	*a ^= *a >> 32;
	*b = (*b + w) * HP_K2;
	*b ^= *b >> 29;
}

static inline guint64
hp_hash_final(guint64 h)
{
	h ^= h >> 33;
	h *= HP_K3;
	h ^= h >> 29;
	return h;
}

void
hp_schema_cache_hash(const guint8 *data, gsize len, guint64 ret_hash[2])
{
	guint64 a = HP_K1 ^ (guint64)len, b = HP_K2 + (guint64)len;
	gsize i = 0;

	for (; i + 8 <= len; i += 8) {
		guint64 w;
		memcpy(&w, data + i, 8);
		hp_hash_step(&a, &b, GUINT64_FROM_LE(w));
	}
	if (i < len) {
		guint8 tail[8] = {0};
		guint64 w;
		memcpy(tail, data + i, len - i);
		memcpy(&w, tail, 8);
		hp_hash_step(&a, &b, GUINT64_FROM_LE(w));
	}
	ret_hash[0] = hp_hash_final(a);
	ret_hash[1] = hp_hash_final(b ^ a);
}

static gchar *
hp_hash_hex(const void *data, gsize len)
{
	guint64 h[2];
	hp_schema_cache_hash(data, len, h);
	return g_strdup_printf("%016" G_GINT64_MODIFIER "x%016" G_GINT64_MODIFIER "x", h[0], h[1]);
}

/* A file name in the grammar's directory, and nothing else: no path, no
 * URI (then the cache is not used, and libxml2 resolves it as usual). */
static gboolean
hp_cache_plain_name(const gchar *name)
{
	if (name == NULL || name[0] == '\0' || name[0] == '.' || strlen(name) > 200)
		return FALSE;
	for (const gchar *p = name; *p != '\0'; p++) {
		if (!g_ascii_isalnum(*p) && *p != '.' && *p != '_' && *p != '-')
			return FALSE;
	}
	return TRUE;
}

static gboolean
hp_cache_is_rng(const xmlNode *n, const gchar *name)
{
	return n != NULL && n->type == XML_ELEMENT_NODE && n->ns != NULL &&
	       xmlStrEqual(n->ns->href, (const xmlChar *)HP_RNG_NS) && xmlStrEqual(n->name, (const xmlChar *)name);
}

static gboolean
hp_cache_has_prop(xmlNode *n, const gchar *name)
{
	return xmlHasNsProp(n, (const xmlChar *)name, NULL) != NULL;
}

typedef struct {
	const gchar *dir;
	GString *manifest; /* "file NAME HASH\n" for each file read */
	GPtrArray *stack;  /* the files being flattened, against include loops */
	guint files;
} HpFlatten;

static xmlDoc *hp_flatten_load(HpFlatten *f, const gchar *name);
static gboolean hp_flatten_children(HpFlatten *f, xmlDoc *doc, xmlNode *parent);

/* The names the <include>'s own components replace (their combine aside,
 * an override removes the included grammar's definitions of that name). */
static void
hp_flatten_overrides(xmlNode *parent, GHashTable *names, gboolean *start)
{
	for (xmlNode *n = parent->children; n != NULL; n = n->next) {
		if (hp_cache_is_rng(n, "define")) {
			xmlChar *name = xmlGetNoNsProp(n, (const xmlChar *)"name");
			if (name != NULL)
				g_hash_table_add(names, g_strdup((const gchar *)name));
			xmlFree(name);
		} else if (hp_cache_is_rng(n, "start")) {
			*start = TRUE;
		} else if (hp_cache_is_rng(n, "div")) {
			hp_flatten_overrides(n, names, start);
		}
	}
}

/* Drops from the included grammar what the <include> overrides; @found
 * collects the names that were there. */
static void
hp_flatten_drop_overridden(xmlNode *parent, GHashTable *names, gboolean start, GHashTable *found,
			   gboolean *start_found)
{
	xmlNode *next;
	for (xmlNode *n = parent->children; n != NULL; n = next) {
		next = n->next;
		if (hp_cache_is_rng(n, "define")) {
			xmlChar *name = xmlGetNoNsProp(n, (const xmlChar *)"name");
			gboolean drop = name != NULL && g_hash_table_contains(names, name);
			if (drop)
				g_hash_table_add(found, g_strdup((const gchar *)name));
			xmlFree(name);
			if (!drop)
				continue;
		} else if (hp_cache_is_rng(n, "start")) {
			if (!start)
				continue;
			*start_found = TRUE;
		} else {
			if (hp_cache_is_rng(n, "div"))
				hp_flatten_drop_overridden(n, names, start, found, start_found);
			continue;
		}
		xmlUnlinkNode(n);
		xmlFreeNode(n);
	}
}

/*
 * <include href="F"> becomes <div> holding <div datatypeLibrary="…"> with
 * F's grammar (flattened, its overridden components taken out) and then the
 * <include>'s own components: the RelaxNG simplification of an include, as
 * libxml2 does it. What this does not handle exactly (ns attributes, a path
 * or a URI, namespace declarations on the <include>) leaves the cache out.
 */
static gboolean
hp_flatten_include(HpFlatten *f, xmlDoc *doc, xmlNode *inc)
{
	g_autoptr(GHashTable) names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_autoptr(GHashTable) found = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_autoptr(xmlDoc) idoc = NULL;
	xmlChar *href = xmlGetNoNsProp(inc, (const xmlChar *)"href");
	g_autofree gchar *name = g_strdup((const gchar *)href);
	xmlChar *library;
	xmlNode *iroot, *outer, *inner;
	gboolean start = FALSE, start_found = FALSE;

	xmlFree(href);
	if (!hp_cache_plain_name(name) || inc->nsDef != NULL)
		return FALSE;
	for (xmlNode *n = inc; n != NULL && n->type == XML_ELEMENT_NODE; n = n->parent) {
		if (hp_cache_has_prop(n, "ns"))
			return FALSE;
	}
	if (!hp_flatten_children(f, doc, inc))
		return FALSE;
	idoc = hp_flatten_load(f, name);
	iroot = idoc != NULL ? xmlDocGetRootElement(idoc) : NULL;
	if (iroot == NULL || hp_cache_has_prop(iroot, "ns"))
		return FALSE;
	hp_flatten_overrides(inc, names, &start);
	hp_flatten_drop_overridden(iroot, names, start, found, &start_found);
	if (g_hash_table_size(found) != g_hash_table_size(names) || start != start_found)
		return FALSE; /* an override of nothing: libxml2 says what is wrong */

	outer = xmlNewDocNode(doc, inc->ns, (const xmlChar *)"div", NULL);
	inner = xmlNewDocNode(doc, inc->ns, (const xmlChar *)"div", NULL);
	xmlReplaceNode(inc, outer);
	xmlAddChild(outer, inner);
	/* datatypes inherit within a file only: F's own library goes along */
	library = xmlGetNoNsProp(iroot, (const xmlChar *)"datatypeLibrary");
	xmlSetProp(inner, (const xmlChar *)"datatypeLibrary", library != NULL ? library : (const xmlChar *)"");
	xmlFree(library);
	for (xmlNs *ns = iroot->nsDef; ns != NULL; ns = ns->next) {
		xmlNs *in_scope = xmlSearchNs(doc, inner, ns->prefix);
		if (in_scope == NULL || !xmlStrEqual(in_scope->href, ns->href))
			xmlNewNs(inner, ns->href, ns->prefix);
	}
	for (xmlNode *c = iroot->children; c != NULL; c = c->next) {
		xmlNode *clone = NULL;
		if (xmlDOMWrapCloneNode(NULL, idoc, c, &clone, doc, inner, 1, 0) != 0 || clone == NULL) {
			xmlFreeNode(inc);
			return FALSE;
		}
		xmlAddChild(inner, clone);
	}
	while (inc->children != NULL) {
		xmlNode *c = inc->children;
		xmlUnlinkNode(c);
		xmlAddChild(outer, c);
	}
	xmlFreeNode(inc);
	return TRUE;
}

/* Comments, processing instructions, blanks (but in <value>, <param>,
 * <name>, where text is data) and foreign elements (annotations) go: RelaxNG
 * ignores them. Includes are inlined. FALSE: the cache cannot be made. */
static gboolean
hp_flatten_children(HpFlatten *f, xmlDoc *doc, xmlNode *parent)
{
	gboolean keep_text = hp_cache_is_rng(parent, "value") || hp_cache_is_rng(parent, "param") ||
			     hp_cache_is_rng(parent, "name");
	xmlNode *next;

	for (xmlNode *n = parent->children; n != NULL; n = next) {
		gboolean drop = FALSE;
		next = n->next;
		switch (n->type) {
		case XML_COMMENT_NODE:
		case XML_PI_NODE:
			drop = TRUE;
			break;
		case XML_TEXT_NODE:
			drop = !keep_text && xmlIsBlankNode(n);
			break;
		case XML_CDATA_SECTION_NODE:
			break;
		case XML_ELEMENT_NODE:
			if (n->ns == NULL || !xmlStrEqual(n->ns->href, (const xmlChar *)HP_RNG_NS)) {
				drop = TRUE;
			} else if (hp_cache_is_rng(n, "externalRef")) {
				return FALSE;
			} else if (hp_cache_is_rng(n, "include")) {
				if (!hp_flatten_include(f, doc, n))
					return FALSE;
			} else if (!hp_flatten_children(f, doc, n)) {
				return FALSE;
			}
			break;
		default:
			return FALSE; /* entity references and the like */
		}
		if (drop) {
			xmlUnlinkNode(n);
			xmlFreeNode(n);
		}
	}
	return TRUE;
}

static xmlDoc *
hp_flatten_load(HpFlatten *f, const gchar *name)
{
	g_autofree gchar *path = g_build_filename(f->dir, name, NULL);
	g_autofree gchar *data = NULL;
	g_autofree gchar *hash = NULL;
	g_autoptr(xmlDoc) doc = NULL;
	gsize len = 0;
	gboolean ok;

	if (f->stack->len >= HP_CACHE_MAX_DEPTH || ++f->files > HP_CACHE_MAX_FILES)
		return NULL;
	for (guint i = 0; i < f->stack->len; i++) {
		if (g_strcmp0(g_ptr_array_index(f->stack, i), name) == 0)
			return NULL; /* a loop: libxml2 reports it */
	}
	if (!g_file_get_contents(path, &data, &len, NULL) || len > HP_CACHE_MAX_BYTES)
		return NULL;
	hash = hp_hash_hex(data, len);
	g_string_append_printf(f->manifest, "file %s %s\n", name, hash);
	doc = xmlReadMemory(data, (int)len, path, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (doc == NULL || doc->intSubset != NULL || doc->extSubset != NULL ||
	    !hp_cache_is_rng(xmlDocGetRootElement(doc), "grammar"))
		return NULL;
	g_ptr_array_add(f->stack, (gpointer)name);
	ok = hp_flatten_children(f, doc, xmlDocGetRootElement(doc));
	g_ptr_array_remove_index(f->stack, f->stack->len - 1);
	return ok ? g_steal_pointer(&doc) : NULL;
}

/**
 * hp_schema_cache_flatten:
 * @schema_dir: where domain.rng is
 * @manifest: each file read is appended to it, "file NAME HASH\n"
 *
 * Returns: (transfer full) (nullable): domain.rng with its includes
 * inlined, minified, as XML text; %NULL when the grammar uses what this
 * does not flatten exactly.
 */
gchar *
hp_schema_cache_flatten(const gchar *schema_dir, gsize *ret_len, GString *manifest)
{
	g_autoptr(GPtrArray) stack = g_ptr_array_new();
	HpFlatten f = {schema_dir, manifest, stack, 0};
	g_autoptr(xmlDoc) doc = hp_flatten_load(&f, "domain.rng");
	xmlChar *buf = NULL;
	gint len = 0;
	gchar *out;

	if (doc == NULL)
		return NULL;
	xmlDocDumpMemory(doc, &buf, &len);
	if (buf == NULL)
		return NULL;
	out = g_strndup((const gchar *)buf, (gsize)len);
	*ret_len = (gsize)len;
	xmlFree(buf);
	return out;
}

static void
hp_cache_ignore(void *data, xmlErrorPtr err)
{
	/* a cache that does not compile is not used: the real grammar says why */
}

/*
 * Compiled from memory: libxml2 parses the text itself, which spares the
 * copy of the whole document a parser context made from a tree takes.
 * That parse reports to the calling thread's handler (libxml2 keeps it per
 * thread): set to one that drops the messages for the call, then restored.
 */
static xmlRelaxNGPtr
hp_cache_compile_text(const gchar *text, gsize len)
{
	xmlStructuredErrorFunc saved = xmlStructuredError;
	void *saved_data = xmlStructuredErrorContext;
	xmlRelaxNGParserCtxtPtr pctxt;
	xmlRelaxNGPtr rng;

	/* no DTD: nothing in the text can declare or load anything */
	if (len > G_MAXINT || g_strstr_len(text, (gssize)len, "<!DOCTYPE") != NULL ||
	    g_strstr_len(text, (gssize)len, "<!ENTITY") != NULL)
		return NULL;
	pctxt = xmlRelaxNGNewMemParserCtxt(text, (int)len);
	if (pctxt == NULL)
		return NULL;
	xmlRelaxNGSetParserStructuredErrors(pctxt, hp_cache_ignore, NULL);
	xmlSetStructuredErrorFunc(NULL, hp_cache_ignore);
	rng = xmlRelaxNGParse(pctxt);
	xmlSetStructuredErrorFunc(saved_data, saved);
	xmlRelaxNGFreeParserCtxt(pctxt);
	return rng;
}

/* The cache file's name: the directory and the content of its domain.rng;
 * the files it includes are checked from the cache's own list. */
static gchar *
hp_cache_path(const gchar *schema_dir, const gchar *cache_dir)
{
	g_autofree gchar *top = g_build_filename(schema_dir, "domain.rng", NULL);
	g_autofree gchar *data = NULL;
	g_autofree gchar *hash = NULL;
	g_autofree gchar *name = NULL;
	g_autoptr(GString) key = g_string_new(NULL);
	gsize len = 0;

	if (!g_file_get_contents(top, &data, &len, NULL))
		return NULL;
	g_string_append_printf(key, "%s\nlibxml2 %d\n%s\n", HP_SCHEMA_CACHE_FORMAT, LIBXML_VERSION, schema_dir);
	g_string_append_len(key, data, (gssize)len);
	hash = hp_hash_hex(key->str, key->len);
	name = g_strdup_printf("libvirt-domain-%s.rng", hash);
	return g_build_filename(cache_dir, name, NULL);
}

/* The cache file's content, when it is ours to trust: a regular file (not
 * a link) owned by this user and writable by no one else. */
static gchar *
hp_cache_read(const gchar *path, gsize *ret_len)
{
	g_autofree gchar *data = NULL;
	struct stat st;
	gsize done = 0;
	gint fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022) != 0 ||
	    st.st_size <= 0 || (guint64)st.st_size > HP_CACHE_MAX_BYTES) {
		close(fd);
		return NULL;
	}
	data = g_malloc((gsize)st.st_size + 1);
	while (done < (gsize)st.st_size) {
		gssize n = read(fd, data + done, (gsize)st.st_size - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += (gsize)n;
	}
	close(fd);
	if (done != (gsize)st.st_size)
		return NULL;
	data[done] = '\0';
	*ret_len = done;
	return g_steal_pointer(&data);
}

/*
 * Checks a cache file's header against the grammar files as they are now:
 *   hostdev-preflight grammar cache 1
 *   libxml2 VERSION
 *   file NAME HASH      (each file the flattening read, domain.rng first)
 *   body LENGTH HASH
 *   BODY
 * Returns the body, within @data, or NULL.
 */
static const gchar *
hp_cache_check(const gchar *schema_dir, const gchar *data, gsize len, gsize *ret_body_len)
{
	const gchar *p = data, *end = data + len;
	g_autofree gchar *want = g_strdup_printf("%s\nlibxml2 %d\n", HP_SCHEMA_CACHE_FORMAT, LIBXML_VERSION);
	guint files = 0;

	if (len < strlen(want) || memcmp(data, want, strlen(want)) != 0)
		return NULL;
	p += strlen(want);
	for (;;) {
		const gchar *nl = memchr(p, '\n', (gsize)(end - p));
		g_autofree gchar *line = NULL;
		g_auto(GStrv) words = NULL;

		if (nl == NULL)
			return NULL;
		line = g_strndup(p, (gsize)(nl - p));
		p = nl + 1;
		words = g_strsplit(line, " ", 4);
		if (g_strv_length(words) != 3)
			return NULL;
		if (g_strcmp0(words[0], "file") == 0) {
			g_autofree gchar *path = NULL;
			g_autofree gchar *content = NULL;
			g_autofree gchar *hash = NULL;
			gsize clen = 0;
			if (!hp_cache_plain_name(words[1]) || ++files > HP_CACHE_MAX_FILES ||
			    (files == 1 && g_strcmp0(words[1], "domain.rng") != 0))
				return NULL;
			path = g_build_filename(schema_dir, words[1], NULL);
			if (!g_file_get_contents(path, &content, &clen, NULL))
				return NULL;
			hash = hp_hash_hex(content, clen);
			if (g_strcmp0(hash, words[2]) != 0)
				return NULL; /* a grammar file changed since */
		} else if (g_strcmp0(words[0], "body") == 0) {
			guint64 body_len = 0;
			g_autofree gchar *hash = NULL;
			if (files == 0 || !g_ascii_string_to_unsigned(words[1], 10, 1, HP_CACHE_MAX_BYTES, &body_len, NULL) ||
			    body_len != (guint64)(end - p))
				return NULL; /* cut short, or more than was written */
			hash = hp_hash_hex(p, (gsize)body_len);
			if (g_strcmp0(hash, words[2]) != 0)
				return NULL;
			*ret_body_len = (gsize)body_len;
			return p;
		} else {
			return NULL;
		}
	}
}

/* Writes the cache beside its final name and renames it there: a reader
 * sees the old file or the whole new one. Failing to write is no error. */
static void
hp_cache_write(const gchar *path, const gchar *manifest, const gchar *body, gsize body_len)
{
	g_autofree gchar *dir = g_path_get_dirname(path);
	g_autofree gchar *hash = hp_hash_hex(body, body_len);
	g_autoptr(GString) out = g_string_new(NULL);
	g_autoptr(GError) error = NULL;

	if (g_mkdir_with_parents(dir, 0700) != 0) {
		g_debug("grammar cache %s: %s", dir, g_strerror(errno));
		return;
	}
	g_string_append_printf(out, "%s\nlibxml2 %d\n%sbody %" G_GSIZE_FORMAT " %s\n", HP_SCHEMA_CACHE_FORMAT,
			       LIBXML_VERSION, manifest, body_len, hash);
	g_string_append_len(out, body, (gssize)body_len);
	if (!g_file_set_contents_full(path, out->str, (gssize)out->len, G_FILE_SET_CONTENTS_CONSISTENT, 0644, &error))
		g_debug("grammar cache: %s", error->message);
}

/**
 * hp_schema_cache_compile:
 * @schema_dir: where libvirt's domain.rng is
 * @cache_dir: the directory the cache is kept in (created when missing)
 *
 * libvirt's grammar compiled from the cache when the cache is sound and
 * current; else flattened anew, compiled, and the cache written for the
 * next run. The libxml2 one-time set-up must have been done.
 *
 * Returns: (transfer full) (nullable): the compiled grammar, or %NULL when
 * the cache cannot serve (the caller compiles domain.rng as usual).
 */
xmlRelaxNGPtr
hp_schema_cache_compile(const gchar *schema_dir, const gchar *cache_dir)
{
	g_autofree gchar *path = hp_cache_path(schema_dir, cache_dir);
	g_autofree gchar *data = NULL;
	g_autofree gchar *body = NULL;
	g_autoptr(GString) manifest = g_string_new(NULL);
	const gchar *cached;
	xmlRelaxNGPtr rng;
	gsize len = 0, body_len = 0;

	if (path == NULL)
		return NULL;
	data = hp_cache_read(path, &len);
	cached = data != NULL ? hp_cache_check(schema_dir, data, len, &body_len) : NULL;
	if (cached != NULL) {
		rng = hp_cache_compile_text(cached, body_len);
		if (rng != NULL)
			return rng;
		g_debug("grammar cache %s does not compile: made anew", path);
	}
	body = hp_schema_cache_flatten(schema_dir, &body_len, manifest);
	if (body == NULL)
		return NULL;
	rng = hp_cache_compile_text(body, body_len);
	if (rng != NULL)
		hp_cache_write(path, manifest->str, body, body_len);
	return rng;
}
