/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "hp-pci-address.h"

G_BEGIN_DECLS

/*
 * One step on the target host (SPEC section 7), as data: the text, JSON and
 * sh renderers and an executor (apply) all work from these records, and
 * the undo of every step is derived from the step itself.
 */
typedef enum {
	HP_STEP_KIND_MODPROBE,         /* load @module */
	HP_STEP_KIND_SET_OVERRIDE,     /* write @driver to driver_override */
	HP_STEP_KIND_UNBIND,           /* take the device from @driver */
	HP_STEP_KIND_PROBE,            /* bind it: drivers_probe, or @driver's bind file */
	HP_STEP_KIND_VERIFY,           /* its driver link names @driver */
	HP_STEP_KIND_RESTORE_OVERRIDE, /* write @driver (what was there) back to driver_override */
} HpStepKind;

/* How a step is carried out: the JSON `action` of SPEC section 7. */
typedef enum {
	HP_STEP_MODPROBE,
	HP_STEP_WRITE,
	HP_STEP_VERIFY,
} HpStepAction;

/**
 * HpPlanStep:
 * @kind: what the step does
 * @has_device: %FALSE only for a step about no device (none today)
 * @device: the PCI function
 * @driver: by kind:
 *   MODPROBE: %NULL;
 *   SET_OVERRIDE, RESTORE_OVERRIDE: the override written ("" clears it);
 *   UNBIND: the driver it leaves, %NULL when the device's driver link is
 *     present but its name unknown (then it goes through that link);
 *   PROBE: the driver expected to take the device, %NULL: whichever the
 *     kernel picks;
 *   VERIFY: the driver the device must be on ("" none, %NULL any)
 * @module: MODPROBE: the module to load; else the module that provides
 *   @driver when @driver_pending
 * @driver_pending: @driver is a guess until @module is loaded (its real name
 *   is read from the host then: sys/module/MOD/drivers/pci:NAME)
 * @by_bind: PROBE: write the address to @driver's bind file (the kernel
 *   then binds exactly that driver or fails the write) instead of
 *   drivers_probe (which reports success even when no driver took it)
 * @previous: the state the step replaces, for its undo: SET_OVERRIDE,
 *   RESTORE_OVERRIDE: the override before ("" none); UNBIND: the driver
 *   before (%NULL unknown); PROBE: the driver before ("" none); MODPROBE,
 *   VERIFY: %NULL (they replace nothing)
 * @path: the file written (the target's /sys/..., whatever the root was), or
 *   for VERIFY the device's driver link; %NULL for MODPROBE
 * @value: what is written to @path; VERIFY: @driver
 * @comment: why, for people
 * @origin: in a derived (undo) list, the index of the step it undoes in the
 *   list it was derived from; otherwise the step's own index
 */
typedef struct {
	HpStepKind kind;
	gboolean has_device;
	HpPciAddress device;
	gchar *driver;
	gchar *module;
	gboolean driver_pending;
	gboolean by_bind;
	gchar *previous;
	gchar *path;
	gchar *value;
	gchar *comment;
	guint origin;
} HpPlanStep;

const gchar *hp_step_kind_to_string(HpStepKind kind);
HpStepAction hp_step_kind_action(HpStepKind kind);
const gchar *hp_step_action_to_string(HpStepAction action);

/* How a PROBE binds (the other kinds take HP_STEP_BIND_NONE). */
typedef enum {
	HP_STEP_BIND_NONE,
	HP_STEP_BIND_PROBE, /* write the address to drivers_probe: the kernel picks */
	HP_STEP_BIND_FILE,  /* write it to the driver's own bind file */
} HpStepBind;

HpPlanStep *hp_plan_step_new(HpStepKind kind, const HpPciAddress *device, const gchar *driver, const gchar *previous,
			     HpStepBind bind);
HpPlanStep *hp_plan_step_copy(const HpPlanStep *step);
void hp_plan_step_free(HpPlanStep *step);
void hp_plan_step_set_pending(HpPlanStep *step, const gchar *module);
GPtrArray *hp_plan_step_undo(const HpPlanStep *step);
GPtrArray *hp_plan_steps_undo(GPtrArray *steps, guint n);
gboolean hp_kernel_name_valid(const gchar *name);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(HpPlanStep, hp_plan_step_free)

G_END_DECLS
