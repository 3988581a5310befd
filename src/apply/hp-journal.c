/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The journal's model and its JSON form; hp-journal-file.c keeps it on disk. */
#include "hp-journal.h"

#include <json-glib/json-glib.h>

#include "hp-diag.h"
#include "hp-error.h"
#include "hp-host.h"

#define HP_JOURNAL_FORMAT "hostdev-preflight-journal"
#define HP_JOURNAL_VERSION 1

static const gchar *hp_journal_states[] = {"applying", "prepared", "undoing", "stuck"};
static const gchar *hp_entry_results[] = {"pending", "done", "failed", "skipped"};

static void
hp_journal_device_free(gpointer data)
{
	HpJournalDevice *dev = data;
	g_free(dev->driver);
	g_free(dev->override);
	g_free(dev->target);
	g_free(dev);
}

static void
hp_journal_entry_free(gpointer data)
{
	HpJournalEntry *entry = data;
	hp_plan_step_free(entry->step);
	g_free(entry->driver_before);
	g_free(entry->override_before);
	g_free(entry->message);
	g_free(entry);
}

HpJournal *
hp_journal_new(const gchar *domain)
{
	HpJournal *journal = g_new0(HpJournal, 1);
	journal->domain = g_strdup(domain);
	journal->devices = g_ptr_array_new_with_free_func(hp_journal_device_free);
	journal->entries = g_ptr_array_new_with_free_func(hp_journal_entry_free);
	return journal;
}

void
hp_journal_free(HpJournal *journal)
{
	if (journal == NULL)
		return;
	g_free(journal->domain);
	g_ptr_array_unref(journal->devices);
	g_ptr_array_unref(journal->entries);
	g_free(journal);
}

const gchar *
hp_journal_state_to_string(HpJournalState state)
{
	return hp_journal_states[state];
}

const gchar *
hp_entry_result_to_string(HpEntryResult result)
{
	return hp_entry_results[result];
}

HpJournalDevice *
hp_journal_add_device(HpJournal *journal, const HpPciAddress *addr, const gchar *driver, const gchar *override,
		      const gchar *target, gint iommu_group)
{
	HpJournalDevice *dev = g_new0(HpJournalDevice, 1);
	dev->addr = *addr;
	dev->driver = g_strdup(driver);
	dev->override = g_strdup(override);
	dev->target = g_strdup(target);
	dev->iommu_group = iommu_group;
	g_ptr_array_add(journal->devices, dev);
	return dev;
}

HpJournalDevice *
hp_journal_find_device(const HpJournal *journal, const HpPciAddress *addr)
{
	for (guint i = 0; i < journal->devices->len; i++) {
		HpJournalDevice *dev = g_ptr_array_index(journal->devices, i);
		if (hp_pci_address_equal(&dev->addr, addr))
			return dev;
	}
	return NULL;
}

/* Records @step (copied) as pending, with the state it changes. */
HpJournalEntry *
hp_journal_add_entry(HpJournal *journal, const HpPlanStep *step, gboolean undo, const gchar *driver_before,
		     const gchar *override_before)
{
	HpJournalEntry *entry = g_new0(HpJournalEntry, 1);
	entry->step = hp_plan_step_new(step->kind, step->has_device ? &step->device : NULL, step->value, step->previous,
				       step->module);
	entry->undo = undo;
	entry->driver_before = g_strdup(driver_before);
	entry->override_before = g_strdup(override_before);
	entry->result = HP_ENTRY_PENDING;
	g_ptr_array_add(journal->entries, entry);
	return entry;
}

/* --- to JSON ------------------------------------------------------------ */

void
hp_json_add_nullable(JsonBuilder *b, const gchar *key, const gchar *value)
{
	json_builder_set_member_name(b, key);
	if (value != NULL)
		json_builder_add_string_value(b, value);
	else
		json_builder_add_null_value(b);
}

/**
 * hp_journal_entry_to_json:
 * @with_path: also the sysfs file it writes (for people; the journal does without)
 *
 * Adds one step, with the state before it and its result, as an object.
 */
