/* Drives the real PlApplication / PlWindow through their actions and public API, under
 * Xvfb: load an image, run PLoRG-PSLD, pause, change tau, resume, cancel, check the run
 * record; draw a mask; compare two runs and export figures; bad image and model errors.
 * Screenshots of each stage go to PLORG_SCREENSHOT_DIR (and docs/screenshots/ when
 * PLORG_UPDATE_SCREENSHOTS=1). */
#include <gtk/gtk.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "pl_application.h"
#include "pl_run_record.h"
#include "pl_window.h"

#define SAMPLE "twitter-1f469.png"

static PlApplication *app;
static PlWindow *win;
static char *tmp_dir;
static gboolean have_model;

/* --- helpers --- */

typedef gboolean (*Cond)(gpointer data);

static gboolean keep_awake(gpointer data) {
  (void)data;
  return G_SOURCE_CONTINUE;
}

/* Run the main loop until cond holds (TRUE) or the time is up (FALSE). */
static gboolean wait_for(Cond cond, gpointer data, double seconds) {
  gint64 deadline = g_get_monotonic_time() + (gint64)(seconds * G_USEC_PER_SEC);
  guint tick = g_timeout_add(10, keep_awake, NULL);
  gboolean ok;
  while (!(ok = cond(data)) && g_get_monotonic_time() < deadline)
    g_main_context_iteration(NULL, TRUE);
  g_source_remove(tick);
  return ok;
}

static gboolean never(gpointer data) {
  (void)data;
  return FALSE;
}

static void spin(double seconds) { wait_for(never, NULL, seconds); }

static void activate(const char *name, GVariant *param) {
  g_assert_true(g_action_group_has_action(G_ACTION_GROUP(win), name));
  g_action_group_activate_action(G_ACTION_GROUP(win), name, param);
}

static gboolean is_ready(gpointer d) {
  (void)d;
  return pl_window_is_ready(win);
}

static gboolean exports_done(gpointer d) {
  (void)d;
  return pl_window_get_pending_exports(win) == 0;
}

static gboolean error_shown(gpointer d) {
  (void)d;
  return pl_window_get_error(win) != NULL;
}

/* A window as the user sees it, rendered with the window's own renderer. */
static gboolean mapped(gpointer w) { return gtk_widget_get_mapped(w); }

static void screenshot_of(GtkWindow *window, const char *name) {
  GtkWidget *w = GTK_WIDGET(window);
  g_assert_true(wait_for(mapped, w, 30));
  spin(0.4);  /* let layout and a frame happen */
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new(w);
  GskRenderNode *node = NULL;
  int width = 0, height = 0;
  /* A window shown a moment ago may not have drawn yet (slow under ASan): retry. */
  for (int tries = 0; !node && tries < 100; tries++) {
    if (tries)
      spin(0.1);
    width = gtk_widget_get_width(w);
    height = gtk_widget_get_height(w);
    if (width <= 0 || height <= 0)
      continue;
    GtkSnapshot *snap = gtk_snapshot_new();
    gdk_paintable_snapshot(paintable, snap, width, height);
    node = gtk_snapshot_free_to_node(snap);
  }
  g_assert_nonnull(node);
  GskRenderer *renderer = gtk_native_get_renderer(GTK_NATIVE(window));
  graphene_rect_t area = GRAPHENE_RECT_INIT(0, 0, width, height);
  g_autoptr(GdkTexture) tex = gsk_renderer_render_texture(renderer, node, &area);
  gsk_render_node_unref(node);
  const char *dir = g_getenv("PLORG_SCREENSHOT_DIR");
  g_autofree char *file = g_strconcat(name, ".png", NULL);
  const char *folder = dir && *dir ? dir : ".";
  g_mkdir_with_parents(folder, 0755);
  g_autofree char *path = g_build_filename(folder, file, NULL);
  g_assert_true(gdk_texture_save_to_png(tex, path));
  g_test_message("screenshot %s", path);
  const char *src = g_getenv("PLORG_SOURCE_DIR");
  if (g_strcmp0(g_getenv("PLORG_UPDATE_SCREENSHOTS"), "1") == 0 && src) {
    g_autofree char *docs = g_build_filename(src, "docs", "screenshots", NULL);
    g_mkdir_with_parents(docs, 0755);
    g_autofree char *copy = g_build_filename(docs, file, NULL);
    g_assert_true(gdk_texture_save_to_png(tex, copy));
  }
}

