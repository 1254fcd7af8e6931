/* The --top view of `phaseprof report`. */
#ifndef PHASEPROF_REPORT_TOP_H
#define PHASEPROF_REPORT_TOP_H
#include <stdio.h>
#include "reader.h"
int report_top(pp_set *set, FILE *out, int top_n, int depth);
#endif
