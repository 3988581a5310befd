/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "hp-diag.h"
#include "hp-document.h"
#include "hp-domain.h"
#include "hp-host-view.h"

G_BEGIN_DECLS

typedef enum {
	HP_SELECTION_GENERIC,       /* no variant alias matched: vfio_pci */
	HP_SELECTION_VARIANT,       /* a vfio_pci: alias of another module matched */
	HP_SELECTION_EXPLICIT,      /* <driver model='X'/> */
	HP_SELECTION_ALREADY_BOUND, /* already on the driver it would get */
	HP_SELECTION_UNMANAGED,     /* managed='no': verified only */
} HpSelection;

typedef enum {
	HP_STEP_MODPROBE,
	HP_STEP_WRITE,
	HP_STEP_VERIFY,
} HpStepAction;

/* One step on the target host; paths are the target's (/sys/...). */
typedef struct {
	HpStepAction action;
	gboolean has_device;
	HpPciAddress device;
	gchar *path;   /* WRITE: the file; VERIFY: the device's driver link */
	gchar *value;  /* WRITE: what to write; VERIFY: the driver expected ("" none) */
	gchar *module; /* MODPROBE; and WRITE/VERIFY whose driver comes from a module loaded here */
	gchar *comment;
} HpPlanStep;

typedef struct {
	HpPciAddress addr;
	gboolean assigned;
	gboolean managed;
	gint iommu_group;       /* -1 none */
	gchar *current_driver;  /* NULL: none */
	gchar *target_driver;
	gchar *target_module;
	gboolean driver_confirmed; /* FALSE: the module is not loaded yet, the name is a guess */
	HpSelection selection;
	gchar *why;             /* for people: why this driver */
} HpPlanDevice;

typedef struct {
	gchar *domain;
	GPtrArray *devices; /* of HpPlanDevice, in document order */
	GPtrArray *prepare; /* of HpPlanStep */
	GPtrArray *release; /* of HpPlanStep */
} HpPlan;

HpPlan *hp_plan_build(HpHostView *view, const HpDomain *domain);
void hp_plan_free(HpPlan *plan);
const gchar *hp_selection_to_string(HpSelection selection);
const gchar *hp_step_action_to_string(HpStepAction action);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(HpPlan, hp_plan_free)

G_END_DECLS
