/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <libxml/tree.h>

G_BEGIN_DECLS

typedef struct _HpNormalizer HpNormalizer;

HpNormalizer *hp_normalizer_new(GError **error);
void hp_normalizer_free(HpNormalizer *norm);
gchar *hp_normalizer_apply(HpNormalizer *norm, xmlDoc *doc, gboolean libvirt_compat, GError **error);
gchar *hp_xml_format_libvirt(xmlDoc *doc);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(HpNormalizer, hp_normalizer_free)

G_END_DECLS
