/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "hp-diag.h"
#include "hp-document.h"
#include "hp-domain.h"

G_BEGIN_DECLS

void hp_rules_check_static(const HpDocument *hdoc, const HpDomain *domain, HpDiagList *diags);

G_END_DECLS
