/* `phaseprof dump FILE|DIR`: every record, one per line, in file order, in a stable text form
 * that tests and people can grep:
 *     <chunk seq> <tid> <KIND> name=value ...
 * fields in events.def order; t fields as absolute CLOCK_MONOTONIC ns; p and x in hex; i as the id
 * and its string (`path=3:"/tmp/x"`, `3:?` when no STRING defines it); S and L quoted and escaped
 * (one line whatever the bytes); B in hex; A as [1,2,3]; unknown kinds as `UNKNOWN(k) len=N`.
 * A closing `# summary` line gives the counts; problems go to stderr with their offsets. */
#include "cmd_dump.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
"usage: phaseprof dump [--chunks] PATH\n"
"\n"
"Prints every record of a trace file (or of each *.pptrace in a directory), one per line:\n"
"  <chunk seq> <tid> <KIND> name=value ...\n"
"then a '# summary' line with chunk, record and damage counts.  Damage is reported on stderr\n"
"with the file offset; damaged chunks are skipped, a truncated file is read to its last chunk.\n"
"\n"
"  -c, --chunks   also print a '# chunk' line before each chunk\n"
"  -h, --help     this text\n";

void pp_format_value(pp_buf *b, const pp_trace *t, char type, const pp_val *v)
{
    switch (type) {
    case 't': case 'u': buf_printf(b, "%" PRIu64, v->u); break;
    case 's': buf_printf(b, "%" PRId64, v->s); break;
    case 'p': case 'x': buf_printf(b, "0x%" PRIx64, v->u); break;
    case 'i': {
        size_t n;
        const char *s = v->u ? pp_trace_string(t, v->u, &n) : NULL;
        buf_printf(b, "%" PRIu64, v->u);
        if (s) { buf_putc(b, ':'); buf_quote_text(b, s, n); }
        else if (v->u) buf_puts(b, ":?");
        break;
    }
    case 'S': buf_quote_text(b, v->b.p, v->b.len); break;
    case 'B': {
        static const char hx[] = "0123456789abcdef";
        if (!v->b.len) { buf_puts(b, "-"); break; }
        buf_reserve(b, 2 * (size_t)v->b.len);
        for (uint32_t i = 0; i < v->b.len; i++) { buf_putc(b, hx[v->b.p[i] >> 4]); buf_putc(b, hx[v->b.p[i] & 15]); }
        break;
    }
    case 'A': {
        pp_iter it = pp_iter_of(*v);
        uint64_t x;
        buf_putc(b, '[');
        for (int first = 1; pp_iter_u(&it, &x); first = 0) buf_printf(b, first ? "%" PRIu64 : ",%" PRIu64, x);
        buf_putc(b, ']');
        break;
    }
    case 'L': {
        pp_iter it = pp_iter_of(*v);
        const uint8_t *s;
        size_t n;
        buf_putc(b, '[');
        for (int first = 1; pp_iter_str(&it, &s, &n); first = 0) {
            if (!first) buf_putc(b, ',');
            buf_quote_text(b, s, n);
        }
        buf_putc(b, ']');
        break;
    }
    default: buf_printf(b, "%" PRIu64, v->u); break;
    }
}

void pp_format_record(pp_buf *b, const pp_trace *t, const pp_rec *r)
{
    buf_printf(b, "%" PRIu64 " %" PRIu32 " ", r->seq, r->tid);
    if (!r->info) {
        buf_printf(b, "UNKNOWN(%" PRIu64 ") len=%" PRIu32, r->kind, r->len);
        return;
    }
    buf_puts(b, r->info->name);
    for (unsigned i = 0; i < r->info->nfields; i++) {
        buf_putc(b, ' ');
        buf_puts(b, r->info->fields[i]);
        buf_putc(b, '=');
        pp_format_value(b, t, r->info->types[i], &r->v[i]);
    }
}

void pp_dump_trace(pp_trace *t, FILE *out, int chunks)
{
    pp_buf b;
    buf_init(&b);
    pp_rec r;
    size_t ci = 0;
    pp_trace_select(t, NULL, 0);
    pp_trace_rewind(t);
    while (pp_trace_next(t, &r)) {
        if (chunks && (ci == 0 || r.chunk != ci - 1)) {
            const pp_chunk_info *c = pp_trace_chunk(t, r.chunk);
            buf_printf(&b, "# chunk seq=%" PRIu64 " tid=%" PRIu32 " offset=%" PRIu64 " len=%" PRIu32
                       " base_ns=%" PRIu64 " records=%" PRIu32,
                       c->seq, c->tid, c->off, c->len, c->base_ns, c->records);
            if (c->zlen) buf_printf(&b, " group_stored=%" PRIu32 " (zstd)", c->zlen);
            buf_putc(&b, '\n');
            ci = r.chunk + 1;
        }
        pp_format_record(&b, t, &r);
        buf_putc(&b, '\n');
        if (b.len > 1 << 16) { buf_write(&b, out); buf_clear(&b); }
    }
    const pp_trace_stats *st = pp_trace_stats_of(t);
    buf_printf(&b, "# summary chunks=%" PRIu64 " records=%" PRIu64 " unknown=%" PRIu64 " bad_chunks=%" PRIu64
               " bad_bytes=%" PRIu64 " truncated=%s complete=%s undefined_strings=%" PRIu64 "\n",
               st->chunks, st->records, st->unknown_records, st->bad_chunks, st->bad_bytes,
               st->truncated ? "yes" : "no", st->complete ? "yes" : "no", st->undefined_strings);
    buf_write(&b, out);
    buf_free(&b);
}

int cmd_dump(int argc, char **argv)
{
    static const struct option opts[] = {
        { "chunks", no_argument, 0, 'c' }, { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 } };
    int chunks = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+ch", opts, NULL)) != -1) {
        switch (c) {
        case 'c': chunks = 1; break;
        case 'h': fputs(usage_text, stdout); return 0;
        default: fputs(usage_text, stderr); return 2;
        }
    }
    if (optind != argc - 1) { fputs(usage_text, stderr); return 2; }
    char err[1024];
    pp_set *s = pp_set_open(argv[optind], err, sizeof err);
    if (!s) die("%s", err);
    static char obuf[1 << 16];
    setvbuf(stdout, obuf, _IOFBF, sizeof obuf);
    for (size_t i = 0; i < s->n; i++) {
        if (s->n > 1) printf("# file %s\n", pp_trace_path(s->traces[i]));
        pp_dump_trace(s->traces[i], stdout, chunks);
    }
    int rc = s->failed ? 1 : 0;
    pp_set_close(s);
    if (fflush(stdout)) return 1;
    return rc;
}
