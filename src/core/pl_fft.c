/* Shared FFTW helpers: the planner lock and fast transform lengths. */
#include "pl_operator_private.h"

static GMutex planner_mutex;

void pl_fft_planner_lock(void)
{
  g_mutex_lock(&planner_mutex);
}

void pl_fft_planner_unlock(void)
{
  g_mutex_unlock(&planner_mutex);
}

int pl_fft_good_size(int n)
{
  for (int m = MAX(n, 1);; m++) {
    int r = m;
    for (int f = 2; f <= 7; f++)
      while (r % f == 0)
        r /= f;
    if (r == 1)
      return m;
  }
}
