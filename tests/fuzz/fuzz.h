/* Fuzz targets: one input kind per program (record, settings, cell, image, manifest).
 * Each target file defines the three symbols below; two drivers call them:
 * fuzz_driver.c (the test suite: a fixed number of seeded mutants of the seed corpus,
 * deterministic, seconds) and libfuzzer_main.c (coverage-guided, -Dfuzzers=true, clang).
 * A target returns 1 when the input was accepted, 0 when it was rejected with a clear
 * error; anything else it finds wrong (a crash, an invariant broken, an empty error
 * message, a round trip that changes a value) aborts with a message. */
#pragma once
#include <glib.h>
#include <stddef.h>
#include <stdint.h>

extern const char *const fuzz_kind;          /* corpus folder: tests/fuzz/corpus/<kind> */
void fuzz_init(void);                        /* once, before the first input */
int fuzz_one(const uint8_t *data, size_t len);

/* Scratch folder for targets that need a file (made on first use, removed at exit). */
const char *fuzz_tmp_dir(void);
/* Write data to fuzz_tmp_dir()/name; returns the path (static storage per name length). */
char *fuzz_write_tmp(const char *name, const uint8_t *data, size_t len);
/* A rejected input must say why: abort when error is NULL or its message is empty. */
void fuzz_check_error(const GError *error, const char *what);
