/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * hostdev-preflight capture [--root DIR|SNAPSHOT] [--kernel-release REL] [-o FILE|-]:
 * a host in one file (SPEC section 9). Options and printing only; the
 * walk is hp-capture.c, the format hp-snapshot-format.c.
 */
#include "hp-cmd-capture.h"

#include <stdio.h>
#include <sys/utsname.h>

#include "hp-capture.h"
#include "hp-error.h"
#include "hp-host.h"
#include "hp-snapshot.h"

#define HP_CAPTURE_EXIT_OK    0
#define HP_CAPTURE_EXIT_USAGE 2 /* usage error, a root that cannot be read, output that cannot be written */

static gint G_GNUC_PRINTF(1, 2)
hp_capture_usage(const gchar *fmt, ...)
{
	va_list args;
	g_autofree gchar *msg = NULL;
	va_start(args, fmt);
	msg = g_strdup_vprintf(fmt, args);
	va_end(args);
	g_printerr("hostdev-preflight: %s\n", msg);
	g_printerr("Try 'hostdev-preflight capture --help' for more information.\n");
	return HP_CAPTURE_EXIT_USAGE;
}

/*
 * -o FILE: written beside it and renamed over it (g_file_set_contents), so
 * a reader never sees half a snapshot. The safe-output helper of SPEC
 * section 8 (mode, owner and links kept) replaces this when it lands.
 */
static gint
hp_capture_write(const gchar *output, const gchar *data, gsize len)
{
	g_autoptr(GError) error = NULL;

	if (output == NULL || g_strcmp0(output, "-") == 0) {
		if (fwrite(data, 1, len, stdout) != len || fflush(stdout) != 0) {
			g_printerr("hostdev-preflight: cannot write the snapshot to standard output\n");
			return HP_CAPTURE_EXIT_USAGE;
		}
		return HP_CAPTURE_EXIT_OK;
	}
	if (!g_file_set_contents(output, data, (gssize)len, &error)) {
		g_printerr("hostdev-preflight: cannot write %s: %s\n", output, error->message);
		return HP_CAPTURE_EXIT_USAGE;
	}
	return HP_CAPTURE_EXIT_OK;
}

gint
hp_cmd_capture(gint argc, gchar **argv)
{
	g_autofree gchar *root = NULL;
	g_autofree gchar *release = NULL;
	g_autofree gchar *output = NULL;
	g_autofree gchar *data = NULL;
	g_autoptr(GOptionContext) ctx = g_option_context_new("- a host in one file");
	g_autoptr(GError) error = NULL;
	g_autoptr(HpSnapshot) snap = NULL;
	g_autoptr(GPtrArray) warnings = NULL;
	g_auto(GStrv) args = NULL;
	const GOptionEntry entries[] = {
	    {"root", 0, 0, G_OPTION_ARG_FILENAME, &root,
	     "The host: a copy of its tree (sysfs at DIR/sys), or a snapshot to write again canonically (default /)",
	     "DIR|SNAPSHOT"},
	    {"kernel-release", 0, 0, G_OPTION_ARG_STRING, &release,
	     "Kernel release whose lib/modules/REL/modules.alias to read (default: uname -r)", "REL"},
	    {"output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "Write to FILE (atomically); - or none: standard output",
	     "FILE"},
	    {NULL, 0, 0, 0, NULL, NULL, NULL}};
	const gchar *default_root = g_getenv("HOSTDEV_PREFLIGHT_DEFAULT_ROOT");
	gsize len = 0;

	g_option_context_set_summary(ctx, "Write a snapshot of what the host rules and the plan read, for checks "
					  "anywhere with --root SNAPSHOT. Needs no root privilege.");
	g_option_context_set_description(ctx, "Exit status: 0 written, 2 usage error, a root that cannot be read, "
					      "or output that cannot be written.");
	g_option_context_add_main_entries(ctx, entries, NULL);
	args = g_new0(gchar *, argc + 1);
	args[0] = g_strdup("hostdev-preflight capture");
	for (gint i = 1; i < argc; i++)
		args[i] = g_strdup(argv[i]);
	if (!g_option_context_parse_strv(ctx, &args, &error))
		return hp_capture_usage("%s", error->message);
	if (args[1] != NULL)
		return hp_capture_usage("capture takes no FILE ('%s'): name the output with -o FILE", args[1]);
	if (release != NULL && (release[0] == '\0' || strchr(release, '/') != NULL))
		return hp_capture_usage("--kernel-release '%s' is not a kernel release (a name such as 6.12.0-1-amd64)",
					release);
	if (root == NULL)
		root = g_strdup(default_root != NULL && default_root[0] != '\0' ? default_root : "/");

	{
		/* a directory or a snapshot, read the same way (a snapshot:
		 * what capture reads of it, written again canonically) */
		g_autoptr(HpHost) host = hp_host_new(root, release, &error);
		if (host == NULL) {
			g_printerr("hostdev-preflight: %s\n", error->message);
			return HP_CAPTURE_EXIT_USAGE;
		}
		if (hp_host_get_kernel_release(host) == NULL) {
			struct utsname u;
			if (uname(&u) == 0)
				hp_host_set_kernel_release(host, u.release);
		}
		snap = hp_capture_host(host, &warnings, &error);
		if (snap == NULL) {
			g_printerr("hostdev-preflight: cannot capture %s: %s\n", root, error->message);
			return HP_CAPTURE_EXIT_USAGE;
		}
		for (guint i = 0; i < warnings->len; i++)
			g_printerr("hostdev-preflight: warning: %s\n", (const gchar *)g_ptr_array_index(warnings, i));
	}
	data = hp_snapshot_to_data(snap, &len);
	return hp_capture_write(output, data, len);
}
