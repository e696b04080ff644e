/*
 * gen.c - the dataset generator; see gen.h.
 *
 * Ticket k: Kassenzeichen "4" + 10-digit counter + check digit(s), a German
 * plate, a parking TBNR with its catalogue amount (fines-domain.md §2.2),
 * an offense time in the 30 days before the statement date, a street.
 * About 3 % of tickets share plate and amount with the ticket before (the
 * same car caught twice), which makes a payment naming only the plate
 * ambiguous.  Payment mix per ticket (fines-domain.md §4.2-4.3, rounded):
 * 70 % exact in one of seven writing styles, 3 % partial, 2 % over, 3 %
 * typo (a digit changed or two swapped, chosen so that exactly one claim is
 * one step away), 3 % plate and amount only, 2 % name only, 2 % an unknown
 * valid reference, 2 % two tickets in one payment, 2 % paid twice, 2 % paid
 * and then reversed by the bank, 9 % unpaid; plus one debit to a supplier
 * per 30 tickets.  The statement is written twice over the same
 * random stream: a first pass sums the balances the schema wants up front.
 */
#include "gen.h"

#include "progress.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "../formats/camtw.h"
#include "date.h"
#include "limits.h"

static uint64_t mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

/* A random number that depends only on (seed, k, what). */
static uint64_t rnd(uint64_t seed, uint64_t k, uint64_t what)
{
    return mix(seed ^ mix(k * 0x100000001b3ull + what));
}

static const char *const districts[] = {"B", "HH", "M", "K", "F", "S", "D", "DO", "E", "HB",
                                        "L", "DD", "H", "N", "KA", "MS", "BN", "AC", "MZ", "WI"};
static const char *const streets[] = {"Hauptstraße", "Bahnhofstraße", "Schulstraße",
                                      "Gartenstraße", "Marktplatz", "Kirchweg", "Lindenallee",
                                      "Goethestraße", "Schillerplatz", "Am Rathaus"};
static const char *const first[] = {"Anna", "Jonas", "Lena", "Lukas", "Marie", "Felix", "Sophie",
                                    "Paul", "Emma", "Ben", "Hannah", "Jürgen", "Gülsen", "Özlem"};
static const char *const last[] = {"Müller", "Schmidt", "Schneider", "Fischer", "Weber",
                                   "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann", "Koç",
                                   "Weiß"};
static const struct { const char *tbnr; int64_t cents; } offenses[] = {
    {"141312", 2500}, {"112454", 5500}, {"113100", 2000}, {"113101", 2500}, {"113102", 3000},
    {"141322", 2500}, {"112464", 5500}, {"142278", 5500}, {"112292", 1000}, {"113280", 2000},
};
#define N(a) (sizeof a / sizeof a[0])

typedef struct gticket {
    char ref[AB_REF_MAX + 1];
    char plate[16];
    const char *tbnr, *street;
    int64_t cents;
    int64_t when;   /* seconds */
} gticket;

static void make_ref(enum cd_scheme s, uint64_t k, char *out)
{
    for (int prefix = 4; prefix <= 9; prefix++) {
        char body[AB_REF_MAX + 1], cd[2];
        int n = snprintf(body, sizeof body, "%d%010llu", prefix, (unsigned long long)(k + 1));
        int w = cd_compute(s, body, (size_t)n, cd);
        if (w >= 0) {
            snprintf(out, AB_REF_MAX + 1, "%s%.*s", body, w, cd);
            return;
        }
    }
    snprintf(out, AB_REF_MAX + 1, "4%010llu", (unsigned long long)(k + 1));
}

/* Ticket k repeats plate and offense of ticket k-1 ("shared"). */
static int shared(const gen_opts *o, uint64_t k)
{
    return k > 0 && rnd(o->seed, k, 5) % 100 < 3;
}

