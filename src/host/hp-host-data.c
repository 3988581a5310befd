/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "hp-host-data.h"

#include <pthread.h>

#include <glib/gstdio.h>
#include <string.h>

#include "hp-error.h"

struct _HpHostLoaded {
	gatomicrefcount ref;
	gpointer value; /* HpModAlias or HpPciIds; NULL: see error */
	GDestroyNotify free_value;
	GError *error;
	gboolean present; /* the file existed when it was read: stamp is its */
	HpHostStamp stamp;
};

/* A scoped lock on a pthread mutex: held until the variable goes. */
typedef pthread_mutex_t HpLock;
static HpLock *
hp_lock(pthread_mutex_t *mutex)
{
	pthread_mutex_lock(mutex);
	return mutex;
}
static void
hp_unlock(HpLock *mutex)
{
	pthread_mutex_unlock(mutex);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HpLock, hp_unlock)

struct _HpHostData {
	gatomicrefcount ref;
	HpHost *host;
	/* over what follows; a pthread mutex, which ThreadSanitizer sees (GMutex
	 * is a futex it cannot) */
	pthread_mutex_t lock;
	HpHostLoaded *modalias;
	HpHostLoaded *ids;
	guint loads;
};

/**
 * hp_host_data_new:
 * @host: (transfer full): the host
 *
 * Returns: (transfer full): its data, nothing read yet.
 */
HpHostData *
hp_host_data_new(HpHost *host)
{
	HpHostData *data = g_new0(HpHostData, 1);
	g_atomic_ref_count_init(&data->ref);
	pthread_mutex_init(&data->lock, NULL);
	data->host = host;
	return data;
}

HpHostData *
hp_host_data_ref(HpHostData *data)
{
	g_atomic_ref_count_inc(&data->ref);
	return data;
}

void
hp_host_data_unref(HpHostData *data)
{
	if (data == NULL || !g_atomic_ref_count_dec(&data->ref))
		return;
	g_clear_pointer(&data->modalias, hp_host_loaded_unref);
	g_clear_pointer(&data->ids, hp_host_loaded_unref);
	pthread_mutex_destroy(&data->lock);
	hp_host_free(data->host);
	g_free(data);
}

const HpHost *
hp_host_data_get_host(const HpHostData *data)
{
	return data->host;
}

HpHostLoaded *
hp_host_loaded_ref(HpHostLoaded *loaded)
{
	g_atomic_ref_count_inc(&loaded->ref);
	return loaded;
}

void
hp_host_loaded_unref(HpHostLoaded *loaded)
{
	if (loaded == NULL || !g_atomic_ref_count_dec(&loaded->ref))
		return;
	if (loaded->value != NULL)
		loaded->free_value(loaded->value);
	g_clear_error(&loaded->error);
	g_free(loaded);
}

/**
 * hp_host_loaded_get:
 * @ret_error: (out) (optional) (transfer none): why there is none
 *
 * Returns: (transfer none) (nullable): the database, owned by @loaded.
 */
gconstpointer
hp_host_loaded_get(const HpHostLoaded *loaded, const GError **ret_error)
{
	if (ret_error != NULL)
		*ret_error = loaded->error;
	return loaded->value;
}

static HpHostLoaded *
hp_host_loaded_new(gboolean present, const HpHostStamp *stamp, GDestroyNotify free_value)
{
	HpHostLoaded *loaded = g_new0(HpHostLoaded, 1);
	g_atomic_ref_count_init(&loaded->ref);
	loaded->present = present;
	if (present)
		loaded->stamp = *stamp;
	loaded->free_value = free_value;
	return loaded;
}

/* The version we have still is the file's: the same file, or still none. */
static gboolean
hp_host_loaded_current(const HpHostLoaded *loaded, gboolean present, const HpHostStamp *stamp)
{
	if (loaded == NULL || loaded->present != present)
		return FALSE;
	return !present || memcmp(&loaded->stamp, stamp, sizeof(*stamp)) == 0;
}

/**
 * hp_host_data_modalias:
 *
 * The host's modules.alias as it is now: the version read before when the
 * file has not changed since, else read again. The stamp is taken before the
 * file is read, so a change during the read only costs one more read.
 *
 * Returns: (transfer full): hp_host_loaded_get() gives the #HpModAlias, or
 * %NULL and why (HP_ERROR_NOT_FOUND: there is none; HP_ERROR_INVALID_DATA:
 * refused, over its limit or not a regular file).
 */
HpHostLoaded *
hp_host_data_modalias(HpHostData *data)
{
	g_autofree gchar *rel = hp_modalias_rel(data->host);
	g_autoptr(HpLock) locker = hp_lock(&data->lock);
	HpHostStamp stamp = {0};
	gboolean present = rel != NULL && hp_host_stat(data->host, rel, &stamp, NULL);

	if (!hp_host_loaded_current(data->modalias, present, &stamp)) {
		HpHostLoaded *loaded = hp_host_loaded_new(present, &stamp, (GDestroyNotify)hp_modalias_free);
		loaded->value = hp_modalias_load(data->host, NULL, &loaded->error);
		data->loads++;
		g_clear_pointer(&data->modalias, hp_host_loaded_unref);
		data->modalias = loaded;
	}
	return hp_host_loaded_ref(data->modalias);
}

/**
 * hp_host_data_pci_ids:
 *
 * The pci.ids database named by hp_host_set_pci_ids(), as hp_host_data_modalias()
 * keeps modules.alias. It is the tool's own file, read by its path.
 *
 * Returns: (transfer full): hp_host_loaded_get() gives the #HpPciIds or %NULL.
 */
HpHostLoaded *
hp_host_data_pci_ids(HpHostData *data)
{
	const gchar *path = hp_host_get_pci_ids(data->host);
	g_autoptr(HpLock) locker = hp_lock(&data->lock);
	HpHostStamp stamp = {0};
	GStatBuf st;
	gboolean present = path != NULL && g_stat(path, &st) == 0;

	if (present) {
		stamp.dev = st.st_dev;
		stamp.ino = st.st_ino;
		stamp.size = (guint64)st.st_size;
		stamp.mtime_ns = (gint64)st.st_mtim.tv_sec * G_GINT64_CONSTANT(1000000000) + st.st_mtim.tv_nsec;
	}
	if (!hp_host_loaded_current(data->ids, present, &stamp)) {
		HpHostLoaded *loaded = hp_host_loaded_new(present, &stamp, (GDestroyNotify)hp_pci_ids_free);
		if (present)
			loaded->value = hp_pci_ids_load(path, &loaded->error);
		else
			g_set_error(&loaded->error, HP_ERROR, HP_ERROR_NOT_FOUND, "no pci.ids");
		data->loads++;
		g_clear_pointer(&data->ids, hp_host_loaded_unref);
		data->ids = loaded;
	}
	return hp_host_loaded_ref(data->ids);
}

/* How many times a database was read (and parsed): for tests and benchmarks. */
guint
hp_host_data_get_loads(HpHostData *data)
{
	g_autoptr(HpLock) locker = hp_lock(&data->lock);
	return data->loads;
}
