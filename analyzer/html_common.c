/* Escaping, number formatting and colours for the HTML report (see html_common.h). */
#include <math.h>
#include <string.h>
#include "html_common.h"

void h_esc(pp_buf *b, const char *s)
{
    if (!s) s = "?";
    buf_escape_html(b, s, strlen(s));
}

void h_json(pp_buf *b, const void *s, size_t n)
{
    pp_buf t;
    buf_init(&t);
    buf_escape_json(&t, s, n);
    buf_putc(b, '"');
    for (size_t i = 0; i < t.len; i++) {
        char c = t.data[i];
        if (c == '<') buf_puts(b, "\\u003c");
        else if (c == '>') buf_puts(b, "\\u003e");
        else if (c == '&') buf_puts(b, "\\u0026");
        else buf_putc(b, c);
    }
    buf_putc(b, '"');
    buf_free(&t);
}

void h_jsonz(pp_buf *b, const char *s)
{
    if (!s) { buf_puts(b, "null"); return; }
    h_json(b, s, strlen(s));
}

void h_num(pp_buf *b, double v)
{
    if (!isfinite(v)) buf_puts(b, "null");
    else if (v == floor(v) && fabs(v) < 1e15) buf_printf(b, "%.0f", v);
    else buf_printf(b, "%.4g", v);
}

void h_dur(pp_buf *b, double ns)
{
    if (!isfinite(ns)) { buf_puts(b, "n/a"); return; }
    double a = fabs(ns);
    if (a >= 60e9 * 60) buf_printf(b, "%.0f min", ns / 60e9);
    else if (a >= 100e9) buf_printf(b, "%.0f s", ns / 1e9);
    else if (a >= 1e9) buf_printf(b, "%.2f s", ns / 1e9);
    else if (a >= 1e6) buf_printf(b, "%.1f ms", ns / 1e6);
    else if (a >= 1e3) buf_printf(b, "%.0f µs", ns / 1e3);
    else buf_printf(b, "%.0f ns", ns);
}

void h_sec(pp_buf *b, double ns)
{
    if (!isfinite(ns)) buf_puts(b, "n/a");
    else buf_printf(b, ns < 100e9 ? "%.3f s" : "%.1f s", ns / 1e9);
}

void h_bytes(pp_buf *b, double v)
{
    if (!isfinite(v)) { buf_puts(b, "n/a"); return; }
    static const char *const u[] = { "B", "KiB", "MiB", "GiB", "TiB" };
    int i = 0;
    while (fabs(v) >= 1024 && i < 4) { v /= 1024; i++; }
    buf_printf(b, i ? "%.1f %s" : "%.0f %s", v, u[i]);
}

void h_rate(pp_buf *b, double v, const char *unit)
{
    if (!isfinite(v) || v <= 0) { buf_puts(b, "–"); return; }
    static const char *const pre[] = { "", "k", "M", "G", "T" };
    int i = 0;
    while (v >= 1000 && i < 4) { v /= 1000; i++; }
    buf_printf(b, v < 10 ? "%.1f %s%s" : "%.0f %s%s", v, pre[i], unit);
}

void h_factor(pp_buf *b, double v)
{
    if (!isfinite(v)) buf_puts(b, "n/a");
    else buf_printf(b, v < 10 ? "%.2f×" : "%.0f×", v);
}

const char *h_class_color(const char *cls, int type)
{
    static const struct { const char *name, *color; } c[] = {
        { "cpu", "#4e79a7" }, { "memory", "#9c755f" }, { "io", "#f28e2b" },
        { "alloc", "#e15759" }, { "wait", "#59a14f" }, { "mixed", "#b07aa1" } };
    static const char *const types[] = { "#a0cbe8", "#ffbe7d", "#8cd17d", "#f1ce63",
                                         "#86bcb6", "#ff9d9a", "#d4a6c8", "#bab0ac" };
    if (cls)
        for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) if (!strcmp(cls, c[i].name)) return c[i].color;
    return types[(type < 0 ? 0 : type) % 8];
}

const char *h_base(const char *p)
{
    const char *s = p ? strrchr(p, '/') : NULL;
    return s ? s + 1 : (p ? p : "?");
}
