/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "hp-diag.h"
#include "hp-document.h"
#include "hp-domain.h"
#include "hp-host-view.h"
#include "hp-plan-step.h"

G_BEGIN_DECLS

typedef enum {
	HP_SELECTION_GENERIC,       /* no variant alias matched: vfio_pci */
	HP_SELECTION_VARIANT,       /* a vfio_pci: alias of another module matched */
	HP_SELECTION_EXPLICIT,      /* <driver model='X'/> */
	HP_SELECTION_ALREADY_BOUND, /* already on the driver it would get */
	HP_SELECTION_UNMANAGED,     /* managed='no': verified only */
} HpSelection;

typedef struct {
	HpPciAddress addr;
	gboolean assigned;
	gboolean managed;
	gint iommu_group;       /* -1 none */
	gchar *current_driver;  /* NULL: none, or unknown when driver_unknown */
	gboolean driver_unknown; /* its driver link is there but leads nowhere readable */
	gchar *driver_override; /* before the plan: "" none */
	gchar *target_driver;
	gchar *target_module;
	gboolean driver_confirmed; /* FALSE: the module is not loaded yet, the name is a guess */
	HpSelection selection;
	gchar *why;             /* for people: why this driver */
} HpPlanDevice;

typedef struct {
	gchar *domain;
	GPtrArray *devices; /* of HpPlanDevice, in document order */
	GPtrArray *prepare; /* of HpPlanStep, index = origin */
	GPtrArray *release; /* of HpPlanStep: hp_plan_steps_undo() of all of prepare */
} HpPlan;

HpPlan *hp_plan_build(HpHostView *view, const HpDomain *domain, const HpDiagList *findings, GError **error);
void hp_plan_free(HpPlan *plan);
const gchar *hp_selection_to_string(HpSelection selection);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(HpPlan, hp_plan_free)

G_END_DECLS
