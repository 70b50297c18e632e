/* PLoRG Studio entry point: process set-up, then the application. */
#include "pl_application.h"
#include "pl_process.h"

int main(int argc, char **argv) {
  /* Before any library starts threads (see pl_process.h). */
  pl_process_ensure_omp_passive(argc, argv);
  g_autoptr(PlApplication) app = pl_application_new(G_APPLICATION_DEFAULT_FLAGS);
  return g_application_run(G_APPLICATION(app), argc, argv);
}
