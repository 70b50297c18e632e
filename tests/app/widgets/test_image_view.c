/* PlImageView: letterboxing keeps the aspect ratio, setters validate, compare split clamps,
 * and the widget draws through GTK's snapshot path in a real window. */
#include "pl_image_view.h"
#include "widget_test_util.h"

#include <math.h>

static PlImage *
make_image(int c, int h, int w, float v)
{
  PlImage *img = pl_image_new(c, h, w);
  for (size_t i = 0; i < pl_image_len(img); i++)
    img->data[i] = v;
  return img;
}

static void
test_rect(void)
{
  PlImageView *view = PL_IMAGE_VIEW(g_object_ref_sink(pl_image_view_new()));
  graphene_rect_t r;
  g_assert_false(pl_image_view_get_image_rect(view, 300, 200, &r));
  g_autoptr(PlImage) img = make_image(3, 64, 64, 0.5f);
  pl_image_view_set_image(view, img);
  g_assert_true(pl_image_view_has_image(view));
  g_assert_true(pl_image_view_get_image_rect(view, 300, 200, &r));
  /* Square image in a wide box: full height, centred horizontally. */
  g_assert_cmpfloat(r.size.width, ==, 200);
  g_assert_cmpfloat(r.size.height, ==, 200);
  g_assert_cmpfloat(r.origin.x, ==, 50);
  g_assert_cmpfloat(r.origin.y, ==, 0);

  /* A caption below takes room from the height; the ratio stays 1. */
  pl_image_view_set_caption(view, "PLoRG-PSLD  step 500");
  g_assert_true(pl_image_view_get_image_rect(view, 300, 200, &r));
  g_assert_cmpfloat(r.size.height, <, 200);
  g_assert_cmpfloat(r.size.width, ==, r.size.height);
  pl_image_view_set_caption_overlay(view, TRUE);
  g_assert_true(pl_image_view_get_image_rect(view, 300, 200, &r));
  g_assert_cmpfloat(r.size.height, ==, 200);

  /* Non-square RGBA bytes: 32 wide, 16 high into a 100x100 box -> 100 x 50. */
  guint8 rgba[32 * 16 * 4];
  for (size_t i = 0; i < sizeof rgba; i++)
    rgba[i] = (guint8)(i * 7);
  pl_image_view_set_caption(view, NULL);
  pl_image_view_set_rgba8(view, rgba, 32, 16, 32 * 4);
  g_assert_true(pl_image_view_get_image_rect(view, 100, 100, &r));
  g_assert_cmpfloat(r.size.width, ==, 100);
  g_assert_cmpfloat(r.size.height, ==, 50);

  /* Bad sizes clear instead of reading out of bounds. */
  pl_image_view_set_rgba8(view, rgba, 32, 16, 8);
  g_assert_false(pl_image_view_has_image(view));
  pl_image_view_set_image(view, NULL);
  g_assert_false(pl_image_view_has_image(view));
  g_object_unref(view);
}

static void
test_properties(void)
{
  PlImageView *view = PL_IMAGE_VIEW(g_object_ref_sink(pl_image_view_new()));
  g_assert_true(pl_image_view_get_nearest(view));
  g_assert_cmpfloat(pl_image_view_get_split(view), ==, 0.5);
  pl_image_view_set_split(view, 1.7);
  g_assert_cmpfloat(pl_image_view_get_split(view), ==, 1.0);
  pl_image_view_set_split(view, -3);
  g_assert_cmpfloat(pl_image_view_get_split(view), ==, 0.0);
  g_object_set(view, "split", 0.25, "compare", TRUE, "caption", "x", NULL);
  g_assert_cmpfloat(pl_image_view_get_split(view), ==, 0.25);
  g_assert_true(pl_image_view_get_compare(view));
  g_assert_cmpstr(pl_image_view_get_caption(view), ==, "x");
  g_object_unref(view);
}

static gboolean
quit_soon(gpointer data)
{
  *(gboolean *)data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Renders a widget in a window via GTK's paintable to a PNG-able cairo surface. */
static cairo_surface_t *
render_widget(GtkWidget *widget, int width, int height)
{
  GtkWidget *window = gtk_window_new();
  gtk_window_set_default_size(GTK_WINDOW(window), width, height);
  gtk_window_set_child(GTK_WINDOW(window), widget);
  gtk_window_present(GTK_WINDOW(window));
  gboolean done = FALSE;
  g_timeout_add(300, quit_soon, &done);
  while (!done)
    g_main_context_iteration(NULL, TRUE);

  int w = gtk_widget_get_width(widget), h = gtk_widget_get_height(widget);
  cairo_surface_t *s = widget_test_white_surface(MAX(w, 1), MAX(h, 1));
  GdkPaintable *paintable = gtk_widget_paintable_new(widget);
  GtkSnapshot *snap = gtk_snapshot_new();
  gdk_paintable_snapshot(paintable, snap, w, h);
  GskRenderNode *node = gtk_snapshot_free_to_node(snap);
  if (node) {
    cairo_t *cr = cairo_create(s);
    gsk_render_node_draw(node, cr);
    cairo_destroy(cr);
    gsk_render_node_unref(node);
  }
  g_object_unref(paintable);
  gtk_window_destroy(GTK_WINDOW(window));
  return s;
}

static void
test_render_compare(void)
{
  GtkWidget *view = g_object_ref_sink(pl_image_view_new());   /* outlives the window */
  g_autoptr(PlImage) a = make_image(3, 8, 8, 0.0f);
  g_autoptr(PlImage) b = make_image(3, 8, 8, 1.0f);
  for (int i = 0; i < 64; i++)
    a->data[i] = 1.0f;   /* red plane: a is red, b is white */
  pl_image_view_set_image(PL_IMAGE_VIEW(view), a);
  pl_image_view_set_compare_image(PL_IMAGE_VIEW(view), b);
  pl_image_view_set_compare(PL_IMAGE_VIEW(view), TRUE);
  pl_image_view_set_compare_labels(PL_IMAGE_VIEW(view), "", "");
  pl_image_view_set_split(PL_IMAGE_VIEW(view), 0.25);
  cairo_surface_t *s = render_widget(view, 200, 200);
  widget_test_maybe_save(s, "image-view-compare.png");
  int w = cairo_image_surface_get_width(s), h = cairo_image_surface_get_height(s);
  g_test_message("rendered %dx%d", w, h);
  if (w >= 100 && h >= 100) {
    graphene_rect_t r;
    g_assert_true(pl_image_view_get_image_rect(PL_IMAGE_VIEW(view), w, h, &r));
    int rr, gg, bb;
    /* Left of the split: red; right of it: white. */
    widget_test_pixel(s, (int)(r.origin.x + r.size.width * 0.1), (int)(r.origin.y + r.size.height * 0.2), &rr, &gg, &bb);
    g_assert_cmpint(rr, >, 200);
    g_assert_cmpint(gg, <, 60);
    widget_test_pixel(s, (int)(r.origin.x + r.size.width * 0.7), (int)(r.origin.y + r.size.height * 0.2), &rr, &gg, &bb);
    g_assert_cmpint(rr + gg + bb, >, 3 * 230);
  } else {
    g_test_incomplete("the window was not allocated a size");
  }
  cairo_surface_destroy(s);
  g_object_unref(view);
}

int
main(int argc, char **argv)
{
  if (!widget_test_init(&argc, &argv))
    return 0;
  g_test_add_func("/image-view/rect", test_rect);
  g_test_add_func("/image-view/properties", test_properties);
  g_test_add_func("/image-view/render-compare", test_render_compare);
  return g_test_run();
}
