/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `hostdev-preflight fix`: a thin file over the library's repairs
 * (src/domain/hp-fix.c), the checker and the normalizer.
 */
#include <string.h>

#include <glib.h>

#include "hp-cli.h"
#include "hp-diff.h"
#include "hp-exit.h"
#include "hp-file.h"
#include "hp-fix.h"
#include "hp-normalize.h"
#include "hp-output.h"

/*
 * fix: the repairs of SPEC section 12 on the document, then normalized.
 * What is left is reported on stderr as validate reports it, found by
 * checking the output itself.
 */
gint
hp_cmd_fix(const HpVerb *verb, HpOptions *opts, gchar **files)
{
	g_autoptr(HpChecker) checker = NULL;
	g_autoptr(HpNormalizer) norm = NULL;
	g_autoptr(HpCheckResult) result = NULL;
	g_autoptr(HpCheckResult) after = NULL;
	g_autoptr(HpReport) report = hp_report_new(opts->werror);
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) fixed = NULL;
	g_autoptr(GPtrArray) warnings = NULL;
	g_autofree gchar *out = NULL;
	g_autofree gchar *text = NULL;
	gint exit_code = HP_EXIT_OK;
	const gchar *file, *name, *dest;

	if (files[0] == NULL || files[1] != NULL)
		return hp_usage_error(verb, "fix takes exactly one FILE (- for standard input)");
	file = files[0];
	name = hp_display_name(file);
	if (opts->diff && (opts->in_place || opts->output != NULL))
		return hp_usage_error(verb, "--diff writes the diff to standard output; it excludes -o and --in-place");
	if (!hp_cli_output_dest(verb, opts, file, &dest, &exit_code))
		return exit_code;
	checker = hp_cli_checker(opts, verb, &exit_code);
	if (checker == NULL)
		return exit_code;
	norm = hp_normalizer_new(&error);
	if (norm == NULL) {
		g_printerr("hostdev-preflight: %s\n", error->message);
		return HP_EXIT_USAGE;
	}
	result = hp_checker_check_file(checker, file, name, &error);
	if (result == NULL) {
		g_autofree gchar *shown = hp_escape(name);
		g_autofree gchar *why = hp_escape(error->message);
		g_printerr("hostdev-preflight: cannot read %s: %s\n", shown, why);
		return HP_EXIT_USAGE;
	}
	if (result->document == NULL) { /* not XML, or too large: nothing to repair */
		hp_report_take_file(report, name, g_steal_pointer(&result->diags));
		text = hp_report_to_string(report, HP_OUTPUT_TEXT);
		g_printerr("%s", text);
		return HP_EXIT_FINDINGS;
	}
	hp_fix_apply(result->document, result->domain, result->diags, NULL);
	out = hp_normalizer_apply(norm, result->document->doc, opts->libvirt_compat, hp_checker_get_libvirt(checker),
				  &warnings, &error);
	if (out == NULL) {
		g_autofree gchar *why = hp_escape(error->message);
		g_printerr("hostdev-preflight: %s: not fixed: %s\n", name, why);
		return HP_EXIT_FINDINGS;
	}
	hp_cli_print_warnings(file, warnings);
	/* what is left, found in the output */
	fixed = g_bytes_new(out, strlen(out));
	after = hp_checker_check(checker, name, fixed);
	hp_report_take_file(report, name, g_steal_pointer(&after->diags));
	text = hp_report_to_string(report, HP_OUTPUT_TEXT);
	g_printerr("%s", text);

	if (opts->diff) {
		g_autofree gchar *orig = g_strndup(g_bytes_get_data(result->document->bytes, NULL),
						   g_bytes_get_size(result->document->bytes));
		g_autofree gchar *a = g_strdup_printf("a/%s", name);
		g_autofree gchar *b = g_strdup_printf("b/%s", name);
		g_autofree gchar *d = hp_diff_unified(a, orig, b, out, 3);
		exit_code = hp_print_stdout(d);
	} else if (dest != NULL) {
		if (!hp_file_replace(dest, out, strlen(out), &error)) {
			g_autofree gchar *why = hp_escape(error->message);
			g_printerr("hostdev-preflight: %s\n", why);
			return HP_EXIT_USAGE;
		}
	} else {
		exit_code = hp_print_stdout(out);
	}
	if (exit_code != HP_EXIT_OK)
		return exit_code;
	return hp_report_valid(report) ? HP_EXIT_OK : HP_EXIT_FINDINGS;
}

