/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The snapshot's text form (docs/snapshot-format.md): one entry a line,
 * sorted, every value escaped so that any byte sequence round-trips and no
 * value can split a line. The writer is canonical; the reader also takes
 * unsorted entries, comments and implied parent directories (hand edits),
 * and refuses everything else with the file name and the line.
 */
#include "hp-snapshot-private.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hp-error.h"

/*
 * Escapes @len bytes: `\\`, `\n`, `\t`, and `\xHH` for every other control
 * byte, DEL and every byte >= 0x80 (the file stays ASCII: no editor or tool
 * can see a line break inside a value). In a path a space is `\x20` (it
 * ends the field); in a value only a first or last space is, so that
 * editors that strip trailing blanks cannot change it.
 */
static void
hp_snapshot_escape(GString *out, const guint8 *data, gsize len, gboolean is_path)
{
	for (gsize i = 0; i < len; i++) {
		guint8 c = data[i];
		if (c == '\\')
			g_string_append(out, "\\\\");
		else if (c == '\n')
			g_string_append(out, "\\n");
		else if (c == '\t')
			g_string_append(out, "\\t");
		else if (c < 0x20 || c >= 0x7f || (c == ' ' && (is_path || i == 0 || i + 1 == len)))
			g_string_append_printf(out, "\\x%02x", c);
		else
			g_string_append_c(out, (gchar)c);
	}
}

static gint
hp_snapshot_hexval(gchar c)
{
	return g_ascii_isxdigit(c) ? g_ascii_xdigit_value(c) : -1;
}

static gboolean
hp_snapshot_unescape(const gchar *s, gsize len, GByteArray *out, GError **error)
{
	for (gsize i = 0; i < len; i++) {
		guint8 c = (guint8)s[i];
		if (c != '\\') {
			g_byte_array_append(out, &c, 1);
			continue;
		}
		if (i + 1 >= len) {
			g_set_error(error, HP_ERROR, HP_ERROR_INVALID_DATA, "a '\\' ends the line; write a backslash as \\\\");
			return FALSE;
		}
		switch (s[++i]) {
		case '\\':
			c = '\\';
			break;
		case 'n':
			c = '\n';
			break;
		case 't':
			c = '\t';
			break;
		case 'x':
			if (i + 2 >= len || hp_snapshot_hexval(s[i + 1]) < 0 || hp_snapshot_hexval(s[i + 2]) < 0) {
				g_set_error(error, HP_ERROR, HP_ERROR_INVALID_DATA, "'\\x' is not followed by two hex digits");
				return FALSE;
			}
			c = (guint8)(hp_snapshot_hexval(s[i + 1]) * 16 + hp_snapshot_hexval(s[i + 2]));
			i += 2;
			break;
		default:
			g_set_error(error, HP_ERROR, HP_ERROR_INVALID_DATA,
				    "unknown escape '\\%c' (0x%02x); the escapes are \\\\, \\n, \\t and \\xHH",
				    g_ascii_isprint(s[i]) ? s[i] : '?', (guint8)s[i]);
			return FALSE;
		}
		g_byte_array_append(out, &c, 1);
	}
	return TRUE;
}

/* An unescaped field that must be a C string (a path, a link target). */
static gchar *
hp_snapshot_unescape_str(const gchar *s, gsize len, const gchar *what, GError **error)
{
	g_autoptr(GByteArray) buf = g_byte_array_new();
	if (!hp_snapshot_unescape(s, len, buf, error))
		return NULL;
	if (buf->len > 0 && memchr(buf->data, '\0', buf->len) != NULL) {
		g_set_error(error, HP_ERROR, HP_ERROR_INVALID_DATA, "the %s has a NUL byte (\\x00)", what);
		return NULL;
	}
	g_byte_array_append(buf, (const guint8 *)"", 1);
	return (gchar *)g_byte_array_free(g_steal_pointer(&buf), FALSE);
}