static void screenshot(const char *name) { screenshot_of(GTK_WINDOW(win), name); }

static void require_model(void) {
  if (!have_model)
    g_test_skip("no model bundle (PLORG_MODEL_DIR)");
}

static PlRunController *current(void) { return pl_window_get_run(win); }

static gboolean has_points(gpointer n) {
  PlRunController *c = current();
  return c && pl_run_controller_get_points(c)->len >= GPOINTER_TO_UINT(n);
}

static gboolean engine_paused(gpointer d) {
  (void)d;
  return pl_run_state(pl_run_controller_get_run(current())) == PL_RUN_PAUSED;
}

static gboolean run_ended(gpointer d) {
  (void)d;
  return current() && !pl_run_controller_is_active(current());
}

static gboolean scrub_decoded(gpointer d) {
  (void)d;
  return !pl_live_view_is_decoding(pl_window_get_live_view(win)) &&
         pl_live_view_get_x0_image(pl_window_get_live_view(win)) != NULL;
}

/* Short runs keep the test quick; the settings otherwise are the preset's. */
static void set_steps(int steps, int preview_every) {
  PlSolverPanel *sp = pl_window_get_solver_panel(win);
  PlRunParams rp;
  pl_solver_panel_get_params(sp, &rp);
  rp.steps = steps;
  rp.preview_every = preview_every;
  pl_solver_panel_set_params(sp, &rp);
}

/* --- tests --- */

static void test_startup(void) {
  g_assert_true(gtk_widget_get_visible(GTK_WIDGET(win)));
  require_model();
  if (!have_model)
    return;
  g_assert_true(wait_for(is_ready, NULL, 120));
  g_assert_nonnull(pl_image_panel_get_image(pl_window_get_image_panel(win)));
  screenshot("01-startup");
}

