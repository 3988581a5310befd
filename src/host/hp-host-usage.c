/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "hp-host-usage.h"

#include <stdio.h>
#include <string.h>

#include "hp-diag.h"
#include "hp-error.h"

/* A disk (sys/block/NAME) or one of its partitions. */
typedef struct {
	gchar *name;
	gchar *disk;     /* the disk a partition is on; NULL for a disk */
	gchar *real;     /* the disk's place in sys/devices; NULL for a partition or when it cannot be resolved */
	GPtrArray *paths; /* an NVMe multipath disk's paths (multipath/NAME), resolved */
	gchar *dev;      /* "major:minor", or NULL */
	gchar *dm_name;  /* a device-mapper device's name (/dev/mapper/NAME), or NULL */
	GPtrArray *below; /* names of the block devices it is built on (slaves) */
	GPtrArray *above; /* names of the block devices built on it (holders) */
	gboolean parts_known; /* a disk whose directory could be listed */
} HpBlock;

/* A mounted filesystem or an active swap. */
typedef struct {
	gchar *dev;    /* "major:minor" (mountinfo), or NULL */
	gchar *source; /* /dev/sda2, /dev/mapper/x */
	gchar *where;  /* the mount point; NULL for a swap */
} HpMount;

struct _HpHostUsage {
	const HpHost *host;
	gboolean read;
	GPtrArray *blocks;   /* of HpBlock */
	GHashTable *by_name; /* name -> HpBlock */
	GPtrArray *mounts;   /* of HpMount: filesystems, then swaps */
	GHashTable *routes;  /* interface names with a default route */
	GPtrArray *nets;     /* pairs: interface name, its place in sys/devices */
};

static void
hp_block_free(HpBlock *b)
{
	g_free(b->name);
	g_free(b->disk);
	g_free(b->real);
	g_free(b->dev);
	g_free(b->dm_name);
	g_ptr_array_unref(b->below);
	g_ptr_array_unref(b->above);
	if (b->paths != NULL)
		g_ptr_array_unref(b->paths);
	g_free(b);
}

static void
hp_mount_free(HpMount *m)
{
	g_free(m->dev);
	g_free(m->source);
	g_free(m->where);
	g_free(m);
}

HpHostUsage *
hp_host_usage_new(const HpHost *host)
{
	HpHostUsage *u = g_new0(HpHostUsage, 1);
	u->host = host;
	u->blocks = g_ptr_array_new_with_free_func((GDestroyNotify)hp_block_free);
	u->by_name = g_hash_table_new(g_str_hash, g_str_equal);
	u->mounts = g_ptr_array_new_with_free_func((GDestroyNotify)hp_mount_free);
	u->routes = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	u->nets = g_ptr_array_new_with_free_func(g_free);
	return u;
}

void
hp_host_usage_free(HpHostUsage *u)
{
	if (u == NULL)
		return;
	g_ptr_array_unref(u->blocks);
	g_hash_table_unref(u->by_name);
	g_ptr_array_unref(u->mounts);
	g_hash_table_unref(u->routes);
	g_ptr_array_unref(u->nets);
	g_free(u);
}

/* The names in a directory of links (slaves/, holders/); empty when there is none. */
static GPtrArray *
hp_usage_names(const HpHost *host, const gchar *rel)
{
	GPtrArray *names = hp_host_list_dir(host, rel, NULL);
	return names != NULL ? names : g_ptr_array_new_with_free_func(g_free);
}

static HpBlock *
hp_usage_add_block(HpHostUsage *u, const gchar *dir, const gchar *name, const gchar *disk)
{
	HpBlock *b = g_new0(HpBlock, 1);
	g_autofree gchar *dev = g_strconcat(dir, "/dev", NULL);
	g_autofree gchar *below = g_strconcat(dir, "/slaves", NULL);
	g_autofree gchar *above = g_strconcat(dir, "/holders", NULL);
	g_autofree gchar *dm = g_strconcat(dir, "/dm/name", NULL);

	b->name = g_strdup(name);
	b->disk = g_strdup(disk);
	b->dev = hp_host_read_line(u->host, dev, NULL);
	b->dm_name = hp_host_read_line(u->host, dm, NULL);
	b->below = hp_usage_names(u->host, below);
	b->above = hp_usage_names(u->host, above);
	g_ptr_array_add(u->blocks, b);
	g_hash_table_insert(u->by_name, b->name, b);
	return b;
}

/* A native NVMe multipath disk sits in sys/devices/virtual/nvme-subsystem:
 * the controllers it goes through are its multipath/ links. */
