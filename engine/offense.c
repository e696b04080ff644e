/*
 * offense.c - the embedded offense catalogue; see offense.h.
 *
 * The CSV (RFC 4180, a header row, one TBNR per row, sorted by TBNR) is
 * tokenised with formats/csv.c, the same reader that reads ticket batches;
 * columns are found by header name so that a re-export with another column
 * order still loads.  Lookups are a binary search over the sorted static
 * table: no allocation after the load, no locks on the hot path.
 */
#include "offense.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../formats/csv.h"
#include "date.h"
#include "limits.h"
#include "money.h"

extern const char fines_catalogue_csv[];

enum { K_TBNR, K_EURO, K_FROM, K_TO, K_CLASS, K_COUNT };
static const char *const col_names[K_COUNT] = {"TBNR", "EuroGesamt", "GUELTIG-von",
                                               "GUELTIG-bis", "Klassifizierung"};

static offense table[AB_OFFENSES_MAX];
static size_t count;
static int load_rc;
static pthread_once_t once = PTHREAD_ONCE_INIT;

typedef struct loader {
    int col[K_COUNT];
    bool header;
} loader;

static int parse_tbnr(const char *s, size_t n, uint32_t *out)
{
    if (n != 6)
        return AB_E_PARSE;
    uint32_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return AB_E_PARSE;
        v = v * 10 + (uint32_t)(s[i] - '0');
    }
    *out = v;
    return AB_OK;
}

static int read_header(loader *l, const csv_record *rec)
{
    for (int k = 0; k < K_COUNT; k++) {
        l->col[k] = -1;
        for (size_t i = 0; i < rec->nfields; i++)
            if (!strcmp(rec->fields[i].ptr, col_names[k]))
                l->col[k] = (int)i;
        if (l->col[k] < 0)
            return AB_E_PARSE;
    }
    l->header = true;
    return AB_OK;
}

static int on_row(void *ctx, const csv_record *rec)
{
    loader *l = ctx;
    if (rec->nfields == 1 && rec->fields[0].len == 0)
        return AB_OK;
    if (!l->header)
        return read_header(l, rec);
    if (count == AB_OFFENSES_MAX)
        return AB_E_LIMIT;
    const csv_field *f = rec->fields;
    for (int k = 0; k < K_COUNT; k++)
        if ((size_t)l->col[k] >= rec->nfields)
            return AB_E_PARSE;
    offense o = {0};
    const csv_field *euro = &f[l->col[K_EURO]], *cls = &f[l->col[K_CLASS]];
    if (parse_tbnr(f[l->col[K_TBNR]].ptr, f[l->col[K_TBNR]].len, &o.tbnr) < 0 ||
        date_parse_iso(f[l->col[K_FROM]].ptr, f[l->col[K_FROM]].len, &o.valid_from) < 0 ||
        date_parse_iso(f[l->col[K_TO]].ptr, f[l->col[K_TO]].len, &o.valid_to) < 0)
        return AB_E_PARSE;
    if (euro->len && money_parse_iso(euro->ptr, euro->len, &o.cents) < 0)
        return AB_E_PARSE;
    o.klass = cls->len ? (uint8_t)strtoul(cls->ptr, NULL, 10) : 0;
    if (count && table[count - 1].tbnr >= o.tbnr)
        return AB_E_PARSE; /* the file promises one row per TBNR, sorted */
    table[count++] = o;
    return AB_OK;
}

static void load_once(void)
{
    loader l = {.header = false};
    csv *c = NULL;
    load_rc = csv_create(&c, ',');
    if (load_rc < 0)
        return;
    load_rc = csv_feed(c, fines_catalogue_csv, strlen(fines_catalogue_csv), true, on_row, &l);
    if (load_rc == AB_OK && count == 0)
        load_rc = AB_E_PARSE;
    csv_destroy(c);
}

int offense_load(void)
{
    pthread_once(&once, load_once);
    return load_rc;
}

size_t offense_count(void)
{
    return count;
}

const offense *offense_find(const char *tbnr, size_t n)
{
    uint32_t key;
    if (parse_tbnr(tbnr, n, &key) < 0)
        return NULL;
    size_t lo = 0, hi = count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (table[mid].tbnr < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < count && table[lo].tbnr == key ? &table[lo] : NULL;
}

size_t offense_parking_array(char *buf, size_t cap)
{
    size_t o = 0;
    if (cap < 3)
        return 0;
    buf[o++] = '{';
    for (size_t i = 0; i < count; i++) {
        if (table[i].klass != OFFENSE_CLASS_PARKING)
            continue;
        if (o + 8 >= cap)
            return 0;
        o += (size_t)snprintf(buf + o, cap - o, "%s%06u", buf[o - 1] == '{' ? "" : ",",
                              (unsigned)table[i].tbnr);
    }
    buf[o++] = '}';
    buf[o] = '\0';
    return o;
}