static void test_run_pause_tau_cancel(void) {
  require_model();
  if (!have_model)
    return;
  activate("open-sample", g_variant_new_string(SAMPLE));
  g_action_group_change_action_state(G_ACTION_GROUP(win), "task", g_variant_new_string("box"));
  g_action_group_change_action_state(G_ACTION_GROUP(win), "solver", g_variant_new_string("psld"));
  g_action_group_change_action_state(G_ACTION_GROUP(win), "plorg", g_variant_new_boolean(TRUE));
  activate("set-tau", g_variant_new_double(0.99));
  set_steps(40, 2);
  g_assert_true(wait_for(is_ready, NULL, 60));
  g_assert_cmpint(pl_degradation_panel_get_task(pl_window_get_degradation_panel(win)), ==, PL_TASK_INPAINT_BOX);
  g_assert_true(pl_plorg_panel_get_enabled(pl_window_get_plorg_panel(win)));

  activate("run", NULL);
  g_assert_nonnull(current());
  g_assert_true(wait_for(has_points, GUINT_TO_POINTER(4), 120));
  screenshot("02-running");

  activate("pause", NULL);
  g_assert_true(wait_for(engine_paused, NULL, 60));
  PlRun *run = pl_run_controller_get_run(current());
  int paused_at = pl_run_current_step(run);
  spin(0.3);
  g_assert_cmpint(pl_run_current_step(run), ==, paused_at);   /* it really waits */
  activate("set-tau", g_variant_new_double(0.9));
  screenshot("03-paused");

  activate("resume", NULL);
  g_assert_true(wait_for(has_points, GUINT_TO_POINTER(paused_at + 4), 120));
  activate("cancel", NULL);
  g_assert_true(wait_for(run_ended, NULL, 60));
  g_assert_cmpint(pl_run_controller_get_state(current()), ==, PL_RUN_CANCELLED);
  /* The change is marked on the plots at the step it took effect. */
  g_assert_cmpint(pl_run_plots_get_marker_count(pl_live_view_get_plots(pl_window_get_live_view(win))), >=, 1);

  g_autofree char *record = g_build_filename(tmp_dir, "record.json", NULL);
  activate("export-record-to", g_variant_new_string(record));
  g_assert_true(wait_for(exports_done, NULL, 60));
  g_assert_null(pl_window_get_error(win));
  GError *error = NULL;
  g_autoptr(PlRunRecord) rec = pl_run_record_load(record, &error);
  g_assert_no_error(error);
  gboolean found = FALSE;
  for (guint i = 0; i < rec->changes->len; i++) {
    const PlParamChange *c = &g_array_index(rec->changes, PlParamChange, i);
    if (g_str_equal(c->name, "tau")) {
      g_assert_cmpint(c->step, ==, paused_at);
      g_assert_cmpfloat_with_epsilon(c->new_value, 0.9, 1e-9);
      g_assert_cmpfloat_with_epsilon(c->old_value, 0.99, 1e-9);
      found = TRUE;
    }
  }
  g_assert_true(found);
  g_assert_cmpstr(rec->state, ==, "cancelled");

  /* A strip of intermediates (SVG carries its step labels) and a frame sequence. */
  g_autofree char *strip = g_build_filename(tmp_dir, "strip.svg", NULL);
  activate("export-strip-to", g_variant_new_string(strip));
  g_autofree char *frames = g_build_filename(tmp_dir, "frames", NULL);
  activate("export-frames-to", g_variant_new_string(frames));
  g_assert_true(wait_for(exports_done, NULL, 120));
  g_assert_null(pl_window_get_error(win));
  g_autofree char *svg = NULL;
  g_assert_true(g_file_get_contents(strip, &svg, NULL, NULL));
  g_assert_nonnull(strstr(svg, "step 0"));
  g_autofree char *frame0 = g_build_filename(frames, "x0-0000.png", NULL);
  g_assert_true(g_file_test(frame0, G_FILE_TEST_IS_REGULAR));

  /* Scrub back and branch from there. */
  activate("scrub", g_variant_new_int32(2));
  g_assert_cmpint(pl_live_view_get_scrub_index(pl_window_get_live_view(win)), ==, 2);
  g_assert_true(wait_for(scrub_decoded, NULL, 60));
  screenshot("04-scrubbed");
  int branch_step = pl_live_view_get_scrub_step(pl_window_get_live_view(win));
  activate("set-omega", g_variant_new_double(0.2));
  activate("branch", NULL);
  PlRunController *branch = current();
  g_assert_true(pl_run_params(pl_run_controller_get_run(branch))->start_step == branch_step);
  g_assert_true(wait_for(has_points, GUINT_TO_POINTER(2), 120));
  activate("cancel", NULL);
  g_assert_true(wait_for(run_ended, NULL, 60));
}

static gboolean measurement_ready(gpointer d) {
  (void)d;
  PlDegradationPanel *p = pl_window_get_degradation_panel(win);
  return !pl_degradation_panel_is_busy(p) && pl_degradation_panel_get_measurement(p);
}

