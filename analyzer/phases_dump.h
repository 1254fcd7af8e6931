/* The JSON report (schema phaseprof-report/1, docs/report.md) written from the analysis. */
#ifndef PHASEPROF_PHASES_DUMP_H
#define PHASEPROF_PHASES_DUMP_H
#include <stdio.h>
#include "analysis.h"
int phases_dump_analysis(const pp_analysis *a, FILE *out);
#endif