static void ticket_at(const gen_opts *o, int32_t day0, uint64_t k, gticket *t)
{
    uint64_t base = k;
    while (shared(o, base))
        base--;
    uint64_t r = rnd(o->seed, base, 1);
    snprintf(t->plate, sizeof t->plate, "%s-%c%c %u", districts[r % N(districts)],
             (char)('A' + (r >> 8) % 26), (char)('A' + (r >> 16) % 26),
             (unsigned)((r >> 24) % 9999 + 1));
    t->tbnr = offenses[(r >> 40) % N(offenses)].tbnr;
    t->cents = offenses[(r >> 40) % N(offenses)].cents;
    t->street = streets[(r >> 48) % N(streets)];
    t->when = (int64_t)(day0 - 30 + (int32_t)((r >> 52) % 30)) * 86400 +
              (int64_t)(7 * 3600 + (r % 43200)) + (int64_t)(k - base) * 600;
    make_ref(o->scheme, k, t->ref);
}

/* Is s the Kassenzeichen of a generated ticket? (References are a pure
 * function of the index, so the index can be read back from the digits.) */
static int ref_exists(const gen_opts *o, const char *s)
{
    size_t n = strlen(s);
    if (n < 12)
        return 0;
    unsigned long long c = 0;
    for (size_t i = 1; i < 11; i++)
        c = c * 10 + (unsigned long long)(s[i] - '0');
    if (c == 0 || c > o->tickets)
        return 0;
    char ref[AB_REF_MAX + 1];
    make_ref(o->scheme, c - 1, ref);
    return !strcmp(ref, s);
}

/* Claims one substituted digit or one swap away from token. */
static unsigned neighbours(const gen_opts *o, const char *token)
{
    char t[AB_REF_MAX + 1];
    size_t n = strlen(token);
    unsigned found = 0;
    for (size_t i = 0; i < n; i++) {
        for (char d = '0'; d <= '9'; d++) {
            memcpy(t, token, n + 1);
            if (d == t[i])
                continue;
            t[i] = d;
            found += cd_valid(o->scheme, t, n) && ref_exists(o, t);
        }
        if (i + 1 < n && token[i] != token[i + 1]) {
            memcpy(t, token, n + 1);
            t[i] = token[i + 1];
            t[i + 1] = token[i];
            found += cd_valid(o->scheme, t, n) && ref_exists(o, t);
        }
    }
    return found;
}

const char *gen_case_name(enum gen_case c)
{
    static const char *const names[] = {
#define GEN_CASE_NAME(n, s) s,
        GEN_CASES(GEN_CASE_NAME)
#undef GEN_CASE_NAME
    };
    return (unsigned)c < GEN_CASE_COUNT ? names[c] : "?";
}

typedef struct gen_run {
    const gen_opts *o;
    int32_t day0;
    char date[11];
    FILE *stmt, *key;       /* NULL in the summing pass */
    camtw_header h;
    uint64_t seq;
    int64_t credits, debits;
    gen_result *res;
    gen_result counts;      /* both passes add here; halved at the end */
    const char *paid_before; /* ticket already paid by the one before (two in one payment) */
} gen_run;

static void iban_for(uint64_t r, char out[23])
{
    char bban[19];
    snprintf(bban, sizeof bban, "%08llu%010llu", (unsigned long long)(10000000 + r % 89999999),
             (unsigned long long)((r >> 27) % 10000000000ull));
    char num[32];
    snprintf(num, sizeof num, "%s131400", bban); /* "DE" = 13 14, check "00" */
    unsigned m = 0;
    for (const char *p = num; *p; p++)
        m = (m * 10 + (unsigned)(*p - '0')) % 97;
    snprintf(out, 23, "DE%02u%s", 98 - m, bban);
}

/* One statement entry and its answer-key row. */
static void emit(gen_run *g, camtw_tx *tx, enum gen_case c, const char *meant, int placeable)
{
    char e2e[40], asr[40];
    g->seq++;
    snprintf(asr, sizeof asr, "%s%09llu", g->date, (unsigned long long)g->seq);
    if (!tx->end_to_end_id) {
        snprintf(e2e, sizeof e2e, "E2E-%09llu", (unsigned long long)g->seq);
        tx->end_to_end_id = e2e;
    }
    tx->acct_svcr_ref = asr;
    if (tx->direction == 'C')
        g->credits += tx->amount_cents;
    else
        g->debits += tx->amount_cents;
    g->res->by_case[c]++;
    g->res->payments++;
    if (g->paid_before && !strcmp(meant, g->paid_before))
        placeable = 0; /* the claim was paid in full already: a clerk's case */
    if (!g->stmt)
        return;
    camtw_entry(g->stmt, &g->h, tx);
    fprintf(g->key, "%s,%s,%s,%lld,%d\n", tx->end_to_end_id, gen_case_name(c), meant,
            (long long)tx->amount_cents, placeable);
}

