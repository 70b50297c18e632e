#include "parity_util.h"
#include <math.h>

PlImage *parity_smooth_image(int n) {
  PlImage *img = pl_image_new(3, n, n);
  for (int c = 0; c < 3; c++)
    for (int i = 0; i < n; i++)
      for (int j = 0; j < n; j++)
        img->data[((size_t)c * n + i) * n + j] =
            (float)(0.5 + 0.35 * sin(2 * G_PI * (i + 3 * c) / n) * cos(2 * G_PI * (j - c) / n));
  return img;
}

gboolean parity_write_floats(const char *dir, const char *name, const float *v, size_t n,
                             GError **error) {
  char *path = g_build_filename(dir, name, NULL);
  gboolean ok = g_file_set_contents(path, (const char *)v, (gssize)(n * sizeof(float)), error);
  g_free(path);
  return ok;
}
