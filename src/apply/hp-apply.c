/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The executor: refusals, the prepare steps journalled and checked, the
 * rollback, the recovery of a killed run, the release. */
#include "hp-apply.h"

#include <signal.h>
#include <unistd.h>

#include "hp-apply-step.h"
#include "hp-diag.h"
#include "hp-error.h"
#include "hp-lock.h"
#include "hp-modprobe.h"
#include "hp-vfio-holders.h"

typedef struct {
	const HpApplyOptions *opts;
	HpJournal *journal; /* the one on disk */
	HpApplyReport *report;
	guint performed;        /* steps run, for the test crash point */
	gboolean journal_broken; /* a save failed during a rollback: go on without */
} HpRun;

static const gchar *
hp_or_none(const gchar *s)
{
	return s != NULL && s[0] != '\0' ? s : "none";
}

static void
hp_report_say(HpApplyReport *report, const gchar *fmt, ...) G_GNUC_PRINTF(2, 3);

static void
hp_report_say(HpApplyReport *report, const gchar *fmt, ...)
{
	va_list args;
	va_start(args, fmt);
	g_ptr_array_add(report->messages, g_strdup_vprintf(fmt, args));
	va_end(args);
}

static gboolean
hp_run_save(HpRun *run, GError **error)
{
	if (run->journal_broken)
		return TRUE;
	return hp_journal_save(run->journal, run->opts->state_dir, error);
}

/* The log of the report: a copy of @entry with its result. */
static void
hp_run_log(HpRun *run, const HpJournalEntry *entry)
{
	HpJournalEntry *copy = hp_journal_add_entry(run->report->log, entry->step, entry->undo, entry->driver_before,
						    entry->override_before);
	copy->result = entry->result;
	copy->message = g_strdup(entry->message);
}

/*
 * Records @step in the journal with the state it changes, saves it, runs
 * it, checks it, and records the result. FALSE when the step could not be
 * journalled or failed its check.
 */
static gboolean
hp_run_step(HpRun *run, const HpPlanStep *step, gboolean undo, const gchar *bind_driver)
{
	g_autofree gchar *driver = NULL, *override = NULL, *message = NULL;
	g_autoptr(GError) error = NULL;
	HpJournalEntry *entry;

	if (step->has_device && step->kind != HP_STEP_MODPROBE) {
		driver = hp_apply_read_driver(run->opts->host, &step->device);
		override = hp_apply_read_override(run->opts->host, &step->device);
	}
	entry = hp_journal_add_entry(run->journal, step, undo, driver, override);
	if (!hp_run_save(run, &error)) {
		entry->result = HP_ENTRY_FAILED;
		entry->message = g_strdup_printf("not run: %s", error->message);
		hp_run_log(run, entry);
		if (undo) {
			/* a rollback goes on without its journal: giving the devices back matters more */
			run->journal_broken = TRUE;
			hp_report_say(run->report, "%s; the rollback goes on without a journal", error->message);
			return hp_run_step(run, step, undo, bind_driver);
		}
		return FALSE;
	}
	entry->result = hp_apply_step_perform(run->opts, step, bind_driver, &message);
	entry->message = g_steal_pointer(&message);
	run->performed++;
	if (run->opts->crash_after != 0 && run->performed == run->opts->crash_after)
		kill(getpid(), SIGKILL); /* tests only: a run killed between a step and its record */
	if (!hp_run_save(run, &error) && !undo) {
		hp_run_log(run, entry);
		hp_report_say(run->report, "%s", error->message);
		return FALSE;
	}
	hp_run_log(run, entry);
	return entry->result != HP_ENTRY_FAILED;
}

