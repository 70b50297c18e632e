/* Shim benchmark (not a test): median wall time per call of each model-layer operation, for
 * batch 1 and 4 with 1 and 2 torch threads, as a markdown table.
 *
 *   bench-shim [--model DIR] [--runs N] [--device cpu|cuda|auto] [--double]
 *
 * DIR defaults to $PLORG_MODEL_DIR, else the bundled model. Each configuration is warmed up
 * (plshim_warmup plus one untimed call per operation) before its N timed runs. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "plorg_shim.h"

#ifndef BENCH_DEFAULT_MODEL
#define BENCH_DEFAULT_MODEL "models/emoji64"
#endif

enum { OP_EPS, OP_DECODE, OP_ENCODE, OP_GUIDED, OP_ENCODER_PATH, OP_DECODE_VJP, N_OPS };
static const char *op_names[N_OPS] = {
    "eps (UNet)", "decode", "encode", "guided_forward + guided_vjp", "encode_with_grad + encoder_vjp",
    "decode_vjp"};

typedef struct {
  PlShimModel *m;
  int batch;
  float *z, *x, *gx, *gz, *out_z, *out_x, *out_z2;
  int *t;
  double *abar;
} Bufs;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void check(PlShimStatus s, const char *what) {
  if (s != PLSHIM_OK) {
    fprintf(stderr, "bench-shim: %s: %s: %s\n", what, plshim_status_name(s), plshim_last_error());
    exit(1);
  }
}

static void run_op(Bufs *b, int op) {
  switch (op) {
    case OP_EPS: check(plshim_eps(b->m, b->z, b->t, b->batch, b->out_z), "eps"); break;
    case OP_DECODE: check(plshim_decode(b->m, b->z, b->batch, b->out_x), "decode"); break;
    case OP_ENCODE: check(plshim_encode(b->m, b->x, b->batch, b->out_z), "encode"); break;
    case OP_GUIDED:
      check(plshim_guided_forward(b->m, b->z, b->t, b->abar, b->batch, b->out_z, b->out_z2, b->out_x),
            "guided_forward");
      check(plshim_guided_vjp(b->m, b->gx, b->gz, b->batch, b->out_z), "guided_vjp");
      break;
    case OP_ENCODER_PATH:
      check(plshim_encode_with_grad(b->m, b->x, b->batch, b->out_z), "encode_with_grad");
      check(plshim_encoder_vjp(b->m, b->gz, b->batch, b->out_x), "encoder_vjp");
      break;
    case OP_DECODE_VJP:
      check(plshim_decode_vjp(b->m, b->z, b->gx, b->batch, b->out_x, b->out_z), "decode_vjp");
      break;
  }
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static float *filled(size_t n, unsigned *state, int uniform) {
  float *v = malloc(n * sizeof *v);
  if (!v) exit(1);
  for (size_t i = 0; i < n; i++) {
    *state = *state * 1664525u + 1013904223u;  /* LCG: inputs only need to be fixed and bounded */
    double u = (*state >> 8) / 16777216.0;
    v[i] = (float)(uniform ? 2 * u - 1 : 1.7320508 * (2 * u - 1));  /* unit variance */
  }
  return v;
}

int main(int argc, char **argv) {
  const char *model_dir = getenv("PLORG_MODEL_DIR");
  if (!model_dir || !*model_dir) model_dir = BENCH_DEFAULT_MODEL;
  int runs = 10, use_double = 0;
  PlShimDevice device = PLSHIM_DEVICE_AUTO;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--model") && i + 1 < argc) model_dir = argv[++i];
    else if (!strcmp(argv[i], "--runs") && i + 1 < argc) runs = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--double")) use_double = 1;
    else if (!strcmp(argv[i], "--device") && i + 1 < argc) {
      const char *d = argv[++i];
      device = !strcmp(d, "cpu") ? PLSHIM_DEVICE_CPU : !strcmp(d, "cuda") ? PLSHIM_DEVICE_CUDA : PLSHIM_DEVICE_AUTO;
    } else {
      fprintf(stderr, "usage: %s [--model DIR] [--runs N] [--device cpu|cuda|auto] [--double]\n", argv[0]);
      return 2;
    }
  }
  if (runs < 1) runs = 1;

  PlShimLoadParams p;
  plshim_load_params_init(&p);
  p.device = device;
  p.compute_double = use_double;
  PlShimModel *m = NULL;
  check(plshim_model_load(model_dir, &p, &m), "load");
  const PlShimManifest *man = plshim_model_manifest(m);
  PlShimRuntimeInfo info;
  plshim_runtime_info(&info);

  const int batches[] = {1, 4}, threads[] = {1, 2};
  enum { NB = 2, NT = 2 };
  double med[N_OPS][NB][NT];
  const size_t nz = (size_t)man->latent_channels * man->latent_h * man->latent_w;
  const size_t nx = (size_t)3 * man->image_size * man->image_size;
  double *times = malloc((size_t)runs * sizeof *times);
  for (int bi = 0; bi < NB; bi++) {
    unsigned state = 12345;
    Bufs b = {m, batches[bi], NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL};
    const size_t B = (size_t)b.batch;
    b.z = filled(nz * B, &state, 0);
    b.x = filled(nx * B, &state, 1);
    b.gx = filled(nx * B, &state, 0);
    b.gz = filled(nz * B, &state, 0);
    b.out_z = malloc(nz * B * sizeof(float));
    b.out_z2 = malloc(nz * B * sizeof(float));
    b.out_x = malloc(nx * B * sizeof(float));
    b.t = malloc(B * sizeof(int));
    b.abar = malloc(B * sizeof(double));
    for (size_t i = 0; i < B; i++) {
      b.t[i] = (int)(man->num_timesteps / 2 + 37 * i) % man->num_timesteps;
      b.abar[i] = 0.3;
    }
    for (int ti = 0; ti < NT; ti++) {
      plshim_set_num_threads(threads[ti]);
      check(plshim_warmup(m, b.batch), "warmup");
      for (int op = 0; op < N_OPS; op++) {
        run_op(&b, op);  /* untimed */
        for (int r = 0; r < runs; r++) {
          double t0 = now_s();
          run_op(&b, op);
          times[r] = now_s() - t0;
        }
        qsort(times, (size_t)runs, sizeof *times, cmp_double);
        med[op][bi][ti] = runs % 2 ? times[runs / 2] : 0.5 * (times[runs / 2 - 1] + times[runs / 2]);
      }
    }
    free(b.z); free(b.x); free(b.gx); free(b.gz); free(b.out_z); free(b.out_z2); free(b.out_x);
    free(b.t); free(b.abar);
  }

  printf("Model %s (%dx%d, latent %dx%dx%d), device %s, libtorch %s, %s, median of %d runs, ms per call\n\n",
         man->name, man->image_size, man->image_size, man->latent_channels, man->latent_h, man->latent_w,
         plshim_model_device(m), info.torch_version, use_double ? "float64" : "float32", runs);
  printf("| operation |");
  for (int bi = 0; bi < NB; bi++)
    for (int ti = 0; ti < NT; ti++) printf(" batch %d, %d thr |", batches[bi], threads[ti]);
  printf("\n|---|");
  for (int k = 0; k < NB * NT; k++) printf("---:|");
  printf("\n");
  for (int op = 0; op < N_OPS; op++) {
    printf("| %s |", op_names[op]);
    for (int bi = 0; bi < NB; bi++)
      for (int ti = 0; ti < NT; ti++) printf(" %.1f |", 1e3 * med[op][bi][ti]);
    printf("\n");
  }
  free(times);
  plshim_model_free(m);
  return 0;
}
