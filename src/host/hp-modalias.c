/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "hp-modalias.h"

#include <fnmatch.h>
#include <string.h>

#include "hp-error.h"

/* the longest name hp_host_name_is_valid() takes */
#define HP_HOST_NAME_MAX 64

static const struct {
	const gchar *marker;
	guint width; /* hex digits of a concrete value */
} hp_fields[HP_MODALIAS_FIELDS] = {
    {"v", 8}, {"d", 8}, {"sv", 8}, {"sd", 8}, {"bc", 2}, {"sc", 2}, {"i", 2},
};

/**
 * hp_modalias_split:
 * @str: what follows `pci:` (or `vfio_pci:`): `v…d…sv…sd…bc…sc…i…`
 * @ret_fields: (out caller-allocates): HP_MODALIAS_FIELDS new strings
 *
 * Each field is either `*` or as many characters as its width (8 for the
 * IDs, 2 for the class bytes), in either case; the widths keep a lowercase
 * hex `d` from being read as the next field's marker.
 *
 * Returns: %TRUE when @str has exactly the seven fields.
 */
gboolean
hp_modalias_split(const gchar *str, gchar **ret_fields)
{
	const gchar *p = str;
	gchar *fields[HP_MODALIAS_FIELDS] = {NULL};

	for (guint i = 0; i < HP_MODALIAS_FIELDS; i++) {
		gsize mlen = strlen(hp_fields[i].marker);
		if (strncmp(p, hp_fields[i].marker, mlen) != 0)
			goto fail;
		p += mlen;
		if (*p == '*') {
			fields[i] = g_strdup("*");
			p++;
			continue;
		}
		for (guint j = 0; j < hp_fields[i].width; j++) {
			if (p[j] == '\0' || !(g_ascii_isxdigit(p[j]) || p[j] == '?' || p[j] == '*'))
				goto fail;
		}
		fields[i] = g_strndup(p, hp_fields[i].width);
		p += hp_fields[i].width;
	}
	if (*p != '\0')
		goto fail;
	memcpy(ret_fields, fields, sizeof(fields));
	return TRUE;
fail:
	for (guint i = 0; i < HP_MODALIAS_FIELDS; i++)
		g_free(fields[i]);
	return FALSE;
}

static void
hp_vfio_alias_free(gpointer data)
{
	HpVfioAlias *alias = data;
	for (guint i = 0; i < HP_MODALIAS_FIELDS; i++)
		g_free(alias->fields[i]);
	g_free(alias->module);
	g_free(alias);
}

/* Module names are compared with '-' and '_' alike, as modprobe does. */
gchar *
hp_modalias_module_name(const gchar *name)
{
	gchar *ret = g_strdup(name);
	g_strdelimit(ret, "-", '_');
	return ret;
}

static void
hp_modalias_malformed(HpModAlias *ma, guint line)
{
	if (ma->malformed++ == 0)
		ma->first_malformed_line = line;
}

/* Blanks as g_strstrip() takes them off the ends of a line. */
static inline gboolean
hp_modalias_is_space(gchar c)
{
	return g_ascii_isspace(c);
}

static inline gboolean
hp_modalias_is_sep(gchar c)
{
	return c == ' ' || c == '\t';
}

/* The words of @line as (start, length), the runs of blanks between them
 * dropped; at most @max (one more than expected, so a surplus shows).
 * Returns the number found. */
static guint
hp_modalias_words(const gchar *line, gsize len, const gchar **ret_word, gsize *ret_len, guint max)
{
	guint n = 0;
	gsize i = 0;

	while (i < len && n < max) {
		gsize start;
		while (i < len && hp_modalias_is_sep(line[i]))
			i++;
		if (i == len)
			break;
		start = i;
		while (i < len && !hp_modalias_is_sep(line[i]))
			i++;
		ret_word[n] = line + start;
		ret_len[n++] = i - start;
	}
	return n;
}

