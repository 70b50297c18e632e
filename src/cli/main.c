/* plorg: the command line of PLoRG Studio. Dispatches to one file per subcommand. */
#include "plorg_cli.h"
#include "pl_process.h"
#include <stdio.h>
#include <string.h>

static void usage(FILE *f) {
  fprintf(f,
          "Usage: plorg COMMAND [OPTIONS]\n\n"
          "Latent-diffusion inverse-problem solvers with the PLoRG projection.\n\n"
          "Commands:\n"
          "  run      reconstruct one image with one solver configuration\n"
          "  sweep    run a grid (solvers x PLoRG x step sizes x tasks x images), resumable\n"
          "  info     show a model bundle's manifest, parameter counts and devices\n\n"
          "  plorg COMMAND --help   options of a command\n"
          "  plorg --version        version\n\n"
          "Exit codes: 0 ok, 1 runtime failure, 2 usage error, 3 diverged.\n");
}

int main(int argc, char **argv) {
  pl_process_ensure_omp_passive(argc, argv);
  plorg_signals_init();
  if (argc < 2) {
    usage(stderr);
    fprintf(stderr, "\nplorg: give a command (run, sweep or info)\n");
    return PLORG_EXIT_USAGE;
  }
  const char *cmd = argv[1];
  if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
    usage(stdout);
    return PLORG_EXIT_OK;
  }
  if (!strcmp(cmd, "--version")) {
    printf("plorg %s\n", pl_engine_version());
    return PLORG_EXIT_OK;
  }
  /* the subcommand sees argv[1..] with its name as argv[0] */
  char *prog = g_strdup_printf("plorg %s", cmd);
  char **sub = g_new0(char *, argc);
  sub[0] = prog;
  for (int k = 2; k < argc; k++)
    sub[k - 1] = argv[k];
  int sub_argc = argc - 1;
  int rc;
  if (!strcmp(cmd, "run"))
    rc = plorg_cmd_run(sub_argc, sub);
  else if (!strcmp(cmd, "sweep"))
    rc = plorg_cmd_sweep(sub_argc, sub);
  else if (!strcmp(cmd, "info"))
    rc = plorg_cmd_info(sub_argc, sub);
  else {
    fprintf(stderr, "plorg: unknown command \"%s\" (run, sweep or info; plorg --help)\n", cmd);
    rc = PLORG_EXIT_USAGE;
  }
  g_free(sub);
  g_free(prog);
  return rc;
}
