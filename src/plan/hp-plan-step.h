/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "hp-pci-address.h"

G_BEGIN_DECLS

/*
 * One step on the target host (SPEC section 7). Each kind says what it
 * writes and knows its undo, so a release is derived from the prepare
 * steps and an executor (apply) can run and roll back the same objects
 * that text, JSON and sh render.
 */
typedef enum {
	HP_STEP_MODPROBE,         /* load @module (never undone: another domain may use it) */
	HP_STEP_SET_OVERRIDE,     /* driver_override := @value; @previous is the override before */
	HP_STEP_UNBIND,           /* @value (the address) to its driver's unbind; @previous: that driver */
	HP_STEP_PROBE,            /* @value (the address) to drivers_probe: the kernel binds it */
	HP_STEP_VERIFY,           /* the device's driver is @value ("" none) */
	HP_STEP_RESTORE_OVERRIDE, /* driver_override := @value, the one it had ("" none) */
} HpStepKind;

/* How the step touches sysfs, as SPEC's "action". */
typedef enum {
	HP_STEP_ACTION_MODPROBE,
	HP_STEP_ACTION_WRITE,
	HP_STEP_ACTION_VERIFY,
} HpStepAction;

typedef struct {
	HpStepKind kind;
	gboolean has_device;
	HpPciAddress device;
	gchar *value;    /* see HpStepKind; the module for MODPROBE */
	gchar *previous; /* SET_OVERRIDE, UNBIND, RESTORE_OVERRIDE: what it replaces */
	gchar *module;   /* a module loaded by this plan whose driver name is confirmed only once loaded */
} HpPlanStep;

HpPlanStep *hp_plan_step_new(HpStepKind kind, const HpPciAddress *device, const gchar *value,
			     const gchar *previous, const gchar *module);
void hp_plan_step_free(HpPlanStep *step);
const gchar *hp_step_kind_to_string(HpStepKind kind);
HpStepAction hp_step_kind_action(HpStepKind kind);
const gchar *hp_step_action_to_string(HpStepAction action);
gchar *hp_plan_step_path(const HpPlanStep *step);
gchar *hp_plan_step_describe(const HpPlanStep *step);
GPtrArray *hp_plan_steps_undo(GPtrArray *prepare);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(HpPlanStep, hp_plan_step_free)

G_END_DECLS
