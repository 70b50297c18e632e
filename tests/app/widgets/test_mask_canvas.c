/* PlMaskCanvas: programmatic strokes paint exactly the pixels a brush of the given size
 * covers; erase, invert, clear, undo/redo and the history bound; "mask-changed". */
#include "pl_mask_canvas.h"
#include "widget_test_util.h"

#include <math.h>
#include <string.h>

#define N 64

typedef struct {
  PlMaskCanvas *canvas;
  int changed;
} Fixture;

static void
on_changed(PlMaskCanvas *canvas, Fixture *f)
{
  (void)canvas;
  f->changed++;
}

static void
fixture_setup(Fixture *f, gconstpointer data)
{
  (void)data;
  f->canvas = PL_MASK_CANVAS(g_object_ref_sink(pl_mask_canvas_new()));
  pl_mask_canvas_set_size(f->canvas, N);
  f->changed = 0;
  g_signal_connect(f->canvas, "mask-changed", G_CALLBACK(on_changed), f);
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
  (void)data;
  g_object_unref(f->canvas);
}

/* Distance from p to segment ab, written differently from the widget: perpendicular
 * distance when the foot of the perpendicular falls inside, else the nearer endpoint. */
static double
dist_to_segment(double px, double py, double ax, double ay, double bx, double by)
{
  double dx = bx - ax, dy = by - ay, len = hypot(dx, dy);
  double da = hypot(px - ax, py - ay), db = hypot(px - bx, py - by);
  if (len == 0)
    return da;
  double along = ((px - ax) * dx + (py - ay) * dy) / len;
  if (along < 0 || along > len)
    return MIN(da, db);
  return fabs((px - ax) * dy - (py - ay) * dx) / len;
}

/* Expected mask after painting (value 0) a polyline with brush diameter d on `base`.
 * Also asserts that no pixel centre lies on the brush edge, so the case is unambiguous. */
static void
expected_stroke(float *m, const double *xy, int npts, double d, float value)
{
  double r = d / 2;
  for (int j = 0; j < N; j++)
    for (int i = 0; i < N; i++) {
      double best = INFINITY;
      for (int k = 0; k < npts; k++) {
        int k2 = k + 1 < npts ? k + 1 : k;
        best = MIN(best, dist_to_segment(i + 0.5, j + 0.5, xy[2 * k], xy[2 * k + 1],
                                         xy[2 * k2], xy[2 * k2 + 1]));
      }
      g_assert_cmpfloat(fabs(best - r), >, 1e-6);
      if (best < r)
        m[j * N + i] = value;
    }
}

static void
assert_mask_equal(const float *a, const float *b)
{
  for (int k = 0; k < N * N; k++)
    if (a[k] != b[k]) {
      g_test_message("pixel (%d, %d): %g != %g", k % N, k / N, a[k], b[k]);
      g_assert_cmpfloat(a[k], ==, b[k]);
    }
}

static float *
all_observed(void)
{
  float *m = g_new(float, N * N);
  for (int k = 0; k < N * N; k++)
    m[k] = 1.0f;
  return m;
}

static void
test_defaults(Fixture *f, gconstpointer data)
{
  (void)data;
  g_assert_cmpint(pl_mask_canvas_get_size(f->canvas), ==, N);
  g_assert_cmpint(pl_mask_canvas_count_missing(f->canvas), ==, 0);
  g_assert_false(pl_mask_canvas_can_undo(f->canvas));
  g_assert_false(pl_mask_canvas_can_redo(f->canvas));
  g_assert_false(pl_mask_canvas_get_erase(f->canvas));
}

static void
test_dot(Fixture *f, gconstpointer data)
{
  (void)data;
  const double xy[] = { 20.37, 30.61 };
  g_autofree float *want = all_observed();
  pl_mask_canvas_set_brush_size(f->canvas, 7.0);
  expected_stroke(want, xy, 1, 7.0, 0.0f);
  pl_mask_canvas_stroke(f->canvas, xy, 1);
  assert_mask_equal(pl_mask_canvas_get_mask(f->canvas), want);
  g_assert_cmpint(f->changed, ==, 1);

  /* A disc of radius 3.5: about pi r^2 = 38.5 pixel centres. */
  int missing = pl_mask_canvas_count_missing(f->canvas);
  g_assert_cmpint(missing, >=, 32);
  g_assert_cmpint(missing, <=, 46);
}

static void
test_polyline(Fixture *f, gconstpointer data)
{
  (void)data;
  const double xy[] = { 5.2, 5.7, 40.1, 12.35, 33.3, 50.05, 33.3, 50.05 };
  g_autofree float *want = all_observed();
  pl_mask_canvas_set_brush_size(f->canvas, 4.3);
  expected_stroke(want, xy, 4, 4.3, 0.0f);
  pl_mask_canvas_stroke(f->canvas, xy, 4);
  assert_mask_equal(pl_mask_canvas_get_mask(f->canvas), want);
  g_assert_cmpint(f->changed, ==, 1);   /* once per stroke, not per point */
  g_assert_true(pl_mask_canvas_can_undo(f->canvas));
}

