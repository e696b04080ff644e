/*
 * test_tickets.c - ticket CSV: English and German headers and separators,
 * every kind of rejection with its exact physical line and field, quoting
 * and embedded line ends, whole-file failures, and chunking invariance;
 * plates and locations in Windows-1252 read as such.
 * Fixtures are in tests/fixtures/tickets/; their references were computed
 * with python3-stdnum (iso7064.mod_11_10) and checked by cd_valid here.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "../../engine/limits.h"
#include "../../formats/tickets.h"

#define MAXT 64

typedef struct seen {
    int n, nrej;
    ticket t[MAXT];                 /* strings copied below */
    char ref[MAXT][40], plate[MAXT][40], tbnr[MAXT][8], loc[MAXT][64];
    unsigned long rej_line[MAXT];
    char rej_field[MAXT][24];
    char rej_reason[MAXT][AB_ERRMSG_MAX];
    char log[1 << 15];              /* everything, for comparing chunkings */
    size_t loglen;
    int fail_ticket;                /* ticket number whose callback fails */
} seen;

static void log_add(seen *s, const char *line)
{
    size_t k = strlen(line);
    if (s->loglen + k < sizeof s->log) {
        memcpy(s->log + s->loglen, line, k + 1);
        s->loglen += k;
    }
}

static int on_ticket(void *ctx, const ticket *t)
{
    seen *s = ctx;
    if (s->n < MAXT) {
        s->t[s->n] = *t;
        snprintf(s->ref[s->n], 40, "%s", t->reference);
        snprintf(s->plate[s->n], 40, "%s", t->plate);
        snprintf(s->tbnr[s->n], 8, "%s", t->tbnr);
        snprintf(s->loc[s->n], 64, "%s", t->location);
    }
    s->n++;
    char line[AB_CSV_MAX_LINE];
    snprintf(line, sizeof line, "T %lu %s|%s|%s|%s|%lld|%lld\n", t->line, t->reference,
             t->plate, t->tbnr, t->location, (long long)t->amount_cents,
             (long long)t->offense_time);
    log_add(s, line);
    return s->n == s->fail_ticket ? AB_E_DB : AB_OK;
}

static int on_reject(void *ctx, unsigned long line, const char *field, const char *reason)
{
    seen *s = ctx;
    if (s->nrej < MAXT) {
        s->rej_line[s->nrej] = line;
        snprintf(s->rej_field[s->nrej], 24, "%s", field);
        snprintf(s->rej_reason[s->nrej], AB_ERRMSG_MAX, "%s", reason);
    }
    s->nrej++;
    char text[AB_ERRMSG_MAX + 64];
    snprintf(text, sizeof text, "R %lu %s: %s\n", line, field, reason);
    log_add(s, text);
    return AB_OK;
}

static char errbuf[AB_ERRMSG_MAX];
static size_t recoded; /* tickets_reader_recoded of the last feed */

/* Feeds data in chunks of step bytes (0: whole; -1: pseudo-random cuts). */
static int feed_scheme(const char *data, size_t len, long step, seen *s, enum cd_scheme scheme)
{
    int fail = s->fail_ticket;
    memset(s, 0, sizeof *s);
    s->fail_ticket = fail;
    tickets_sink sink = {.ctx = s, .on_ticket = on_ticket, .on_reject = on_reject};
    tickets_reader *r;
    cr_assert_eq(tickets_reader_create(&r, &sink, scheme), AB_OK);
    int rc = AB_OK;
    size_t i = 0;
    unsigned long long x = 0x9e3779b97f4a7c15ull;
    while (rc == AB_OK && i < len) {
        size_t k = step > 0 ? (size_t)step : len;
        if (step < 0) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            k = x % 97;
        }
        if (k > len - i)
            k = len - i;
        rc = tickets_reader_feed(r, data + i, k, false);
        i += k;
    }
    if (rc == AB_OK)
        rc = tickets_reader_feed(r, NULL, 0, true);
    snprintf(errbuf, sizeof errbuf, "%s", tickets_reader_error(r));
    recoded = tickets_reader_recoded(r);
    tickets_reader_destroy(r);
    return rc;
}

static int feed(const char *data, size_t len, long step, seen *s)
{
    return feed_scheme(data, len, step, s, CD_ISO7064_11_10);
}

static size_t slurp(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    cr_assert(f, "cannot open %s (run from the repository root)", path);
    size_t n = fread(buf, 1, cap, f);
    fclose(f);
    cr_assert_lt(n, cap);
    return n;
}

