/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What hp-apply.c and hp-apply-step.c share: one step run and checked. */

#include "hp-apply.h"

gchar *hp_apply_read_driver(const HpHost *host, const HpPciAddress *addr);
gchar *hp_apply_read_override(const HpHost *host, const HpPciAddress *addr);
gboolean hp_apply_wait_driver(const HpApplyOptions *opts, const HpPciAddress *addr, const gchar *want,
			      gchar **ret_seen);
HpEntryResult hp_apply_step_perform(const HpApplyOptions *opts, const HpPlanStep *step, const gchar *bind_driver,
				    gchar **ret_message);
