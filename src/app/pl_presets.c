/* PlPresets: built-in table, user presets in JSON. */
#include "pl_presets.h"
#include "pl_run_record.h"
#include <json-glib/json-glib.h>
#include "pl_json_guard.h"
#include "pl_json_write.h"
#include <errno.h>
#include <math.h>

/* Interactive step counts: short enough to watch on a CPU, long enough for the solvers'
 * behaviour (ReSample's events, PLoRG's rank decay) to show. The large-step comparisons
 * run at the solvers' default 250 steps: at 100 PSLD's collapse on SR x4 does not appear
 * (docs/FIDELITY.md, section 8). */
#define STEPS_INTERACTIVE 100
#define STEPS_LARGE_STEP 250

/* Step sizes are multiples of the solver's default (pl_run_params_init) at the default
 * step count, rescaled to the preset's step count: PSLD's and DPS's guidance accumulates
 * over the steps, so the same total push at 100 instead of 250 steps needs 2.5x the step.
 * The "large step" multiples and the samples the compare presets open on come from the
 * calibration sweep in scripts/presets/calibrate.sh (numbers in docs/PRESETS.md); the
 * slow test tests/app/test-presets-calibration.c checks that on its sample each large-step
 * comparison shows PLoRG-PSLD at least 3 dB above PSLD. */
#define LARGE_STEP_BOX 10.0
#define LARGE_STEP_SR 30.0
#define SAMPLE_BOX "twitter-1f935-1f3fd-200d-2640-fe0f.png"
#define SAMPLE_SR "google-1f468-1f3fd.png"

typedef struct {
  const char *name, *label, *section;
  PlTask task;
  PlSolver solver;
  gboolean plorg, compare;
  double omega_factor;
  int steps;            /* 0: STEPS_INTERACTIVE */
  const char *sample;   /* bundled image the preset opens on, or NULL: keep the current one */
} Builtin;

static const Builtin builtins[] = {
  {"compare-psld-large-box", "PSLD vs PLoRG-PSLD, large step (box)", "Compare",
   PL_TASK_INPAINT_BOX, PL_SOLVER_PSLD, FALSE, TRUE, LARGE_STEP_BOX, STEPS_LARGE_STEP, SAMPLE_BOX},
  {"compare-psld-large-sr4", "PSLD vs PLoRG-PSLD, large step (SR ×4)", "Compare",
   PL_TASK_SUPER_RESOLUTION, PL_SOLVER_PSLD, FALSE, TRUE, LARGE_STEP_SR, STEPS_LARGE_STEP, SAMPLE_SR},
  {"compare-psld-box", "PSLD vs PLoRG-PSLD (box)", "Compare",
   PL_TASK_INPAINT_BOX, PL_SOLVER_PSLD, FALSE, TRUE, 1.0, 0, NULL},
  {"compare-resample-phase", "ReSample vs PLoRG-ReSample (phase retrieval)", "Compare",
   PL_TASK_PHASE_RETRIEVAL, PL_SOLVER_RESAMPLE, FALSE, TRUE, 1.0, 0, NULL},
  {"box-psld", "Box inpainting · PSLD", "PSLD", PL_TASK_INPAINT_BOX, PL_SOLVER_PSLD, FALSE, FALSE, 1.0, 0, NULL},
  {"box-plorg-psld", "Box inpainting · PLoRG-PSLD", "PSLD", PL_TASK_INPAINT_BOX, PL_SOLVER_PSLD, TRUE, FALSE, 1.0, 0, NULL},
  {"random-plorg-psld", "Random inpainting · PLoRG-PSLD", "PSLD", PL_TASK_INPAINT_RANDOM, PL_SOLVER_PSLD, TRUE, FALSE, 1.0, 0, NULL},
  {"gblur-plorg-psld", "Gaussian blur · PLoRG-PSLD", "PSLD", PL_TASK_GAUSSIAN_BLUR, PL_SOLVER_PSLD, TRUE, FALSE, 1.0, 0, NULL},
  {"mblur-plorg-psld", "Motion blur · PLoRG-PSLD", "PSLD", PL_TASK_MOTION_BLUR, PL_SOLVER_PSLD, TRUE, FALSE, 1.0, 0, NULL},
  {"sr4-plorg-psld", "Super-resolution ×4 · PLoRG-PSLD", "PSLD", PL_TASK_SUPER_RESOLUTION, PL_SOLVER_PSLD, TRUE, FALSE, 1.0, 0, NULL},
  {"mask-plorg-psld", "Drawn mask · PLoRG-PSLD", "PSLD", PL_TASK_INPAINT_MASK, PL_SOLVER_PSLD, TRUE, FALSE, 1.0, 0, NULL},
  {"box-plorg-resample", "Box inpainting · PLoRG-ReSample", "ReSample and Latent-DPS", PL_TASK_INPAINT_BOX, PL_SOLVER_RESAMPLE, TRUE, FALSE, 1.0, 0, NULL},
  {"phase-plorg-resample", "Phase retrieval · PLoRG-ReSample", "ReSample and Latent-DPS", PL_TASK_PHASE_RETRIEVAL, PL_SOLVER_RESAMPLE, TRUE, FALSE, 1.0, 0, NULL},
  {"box-dps", "Box inpainting · Latent-DPS", "ReSample and Latent-DPS", PL_TASK_INPAINT_BOX, PL_SOLVER_DPS, FALSE, FALSE, 1.0, 0, NULL},
  {"gblur-plorg-dps", "Gaussian blur · PLoRG-Latent-DPS", "ReSample and Latent-DPS", PL_TASK_GAUSSIAN_BLUR, PL_SOLVER_DPS, TRUE, FALSE, 1.0, 0, NULL},
};

