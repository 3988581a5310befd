/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "hp-diag.h"
#include "hp-document.h"
#include "hp-domain.h"
#include "hp-host-view.h"

G_BEGIN_DECLS

typedef enum {
	/* managed='no' devices are about to be bound to their VFIO driver by
	 * the caller (the libvirt hook): one not on it yet is no finding */
	HP_HOST_RULES_UNMANAGED_PREPARED = 1 << 0,
} HpHostRulesFlags;

void hp_host_rules_check(HpHostView *view, const HpDocument *hdoc, const HpDomain *domain, HpDiagList *diags);
void hp_host_rules_check_with(HpHostView *view, const HpDocument *hdoc, const HpDomain *domain, HpDiagList *diags,
			      HpHostRulesFlags flags);
void hp_host_rules_skipped(const HpDocument *hdoc, HpDiagList *diags, const gchar *why);

G_END_DECLS
