/* Fuzz target: sweep cell files (plorg_cell_read). An accepted cell, written again and
 * read back, must give the same values (exact numbers). */
#include "fuzz.h"
#include "plorg_sweep.h"
#include <math.h>
#include <string.h>

const char *const fuzz_kind = "cell";
void fuzz_init(void) {}

static gboolean same(double a, double b) {
  return (isnan(a) && isnan(b)) || memcmp(&a, &b, sizeof a) == 0 ||
         (!isfinite(a) && isnan(b)); /* infinities are written as null */
}

int fuzz_one(const uint8_t *data, size_t len) {
  char *path = fuzz_write_tmp("cell.json", data, len);
  PlorgCell c;
  plorg_cell_init(&c);
  GError *e = NULL;
  if (!plorg_cell_read(&c, path, &e)) {
    fuzz_check_error(e, "plorg_cell_read");
    g_error_free(e);
    plorg_cell_clear(&c);
    g_free(path);
    return 0;
  }
  char *again = g_build_filename(fuzz_tmp_dir(), "cell2.json", NULL);
  if (!plorg_cell_write(&c, again, &e))
    g_error("cannot write an accepted cell: %s", e->message);
  PlorgCell d;
  plorg_cell_init(&d);
  if (!plorg_cell_read(&d, again, &e))
    g_error("a written cell does not read back: %s", e->message);
  if (!same(c.omega, d.omega) || !same(c.psnr, d.psnr) || !same(c.ssim, d.ssim) ||
      !same(c.residual, d.residual) || !same(c.elapsed_s, d.elapsed_s) || c.steps != d.steps ||
      c.batch != d.batch || c.plorg != d.plorg || /* a missing hash is written as "" */
      g_strcmp0(c.config_hash ? c.config_hash : "", d.config_hash))
    g_error("a cell changed in a write/read round trip: omega %.17g/%.17g psnr %.17g/%.17g "
            "ssim %.17g/%.17g residual %.17g/%.17g elapsed %.17g/%.17g steps %d/%d batch %d/%d "
            "plorg %d/%d hash %s/%s", c.omega, d.omega, c.psnr, d.psnr, c.ssim, d.ssim,
            c.residual, d.residual, c.elapsed_s, d.elapsed_s, c.steps, d.steps, c.batch, d.batch,
            c.plorg, d.plorg, c.config_hash, d.config_hash);
  plorg_cell_clear(&c);
  plorg_cell_clear(&d);
  g_free(again);
  g_free(path);
  return 1;
}
