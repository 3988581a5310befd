/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers shared by the unit tests. */
#pragma once

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "hp-diag.h"
#include "hp-document.h"

static inline HpDocument *
hp_test_doc(const gchar *xml, HpDiagList *diags)
{
	g_autoptr(GBytes) bytes = g_bytes_new(xml, strlen(xml));
	return hp_document_new_from_bytes("test.xml", bytes, diags);
}

/* The number of findings of @rule in @diags. */
static inline guint
hp_test_count(const HpDiagList *diags, const gchar *rule)
{
	guint n = 0;
	for (guint i = 0; i < diags->items->len; i++) {
		const HpDiag *d = g_ptr_array_index(diags->items, i);
		if (g_strcmp0(d->rule->id, rule) == 0)
			n++;
	}
	return n;
}

static inline const HpDiag *
hp_test_first(const HpDiagList *diags, const gchar *rule)
{
	for (guint i = 0; i < diags->items->len; i++) {
		const HpDiag *d = g_ptr_array_index(diags->items, i);
		if (g_strcmp0(d->rule->id, rule) == 0)
			return d;
	}
	return NULL;
}

/* Writes @rel under @root (making its directories); @len -1 for a string. */
static inline void
hp_test_mk(const gchar *root, const gchar *rel, const gchar *content, gssize len)
{
	g_autofree gchar *path = g_build_filename(root, rel, NULL);
	g_autofree gchar *dir = g_path_get_dirname(path);
	g_mkdir_with_parents(dir, 0755);
	g_assert(g_file_set_contents(path, content, len, NULL));
}

/* Makes @rel under @root a symbolic link to @target. */
static inline void
hp_test_ln(const gchar *root, const gchar *rel, const gchar *target)
{
	g_autofree gchar *path = g_build_filename(root, rel, NULL);
	g_autofree gchar *dir = g_path_get_dirname(path);
	g_mkdir_with_parents(dir, 0755);
	g_assert(symlink(target, path) == 0);
}

/* Removes a directory tree the test made. */
static inline void
hp_test_rm_tree(const gchar *root)
{
	g_autofree gchar *cmd = g_strdup_printf("rm -rf '%s'", root);
	g_assert(system(cmd) == 0);
}

/* A domain with @devices inside <devices>. */
static inline gchar *
hp_test_domain(const gchar *devices)
{
	return g_strdup_printf("<domain type='kvm'>\n  <name>t</name>\n  <devices>\n%s  </devices>\n</domain>\n", devices);
}

#define HP_HOSTDEV(extra_attrs, src, inner) \
	"    <hostdev mode='subsystem' type='pci' managed='yes'" extra_attrs ">\n" \
	"      <source><address " src "/></source>\n" inner "    </hostdev>\n"