static void
hp_usage_read_paths(HpHostUsage *u, HpBlock *disk, const gchar *dir)
{
	g_autofree gchar *rel = g_strconcat(dir, "/multipath", NULL);
	g_autoptr(GPtrArray) names = hp_host_list_dir(u->host, rel, NULL);

	disk->paths = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; names != NULL && i < names->len; i++) {
		g_autofree gchar *link = g_strdup_printf("%s/%s", rel, (const gchar *)g_ptr_array_index(names, i));
		gchar *real = hp_host_resolve(u->host, link, NULL);
		if (real != NULL)
			g_ptr_array_add(disk->paths, real);
	}
}

static void
hp_usage_read_blocks(HpHostUsage *u)
{
	g_autoptr(GPtrArray) disks = hp_host_list_dir(u->host, "sys/block", NULL);

	for (guint i = 0; disks != NULL && i < disks->len; i++) {
		const gchar *name = g_ptr_array_index(disks, i);
		g_autofree gchar *dir = g_strconcat("sys/block/", name, NULL);
		g_autoptr(GPtrArray) entries = hp_host_list_dir(u->host, dir, NULL);
		HpBlock *disk;

		if (!hp_host_name_is_valid(name) || g_hash_table_contains(u->by_name, name))
			continue;
		disk = hp_usage_add_block(u, dir, name, NULL);
		disk->real = hp_host_resolve(u->host, dir, NULL);
		disk->parts_known = entries != NULL;
		hp_usage_read_paths(u, disk, dir);
		for (guint j = 0; entries != NULL && j < entries->len; j++) {
			const gchar *part = g_ptr_array_index(entries, j);
			g_autofree gchar *pdir = g_strdup_printf("%s/%s", dir, part);
			g_autofree gchar *marker = g_strconcat(pdir, "/partition", NULL);
			if (hp_host_name_is_valid(part) && !g_hash_table_contains(u->by_name, part) &&
			    hp_host_exists(u->host, marker))
				hp_usage_add_block(u, pdir, part, name);
		}
	}
}

/* A mount table's \NNN escapes (a space is \040). */
static gchar *
hp_usage_unescape(const gchar *s)
{
	GString *out = g_string_new(NULL);
	for (const gchar *p = s; *p != '\0'; p++) {
		if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' && p[2] <= '7' && p[3] >= '0' && p[3] <= '7') {
			g_string_append_c(out, (gchar)(((p[1] - '0') << 6) | ((p[2] - '0') << 3) | (p[3] - '0')));
			p += 3;
		} else {
			g_string_append_c(out, *p);
		}
	}
	return g_string_free(out, FALSE);
}

static gchar *
hp_usage_load(const HpHost *host, const gchar *rel)
{
	gchar *data = NULL;
	gsize len = 0;
	if (!hp_host_load(host, rel, HP_HOST_FILE_MAX, &data, &len, NULL, NULL))
		return NULL;
	return data;
}

/* mountinfo: ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [TAGS...] - FSTYPE SOURCE SUPEROPTIONS */
static gboolean
hp_usage_read_mountinfo(HpHostUsage *u)
{
	g_autofree gchar *text = hp_usage_load(u->host, "proc/self/mountinfo");
	g_auto(GStrv) lines = NULL;

	if (text == NULL)
		return FALSE;
	lines = g_strsplit(text, "\n", -1);
	for (guint i = 0; lines[i] != NULL; i++) {
		g_auto(GStrv) f = g_strsplit_set(lines[i], " \t", -1);
		guint n = g_strv_length(f), dash = 0;
		HpMount *m;
		for (guint j = 6; j < n; j++) {
			if (strcmp(f[j], "-") == 0) {
				dash = j;
				break;
			}
		}
		if (n < 5 || strchr(f[2], ':') == NULL)
			continue;
		m = g_new0(HpMount, 1);
		m->dev = g_strdup(f[2]);
		m->where = hp_usage_unescape(f[4]);
		if (dash > 0 && dash + 2 < n)
			m->source = hp_usage_unescape(f[dash + 2]);
		g_ptr_array_add(u->mounts, m);
	}
	return TRUE;
}

