/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "hp-test.h"

#include "hp-normalize.h"

static HpNormalizer *norm;

static int
setup(void **state)
{
	g_autoptr(GError) error = NULL;
	norm = hp_normalizer_new(&error);
	g_assert_no_error(error);
	return norm == NULL;
}

static int
teardown(void **state)
{
	g_clear_pointer(&norm, hp_normalizer_free);
	return 0;
}

static gchar *
normalize(const gchar *xml, gboolean compat)
{
	g_autoptr(HpDiagList) diags = hp_diag_list_new();
	g_autoptr(HpDocument) hdoc = hp_test_doc(xml, diags);
	g_autoptr(GError) error = NULL;
	gchar *out;
	assert_non_null(hdoc);
	out = hp_normalizer_apply(norm, hdoc->doc, compat, NULL, NULL, &error);
	g_assert_no_error(error);
	return out;
}

static void
test_hostdev_order_and_numbers(void **state)
{
	const gchar *in =
	    "<domain type=\"kvm\"><!-- keep me --><name>a&amp;b</name><devices>"
	    "<hostdev type=\"pci\" managed=\"yes\" assigned=\"yes\"><address type=\"pci\" bus=\"1\" slot=\"010\" function=\"3\"/>"
	    "<rom bar=\"off\"/><alias name=\"ua-1\"/><boot order=\"1\"/><source><address domain=\"1\" bus=\"0x9\" slot=\"0\" function=\"2\"/></source>"
	    "<driver model=\"vfio_pci\" name=\"vfio\"/></hostdev></devices></domain>";
	const gchar *want =
	    "<domain type='kvm'>\n"
	    "  <!-- keep me -->\n"
	    "  <name>a&amp;b</name>\n"
	    "  <devices>\n"
	    "    <hostdev mode='subsystem' type='pci' managed='yes'>\n"
	    "      <driver name='vfio' model='vfio_pci'/>\n"
	    "      <source>\n"
	    "        <address domain='0x0001' bus='0x09' slot='0x00' function='0x2'/>\n"
	    "      </source>\n"
	    "      <boot order='1'/>\n"
	    "      <alias name='ua-1'/>\n"
	    "      <rom bar='off'/>\n"
	    "      <address type='pci' domain='0x0000' bus='0x01' slot='0x08' function='0x3'/>\n"
	    "    </hostdev>\n"
	    "  </devices>\n"
	    "</domain>\n";
	g_autofree gchar *out = normalize(in, FALSE);
	g_autofree gchar *again = normalize(out, FALSE);
	assert_string_equal(out, want);
	assert_string_equal(again, want);
}

static void
test_unassigned_spellings(void **state)
{
	const gchar *a = "<domain><devices><hostdev mode='subsystem' type='pci' assigned='no'><source><address domain='0' bus='1' slot='0' function='1'/></source></hostdev></devices></domain>";
	const gchar *b = "<domain><devices><hostdev mode='subsystem' type='pci'><source><address domain='0' bus='1' slot='0' function='1'/></source><address type='unassigned'/></hostdev></devices></domain>";
	g_autofree gchar *na = normalize(a, FALSE);
	g_autofree gchar *nb = normalize(b, FALSE);
	g_autofree gchar *ca = normalize(a, TRUE);
	g_autofree gchar *cb = normalize(b, TRUE);
	assert_string_equal(na, nb);
	assert_string_equal(ca, cb);
	assert_non_null(strstr(na, "<hostdev mode='subsystem' type='pci' managed='no' assigned='no'>"));
	assert_null(strstr(na, "unassigned"));
	assert_null(strstr(ca, "assigned='"));
	assert_non_null(strstr(ca, "<address type='unassigned'/>\n    </hostdev>"));
}

static void
test_compat_drops_model(void **state)
{
	const gchar *in = "<domain><devices><hostdev mode='subsystem' type='pci'><driver name='vfio' model='mlx5_vfio_pci'/><source><address/></source></hostdev></devices></domain>";
	g_autofree gchar *out = normalize(in, TRUE);
	assert_non_null(strstr(out, "<driver name='vfio'/>"));
	assert_non_null(strstr(out, "<address domain='0x0000' bus='0x00' slot='0x00' function='0x0'/>"));
}

