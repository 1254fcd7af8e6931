/* phaseprof marker API: optional calls a program can make to label its own phases.
 *
 *     #include <phaseprof/phaseprof.h>
 *     phaseprof_phase_begin("load");  …  phaseprof_phase_end("load");
 *     phaseprof_mark("checkpoint");
 *
 * The declarations are weak: a program built with them runs unchanged without libphaseprof.so
 * (the calls are skipped — the PHASEPROF_* macros test the symbol), and under the preload they
 * become MARK records.  No link flag is needed. */
#ifndef PHASEPROF_H
#define PHASEPROF_H

#ifdef __cplusplus
extern "C" {
#endif

void phaseprof_mark(const char *name) __attribute__((weak));
void phaseprof_phase_begin(const char *name) __attribute__((weak));
void phaseprof_phase_end(const char *name) __attribute__((weak));

#define PHASEPROF_MARK(name)        do { if (phaseprof_mark) phaseprof_mark(name); } while (0)
#define PHASEPROF_PHASE_BEGIN(name) do { if (phaseprof_phase_begin) phaseprof_phase_begin(name); } while (0)
#define PHASEPROF_PHASE_END(name)   do { if (phaseprof_phase_end) phaseprof_phase_end(name); } while (0)

#ifdef __cplusplus
}
#endif
#endif
