/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <libxml/relaxng.h>

#include "hp-diag.h"
#include "hp-document.h"

G_BEGIN_DECLS

/* A compiled RelaxNG grammar, compiled once and used for many documents. */
typedef struct _HpSchema HpSchema;

HpSchema *hp_schema_new_builtin(GError **error);
HpSchema *hp_schema_new_libvirt(const gchar *dir, GError **error);
void hp_schema_free(HpSchema *schema);
void hp_schema_validate(HpSchema *schema, const HpDocument *hdoc, HpDiagList *diags);
xmlDoc *hp_schema_strip_extensions(xmlDoc *doc);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(HpSchema, hp_schema_free)

G_END_DECLS
