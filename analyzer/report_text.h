/* The terminal summary of `phaseprof report`, formatted from the analysis. */
#ifndef PHASEPROF_REPORT_TEXT_H
#define PHASEPROF_REPORT_TEXT_H
#include <stdio.h>
#include "analysis.h"
int report_text(const pp_analysis *a, FILE *out);
#endif
