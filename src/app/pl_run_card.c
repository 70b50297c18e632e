/* PlRunCard: a labelled image tile. */
#include "pl_run_card.h"

struct _PlRunCard {
  GtkBox parent_instance;
  GtkLabel *title_label, *metrics_label;
  PlImageView *view;
  GtkProgressBar *progress;
};

G_DEFINE_FINAL_TYPE(PlRunCard, pl_run_card, GTK_TYPE_BOX)

PlRunCard *pl_run_card_new(const char *title) {
  PlRunCard *self = g_object_new(PL_TYPE_RUN_CARD, NULL);
  pl_run_card_set_title(self, title);
  return self;
}

void pl_run_card_set_title(PlRunCard *self, const char *title) {
  gtk_label_set_text(self->title_label, title ? title : "");
}

const char *pl_run_card_get_title(PlRunCard *self) { return gtk_label_get_text(self->title_label); }

void pl_run_card_set_progress(PlRunCard *self, double fraction, const char *text) {
  gtk_widget_set_visible(GTK_WIDGET(self->progress), fraction >= 0);
  if (fraction >= 0) {
    gtk_progress_bar_set_fraction(self->progress, CLAMP(fraction, 0, 1));
    gtk_progress_bar_set_text(self->progress, text);
  }
}

void pl_run_card_set_metrics(PlRunCard *self, const char *text) {
  gtk_label_set_text(self->metrics_label, text ? text : "");
}

const char *pl_run_card_get_metrics(PlRunCard *self) { return gtk_label_get_text(self->metrics_label); }
PlImageView *pl_run_card_get_view(PlRunCard *self) { return self->view; }

static void pl_run_card_dispose(GObject *object) {
  gtk_widget_dispose_template(GTK_WIDGET(object), PL_TYPE_RUN_CARD);
  G_OBJECT_CLASS(pl_run_card_parent_class)->dispose(object);
}

static void pl_run_card_class_init(PlRunCardClass *klass) {
  GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
  G_OBJECT_CLASS(klass)->dispose = pl_run_card_dispose;
  g_type_ensure(PL_TYPE_IMAGE_VIEW);
  gtk_widget_class_set_template_from_resource(wc, "/org/plorg/Studio/pl-run-card.ui");
  gtk_widget_class_bind_template_child(wc, PlRunCard, title_label);
  gtk_widget_class_bind_template_child(wc, PlRunCard, metrics_label);
  gtk_widget_class_bind_template_child(wc, PlRunCard, view);
  gtk_widget_class_bind_template_child(wc, PlRunCard, progress);
}

static void pl_run_card_init(PlRunCard *self) {
  gtk_widget_init_template(GTK_WIDGET(self));
  pl_run_card_set_progress(self, -1, NULL);
}
