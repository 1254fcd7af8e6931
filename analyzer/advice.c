/* Recommendations per phase: facts -> finding -> advice (filled in next). */
#include "analysis.h"

void pp_advise(pp_analysis *a) { (void)a; }
