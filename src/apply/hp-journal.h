/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "hp-pci-address.h"
#include "hp-plan-step.h"

G_BEGIN_DECLS

/*
 * The journal of one domain's apply (SPEC section 10): STATE_DIR/NAME.json,
 * rewritten whole before each step runs and after it (a new file, fsynced,
 * renamed over, the directory fsynced), so that after a crash at any point
 * it says what was done and what each device was before: `apply` again or
 * `release` then gives every device back from it.
 */
typedef enum {
	HP_JOURNAL_APPLYING,  /* prepare steps are running (a crash leaves it so) */
	HP_JOURNAL_PREPARED,  /* every prepare step done and checked */
	HP_JOURNAL_UNDOING,   /* a rollback or release is running */
	HP_JOURNAL_STUCK,     /* a rollback or release could not give everything back */
} HpJournalState;

typedef enum {
	HP_ENTRY_PENDING, /* recorded, not (known to be) run: a crash after this leaves it */
	HP_ENTRY_DONE,    /* run and checked */
	HP_ENTRY_FAILED,  /* run, or refused, and the check failed */
	HP_ENTRY_SKIPPED, /* not run: nothing to do (a copy of a host has no modprobe) */
} HpEntryResult;

/* A device as it was found: what a release gives back. */
typedef struct {
	HpPciAddress addr;
	gchar *driver;   /* NULL: none */
	gchar *override; /* NULL: none */
	gchar *target;   /* the driver apply binds it to */
	gint iommu_group; /* -1 none */
} HpJournalDevice;

typedef struct {
	HpPlanStep *step;
	gboolean undo;          /* a step of a rollback or release */
	gchar *driver_before;   /* the device's driver just before it ran; NULL none */
	gchar *override_before; /* its driver_override then; NULL none */
	HpEntryResult result;
	gchar *message; /* what the check found when it failed */
} HpJournalEntry;

typedef struct {
	gchar *domain;
	HpJournalState state;
	GPtrArray *devices; /* of HpJournalDevice, in plan order */
	GPtrArray *entries; /* of HpJournalEntry, in the order they ran */
} HpJournal;

HpJournal *hp_journal_new(const gchar *domain);
void hp_journal_free(HpJournal *journal);
HpJournalDevice *hp_journal_add_device(HpJournal *journal, const HpPciAddress *addr, const gchar *driver,
				       const gchar *override, const gchar *target, gint iommu_group);
HpJournalDevice *hp_journal_find_device(const HpJournal *journal, const HpPciAddress *addr);
HpJournalEntry *hp_journal_add_entry(HpJournal *journal, const HpPlanStep *step, gboolean undo,
				     const gchar *driver_before, const gchar *override_before);
const gchar *hp_journal_state_to_string(HpJournalState state);
const gchar *hp_entry_result_to_string(HpEntryResult result);

gchar *hp_journal_to_json(const HpJournal *journal);
void hp_journal_entry_to_json(const HpJournalEntry *entry, gboolean with_path, JsonBuilder *b);
void hp_json_add_nullable(JsonBuilder *b, const gchar *key, const gchar *value);
HpJournal *hp_journal_from_json(const gchar *data, gsize len, const gchar *file, GError **error);

gchar *hp_journal_file_stem(const gchar *domain);
gboolean hp_journal_save(const HpJournal *journal, const gchar *state_dir, GError **error);
HpJournal *hp_journal_load(const gchar *state_dir, const gchar *domain, GError **error);
gboolean hp_journal_remove(const gchar *state_dir, const gchar *domain, GError **error);
GPtrArray *hp_journal_load_all(const gchar *state_dir, GPtrArray **ret_unreadable);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(HpJournal, hp_journal_free)

G_END_DECLS