/* SPEC section 6: a guest address libvirt picks stays one libvirt picks */
static void
test_guest_address_picked(void **state)
{
	const gchar *in =
	    "<domain><devices>"
	    "<hostdev mode='subsystem' type='pci'><source><address bus='1'/></source><address type='pci'/></hostdev>"
	    "<hostdev mode='subsystem' type='pci'><source><address bus='2'/></source>"
	    "<address type='pci' domain='0' bus='0x00' slot='00' function='0'/></hostdev>"
	    "<hostdev mode='subsystem' type='pci'><source><address bus='3'/></source><address type='pci' function='0' multifunction='on'/></hostdev>"
	    "<interface type='hostdev'><source><address type='pci' bus='4'/></source><address type='pci' domain='0x0000'/></interface>"
	    "<hostdev mode='subsystem' type='pci'><source><address bus='5'/></source><address type='pci' function='1'/></hostdev>"
	    "</devices></domain>";
	g_autofree gchar *out = normalize(in, FALSE);
	g_autofree gchar *again = normalize(out, FALSE);
	g_auto(GStrv) lines = g_strsplit(out, "\n", -1);
	guint picked = 0;

	for (guint i = 0; lines[i] != NULL; i++) {
		if (strstr(lines[i], "<address type='pci'/>") != NULL)
			picked++;
	}
	assert_int_equal(picked, 3);
	assert_non_null(strstr(out, "<address type='pci' multifunction='on'/>"));
	assert_non_null(strstr(out, "<address type='pci' domain='0x0000' bus='0x00' slot='0x00' function='0x1'/>"));
	assert_null(strstr(out, "<address type='pci' domain='0x0000' bus='0x00' slot='0x00' function='0x0'"));
	assert_string_equal(out, again);
}

/* attributes and children a newer libvirt reads are kept as written */
static void
test_newer_libvirt_kept(void **state)
{
	const gchar *in =
	    "<domain><devices><hostdev type='pci' display='on' ramfb='on' managed='yes'>"
	    "<future-child a='b'><nested/></future-child><rom file=''/>"
	    "<driver iommufd='on' name='vfio'><future/></driver>"
	    "<source><address domain='0' bus='1' slot='0' function='0'/></source></hostdev></devices></domain>";
	g_autofree gchar *out = normalize(in, FALSE);
	g_autofree gchar *compat = normalize(in, TRUE);
	const gchar *want =
	    "    <hostdev mode='subsystem' type='pci' managed='yes' display='on' ramfb='on'>\n"
	    "      <driver name='vfio' iommufd='on'>\n"
	    "        <future/>\n"
	    "      </driver>\n"
	    "      <source>\n"
	    "        <address domain='0x0000' bus='0x01' slot='0x00' function='0x0'/>\n"
	    "      </source>\n"
	    "      <rom file=''/>\n"
	    "      <future-child a='b'>\n"
	    "        <nested/>\n"
	    "      </future-child>\n"
	    "    </hostdev>\n";
	assert_non_null(strstr(out, want));
	assert_non_null(strstr(compat, want));
}

static gchar *
normalize_compat(const gchar *xml, const gchar *libvirt_dir, GPtrArray **ret_warnings)
{
	g_autoptr(HpDiagList) diags = hp_diag_list_new();
	g_autoptr(HpDocument) hdoc = hp_test_doc(xml, diags);
	g_autoptr(HpSchema) libvirt = NULL;
	g_autoptr(GError) error = NULL;
	gchar *out;

	assert_non_null(hdoc);
	if (libvirt_dir != NULL) {
		libvirt = hp_schema_new_libvirt(libvirt_dir, &error);
		g_assert_no_error(error);
	}
	out = hp_normalizer_apply(norm, hdoc->doc, TRUE, libvirt, ret_warnings, &error);
	g_assert_no_error(error);
	return out;
}

#define MODEL_DOMAIN \
	"<domain type='kvm'><name>m</name><memory>1</memory><os><type>hvm</type></os><devices>\n" \
	"<hostdev mode='subsystem' type='pci' managed='yes'><driver name='vfio' model='mlx5_vfio_pci'/>" \
	"<source><address domain='0' bus='6' slot='0' function='1'/></source></hostdev>\n" \
	"<hostdev mode='subsystem' type='pci' managed='yes' assigned='no'>\n<driver model='nvgrace_gpu_vfio_pci'/>" \
	"<source><address domain='0' bus='7' slot='0' function='0'/></source></hostdev>\n" \
	"</devices></domain>"

static const gchar *
srcdir(void)
{
	const gchar *dir = g_getenv("HP_SRCDIR");
	return dir != NULL ? dir : ".";
}