/* One of seven ways citizens write a Kassenzeichen. */
static void write_ref(uint64_t r, const gticket *t, camtw_tx *tx, char *l1, char *l2, size_t n)
{
    const char *s = t->ref;
    size_t len = strlen(s);
    switch (r % 7) {
    case 0: snprintf(l1, n, "%s", s); break;
    case 1: snprintf(l1, n, "KZ %.4s %.4s %s", s, s + 4, s + 8); break;
    case 2: snprintf(l1, n, "Kassenzeichen: %.3s.%.3s.%.3s.%s", s, s + 3, s + 6, s + 9); break;
    case 3: snprintf(l1, n, "Verwarnung %.6s-%s %s", s, s + 6, t->plate); break;
    case 4:
        snprintf(l1, n, "Bussgeld Kassenzeichen %.*s", (int)(len - 5), s);
        snprintf(l2, n, "%s vielen Dank", s + len - 5);
        tx->ustrd[1] = l2;
        break;
    case 5: tx->end_to_end_id = s; l1[0] = '\0'; break;
    default: tx->strd_ref = s; l1[0] = '\0'; break;
    }
    tx->ustrd[0] = l1[0] ? l1 : NULL;
}

/* A typo (one digit changed, or two neighbours swapped) that leaves
 * exactly one claim one step away, so the rules can correct it. */
static int typo(const gen_opts *o, uint64_t r, const char *ref, char *out)
{
    size_t n = strlen(ref);
    for (unsigned attempt = 0; attempt < 40; attempt++, r = mix(r)) {
        memcpy(out, ref, n + 1);
        size_t i = (r >> 8) % (n - 1);
        if (r % 2 && ref[i] != ref[i + 1]) {
            out[i] = ref[i + 1];
            out[i + 1] = ref[i];
        } else {
            out[i] = (char)('0' + (ref[i] - '0' + 1 + (int)((r >> 16) % 9)) % 10);
        }
        if (!cd_valid(o->scheme, out, n) && neighbours(o, out) == 1)
            return 1;
    }
    return 0;
}

static void payer(uint64_t r, char *name, size_t n, char iban[23])
{
    snprintf(name, n, "%s %s", first[r % N(first)], last[(r >> 8) % N(last)]);
    iban_for(r >> 3, iban);
}

static void pay_exactly(gen_run *g, uint64_t r, const gticket *t, camtw_tx *tx,
                        enum gen_case c)
{
    char l1[160], l2[160];
    write_ref(r, t, tx, l1, l2, sizeof l1);
    emit(g, tx, c, t->ref, 1);
}

static void pay_reversed(gen_run *g, const gticket *t, camtw_tx *tx)
{
    char e2e[40];
    snprintf(e2e, sizeof e2e, "RV-%s", t->ref);
    tx->end_to_end_id = e2e;
    tx->ustrd[0] = t->ref;
    emit(g, tx, GEN_EXACT, t->ref, 1);
    camtw_tx back = *tx;
    back.direction = 'D';
    back.reversal = 1;
    back.ustrd[0] = "RUECKUEBERWEISUNG";
    emit(g, &back, GEN_REVERSAL, t->ref, 0);
}

/* Payments naming no usable reference: a plate, a name, an unknown one. */
static void pay_without_ref(gen_run *g, uint64_t k, uint64_t pct, const gticket *t,
                            camtw_tx *tx)
{
    const gen_opts *o = g->o;
    char l1[160], ref[AB_REF_MAX + 1];
    if (pct < 80) {
        int ambiguous = shared(o, k) || (k + 1 < o->tickets && shared(o, k + 1));
        snprintf(l1, sizeof l1, "Knoellchen %s", t->plate);
        tx->ustrd[0] = l1;
        emit(g, tx, ambiguous ? GEN_PLATE_AMBIGUOUS : GEN_PLATE, t->ref, !ambiguous);
    } else if (pct < 82) {
        snprintf(l1, sizeof l1, "Zahlung %s", tx->party_name);
        tx->ustrd[0] = l1;
        emit(g, tx, GEN_NAME, t->ref, 0);
    } else {
        make_ref(o->scheme, k + o->tickets + 1000000, ref);
        tx->ustrd[0] = ref;
        emit(g, tx, GEN_UNKNOWN, "", 0);
    }
}

