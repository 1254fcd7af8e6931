/* The self-contained HTML report (`phaseprof report PATH --html FILE`): one file with inline CSS,
 * JS and SVG that opens from disk with no network.  It only formats the analysis (analysis.h),
 * plus the stacks, I/O and allocation records of each phase's time range, read from the traces. */
#ifndef PHASEPROF_REPORT_HTML_H
#define PHASEPROF_REPORT_HTML_H

#include <stdio.h>
#include "analysis.h"

/* Writes the page to out.  0 on success, -1 on a write error. */
int report_html(const pp_analysis *a, FILE *out);

#endif