/* SPEC section 6: kept when the grammar in use accepts it */
static void
test_compat_model_kept(void **state)
{
	g_autofree gchar *dir = g_build_filename(srcdir(), "tests", "data", "libvirt-accepts-all", NULL);
	g_autoptr(GPtrArray) warnings = NULL;
	g_autofree gchar *out = normalize_compat(MODEL_DOMAIN, dir, &warnings);

	assert_non_null(strstr(out, "<driver name='vfio' model='mlx5_vfio_pci'/>"));
	assert_non_null(strstr(out, "<driver model='nvgrace_gpu_vfio_pci'/>"));
	assert_non_null(strstr(out, "<address type='unassigned'/>"));
	assert_null(strstr(out, "assigned='"));
	assert_int_equal(warnings->len, 0);
}

/* ... and dropped, each with a warning naming the device, otherwise */
static void
test_compat_model_dropped_with_warning(void **state)
{
	const gchar *lv = g_getenv("HP_LIBVIRT_SCHEMADIR");
	g_autofree gchar *rng = g_build_filename(lv != NULL ? lv : "/usr/share/libvirt/schemas", "domain.rng", NULL);
	const gchar *dirs[] = {NULL, NULL};
	const HpNormalizeWarning *w;

	/* libvirt 9.0's grammar (the suite requires it) does not take <driver model> */
	if (!g_file_test(rng, G_FILE_TEST_EXISTS))
		fail_msg("%s is missing: install libvirt's schemas (Debian: libvirt0)", rng);
	dirs[1] = lv != NULL ? lv : "/usr/share/libvirt/schemas";
	for (guint i = 0; i < G_N_ELEMENTS(dirs); i++) {
		g_autoptr(GPtrArray) warnings = NULL;
		g_autofree gchar *out = normalize_compat(MODEL_DOMAIN, dirs[i], &warnings);

		assert_null(strstr(out, "model="));
		assert_non_null(strstr(out, "<driver name='vfio'/>"));
		/* a <driver> left empty goes */
		assert_null(strstr(out, "<driver/>"));
		assert_int_equal(warnings->len, 2);
		w = g_ptr_array_index(warnings, 0);
		assert_string_equal(w->device, "0000:06:00.1");
		assert_int_equal(w->line, 2);
		assert_non_null(strstr(w->message, "<driver model='mlx5_vfio_pci'/>"));
		assert_non_null(strstr(w->message, "0000:06:00.1"));
		assert_non_null(strstr(w->message, "libvirt 10.0"));
		assert_non_null(strstr(w->message, dirs[i] != NULL ? "grammar in use does not accept" : "no libvirt grammar"));
		w = g_ptr_array_index(warnings, 1);
		assert_string_equal(w->device, "0000:07:00.0");
		assert_int_equal(w->line, 4);
	}
}

/* not compat: kept, nothing to say */
static void
test_model_kept_outside_compat(void **state)
{
	g_autoptr(HpDiagList) diags = hp_diag_list_new();
	g_autoptr(HpDocument) hdoc = hp_test_doc(MODEL_DOMAIN, diags);
	g_autoptr(GPtrArray) warnings = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *out = hp_normalizer_apply(norm, hdoc->doc, FALSE, NULL, &warnings, &error);

	g_assert_no_error(error);
	assert_non_null(strstr(out, "model='mlx5_vfio_pci'"));
	assert_int_equal(warnings->len, 0);
}

/* A field that is not a number stops this transform, with the stylesheet's
 * message in this call's GError (its own transform context's sink). */
static void
test_refusal_in_error(void **state)
{
	g_autoptr(HpDiagList) diags = hp_diag_list_new();
	g_autoptr(HpDocument) hdoc = hp_test_doc(
	    "<domain><devices><hostdev type='pci'><source><address bus='0x100'/></source></hostdev></devices></domain>", diags);
	g_autoptr(GError) error = NULL;
	g_autofree gchar *out = hp_normalizer_apply(norm, hdoc->doc, FALSE, NULL, NULL, &error);

	assert_null(out);
	assert_non_null(error);
	assert_non_null(strstr(error->message, "bus='0x100' of <address> is out of range"));
}

/* The thread contract of hp-normalize.h and hp-schema.h: one normalizer,
 * one grammar, many threads at once; every result the same as alone. */
