/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * validate: check domains against the grammars, the rules and the host,
 * on one thread or several (--jobs), the report in input order.
 */
#include <pthread.h>

#include <glib.h>

#include "hp-checker.h"
#include "hp-cli.h"
#include "hp-exit.h"
#include "hp-output.h"

/* Standard input has one content: '-' may be given once. */
static gboolean
hp_files_check_stdin(const HpVerb *verb, gchar **files, gint *ret_exit)
{
	guint dashes = 0;
	for (guint i = 0; files[i] != NULL; i++) {
		if (g_strcmp0(files[i], "-") == 0)
			dashes++;
	}
	if (dashes > 1) {
		*ret_exit = hp_usage_error(verb, "'-' (standard input) is given %u times; it can be read only once", dashes);
		return FALSE;
	}
	return TRUE;
}

/*
 * validate --jobs: the files are checked on several threads sharing one
 * checker (see its thread contract); each result lands in its file's slot,
 * and the caller takes the slots in input order as they are filled, so the
 * output and the order of the messages are those of one thread.
 */
typedef struct {
	HpDiagList *diags; /* NULL with @error: the file cannot be read */
	GError *error;
	gboolean done;
} HpValidateSlot;

typedef struct {
	HpChecker *checker;
	gchar **files;
	guint n_files;
	HpValidateSlot *slots;
	gint next; /* atomic: the next file a worker takes */
	/* pthread, not GMutex, so ThreadSanitizer sees it (as in the checker) */
	pthread_mutex_t lock;
	pthread_cond_t filled;
	guint waiting; /* the slot the caller waits for (under @lock); G_MAXUINT: none */
} HpValidateBatch;

/* Only the findings wait for their turn: the document and its model go at
 * once, so files done ahead of a slow one cost little memory. */
static void
hp_validate_check_one(HpChecker *checker, const gchar *file, HpValidateSlot *slot)
{
	g_autoptr(HpCheckResult) result = hp_checker_check_file(checker, file, hp_display_name(file), &slot->error);
	if (result != NULL)
		slot->diags = g_steal_pointer(&result->diags);
}

static gpointer
hp_validate_worker(gpointer data)
{
	HpValidateBatch *batch = data;

	for (;;) {
		guint i = (guint)g_atomic_int_add(&batch->next, 1);
		HpValidateSlot slot = {NULL, NULL, TRUE};

		if (i >= batch->n_files)
			return NULL;
		hp_validate_check_one(batch->checker, batch->files[i], &slot);
		pthread_mutex_lock(&batch->lock);
		batch->slots[i] = slot;
		/* a wake-up only for the slot the caller waits for */
		if (batch->waiting == i)
			pthread_cond_signal(&batch->filled);
		pthread_mutex_unlock(&batch->lock);
	}
}

/* The number of threads --jobs asks for (default: the CPUs available), or
 * 0 with a usage error. */
static guint
hp_validate_jobs(const HpVerb *verb, const gchar *value, gint *ret_exit)
{
	guint64 n = 0;

	if (value == NULL)
		return (guint)MAX(g_get_num_processors(), 1);
	if (!g_ascii_string_to_unsigned(value, 10, 1, HP_MAX_JOBS, &n, NULL)) {
		g_autofree gchar *shown = hp_escape(value);
		*ret_exit = hp_usage_error(verb, "--jobs '%s': give the number of threads, from 1 to %u", shown,
					   HP_MAX_JOBS);
		return 0;
	}
	return (guint)n;
}

/* Adds one file's result to @report, in input order; the message for a
 * file that cannot be read goes to stderr at the same point as with one
 * thread. */
static void
hp_validate_take(HpReport *report, const gchar *file, HpValidateSlot *slot)
{
	g_autoptr(GError) error = g_steal_pointer(&slot->error);
	const gchar *name = hp_display_name(file);

	if (slot->diags == NULL) {
		g_autofree gchar *shown = hp_escape(name);
		g_autofree gchar *why = hp_escape(error->message);
		g_printerr("hostdev-preflight: cannot read %s: %s\n", shown, why);
		hp_report_add_unreadable(report, name, error->message);
		return;
	}
	hp_report_take_file(report, name, g_steal_pointer(&slot->diags));
}

static void
hp_validate_files(HpChecker *checker, gchar **files, guint jobs, HpReport *report)
{
	HpValidateBatch batch = {checker, files, g_strv_length(files), NULL, 0,
				 PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, G_MAXUINT};
	g_autoptr(GPtrArray) threads = g_ptr_array_new();

	jobs = MIN(jobs, batch.n_files);
	if (jobs <= 1) {
		for (guint i = 0; i < batch.n_files; i++) {
			HpValidateSlot slot = {NULL, NULL, TRUE};
			hp_validate_check_one(checker, files[i], &slot);
			hp_validate_take(report, files[i], &slot);
		}
		return;
	}
	batch.slots = g_new0(HpValidateSlot, batch.n_files);
	for (guint t = 0; t < jobs; t++)
		g_ptr_array_add(threads, g_thread_new("hp-validate", hp_validate_worker, &batch));
	for (guint i = 0; i < batch.n_files; i++) {
		HpValidateSlot slot;
		pthread_mutex_lock(&batch.lock);
		batch.waiting = i;
		while (!batch.slots[i].done)
			pthread_cond_wait(&batch.filled, &batch.lock);
		batch.waiting = G_MAXUINT;
		slot = batch.slots[i];
		pthread_mutex_unlock(&batch.lock);
		hp_validate_take(report, files[i], &slot);
	}
	for (guint t = 0; t < threads->len; t++)
		g_thread_join(g_ptr_array_index(threads, t));
	pthread_mutex_destroy(&batch.lock);
	pthread_cond_destroy(&batch.filled);
	g_free(batch.slots);
}

/* volatile: a store to a static never read would be optimized away, and
 * the leak checkers would not find the pointer */
static HpChecker *volatile hp_validate_checker;

gint
hp_cmd_validate(const HpVerb *verb, HpOptions *opts, gchar **files)
{
	g_autoptr(HpChecker) checker = NULL;
	g_autoptr(HpReport) report = hp_report_new(opts->werror);
	g_autofree gchar *text = NULL;
	HpOutputFormat format = HP_OUTPUT_TEXT;
	gint exit_code = HP_EXIT_OK;
	guint jobs;

	if (opts->format != NULL && !hp_output_format_parse(opts->format, &format))
		return hp_usage_error(verb, "unknown --format '%s': use text, json or sarif", opts->format);
	jobs = hp_validate_jobs(verb, opts->jobs, &exit_code);
	if (jobs == 0)
		return exit_code;
	if (files[0] == NULL)
		return hp_usage_error(verb, "no FILE given: name the domain XML files to check, or - for standard input");
	if (!hp_files_check_stdin(verb, files, &exit_code))
		return exit_code;
	checker = hp_cli_checker(opts, verb, &exit_code);
	if (checker == NULL)
		return exit_code;

	hp_validate_files(checker, files, jobs, report);
	/* the compiled grammars are not freed at exit (a tenth of a one-file
	 * run): the static keeps them reachable for the leak checkers */
	hp_validate_checker = g_steal_pointer(&checker);
	text = hp_report_to_string(report, format);
	exit_code = hp_print_stdout(text);
	if (exit_code != HP_EXIT_OK || hp_report_count_unreadable(report) > 0)
		return HP_EXIT_USAGE;
	return hp_report_valid(report) ? HP_EXIT_OK : HP_EXIT_FINDINGS;
}
