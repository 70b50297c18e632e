/* Fuzz target: image files (pl_image_load: PNG and JPEG) and the PNG text reader
 * (pl_image_read_png_text), as the app and the CLI open them. */
#include "fuzz.h"
#include "pl_image.h"
#include <math.h>

const char *const fuzz_kind = "image";
void fuzz_init(void) {}

int fuzz_one(const uint8_t *data, size_t len) {
  char *path = fuzz_write_tmp("image.bin", data, len);
  GError *e = NULL;
  int accepted = 0;
  PlImage *img = pl_image_load(path, &e);
  if (img) {
    if (img->w < 1 || img->h < 1 || img->w > PL_IMAGE_MAX_SIDE || img->h > PL_IMAGE_MAX_SIDE)
      g_error("decoded a %d x %d image", img->w, img->h);
    size_t n = (size_t)img->c * img->h * img->w;
    for (size_t k = 0; k < n; k++)
      if (!(img->data[k] >= 0.0f && img->data[k] <= 1.0f))
        g_error("pixel %zu is %g, not in [0,1]", k, img->data[k]);
    pl_image_free(img);
    accepted = 1;
  } else {
    fuzz_check_error(e, "pl_image_load");
    g_clear_error(&e);
  }
  GHashTable *text = pl_image_read_png_text(path, &e);
  if (text) {
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, text);
    while (g_hash_table_iter_next(&it, &k, &v))
      if (!g_utf8_validate(k, -1, NULL) || !g_utf8_validate(v, -1, NULL))
        g_error("a PNG text chunk came back as invalid UTF-8");
    g_hash_table_unref(text);
  } else {
    fuzz_check_error(e, "pl_image_read_png_text");
    g_clear_error(&e);
  }
  g_free(path);
  return accepted;
}
