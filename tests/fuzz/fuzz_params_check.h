/* Round trip of accepted parameters: written and read back, they must write the same
 * text again (every number exact, pl_json_write.h), and that text must be JSON. */
#pragma once
#include "pl_run_record.h"

void fuzz_check_params_round_trip(const PlRunParams *p, const PlOperatorParams *op);