void
hp_journal_entry_to_json(const HpJournalEntry *e, gboolean with_path, JsonBuilder *b)
{
	gchar bdf[HP_PCI_ADDRESS_STRLEN];

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "phase");
	json_builder_add_string_value(b, e->undo ? "undo" : "prepare");
	json_builder_set_member_name(b, "kind");
	json_builder_add_string_value(b, hp_step_kind_to_string(e->step->kind));
	hp_json_add_nullable(b, "device", e->step->has_device ? hp_pci_address_to_string(&e->step->device, bdf) : NULL);
	hp_json_add_nullable(b, "value", e->step->value);
	hp_json_add_nullable(b, "previous", e->step->previous);
	hp_json_add_nullable(b, "module", e->step->module);
	if (with_path) {
		g_autofree gchar *path = hp_plan_step_path(e->step);
		hp_json_add_nullable(b, "path", path);
	}
	json_builder_set_member_name(b, "before");
	json_builder_begin_object(b);
	hp_json_add_nullable(b, "driver", e->driver_before);
	hp_json_add_nullable(b, "driver_override", e->override_before);
	json_builder_end_object(b);
	json_builder_set_member_name(b, "result");
	json_builder_add_string_value(b, hp_entry_result_to_string(e->result));
	hp_json_add_nullable(b, "message", e->message);
	json_builder_end_object(b);
}

/**
 * hp_journal_to_json:
 *
 * Returns: (transfer full): the journal as one JSON document, keys in a
 * fixed order, ending with a newline.
 */
gchar *
hp_journal_to_json(const HpJournal *journal)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonGenerator) gen = json_generator_new();
	g_autoptr(JsonNode) root = NULL;
	gchar bdf[HP_PCI_ADDRESS_STRLEN];
	gchar *text, *out;

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "format");
	json_builder_add_string_value(b, HP_JOURNAL_FORMAT);
	json_builder_set_member_name(b, "version");
	json_builder_add_int_value(b, HP_JOURNAL_VERSION);
	json_builder_set_member_name(b, "domain");
	json_builder_add_string_value(b, journal->domain);
	json_builder_set_member_name(b, "state");
	json_builder_add_string_value(b, hp_journal_state_to_string(journal->state));
	json_builder_set_member_name(b, "devices");
	json_builder_begin_array(b);
	for (guint i = 0; i < journal->devices->len; i++) {
		const HpJournalDevice *dev = g_ptr_array_index(journal->devices, i);
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "address");
		json_builder_add_string_value(b, hp_pci_address_to_string(&dev->addr, bdf));
		hp_json_add_nullable(b, "driver", dev->driver);
		hp_json_add_nullable(b, "driver_override", dev->override);
		hp_json_add_nullable(b, "target_driver", dev->target);
		json_builder_set_member_name(b, "iommu_group");
		json_builder_add_int_value(b, dev->iommu_group);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	json_builder_set_member_name(b, "steps");
	json_builder_begin_array(b);
	for (guint i = 0; i < journal->entries->len; i++)
		hp_journal_entry_to_json(g_ptr_array_index(journal->entries, i), FALSE, b);
	json_builder_end_array(b);
	json_builder_end_object(b);

	root = json_builder_get_root(b);
	json_generator_set_root(gen, root);
	json_generator_set_pretty(gen, TRUE);
	text = json_generator_to_data(gen, NULL);
	out = g_strconcat(text, "\n", NULL);
	g_free(text);
	return out;
}

/* --- from JSON ---------------------------------------------------------- */

/* A member that must be a string, or (with @nullable) null: FALSE when it is anything else. */
static gboolean
hp_json_get_string(JsonObject *obj, const gchar *key, gboolean nullable, gchar **ret)
{
	JsonNode *node = json_object_get_member(obj, key);

	if (node == NULL)
		return FALSE;
	if (JSON_NODE_HOLDS_NULL(node)) {
		*ret = NULL;
		return nullable;
	}
	if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_STRING)
		return FALSE;
	*ret = g_strdup(json_node_get_string(node));
	return TRUE;
}

static gboolean
hp_json_get_int(JsonObject *obj, const gchar *key, gint64 *ret)
{
	JsonNode *node = json_object_get_member(obj, key);
	if (node == NULL || !JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_INT64)
		return FALSE;
	*ret = json_node_get_int(node);
	return TRUE;
}

