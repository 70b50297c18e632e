/* Shared set-up of the widget tests: GTK without accessibility or GL, or a clean skip. */
#pragma once
#include <gtk/gtk.h>
#include <stdio.h>
#include <stdlib.h>

/* Initialises GTK for a test program; on FALSE the program has reported a skip. */
static inline gboolean
widget_test_init(int *argc, char ***argv)
{
  /* The accessibility bus and GL are not there under Xvfb; neither is needed here. */
  g_setenv("GTK_A11Y", "none", TRUE);
  g_setenv("GSK_RENDERER", "cairo", TRUE);
  g_test_init(argc, argv, NULL);
  if (!gtk_init_check()) {
    printf("1..0 # SKIP no display (run under xvfb-run)\n");
    return FALSE;
  }
  return TRUE;
}

/* An ARGB32 surface filled white, for drawing plots into. */
static inline cairo_surface_t *
widget_test_white_surface(int width, int height)
{
  cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, width, height);
  cairo_t *cr = cairo_create(s);
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_paint(cr);
  cairo_destroy(cr);
  return s;
}

/* Pixel (x, y) of an ARGB32 surface as 8-bit r, g, b (opaque surfaces). */
static inline void
widget_test_pixel(cairo_surface_t *s, int x, int y, int *r, int *g, int *b)
{
  cairo_surface_flush(s);
  const guint8 *row = cairo_image_surface_get_data(s) + (size_t)y * cairo_image_surface_get_stride(s);
  guint32 p = ((const guint32 *)(const void *)row)[x];
  *r = (p >> 16) & 0xff;
  *g = (p >> 8) & 0xff;
  *b = p & 0xff;
}

/* Writes a PNG for looking at when PLORG_TEST_SHOTS names a folder. */
static inline void
widget_test_maybe_save(cairo_surface_t *s, const char *name)
{
  const char *dir = g_getenv("PLORG_TEST_SHOTS");
  if (dir == NULL || dir[0] == '\0')
    return;
  char *path = g_build_filename(dir, name, NULL);
  cairo_surface_write_to_png(s, path);
  g_free(path);
}