static void
test_clipped_at_edges(Fixture *f, gconstpointer data)
{
  (void)data;
  const double xy[] = { -3.1, -2.2, 1.7, 70.4 };
  g_autofree float *want = all_observed();
  pl_mask_canvas_set_brush_size(f->canvas, 5.1);
  expected_stroke(want, xy, 2, 5.1, 0.0f);
  pl_mask_canvas_stroke(f->canvas, xy, 2);
  assert_mask_equal(pl_mask_canvas_get_mask(f->canvas), want);

  /* Entirely outside: nothing changes, no history entry, no signal. */
  int before = f->changed;
  const double away[] = { -50.2, -50.3, -40.1, -45.7 };
  pl_mask_canvas_undo(f->canvas);
  g_assert_false(pl_mask_canvas_can_undo(f->canvas));
  before = f->changed;
  pl_mask_canvas_stroke(f->canvas, away, 2);
  g_assert_cmpint(f->changed, ==, before);
  g_assert_false(pl_mask_canvas_can_undo(f->canvas));
}

static void
test_erase(Fixture *f, gconstpointer data)
{
  (void)data;
  const double a[] = { 10.4, 10.3, 50.2, 10.3 };
  const double b[] = { 30.1, 4.2, 30.1, 20.45 };
  g_autofree float *want = all_observed();
  pl_mask_canvas_set_brush_size(f->canvas, 6.2);
  expected_stroke(want, a, 2, 6.2, 0.0f);
  pl_mask_canvas_stroke(f->canvas, a, 2);

  pl_mask_canvas_set_erase(f->canvas, TRUE);
  pl_mask_canvas_set_brush_size(f->canvas, 3.3);
  expected_stroke(want, b, 2, 3.3, 1.0f);
  pl_mask_canvas_stroke(f->canvas, b, 2);
  assert_mask_equal(pl_mask_canvas_get_mask(f->canvas), want);

  /* Erasing along the first stroke with the first brush restores everything. */
  pl_mask_canvas_set_brush_size(f->canvas, 6.2);
  pl_mask_canvas_stroke(f->canvas, a, 2);
  g_autofree float *ones = all_observed();
  assert_mask_equal(pl_mask_canvas_get_mask(f->canvas), ones);
  g_assert_cmpint(f->changed, ==, 3);
}

static void
test_invert_clear(Fixture *f, gconstpointer data)
{
  (void)data;
  const double xy[] = { 32.2, 32.3 };
  pl_mask_canvas_set_brush_size(f->canvas, 10.1);
  pl_mask_canvas_stroke(f->canvas, xy, 1);
  g_autofree float *painted = g_memdup2(pl_mask_canvas_get_mask(f->canvas), N * N * sizeof(float));
  int missing = pl_mask_canvas_count_missing(f->canvas);

  pl_mask_canvas_invert(f->canvas);
  const float *m = pl_mask_canvas_get_mask(f->canvas);
  for (int k = 0; k < N * N; k++)
    g_assert_cmpfloat(m[k], ==, 1.0f - painted[k]);
  g_assert_cmpint(pl_mask_canvas_count_missing(f->canvas), ==, N * N - missing);

  pl_mask_canvas_clear(f->canvas);
  g_assert_cmpint(pl_mask_canvas_count_missing(f->canvas), ==, 0);
  g_assert_cmpint(f->changed, ==, 3);

  /* Clearing a clear mask is no action. */
  pl_mask_canvas_clear(f->canvas);
  g_assert_cmpint(f->changed, ==, 3);
}

