/* libFuzzer target for the trace reader: opens the input as a trace held in memory, walks every
 * record with every kind selected and then with a few selected, resolves every string and stack
 * it names, and formats each record as `phaseprof dump` does (so the escapers see hostile bytes
 * too).  Built with -fsanitize=fuzzer,address,undefined by tests/fuzz/run.sh: any out-of-bounds
 * read, leak or undefined behaviour is a finding, and so is a rejection or a damage report that
 * does not name the file and the offset (every rejection must be a clear error).
 * Mutations go mostly inside chunks, with their CRCs kept valid (mutate_trace.h). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "reader.h"
#include "cmd_dump.h"
#include "util.h"
#include "mutate_trace.h"

static void walk(pp_trace *t, pp_buf *b)
{
    pp_rec r;
    pp_trace_rewind(t);
    while (pp_trace_next(t, &r)) {
        buf_clear(b);
        pp_format_record(b, t, &r);
        if (!r.info) continue;
        for (unsigned i = 0; i < r.info->nfields; i++) {
            char ty = r.info->types[i];
            if (ty == 'i') pp_trace_string(t, r.v[i].u, NULL);
            if (ty == 'S' || ty == 'L') { buf_escape_json(b, r.v[i].b.p, r.v[i].b.len); buf_escape_html(b, r.v[i].b.p, r.v[i].b.len); }
        }
        if (r.kind == PP_K_CPU_SAMPLE) {
            size_t n;
            const uint64_t *f = pp_trace_stack(t, r.CPU_SAMPLE.stack.u, &n);
            uint64_t sum = 0;
            for (size_t k = 0; f && k < n; k++) sum += f[k];
            (void)sum;
        }
    }
}

/* Damage found while reading: it must name the file and say what, at an offset inside it. */
static size_t cur_size;
static void diag_check(void *ctx, const char *path, uint64_t off, const char *what)
{
    (void)ctx;
    if (!path || strcmp(path, "fuzz") || !what || !*what || off > cur_size) {
        fprintf(stderr, "unclear damage report: path=%s off=%llu what=%s\n", path ? path : "(null)",
                (unsigned long long)off, what ? what : "(null)");
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int init;
    if (!init) { pp_reader_set_diag(diag_check, NULL); init = 1; }
    cur_size = size;
    char err[512];
    err[0] = 0;
    pp_trace *t = pp_trace_open_mem(data, size, "fuzz", err, sizeof err);
    if (!t) {
        if (strncmp(err, "fuzz: offset ", 13)) { fprintf(stderr, "unclear rejection: %s\n", err); abort(); }
        return 0;
    }
    pp_buf b;
    buf_init(&b);
    walk(t, &b);
    unsigned sel[] = { PP_K_SAMPLE, PP_K_FOOTER, 200 };
    pp_trace_select(t, sel, 3);
    walk(t, &b);
    FILE *null = fopen("/dev/null", "w");
    if (null) { pp_dump_trace(t, null, 1); fclose(null); }
    const struct pp_r_HEADER *h = pp_trace_header(t);
    if (h) { buf_escape_text(&b, h->exe.b.p, h->exe.b.len); }
    for (size_t i = 0; i < pp_trace_nchunks(t); i++) (void)pp_trace_chunk(t, i)->records;
    buf_free(&b);
    pp_trace_close(t);
    return 0;
}