static int64_t secs(int32_t days, int h, int m, int sec)
{
    return (int64_t)days * 86400 + h * 3600 + m * 60 + sec;
}

/* Day number of 2026-11-d: 2026-11-01 is day 20758 (python datetime). */
#define NOV(d) (20758 + (d) - 1)

static char buf[1 << 16];
static seen s, s2;

/* Every way of cutting the file gives the same tickets and rejections. */
static void same_for_any_chunking(const char *data, size_t n)
{
    int rc = feed(data, n, 0, &s);
    static const long steps[] = {1, 2, 3, 5, 64, -1};
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        cr_assert_eq(feed(data, n, steps[i], &s2), rc);
        cr_assert_str_eq(s2.log, s.log, "step %ld", steps[i]);
    }
}

Test(tickets, english_comma)
{
    size_t n = slurp("tests/fixtures/tickets/en_comma.csv", buf, sizeof buf);
    cr_assert_eq(feed(buf, n, 0, &s), AB_OK, "%s", errbuf);
    cr_assert_eq(s.nrej, 0, "%s", s.rej_reason[0]);
    cr_assert_eq(s.n, 6);
    static const unsigned long lines[] = {2, 3, 4, 5, 6, 8};
    static const long long cents[] = {2500, 5500, 2500, 123450, 5500, 2000};
    for (int i = 0; i < 6; i++) {
        cr_assert_eq(s.t[i].line, lines[i], "ticket %d", i);
        cr_assert_eq(s.t[i].amount_cents, cents[i], "ticket %d", i);
        cr_assert(cd_valid(CD_ISO7064_11_10, s.ref[i], strlen(s.ref[i])));
    }
    cr_assert_str_eq(s.ref[0], "400000020012");
    cr_assert_str_eq(s.plate[0], "B-AB 1234");
    cr_assert_str_eq(s.tbnr[0], "141312");
    cr_assert_str_eq(s.loc[0], "Unter den Linden 5");
    cr_assert_eq(s.t[0].offense_time, secs(NOV(1), 10, 15, 0));
    cr_assert_eq(s.t[1].offense_time, secs(NOV(2), 11, 20, 5));
    cr_assert_str_eq(s.loc[1], "Jungfernstieg 1, vor Haus 3");
    cr_assert_str_eq(s.loc[2], "");                      /* location may be empty */
    cr_assert_str_eq(s.loc[3], "Dom \"Nord\"");
    cr_assert_eq(s.t[3].offense_time, secs(NOV(3), 14, 0, 0));
    cr_assert_str_eq(s.ref[4], "400000020053");          /* was quoted */
    cr_assert_str_eq(s.loc[4], "Zeil 10\nHinterhof");
    cr_assert_str_eq(s.loc[5], "Königstraße 1");
    same_for_any_chunking(buf, n);
}

Test(tickets, german_semicolon_bom_crlf)
{
    size_t n = slurp("tests/fixtures/tickets/de_semicolon_bom_crlf.csv", buf, sizeof buf);
    cr_assert_eq(feed(buf, n, 0, &s), AB_OK, "%s", errbuf);
    cr_assert_eq(s.nrej, 0, "%s", s.rej_reason[0]);
    cr_assert_eq(s.n, 4);
    cr_assert_str_eq(s.ref[0], "400000020070");          /* "4000 0002 0070" */
    cr_assert_str_eq(s.ref[1], "400000020088");          /* "400.000.020.088" */
    cr_assert_str_eq(s.ref[3], "RF18539007547034");      /* ISO 11649 */
    cr_assert_eq(s.t[0].amount_cents, 2500);
    cr_assert_eq(s.t[1].amount_cents, 123450);           /* "1.234,50" */
    cr_assert_eq(s.t[2].amount_cents, 3500);
    cr_assert_eq(s.t[3].amount_cents, 3000);
    cr_assert_eq(s.t[0].offense_time, secs(NOV(6), 12, 0, 0));
    cr_assert_eq(s.t[1].offense_time, secs(NOV(6), 12, 5, 30));
    cr_assert_eq(s.t[2].offense_time, secs(NOV(6), 0, 0, 0)); /* date only */
    cr_assert_str_eq(s.plate[1], "DO-OP 9");
    cr_assert_str_eq(s.loc[0], "Königsallee 2");         /* no CR left over */
    cr_assert_str_eq(s.loc[1], "Westenhellweg 3; Eingang Süd");
    cr_assert_eq(s.t[1].line, 3);
    cr_assert_eq(s.t[2].line, 5);                        /* after the blank line */
    cr_assert_eq(s.t[3].line, 6);
    same_for_any_chunking(buf, n);
}

