/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * Output files that replace a user's file safely (SPEC section 8): written
 * beside the target and renamed over it, with the target's owner, group,
 * mode, ACL and extended attributes, fsynced, through links, never onto
 * anything but a regular file, and never onto a file the caller may not
 * write.
 */

gboolean hp_file_check_writable(const gchar *path, GError **error);
gboolean hp_file_replace(const gchar *path, const gchar *data, gsize len, GError **error);

G_END_DECLS
