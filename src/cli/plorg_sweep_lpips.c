/* LPIPS for sweep cells that finished before an LPIPS network was given. Re-running a cell
 * only for LPIPS would cost the whole run; its saved reconstruction is enough, at the price
 * of 8-bit quantisation, which the cell records (lpips_source "png"). */
#include "plorg_cli.h"
#include "plorg_sweep.h"
#include <math.h>

gboolean plorg_cell_needs_lpips(const PlorgCell *c, PlLpips *net) {
  return net && (isnan(c->lpips) || g_strcmp0(c->lpips_net, pllpips_net(net)) != 0);
}

gboolean plorg_cell_lpips_from_png(PlorgCell *c, PlLpips *net, const char *png, int size,
                                   GError **error) {
  PlImage *result = plorg_load_image(png, size, error);
  if (!result)
    return FALSE;
  PlImage *clean = plorg_load_image(c->image_path, size, error);
  double d = clean ? pl_lpips_distance(net, result, clean, error) : NAN;
  pl_image_free(result);
  pl_image_free(clean);
  if (isnan(d))
    return FALSE;
  c->lpips = d;
  g_free(c->lpips_net);
  c->lpips_net = g_strdup(pllpips_net(net));
  g_free(c->lpips_source);
  c->lpips_source = g_strdup("png");
  return TRUE;
}
