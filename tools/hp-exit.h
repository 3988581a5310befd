/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The exit status of every hostdev-preflight command (SPEC section 3), in
 * one place for the command line, its --help and the man page.
 */
#pragma once

typedef enum {
	HP_EXIT_OK = 0,       /* no errors (warnings allowed) */
	HP_EXIT_FINDINGS = 1, /* an error in any input; apply/release: refused, or rolled back completely */
	HP_EXIT_USAGE = 2,    /* a usage error, or an input (or the --root) that cannot be read */
	HP_EXIT_PARTIAL = 3,  /* apply/release failed and could not restore everything */
} HpExit;

/* What --help says about it. */
#define HP_EXIT_HELP                                                                      \
	"Exit status: 0 no errors (warnings allowed), 1 errors found, 2 usage error or an " \
	"input that cannot be read, 3 (apply, release) the host could not be restored completely."