static JsonArray *
hp_json_get_array(JsonObject *obj, const gchar *key)
{
	JsonNode *node = json_object_get_member(obj, key);
	return node != NULL && JSON_NODE_HOLDS_ARRAY(node) ? json_node_get_array(node) : NULL;
}

static JsonObject *
hp_json_array_object(JsonArray *array, guint i)
{
	JsonNode *node = json_array_get_element(array, i);
	return JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : NULL;
}

static gboolean
hp_json_lookup(const gchar *const *names, guint n, const gchar *value, guint *ret)
{
	for (guint i = 0; value != NULL && i < n; i++) {
		if (g_strcmp0(names[i], value) == 0) {
			*ret = i;
			return TRUE;
		}
	}
	return FALSE;
}

/* A driver or override name from the journal: it reaches sysfs writes, so
 * only what a kernel name can be. */
static gboolean
hp_journal_name_ok(const gchar *name)
{
	return name == NULL || hp_host_name_is_valid(name);
}

static gboolean
hp_journal_parse_device(HpJournal *journal, JsonObject *obj)
{
	g_autofree gchar *addr = NULL, *driver = NULL, *override = NULL, *target = NULL;
	HpPciAddress pci;
	gint64 group;

	if (obj == NULL || !hp_json_get_string(obj, "address", FALSE, &addr) ||
	    !hp_pci_address_parse_bdf(addr, &pci) || !hp_json_get_string(obj, "driver", TRUE, &driver) ||
	    !hp_json_get_string(obj, "driver_override", TRUE, &override) ||
	    !hp_json_get_string(obj, "target_driver", TRUE, &target) || !hp_json_get_int(obj, "iommu_group", &group) ||
	    group < -1 || group > G_MAXINT || !hp_journal_name_ok(driver) || !hp_journal_name_ok(override) ||
	    !hp_journal_name_ok(target) || hp_journal_find_device(journal, &pci) != NULL)
		return FALSE;
	hp_journal_add_device(journal, &pci, driver, override, target, (gint)group);
	return TRUE;
}

static gboolean
hp_journal_parse_entry(HpJournal *journal, JsonObject *obj)
{
	static const gchar *kinds[] = {"modprobe", "set-override", "unbind", "probe", "verify", "restore-override"};
	static const gchar *phases[] = {"prepare", "undo"};
	g_autofree gchar *phase = NULL, *kind = NULL, *device = NULL, *value = NULL, *previous = NULL, *module = NULL;
	g_autofree gchar *driver = NULL, *override = NULL, *result = NULL, *message = NULL;
	g_autoptr(HpPlanStep) step = NULL;
	JsonNode *before_node;
	JsonObject *before;
	HpJournalEntry *entry;
	HpPciAddress pci;
	guint k, ph, res;

	if (obj == NULL || !hp_json_get_string(obj, "phase", FALSE, &phase) ||
	    !hp_json_lookup(phases, G_N_ELEMENTS(phases), phase, &ph) || !hp_json_get_string(obj, "kind", FALSE, &kind) ||
	    !hp_json_lookup(kinds, G_N_ELEMENTS(kinds), kind, &k) || !hp_json_get_string(obj, "device", TRUE, &device) ||
	    (device != NULL && !hp_pci_address_parse_bdf(device, &pci)) ||
	    !hp_json_get_string(obj, "value", TRUE, &value) || !hp_json_get_string(obj, "previous", TRUE, &previous) ||
	    !hp_json_get_string(obj, "module", TRUE, &module) || !hp_json_get_string(obj, "result", FALSE, &result) ||
	    !hp_json_lookup(hp_entry_results, G_N_ELEMENTS(hp_entry_results), result, &res) ||
	    !hp_json_get_string(obj, "message", TRUE, &message))
		return FALSE;
	before_node = json_object_get_member(obj, "before");
	if (before_node == NULL || !JSON_NODE_HOLDS_OBJECT(before_node))
		return FALSE;
	before = json_node_get_object(before_node);
	if (!hp_json_get_string(before, "driver", TRUE, &driver) ||
	    !hp_json_get_string(before, "driver_override", TRUE, &override) || !hp_journal_name_ok(driver) ||
	    !hp_journal_name_ok(override) || !hp_journal_name_ok(module))
		return FALSE;
	/* every kind but modprobe acts on a device; modprobe's value is a module */
	if ((k == HP_STEP_MODPROBE) ? !hp_journal_name_ok(value) || value == NULL : device == NULL || value == NULL)
		return FALSE;
	step = hp_plan_step_new((HpStepKind)k, device != NULL ? &pci : NULL, value, previous, module);
	entry = hp_journal_add_entry(journal, step, ph == 1, driver, override);
	entry->result = (HpEntryResult)res;
	entry->message = g_steal_pointer(&message);
	return TRUE;
}