typedef struct {
	HpSchema *libvirt;
	const gchar *want;
	const gchar *want_refusal;
	gint failures;
} Shared;

static gpointer
worker(gpointer data)
{
	Shared *shared = data;
	for (guint i = 0; i < 20; i++) {
		g_autoptr(HpDiagList) diags = hp_diag_list_new();
		g_autoptr(HpDocument) hdoc = hp_test_doc(MODEL_DOMAIN, diags);
		g_autoptr(HpDocument) bad = hp_test_doc(
		    "<domain><devices><hostdev type='pci'><source><address slot='32'/></source></hostdev></devices></domain>", diags);
		g_autoptr(GPtrArray) warnings = NULL;
		g_autoptr(GError) error = NULL;
		g_autofree gchar *out = hp_normalizer_apply(norm, hdoc->doc, TRUE, shared->libvirt, &warnings, &error);
		g_autofree gchar *none = NULL;

		if (out == NULL || g_strcmp0(out, shared->want) != 0 || warnings->len != 2)
			g_atomic_int_inc(&shared->failures);
		g_clear_error(&error);
		none = hp_normalizer_apply(norm, bad->doc, FALSE, NULL, NULL, &error);
		if (none != NULL || error == NULL || strstr(error->message, shared->want_refusal) == NULL)
			g_atomic_int_inc(&shared->failures);
	}
	return NULL;
}

static void
test_threads(void **state)
{
	const gchar *lv = g_getenv("HP_LIBVIRT_SCHEMADIR");
	g_autoptr(GError) error = NULL;
	g_autoptr(HpSchema) libvirt = hp_schema_new_libvirt(lv != NULL ? lv : "/usr/share/libvirt/schemas", &error);
	g_autofree gchar *want = NULL;
	Shared shared = {0};
	GThread *threads[4];

	g_assert_no_error(error);
	want = normalize_compat(MODEL_DOMAIN, lv != NULL ? lv : "/usr/share/libvirt/schemas", NULL);
	shared.libvirt = libvirt;
	shared.want = want;
	shared.want_refusal = "slot='32' of <address> is out of range";
	for (guint i = 0; i < G_N_ELEMENTS(threads); i++)
		threads[i] = g_thread_new("normalize", worker, &shared);
	for (guint i = 0; i < G_N_ELEMENTS(threads); i++)
		g_thread_join(threads[i]);
	assert_int_equal(shared.failures, 0);
}

static void
test_outside_kept(void **state)
{
	const gchar *in = "<?xml version='1.0'?>\n<!-- top -->\n<domain xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>\n"
			  "<description>two  spaces\n and a 'quote' &lt;tag&gt;</description>\n"
			  "<devices><disk type='file'><address type='pci' bus='010'/></disk>"
			  "<interface type='hostdev'><source><address type='pci' bus='3' slot='0x10' function='1'/></source><mac address='52:54:00:00:00:01'/></interface>"
			  "</devices><qemu:commandline><qemu:arg value='a&apos;b\"c'/></qemu:commandline></domain>";
	g_autofree gchar *out = normalize(in, FALSE);
	g_autofree gchar *again = normalize(out, FALSE);
	assert_string_equal(out, again);
	assert_true(g_str_has_prefix(out, "<!-- top -->\n<domain xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>\n"));
	assert_non_null(strstr(out, "<description>two  spaces\n and a 'quote' &lt;tag&gt;</description>"));
	/* not a host device: kept as written */
	assert_non_null(strstr(out, "<address type='pci' bus='010'/>"));
	assert_non_null(strstr(out, "<address type='pci' domain='0x0000' bus='0x03' slot='0x10' function='0x1'/>"));
	assert_non_null(strstr(out, "<qemu:arg value='a&apos;b&quot;c'/>"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_hostdev_order_and_numbers),
	    cmocka_unit_test(test_unassigned_spellings),
	    cmocka_unit_test(test_compat_drops_model),
	    cmocka_unit_test(test_guest_address_picked),
	    cmocka_unit_test(test_newer_libvirt_kept),
	    cmocka_unit_test(test_compat_model_kept),
	    cmocka_unit_test(test_compat_model_dropped_with_warning),
	    cmocka_unit_test(test_model_kept_outside_compat),
	    cmocka_unit_test(test_refusal_in_error),
	    cmocka_unit_test(test_threads),
	    cmocka_unit_test(test_outside_kept),
	};
	return cmocka_run_group_tests_name("normalize", tests, setup, teardown);
}