Test(tickets, bad_rows_each_kind)
{
    static const struct {
        unsigned long line;
        const char *field;
    } want[] = {
        {3, "reference"},     {4, "plate"},        {5, "tbnr"},         {6, "amount"},
        {7, "offense_time"},  {8, "reference"},    {9, "reference"},    {10, "reference"},
        {11, "reference"},    {12, "reference"},   {13, "plate"},       {14, "tbnr"},
        {15, "tbnr"},         {16, "amount"},      {17, "amount"},      {18, "amount"},
        {19, "amount"},       {20, "offense_time"}, {21, "offense_time"}, {22, "offense_time"},
        {23, "line"},         {24, "line"},        {25, "line"},        {30, "location"},
    };
    size_t n = slurp("tests/fixtures/tickets/bad_rows.csv", buf, sizeof buf);
    cr_assert_eq(feed(buf, n, 0, &s), AB_OK, "%s", errbuf);
    cr_assert_eq(s.nrej, (int)(sizeof want / sizeof want[0]));
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        cr_assert_eq(s.rej_line[i], want[i].line, "rejection %zu: %s", i, s.rej_reason[i]);
        cr_assert_str_eq(s.rej_field[i], want[i].field, "line %lu", want[i].line);
    }
    cr_assert_eq(s.n, 3);
    cr_assert_eq(s.t[0].line, 2);
    cr_assert_eq(s.t[1].line, 26);                       /* spans lines 26-27 */
    cr_assert_str_eq(s.loc[1], "zwei\nZeilen");
    cr_assert_eq(s.t[2].line, 31);                       /* after a blank and ",,,,," */
    cr_assert_eq(s.t[2].amount_cents, 1250);
    /* Reasons name the problem and quote the value. */
    cr_assert_str_eq(s.rej_reason[0], "missing");
    cr_assert_str_eq(s.rej_reason[2], "missing");        /* tbnr " " trimmed to nothing */
    cr_assert_str_eq(s.rej_reason[5],
                     "check digit does not match (iso7064-11-10 expects 8): '400000020159'");
    cr_assert_str_eq(s.rej_reason[6], "not a Kassenzeichen (digits only): '40000A020166'");
    cr_assert_str_eq(s.rej_reason[7], "not a Kassenzeichen (5 to 35 digits): '4000'");
    cr_assert_str_eq(s.rej_reason[8],
                     "not a Kassenzeichen (5 to 35 digits): "
                     "'444444444444444444444444444444444444'");
    cr_assert_str_eq(s.rej_reason[9],
                     "not a valid RF creditor reference (ISO 11649): 'RF19 5390 0754 7034'");
    cr_assert_str_eq(s.rej_reason[12], "not a 6-digit TBNR: '041312'");
    cr_assert_str_eq(s.rej_reason[13], "not an amount: '25,0x'");
    cr_assert_str_eq(s.rej_reason[14], "not a positive amount: '0.00'");
    cr_assert_str_eq(s.rej_reason[16], "not an amount (more than 2 decimals): '1.000'");
    cr_assert_str_eq(s.rej_reason[17], "not a date: '31.02.2026 12:20'");
    cr_assert_str_eq(s.rej_reason[20], "5 fields, the header has 6");
    /* 0x81 (CP850's ü) is undefined in Windows-1252 too: not read as text. */
    cr_assert_str_eq(s.rej_reason[23], "not a location (UTF-8 or Windows-1252 text of at most "
                                       "512 bytes): 'M?nchener Str. 1'");
    same_for_any_chunking(buf, n);
}