static void test_mask(void) {
  g_action_group_change_action_state(G_ACTION_GROUP(win), "task", g_variant_new_string("mask"));
  PlDegradationPanel *panel = pl_window_get_degradation_panel(win);
  g_assert_cmpint(pl_degradation_panel_get_task(panel), ==, PL_TASK_INPAINT_MASK);
  PlMaskCanvas *canvas = pl_degradation_panel_get_mask_canvas(panel);
  int n = pl_mask_canvas_get_size(canvas);
  pl_mask_canvas_clear(canvas);
  int cleared = pl_mask_canvas_count_missing(canvas);
  g_assert_cmpint(cleared, ==, 0);
  pl_mask_canvas_set_brush_size(canvas, 4);
  const double xy[] = {10, 10.5, 30, 10.5, 30, 40.5};
  pl_mask_canvas_stroke(canvas, xy, 3);
  const float *m = pl_mask_canvas_get_mask(canvas);
  g_assert_cmpfloat(m[10 * n + 20], ==, 0.0f);   /* on the stroke: missing */
  g_assert_cmpfloat(m[30 * n + 30], ==, 0.0f);
  g_assert_cmpfloat(m[20 * n + 10], ==, 1.0f);   /* away from it: observed */
  g_assert_cmpfloat(m[50 * n + 50], ==, 1.0f);
  int missing = pl_mask_canvas_count_missing(canvas);
  g_assert_cmpint(missing, >, 40);
  /* The drawn mask is what a run gets. */
  PlOperatorParams op;
  pl_degradation_panel_get_params(panel, &op);
  g_assert_true(op.mask == pl_mask_canvas_get_mask(canvas));
  g_assert_true(pl_mask_canvas_undo(canvas));
  g_assert_cmpint(pl_mask_canvas_count_missing(canvas), ==, 0);
  g_assert_true(pl_mask_canvas_redo(canvas));
  g_assert_cmpint(pl_mask_canvas_count_missing(canvas), ==, missing);
  pl_mask_canvas_invert(canvas);
  g_assert_cmpint(pl_mask_canvas_count_missing(canvas), ==, n * n - missing);
  g_assert_true(pl_mask_canvas_undo(canvas));
  g_assert_true(wait_for(measurement_ready, NULL, 30));
  screenshot("05-mask");
  g_action_group_change_action_state(G_ACTION_GROUP(win), "task", g_variant_new_string("box"));
}

static gboolean compare_done(gpointer d) {
  (void)d;
  return pl_compare_view_all_finished(pl_window_get_compare_view(win));
}

static gboolean compare_started(gpointer d) {
  (void)d;
  PlCompareView *cv = pl_window_get_compare_view(win);
  return pl_compare_view_get_n_runs(cv) == 2 && pl_compare_view_is_active(cv);
}

static char *read_text(const char *path, gsize *len) {
  char *text = NULL;
  g_assert_true(g_file_get_contents(path, &text, len, NULL));
  return text;
}

static gboolean xml_ok(const char *text, gsize len) {
  static const GMarkupParser parser = {0};
  GMarkupParseContext *ctx = g_markup_parse_context_new(&parser, 0, NULL, NULL);
  const char *body = strstr(text, "<svg");   /* skip the <?xml ...?> prolog */
  gboolean ok = body && g_markup_parse_context_parse(ctx, body, (gssize)(len - (body - text)), NULL) &&
                g_markup_parse_context_end_parse(ctx, NULL);
  g_markup_parse_context_free(ctx);
  return ok;
}