/* "BDF: driver X (was Y), driver_override Z (was W)" when it is not as recorded; NULL when it is. */
static gchar *
hp_device_left(const HpApplyOptions *opts, const HpJournalDevice *dev)
{
	g_autofree gchar *driver = hp_apply_read_driver(opts->host, &dev->addr);
	g_autofree gchar *override = hp_apply_read_override(opts->host, &dev->addr);
	gchar bdf[HP_PCI_ADDRESS_STRLEN];

	if (g_strcmp0(driver, dev->driver) == 0 && g_strcmp0(override, dev->override) == 0)
		return NULL;
	return g_strdup_printf("%s: driver %s (was %s), driver_override %s (was %s)",
			       hp_pci_address_to_string(&dev->addr, bdf), hp_or_none(driver), hp_or_none(dev->driver),
			       hp_or_none(override), hp_or_none(dev->override));
}

/*
 * Gives one device back as the journal recorded it, from what it is now (so
 * that it is right after a crash at any step, or a device someone else
 * moved): the override written back, the device unbound from what it is on,
 * its own driver bound through drivers/ORIG/bind, and checked.
 */
static void
hp_run_restore_device(HpRun *run, const HpJournalDevice *dev)
{
	g_autofree gchar *driver = hp_apply_read_driver(run->opts->host, &dev->addr);
	g_autofree gchar *override = hp_apply_read_override(run->opts->host, &dev->addr);
	gchar bdf[HP_PCI_ADDRESS_STRLEN];

	hp_pci_address_to_string(&dev->addr, bdf);
	if (g_strcmp0(driver, dev->driver) == 0 && g_strcmp0(override, dev->override) == 0)
		return;
	if (g_strcmp0(override, dev->override) != 0) {
		g_autoptr(HpPlanStep) s = hp_plan_step_new(HP_STEP_RESTORE_OVERRIDE, &dev->addr,
							  dev->override != NULL ? dev->override : "",
							  override != NULL ? override : "", NULL);
		hp_run_step(run, s, TRUE, NULL);
	}
	if (driver != NULL && g_strcmp0(driver, dev->driver) != 0) {
		g_autoptr(HpPlanStep) s = hp_plan_step_new(HP_STEP_UNBIND, &dev->addr, bdf, driver, NULL);
		hp_run_step(run, s, TRUE, NULL);
	}
	if (dev->driver != NULL) {
		g_autofree gchar *now = hp_apply_read_driver(run->opts->host, &dev->addr);
		if (now == NULL) {
			g_autoptr(HpPlanStep) s = hp_plan_step_new(HP_STEP_PROBE, &dev->addr, bdf, NULL, NULL);
			hp_run_step(run, s, TRUE, dev->driver);
		}
	}
	{
		g_autoptr(HpPlanStep) s = hp_plan_step_new(HP_STEP_VERIFY, &dev->addr,
							  dev->driver != NULL ? dev->driver : "", NULL, NULL);
		hp_run_step(run, s, TRUE, NULL);
	}
}

/*
 * Every device of the journal back as it was, last first; TRUE when each
 * is (the journal is then removed), FALSE with the devices named in the
 * report's `left` (the journal stays, marked stuck).
 */
static gboolean
hp_run_restore(HpRun *run)
{
	g_autoptr(GError) error = NULL;

	run->journal->state = HP_JOURNAL_UNDOING;
	if (!hp_run_save(run, &error)) {
		run->journal_broken = TRUE;
		hp_report_say(run->report, "%s; the rollback goes on without a journal", error->message);
		g_clear_error(&error);
	}
	for (guint i = run->journal->devices->len; i > 0; i--)
		hp_run_restore_device(run, g_ptr_array_index(run->journal->devices, i - 1));
	for (guint i = 0; i < run->journal->devices->len; i++) {
		gchar *left = hp_device_left(run->opts, g_ptr_array_index(run->journal->devices, i));
		if (left != NULL)
			g_ptr_array_add(run->report->left, left);
	}
	if (run->report->left->len > 0) {
		run->journal->state = HP_JOURNAL_STUCK;
		run->journal_broken = FALSE;
		if (!hp_run_save(run, &error))
			hp_report_say(run->report, "%s", error->message);
		return FALSE;
	}
	if (!hp_journal_remove(run->opts->state_dir, run->journal->domain, &error)) {
		hp_report_say(run->report, "%s", error->message);
		return FALSE;
	}
	return TRUE;
}

