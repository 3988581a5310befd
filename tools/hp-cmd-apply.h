/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "hp-checker.h"
#include "hp-cli.h"

G_BEGIN_DECLS

/* The journals' default place (SPEC section 3, --state-dir). */
#define HP_STATE_DIR_DEFAULT "/run/hostdev-preflight"

/* `hostdev-preflight apply ...` / `release ...`; @argv[0] is the command word. */
gint hp_cmd_apply(gint argc, gchar **argv);
gint hp_cmd_release(gint argc, gchar **argv);

/*
 * For the libvirt hook (SPEC section 11): apply a domain already checked by
 * @checker (@result, whose host is the live one), or release one by name.
 * @opts: only state_dir is read (NULL: the default). @unmanaged_only: only
 * the managed='no' devices are bound (libvirt binds the managed ones
 * itself); a managed='no' device not bound yet is then no refusal.
 * Both print to stderr only and return the exit status (0, 1 or 3).
 */
int hp_cmd_apply_checked(HpOptions *opts, HpChecker *checker, HpCheckResult *result, gboolean unmanaged_only);
int hp_cmd_release_domain(HpOptions *opts, const gchar *name);

G_END_DECLS
