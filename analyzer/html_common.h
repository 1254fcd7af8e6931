/* Helpers shared by the HTML report's parts (report_html.c, html_timeline.c, html_phase.c,
 * html_assets.c): escaping of untrusted text for markup, attributes and script-embedded JSON,
 * human-readable numbers, and the class colours the page uses everywhere. */
#ifndef PHASEPROF_HTML_COMMON_H
#define PHASEPROF_HTML_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include "analysis.h"
#include "util.h"

/* Text from a trace into markup or a quoted attribute (NULL shows as "?"). */
void h_esc(pp_buf *b, const char *s);
/* A JSON string with its quotes, safe inside <script>: '<', '>' and '&' become \u003c etc., so
 * the data can never close the script element or open a comment. */
void h_json(pp_buf *b, const void *s, size_t n);
void h_jsonz(pp_buf *b, const char *s);
/* A number for JSON or an attribute: NAN and infinities become null. */
void h_num(pp_buf *b, double v);

/* "1.234 s", "12.3 ms", "850 µs" */
void h_dur(pp_buf *b, double ns);
/* seconds from the run's start: "12.345 s" */
void h_sec(pp_buf *b, double ns);
/* "1.5 MiB" */
void h_bytes(pp_buf *b, double v);
/* "12.3 MB/s"-style rate with a unit ("B/s", "/s"); "–" for 0 or NAN */
void h_rate(pp_buf *b, double v, const char *unit);
/* "1.23×", "n/a" for NAN */
void h_factor(pp_buf *b, double v);

/* Colour of a class name (cpu, memory, io, alloc, wait, mixed), or of an unclassified phase type. */
const char *h_class_color(const char *cls, int type);
/* Basename of a path (the part after the last '/'). */
const char *h_base(const char *p);

/* The parts of the page, each appending to b. */
void html_timeline(pp_buf *b, const pp_analysis *a, size_t proc, double axis_ns);
/* Every process of the run as one row over time (the longest GANTT_ROWS), its phases coloured. */
void html_gantt(pp_buf *b, const pp_analysis *a, double axis_ns);
/* Per-phase details (flame graph, I/O per file and call site, allocation sites) for the phases
 * whose show[] flag is set; one pass over each process's records. */
void html_phase_details(pp_buf *b, const pp_analysis *a, const unsigned char *show);
extern const char html_css[];
extern const char html_js[];

#endif