gint
hp_apply_lock(const HpApplyOptions *opts, const gchar *domain, GError **error)
{
	g_autofree gchar *stem = hp_journal_file_stem(domain);
	return hp_lock_take(opts->state_dir, stem, error);
}

void
hp_apply_unlock(gint lock)
{
	hp_lock_drop(lock);
}

/* Whether @domain has a journal that a killed or failed run left (not a prepared one). */
gboolean
hp_apply_needs_recovery(const HpApplyOptions *opts, const gchar *domain)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HpJournal) journal = hp_journal_load(opts->state_dir, domain, &error);
	if (journal == NULL)
		return !g_error_matches(error, HP_ERROR, HP_ERROR_NOT_FOUND);
	return journal->state != HP_JOURNAL_PREPARED;
}

/* The groups of the journal's devices that a process holds open, as lines; empty when none. */
static GPtrArray *
hp_journal_holders(const HpApplyOptions *opts, const HpJournal *journal)
{
	g_autoptr(GArray) groups = g_array_new(FALSE, FALSE, sizeof(gint));
	for (guint i = 0; i < journal->devices->len; i++) {
		const HpJournalDevice *dev = g_ptr_array_index(journal->devices, i);
		if (dev->iommu_group >= 0)
			g_array_append_val(groups, dev->iommu_group);
	}
	return hp_vfio_holders(opts->host, groups);
}

/* Gives back what @journal holds; the report's status says how it went. */
static HpApplyReport *
hp_apply_undo_journal(const HpApplyOptions *opts, HpJournal *journal, const gchar *action, HpApplyOutcome done)
{
	HpApplyReport *report = hp_apply_report_new(action, journal->domain);
	g_autoptr(GPtrArray) holders = hp_journal_holders(opts, journal);
	HpRun run = {opts, journal, report, 0, FALSE};

	if (holders->len > 0) {
		for (guint i = 0; i < holders->len; i++)
			hp_report_say(report, "%s: the domain's devices are in use (is it running?); stop it first",
				      (const gchar *)g_ptr_array_index(holders, i));
		report->outcome = HP_APPLY_REFUSED;
		report->status = 1;
		return report;
	}
	if (hp_run_restore(&run)) {
		report->outcome = done;
		report->status = 0;
	} else {
		report->outcome = HP_APPLY_PARTIAL;
		report->status = 3;
		g_autofree gchar *stem = hp_journal_file_stem(journal->domain);
		hp_report_say(report,
			      "not every device could be given back; the journal %s/%s.json stays: run release (or apply) again once the cause is fixed",
			      opts->state_dir, stem);
	}
	return report;
}

/**
 * hp_apply_recover:
 *
 * Undoes what a killed or failed run left in @domain's journal, before a
 * new check and apply. The caller holds the lock.
 *
 * Returns: (transfer full): HP_APPLY_RECOVERED (status 0) when every device
 * is back as the journal found it; else the refusal or the failure.
 */
HpApplyReport *
hp_apply_recover(const HpApplyOptions *opts, const gchar *domain)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HpJournal) journal = hp_journal_load(opts->state_dir, domain, &error);
	HpApplyReport *report;

	if (journal == NULL) {
		report = hp_apply_report_new("apply", domain);
		if (g_error_matches(error, HP_ERROR, HP_ERROR_NOT_FOUND)) {
			report->outcome = HP_APPLY_RECOVERED;
			return report;
		}
		hp_report_say(report, "%s", error->message);
		report->outcome = HP_APPLY_PARTIAL;
		report->status = 3;
		return report;
	}
	report = hp_apply_undo_journal(opts, journal, "apply", HP_APPLY_RECOVERED);
	if (report->status == 0)
		hp_report_say(report, "a run that was stopped left a journal: every device is back as it was found; applying again");
	return report;
}

/* Whether the plan changes @dev at all (a managed='no' device is only verified). */
static gboolean
hp_plan_changes(const HpPlan *plan, const HpPciAddress *addr)
{
	for (guint i = 0; i < plan->prepare->len; i++) {
		const HpPlanStep *s = g_ptr_array_index(plan->prepare, i);
		if (s->kind != HP_STEP_VERIFY && s->has_device && hp_pci_address_equal(&s->device, addr))
			return TRUE;
	}
	return FALSE;
}

