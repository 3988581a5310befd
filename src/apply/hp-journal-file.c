/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The journal on disk: STATE_DIR/NAME.json, replaced whole and durably. */
#include "hp-journal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hp-diag.h"
#include "hp-error.h"

#define HP_JOURNAL_MAX (4 * 1024 * 1024)

/**
 * hp_journal_file_stem:
 * @domain: a domain name, any text libvirt allows
 *
 * The file name a domain's journal and lock take, without their suffix. A
 * name from a domain never builds a path as it is (SPEC section 8): every
 * byte but `[A-Za-z0-9_+-]`, and a '.' that begins it, is written `%XX`,
 * so the stem has no '/', is never `.` or `..`, and names one domain only.
 *
 * Returns: (transfer full): the stem.
 */
gchar *
hp_journal_file_stem(const gchar *domain)
{
	GString *out = g_string_new(NULL);
	for (const guchar *p = (const guchar *)domain; *p != '\0'; p++) {
		if (g_ascii_isalnum(*p) || *p == '_' || *p == '+' || *p == '-' || (*p == '.' && p != (const guchar *)domain))
			g_string_append_c(out, (gchar)*p);
		else
			g_string_append_printf(out, "%%%02X", *p);
	}
	return g_string_free(out, FALSE);
}

static gint
hp_state_dir_open(const gchar *state_dir, GError **error)
{
	gint fd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		g_set_error(error, HP_ERROR, errno == ENOENT ? HP_ERROR_NOT_FOUND : HP_ERROR_READ,
			    "state directory %s: %s", state_dir, g_strerror(errno));
	return fd;
}

static gboolean
hp_write_all(gint fd, const gchar *data, gsize len)
{
	while (len > 0) {
		gssize n = write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return FALSE;
		data += n;
		len -= (gsize)n;
	}
	return TRUE;
}

/**
 * hp_journal_save:
 * @state_dir: the directory journals live in; made (mode 0700) when missing
 *
 * Writes the journal to a new file beside its place, fsyncs it, renames it
 * over and fsyncs the directory: after a crash the journal is the one
 * before or the one after, never a mix.
 *
 * Returns: %TRUE, or %FALSE with @error (HP_ERROR_WRITE: the directory is
 * full, read-only, ...); the journal before is then untouched.
 */
gboolean
hp_journal_save(const HpJournal *journal, const gchar *state_dir, GError **error)
{
	g_autofree gchar *stem = hp_journal_file_stem(journal->domain);
	g_autofree gchar *name = g_strconcat(stem, ".json", NULL);
	g_autofree gchar *tmp = g_strconcat(".", stem, ".json.new", NULL);
	g_autofree gchar *text = hp_journal_to_json(journal);
	gint dir, fd;
	gint saved;

	if (g_mkdir_with_parents(state_dir, 0700) != 0) {
		g_set_error(error, HP_ERROR, HP_ERROR_WRITE, "cannot make the state directory %s: %s", state_dir,
			    g_strerror(errno));
		return FALSE;
	}
	dir = hp_state_dir_open(state_dir, error);
	if (dir < 0)
		return FALSE;
	fd = openat(dir, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || !hp_write_all(fd, text, strlen(text)) || fsync(fd) != 0) {
		saved = errno;
		if (fd >= 0) {
			close(fd);
			unlinkat(dir, tmp, 0);
		}
		close(dir);
		g_set_error(error, HP_ERROR, HP_ERROR_WRITE, "cannot write the journal %s/%s: %s", state_dir, name,
			    g_strerror(saved));
		return FALSE;
	}
	if (close(fd) != 0 || renameat(dir, tmp, dir, name) != 0 || fsync(dir) != 0) {
		saved = errno;
		unlinkat(dir, tmp, 0);
		close(dir);
		g_set_error(error, HP_ERROR, HP_ERROR_WRITE, "cannot write the journal %s/%s: %s", state_dir, name,
			    g_strerror(saved));
		return FALSE;
	}
	close(dir);
	return TRUE;
}

