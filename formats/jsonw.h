/*
 * jsonw.h - a small streaming JSON writer for machine-readable summaries.
 *
 * Writes straight to a FILE as calls arrive; keeps only a nesting stack of
 * AB_JSONW_DEPTH levels to place commas.  Strings are escaped per RFC 8259
 * (UTF-8 passes through).  The caller owns the FILE.
 */
#ifndef AB_JSONW_H
#define AB_JSONW_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define AB_JSONW_DEPTH 16

typedef struct jsonw {
    FILE *f;
    int depth;
    bool first[AB_JSONW_DEPTH];
    bool after_key;
} jsonw;

void jsonw_init(jsonw *w, FILE *f);
void jsonw_obj_begin(jsonw *w);
void jsonw_obj_end(jsonw *w);
void jsonw_arr_begin(jsonw *w);
void jsonw_arr_end(jsonw *w);
void jsonw_key(jsonw *w, const char *k);
void jsonw_str(jsonw *w, const char *s);
void jsonw_int(jsonw *w, int64_t v);
void jsonw_bool(jsonw *w, bool v);
/* Key and value in one call. */
void jsonw_kstr(jsonw *w, const char *k, const char *s);
void jsonw_kint(jsonw *w, const char *k, int64_t v);

#endif