/*
 * One line, read where it is: `alias PATTERN MODULE`, blanks (spaces and
 * tabs) between the words, any whitespace around them. A line that adds
 * nothing new (a module already named, as almost all are) allocates
 * nothing; a new module's name and a vfio_pci: alias are kept.
 */
static void
hp_modalias_parse_line(HpModAlias *ma, const gchar *line, gsize len, guint lineno)
{
	const gchar *word[4];
	gsize wlen[4];
	gchar module[HP_HOST_NAME_MAX + 1];
	gboolean is_vfio;
	HpVfioAlias *alias;
	g_autofree gchar *pattern = NULL;

	while (len > 0 && hp_modalias_is_space(line[0])) {
		line++;
		len--;
	}
	while (len > 0 && hp_modalias_is_space(line[len - 1]))
		len--;
	if (len == 0 || line[0] == '#')
		return;
	/* a module name that is not what a kernel name can be is never used:
	 * it would reach a plan (SPEC section 8) */
	if (hp_modalias_words(line, len, word, wlen, 4) != 3 || wlen[0] != 5 || memcmp(word[0], "alias", 5) != 0 ||
	    !g_utf8_validate_len(line, len, NULL) || wlen[2] > HP_HOST_NAME_MAX) {
		hp_modalias_malformed(ma, lineno);
		return;
	}
	memcpy(module, word[2], wlen[2]);
	module[wlen[2]] = '\0';
	if (!hp_host_name_is_valid(module)) {
		hp_modalias_malformed(ma, lineno);
		return;
	}
	is_vfio = wlen[1] >= strlen("vfio_pci:") && memcmp(word[1], "vfio_pci:", strlen("vfio_pci:")) == 0;
	if (!is_vfio) {
		/* underscored in place: the name as a key */
		g_strdelimit(module, "-", '_');
		if (!g_hash_table_contains(ma->modules, module))
			g_hash_table_insert(ma->modules, g_strdup(module), GINT_TO_POINTER(FALSE));
		return;
	}
	alias = g_new0(HpVfioAlias, 1);
	pattern = g_strndup(word[1] + strlen("vfio_pci:"), wlen[1] - strlen("vfio_pci:"));
	if (!hp_modalias_split(pattern, alias->fields)) {
		g_free(alias);
		hp_modalias_malformed(ma, lineno);
		return;
	}
	alias->module = g_strdup(module);
	alias->line = lineno;
	for (guint i = 0; i < HP_MODALIAS_FIELDS; i++) {
		if (strpbrk(alias->fields[i], "*?[") != NULL)
			alias->wildcards++;
	}
	g_ptr_array_add(ma->vfio, alias);
	g_strdelimit(module, "-", '_');
	g_hash_table_insert(ma->modules, g_strdup(module), GINT_TO_POINTER(TRUE));
}

/**
 * hp_modalias_new_from_data:
 * @data: the text of a modules.alias
 *
 * Keeps the `vfio_pci:` aliases and the name of every module. A line that
 * is not `alias PATTERN MODULE` (no module, binary junk, a bad vfio_pci
 * pattern, a module name no kernel module can have) is counted in
 * `malformed` and otherwise ignored: nothing of it is ever used.
 *
 * Returns: (transfer full): the aliases.
 */
HpModAlias *
hp_modalias_new_from_data(const gchar *data, gsize len)
{
	HpModAlias *ma = g_new0(HpModAlias, 1);
	const gchar *p = data, *end = data + len;
	guint lineno = 0;

	ma->vfio = g_ptr_array_new_with_free_func(hp_vfio_alias_free);
	ma->modules = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	while (p < end) {
		const gchar *nl = memchr(p, '\n', (gsize)(end - p));
		gsize n = nl != NULL ? (gsize)(nl - p) : (gsize)(end - p);
		lineno++;
		/* only lines starting "alias" matter; skip the others unread */
		if (n >= 6 && memchr(p, '\0', n) == NULL)
			hp_modalias_parse_line(ma, p, n, lineno);
		else if (n > 0 && p[0] != '#')
			hp_modalias_malformed(ma, lineno);
		p += n + 1;
	}
	return ma;
}

