/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "hp-diag.h"
#include "hp-document.h"
#include "hp-domain.h"
#include "hp-schema.h"

G_BEGIN_DECLS

/* The static layers, with the grammars compiled once for many documents. */
typedef struct _HpValidator HpValidator;

HpValidator *hp_validator_new(const gchar *libvirt_schema_dir, GError **error);
void hp_validator_free(HpValidator *validator);
gboolean hp_validator_has_libvirt(const HpValidator *validator);
HpSchema *hp_validator_get_libvirt(const HpValidator *validator);
HpDomain *hp_validator_check(HpValidator *validator, const HpDocument *hdoc, HpDiagList *diags);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(HpValidator, hp_validator_free)

G_END_DECLS
