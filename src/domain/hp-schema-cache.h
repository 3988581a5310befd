/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <libxml/relaxng.h>

G_BEGIN_DECLS

/*
 * A faster path to libvirt's compiled grammar: one flattened, minified copy
 * of domain.rng and every file it includes (includes inlined, comments and
 * blanks dropped), kept in a cache directory and keyed by the content of
 * those files. Only a faster path: whatever is wrong with the cache (absent,
 * stale, half-written, tampered, refused by the compiler), the caller
 * compiles the real grammar, and the verdicts are the same either way.
 * See docs/grammar-cache.md.
 */

#define HP_SCHEMA_CACHE_FORMAT "hostdev-preflight grammar cache 1"

xmlRelaxNGPtr hp_schema_cache_compile(const gchar *schema_dir, const gchar *cache_dir);
gchar *hp_schema_cache_flatten(const gchar *schema_dir, gsize *ret_len, GString *manifest);
void hp_schema_cache_hash(const guint8 *data, gsize len, guint64 ret_hash[2]);

G_END_DECLS