/* mounts: SOURCE MOUNTPOINT FSTYPE OPTIONS 0 0 */
static void
hp_usage_read_mounts(HpHostUsage *u)
{
	g_autofree gchar *text = hp_usage_load(u->host, "proc/self/mounts");
	g_auto(GStrv) lines = NULL;

	if (text == NULL)
		text = hp_usage_load(u->host, "proc/mounts");
	if (text == NULL)
		return;
	lines = g_strsplit(text, "\n", -1);
	for (guint i = 0; lines[i] != NULL; i++) {
		g_auto(GStrv) f = g_strsplit_set(lines[i], " \t", -1);
		HpMount *m;
		if (g_strv_length(f) < 3 || !g_str_has_prefix(f[0], "/dev/"))
			continue;
		m = g_new0(HpMount, 1);
		m->source = hp_usage_unescape(f[0]);
		m->where = hp_usage_unescape(f[1]);
		g_ptr_array_add(u->mounts, m);
	}
}

/* swaps: a header line, then FILENAME TYPE SIZE USED PRIORITY */
static void
hp_usage_read_swaps(HpHostUsage *u)
{
	g_autofree gchar *text = hp_usage_load(u->host, "proc/swaps");
	g_auto(GStrv) lines = NULL;

	if (text == NULL)
		return;
	lines = g_strsplit(text, "\n", -1);
	for (guint i = 1; lines[0] != NULL && lines[i] != NULL; i++) {
		g_auto(GStrv) f = g_strsplit_set(lines[i], " \t", 2);
		HpMount *m;
		if (f[0] == NULL || !g_str_has_prefix(f[0], "/dev/"))
			continue;
		m = g_new0(HpMount, 1);
		m->source = hp_usage_unescape(f[0]);
		g_ptr_array_add(u->mounts, m);
	}
}

static gboolean
hp_usage_hex(const gchar *s, guint64 *ret)
{
	return s != NULL && *s != '\0' && g_ascii_string_to_unsigned(s, 16, 0, G_MAXUINT64, ret, NULL);
}

/* The interfaces with a default route that is up: IPv4 destination and mask
 * 00000000; IPv6 ::/0, not a reject route (RTF_REJECT 0x200, as the
 * kernel lists on lo when there is no IPv6 route). */
static void
hp_usage_read_routes(HpHostUsage *u)
{
	g_autofree gchar *v4 = hp_usage_load(u->host, "proc/net/route");
	g_autofree gchar *v6 = hp_usage_load(u->host, "proc/net/ipv6_route");
	g_auto(GStrv) lines4 = v4 != NULL ? g_strsplit(v4, "\n", -1) : NULL;
	g_auto(GStrv) lines6 = v6 != NULL ? g_strsplit(v6, "\n", -1) : NULL;

	for (guint i = 1; lines4 != NULL && lines4[0] != NULL && lines4[i] != NULL; i++) {
		g_auto(GStrv) f = g_strsplit_set(g_strstrip(lines4[i]), " \t", -1);
		guint64 flags = 0;
		guint n = 0;
		/* Iface Destination Gateway Flags RefCnt Use Metric Mask ... (tabs, maybe repeated) */
		gchar *w[8] = {NULL};
		for (guint j = 0; f[j] != NULL && n < 8; j++) {
			if (*f[j] != '\0')
				w[n++] = f[j];
		}
		if (n == 8 && strcmp(w[1], "00000000") == 0 && strcmp(w[7], "00000000") == 0 && hp_usage_hex(w[3], &flags) &&
		    (flags & 0x1) && hp_host_name_is_valid(w[0]))
			g_hash_table_add(u->routes, g_strdup(w[0]));
	}
	for (guint i = 0; lines6 != NULL && lines6[i] != NULL; i++) {
		g_auto(GStrv) f = g_strsplit_set(g_strstrip(lines6[i]), " \t", -1);
		gchar *w[10] = {NULL};
		guint n = 0;
		guint64 flags = 0;
		for (guint j = 0; f[j] != NULL && n < 10; j++) {
			if (*f[j] != '\0')
				w[n++] = f[j];
		}
		if (n == 10 && strspn(w[0], "0") == 32 && strlen(w[0]) == 32 && strcmp(w[1], "00") == 0 &&
		    hp_usage_hex(w[8], &flags) && (flags & 0x1) && !(flags & 0x200) && hp_host_name_is_valid(w[9]))
			g_hash_table_add(u->routes, g_strdup(w[9]));
	}
}

/* Where each network interface is in sys/devices. */
static void
hp_usage_read_nets(HpHostUsage *u)
{
	g_autoptr(GPtrArray) names = hp_host_list_dir(u->host, "sys/class/net", NULL);

	for (guint i = 0; names != NULL && i < names->len; i++) {
		const gchar *name = g_ptr_array_index(names, i);
		g_autofree gchar *rel = g_strconcat("sys/class/net/", name, NULL);
		gchar *real = NULL;
		if (!g_hash_table_contains(u->routes, name) || (real = hp_host_resolve(u->host, rel, NULL)) == NULL)
			continue;
		g_ptr_array_add(u->nets, g_strdup(name));
		g_ptr_array_add(u->nets, real);
	}
}