struct _PlPresets {
  GObject parent_instance;
  char *path;
  int image_size;
  GPtrArray *items;   /* PlPreset*, built-ins first */
};

G_DEFINE_FINAL_TYPE(PlPresets, pl_presets, G_TYPE_OBJECT)

enum { SIGNAL_CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void preset_free(gpointer data) {
  PlPreset *p = data;
  g_free(p->id);
  g_free(p->label);
  g_free(p->section);
  g_free(p->sample);
  g_free(p);
}

void pl_presets_scale_steps(PlRunParams *rp, int steps) {
  int from = rp->steps;
  if (from <= 0 || steps <= 0 || steps == from)
    return;
  double k = (double)steps / from;
  rp->steps = steps;
  /* -1 means "the reference rule for any step count": nothing to scale. */
  if (rp->resample.window_start >= 0)
    rp->resample.window_start = (int)lround(rp->resample.window_start * k);
  if (rp->resample.window_end >= 0)
    rp->resample.window_end = MAX(1, (int)lround(rp->resample.window_end * k));
  if (rp->resample.pixel_events >= 0)
    rp->resample.pixel_events = (int)lround(rp->resample.pixel_events * k);
  rp->resample.event_every = MAX(1, (int)lround(rp->resample.event_every * k));
}

static PlPreset *builtin_make(const Builtin *b, int size) {
  PlPreset *p = g_new0(PlPreset, 1);
  p->id = g_strconcat("builtin:", b->name, NULL);
  p->label = g_strdup(b->label);
  p->section = g_strdup(b->section);
  p->builtin = TRUE;
  p->compare = b->compare;
  p->sample = g_strdup(b->sample);
  pl_run_params_init(&p->run, b->solver);
  int steps = b->steps > 0 ? b->steps : STEPS_INTERACTIVE;
  double per_step = 1.0;
  if (b->solver == PL_SOLVER_PSLD || b->solver == PL_SOLVER_DPS)
    per_step = (double)p->run.steps / steps;
  pl_presets_scale_steps(&p->run, steps);
  p->run.plorg.enabled = b->plorg;
  p->run.omega *= b->omega_factor * per_step;
  pl_operator_params_init(&p->op, b->task, size);
  return p;
}

static void rebuild_builtins(PlPresets *self) {
  guint user_from = 0;
  while (user_from < self->items->len && ((PlPreset *)self->items->pdata[user_from])->builtin)
    user_from++;
  g_ptr_array_remove_range(self->items, 0, user_from);
  for (guint i = 0; i < G_N_ELEMENTS(builtins); i++)
    g_ptr_array_insert(self->items, i, builtin_make(&builtins[i], self->image_size));
}

static void pl_presets_finalize(GObject *object) {
  PlPresets *self = PL_PRESETS(object);
  g_free(self->path);
  g_ptr_array_unref(self->items);
  G_OBJECT_CLASS(pl_presets_parent_class)->finalize(object);
}

static void pl_presets_class_init(PlPresetsClass *klass) {
  G_OBJECT_CLASS(klass)->finalize = pl_presets_finalize;
  signals[SIGNAL_CHANGED] = g_signal_new("changed", G_TYPE_FROM_CLASS(klass),
                                         G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                         G_TYPE_NONE, 0);
}

static void pl_presets_init(PlPresets *self) {
  self->items = g_ptr_array_new_with_free_func(preset_free);
  self->image_size = 64;
}

PlPresets *pl_presets_new(const char *path) {
  PlPresets *self = g_object_new(PL_TYPE_PRESETS, NULL);
  self->path = path ? g_strdup(path)
                    : g_build_filename(g_get_user_config_dir(), "plorg-studio", "presets.json", NULL);
  rebuild_builtins(self);
  return self;
}

const char *pl_presets_get_path(PlPresets *self) { return self->path; }

void pl_presets_set_image_size(PlPresets *self, int n) {
  if (n <= 0 || n == self->image_size)
    return;
  self->image_size = n;
  rebuild_builtins(self);
  g_signal_emit(self, signals[SIGNAL_CHANGED], 0);
}

guint pl_presets_get_count(PlPresets *self) { return self->items->len; }

const PlPreset *pl_presets_get(PlPresets *self, guint i) {
  return i < self->items->len ? self->items->pdata[i] : NULL;
}

const PlPreset *pl_presets_lookup(PlPresets *self, const char *id) {
  for (guint i = 0; id && i < self->items->len; i++) {
    const PlPreset *p = self->items->pdata[i];
    if (g_str_equal(p->id, id))
      return p;
  }
  return NULL;
}

static PlPreset *user_from_json(JsonObject *o, GError **error) {
  const char *name = json_object_get_string_member_with_default(o, "name", NULL);
  JsonNode *params = json_object_get_member(o, "params");
  if (!name || !*name || !params) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "a preset without name or params");
    return NULL;
  }
  g_autofree char *json = pl_json_to_string(params, FALSE, NULL); /* exact numbers */
  PlPreset *p = g_new0(PlPreset, 1);
  if (!pl_run_params_from_json(json, &p->run, &p->op, error)) {
    g_prefix_error(error, "preset “%s”: ", name);
    g_free(p);
    return NULL;
  }
  p->op.mask = NULL;
  p->id = g_strconcat("user:", name, NULL);
  p->label = g_strdup(name);
  p->section = g_strdup("My presets");
  p->compare = json_object_get_boolean_member_with_default(o, "compare", FALSE);
  return p;
}