static gboolean
hp_snapshot_unhex(const gchar *s, gsize len, GByteArray *out, GError **error)
{
	if (len % 2 != 0) {
		g_set_error(error, HP_ERROR, HP_ERROR_INVALID_DATA, "a 'hex' value has an odd number of digits");
		return FALSE;
	}
	for (gsize i = 0; i < len; i += 2) {
		gint hi = hp_snapshot_hexval(s[i]), lo = hp_snapshot_hexval(s[i + 1]);
		guint8 c;
		if (hi < 0 || lo < 0) {
			g_set_error(error, HP_ERROR, HP_ERROR_INVALID_DATA, "a 'hex' value has a character that is no hex digit");
			return FALSE;
		}
		c = (guint8)(hi * 16 + lo);
		g_byte_array_append(out, &c, 1);
	}
	return TRUE;
}

/* Bytes a line may hold raw: printable ASCII, and UTF-8 from hand edits. */
static gboolean
hp_snapshot_check_line(const gchar *line, gsize len, GError **error)
{
	for (gsize i = 0; i < len; i++) {
		guint8 c = (guint8)line[i];
		if (c == '\r') {
			g_set_error(error, HP_ERROR, HP_ERROR_INVALID_DATA,
				    "a carriage return: the file has CRLF line ends (converted by a checkout?); "
				    "snapshots end lines with LF only");
			return FALSE;
		}
		if (c < 0x20 || c == 0x7f) {
			g_set_error(error, HP_ERROR, HP_ERROR_INVALID_DATA,
				    "a raw control byte 0x%02x; write it escaped (\\t, \\xHH)", c);
			return FALSE;
		}
	}
	if (!g_utf8_validate_len(line, len, NULL)) {
		g_set_error(error, HP_ERROR, HP_ERROR_INVALID_DATA, "the line is not UTF-8");
		return FALSE;
	}
	return TRUE;
}

static gboolean
hp_snapshot_check_header(const gchar *line, gsize len, GError **error)
{
	const gsize mlen = strlen(HP_SNAPSHOT_MAGIC);
	guint64 version = 0;
	g_autofree gchar *num = NULL;

	if (len <= mlen + 1 || strncmp(line, HP_SNAPSHOT_MAGIC " ", mlen + 1) != 0) {
		g_set_error(error, HP_ERROR, HP_ERROR_INVALID_DATA,
			    "not a hostdev-preflight snapshot: the first line is not '%s %d' (write one with "
			    "'hostdev-preflight capture')", HP_SNAPSHOT_MAGIC, HP_SNAPSHOT_VERSION);
		return FALSE;
	}
	num = g_strndup(line + mlen + 1, len - mlen - 1);
	if (!g_ascii_string_to_unsigned(num, 10, 1, G_MAXUINT32, &version, NULL)) {
		g_set_error(error, HP_ERROR, HP_ERROR_INVALID_DATA, "the format version '%.20s' is not a number", num);
		return FALSE;
	}
	if (version != HP_SNAPSHOT_VERSION) {
		g_set_error(error, HP_ERROR, HP_ERROR_INVALID_DATA,
			    "snapshot format version %" G_GUINT64_FORMAT "; this hostdev-preflight reads version %d%s",
			    version, HP_SNAPSHOT_VERSION, version > HP_SNAPSHOT_VERSION ? " (update hostdev-preflight)" : "");
		return FALSE;
	}
	return TRUE;
}

typedef struct {
	HpSnapshot *snap;
	gchar *text_path;   /* the 'text' entry whose '|' lines are being read */
	GByteArray *text;
	guint text_line;
	gboolean have_release;
} HpSnapParser;

static gboolean
hp_snapshot_flush_text(HpSnapParser *p, GError **error)
{
	gboolean ok;
	if (p->text_path == NULL)
		return TRUE;
	ok = hp_snapshot_put(p->snap, p->text_path, HP_SNAPSHOT_FILE, p->text->data, p->text->len, NULL, p->text_line,
			     error) != NULL;
	g_clear_pointer(&p->text_path, g_free);
	g_clear_pointer(&p->text, g_byte_array_unref);
	return ok;
}