Test(tickets, quoted_fields_keep_line_numbers)
{
    static const char csv[] =
        "reference,plate,tbnr,amount,offense_time,location\n"
        "400000020012,\"B-AB 1\",141312,\"25,00\",2026-11-01T10:00,\"Markt, Ecke \"\"Post\"\"\"\n"
        "400000020029,HH-X 2,141312,25.00,2026-11-01T10:00,\"drei\nganze\r\nZeilen\"\n"
        "400000020037,M-Y 3,14131,25.00,2026-11-01T10:00,x\n"
        "\n"
        "400000020045,K-Z 4,141312,25.00,2026-11-01T10:00\n"
        "\"400000020053\",\"K,Z 5\",\"141312\",\"25.00\",\"2026-11-01T10:00\",\"\"\n"
        "400000020061,S-Q 6,141312,25.00,2026-11-01T10:00,\"open\n";
    cr_assert_eq(feed(csv, sizeof csv - 1, 0, &s), AB_OK);
    cr_assert_eq(s.n, 3);
    cr_assert_str_eq(s.loc[0], "Markt, Ecke \"Post\"");
    cr_assert_str_eq(s.plate[0], "B-AB 1");
    cr_assert_eq(s.t[0].amount_cents, 2500);
    cr_assert_str_eq(s.loc[1], "drei\nganze\r\nZeilen");
    cr_assert_str_eq(s.plate[2], "K,Z 5");
    cr_assert_eq(s.t[2].line, 9);
    cr_assert_eq(s.nrej, 3);
    cr_assert_eq(s.rej_line[0], 6);
    cr_assert_str_eq(s.rej_field[0], "tbnr");
    cr_assert_eq(s.rej_line[1], 8);
    cr_assert_str_eq(s.rej_field[1], "line");
    cr_assert_eq(s.rej_line[2], 10);
    cr_assert_str_eq(s.rej_field[2], "line");
    cr_assert_str_eq(s.rej_reason[2], "a quote is never closed");
    same_for_any_chunking(csv, sizeof csv - 1);
}

Test(tickets, headers_any_case_order_and_extra_columns)
{
    static const char csv[] =
        "\n"
        "  BETRAG ;Notiz;tatzeit;Kennzeichen;TbNr;kassenzeichen\n"
        "12,50;egal;01.11.2026 08:00;B-Q 1;141312;400000020012\n";
    cr_assert_eq(feed(csv, sizeof csv - 1, 0, &s), AB_OK, "%s", errbuf);
    cr_assert_eq(s.n, 1);
    cr_assert_eq(s.t[0].line, 3);
    cr_assert_eq(s.t[0].amount_cents, 1250);
    cr_assert_str_eq(s.loc[0], "");                      /* no location column */
    cr_assert_str_eq(s.ref[0], "400000020012");
    same_for_any_chunking(csv, sizeof csv - 1);
}

Test(tickets, whole_file_errors)
{
    static const char noamount[] = "reference,plate,tbnr,offense_time\n1,2,3,4\n";
    cr_assert_eq(feed(noamount, sizeof noamount - 1, 0, &s), AB_E_PARSE);
    cr_assert_str_eq(errbuf, "line 1: no amount column");
    static const char noref[] = "\xef\xbb\xbfKZ;Kennzeichen;TBNR;Betrag;Tatzeit\r\n";
    cr_assert_eq(feed(noref, sizeof noref - 1, 1, &s), AB_E_PARSE);
    cr_assert_str_eq(errbuf, "line 1: no reference column");
    static const char twice[] = "reference,plate,tbnr,amount,betrag,offense_time\n";
    cr_assert_eq(feed(twice, sizeof twice - 1, 0, &s), AB_E_PARSE);
    cr_assert_str_eq(errbuf, "line 1: two amount columns (4 and 5)");
    cr_assert_eq(feed("", 0, 0, &s), AB_E_PARSE);
    cr_assert_str_eq(errbuf, "line 1: no header row");
    cr_assert_eq(feed("\n \n", 3, 0, &s), AB_E_PARSE);
    cr_assert_str_eq(errbuf, "line 1: no header row");
    static char longline[AB_CSV_MAX_LINE + 200];
    static const char hdr[] = "reference,plate,tbnr,amount,offense_time,location\n";
    memcpy(longline, hdr, sizeof hdr - 1);
    memset(longline + sizeof hdr - 1, 'x', sizeof longline - sizeof hdr + 1);
    cr_assert_eq(feed(longline, sizeof longline, 4096, &s), AB_E_LIMIT);
    cr_assert_str_eq(errbuf, "line 2: record longer than 16384 bytes");
    cr_assert_eq(s.n + s.nrej, 0);
}

Test(tickets, sink_failure_stops_the_file)
{
    size_t n = slurp("tests/fixtures/tickets/en_comma.csv", buf, sizeof buf);
    s.fail_ticket = 2;
    cr_assert_eq(feed(buf, n, 7, &s), AB_E_DB);
    cr_assert_eq(s.n, 2);
    cr_assert_str_eq(errbuf, "line 3: the receiver of tickets failed: database error");
    s.fail_ticket = 0;
}