gboolean pl_presets_load(PlPresets *self, GError **error) {
  g_autofree char *text = NULL;
  gsize len = 0;
  GError *local = NULL;
  if (!g_file_get_contents(self->path, &text, &len, &local)) {
    gboolean missing = g_error_matches(local, G_FILE_ERROR, G_FILE_ERROR_NOENT);
    if (missing)
      g_error_free(local);
    else
      g_propagate_error(error, local);
    return missing;
  }
  /* size and depth checked before parsing: a presets file may come from anywhere */
  g_autoptr(JsonParser) parser = pl_json_parse_data(text, len, &pl_json_limits_settings, error);
  if (!parser) {
    g_prefix_error(error, "%s: ", self->path);
    return FALSE;
  }
  JsonNode *root = json_parser_get_root(parser);
  JsonArray *list = NULL;
  if (root && JSON_NODE_HOLDS_OBJECT(root)) {
    JsonNode *n = json_object_get_member(json_node_get_object(root), "presets");
    if (n && JSON_NODE_HOLDS_ARRAY(n))
      list = json_node_get_array(n);
  }
  if (!list) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                "%s: no “presets” list", self->path);
    return FALSE;
  }
  /* Drop the old user presets, keep built-ins. */
  while (self->items->len > G_N_ELEMENTS(builtins))
    g_ptr_array_remove_index(self->items, self->items->len - 1);
  gboolean ok = TRUE;
  for (guint i = 0; i < json_array_get_length(list); i++) {
    JsonNode *n = json_array_get_element(list, i);
    if (!JSON_NODE_HOLDS_OBJECT(n))
      continue;
    GError *e = NULL;
    PlPreset *p = user_from_json(json_node_get_object(n), &e);
    if (p) {
      g_ptr_array_add(self->items, p);
    } else if (ok) {  /* report the first bad one, keep the good ones */
      g_propagate_error(error, e);
      ok = FALSE;
    } else {
      g_error_free(e);
    }
  }
  g_signal_emit(self, signals[SIGNAL_CHANGED], 0);
  return ok;
}

