/* Step reports: allocation, deep copy, free, and the images they carry. Plain data so
 * observers can keep copies. */
#include "pl_engine_private.h"
#include <math.h>
#include <string.h>

PlStepReport *pl_step_report_new(int batch, int channels, int kmax) {
  PlStepReport *r = g_new0(PlStepReport, 1);
  r->batch = batch;
  r->channels = channels;
  r->kmax = kmax;
  r->sample = g_new0(PlSampleStats, batch);
  for (int b = 0; b < batch; b++) {
    PlSampleStats *s = &r->sample[b];
    s->ranks = g_new0(int, channels);
    s->singular_values = g_new0(double, (size_t)channels * kmax);
    s->loss_meas = s->loss_glue = s->residual = NAN;
    s->grad_norm = s->grad_norm_projected = NAN;
  }
  return r;
}

static PlImage **copy_images(PlImage *const *imgs, int n) {
  if (!imgs)
    return NULL;
  PlImage **out = g_new0(PlImage *, n);
  for (int i = 0; i < n; i++)
    out[i] = imgs[i] ? pl_image_copy(imgs[i]) : NULL;
  return out;
}

static void free_images(PlImage **imgs, int n) {
  if (!imgs)
    return;
  for (int i = 0; i < n; i++)
    pl_image_free(imgs[i]);
  g_free(imgs);
}

void pl_step_report_drop_images(PlStepReport *r) {
  free_images(r->x0_preview, r->batch);
  free_images(r->zt_preview, r->batch);
  r->x0_preview = r->zt_preview = NULL;
}

PlStepReport *pl_step_report_copy(const PlStepReport *r) {
  if (!r)
    return NULL;
  PlStepReport *c = g_new(PlStepReport, 1);
  *c = *r;
  c->sample = g_new(PlSampleStats, r->batch);
  for (int b = 0; b < r->batch; b++) {
    c->sample[b] = r->sample[b];
    c->sample[b].ranks = g_memdup2(r->sample[b].ranks, sizeof(int) * r->channels);
    c->sample[b].singular_values =
        g_memdup2(r->sample[b].singular_values, sizeof(double) * r->channels * r->kmax);
  }
  c->x0_preview = copy_images(r->x0_preview, r->batch);
  c->zt_preview = copy_images(r->zt_preview, r->batch);
  return c;
}

PlStepReport *pl_step_report_copy_no_images(const PlStepReport *r) {
  PlStepReport tmp = *r;
  tmp.x0_preview = tmp.zt_preview = NULL;
  return pl_step_report_copy(&tmp);
}

void pl_step_report_free(PlStepReport *r) {
  if (!r)
    return;
  for (int b = 0; b < r->batch; b++) {
    g_free(r->sample[b].ranks);
    g_free(r->sample[b].singular_values);
  }
  g_free(r->sample);
  pl_step_report_drop_images(r);
  g_free(r);
}

PlImage *pl_x_to_unit_image(const float *x, int n) {
  PlImage *img = pl_image_new(3, n, n);
  memcpy(img->data, x, pl_image_len(img) * sizeof(float));
  pl_image_to_unit_range(img);
  pl_image_clamp(img, 0.0f, 1.0f);
  return img;
}

PlImage *pl_latent_to_image(const float *z, int C, int H, int W) {
  /* three channels show as RGB; other counts as grey tiles side by side */
  gboolean rgb = (C == 3);
  PlImage *img = rgb ? pl_image_new(3, H, W) : pl_image_new(1, H, W * C);
  for (int c = 0; c < C; c++) {
    const float *zc = z + (size_t)c * H * W;
    float lo = zc[0], hi = zc[0];
    for (int k = 1; k < H * W; k++) {
      lo = MIN(lo, zc[k]);
      hi = MAX(hi, zc[k]);
    }
    float span = hi > lo ? hi - lo : 1.0f;
    for (int yy = 0; yy < H; yy++)
      for (int xx = 0; xx < W; xx++) {
        float v = (zc[yy * W + xx] - lo) / span;
        if (rgb)
          img->data[(size_t)c * H * W + yy * W + xx] = v;
        else
          img->data[(size_t)yy * W * C + c * W + xx] = v;
      }
  }
  return img;
}