static void
hp_usage_read(HpHostUsage *u)
{
	if (u->read)
		return;
	u->read = TRUE;
	hp_usage_read_blocks(u);
	if (!hp_usage_read_mountinfo(u))
		hp_usage_read_mounts(u);
	hp_usage_read_swaps(u);
	hp_usage_read_routes(u);
	if (g_hash_table_size(u->routes) > 0)
		hp_usage_read_nets(u);
}

static gboolean
hp_usage_below(const gchar *real, const gchar *dir)
{
	gsize n = strlen(dir);
	return real != NULL && strncmp(real, dir, n) == 0 && real[n] == '/';
}

/* A partition's name by the kernel's convention, for a disk whose directory
 * could not be listed (a snapshot that lacks it): sda -> sda2, nvme0n1 -> nvme0n1p2. */
static gboolean
hp_usage_partition_name(const gchar *disk, const gchar *name)
{
	gsize n = strlen(disk);
	const gchar *rest = name + n;

	if (n == 0 || strncmp(disk, name, n) != 0)
		return FALSE;
	if (g_ascii_isdigit(disk[n - 1])) {
		if (*rest != 'p')
			return FALSE;
		rest++;
	}
	return *rest != '\0' && strspn(rest, "0123456789") == strlen(rest);
}

/* The block devices on @dir (a PCI device's place in sys/devices): its
 * disks, their partitions, and everything built on them, to any depth. */
static GHashTable *
hp_usage_blocks_on(HpHostUsage *u, const gchar *dir)
{
	GHashTable *on = g_hash_table_new(g_str_hash, g_str_equal);
	gboolean changed = TRUE;

	for (guint i = 0; i < u->blocks->len; i++) {
		HpBlock *b = g_ptr_array_index(u->blocks, i);
		if (b->disk != NULL)
			continue;
		if (hp_usage_below(b->real, dir))
			g_hash_table_add(on, b->name);
		for (guint j = 0; j < b->paths->len; j++) {
			if (hp_usage_below(g_ptr_array_index(b->paths, j), dir))
				g_hash_table_add(on, b->name);
		}
	}
	/* native NVMe multipath before 6.14 links nothing: the path nvmeScCnN
	 * (below the controller) is of the disk nvmeSnN (below the subsystem) */
	for (guint i = 0; i < u->blocks->len; i++) {
		HpBlock *b = g_ptr_array_index(u->blocks, i);
		guint sub = 0, ctrl = 0, ns = 0;
		gchar tail = 0;
		g_autofree gchar *head = NULL;
		if (b->disk != NULL || !g_hash_table_contains(on, b->name) ||
		    sscanf(b->name, "nvme%uc%un%u%c", &sub, &ctrl, &ns, &tail) != 3)
			continue;
		head = g_strdup_printf("nvme%un%u", sub, ns);
		b = g_hash_table_lookup(u->by_name, head);
		if (b != NULL)
			g_hash_table_add(on, b->name);
	}
	/* a block device is on it when its disk is, when it is built on one that
	 * is (slaves), or when one that is says it holds it (holders) */
	for (guint round = 0; changed && round <= u->blocks->len; round++) {
		changed = FALSE;
		for (guint i = 0; i < u->blocks->len; i++) {
			HpBlock *b = g_ptr_array_index(u->blocks, i);
			gboolean in = g_hash_table_contains(on, b->name);
			if (!in && b->disk != NULL && g_hash_table_contains(on, b->disk))
				in = TRUE;
			for (guint j = 0; !in && j < b->below->len; j++)
				in = g_hash_table_contains(on, g_ptr_array_index(b->below, j));
			if (in && g_hash_table_add(on, b->name))
				changed = TRUE;
			for (guint j = 0; in && j < b->above->len; j++) {
				HpBlock *h = g_hash_table_lookup(u->by_name, g_ptr_array_index(b->above, j));
				if (h != NULL && g_hash_table_add(on, h->name))
					changed = TRUE;
			}
		}
	}
	return on;
}

