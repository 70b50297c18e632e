/* AdamW (Loshchilov & Hutter; torch.optim.AdamW's update, decoupled weight decay) on a
 * float vector. ReSample optimises with it in pixel and latent space. */
#pragma once
#include <glib.h>
#include <stddef.h>

G_BEGIN_DECLS

typedef struct {
  double lr, beta1, beta2, eps, weight_decay;
  size_t n;
  long t;       /* steps taken */
  double *m, *v;
} PlAdamW;

/* torch's defaults: betas (0.9, 0.999), eps 1e-8. */
void pl_adamw_init(PlAdamW *o, size_t n, double lr, double weight_decay);
void pl_adamw_clear(PlAdamW *o);
void pl_adamw_reset(PlAdamW *o);
/* x <- x - lr * (wd * x + mhat / (sqrt(vhat) + eps)), with the moments updated from g. */
void pl_adamw_step(PlAdamW *o, float *x, const float *g);

G_END_DECLS
