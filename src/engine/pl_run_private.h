/* The run object's fields, shared by pl_run*.c. Not installed. */
#pragma once
#include "pl_engine_private.h"

G_BEGIN_DECLS

typedef struct {
  PlStepCallback on_step;
  PlDoneCallback on_done;
  gpointer user_data;
} PlObserver;

typedef struct {
  char *name;
  double value;
  int step;                    /* apply at this step (-1: the next one) */
} PlPendingChange;

typedef struct {
  int step;               /* the latent is the input of this step */
  float *z;               /* batch x zlen */
  float *z0;              /* z0_hat computed at this step */
  PlStepReport *report;   /* without images */
} PlHistoryEntry;

struct PlRun {
  gatomicrefcount ref;
  PlModel *model;
  PlRunParams params;          /* as created */
  PlRunParams live;            /* in effect; changed only by the executing thread */
  /* inputs, owned copies */
  PlRunInputs inputs;
  float *mask;
  PlImage *clean;
  float *y;
  float *z_init;               /* batch x zlen: latent at params.start_step */
  gboolean z_init_given;       /* inputs->z_start was given (record it) */
  char *image_path;
  PlOperator *op;
  int C, H, W;
  size_t zlen;
  int branch_parent_step;      /* -1 unless made by pl_run_new_branch */
  /* control, under lock */
  GMutex lock;
  GCond cond;
  PlRunState state;
  GError *error;
  gint cancel;                 /* atomic */
  gboolean started;
  gboolean pause_requested;
  int step_grants;
  gboolean preview_requested;
  GArray *pending;             /* PlPendingChange */
  GPtrArray *changes;          /* PlParamChange* */
  GArray *observers;           /* PlObserver */
  GThread *thread;
  int current_step;            /* next step to run */
  double elapsed;
  GPtrArray *history;          /* PlHistoryEntry* */
  GPtrArray *reports;          /* PlStepReport* of every step, without images */
  /* results (set when the run ends) */
  float *z_final;              /* FINISHED only */
  float *z0_last;              /* last good z0_hat */
  float *z_current;            /* latest latent (input of the next step) */
  gboolean have_z0;
  PlImage **results;           /* batch */
  double *psnr, *ssim, *residual;
  double *psnr_pasted, *ssim_pasted; /* inpainting: of the result with the known pixels pasted */
  double *lpips;               /* batch, or NULL: not computed (pl_run_lpips.c) */
  double *lpips_pasted;        /* batch, or NULL (with lpips, inpainting only) */
  char *lpips_net;             /* "alex"/"vgg" when lpips is set */
  PlNoiseTap noise_tap;        /* pl_run_set_noise_tap */
  gpointer noise_tap_data;
};

void pl_run_execute_loop(PlRun *run);                    /* pl_run_exec.c */
void pl_history_entry_free(gpointer p);
void pl_param_change_free(gpointer p);
/* After the steps: decode the results and compute the metrics (caller holds no lock). */
gboolean pl_run_make_results(PlRun *run, const float *z, GError **error);
const char *pl_run_record_image_path(PlRun *run);
/* New image: mask * clean + (1 - mask) * result, or NULL when the run does not paste
 * (not inpainting, or no ground truth). result and clean are [0,1] images. */
PlImage *pl_run_paste_known(PlRun *run, const PlImage *result);

G_END_DECLS