/* One line that is not the header, nor a '|' line. */
static gboolean
hp_snapshot_parse_entry(HpSnapParser *p, const gchar *line, gsize len, guint lineno, GError **error)
{
	const gchar *sp = memchr(line, ' ', len);
	gsize klen = sp != NULL ? (gsize)(sp - line) : len;
	g_autofree gchar *kind = g_strndup(line, klen);
	const gchar *field = sp != NULL ? sp + 1 : line + len;
	gsize flen = (gsize)(line + len - field);
	const gchar *sp2 = memchr(field, ' ', flen);
	gsize plen = sp2 != NULL ? (gsize)(sp2 - field) : flen;
	const gchar *value = sp2 != NULL ? sp2 + 1 : NULL;
	gsize vlen = value != NULL ? (gsize)(line + len - value) : 0;
	g_autofree gchar *path = NULL;
	g_autoptr(GByteArray) bytes = g_byte_array_new();

	if (strcmp(kind, "kernel-release") == 0) {
		g_autofree gchar *release = hp_snapshot_unescape_str(field, flen, "kernel release", error);
		if (release == NULL)
			return FALSE;
		if (p->have_release) {
			g_set_error(error, HP_ERROR, HP_ERROR_INVALID_DATA, "a second 'kernel-release' line");
			return FALSE;
		}
		p->have_release = TRUE;
		return hp_snapshot_set_kernel_release(p->snap, release, error);
	}
	if (strcmp(kind, "dir") != 0 && strcmp(kind, "file") != 0 && strcmp(kind, "hex") != 0 &&
	    strcmp(kind, "text") != 0 && strcmp(kind, "link") != 0 && strcmp(kind, "unreadable") != 0) {
		g_autofree gchar *shown = g_strescape(kind, NULL);
		g_set_error(error, HP_ERROR, HP_ERROR_INVALID_DATA,
			    "unknown entry '%.40s'; the entries are dir, file, hex, text, link, unreadable and kernel-release",
			    shown);
		return FALSE;
	}
	path = hp_snapshot_unescape_str(field, plen, "path", error);
	if (path == NULL)
		return FALSE;
	if (value != NULL && (strcmp(kind, "dir") == 0 || strcmp(kind, "text") == 0 || strcmp(kind, "unreadable") == 0)) {
		g_set_error(error, HP_ERROR, HP_ERROR_INVALID_DATA, "a '%s' entry has no value, but %s has one", kind, path);
		return FALSE;
	}
	if (strcmp(kind, "dir") == 0)
		return hp_snapshot_put(p->snap, path, HP_SNAPSHOT_DIR, NULL, 0, NULL, lineno, error) != NULL;
	if (strcmp(kind, "unreadable") == 0)
		return hp_snapshot_put(p->snap, path, HP_SNAPSHOT_UNREADABLE, NULL, 0, NULL, lineno, error) != NULL;
	if (strcmp(kind, "text") == 0) {
		/* added when its last '|' line is read */
		p->text_path = g_steal_pointer(&path);
		p->text = g_byte_array_new();
		p->text_line = lineno;
		return TRUE;
	}
	if (strcmp(kind, "link") == 0) {
		g_autofree gchar *target = NULL;
		if (value == NULL || vlen == 0) {
			g_set_error(error, HP_ERROR, HP_ERROR_INVALID_DATA, "link %s has no target", path);
			return FALSE;
		}
		target = hp_snapshot_unescape_str(value, vlen, "link target", error);
		return target != NULL &&
		       hp_snapshot_put(p->snap, path, HP_SNAPSHOT_LINK, NULL, 0, target, lineno, error) != NULL;
	}
	if (strcmp(kind, "hex") == 0 ? !hp_snapshot_unhex(value, vlen, bytes, error)
				     : !hp_snapshot_unescape(value, vlen, bytes, error))
		return FALSE;
	return hp_snapshot_put(p->snap, path, HP_SNAPSHOT_FILE, bytes->data, bytes->len, NULL, lineno, error) != NULL;
}

/**
 * hp_snapshot_new_from_data:
 * @data: the text of a snapshot
 * @name: the file's name, for messages
 *
 * Returns: (transfer full) (nullable): the snapshot, or %NULL with
 * HP_ERROR_INVALID_DATA and a message that begins with `NAME:LINE: `.
 */
