/* The record printer behind `phaseprof dump`, shared with the reader's fuzz target (which runs it
 * on every input so the formatting of hostile bytes is fuzzed too). */
#ifndef PHASEPROF_CMD_DUMP_H
#define PHASEPROF_CMD_DUMP_H

#include <stdio.h>
#include "reader.h"
#include "util.h"

/* Appends one field value as dump prints it (type: an events.def type letter). */
void pp_format_value(pp_buf *b, const pp_trace *t, char type, const pp_val *v);
/* Appends "<seq> <tid> <KIND> name=value ..." (no newline). */
void pp_format_record(pp_buf *b, const pp_trace *t, const pp_rec *r);
/* Prints every record of t and the summary line; with chunks, a "# chunk" line before each chunk. */
void pp_dump_trace(pp_trace *t, FILE *out, int chunks);

int cmd_dump(int argc, char **argv);

#endif