static void test_compare_and_export(void) {
  require_model();
  if (!have_model)
    return;
  /* One preset away: choosing it starts PSLD and PLoRG-PSLD in the compare view. */
  PlCompareView *cv = pl_window_get_compare_view(win);
  activate("apply-preset", g_variant_new_string(PL_PRESET_COMPARE_LARGE_STEP));
  g_assert_true(wait_for(compare_started, NULL, 60));
  g_assert_cmpstr(pl_run_controller_get_label(pl_compare_view_get_controller(cv, 0)), ==, "PSLD");
  g_assert_cmpstr(pl_run_controller_get_label(pl_compare_view_get_controller(cv, 1)), ==, "PLoRG-PSLD");
  activate("cancel", NULL);
  g_assert_true(wait_for(compare_done, NULL, 60));

  PlPresets *presets = pl_application_get_presets(app);
  const PlPreset *p = pl_presets_lookup(presets, PL_PRESET_COMPARE_LARGE_STEP);
  g_assert_nonnull(p);
  g_assert_true(p->compare);
  PlRunParams rp = p->run;
  /* Short in the test suite; the preset's own length when taking the README pictures. */
  if (g_strcmp0(g_getenv("PLORG_UPDATE_SCREENSHOTS"), "1") != 0) {
    rp.steps = 16;
    rp.preview_every = 4;
  }
  pl_window_apply_settings(win, &rp, &p->op);
  g_assert_true(wait_for(is_ready, NULL, 60));
  activate("compare", NULL);
  g_assert_cmpuint(pl_compare_view_get_n_runs(cv), ==, 2);
  PlRun *a = pl_run_controller_get_run(pl_compare_view_get_controller(cv, 0));
  PlRun *b = pl_run_controller_get_run(pl_compare_view_get_controller(cv, 1));
  /* Same measurement, same seed (so the same initial noise), PLoRG off vs on. */
  size_t ylen = pl_operator_y_len(pl_run_operator(a));
  g_assert_cmpmem(pl_run_measurement(a), ylen * sizeof(float), pl_run_measurement(b), ylen * sizeof(float));
  g_assert_cmpuint(pl_run_params(a)->seed, ==, pl_run_params(b)->seed);
  g_assert_false(pl_run_params(a)->plorg.enabled);
  g_assert_true(pl_run_params(b)->plorg.enabled);
  g_assert_true(wait_for(compare_done, NULL, 300));
  g_assert_cmpstr(pl_compare_view_get_metrics(cv, 0), !=, "");
  g_assert_nonnull(strstr(pl_compare_view_get_metrics(cv, 1), "PSNR"));
  g_autofree char *meter = pl_stall_meter_summary(pl_window_get_stall_meter(win));
  g_test_message("responsiveness during the comparison: %s", meter);
  screenshot("06-compare");

  const char *labels[] = {"Ground truth", "PSLD", "PLoRG-PSLD"};
  const char *exts[] = {"png", "svg", "pdf"};
  for (guint k = 0; k < G_N_ELEMENTS(exts); k++) {
    g_autofree char *name = g_strdup_printf("compare.%s", exts[k]);
    g_autofree char *path = g_build_filename(tmp_dir, name, NULL);
    activate("export-figure-to", g_variant_new_string(path));
    g_assert_true(wait_for(exports_done, NULL, 60));
    g_assert_null(pl_window_get_error(win));
    gsize len = 0;
    g_autofree char *text = read_text(path, &len);
    if (k == 0) {
      g_assert_cmpmem(text, 8, "\x89PNG\r\n\x1a\n", 8);
      guint32 w = GUINT32_FROM_BE(*(guint32 *)(void *)(text + 16));
      guint32 h = GUINT32_FROM_BE(*(guint32 *)(void *)(text + 20));
      g_assert_cmpuint(w, >, 4 * 64);
      g_assert_cmpuint(h, >, 64);
      GError *error = NULL;
      g_autoptr(GHashTable) chunks = pl_image_read_png_text(path, &error);
      g_assert_no_error(error);
      const char *label_chunk = g_hash_table_lookup(chunks, "plorg-labels");
      g_assert_nonnull(label_chunk);
      for (guint i = 0; i < G_N_ELEMENTS(labels); i++)
        g_assert_nonnull(strstr(label_chunk, labels[i]));
      g_assert_nonnull(g_hash_table_lookup(chunks, "plorg-params"));
    } else if (k == 1) {
      g_assert_true(xml_ok(text, len));
      for (guint i = 0; i < G_N_ELEMENTS(labels); i++)
        g_assert_nonnull(strstr(text, labels[i]));
    } else {
      g_assert_cmpmem(text, 5, "%PDF-", 5);
      for (guint i = 0; i < G_N_ELEMENTS(labels); i++)
        g_assert_nonnull(memmem(text, len, labels[i], strlen(labels[i])));  /* binary: NULs */
    }
  }
  /* The current view too, and a strip of the first run's intermediates. */
  g_autofree char *view = g_build_filename(tmp_dir, "view.svg", NULL);
  activate("export-view-to", g_variant_new_string(view));
  g_assert_true(wait_for(exports_done, NULL, 60));
  gsize vlen = 0;
  g_autofree char *vtext = read_text(view, &vlen);
  g_assert_true(xml_ok(vtext, vlen));

  /* Opening an exported PNG restores its settings. */
  activate("set-omega", g_variant_new_double(0.05));
  g_autofree char *png = g_build_filename(tmp_dir, "compare.png", NULL);
  activate("open-file", g_variant_new_string(png));
  PlSolverPanel *sp = pl_window_get_solver_panel(win);
  PlRunParams now;
  gboolean restored = FALSE;
  for (int i = 0; i < 300 && !restored; i++) {
    spin(0.02);
    pl_solver_panel_get_params(sp, &now);
    restored = fabs(now.omega - rp.omega) < 1e-9;
  }
  g_assert_true(restored);
  g_assert_null(pl_window_get_error(win));
}