/* Another domain's journal that holds a device of the plan. */
static void
hp_refuse_journals(const HpApplyOptions *opts, const HpPlan *plan, HpApplyReport *report)
{
	g_autoptr(GPtrArray) bad = NULL;
	g_autoptr(GPtrArray) journals = hp_journal_load_all(opts->state_dir, &bad);
	gchar bdf[HP_PCI_ADDRESS_STRLEN];

	for (guint i = 0; i < bad->len; i++)
		hp_report_say(report, "%s; it may hold a device of this domain: look at it, then release that domain or remove it",
			      (const gchar *)g_ptr_array_index(bad, i));
	for (guint j = 0; j < journals->len; j++) {
		const HpJournal *other = g_ptr_array_index(journals, j);
		if (g_strcmp0(other->domain, plan->domain) == 0)
			continue;
		for (guint i = 0; i < plan->devices->len; i++) {
			const HpPlanDevice *dev = g_ptr_array_index(plan->devices, i);
			g_autofree gchar *shown = NULL;
			if (hp_journal_find_device(other, &dev->addr) == NULL)
				continue;
			shown = hp_echo(other->domain);
			hp_report_say(report, "%s is held by domain '%s' (its journal is in %s): release that domain first",
				      hp_pci_address_to_string(&dev->addr, bdf), shown, opts->state_dir);
		}
	}
}

static void
hp_refuse_holders(const HpApplyOptions *opts, const HpPlan *plan, HpApplyReport *report)
{
	g_autoptr(GArray) groups = g_array_new(FALSE, FALSE, sizeof(gint));
	g_autoptr(GPtrArray) holders = NULL;

	for (guint i = 0; i < plan->devices->len; i++) {
		const HpPlanDevice *dev = g_ptr_array_index(plan->devices, i);
		if (dev->iommu_group >= 0 && hp_plan_changes(plan, &dev->addr))
			g_array_append_val(groups, dev->iommu_group);
	}
	holders = hp_vfio_holders(opts->host, groups);
	for (guint i = 0; i < holders->len; i++)
		hp_report_say(report, "%s: a group in use cannot change drivers; stop that process (a running domain?) first",
			      (const gchar *)g_ptr_array_index(holders, i));
}

static void
hp_refuse_modules(const HpApplyOptions *opts, const HpPlan *plan, HpApplyReport *report)
{
	for (guint i = 0; i < plan->prepare->len; i++) {
		const HpPlanStep *s = g_ptr_array_index(plan->prepare, i);
		g_autoptr(GError) error = NULL;
		g_autofree gchar *line = NULL;

		if (s->kind != HP_STEP_MODPROBE)
			continue;
		line = hp_modprobe_prohibited(s->value, opts->modprobe_config, &error);
		if (line != NULL)
			hp_report_say(report,
				      "module %s cannot be loaded: modprobe's configuration says '%s' (administratively prohibited, as libvirt says); remove that line from modprobe's configuration (/etc/modprobe.d), or load the module yourself first",
				      s->value, line);
		else if (error != NULL && opts->run_modprobe)
			hp_report_say(report, "module %s: %s", s->value, error->message);
	}
}

/* A device that is not as it was when it was checked: the plan is stale. */
static void
hp_refuse_changed(const HpApplyOptions *opts, const HpPlan *plan, HpApplyReport *report)
{
	gchar bdf[HP_PCI_ADDRESS_STRLEN];
	for (guint i = 0; i < plan->devices->len; i++) {
		const HpPlanDevice *dev = g_ptr_array_index(plan->devices, i);
		g_autofree gchar *driver = hp_apply_read_driver(opts->host, &dev->addr);
		g_autofree gchar *override = hp_apply_read_override(opts->host, &dev->addr);
		if (g_strcmp0(driver, dev->current_driver) == 0 && g_strcmp0(override, dev->current_override) == 0)
			continue;
		hp_report_say(report, "%s changed since it was checked (driver %s, driver_override %s; the check saw %s, %s): run apply again",
			      hp_pci_address_to_string(&dev->addr, bdf), hp_or_none(driver), hp_or_none(override),
			      hp_or_none(dev->current_driver), hp_or_none(dev->current_override));
	}
}