Test(tickets, other_schemes)
{
    /* MOD 11: 40000001002 -> 0 (see test_checkdigit.c); 40000001008 has none. */
    static const char csv[] = "reference;plate;tbnr;amount;offense_time\n"
                              "400000010020;B-A 1;141312;25;01.11.2026\n"
                              "400000010021;B-A 2;141312;25;01.11.2026\n"
                              "400000010080;B-A 3;141312;25;01.11.2026\n";
    cr_assert_eq(feed_scheme(csv, sizeof csv - 1, 0, &s, CD_MOD11), AB_OK);
    cr_assert_eq(s.n, 1);
    cr_assert_eq(s.nrej, 2);
    cr_assert_str_eq(s.rej_reason[0],
                     "check digit does not match (mod11 expects 0): '400000010021'");
    cr_assert_str_eq(s.rej_reason[1], "check digit does not match (mod11 has none for this "
                                      "number): '400000010080'");
    cr_assert_eq(feed_scheme(csv, sizeof csv - 1, 0, &s, CD_NONE), AB_OK);
    cr_assert_eq(s.n, 3);
}

Test(tickets, quoted_values_are_cut_and_made_safe)
{
    static char csv[512];
    char x39[40];
    memset(x39, 'x', 39);
    x39[39] = '\0';
    /* 39 ASCII bytes, then a 2-byte character across the 40-byte cut. */
    int n = snprintf(csv, sizeof csv, "reference,plate,tbnr,amount,offense_time\n"
                                      "400000020012,B-A 1,141312,25.00,%s\xc3\xa4yyy\n"
                                      "400000020012,B-A 1,141312,25.00,\"a\x01\xff\"\n",
                     x39);
    cr_assert_eq(feed(csv, (size_t)n, 0, &s), AB_OK);
    cr_assert_eq(s.nrej, 2);
    char want[128];
    snprintf(want, sizeof want, "not a date: '%s...'", x39);
    cr_assert_str_eq(s.rej_reason[0], want);
    cr_assert_str_eq(s.rej_reason[1], "not a date: 'a?" "?'" /* split: ??' is a trigraph */);
}

/* Excel's "CSV" on German Windows: plates and locations in Windows-1252
 * come out as the same text in UTF-8 (the plate rules and the database see
 * "MÜ-AB 123", not a rejected row); ASCII fields are left alone. */
Test(tickets, windows_1252_plates_and_locations)
{
    size_t n = slurp("tests/fixtures/tickets/de_cp1252.csv", buf, sizeof buf);
    cr_assert_eq(feed(buf, n, 0, &s), AB_OK, "%s", errbuf);
    cr_assert_eq(s.nrej, 0, "%s", s.rej_reason[0]);
    cr_assert_eq(s.n, 4);
    cr_assert_str_eq(s.plate[0], "M\xc3\x9c-AB 123");
    cr_assert_str_eq(s.loc[0], "Hauptstra\xc3\x9f" "e 5");
    cr_assert_str_eq(s.plate[1], "L\xc3\x96-XY 7");
    cr_assert_str_eq(s.loc[1], "Parkplatz S\xc3\xbc" "d (\xe2\x82\xac-Automat)");
    cr_assert_str_eq(s.plate[2], "B-AB 1");
    cr_assert_str_eq(s.loc[2], "Unter den Linden 1");
    cr_assert_str_eq(s.plate[3], "T\xc3\x9c-Z 99");
    cr_assert_str_eq(s.loc[3], "K\xc3\xb6nigsplatz");
    cr_assert_eq(recoded, 6, "two fields in each of three rows");
    same_for_any_chunking(buf, n);
}

/* UTF-8 rows stay as written beside Windows-1252 ones; a plate whose
 * recoding would not fit the plate's limit is rejected, not cut; a field
 * that mixes both encodings is rejected. */
