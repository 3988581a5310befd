/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "hp-diag.h"
#include "hp-domain.h"
#include "hp-host-view.h"

G_BEGIN_DECLS

void hp_host_safety_check(HpHostView *view, const HpDomain *domain, GHashTable *declared, HpDiagList *diags);

G_END_DECLS
