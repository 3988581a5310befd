/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "hp-diag.h"

G_BEGIN_DECLS

typedef enum {
	HP_OUTPUT_TEXT,
	HP_OUTPUT_JSON,
	HP_OUTPUT_SARIF,
} HpOutputFormat;

/* The findings of one run, file by file, for any output format. */
typedef struct {
	GPtrArray *files; /* of HpFileReport */
	gboolean werror;  /* warnings make a file invalid */
} HpReport;

typedef struct {
	gchar *name;
	HpDiagList *diags;
	gchar *error; /* why the file could not be read; NULL: it was */
} HpFileReport;

HpReport *hp_report_new(gboolean werror);
void hp_report_free(HpReport *report);
HpDiagList *hp_report_add_file(HpReport *report, const gchar *name);
void hp_report_take_file(HpReport *report, const gchar *name, HpDiagList *diags);
void hp_report_add_unreadable(HpReport *report, const gchar *name, const gchar *why);
guint hp_report_count_unreadable(const HpReport *report);
gboolean hp_report_file_valid(const HpReport *report, const HpFileReport *file);
guint hp_report_count(const HpReport *report, HpSeverity severity);
gboolean hp_report_valid(const HpReport *report);
gboolean hp_output_format_parse(const gchar *str, HpOutputFormat *ret_format);
gchar *hp_report_to_string(const HpReport *report, HpOutputFormat format);
gchar *hp_report_uri(const gchar *name);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(HpReport, hp_report_free)

G_END_DECLS