Test(tickets, windows_1252_beside_utf8)
{
    static char csv[512];
    char longplate[40];
    memset(longplate, '\xdc', 20); /* 20 x Ü: 40 bytes in UTF-8, over the limit of 32 */
    longplate[20] = '\0';
    int n = snprintf(csv, sizeof csv,
                     "reference,plate,tbnr,amount,offense_time,location\n"
                     "400000020012,M\xc3\x9c-A 1,141312,25.00,2026-11-01T10:00,Stra\xc3\x9f" "e\n"
                     "400000020012,M\xdc-A 1,141312,25.00,2026-11-01T10:00,Stra\xdf" "e\n"
                     "400000020012,%s,141312,25.00,2026-11-01T10:00,x\n"
                     "400000020012,B-A 1,141312,25.00,2026-11-01T10:00,Stra\xc3\x9f" "e \x96 5\n",
                     longplate);
    cr_assert_eq(feed(csv, (size_t)n, 0, &s), AB_OK);
    cr_assert_eq(s.n, 2);
    cr_assert_str_eq(s.plate[0], s.plate[1], "the same plate either way");
    cr_assert_str_eq(s.loc[0], s.loc[1]);
    cr_assert_eq(recoded, 2, "fields of rejected rows are not counted");
    cr_assert_eq(s.nrej, 2);
    cr_assert_str_eq(s.rej_field[0], "plate");
    cr_assert(strstr(s.rej_reason[0], "at most 32 bytes): '\xc3\x9c\xc3\x9c"), "%s",
              s.rej_reason[0]);
    /* UTF-8 with a stray Windows-1252 dash: neither, so not stored garbled. */
    cr_assert_str_eq(s.rej_field[1], "location");
}

/* A spreadsheet's currency format: the euro sign (UTF-8 or Windows-1252,
 * after a space or a no-break space) or "EUR" after the amount. */
Test(tickets, amounts_with_a_currency_mark)
{
    static const struct {
        const char *amount;
        long long cents; /* -1: rejected */
    } cases[] = {
        {"25,00 \xe2\x82\xac", 2500},         {"25,00\xe2\x82\xac", 2500},
        {"25,00\xc2\xa0\xe2\x82\xac", 2500}, {"25,00\xa0\x80", 2500},
        {"1.234,50 EUR", 123450},               {"55.00EUR", 5500},
        {"25,00  \xe2\x82\xac", 2500},         {"25,00\t\xc2\xa0\xe2\x82\xac", 2500},
        {"\xe2\x82\xac", -1},                 {"25,00 $", -1},
        {"25,001 \xe2\x82\xac", -1},          {"EUR 25,00", -1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        static char csv[256];
        int n = snprintf(csv, sizeof csv,
                         "reference;plate;tbnr;amount;offense_time\n"
                         "400000020012;B-A 1;141312;%s;2026-11-01T10:00\n",
                         cases[i].amount);
        cr_assert_eq(feed(csv, (size_t)n, 0, &s), AB_OK);
        if (cases[i].cents < 0) {
            cr_assert_eq(s.nrej, 1, "case %zu is rejected", i);
            cr_assert_str_eq(s.rej_field[0], "amount");
        } else {
            cr_assert_eq(s.n, 1, "case %zu: %s", i, s.nrej ? s.rej_reason[0] : "");
            cr_assert_eq(s.t[0].amount_cents, cases[i].cents, "case %zu", i);
        }
    }
}

/* Excel took the Kassenzeichen column for numbers: the rejection says so. */
Test(tickets, a_reference_in_scientific_notation_is_explained)
{
    static const char *const refs[] = {"4,00E+11", "4.00002E+11", "4E11", "4,0e-3"};
    for (size_t i = 0; i < sizeof refs / sizeof refs[0]; i++) {
        static char csv[256];
        int n = snprintf(csv, sizeof csv,
                         "reference;plate;tbnr;amount;offense_time\n"
                         "%s;B-A 1;141312;25,00;2026-11-01T10:00\n", refs[i]);
        cr_assert_eq(feed(csv, (size_t)n, 0, &s), AB_OK);
        cr_assert_eq(s.nrej, 1, "%s", refs[i]);
        cr_assert(strstr(s.rej_reason[0], "a spreadsheet wrote it as a rounded number"), "%s: %s",
                  refs[i], s.rej_reason[0]);
    }
    /* Not numbers: the usual reasons. */
    static const char csv2[] = "reference;plate;tbnr;amount;offense_time\n"
                               "4000E;B-A 1;141312;25,00;2026-11-01T10:00\n"
                               "E+11;B-A 1;141312;25,00;2026-11-01T10:00\n";
    cr_assert_eq(feed(csv2, sizeof csv2 - 1, 0, &s), AB_OK);
    cr_assert_eq(s.nrej, 2);
    cr_assert_str_eq(s.rej_reason[0], "not a Kassenzeichen (digits only): '4000E'");
    cr_assert_str_eq(s.rej_reason[1], "not a Kassenzeichen (digits only): 'E+11'");
}
