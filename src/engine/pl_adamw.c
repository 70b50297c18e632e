/* AdamW as torch.optim.AdamW computes it (weight decay applied before the Adam step). */
#include "pl_adamw.h"
#include <math.h>
#include <string.h>

void pl_adamw_init(PlAdamW *o, size_t n, double lr, double weight_decay) {
  o->lr = lr;
  o->beta1 = 0.9;
  o->beta2 = 0.999;
  o->eps = 1e-8;
  o->weight_decay = weight_decay;
  o->n = n;
  o->t = 0;
  o->m = g_new0(double, n);
  o->v = g_new0(double, n);
}

void pl_adamw_clear(PlAdamW *o) {
  g_free(o->m);
  g_free(o->v);
  o->m = o->v = NULL;
}

void pl_adamw_reset(PlAdamW *o) {
  o->t = 0;
  memset(o->m, 0, o->n * sizeof *o->m);
  memset(o->v, 0, o->n * sizeof *o->v);
}

void pl_adamw_step(PlAdamW *o, float *x, const float *g) {
  o->t++;
  const double bc1 = 1.0 - pow(o->beta1, (double)o->t);
  const double bc2 = 1.0 - pow(o->beta2, (double)o->t);
  const double step = o->lr / bc1;
  const double decay = 1.0 - o->lr * o->weight_decay;
  for (size_t k = 0; k < o->n; k++) {
    double gk = g[k];
    o->m[k] = o->beta1 * o->m[k] + (1.0 - o->beta1) * gk;
    o->v[k] = o->beta2 * o->v[k] + (1.0 - o->beta2) * gk * gk;
    double denom = sqrt(o->v[k] / bc2) + o->eps;
    x[k] = (float)(x[k] * decay - step * o->m[k] / denom);
  }
}
