/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <libxml/tree.h>

#include "hp-schema.h"

G_BEGIN_DECLS

/*
 * The normalizing stylesheet (schemas/normalize.xsl), compiled once.
 *
 * Thread contract: create and free a normalizer on one thread; in between,
 * any number of threads may call hp_normalizer_apply() with it at once. The
 * compiled stylesheet and its security preferences are only read; each
 * call has its own libxslt transform context, whose error function collects
 * that call's messages (no process-wide libxslt or libxml2 handler is set
 * or swapped). The document given is only read, so several threads may
 * normalize one document at once too; the HpSchema given is shared under
 * hp-schema.h's contract.
 */
typedef struct _HpNormalizer HpNormalizer;

/* Something --libvirt-compat left out, for the caller to show. */
typedef struct {
	guint line;     /* of the element in the input, 0 when unknown */
	gchar *device;  /* its host PCI address "DDDD:BB:SS.F", or NULL */
	gchar *message; /* what went, why, and what would keep it */
} HpNormalizeWarning;

HpNormalizer *hp_normalizer_new(GError **error);
void hp_normalizer_free(HpNormalizer *norm);
gchar *hp_normalizer_apply(HpNormalizer *norm, xmlDoc *doc, gboolean libvirt_compat, HpSchema *libvirt,
			   GPtrArray **ret_warnings, GError **error);
void hp_normalize_warning_free(HpNormalizeWarning *warning);
gchar *hp_xml_format_libvirt(xmlDoc *doc);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(HpNormalizer, hp_normalizer_free)

G_END_DECLS
