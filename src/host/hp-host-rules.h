/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "hp-diag.h"
#include "hp-document.h"
#include "hp-domain.h"
#include "hp-host-view.h"

G_BEGIN_DECLS

void hp_host_rules_check(HpHostView *view, const HpDocument *hdoc, const HpDomain *domain, HpDiagList *diags);
void hp_host_rules_skipped(const HpDocument *hdoc, HpDiagList *diags, const gchar *why);

G_END_DECLS
