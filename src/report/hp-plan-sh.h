/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "hp-plan.h"

G_BEGIN_DECLS

gchar *hp_sh_quote(const gchar *value);
gchar *hp_plan_to_sh(const HpPlan *plan);

G_END_DECLS