/* The journal a run starts with: every device it changes, as it is now. */
static HpJournal *
hp_apply_journal_new(const HpApplyOptions *opts, const HpPlan *plan)
{
	HpJournal *journal = hp_journal_new(plan->domain);
	journal->state = HP_JOURNAL_APPLYING;
	for (guint i = 0; i < plan->devices->len; i++) {
		const HpPlanDevice *dev = g_ptr_array_index(plan->devices, i);
		g_autofree gchar *driver = NULL, *override = NULL;
		if (!hp_plan_changes(plan, &dev->addr))
			continue;
		driver = hp_apply_read_driver(opts->host, &dev->addr);
		override = hp_apply_read_override(opts->host, &dev->addr);
		hp_journal_add_device(journal, &dev->addr, driver, override, dev->target_driver, dev->iommu_group);
	}
	return journal;
}

/* Refusals before any change; FALSE when one holds (the report says which). */
static gboolean
hp_apply_refusals(const HpApplyOptions *opts, const HpPlan *plan, HpApplyReport *report)
{
	guint before = report->messages->len;
	hp_refuse_journals(opts, plan, report);
	hp_refuse_holders(opts, plan, report);
	hp_refuse_modules(opts, plan, report);
	hp_refuse_changed(opts, plan, report);
	return report->messages->len == before;
}

static void
hp_apply_fail(HpRun *run, const gchar *why)
{
	HpApplyReport *report = run->report;
	hp_report_say(report, "%s; giving every device back", why);
	if (hp_run_restore(run)) {
		report->outcome = HP_APPLY_ROLLED_BACK;
		report->status = 1;
		hp_report_say(report, "rolled back: every device is back on its driver, with its driver_override, as it was found");
	} else {
		g_autofree gchar *stem = hp_journal_file_stem(run->journal->domain);
		report->outcome = HP_APPLY_PARTIAL;
		report->status = 3;
		hp_report_say(report,
			      "not every device could be given back; the journal %s/%s.json stays: run release (or apply) again once the cause is fixed",
			      run->opts->state_dir, stem);
	}
}

/**
 * hp_apply_run:
 * @plan: the plan of a domain checked against this host just before, under
 *   the domain's lock, after hp_apply_recover()
 *
 * Refuses before any change what another domain's journal holds, a group a
 * process holds open, a module modprobe's configuration forbids, a device
 * changed since the check; then runs the prepare steps, each journalled and
 * checked; on a failure every device is given back and checked.
 *
 * Returns: (transfer full): what was done; its status is the exit status.
 */
