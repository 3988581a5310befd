/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Commands that live in a file of their own: argv[0] is the command word. */
gint hp_cmd_lsp(gint argc, gchar **argv);
gint hp_cmd_hook(gint argc, gchar **argv);

/* The pci.ids to name devices with (transfer full, nullable). */
gchar *hp_cmd_pci_ids_path(void);

G_END_DECLS
