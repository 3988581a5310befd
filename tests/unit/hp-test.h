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

/* A domain with @devices inside <devices>. */
static inline gchar *
hp_test_domain(const gchar *devices)
{
	return g_strdup_printf("<domain type='kvm'>\n  <name>t</name>\n  <devices>\n%s  </devices>\n</domain>\n", devices);
}

#define HP_HOSTDEV(extra_attrs, src, inner) \
	"    <hostdev mode='subsystem' type='pci' managed='yes'" extra_attrs ">\n" \
	"      <source><address " src "/></source>\n" inner "    </hostdev>\n"