HpSnapshot *
hp_snapshot_new_from_data(const gchar *data, gsize len, const gchar *name, GError **error)
{
	g_autoptr(HpSnapshot) snap = hp_snapshot_new();
	HpSnapParser p = {.snap = snap};
	gsize pos = 0;
	guint lineno = 0;
	gboolean ok = TRUE;

	if (len > HP_SNAPSHOT_MAX_SIZE) {
		g_set_error(error, HP_ERROR, HP_ERROR_INVALID_DATA, "%s: larger than %d MiB, too large for a snapshot", name,
			    HP_SNAPSHOT_MAX_SIZE >> 20);
		return NULL;
	}
	if (len == 0) {
		g_set_error(error, HP_ERROR, HP_ERROR_INVALID_DATA, "%s: empty, not a snapshot (write one with "
			    "'hostdev-preflight capture')", name);
		return NULL;
	}
	while (ok && pos < len) {
		const gchar *line = data + pos;
		const gchar *nl = memchr(line, '\n', len - pos);
		gsize llen;

		lineno++;
		if (nl == NULL) {
			g_set_error(error, HP_ERROR, HP_ERROR_INVALID_DATA,
				    "the last line does not end with a newline: the snapshot is truncated");
			ok = FALSE;
			break;
		}
		llen = (gsize)(nl - line);
		pos += llen + 1;
		if (!hp_snapshot_check_line(line, llen, error)) {
			ok = FALSE;
		} else if (lineno == 1) {
			ok = hp_snapshot_check_header(line, llen, error);
		} else if (llen > 0 && line[0] == '|') {
			if (p.text_path == NULL || (llen > 1 && line[1] != ' ')) {
				g_set_error(error, HP_ERROR, HP_ERROR_INVALID_DATA,
					    p.text_path == NULL ? "a '|' line that does not follow a 'text' entry or its lines"
								: "a '|' line is '|' alone or '| ' and the line's text");
				ok = FALSE;
			} else {
				ok = llen <= 2 || hp_snapshot_unescape(line + 2, llen - 2, p.text, error);
				g_byte_array_append(p.text, (const guint8 *)"\n", 1);
				if (ok && p.text->len > HP_SNAPSHOT_MAX_ALIAS) {
					g_set_error(error, HP_ERROR, HP_ERROR_INVALID_DATA, "%s holds more than %d MiB",
						    p.text_path, HP_SNAPSHOT_MAX_ALIAS >> 20);
					ok = FALSE;
				}
			}
		} else {
			ok = hp_snapshot_flush_text(&p, error);
			if (!ok)
				lineno = p.text_line;
			if (ok && llen > 0 && line[0] != '#')
				ok = hp_snapshot_parse_entry(&p, line, llen, lineno, error);
		}
	}
	if (ok) {
		/* a 'text' entry is added at its end: a message names its line */
		ok = hp_snapshot_flush_text(&p, error);
		if (!ok)
			lineno = p.text_line;
	}
	g_free(p.text_path);
	if (p.text != NULL)
		g_byte_array_unref(p.text);
	if (!ok) {
		g_prefix_error(error, "%s:%u: ", name, lineno);
		return NULL;
	}
	return g_steal_pointer(&snap);
}

/**
 * hp_snapshot_load:
 * @path: a snapshot file
 *
 * Returns: (transfer full) (nullable): the snapshot; %NULL with
 * HP_ERROR_NOT_FOUND, HP_ERROR_READ (not a regular file, past the size
 * limit, unreadable) or HP_ERROR_INVALID_DATA (see
 * hp_snapshot_new_from_data()).
 */
HpSnapshot *
hp_snapshot_load(const gchar *path, GError **error)
{
	g_autoptr(GByteArray) buf = g_byte_array_new();
	guint8 chunk[65536];
	struct stat st;
	gint fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0) {
		g_set_error(error, HP_ERROR, errno == ENOENT ? HP_ERROR_NOT_FOUND : HP_ERROR_READ, "%s: %s", path,
			    g_strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		g_set_error(error, HP_ERROR, HP_ERROR_READ, "%s is not a regular file", path);
		return NULL;
	}
	for (;;) {
		gssize n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			g_set_error(error, HP_ERROR, HP_ERROR_READ, "%s: %s", path, g_strerror(errno));
			close(fd);
			return NULL;
		}
		if (n == 0)
			break;
		if (buf->len + (gsize)n > HP_SNAPSHOT_MAX_SIZE) {
			g_set_error(error, HP_ERROR, HP_ERROR_READ, "%s: larger than %d MiB, too large for a snapshot", path,
				    HP_SNAPSHOT_MAX_SIZE >> 20);
			close(fd);
			return NULL;
		}
		g_byte_array_append(buf, chunk, (guint)n);
	}
	close(fd);
	return hp_snapshot_new_from_data((const gchar *)buf->data, buf->len, path, error);
}

