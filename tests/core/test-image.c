/* pl_image: buffers, range maps, clamping, display bytes and square fitting. */
#include <glib.h>
#include <math.h>

#include "pl_image.h"

static void test_new_copy(void)
{
  g_assert_null(pl_image_new(2, 4, 4));
  g_assert_null(pl_image_new(3, 0, 4));
  g_assert_null(pl_image_new(3, 4, -1));
  g_assert_null(pl_image_new(3, G_MAXINT, G_MAXINT));
  g_autoptr(PlImage) img = pl_image_new(3, 5, 7);
  g_assert_nonnull(img);
  g_assert_cmpuint(pl_image_len(img), ==, 105);
  for (size_t i = 0; i < pl_image_len(img); i++)
    g_assert_cmpfloat(img->data[i], ==, 0.0f);
  for (size_t i = 0; i < pl_image_len(img); i++)
    img->data[i] = (float)i;
  g_assert_true(pl_image_plane(img, 2) == img->data + 70);
  g_autoptr(PlImage) cp = pl_image_copy(img);
  g_assert_true(cp->data != img->data);
  g_assert_cmpmem(cp->data, pl_image_len(cp) * sizeof(float), img->data, pl_image_len(img) * sizeof(float));
  pl_image_free(NULL);
}

static void test_ranges(void)
{
  g_autoptr(PlImage) img = pl_image_new(1, 1, 4);
  const float v[4] = { 0.0f, 0.25f, 0.5f, 1.0f };
  for (int i = 0; i < 4; i++)
    img->data[i] = v[i];
  pl_image_to_model_range(img);
  g_assert_cmpfloat(img->data[0], ==, -1.0f);
  g_assert_cmpfloat(img->data[1], ==, -0.5f);
  g_assert_cmpfloat(img->data[2], ==, 0.0f);
  g_assert_cmpfloat(img->data[3], ==, 1.0f);
  pl_image_to_unit_range(img);
  for (int i = 0; i < 4; i++)
    g_assert_cmpfloat(img->data[i], ==, v[i]);

  img->data[0] = -3.0f;
  img->data[1] = NAN;
  img->data[2] = 0.3f;
  img->data[3] = 7.0f;
  pl_image_clamp(img, 0.0f, 1.0f);
  g_assert_cmpfloat(img->data[0], ==, 0.0f);
  g_assert_cmpfloat(img->data[1], ==, 0.0f);
  g_assert_cmpfloat(img->data[2], ==, 0.3f);
  g_assert_cmpfloat(img->data[3], ==, 1.0f);
}

static void test_rgba(void)
{
  g_autoptr(PlImage) rgb = pl_image_new(3, 1, 2);
  const float px[6] = { 0.0f, 1.0f, 1.0f, 2.0f, -1.0f, 0.2f };  /* R0 R1 G0 G1 B0 B1 */
  for (int i = 0; i < 6; i++)
    rgb->data[i] = px[i];
  guint8 out[8];
  pl_image_to_rgba8(rgb, out);
  const guint8 want[8] = { 0, 255, 0, 255, 255, 255, 51, 255 };  /* 0.2 * 255 = 51 */
  g_assert_cmpmem(out, 8, want, 8);

  g_autoptr(PlImage) grey = pl_image_new(1, 1, 1);
  grey->data[0] = 0.4f;  /* 102 */
  pl_image_to_rgba8(grey, out);
  const guint8 wg[4] = { 102, 102, 102, 255 };
  g_assert_cmpmem(out, 4, wg, 4);
}

static void assert_all(const PlImage *img, float v, double tol)
{
  for (size_t i = 0; i < pl_image_len(img); i++)
    g_assert_cmpfloat_with_epsilon(img->data[i], v, tol);
}

static void test_fit(void)
{
  /* resampling weights sum to one, so a constant image stays constant */
  g_autoptr(PlImage) flat = pl_image_new(3, 30, 50);
  for (size_t i = 0; i < pl_image_len(flat); i++)
    flat->data[i] = 0.3f;
  for (int m = PL_FIT_CENTER_CROP; m <= PL_FIT_PAD; m++) {
    g_autoptr(PlImage) out = pl_image_fit_square(flat, 16, m);
    g_assert_cmpint(out->c, ==, 3);
    g_assert_cmpint(out->h, ==, 16);
    g_assert_cmpint(out->w, ==, 16);
    if (m != PL_FIT_PAD)
      assert_all(out, 0.3f, 1e-6);
  }
  /* pad: 30 x 50 -> 10 x 16 content centred, white rows above and below */
  g_autoptr(PlImage) pad = pl_image_fit_square(flat, 16, PL_FIT_PAD);
  for (int c = 0; c < 3; c++)
    for (int x = 0; x < 16; x++) {
      g_assert_cmpfloat(pl_image_plane(pad, c)[0 * 16 + x], ==, 1.0f);
      g_assert_cmpfloat(pl_image_plane(pad, c)[2 * 16 + x], ==, 1.0f);
      g_assert_cmpfloat_with_epsilon(pl_image_plane(pad, c)[3 * 16 + x], 0.3f, 1e-6);
      g_assert_cmpfloat_with_epsilon(pl_image_plane(pad, c)[12 * 16 + x], 0.3f, 1e-6);
      g_assert_cmpfloat(pl_image_plane(pad, c)[13 * 16 + x], ==, 1.0f);
    }

  /* crop takes the central square: columns 10..39 of a 30 x 50 image; a same-size
   * resize is the identity (cubic kernel: 1 at 0, 0 at the other integers) */
  g_autoptr(PlImage) bars = pl_image_new(1, 30, 50);
  for (int y = 0; y < 30; y++)
    for (int x = 0; x < 50; x++)
      bars->data[y * 50 + x] = (x >= 10 && x < 40) ? 0.25f + 0.01f * (x - 10) : 0.0f;
  g_autoptr(PlImage) crop = pl_image_fit_square(bars, 30, PL_FIT_CENTER_CROP);
  for (int y = 0; y < 30; y++)
    for (int x = 0; x < 30; x++)
      g_assert_cmpfloat_with_epsilon(crop->data[y * 30 + x], 0.25f + 0.01f * x, 1e-6);

  g_assert_null(pl_image_fit_square(flat, 0, PL_FIT_STRETCH));
  g_assert_cmpstr(pl_fit_mode_name(PL_FIT_CENTER_CROP), ==, "crop");
  g_assert_cmpstr(pl_fit_mode_name(PL_FIT_STRETCH), ==, "stretch");
  g_assert_cmpstr(pl_fit_mode_name(PL_FIT_PAD), ==, "pad");
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/image/new-copy", test_new_copy);
  g_test_add_func("/image/ranges", test_ranges);
  g_test_add_func("/image/rgba", test_rgba);
  g_test_add_func("/image/fit", test_fit);
  return g_test_run();
}
