/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The name of the lock every domain takes briefly, to see the other
 * domains' journals and write its own as one step. */
#define HP_LOCK_ALL ".all"

gint hp_lock_take(const gchar *state_dir, const gchar *stem, GError **error);
void hp_lock_drop(gint fd);

G_END_DECLS
