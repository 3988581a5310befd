/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

/* `hostdev-preflight capture ...`; @argv[0] is "capture". Returns the exit status. */
gint hp_cmd_capture(gint argc, gchar **argv);
