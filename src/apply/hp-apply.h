/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "hp-host.h"
#include "hp-journal.h"
#include "hp-plan.h"

G_BEGIN_DECLS

/*
 * apply and release on a live host (SPEC section 10): the plan's prepare
 * steps run one by one, each journalled before it runs and checked after;
 * a failure gives every device back, each undo checked; a journal left by
 * a killed run is finished by the next one.
 *
 * The caller holds the domain's lock (hp_apply_lock()) from before the
 * check whose plan it runs until the report: so a run never interleaves
 * with another for the same domain, and a recovery happens before the
 * check that the plan comes from.
 */
typedef struct {
	const HpHost *host;
	const gchar *state_dir;
	gboolean run_modprobe;     /* FALSE on a copy of a host: nothing is loaded there */
	const gchar *modprobe_config; /* modprobe's configuration to read (-C); NULL this machine's */
	guint crash_after;         /* tests only: the process is killed once this many steps ran (0 never) */
	guint wait_ms;             /* how long the kernel may take to bind (0: 5000) */
} HpApplyOptions;

typedef enum {
	HP_APPLY_APPLIED,           /* every device on its target, checked */
	HP_APPLY_NOTHING_TO_DO,     /* every device was on its target already */
	HP_APPLY_ALREADY_PREPARED,  /* the journal says it is prepared: a no-op */
	HP_APPLY_REFUSED,           /* refused before any change */
	HP_APPLY_ROLLED_BACK,       /* failed, every device given back and checked */
	HP_APPLY_PARTIAL,           /* failed, and not every device could be given back */
	HP_APPLY_RELEASED,          /* release: every device given back */
	HP_APPLY_NOTHING_TO_RELEASE, /* release: no journal */
	HP_APPLY_RECOVERED,         /* a killed run's journal was undone; the caller goes on */
} HpApplyOutcome;

typedef struct {
	gchar *action; /* "apply" or "release" */
	gchar *domain;
	HpApplyOutcome outcome;
	gint status;         /* 0, 1 or 3 (SPEC section 3) */
	HpJournal *log;      /* every step this run recorded, with its result */
	GPtrArray *messages; /* for people, in order */
	GPtrArray *left;     /* devices not as they were found: "BDF: driver X (was Y), ..." */
} HpApplyReport;

HpApplyReport *hp_apply_report_new(const gchar *action, const gchar *domain);
void hp_apply_report_free(HpApplyReport *report);
const gchar *hp_apply_outcome_to_string(HpApplyOutcome outcome);
void hp_apply_report_merge(HpApplyReport *report, HpApplyReport *other);
gchar *hp_apply_report_to_text(const HpApplyReport *report);
gchar *hp_apply_report_to_json(const HpApplyReport *report);

gint hp_apply_lock(const HpApplyOptions *opts, const gchar *domain, GError **error);
void hp_apply_unlock(gint lock);
gboolean hp_apply_needs_recovery(const HpApplyOptions *opts, const gchar *domain);
HpApplyReport *hp_apply_recover(const HpApplyOptions *opts, const gchar *domain);
HpApplyReport *hp_apply_run(const HpApplyOptions *opts, const HpPlan *plan);
HpApplyReport *hp_apply_release(const HpApplyOptions *opts, const gchar *domain);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(HpApplyReport, hp_apply_report_free)

G_END_DECLS
