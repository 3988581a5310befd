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

/* The words of a line, split at blanks, with no empty ones. */
static gchar **
hp_modalias_words(const gchar *line)
{
	g_auto(GStrv) words = g_strsplit_set(line, " \t", -1);
	GPtrArray *out = g_ptr_array_new();
	for (guint i = 0; words[i] != NULL; i++) {
		if (words[i][0] != '\0')
			g_ptr_array_add(out, g_strdup(words[i]));
	}
	g_ptr_array_add(out, NULL);
	return (gchar **)g_ptr_array_free(out, FALSE);
}

/**
 * hp_modalias_is_vfio_line:
 * @line: a line of modules.alias, without its newline
 * @len: its length (it may hold NUL bytes)
 *
 * The lines the host rules read, and the only ones a capture keeps: those
 * whose first word is `alias` and whose second begins `vfio_pci:` (SPEC
 * sections 5 and 9). Every other line is no check's business.
 */
gboolean
hp_modalias_is_vfio_line(const gchar *line, gsize len)
{
	gsize i = 0;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (len - i < 6 || strncmp(line + i, "alias", 5) != 0 || (line[i + 5] != ' ' && line[i + 5] != '\t'))
		return FALSE;
	i += 5;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	return len - i >= 9 && strncmp(line + i, "vfio_pci:", 9) == 0;
}

static void
hp_modalias_parse_line(HpModAlias *ma, const gchar *line, gsize len, guint lineno)
{
	g_autofree gchar *copy = NULL;
	g_auto(GStrv) words = NULL;
	g_autofree gchar *module = NULL;
	HpVfioAlias *alias;

	if (!hp_modalias_is_vfio_line(line, len))
		return;
	if (memchr(line, '\0', len) != NULL || !g_utf8_validate(line, (gssize)len, NULL)) {
		hp_modalias_malformed(ma, lineno);
		return;
	}
	copy = g_strndup(line, len);
	words = hp_modalias_words(copy);
	/* a module name is used in a plan: only what a kernel name can be */
	if (g_strv_length(words) != 3 || !hp_host_name_is_kernel_name(words[2])) {
		hp_modalias_malformed(ma, lineno);
		return;
	}
	alias = g_new0(HpVfioAlias, 1);
	if (!hp_modalias_split(words[1] + strlen("vfio_pci:"), alias->fields)) {
		g_free(alias);
		hp_modalias_malformed(ma, lineno);
		return;
	}
	module = hp_modalias_module_name(words[2]);
	alias->module = g_strdup(words[2]);
	alias->line = lineno;
	for (guint i = 0; i < HP_MODALIAS_FIELDS; i++) {
		if (strpbrk(alias->fields[i], "*?[") != NULL)
			alias->wildcards++;
	}
	g_ptr_array_add(ma->vfio, alias);
	g_hash_table_add(ma->modules, g_steal_pointer(&module));
}

/*
 * A capture keeps only the vfio_pci: lines of modules.alias; before a line
 * that does not follow the one kept before it, it writes where the line was
 * in the host's file (HP_MODALIAS_LINE_MARKER N), so that a check of the
 * snapshot names the same lines as a check of the tree (and a capture of
 * a snapshot written out as a tree gives the snapshot back). A comment to
 * modprobe; to us it only moves the line numbers that messages show.
 */
gboolean
hp_modalias_line_marker(const gchar *line, gsize len, guint *ret_next)
{
	gsize mlen = strlen(HP_MODALIAS_LINE_MARKER);
	guint64 n = 0;
	g_autofree gchar *num = NULL;

	if (len <= mlen || strncmp(line, HP_MODALIAS_LINE_MARKER, mlen) != 0 || len - mlen > 10)
		return FALSE;
	num = g_strndup(line + mlen, len - mlen);
	if (!g_ascii_string_to_unsigned(num, 10, 1, G_MAXUINT32, &n, NULL))
		return FALSE;
	*ret_next = (guint)n;
	return TRUE;
}

/**
 * hp_modalias_new_from_data:
 * @data: the text of a modules.alias
 *
 * Keeps the `vfio_pci:` aliases, the only lines a check reads. Such a line
 * that is not `alias vfio_pci:PATTERN MODULE` with seven pattern fields and
 * a kernel module name (binary junk, a word too many, a name such as
 * `x$(touch${IFS}PWNED)`) is counted in `malformed` and never used.
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
		guint next = 0;
		lineno++;
		if (hp_modalias_line_marker(p, n, &next) && next > lineno)
			lineno = next - 1; /* the host's line numbers, kept by a capture */
		else
			hp_modalias_parse_line(ma, p, n, lineno);
		p += n + 1;
	}
	return ma;
}

/* lib/modules/REL/modules.alias, the host file (relative to the root) */
gchar *
hp_modalias_rel(const HpHost *host)
{
	return g_strdup_printf("lib/modules/%s/modules.alias", hp_host_get_kernel_release(host));
}

/**
 * hp_modalias_load:
 * @host: the host context
 *
 * Reads ROOT/lib/modules/REL/modules.alias (at most 64 MiB: a larger one
 * is refused, HP_ERROR_INVALID_DATA, never cut).
 *
 * Returns: (transfer full) (nullable): the aliases; %NULL with @error
 * (HP_ERROR_NOT_FOUND when the host has none for its release).
 */
HpModAlias *
hp_modalias_load(const HpHost *host, GError **error)
{
	g_autofree gchar *rel = NULL;
	g_autofree gchar *data = NULL;
	gsize len = 0;

	if (hp_host_get_kernel_release(host) == NULL ||
	    strchr(hp_host_get_kernel_release(host), '/') != NULL) {
		g_set_error(error, HP_ERROR, HP_ERROR_NOT_FOUND, "no usable kernel release");
		return NULL;
	}
	rel = hp_modalias_rel(host);
	if (!hp_host_read(host, rel, HP_HOST_MAX_ALIAS, &data, &len, error))
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

/* The module has `vfio_pci:` aliases: it is a VFIO PCI (variant) driver. */
gboolean
hp_modalias_module_is_vfio(const HpModAlias *ma, const gchar *name)
{
	g_autofree gchar *module = hp_modalias_module_name(name);
	return g_hash_table_contains(ma->modules, module);
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
