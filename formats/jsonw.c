/*
 * jsonw.c - streaming JSON writer; see jsonw.h.
 *
 * Nesting deeper than AB_JSONW_DEPTH is a programmer error (summaries are
 * shallow), hence an assert rather than an error code.
 */
#include "jsonw.h"

#include <assert.h>

void jsonw_init(jsonw *w, FILE *f)
{
    w->f = f;
    w->depth = 0;
    w->first[0] = true;
    w->after_key = false;
}

static void sep(jsonw *w)
{
    if (w->after_key) {
        w->after_key = false;
        return;
    }
    if (!w->first[w->depth])
        fputc(',', w->f);
    w->first[w->depth] = false;
}

static void open(jsonw *w, char c)
{
    sep(w);
    fputc(c, w->f);
    assert(w->depth + 1 < AB_JSONW_DEPTH);
    w->first[++w->depth] = true;
}

static void close_(jsonw *w, char c)
{
    assert(w->depth > 0);
    w->depth--;
    fputc(c, w->f);
    if (w->depth == 0)
        fputc('\n', w->f);
}

void jsonw_obj_begin(jsonw *w) { open(w, '{'); }
void jsonw_obj_end(jsonw *w) { close_(w, '}'); }
void jsonw_arr_begin(jsonw *w) { open(w, '['); }
void jsonw_arr_end(jsonw *w) { close_(w, ']'); }

static void raw_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        default:
            if (*p < 0x20)
                fprintf(f, "\\u%04x", *p);
            else
                fputc(*p, f);
        }
    }
    fputc('"', f);
}

void jsonw_key(jsonw *w, const char *k)
{
    sep(w);
    raw_str(w->f, k);
    fputc(':', w->f);
    w->after_key = true;
}

void jsonw_str(jsonw *w, const char *s)
{
    sep(w);
    if (s)
        raw_str(w->f, s);
    else
        fputs("null", w->f);
}

void jsonw_int(jsonw *w, int64_t v)
{
    sep(w);
    fprintf(w->f, "%lld", (long long)v);
}

void jsonw_bool(jsonw *w, bool v)
{
    sep(w);
    fputs(v ? "true" : "false", w->f);
}

void jsonw_kstr(jsonw *w, const char *k, const char *s)
{
    jsonw_key(w, k);
    jsonw_str(w, s);
}

void jsonw_kint(jsonw *w, const char *k, int64_t v)
{
    jsonw_key(w, k);
    jsonw_int(w, v);
}