static gboolean lpips_loaded(gpointer d) {
  (void)d;
  PlLpipsMetric *m = pl_application_get_lpips(app);
  return !pl_lpips_metric_is_loading(m);
}

static gboolean lpips_shown(gpointer d) {
  (void)d;
  const char *at = strstr(pl_live_view_get_metrics_text(pl_window_get_live_view(win)), "LPIPS ");
  return run_ended(NULL) && at && g_ascii_isdigit(at[strlen("LPIPS ")]);  /* a number, not n/a */
}

/* With an LPIPS bundle (the models tests write a small one) the views show the distance. */
static void test_lpips(void) {
  const char *dir = g_getenv("PLORG_LPIPS_TEST_DIR");
  g_autofree char *manifest = dir ? g_build_filename(dir, "lpips.json", NULL) : NULL;
  if (!have_model || !manifest || !g_file_test(manifest, G_FILE_TEST_IS_REGULAR)) {
    g_test_skip("no LPIPS test bundle (written by the models tests)");
    return;
  }
  g_action_group_activate_action(G_ACTION_GROUP(app), "load-lpips-dir", g_variant_new_string(dir));
  g_assert_true(wait_for(lpips_loaded, NULL, 120));
  g_assert_true(pl_lpips_metric_is_loaded(pl_application_get_lpips(app)));
  set_steps(4, 2);
  g_assert_true(wait_for(is_ready, NULL, 60));
  activate("run", NULL);
  gboolean shown = wait_for(lpips_shown, NULL, 120);
  g_test_message("metrics: %s", pl_live_view_get_metrics_text(pl_window_get_live_view(win)));
  g_assert_true(shown);
  g_test_message("%s", pl_live_view_get_metrics_text(pl_window_get_live_view(win)));
}

static void test_presets_saved(void) {
  activate("save-preset", g_variant_new_string("my settings"));
  PlPresets *presets = pl_application_get_presets(app);
  g_assert_nonnull(pl_presets_lookup(presets, "user:my settings"));
  gsize len;
  g_autofree char *text = read_text(pl_presets_get_path(presets), &len);
  g_assert_nonnull(strstr(text, "my settings"));
  g_autoptr(PlPresets) again = pl_presets_new(pl_presets_get_path(presets));
  g_assert_true(pl_presets_load(again, NULL));
  g_assert_nonnull(pl_presets_lookup(again, "user:my settings"));
  activate("delete-preset", g_variant_new_string("user:my settings"));
  g_assert_null(pl_presets_lookup(presets, "user:my settings"));
}

static gboolean not_loading(gpointer d) {
  (void)d;
  return !pl_application_is_loading(app) && pl_window_get_error(win) != NULL;
}

static void test_errors(void) {
  pl_window_dismiss_error(win);
  const PlImage *before = pl_image_panel_get_image(pl_window_get_image_panel(win));
  /* A PNG signature followed by garbage. */
  g_autofree char *bad = g_build_filename(tmp_dir, "corrupt.png", NULL);
  const char junk[] = "\x89PNG\r\n\x1a\nthis is not a picture at all, just bytes";
  g_assert_true(g_file_set_contents(bad, junk, sizeof junk, NULL));
  activate("open-file", g_variant_new_string(bad));
  g_assert_true(wait_for(error_shown, NULL, 30));
  g_assert_nonnull(strstr(pl_window_get_error(win), "corrupt.png"));
  g_assert_true(pl_image_panel_get_image(pl_window_get_image_panel(win)) == before);
  screenshot("07-bad-image");
  pl_window_dismiss_error(win);

  g_action_group_activate_action(G_ACTION_GROUP(app), "load-model-dir",
                                 g_variant_new_string("/nonexistent/plorg-model"));
  g_assert_true(wait_for(not_loading, NULL, 60));
  g_assert_nonnull(strstr(pl_window_get_error(win), "Cannot load the model"));
  g_assert_true(gtk_widget_get_visible(GTK_WIDGET(win)));
  if (have_model)
    g_assert_nonnull(pl_application_get_model(app));   /* the previous one stays */
  screenshot("08-missing-model");
  pl_window_dismiss_error(win);
  g_assert_true(pl_window_is_ready(win) || !have_model);
}

