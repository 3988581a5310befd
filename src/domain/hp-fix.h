/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "hp-diag.h"
#include "hp-document.h"
#include "hp-domain.h"

G_BEGIN_DECLS

/*
 * The mechanical repairs of SPEC section 12, each belonging to a rule:
 *   multifunction-incomplete      the missing function is declared with
 *                                 assigned='no' (its siblings' managed), right
 *                                 after its siblings
 *   unassigned-has-guest-address  the unassigned function's guest <address> goes
 *   unassigned-has-guest-settings its <alias>, <boot>, <rom>, <acpi>, <teaming> go
 *   guest-multifunction-off       function 0 of the shared slot gets
 *                                 multifunction='on'
 *   pci-address-octal             the field is written in hex, same value
 * A finding is repaired only when its repair is the one safe choice; the
 * others stay for the user.
 */
gboolean hp_fix_is_repairable(const HpDiag *diag, const HpDomain *domain);
gchar *hp_fix_describe(const HpDiag *diag);
guint hp_fix_apply(HpDocument *hdoc, const HpDomain *domain, const HpDiagList *diags, const HpDiag *only);

G_END_DECLS
