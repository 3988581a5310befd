/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the command's files share: its options, its verb table's entries,
 * and the few helpers every command uses to check and to print. */

#include <glib.h>

#include "hp-checker.h"

G_BEGIN_DECLS

typedef struct {
	gchar *root;
	gchar *kernel_release;
	gboolean no_host;
	gchar *libvirt_schemas;
	gboolean no_libvirt_schemas;
	gchar *format;
	gboolean libvirt_compat;
	gboolean werror;
	gchar *output;
	gboolean in_place;
	gboolean diff;
	gchar *jobs; /* --jobs N as given; NULL: the CPUs available */
	gchar *state_dir; /* apply, release, hook: where journals live; NULL the default */
} HpOptions;

/* The options a command takes; its --help lists exactly these. */
enum {
	HP_OPT_ROOT = 1 << 0,    /* --root, --kernel-release */
	HP_OPT_NO_HOST = 1 << 1, /* --no-host */
	HP_OPT_SCHEMA = 1 << 2,  /* --libvirt-schemas, --no-libvirt-schemas */
	HP_OPT_FORMAT = 1 << 3,  /* --format */
	HP_OPT_WRITE = 1 << 4,   /* -o, --in-place, --libvirt-compat */
	HP_OPT_WERROR = 1 << 5,  /* --werror */
	HP_OPT_DIFF = 1 << 6,    /* --diff */
	HP_OPT_JOBS = 1 << 7,    /* --jobs */
};

/* validate --jobs: more threads than this is a typing error */
#define HP_MAX_JOBS 1024

typedef struct _HpVerb HpVerb;
typedef gint (*HpVerbFunc)(const HpVerb *verb, HpOptions *opts, gchar **files);

/* One command: the table in hostdev-preflight.c generates the help and dispatches. */
struct _HpVerb {
	const gchar *name;
	const gchar *synopsis;
	const gchar *description;
	HpVerbFunc handler;
	guint options;        /* HP_OPT_* */
	const gchar *formats; /* what --format takes, for its help */
	gint (*own)(gint argc, gchar **argv); /* a command that parses its own options */
};

gint hp_usage_error(const HpVerb *verb, const gchar *fmt, ...) G_GNUC_PRINTF(2, 3);
HpChecker *hp_cli_checker(const HpOptions *opts, const HpVerb *verb, gint *ret_exit);
const gchar *hp_display_name(const gchar *path);
gint hp_print_stdout(const gchar *text);
gboolean hp_cli_output_dest(const HpVerb *verb, const HpOptions *opts, const gchar *file, const gchar **ret_dest,
			    gint *ret_exit);
void hp_cli_print_warnings(const gchar *file, GPtrArray *warnings);
gint hp_cmd_fix(const HpVerb *verb, HpOptions *opts, gchar **files);
gint hp_cmd_validate(const HpVerb *verb, HpOptions *opts, gchar **files);

G_END_DECLS
