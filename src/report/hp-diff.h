/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

gchar *hp_diff_unified(const gchar *old_name, const gchar *old_text, const gchar *new_name, const gchar *new_text,
		       guint context);

G_END_DECLS
