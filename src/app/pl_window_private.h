/* PlWindow's instance struct, shared by its implementation files (pl_window*.c). */
#pragma once
#include "pl_window.h"
#include "pl_run_controller.h"

struct _PlWindow {
  GtkApplicationWindow parent_instance;
  /* template */
  GtkWidget *run_button, *pause_button, *resume_button, *sidebar;
  GtkLabel *subtitle_label, *banner_label;
  GtkRevealer *banner_revealer;
  GtkMenuButton *presets_button;
  GtkSpinner *spinner;
  GtkStack *main_stack;
  PlLiveView *live_view;
  PlCompareView *compare_view;
  PlImagePanel *image_panel;
  PlDegradationPanel *degradation_panel;
  PlSolverPanel *solver_panel;
  PlPlorgPanel *plorg_panel;
  /* state */
  PlRunController *current;   /* single run shown in the live view */
  PlStallMeter *meter;
  GCancellable *cancellable;
  guint pending_exports;
  char *last_export;
  char *model_note;           /* "model · device" for the subtitle */
  gboolean presentation;
  int measure_steps;
  guint measure_id;
  GMenu *presets_menu;
  gboolean pending_compare;   /* a compare preset waits for the model/image */
};

/* pl_window_run.c */
void pl_window_run_actions_init(PlWindow *self);
void pl_window_update_actions(PlWindow *self);
void pl_window_forward_live(PlWindow *self, const char *name, double value);
void pl_window_forward_preview_every(PlWindow *self, int n);
void pl_window_start_compare(PlWindow *self);
void pl_window_stop_all(PlWindow *self);
/* Every controller that is running or paused (single and compare). */
GPtrArray *pl_window_active_controllers(PlWindow *self);
char *pl_window_run_label(const PlRunParams *rp);

/* pl_window.c */
void pl_window_maybe_start_pending(PlWindow *self);

/* pl_window_export.c */
void pl_window_export_actions_init(PlWindow *self);
