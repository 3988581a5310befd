/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <libxml/relaxng.h>

#include "hp-diag.h"
#include "hp-document.h"

G_BEGIN_DECLS

/*
 * A compiled RelaxNG grammar, compiled once and used for many documents.
 *
 * Thread contract: create and free a grammar on one thread; in between, any
 * number of threads may validate documents with it at once
 * (hp_schema_validate(), hp_schema_accepts()). The compiled grammar is only
 * read; each validation has its own libxml2 validation context, whose
 * structured error function (xmlRelaxNGSetValidStructuredErrors) collects
 * that call's errors: no process-wide handler is set. libxml2's one-time
 * set-up (datatype libraries) is done once, before the first grammar is
 * compiled, so grammars may be created on several threads at once too.
 */
typedef struct _HpSchema HpSchema;

HpSchema *hp_schema_new_builtin(GError **error);
HpSchema *hp_schema_new_libvirt(const gchar *dir, GError **error);
HpSchema *hp_schema_new_libvirt_cached(const gchar *dir, const gchar *cache_dir, GError **error);
void hp_schema_free(HpSchema *schema);
void hp_schema_validate(HpSchema *schema, const HpDocument *hdoc, HpDiagList *diags);
gboolean hp_schema_accepts(HpSchema *schema, xmlDoc *doc);
xmlDoc *hp_schema_strip_extensions(xmlDoc *doc);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(HpSchema, hp_schema_free)

G_END_DECLS
