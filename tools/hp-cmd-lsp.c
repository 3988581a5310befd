/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `hostdev-preflight lsp`: the language server on standard input and output.
 * Options set the checks until the client's initialization options say
 * otherwise (SPEC section 13).
 */
#include <gio/gunixinputstream.h>
#include <gio/gunixoutputstream.h>
#include <glib.h>
#include <unistd.h>

#include "config.h"
#include "hp-cmd.h"
#include "hp-lsp-server.h"

gint
hp_cmd_lsp(gint argc, gchar **argv)
{
	g_auto(HpLspConfig) config = {0};
	g_autoptr(GOptionContext) ctx = g_option_context_new("lsp");
	g_autoptr(GError) error = NULL;
	g_autoptr(GInputStream) in = NULL;
	g_autoptr(GOutputStream) out = NULL;
	g_autoptr(HpLspServer) server = NULL;
	g_auto(GStrv) args = g_new0(gchar *, argc + 1);
	g_autofree gchar *default_rng = g_build_filename(HP_LIBVIRT_SCHEMADIR, "domain.rng", NULL);
	gboolean no_libvirt = FALSE;
	const gchar *env;
	const GOptionEntry entries[] = {
	    {"root", 0, 0, G_OPTION_ARG_FILENAME, &config.root, "The host: a copy of a host's tree, or a snapshot file written by capture (default /)", "DIR|SNAPSHOT"},
	    {"kernel-release", 0, 0, G_OPTION_ARG_STRING, &config.kernel_release, "Kernel release for modules.alias (default: the snapshot's, else uname -r)", "REL"},
	    {"no-host", 0, 0, G_OPTION_ARG_NONE, &config.no_host, "Skip every host rule", NULL},
	    {"libvirt-schemas", 0, 0, G_OPTION_ARG_FILENAME, &config.libvirt_schemas, "Also validate against DIR/domain.rng (default " HP_LIBVIRT_SCHEMADIR " when present)", "DIR"},
	    {"no-libvirt-schemas", 0, 0, G_OPTION_ARG_NONE, &no_libvirt, "Do not use libvirt's grammar", NULL},
	    {NULL, 0, 0, 0, NULL, NULL, NULL}};

	for (gint i = 0; i < argc; i++)
		args[i] = g_strdup(argv[i]);
	g_option_context_set_summary(ctx, "Serve the Language Server Protocol on standard input and output: "
					  "diagnostics as you type, and host devices on hover.");
	g_option_context_add_main_entries(ctx, entries, NULL);
	g_option_context_set_description(ctx, "Exit status: 0 after the client's shutdown and exit, 1 when the "
					      "client went away without them, 2 usage error.");
	if (!g_option_context_parse_strv(ctx, &args, &error)) {
		g_printerr("hostdev-preflight: %s\nTry 'hostdev-preflight lsp --help' for more information.\n",
			   error->message);
		return 2;
	}
	if (args[1] != NULL) {
		g_printerr("hostdev-preflight: lsp takes no FILE: the editor sends the documents\n"
			   "Try 'hostdev-preflight lsp --help' for more information.\n");
		return 2;
	}
	if (no_libvirt && config.libvirt_schemas != NULL) {
		g_printerr("hostdev-preflight: --libvirt-schemas and --no-libvirt-schemas exclude each other\n");
		return 2;
	}
	if (config.no_host && (config.root != NULL || config.kernel_release != NULL)) {
		g_printerr("hostdev-preflight: --no-host excludes --root and --kernel-release\n");
		return 2;
	}
	if (!no_libvirt && config.libvirt_schemas == NULL && g_file_test(default_rng, G_FILE_TEST_IS_REGULAR))
		config.libvirt_schemas = g_strdup(HP_LIBVIRT_SCHEMADIR);
	env = g_getenv("HOSTDEV_PREFLIGHT_DEFAULT_ROOT");
	config.default_root = g_strdup(env != NULL && env[0] != '\0' ? env : "/");
	config.pci_ids = hp_cmd_pci_ids_path();

	/* standard output is the protocol's: every log message goes to stderr,
	 * which editors keep in their LSP log */
	g_log_writer_default_set_use_stderr(TRUE);
	in = g_unix_input_stream_new(STDIN_FILENO, FALSE);
	out = g_unix_output_stream_new(STDOUT_FILENO, FALSE);
	server = hp_lsp_server_new(in, out, &config);
	return hp_lsp_server_run(server);
}