static HpJournal *
hp_journal_load_file(gint dir, const gchar *state_dir, const gchar *name, GError **error)
{
	g_autofree gchar *path = g_build_filename(state_dir, name, NULL);
	g_autofree gchar *data = NULL;
	gsize len = 0;
	struct stat st;
	gint fd;
	gssize n;

	fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		g_set_error(error, HP_ERROR, errno == ENOENT ? HP_ERROR_NOT_FOUND : HP_ERROR_READ, "journal %s: %s", path,
			    g_strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > HP_JOURNAL_MAX) {
		close(fd);
		g_set_error(error, HP_ERROR, HP_ERROR_INVALID_DATA, "journal %s is not a regular file of at most 4 MiB",
			    path);
		return NULL;
	}
	data = g_malloc((gsize)st.st_size + 1);
	while (len < (gsize)st.st_size) {
		n = read(fd, data + len, (gsize)st.st_size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (gsize)n;
	}
	close(fd);
	data[len] = '\0';
	return hp_journal_from_json(data, len, path, error);
}

/**
 * hp_journal_load:
 *
 * Returns: (transfer full) (nullable): @domain's journal; %NULL with
 * HP_ERROR_NOT_FOUND when there is none, another error when it cannot be
 * read or is garbled (never a crash). A journal whose domain is not
 * @domain is garbled too.
 */
HpJournal *
hp_journal_load(const gchar *state_dir, const gchar *domain, GError **error)
{
	g_autofree gchar *stem = hp_journal_file_stem(domain);
	g_autofree gchar *name = g_strconcat(stem, ".json", NULL);
	g_autoptr(HpJournal) journal = NULL;
	gint dir = hp_state_dir_open(state_dir, error);

	if (dir < 0)
		return NULL;
	journal = hp_journal_load_file(dir, state_dir, name, error);
	close(dir);
	if (journal != NULL && g_strcmp0(journal->domain, domain) != 0) {
		g_autofree gchar *shown = hp_echo(journal->domain);
		g_set_error(error, HP_ERROR, HP_ERROR_INVALID_DATA, "journal %s/%s is for domain '%s', not this one",
			    state_dir, name, shown);
		return NULL;
	}
	return g_steal_pointer(&journal);
}

/* Removes @domain's journal (none is no error), durably. */
gboolean
hp_journal_remove(const gchar *state_dir, const gchar *domain, GError **error)
{
	g_autofree gchar *stem = hp_journal_file_stem(domain);
	g_autofree gchar *name = g_strconcat(stem, ".json", NULL);
	gint dir = hp_state_dir_open(state_dir, error);

	if (dir < 0)
		return FALSE;
	if (unlinkat(dir, name, 0) != 0 && errno != ENOENT) {
		g_set_error(error, HP_ERROR, HP_ERROR_WRITE, "cannot remove the journal %s/%s: %s", state_dir, name,
			    g_strerror(errno));
		close(dir);
		return FALSE;
	}
	fsync(dir);
	close(dir);
	return TRUE;
}

/**
 * hp_journal_load_all:
 * @ret_unreadable: (out) (optional): messages for journals that cannot be read
 *
 * Every journal in @state_dir (none when it does not exist).
 *
 * Returns: (transfer full) (element-type HpJournal): the journals.
 */
GPtrArray *
hp_journal_load_all(const gchar *state_dir, GPtrArray **ret_unreadable)
{
	GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)hp_journal_free);
	g_autoptr(GPtrArray) bad = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GDir) d = g_dir_open(state_dir, 0, NULL);
	const gchar *name;
	gint dir;

	if (d == NULL || (dir = hp_state_dir_open(state_dir, NULL)) < 0) {
		if (ret_unreadable != NULL)
			*ret_unreadable = g_steal_pointer(&bad);
		return out;
	}
	while ((name = g_dir_read_name(d)) != NULL) {
		g_autoptr(GError) error = NULL;
		HpJournal *journal;
		if (name[0] == '.' || !g_str_has_suffix(name, ".json"))
			continue;
		journal = hp_journal_load_file(dir, state_dir, name, &error);
		if (journal != NULL)
			g_ptr_array_add(out, journal);
		else
			g_ptr_array_add(bad, g_strdup(error->message));
	}
	close(dir);
	if (ret_unreadable != NULL)
		*ret_unreadable = g_steal_pointer(&bad);
	return out;
}
