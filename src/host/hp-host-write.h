/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "hp-host.h"

G_BEGIN_DECLS

/*
 * What apply and release need beyond reading a host: writing a sysfs
 * attribute and reading a link's target as written (a process's open file
 * in proc/PID/fd). Both are confined like the reads (SPEC section 8): the
 * directory is looked up inside the root, the last component is never
 * followed, and only a regular file is ever opened for writing.
 */
gboolean hp_host_write(const HpHost *host, const gchar *rel, const gchar *value, GError **error);
gchar *hp_host_read_link(const HpHost *host, const gchar *rel, GError **error);

G_END_DECLS
