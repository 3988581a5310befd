/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "hp-modalias.h"

#include <fnmatch.h>
#include <string.h>

#include "hp-error.h"

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

static void
hp_modalias_parse_line(HpModAlias *ma, gchar *line, guint lineno)
{
	g_auto(GStrv) words = NULL;
	g_autofree gchar *module = NULL;
	HpVfioAlias *alias;
	gboolean is_vfio;

	g_strstrip(line);
	if (line[0] == '\0' || line[0] == '#')
		return;
	words = g_strsplit_set(line, " \t", -1);
	/* drop the empty words of repeated blanks */
	{
		guint n = 0;
		for (guint i = 0; words[i] != NULL; i++) {
			if (words[i][0] == '\0') {
				g_free(words[i]);
				continue;
			}
			words[n++] = words[i];
		}
		words[n] = NULL;
	}
	/* a module name that is not what a kernel name can be is never used:
	 * it would reach a plan (SPEC section 8) */
	if (g_strv_length(words) != 3 || g_strcmp0(words[0], "alias") != 0 || !g_utf8_validate(line, -1, NULL) ||
	    !hp_host_name_is_valid(words[2])) {
		hp_modalias_malformed(ma, lineno);
		return;
	}
	module = hp_modalias_module_name(words[2]);
	is_vfio = g_str_has_prefix(words[1], "vfio_pci:");
	if (!is_vfio) {
		if (!g_hash_table_contains(ma->modules, module))
			g_hash_table_insert(ma->modules, g_steal_pointer(&module), GINT_TO_POINTER(FALSE));
		return;
	}
	alias = g_new0(HpVfioAlias, 1);
	if (!hp_modalias_split(words[1] + strlen("vfio_pci:"), alias->fields)) {
		g_free(alias);
		hp_modalias_malformed(ma, lineno);
		return;
	}
	alias->module = g_strdup(words[2]);
	alias->line = lineno;
	for (guint i = 0; i < HP_MODALIAS_FIELDS; i++) {
		if (strpbrk(alias->fields[i], "*?[") != NULL)
			alias->wildcards++;
	}
	g_ptr_array_add(ma->vfio, alias);
	g_hash_table_insert(ma->modules, g_steal_pointer(&module), GINT_TO_POINTER(TRUE));
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
		if (n >= 6 && memchr(p, '\0', n) == NULL) {
			g_autofree gchar *line = g_strndup(p, n);
			hp_modalias_parse_line(ma, line, lineno);
		} else if (n > 0 && !(n >= 1 && p[0] == '#')) {
			hp_modalias_malformed(ma, lineno);
		}
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