static void test_presentation(void) {
  g_action_group_change_action_state(G_ACTION_GROUP(win), "presentation", g_variant_new_boolean(TRUE));
  g_assert_true(gtk_widget_has_css_class(GTK_WIDGET(win), "presentation"));
  activate("show-compare", NULL);
  screenshot("09-presentation");
  activate("nudge-tau", g_variant_new_double(-0.01));
  g_assert_cmpfloat_with_epsilon(pl_plorg_panel_get_tau(pl_window_get_plorg_panel(win)), 0.98, 1e-9);
  g_action_group_change_action_state(G_ACTION_GROUP(win), "presentation", g_variant_new_boolean(FALSE));
  g_assert_false(gtk_widget_has_css_class(GTK_WIDGET(win), "presentation"));
  activate("show-single", NULL);

  /* The shortcuts window (GtkApplication loads gtk/help-overlay.ui from the resources). */
  activate("show-help-overlay", NULL);
  GtkWindow *help = gtk_application_window_get_help_overlay(GTK_APPLICATION_WINDOW(win))
                        ? GTK_WINDOW(gtk_application_window_get_help_overlay(GTK_APPLICATION_WINDOW(win)))
                        : NULL;
  g_assert_nonnull(help);
  spin(0.3);
  g_assert_true(gtk_widget_get_visible(GTK_WIDGET(help)));
  screenshot_of(help, "10-shortcuts");
  gtk_window_close(help);
}

static gboolean model_settled(gpointer d) {
  (void)d;
  return !pl_application_is_loading(app);
}

int main(int argc, char **argv) {
  g_setenv("GTK_A11Y", "none", TRUE);
  g_setenv("GSK_RENDERER", "cairo", FALSE);
  tmp_dir = g_dir_make_tmp("plorg-app-XXXXXX", NULL);
  g_autofree char *config = g_build_filename(tmp_dir, "config", NULL);
  g_setenv("XDG_CONFIG_HOME", config, TRUE);   /* presets go here, not into $HOME */
  g_test_init(&argc, &argv, NULL);
  if (!gtk_init_check()) {
    printf("1..0 # SKIP no display (run under xvfb-run)\n");
    return 0;
  }
  const char *model_dir = g_getenv("PLORG_MODEL_DIR");
  g_autofree char *manifest = model_dir ? g_build_filename(model_dir, "model.json", NULL) : NULL;
  have_model = manifest && g_file_test(manifest, G_FILE_TEST_IS_REGULAR);

  app = pl_application_new(G_APPLICATION_NON_UNIQUE);
  GError *error = NULL;
  g_assert_true(g_application_register(G_APPLICATION(app), NULL, &error));
  g_application_activate(G_APPLICATION(app));
  win = PL_WINDOW(gtk_application_get_active_window(GTK_APPLICATION(app)));
  g_assert_nonnull(win);
  wait_for(model_settled, NULL, 120);
  if (have_model && !pl_application_get_model(app))
    g_error("the bundled model did not load: %s", pl_window_get_error(win));

  g_test_add_func("/app/startup", test_startup);
  g_test_add_func("/app/run-pause-tau-cancel", test_run_pause_tau_cancel);
  g_test_add_func("/app/mask", test_mask);
  g_test_add_func("/app/compare-export", test_compare_and_export);
  g_test_add_func("/app/lpips", test_lpips);
  g_test_add_func("/app/presets", test_presets_saved);
  g_test_add_func("/app/errors", test_errors);
  g_test_add_func("/app/presentation", test_presentation);
  int rc = g_test_run();

  g_application_quit(G_APPLICATION(app));
  pl_application_stop_runs(app);
  spin(0.2);
  g_object_unref(app);
  g_free(tmp_dir);   /* left on disk for a look at the exports */
  return rc;
}
