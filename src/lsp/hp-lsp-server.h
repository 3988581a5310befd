/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * The language server (SPEC section 13): JSON-RPC over a pair of streams
 * (stdio for an editor), framed by jsonrpc-glib. It never prints: what it
 * has to say goes to the client as LSP messages.
 */
typedef struct _HpLspServer HpLspServer;

/* How the server checks documents, before the client's initialization
 * options (which may change them) arrive. */
typedef struct {
	gchar *root;            /* the host: a directory, or NULL for the live host */
	gchar *kernel_release;  /* NULL: the running kernel's */
	gboolean no_host;       /* no host rules */
	gchar *libvirt_schemas; /* libvirt's grammar directory, NULL: none */
	gchar *pci_ids;         /* NULL: devices go unnamed */
	gchar *default_root;    /* the live host's root, "/" but for tests */
} HpLspConfig;

void hp_lsp_config_clear(HpLspConfig *config);
HpLspServer *hp_lsp_server_new(GInputStream *input, GOutputStream *output, const HpLspConfig *config);
void hp_lsp_server_free(HpLspServer *server);
gint hp_lsp_server_run(HpLspServer *server);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(HpLspServer, hp_lsp_server_free)
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(HpLspConfig, hp_lsp_config_clear)

G_END_DECLS