static void
test_undo_redo(Fixture *f, gconstpointer data)
{
  (void)data;
  float *states[5];
  const double s1[] = { 10.3, 10.2, 20.1, 30.4 };
  const double s2[] = { 40.3, 50.2 };
  const double s3[] = { 5.1, 60.3, 60.2, 60.3 };

  states[0] = g_memdup2(pl_mask_canvas_get_mask(f->canvas), N * N * sizeof(float));
  pl_mask_canvas_stroke(f->canvas, s1, 2);
  states[1] = g_memdup2(pl_mask_canvas_get_mask(f->canvas), N * N * sizeof(float));
  pl_mask_canvas_set_brush_size(f->canvas, 12.5);
  pl_mask_canvas_stroke(f->canvas, s2, 1);
  states[2] = g_memdup2(pl_mask_canvas_get_mask(f->canvas), N * N * sizeof(float));
  pl_mask_canvas_invert(f->canvas);
  states[3] = g_memdup2(pl_mask_canvas_get_mask(f->canvas), N * N * sizeof(float));
  pl_mask_canvas_set_erase(f->canvas, TRUE);
  pl_mask_canvas_stroke(f->canvas, s3, 2);
  states[4] = g_memdup2(pl_mask_canvas_get_mask(f->canvas), N * N * sizeof(float));
  g_assert_cmpint(f->changed, ==, 4);

  for (int i = 4; i > 0; i--) {
    g_assert_true(pl_mask_canvas_can_undo(f->canvas));
    g_assert_true(pl_mask_canvas_undo(f->canvas));
    assert_mask_equal(pl_mask_canvas_get_mask(f->canvas), states[i - 1]);
  }
  g_assert_false(pl_mask_canvas_can_undo(f->canvas));
  g_assert_false(pl_mask_canvas_undo(f->canvas));
  g_assert_cmpint(f->changed, ==, 8);

  for (int i = 1; i <= 4; i++) {
    g_assert_true(pl_mask_canvas_redo(f->canvas));
    assert_mask_equal(pl_mask_canvas_get_mask(f->canvas), states[i]);
  }
  g_assert_false(pl_mask_canvas_redo(f->canvas));

  /* A new action after undo drops the redo branch. */
  pl_mask_canvas_undo(f->canvas);
  pl_mask_canvas_undo(f->canvas);
  g_assert_true(pl_mask_canvas_can_redo(f->canvas));
  pl_mask_canvas_clear(f->canvas);
  g_assert_false(pl_mask_canvas_can_redo(f->canvas));
  pl_mask_canvas_undo(f->canvas);
  assert_mask_equal(pl_mask_canvas_get_mask(f->canvas), states[2]);

  for (int i = 0; i < 5; i++)
    g_free(states[i]);
}

static void
test_history_bound(Fixture *f, gconstpointer data)
{
  (void)data;
  pl_mask_canvas_set_brush_size(f->canvas, 1.0);
  /* Each stroke paints one new pixel (a dot of diameter 1 at its centre). */
  for (int k = 0; k < PL_MASK_CANVAS_HISTORY + 10; k++) {
    double xy[] = { (k % N) + 0.5, (k / N) * 2 + 0.5 };
    pl_mask_canvas_stroke(f->canvas, xy, 1);
  }
  g_assert_cmpint(pl_mask_canvas_count_missing(f->canvas), ==, PL_MASK_CANVAS_HISTORY + 10);
  int undone = 0;
  while (pl_mask_canvas_undo(f->canvas))
    undone++;
  g_assert_cmpint(undone, ==, PL_MASK_CANVAS_HISTORY);
  g_assert_cmpint(pl_mask_canvas_count_missing(f->canvas), ==, 10);
}

static void
test_set_mask_and_size(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autofree float *m = g_new(float, N * N);
  for (int k = 0; k < N * N; k++)
    m[k] = (k % 3 == 0) ? 0.2f : 0.9f;   /* thresholded at 0.5 */
  pl_mask_canvas_set_mask(f->canvas, m);
  const float *got = pl_mask_canvas_get_mask(f->canvas);
  for (int k = 0; k < N * N; k++)
    g_assert_cmpfloat(got[k], ==, (k % 3 == 0) ? 0.0f : 1.0f);
  g_assert_true(pl_mask_canvas_can_undo(f->canvas));
  g_assert_cmpint(f->changed, ==, 1);

  pl_mask_canvas_set_size(f->canvas, 16);
  g_assert_cmpint(pl_mask_canvas_get_size(f->canvas), ==, 16);
  g_assert_cmpint(pl_mask_canvas_count_missing(f->canvas), ==, 0);
  g_assert_false(pl_mask_canvas_can_undo(f->canvas));
  g_assert_cmpint(f->changed, ==, 2);
}

static void
test_snapshot(Fixture *f, gconstpointer data)
{
  (void)data;
  /* Draw the widget through GTK's own snapshot path; it must not fail without a window. */
  const double xy[] = { 10.2, 10.3, 50.1, 40.2 };
  pl_mask_canvas_set_brush_size(f->canvas, 8.3);
  pl_mask_canvas_stroke(f->canvas, xy, 2);
  GtkSnapshot *s = gtk_snapshot_new();
  GTK_WIDGET_GET_CLASS(f->canvas)->snapshot(GTK_WIDGET(f->canvas), s);
  GskRenderNode *node = gtk_snapshot_free_to_node(s);
  if (node)
    gsk_render_node_unref(node);
}

int
main(int argc, char **argv)
{
  if (!widget_test_init(&argc, &argv))
    return 0;
#define ADD(path, fn) g_test_add("/mask-canvas/" path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD("defaults", test_defaults);
  ADD("dot", test_dot);
  ADD("polyline", test_polyline);
  ADD("clipped-at-edges", test_clipped_at_edges);
  ADD("erase", test_erase);
  ADD("invert-clear", test_invert_clear);
  ADD("undo-redo", test_undo_redo);
  ADD("history-bound", test_history_bound);
  ADD("set-mask-and-size", test_set_mask_and_size);
  ADD("snapshot", test_snapshot);
#undef ADD
  return g_test_run();
}