static gboolean save_file(PlPresets *self, GError **error) {
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "version");
  json_builder_add_int_value(b, 1);
  json_builder_set_member_name(b, "presets");
  json_builder_begin_array(b);
  for (guint i = 0; i < self->items->len; i++) {
    const PlPreset *p = self->items->pdata[i];
    if (p->builtin)
      continue;
    g_autofree char *params = pl_run_params_to_json(&p->run, &p->op);
    JsonNode *node = json_from_string(params, error);
    if (!node)
      return FALSE;
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "name");
    json_builder_add_string_value(b, p->label);
    json_builder_set_member_name(b, "compare");
    json_builder_add_boolean_value(b, p->compare);
    json_builder_set_member_name(b, "params");
    json_builder_add_value(b, node);
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  json_builder_end_object(b);
  g_autoptr(JsonNode) root = json_builder_get_root(b);
  g_autofree char *text = pl_json_to_string(root, TRUE, NULL); /* 1e30 as 1e+30, not 1e+30.0 */
  g_autofree char *dir = g_path_get_dirname(self->path);
  if (g_mkdir_with_parents(dir, 0700) != 0) {
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "cannot create %s", dir);
    return FALSE;
  }
  /* g_file_set_contents writes a temporary file and renames it over the target. */
  return g_file_set_contents(self->path, text, -1, error);
}

gboolean pl_presets_save_user(PlPresets *self, const char *name, gboolean compare,
                              const PlRunParams *run, const PlOperatorParams *op,
                              GError **error) {
  g_autofree char *clean = g_strstrip(g_strdup(name ? name : ""));
  if (!*clean) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "a preset needs a name");
    return FALSE;
  }
  g_autofree char *id = g_strconcat("user:", clean, NULL);
  PlPreset *p = g_new0(PlPreset, 1);
  p->id = g_steal_pointer(&id);
  p->label = g_strdup(clean);
  p->section = g_strdup("My presets");
  p->compare = compare;
  p->run = *run;
  p->op = *op;
  p->op.mask = NULL;
  guint at;
  for (at = 0; at < self->items->len; at++)
    if (g_str_equal(((PlPreset *)self->items->pdata[at])->id, p->id))
      break;
  PlPreset *old = NULL;
  if (at < self->items->len) {
    old = self->items->pdata[at];
    self->items->pdata[at] = p;
  } else {
    g_ptr_array_add(self->items, p);
  }
  if (!save_file(self, error)) {
    /* Keep memory and file in agreement. */
    if (old) {
      self->items->pdata[at] = old;
      preset_free(p);
    } else {
      g_ptr_array_remove_index(self->items, self->items->len - 1);  /* frees p */
    }
    return FALSE;
  }
  if (old)
    preset_free(old);
  g_signal_emit(self, signals[SIGNAL_CHANGED], 0);
  return TRUE;
}

gboolean pl_presets_delete_user(PlPresets *self, const char *id, GError **error) {
  for (guint i = 0; i < self->items->len; i++) {
    PlPreset *p = self->items->pdata[i];
    if (p->builtin || !g_str_equal(p->id, id))
      continue;
    PlPreset *taken = g_ptr_array_steal_index(self->items, i);
    if (!save_file(self, error)) {
      g_ptr_array_insert(self->items, (gint)i, taken);
      return FALSE;
    }
    preset_free(taken);
    g_signal_emit(self, signals[SIGNAL_CHANGED], 0);
    return TRUE;
  }
  g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no user preset “%s”", id);
  return FALSE;
}