/* Text that reads best as '|' lines: UTF-8, no NUL, two lines or more,
 * each ending with a newline. */
static gboolean
hp_snapshot_is_text_block(const guint8 *data, gsize len)
{
	guint lines = 0;
	for (gsize i = 0; i < len; i++)
		lines += data[i] == '\n';
	return len > 0 && data[len - 1] == '\n' && lines >= 2;
}

static void
hp_snapshot_write_file(GString *out, const GString *path, GBytes *bytes)
{
	gsize len = 0;
	const guint8 *data = g_bytes_get_data(bytes, &len);
	gboolean binary = (len > 0 && memchr(data, '\0', len) != NULL) || !g_utf8_validate_len((const gchar *)data, len, NULL);

	if (binary) {
		g_string_append_printf(out, "hex %s ", path->str);
		for (gsize i = 0; i < len; i++)
			g_string_append_printf(out, "%02x", data[i]);
		g_string_append_c(out, '\n');
	} else if (hp_snapshot_is_text_block(data, len)) {
		gsize start = 0;
		g_string_append_printf(out, "text %s\n", path->str);
		for (gsize i = 0; i < len; i++) {
			if (data[i] != '\n')
				continue;
			g_string_append_c(out, '|');
			if (i > start) {
				g_string_append_c(out, ' ');
				hp_snapshot_escape(out, data + start, i - start, FALSE);
			}
			g_string_append_c(out, '\n');
			start = i + 1;
		}
	} else {
		g_string_append_printf(out, "file %s", path->str);
		if (len > 0) {
			g_string_append_c(out, ' ');
			hp_snapshot_escape(out, data, len, FALSE);
		}
		g_string_append_c(out, '\n');
	}
}

static void
hp_snapshot_write_dir(GString *out, const HpSnapNode *dir, GString *path)
{
	g_autoptr(GPtrArray) children = hp_snap_node_sorted_children(dir);
	gsize base = path->len;

	for (guint i = 0; i < children->len; i++) {
		const HpSnapNode *node = g_ptr_array_index(children, i);
		g_string_truncate(path, base);
		if (base > 0)
			g_string_append_c(path, '/');
		hp_snapshot_escape(path, (const guint8 *)node->name, strlen(node->name), TRUE);
		switch (node->kind) {
		case HP_SNAPSHOT_DIR:
			g_string_append_printf(out, "dir %s\n", path->str);
			hp_snapshot_write_dir(out, node, path);
			break;
		case HP_SNAPSHOT_FILE:
			hp_snapshot_write_file(out, path, node->data);
			break;
		case HP_SNAPSHOT_LINK:
			g_string_append_printf(out, "link %s ", path->str);
			hp_snapshot_escape(out, (const guint8 *)node->target, strlen(node->target), FALSE);
			g_string_append_c(out, '\n');
			break;
		case HP_SNAPSHOT_UNREADABLE:
			g_string_append_printf(out, "unreadable %s\n", path->str);
			break;
		case HP_SNAPSHOT_NONE:
		default:
			break;
		}
	}
	g_string_truncate(path, base);
}

/**
 * hp_snapshot_to_data:
 * @ret_len: (out) (optional): its length
 *
 * The canonical text: the header, the kernel release, then every entry
 * (parent directories included) in path order, a directory before what is
 * below it, names compared byte by byte. The same tree gives the same bytes.
 *
 * Returns: (transfer full): the text, NUL-terminated.
 */
gchar *
hp_snapshot_to_data(const HpSnapshot *snap, gsize *ret_len)
{
	GString *out = g_string_new(HP_SNAPSHOT_MAGIC " ");
	g_autoptr(GString) path = g_string_new(NULL);

	g_string_append_printf(out, "%d\n", HP_SNAPSHOT_VERSION);
	if (snap->kernel_release != NULL) {
		g_string_append(out, "kernel-release ");
		hp_snapshot_escape(out, (const guint8 *)snap->kernel_release, strlen(snap->kernel_release), FALSE);
		g_string_append_c(out, '\n');
	}
	hp_snapshot_write_dir(out, snap->root, path);
	if (ret_len != NULL)
		*ret_len = out->len;
	return g_string_free(out, FALSE);
}