HpApplyReport *
hp_apply_run(const HpApplyOptions *opts, const HpPlan *plan)
{
	g_autoptr(HpApplyReport) report = hp_apply_report_new("apply", plan->domain);
	g_autoptr(HpJournal) journal = NULL;
	g_autoptr(GError) error = NULL;
	gboolean changes = FALSE;
	HpRun run = {opts, NULL, report, 0, FALSE};
	gint all;

	journal = hp_journal_load(opts->state_dir, plan->domain, &error);
	if (journal != NULL && journal->state == HP_JOURNAL_PREPARED) {
		report->outcome = HP_APPLY_ALREADY_PREPARED;
		hp_report_say(report, "already prepared by an earlier apply (its journal is in %s): nothing to do",
			      opts->state_dir);
		return g_steal_pointer(&report);
	}
	if (journal != NULL || !g_error_matches(error, HP_ERROR, HP_ERROR_NOT_FOUND)) {
		hp_report_say(report, "%s", error != NULL ? error->message
							   : "a journal of an unfinished run is there: recover it first");
		report->outcome = HP_APPLY_REFUSED;
		report->status = 1;
		return g_steal_pointer(&report);
	}
	g_clear_pointer(&journal, hp_journal_free);
	g_clear_error(&error);
	for (guint i = 0; i < plan->devices->len; i++)
		changes |= hp_plan_changes(plan, &((HpPlanDevice *)g_ptr_array_index(plan->devices, i))->addr);

	/* the other domains' journals are read and this one written as one step */
	all = hp_lock_take(opts->state_dir, HP_LOCK_ALL, &error);
	if (all < 0) {
		hp_report_say(report, "%s", error->message);
		report->outcome = HP_APPLY_REFUSED;
		report->status = 1;
		return g_steal_pointer(&report);
	}
	if (!hp_apply_refusals(opts, plan, report)) {
		hp_lock_drop(all);
		hp_report_say(report, "refused: nothing was changed");
		report->outcome = HP_APPLY_REFUSED;
		report->status = 1;
		return g_steal_pointer(&report);
	}
	journal = hp_apply_journal_new(opts, plan);
	run.journal = journal;
	run.journal_broken = !changes; /* verifies only: nothing to give back, no journal */
	if (!hp_run_save(&run, &error)) {
		hp_lock_drop(all);
		hp_report_say(report, "%s; refused: nothing was changed", error->message);
		report->outcome = HP_APPLY_REFUSED;
		report->status = 1;
		return g_steal_pointer(&report);
	}
	hp_lock_drop(all);

	for (guint i = 0; i < plan->prepare->len; i++) {
		const HpPlanStep *step = g_ptr_array_index(plan->prepare, i);
		if (!hp_run_step(&run, step, FALSE, NULL)) {
			const HpJournalEntry *last = g_ptr_array_index(journal->entries, journal->entries->len - 1);
			g_autofree gchar *what = hp_plan_step_describe(step);
			g_autofree gchar *why = g_strdup_printf("step %u (%s) failed: %s", i + 1, what,
								hp_or_none(last->message));
			if (!changes) {
				hp_report_say(report, "%s", why);
				report->outcome = HP_APPLY_REFUSED;
				report->status = 1;
				return g_steal_pointer(&report);
			}
			hp_apply_fail(&run, why);
			return g_steal_pointer(&report);
		}
	}
	if (!changes) {
		report->outcome = HP_APPLY_NOTHING_TO_DO;
		hp_report_say(report, "every device is on its target driver already: nothing to do");
		return g_steal_pointer(&report);
	}
	journal->state = HP_JOURNAL_PREPARED;
	if (!hp_run_save(&run, &error)) {
		hp_apply_fail(&run, error->message);
		return g_steal_pointer(&report);
	}
	report->outcome = HP_APPLY_APPLIED;
	hp_report_say(report, "prepared: every device is on its target driver, checked; 'release' gives them back");
	return g_steal_pointer(&report);
}

/**
 * hp_apply_release:
 *
 * Gives back every device @domain's journal holds, to the driver and
 * driver_override it recorded, and removes the journal. No journal: nothing
 * to do. A group a process holds open is refused.
 *
 * Returns: (transfer full): what was done; its status is the exit status.
 */
HpApplyReport *
hp_apply_release(const HpApplyOptions *opts, const gchar *domain)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HpJournal) journal = hp_journal_load(opts->state_dir, domain, &error);
	HpApplyReport *report;

	if (journal == NULL) {
		report = hp_apply_report_new("release", domain);
		if (g_error_matches(error, HP_ERROR, HP_ERROR_NOT_FOUND)) {
			report->outcome = HP_APPLY_NOTHING_TO_RELEASE;
			hp_report_say(report, "no journal for this domain in %s: nothing to release", opts->state_dir);
			return report;
		}
		hp_report_say(report, "%s", error->message);
		report->outcome = HP_APPLY_PARTIAL;
		report->status = 3;
		return report;
	}
	report = hp_apply_undo_journal(opts, journal, "release", HP_APPLY_RELEASED);
	if (report->status == 0)
		hp_report_say(report, "released: every device is back on its driver, with its driver_override, as it was found");
	return report;
}
