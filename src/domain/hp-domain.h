/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <libxml/tree.h>

#include "hp-diag.h"
#include "hp-document.h"
#include "hp-pci-address.h"

G_BEGIN_DECLS

typedef enum {
	HP_HOSTDEV_KIND_HOSTDEV,   /* <hostdev mode='subsystem' type='pci'> */
	HP_HOSTDEV_KIND_INTERFACE, /* <interface type='hostdev'> with a PCI source */
} HpHostdevKind;

/* Guest-side settings an unassigned function may not carry. */
typedef enum {
	HP_GUEST_SETTING_ALIAS = 1 << 0,
	HP_GUEST_SETTING_BOOT = 1 << 1,
	HP_GUEST_SETTING_ROM = 1 << 2,
	HP_GUEST_SETTING_ACPI = 1 << 3,
	HP_GUEST_SETTING_TEAMING = 1 << 4,
} HpGuestSetting;

/* A guest PCI address of any device under <devices>. */
typedef struct {
	xmlNode *device;  /* the device element */
	xmlNode *node;    /* its <address type='pci'> */
	gboolean valid;   /* every field parsed and in range */
	gboolean wanted;  /* all zero or no field: libvirt picks the address */
	HpPciAddress addr;
	gboolean multifunction; /* multifunction='on' */
	HpSpan span;            /* the <address> element */
	HpSpan function_span;   /* its function= attribute (the element when absent) */
} HpGuestAddress;

/* A PCI host function the domain claims. */
typedef struct {
	HpHostdevKind kind;
	xmlNode *node;
	xmlNode *source_node; /* the source <address>, NULL when absent */
	gboolean source_valid;
	HpPciAddress source;
	gboolean managed;
	gboolean assigned;            /* FALSE for either unassigned spelling */
	gboolean assigned_attr;       /* an assigned= attribute is present */
	gboolean unassigned_address;  /* <address type='unassigned'/> */
	gchar *driver_model;          /* <driver model='X'/>, or NULL */
	HpGuestAddress *guest;        /* borrowed from HpDomain.guest_addresses, or NULL */
	guint guest_settings;         /* HpGuestSetting flags */
	xmlNode *guest_setting_nodes[5];
	HpSpan span;                  /* the <hostdev>/<interface> element */
	HpSpan source_span;           /* the source <address> (the element when absent) */
	HpSpan model_span;            /* <driver model=> (the element when absent) */
	HpSpan guest_setting_spans[5];
} HpHostdev;

typedef struct {
	gchar *name;
	HpSpan span;                /* the root element; 1:1 when there is none */
	GPtrArray *hostdevs;        /* of HpHostdev, in document order */
	GPtrArray *guest_addresses; /* of HpGuestAddress, in document order */
} HpDomain;

HpDomain *hp_domain_parse(const HpDocument *hdoc, HpDiagList *diags);
void hp_domain_free(HpDomain *domain);
const gchar *hp_hostdev_element_name(const HpHostdev *hostdev);
const gchar *hp_guest_setting_name(HpGuestSetting setting);
gboolean hp_hostdev_is_pci_subsystem(const xmlNode *node);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(HpDomain, hp_domain_free)

G_END_DECLS
