/* Image buffers (CHW float), range conversions, display conversion and square fitting. */
#include "pl_image.h"
#include "pl_resize.h"

#include <math.h>
#include <string.h>

G_DEFINE_QUARK(pl-image-error-quark, pl_image_error)

/* Refuse sizes whose float count would not fit comfortably in memory arithmetic. */
#define PL_IMAGE_MAX_ELEMS ((size_t)1 << 32)

PlImage *pl_image_new(int c, int h, int w)
{
  if ((c != 1 && c != 3) || h <= 0 || w <= 0)
    return NULL;
  size_t n = (size_t)c * (size_t)h * (size_t)w;
  if (n / (size_t)c / (size_t)h != (size_t)w || n > PL_IMAGE_MAX_ELEMS)
    return NULL;
  float *data = g_try_new0(float, n);
  if (data == NULL)
    return NULL;
  PlImage *img = g_new(PlImage, 1);
  img->c = c;
  img->h = h;
  img->w = w;
  img->data = data;
  return img;
}

PlImage *pl_image_copy(const PlImage *img)
{
  if (img == NULL)
    return NULL;
  PlImage *out = pl_image_new(img->c, img->h, img->w);
  if (out != NULL)
    memcpy(out->data, img->data, pl_image_len(img) * sizeof(float));
  return out;
}

void pl_image_free(PlImage *img)
{
  if (img == NULL)
    return;
  g_free(img->data);
  g_free(img);
}

void pl_image_to_model_range(PlImage *img)
{
  size_t n = pl_image_len(img);
  for (size_t i = 0; i < n; i++)
    img->data[i] = 2.0f * img->data[i] - 1.0f;
}

void pl_image_to_unit_range(PlImage *img)
{
  size_t n = pl_image_len(img);
  for (size_t i = 0; i < n; i++)
    img->data[i] = (img->data[i] + 1.0f) * 0.5f;
}

void pl_image_clamp(PlImage *img, float lo, float hi)
{
  size_t n = pl_image_len(img);
  for (size_t i = 0; i < n; i++) {
    float v = img->data[i];
    /* NaN maps to lo so that display code never sees it */
    img->data[i] = v >= lo ? (v <= hi ? v : hi) : lo;
  }
}

static guint8 to_byte(float v)
{
  if (!(v > 0.0f))
    return 0;
  if (v >= 1.0f)
    return 255;
  return (guint8)lrintf(v * 255.0f);
}

void pl_image_to_rgba8(const PlImage *img, guint8 *out)
{
  size_t np = (size_t)img->h * img->w;
  const float *r = pl_image_plane(img, 0);
  const float *g = img->c == 3 ? pl_image_plane(img, 1) : r;
  const float *b = img->c == 3 ? pl_image_plane(img, 2) : r;
  for (size_t i = 0; i < np; i++) {
    out[4 * i + 0] = to_byte(r[i]);
    out[4 * i + 1] = to_byte(g[i]);
    out[4 * i + 2] = to_byte(b[i]);
    out[4 * i + 3] = 255;
  }
}

/* Resize every plane of src (sub-rectangle y0,x0,sh,sw) into dst at (dy,dx), dh x dw. */
static void resize_into(const PlImage *src, int y0, int x0, int sh, int sw,
                        PlImage *dst, int dy, int dx, int dh, int dw)
{
  float *in = g_new(float, (size_t)sh * sw);
  float *res = g_new(float, (size_t)dh * dw);
  PlResize *rz = pl_resize_new(sh, sw, dh, dw);
  for (int ch = 0; ch < src->c; ch++) {
    const float *plane = pl_image_plane(src, ch);
    for (int y = 0; y < sh; y++)
      memcpy(in + (size_t)y * sw, plane + (size_t)(y0 + y) * src->w + x0, sw * sizeof(float));
    pl_resize_apply(rz, in, res);
    float *out = pl_image_plane(dst, ch);
    for (int y = 0; y < dh; y++)
      memcpy(out + (size_t)(dy + y) * dst->w + dx, res + (size_t)y * dw, dw * sizeof(float));
  }
  pl_resize_free(rz);
  g_free(res);
  g_free(in);
}

PlImage *pl_image_fit_square(const PlImage *img, int size, PlFitMode mode)
{
  if (img == NULL || size <= 0)
    return NULL;
  PlImage *out = pl_image_new(img->c, size, size);
  if (out == NULL)
    return NULL;
  int h = img->h, w = img->w;
  switch (mode) {
  case PL_FIT_STRETCH:
    resize_into(img, 0, 0, h, w, out, 0, 0, size, size);
    break;
  case PL_FIT_PAD: {
    /* the longer side becomes `size`, the shorter one keeps the aspect ratio */
    int dh = h >= w ? size : (int)lround((double)h * size / w);
    int dw = w >= h ? size : (int)lround((double)w * size / h);
    dh = MAX(dh, 1);
    dw = MAX(dw, 1);
    for (size_t i = 0; i < pl_image_len(out); i++)
      out->data[i] = 1.0f;
    resize_into(img, 0, 0, h, w, out, (size - dh) / 2, (size - dw) / 2, dh, dw);
    break;
  }
  case PL_FIT_CENTER_CROP:
  default: {
    int side = MIN(h, w);
    resize_into(img, (h - side) / 2, (w - side) / 2, side, side, out, 0, 0, size, size);
    break;
  }
  }
  /* bicubic overshoots at edges; files and metrics expect [0,1] */
  pl_image_clamp(out, 0.0f, 1.0f);
  return out;
}

const char *pl_fit_mode_name(PlFitMode mode)
{
  switch (mode) {
  case PL_FIT_CENTER_CROP: return "crop";
  case PL_FIT_STRETCH: return "stretch";
  case PL_FIT_PAD: return "pad";
  default: return "unknown";
  }
}