/**
 * hp_modalias_rel:
 *
 * Returns: (transfer full) (nullable): `lib/modules/REL/modules.alias` for
 * the host's release, or %NULL when it has no usable release (none, or one
 * that is not a single path component).
 */
gchar *
hp_modalias_rel(const HpHost *host)
{
	const gchar *rel = hp_host_get_kernel_release(host);
	if (rel == NULL || rel[0] == '\0' || strchr(rel, '/') != NULL || strcmp(rel, ".") == 0 || strcmp(rel, "..") == 0)
		return NULL;
	return g_strconcat("lib/modules/", rel, "/modules.alias", NULL);
}

/**
 * hp_modalias_load:
 * @host: the host context
 * @ret_stamp: (out) (optional): the version of the file read
 *
 * Reads ROOT/lib/modules/REL/modules.alias, whole: one over
 * %HP_HOST_MODALIAS_MAX (or not a regular file) is refused with
 * HP_ERROR_INVALID_DATA, never cut and parsed in part.
 *
 * Returns: (transfer full) (nullable): the aliases; %NULL with @error
 * (HP_ERROR_NOT_FOUND when the host has none for its release).
 */
HpModAlias *
hp_modalias_load(const HpHost *host, HpHostStamp *ret_stamp, GError **error)
{
	g_autofree gchar *rel = hp_modalias_rel(host);
	g_autofree gchar *data = NULL;
	gsize len = 0;

	if (rel == NULL) {
		g_set_error(error, HP_ERROR, HP_ERROR_NOT_FOUND, "no usable kernel release");
		return NULL;
	}
	if (!hp_host_load(host, rel, HP_HOST_MODALIAS_MAX, &data, &len, ret_stamp, error))
		return NULL;
	return hp_modalias_new_from_data(data, len);
}

void
hp_modalias_free(HpModAlias *ma)
{
	if (ma == NULL)
		return;
	g_ptr_array_unref(ma->vfio);
	g_hash_table_unref(ma->modules);
	g_free(ma);
}

gboolean
hp_modalias_has_module(const HpModAlias *ma, const gchar *name)
{
	g_autofree gchar *module = hp_modalias_module_name(name);
	return g_hash_table_contains(ma->modules, module);
}

/* The module has `vfio_pci:` aliases: it is a VFIO PCI (variant) driver. */
gboolean
hp_modalias_module_is_vfio(const HpModAlias *ma, const gchar *name)
{
	g_autofree gchar *module = hp_modalias_module_name(name);
	return GPOINTER_TO_INT(g_hash_table_lookup(ma->modules, module));
}

/**
 * hp_modalias_match_vfio:
 * @modalias: a device's modalias, `pci:v…d…sv…sd…bc…sc…i…`
 *
 * Compares each field with each `vfio_pci:` alias, case-insensitively, as a
 * glob. Of the aliases that match, the one with the fewest wildcard fields
 * wins; among equals, the first in the file.
 *
 * Returns: (transfer none) (nullable): the alias, or %NULL when none matches
 * (or @modalias is garbled).
 */
const HpVfioAlias *
hp_modalias_match_vfio(const HpModAlias *ma, const gchar *modalias)
{
	gchar *dev[HP_MODALIAS_FIELDS];
	const HpVfioAlias *best = NULL;

	if (modalias == NULL || !g_str_has_prefix(modalias, "pci:") || !hp_modalias_split(modalias + 4, dev))
		return NULL;
	for (guint i = 0; i < ma->vfio->len; i++) {
		const HpVfioAlias *alias = g_ptr_array_index(ma->vfio, i);
		gboolean match = TRUE;
		for (guint f = 0; f < HP_MODALIAS_FIELDS && match; f++)
			match = fnmatch(alias->fields[f], dev[f], FNM_CASEFOLD) == 0;
		if (match && (best == NULL || alias->wildcards < best->wildcards))
			best = alias;
	}
	for (guint f = 0; f < HP_MODALIAS_FIELDS; f++)
		g_free(dev[f]);
	return best;
}
