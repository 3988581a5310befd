/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "hp-plan.h"

G_BEGIN_DECLS

typedef enum {
	HP_PLAN_FORMAT_TEXT,
	HP_PLAN_FORMAT_JSON,
	HP_PLAN_FORMAT_SH,
} HpPlanFormat;

gboolean hp_plan_format_parse(const gchar *str, HpPlanFormat *ret_format);
gchar *hp_plan_to_string(const HpPlan *plan, HpPlanFormat format);

G_END_DECLS