/* The block device of @on that a mount or swap is on, or NULL. */
static const HpBlock *
hp_usage_match(HpHostUsage *u, GHashTable *on, const HpMount *m)
{
	const gchar *src = m->source;
	const gchar *base = src != NULL && g_str_has_prefix(src, "/dev/") ? src + 5 : NULL;

	for (guint i = 0; i < u->blocks->len; i++) {
		const HpBlock *b = g_ptr_array_index(u->blocks, i);
		if (!g_hash_table_contains(on, b->name))
			continue;
		if (m->dev != NULL && b->dev != NULL && strcmp(m->dev, b->dev) == 0)
			return b;
		if (base == NULL)
			continue;
		if (strcmp(base, b->name) == 0)
			return b;
		if (b->dm_name != NULL && g_str_has_prefix(base, "mapper/") && strcmp(base + 7, b->dm_name) == 0)
			return b;
		if (b->disk == NULL && !b->parts_known && hp_usage_partition_name(b->name, base))
			return b;
	}
	return NULL;
}

/* An HpUse and its text in one block, freed with g_free(). */
static HpUse *
hp_use_new(gboolean severe, const gchar *what, const gchar *fix)
{
	gsize n = strlen(what) + 1, m = strlen(fix) + 1;
	HpUse *use = g_malloc0(sizeof(HpUse) + n + m);
	use->severe = severe;
	use->what = (gchar *)(use + 1);
	memcpy(use->what, what, n);
	use->fix = use->what + n;
	memcpy(use->fix, fix, m);
	return use;
}

/**
 * hp_host_usage_of:
 * @dev: the device
 *
 * Returns: (transfer full): the uses the host makes of @dev, as HpUse
 * records, filesystems and swaps first; empty when it makes none that
 * can be seen.
 */
GPtrArray *
hp_host_usage_of(HpHostUsage *u, const HpPciDevice *dev)
{
	GPtrArray *uses = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) texts = g_ptr_array_new_with_free_func(g_free);
	g_autofree gchar *rel = hp_pci_device_rel(&dev->addr, NULL);
	g_autofree gchar *dir = hp_host_resolve(u->host, rel, NULL);
	g_autofree gchar *vga_rel = hp_pci_device_rel(&dev->addr, "boot_vga");
	g_autofree gchar *vga = NULL;
	g_autoptr(GHashTable) on = NULL;

	if (dir == NULL)
		return uses;
	hp_usage_read(u);
	on = hp_usage_blocks_on(u, dir);
	for (guint i = 0; g_hash_table_size(on) > 0 && i < u->mounts->len; i++) {
		const HpMount *m = g_ptr_array_index(u->mounts, i);
		const HpBlock *b = hp_usage_match(u, on, m);
		g_autofree gchar *where = NULL;
		g_autofree gchar *src = NULL;
		if (b == NULL)
			continue;
		src = hp_echo(m->source != NULL ? m->source : b->name);
		if (m->where != NULL) {
			where = hp_echo(m->where);
			g_ptr_array_add(texts, g_strdup_printf("%s mounted on %s", src, where));
		} else {
			g_ptr_array_add(texts, g_strdup_printf("%s as active swap", src));
		}
	}
	if (texts->len > 0) {
		g_autoptr(GString) what = g_string_new("holds ");
		for (guint i = 0; i < texts->len && i < 3; i++)
			g_string_append_printf(what, "%s%s", i > 0 ? ", " : "", (const gchar *)g_ptr_array_index(texts, i));
		if (texts->len > 3)
			g_string_append_printf(what, " and %u more", texts->len - 3);
		g_ptr_array_add(uses, hp_use_new(TRUE, what->str,
						  "unmount it (swapoff a swap) and take it out of /etc/fstab first, or give the guest another device"));
	}
	for (guint i = 0; i + 1 < u->nets->len; i += 2) {
		const gchar *name = g_ptr_array_index(u->nets, i);
		g_autofree gchar *what = NULL;
		if (!hp_usage_below(g_ptr_array_index(u->nets, i + 1), dir))
			continue;
		what = g_strdup_printf("carries the host's default route (interface %s)", name);
		g_ptr_array_add(uses, hp_use_new(FALSE, what,
						  "move the default route to another interface first, or give the guest another NIC"));
	}
	vga = hp_host_read_line(u->host, vga_rel, NULL);
	if (g_strcmp0(vga, "1") == 0 && (dev->driver != NULL || dev->driver_unknown)) {
		const gchar *what = "is the boot VGA device (boot_vga 1) with its driver bound: the host's console";
		g_ptr_array_add(uses, hp_use_new(FALSE, what,
						  "make sure the host can be reached another way first (SSH, a serial console), or give the guest another GPU"));
	}
	return uses;
}