/* Whether ticket k is among the `paying` ones: exactly that many, spread
 * evenly (a nightly statement pays a fraction of the open claims). */
static int paying(const gen_opts *o, uint64_t k)
{
    if (!o->paying || o->paying >= o->tickets)
        return 1;
    uint64_t a = k * o->paying, b = a + o->paying; /* < 10^16: tickets <= 10^8 */
    return a / o->tickets != b / o->tickets;
}

static void pay_ticket(gen_run *g, uint64_t k)
{
    const gen_opts *o = g->o;
    gticket t, t2;
    ticket_at(o, g->day0, k, &t);
    uint64_t r = rnd(o->seed, k, 2), pct = r % 100;
    char name[64], iban[23], l1[160], ref[AB_REF_MAX + 1], both[2 * AB_REF_MAX + 2];
    uint64_t prev = k ? rnd(o->seed, k - 1, 2) % 100 : 0;
    g->paid_before = k && prev >= 84 && prev < 86 && paying(o, k - 1) ? t.ref : NULL;
    payer(rnd(o->seed, k, 3), name, sizeof name, iban);
    camtw_tx tx = {.amount_cents = t.cents, .direction = 'C', .party_name = name,
                   .party_iban = iban};
    if (pct < 70) {
        pay_exactly(g, r >> 8, &t, &tx, GEN_EXACT);
    } else if (pct < 75) {
        tx.amount_cents = pct < 73 ? t.cents - 500 : t.cents + 500;
        pay_exactly(g, r >> 8, &t, &tx, pct < 73 ? GEN_PARTIAL : GEN_OVER);
    } else if (pct < 78) {
        int ok = typo(o, r >> 12, t.ref, ref);
        snprintf(l1, sizeof l1, "Verwarnungsgeld %s", ok ? ref : t.ref);
        tx.ustrd[0] = l1;
        emit(g, &tx, ok ? GEN_TYPO : GEN_EXACT, t.ref, 1);
    } else if (pct < 84) {
        pay_without_ref(g, k, pct, &t, &tx);
    } else if (pct < 86 && k + 1 < o->tickets) {
        ticket_at(o, g->day0, k + 1, &t2);
        snprintf(l1, sizeof l1, "%s und %s", t.ref, t2.ref);
        snprintf(both, sizeof both, "%s %s", t.ref, t2.ref);
        tx.ustrd[0] = l1;
        tx.amount_cents = t.cents + t2.cents;
        emit(g, &tx, GEN_MULTIPLE, both, 1);
    } else if (pct < 88) {
        pay_exactly(g, r >> 8, &t, &tx, GEN_EXACT);
        camtw_tx again = {.amount_cents = t.cents, .direction = 'C', .party_name = name,
                          .party_iban = iban, .ustrd = {t.ref}};
        emit(g, &again, GEN_DUPLICATE, t.ref, 0);
    } else if (pct < 90) {
        pay_reversed(g, &t, &tx);
    }
    if (k % 30 == 29) {
        uint64_t d = rnd(o->seed, k, 4);
        snprintf(l1, sizeof l1, "Rechnung RE-%llu", (unsigned long long)(k + 1));
        iban_for(d, iban);
        camtw_tx deb = {.amount_cents = 1000 + (int64_t)(d % 50000), .direction = 'D',
                        .party_name = "Stadtwerke Musterstadt GmbH", .party_iban = iban,
                        .ustrd = {l1}};
        emit(g, &deb, GEN_DEBIT, "", 0);
    }
}