/**
 * hp_journal_from_json:
 * @file: the journal's name, for messages
 *
 * Reads a journal back. Anything but what hp_journal_to_json() writes (a
 * torn write, a hand edit, another program's file) is refused whole.
 *
 * Returns: (transfer full) (nullable): the journal, or %NULL with @error
 * (HP_ERROR_INVALID_DATA) naming @file and what is wrong.
 */
HpJournal *
hp_journal_from_json(const gchar *data, gsize len, const gchar *file, GError **error)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) local = NULL;
	g_autoptr(HpJournal) journal = NULL;
	g_autofree gchar *format = NULL, *domain = NULL, *state = NULL;
	g_autofree gchar *shown = hp_echo(file);
	JsonObject *obj;
	JsonArray *devices, *steps;
	JsonNode *root;
	gint64 version;
	guint st;

	if (len > G_MAXSSIZE || !json_parser_load_from_data(parser, data, (gssize)len, &local)) {
		g_set_error(error, HP_ERROR, HP_ERROR_INVALID_DATA,
			    "journal %s is not JSON (%s): it was cut or changed; compare it with the devices' state and remove it by hand",
			    shown, local != NULL ? local->message : "too large");
		return NULL;
	}
	root = json_parser_get_root(parser);
	if (root == NULL) {
		g_set_error(error, HP_ERROR, HP_ERROR_INVALID_DATA,
			    "journal %s is empty: it was cut; compare it with the devices' state and remove it by hand", shown);
		return NULL;
	}
	if (!JSON_NODE_HOLDS_OBJECT(root) ||
	    !hp_json_get_string((obj = json_node_get_object(root)), "format", FALSE, &format) ||
	    g_strcmp0(format, HP_JOURNAL_FORMAT) != 0) {
		g_set_error(error, HP_ERROR, HP_ERROR_INVALID_DATA, "%s is not a hostdev-preflight journal", shown);
		return NULL;
	}
	if (!hp_json_get_int(obj, "version", &version) || version != HP_JOURNAL_VERSION) {
		g_set_error(error, HP_ERROR, HP_ERROR_INVALID_DATA,
			    "journal %s has a version this hostdev-preflight does not read (it reads %d)", shown,
			    HP_JOURNAL_VERSION);
		return NULL;
	}
	if (!hp_json_get_string(obj, "domain", FALSE, &domain) || !hp_json_get_string(obj, "state", FALSE, &state) ||
	    !hp_json_lookup(hp_journal_states, G_N_ELEMENTS(hp_journal_states), state, &st) ||
	    (devices = hp_json_get_array(obj, "devices")) == NULL || (steps = hp_json_get_array(obj, "steps")) == NULL) {
		g_set_error(error, HP_ERROR, HP_ERROR_INVALID_DATA,
			    "journal %s is garbled: its domain, state, devices or steps are missing or of the wrong kind",
			    shown);
		return NULL;
	}
	journal = hp_journal_new(domain);
	journal->state = (HpJournalState)st;
	for (guint i = 0; i < json_array_get_length(devices); i++) {
		if (!hp_journal_parse_device(journal, hp_json_array_object(devices, i))) {
			g_set_error(error, HP_ERROR, HP_ERROR_INVALID_DATA, "journal %s is garbled: device %u is not valid",
				    shown, i + 1);
			return NULL;
		}
	}
	for (guint i = 0; i < json_array_get_length(steps); i++) {
		if (!hp_journal_parse_entry(journal, hp_json_array_object(steps, i))) {
			g_set_error(error, HP_ERROR, HP_ERROR_INVALID_DATA, "journal %s is garbled: step %u is not valid",
				    shown, i + 1);
			return NULL;
		}
	}
	return g_steal_pointer(&journal);
}
