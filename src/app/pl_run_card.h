/* PlRunCard: one tile of the compare view: a title, an image, progress and metrics. */
#pragma once
#include <gtk/gtk.h>
#include "pl_image_view.h"

G_BEGIN_DECLS

#define PL_TYPE_RUN_CARD (pl_run_card_get_type())
G_DECLARE_FINAL_TYPE(PlRunCard, pl_run_card, PL, RUN_CARD, GtkBox)

PlRunCard *pl_run_card_new(const char *title);
void pl_run_card_set_title(PlRunCard *self, const char *title);
const char *pl_run_card_get_title(PlRunCard *self);
/* progress < 0 hides the bar. */
void pl_run_card_set_progress(PlRunCard *self, double fraction, const char *text);
void pl_run_card_set_metrics(PlRunCard *self, const char *text);
const char *pl_run_card_get_metrics(PlRunCard *self);
PlImageView *pl_run_card_get_view(PlRunCard *self);

G_END_DECLS