static int write_tickets(const gen_opts *o, int32_t day0, const char *path, gen_result *r)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return AB_E_IO;
    fputs("reference,plate,tbnr,amount,offense_time,location\n", f);
    gticket t;
    for (uint64_t k = 0; k < o->tickets; k++) {
        if (o->prog && k % 4096 == 0)
            progress_update(o->prog, (int64_t)k);
        ticket_at(o, day0, k, &t);
        char when[20];
        datetime_format(t.when, when);
        when[10] = 'T';
        fprintf(f, "%s,%s,%s,%lld.%02lld,%s,%s %llu\n", t.ref, t.plate, t.tbnr,
                (long long)(t.cents / 100), (long long)(t.cents % 100), when, t.street,
                (unsigned long long)(k % 97 + 1));
        r->tickets++;
        r->tickets_cents += t.cents;
    }
    return fclose(f) == 0 ? AB_OK : AB_E_IO;
}

/* pass: 1 or 2, for the progress bar. */
static void run_payments(gen_run *g, int pass)
{
    const gen_opts *o = g->o;
    for (uint64_t k = 0; k < o->tickets; k++) {
        if (o->prog && k % 4096 == 0)
            progress_update(o->prog, (int64_t)(pass * o->tickets + k));
        if (paying(o, k))
            pay_ticket(g, k);
    }
}

static int statement_date(const gen_opts *o, int32_t *day0, char date[11])
{
    if (o->date)
        return date_parse_iso(o->date, strlen(o->date), day0) < 0 ? AB_E_USAGE
               : (snprintf(date, 11, "%s", o->date), AB_OK);
    *day0 = (int32_t)(time(NULL) / 86400);
    date_format(*day0, date);
    return AB_OK;
}

static int write_statement(gen_run *g, const char *stmt_path, const char *key_path)
{
    g->res = &g->counts;
    run_payments(g, 1); /* pass 1: the sums for the balances */
    int64_t opening = 1000000000; /* 10 M EUR on the treasury account */
    char created[32];
    snprintf(created, sizeof created, "%sT22:00:00", g->date);
    g->h = (camtw_header){.msg_id = "ABGLEICH-GEN", .stmt_id = created, .created = created,
                          .elec_seq = (uint64_t)g->day0 % 366 + 1,
                          .iban = "DE44500105175407324931", .bic = "INGDDEFFXXX",
                          .date = g->date, .opening_cents = opening,
                          .closing_cents = opening + g->credits - g->debits};
    g->stmt = fopen(stmt_path, "w");
    g->key = fopen(key_path, "w");
    if (!g->stmt || !g->key) {
        if (g->stmt)
            fclose(g->stmt);
        if (g->key)
            fclose(g->key);
        return AB_E_IO;
    }
    fputs("end_to_end_id,case,references,amount_cents,placeable\n", g->key);
    camtw_open(g->stmt, &g->h);
    g->seq = 0;
    g->credits = g->debits = 0;
    run_payments(g, 2); /* pass 2: the same stream, written */
    camtw_close(g->stmt);
    int bad = fclose(g->stmt) != 0;
    bad |= fclose(g->key) != 0;
    return bad ? AB_E_IO : AB_OK;
}

int gen_dataset(const gen_opts *o, gen_result *r)
{
    memset(r, 0, sizeof *r);
    if (o->tickets == 0 || o->tickets > 100000000)
        return AB_E_USAGE;
    if (mkdir(o->out_dir, 0755) < 0 && errno != EEXIST)
        return AB_E_IO;
    gen_run g = {.o = o};
    int rc = statement_date(o, &g.day0, g.date);
    if (rc < 0)
        return rc;
    char p1[1024], p2[1024], p3[1024];
    snprintf(p1, sizeof p1, "%s/tickets.csv", o->out_dir);
    snprintf(p2, sizeof p2, "%s/statement.xml", o->out_dir);
    snprintf(p3, sizeof p3, "%s/answer_key.csv", o->out_dir);
    if ((rc = write_tickets(o, g.day0, p1, r)) < 0)
        return rc;
    if ((rc = write_statement(&g, p2, p3)) < 0)
        return rc;
    r->payments = g.counts.payments / 2;
    r->credit_cents = g.credits;
    r->debit_cents = g.debits;
    for (int c = 0; c < GEN_CASE_COUNT; c++)
        r->by_case[c] = g.counts.by_case[c] / 2;
    return AB_OK;
}
