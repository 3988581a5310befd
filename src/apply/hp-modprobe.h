/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

gboolean hp_modprobe_load(const gchar *module, GError **error);
gchar *hp_modprobe_prohibited(const gchar *module, const gchar *config_dir, GError **error);

G_END_DECLS
