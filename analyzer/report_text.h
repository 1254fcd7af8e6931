/* The terminal summary of `phaseprof report`. */
#ifndef PHASEPROF_REPORT_TEXT_H
#define PHASEPROF_REPORT_TEXT_H
#include <stdio.h>
#include "reader.h"
typedef struct pp_report_filter {
    uint64_t pid;          /* 0: every process */
    int has_range;
    double from, to;       /* seconds from the root process's start */
} pp_report_filter;
int report_text(pp_set *set, const pp_report_filter *flt, FILE *out);
#endif
