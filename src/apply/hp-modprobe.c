/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* modprobe, as a child process with an argument vector (never a shell),
 * only for names that are kernel names. */
#include "hp-modprobe.h"

#include <string.h>

#include "hp-diag.h"
#include "hp-error.h"
#include "hp-host.h"

static const gchar *
hp_modprobe_path(void)
{
	static const gchar *paths[] = {"/usr/sbin/modprobe", "/sbin/modprobe", "/usr/bin/modprobe", "/bin/modprobe"};
	for (guint i = 0; i < G_N_ELEMENTS(paths); i++) {
		if (g_file_test(paths[i], G_FILE_TEST_IS_EXECUTABLE))
			return paths[i];
	}
	return NULL;
}

static gboolean
hp_modprobe_run(const gchar *const *args, gchar **ret_out, GError **error)
{
	const gchar *path = hp_modprobe_path();
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autofree gchar *out = NULL, *err = NULL;
	gint status = 0;

	if (path == NULL) {
		g_set_error(error, HP_ERROR, HP_ERROR_NOT_FOUND,
			    "modprobe is not installed (looked in /usr/sbin, /sbin, /usr/bin, /bin): install kmod");
		return FALSE;
	}
	g_ptr_array_add(argv, (gpointer)path);
	for (guint i = 0; args[i] != NULL; i++)
		g_ptr_array_add(argv, (gpointer)args[i]);
	g_ptr_array_add(argv, NULL);
	if (!g_spawn_sync(NULL, (gchar **)argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, error))
		return FALSE;
	if (!g_spawn_check_wait_status(status, NULL)) {
		g_autofree gchar *shown = hp_echo(g_strstrip(err));
		g_set_error(error, HP_ERROR, HP_ERROR_WRITE, "%s failed: %s", path,
			    shown[0] != '\0' ? shown : "no message");
		return FALSE;
	}
	if (ret_out != NULL)
		*ret_out = g_steal_pointer(&out);
	return TRUE;
}

/**
 * hp_modprobe_load:
 * @module: a kernel module name (hp_host_name_is_valid())
 *
 * Runs `modprobe -- MODULE`.
 */
gboolean
hp_modprobe_load(const gchar *module, GError **error)
{
	const gchar *args[] = {"--", module, NULL};

	if (!hp_host_name_is_valid(module)) {
		g_autofree gchar *shown = hp_echo(module);
		g_set_error(error, HP_ERROR, HP_ERROR_INVALID_DATA, "'%s' is not a kernel module name; it is not loaded",
			    shown);
		return FALSE;
	}
	if (!hp_modprobe_run(args, NULL, error)) {
		g_prefix_error(error, "cannot load module %s: ", module);
		return FALSE;
	}
	return TRUE;
}

/* modprobe treats '-' and '_' in module names as the same */
static gboolean
hp_module_name_equal(const gchar *a, const gchar *b)
{
	for (; *a != '\0' && *b != '\0'; a++, b++) {
		if ((*a == '-' ? '_' : *a) != (*b == '-' ? '_' : *b))
			return FALSE;
	}
	return *a == *b;
}

/**
 * hp_modprobe_prohibited:
 * @config_dir: (nullable): modprobe's configuration to read (`-C`), for a
 *   copy of a host; %NULL for this machine's
 *
 * Whether modprobe's configuration forbids loading @module, as libvirt asks
 * before it loads a stub driver: it reads `modprobe -c` (the configuration
 * as modprobe merged it) for a `blacklist MODULE` line and then says the
 * module is administratively prohibited. An `install MODULE /bin/false` (or
 * `/bin/true`) line makes loading it fail or do nothing too.
 *
 * Returns: (transfer full) (nullable): the line that forbids it; %NULL
 * when nothing does, or with @error when modprobe cannot be asked.
 */
gchar *
hp_modprobe_prohibited(const gchar *module, const gchar *config_dir, GError **error)
{
	const gchar *live[] = {"-c", NULL};
	const gchar *copy[] = {"-c", "-C", config_dir, NULL};
	g_autofree gchar *out = NULL;
	g_auto(GStrv) lines = NULL;

	if (!hp_modprobe_run(config_dir != NULL ? copy : live, &out, error)) {
		g_prefix_error(error, "cannot read modprobe's configuration: ");
		return NULL;
	}
	lines = g_strsplit(out, "\n", -1);
	for (guint i = 0; lines[i] != NULL; i++) {
		g_auto(GStrv) words = g_strsplit_set(g_strstrip(lines[i]), " \t", -1);
		guint n = g_strv_length(words);
		if (n >= 2 && g_strcmp0(words[0], "blacklist") == 0 && hp_module_name_equal(words[1], module))
			return g_strdup(lines[i]);
		if (n == 3 && g_strcmp0(words[0], "install") == 0 && hp_module_name_equal(words[1], module) &&
		    (g_str_has_suffix(words[2], "/false") || g_str_has_suffix(words[2], "/true")))
			return g_strdup(lines[i]);
	}
	return NULL;
}
