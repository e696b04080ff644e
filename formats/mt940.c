/*
 * mt940.c - streaming reader of MT940/MT942; see mt940.h.
 *
 * Pipeline: bytes -> lines (split at LF, CR and other control bytes at
 * either end dropped, at most MT_LINE_MAX) -> fields: a line opens a field
 * only when it starts with a known tag ':NN[A-Z]?:' (bank-formats.md §3 #5:
 * wrapped ':86:' text may start with ':' or a time), every other line is a
 * continuation of the open field; '-' alone (or '-}') ends a message, and a
 * new ':20:' ends one too -> the field, its lines joined by '\n', converted
 * to UTF-8 -> the handler of its tag.  A ':61:' waits for its ':86:' and is
 * handed to the sink when the next field starts.
 *
 * Statements: ':60F:' opens one (on_statement), ':62M:' closes a page and
 * the next message of the same account and statement number continues it
 * (its ':60M:' must repeat the ':62M:'), ':62F:' closes it with the balance
 * check.  A message with ':34F:'/':13D:'/':90D:'/':90C:' is an MT942 and is
 * one statement of pending entries.  A statement left without ':62F:' at the
 * end of the file is an error: a truncated statement must not pass.
 *
 * ':86:' and collective bookings (Sammler): mt940_86.c.  Character sets
 * (UTF-8, CP1252, CP850): mt940_charset.c.  What the three files share:
 * mt940_int.h.
 */
#include "mt940_int.h"

#include <iconv.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../engine/arena.h"
#include "../engine/date.h"
#include "../engine/mem.h"
#include "../engine/money.h"

/* Sums of a statement's entries stay far from overflow in the balance check. */
#define MT_SUM_MAX (INT64_MAX / 4)

typedef struct balance {
    char mark;                  /* 'C' or 'D' */
    int32_t day;
    char ccy[4];
    int64_t cents;              /* signed */
} balance;

/* --- errors and small helpers ------------------------------------------- */

static int is_alnum(char c)
{
    return is_digit(c) || is_upper(c) || (c >= 'a' && c <= 'z');
}

/* The first line of the field text, trimmed. */
static void first_line(const mt940_reader *r, const char **s, size_t *n)
{
    const char *nl = memchr(r->text, '\n', r->text_len);
    *s = r->text;
    *n = nl ? (size_t)(nl - r->text) : r->text_len;
    trim(s, n);
}

/* --- dates and amounts ---------------------------------------------------- */

static int ymd_ok(int y, int m, int d)
{
    if (m < 1 || m > 12 || d < 1 || d > 31)
        return 0;
    int yy, mm, dd;
    date_to_ymd(date_from_ymd(y, m, d), &yy, &mm, &dd);
    return yy == y && mm == m && dd == d;
}

/* YYMMDD: years 80..99 are 19xx, the rest 20xx. */
static int yymmdd(const char *s, int32_t *day)
{
    if (!digits(s, 6))
        return -1;
    int yy = num2(s), y = yy >= 80 ? 1900 + yy : 2000 + yy;
    int m = num2(s + 2), d = num2(s + 4);
    if (!ymd_ok(y, m, d))
        return -1;
    *day = date_from_ymd(y, m, d);
    return 0;
}

/* MMDD of the entry date: the year that puts it nearest to the value date
 * (a value date 2023-01-05 with entry date 1230 is 2022-12-30). */
static int entry_day(const char *s, int32_t value, int32_t *day)
{
    if (!digits(s, 4))
        return -1;
    int y, m, d, found = 0;
    date_to_ymd(value, &y, &m, &d);
    int32_t best = 0;
    for (int k = -1; k <= 1; k++) {
        if (!ymd_ok(y + k, num2(s), num2(s + 2)))
            continue;
        int32_t c = date_from_ymd(y + k, num2(s), num2(s + 2));
        int32_t dist = c > value ? c - value : value - c;
        int32_t bdist = best > value ? best - value : value - best;
        if (!found || dist < bdist)
            best = c;
        found = 1;
    }
    if (!found)
        return -1;
    *day = best;
    return 0;
}

/* SWIFT amount: digits, one decimal comma, up to 15 characters. */
static int swift_amount(const char *s, size_t n, int64_t *cents)
{
    size_t comma = n;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == ',' && comma == n)
            comma = i;
        else if (!is_digit(s[i]))
            return -1;
    }
    if (n == 0 || n > 15 || comma == 0 || comma == n)
        return -1;
    if (comma == n - 1)
        n--; /* "300," is 300.00 */
    return money_parse(s, n, cents) < 0 ? -1 : 0;
}

/* Length of the amount at s: digits and commas. */
static size_t amount_len(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && (is_digit(s[i]) || s[i] == ','))
        i++;
    return i;
}

static void fmt_eur(int64_t c, char *b, size_t n)
{
    money_format(c, b, n);
}

/* --- statements ------------------------------------------------------------ */

static void announce(mt940_reader *r)
{
    statement *st = &r->st;
    st->format = r->format;
    st->account = r->st_account;
    st->currency = r->st_ccy;
    st->stmt_id = r->st_id;
    st->elec_seq = "";
    st->created = r->created;
    r->skipping = 0;
    if (!r->sink.on_statement)
        return;
    int rc = r->sink.on_statement(r->sink.ctx, st);
    if (rc == CAMT_SKIP)
        r->skipping = 1;
    else if (rc < 0)
        fail(r, r->lineno, rc, "statement", "%s", ab_strerror(rc));
}

/* Opens a statement of the current message; date is the opening balance
 * date or the MT942 time ("" when neither is known).  The caller sets the
 * opening balance and then announces the statement. */
static int stmt_begin(mt940_reader *r, int is942, const char *ccy, const char *date)
{
    if (!r->account[0]) {
        fail(r, r->lineno, AB_E_PARSE, "25", "statement %s names no account", r->ref20);
        return -1;
    }
    memset(&r->st, 0, sizeof r->st);
    r->st_open = 1;
    r->st_cont = 0;
    r->st_942 = is942;
    r->any_statement = 1;
    r->pend_ncr = r->pend_ndb = 0;
    r->pend_cr = r->pend_db = 0;
    snprintf(r->format, sizeof r->format, "%s", is942 ? "MT942" : "MT940");
    snprintf(r->st_account, sizeof r->st_account, "%s", r->account);
    snprintf(r->st_number, sizeof r->st_number, "%s", r->number);
    snprintf(r->st_ccy, sizeof r->st_ccy, "%s", ccy);
    snprintf(r->created, sizeof r->created, "%s", date);
    /* Who the statement is: its number (:28C:) and opening date, not the
     * message reference (:20:), which a bank may give anew when it sends
     * the same statement again: the bank audit saw one booked twice.  The
     * :20: stands in only where a statement has no number. */
    size_t o = 0;
    const char *parts[] = {r->number[0] ? "" : r->ref20, r->number, date};
    for (int i = 0; i < 3; i++)
        if (parts[i][0] && o < sizeof r->st_id)
            o += (size_t)snprintf(r->st_id + o, sizeof r->st_id - o, "%s%s", o ? "/" : "",
                                  parts[i]);
    return 0;
}

static void stmt_finish(mt940_reader *r)
{
    r->st_open = 0;
    if (r->rc < 0 || !r->sink.on_statement_end)
        return;
    int rc = r->sink.on_statement_end(r->sink.ctx, &r->st);
    if (rc < 0)
        fail(r, r->lineno, rc, "statement", "%s", ab_strerror(rc));
}

/* opening + booked credits - booked debits must give the closing balance. */
static void stmt_close(mt940_reader *r)
{
    statement *st = &r->st;
    int64_t sum = st->opening_cents + st->credit_cents - st->debit_cents;
    if (sum != st->closing_cents) {
        char o[32], c[32], d[32], s[32], cl[32];
        fmt_eur(st->opening_cents, o, sizeof o);
        fmt_eur(st->credit_cents, c, sizeof c);
        fmt_eur(st->debit_cents, d, sizeof d);
        fmt_eur(sum, s, sizeof s);
        fmt_eur(st->closing_cents, cl, sizeof cl);
        FFAIL(r, AB_E_BALANCE,
              "statement %s: opening balance %s + credits %s - debits %s = %s, but the closing"
              " balance is %s", st->stmt_id, o, c, d, s, cl);
        r->st_open = 0;
        return;
    }
    stmt_finish(r);
}

/* MT942: the totals of :90D:/:90C:, when sent, must match the entries. */
static void check_90(mt940_reader *r, int has, char mark, long n, int64_t sum, long en,
                     int64_t esum)
{
    if (!has || (n == en && sum == esum))
        return;
    char a[32], b[32];
    fmt_eur(sum, a, sizeof a);
    fmt_eur(esum, b, sizeof b);
    fail(r, mark == 'D' ? r->line90d : r->line90c, AB_E_BALANCE, mark == 'D' ? "90D" : "90C",
         "statement %s: the report counts %ld %s of %s, its entries give %ld of %s",
         r->st.stmt_id, n, mark == 'D' ? "debits" : "credits", a, en, b);
}

static void stmt_close942(mt940_reader *r)
{
    check_90(r, r->has90d, 'D', r->n90d, r->s90d, r->pend_ndb, r->pend_db);
    check_90(r, r->has90c, 'C', r->n90c, r->s90c, r->pend_ncr, r->pend_cr);
    if (r->rc < 0) {
        r->st_open = 0;
        return;
    }
    stmt_finish(r);
}

/* --- entries ---------------------------------------------------------------- */

static void emit_entry(mt940_reader *r)
{
    if (!r->have_entry || r->rc < 0)
        return;
    r->have_entry = 0;
    payment *p = &r->p;
    statement *st = &r->st;
    int64_t *sum = !strcmp(p->status, "BOOK") ? (p->direction == PAY_CREDIT ? &st->credit_cents
                                                                         : &st->debit_cents)
                   : p->direction == PAY_CREDIT ? &r->pend_cr : &r->pend_db;
    if (*sum > MT_SUM_MAX - p->amount_cents) {
        fail(r, r->entry_line, AB_E_LIMIT, "61", "the entries of statement %s add up to more"
             " than %lld cents", st->stmt_id, (long long)MT_SUM_MAX);
        return;
    }
    if (!strcmp(p->status, "BOOK")) {
        if (p->direction == PAY_CREDIT)
            st->credit_cents += p->amount_cents;
        else
            st->debit_cents += p->amount_cents;
    } else if (p->direction == PAY_CREDIT) {
        r->pend_ncr++;
        r->pend_cr += p->amount_cents;
    } else {
        r->pend_ndb++;
        r->pend_db += p->amount_cents;
    }
    st->transactions++;
    if (r->skipping || !r->sink.on_payment)
        return;
    int rc = r->sink.on_payment(r->sink.ctx, st, p);
    if (rc < 0)
        fail(r, r->entry_line, rc, "61", "%s", ab_strerror(rc));
}

/* Debit/credit mark: C, D, RC (reversal of a credit: a debit), RD (a
 * credit), EC/ED (expected, MT942). */
static int parse_mark(payment *p, const char *s, size_t n, size_t *i)
{
    char c = *i < n ? s[*i] : 0, d = *i + 1 < n ? s[*i + 1] : 0;
    if ((c == 'R' || c == 'E') && (d == 'C' || d == 'D')) {
        p->reversal = c == 'R';
        if (c == 'R')
            p->direction = d == 'C' ? PAY_DEBIT : PAY_CREDIT;
        else
            p->direction = d;
        if (c == 'E')
            snprintf(p->status, sizeof p->status, "PDNG");
        *i += 2;
        return 0;
    }
    if (c != 'C' && c != 'D')
        return -1;
    p->direction = c;
    *i += 1;
    return 0;
}

static void entry_begin(mt940_reader *r)
{
    payment *p = &r->p;
    arena_reset(r->ea);
    memset(p, 0, sizeof *p);
    p->acct_svcr_ref = p->end_to_end_id = p->debtor_name = p->debtor_iban = "";
    p->remittance = p->creditor_ref = p->bank_tx_code = p->entry_info = "";
    p->return_reason = p->batch_kref = "";
    snprintf(p->status, sizeof p->status, "%s", r->st_942 ? "PDNG" : "BOOK");
    snprintf(p->currency, sizeof p->currency, "%s", r->st_ccy);
    p->entry_no = ++r->st.entries;
    p->tx_no = 1;
    r->entry_line = r->field_line;
    r->supplement = "";
    r->type[0] = '\0';
}

/* Dates, mark, funds code, amount; *i is left at the transaction type. */
static int parse_61_head(mt940_reader *r, const char *s, size_t n, size_t *i)
{
    payment *p = &r->p;
    int32_t vday, eday;
    if (n < 6 || yymmdd(s, &vday) < 0) {
        FFAIL(r, AB_E_PARSE, "value date '%.*s' is not YYMMDD", (int)(n < 6 ? n : 6), s);
        return -1;
    }
    date_format(vday, p->value_date);
    *i = 6;
    if (n >= 10 && digits(s + 6, 4)) {
        if (entry_day(s + 6, vday, &eday) < 0) {
            FFAIL(r, AB_E_PARSE, "entry date '%.4s' is not MMDD", s + 6);
            return -1;
        }
        date_format(eday, p->booking_date);
        *i = 10;
    } else if (n >= 10 && !memcmp(s + 6, "    ", 4)) {
        *i = 10; /* entry date filled with blanks */
    }
    if (parse_mark(p, s, n, i) < 0) {
        FFAIL(r, AB_E_PARSE, "no debit/credit mark (C, D, RC, RD) in '%.*s'",
              (int)(n > 40 ? 40 : n), s);
        return -1;
    }
    if (*i < n && is_upper(s[*i]))
        (*i)++; /* funds code, e.g. the R of EUR */
    size_t al = amount_len(s + *i, n - *i);
    if (swift_amount(s + *i, al, &p->amount_cents) < 0) {
        FFAIL(r, AB_E_PARSE, "amount '%.*s' is not a SWIFT amount (digits, one decimal comma)",
              (int)(al > 20 ? 20 : al), s + *i);
        return -1;
    }
    *i += al;
    return 0;
}

/* :61: value date, [entry date], mark, [funds code], amount, type,
 * customer reference [//bank reference] [CRLF supplementary details]. */
/* Charges in the supplementary details, "/OCMT/EUR50,00//CHGS/EUR3,00/"
 * (a returned direct debit of 50.00 booked as 53.00): kept apart from the
 * amount; 0 when absent or unreadable. */
static int64_t supplement_charges(const char *s)
{
    const char *c = strstr(s, "/CHGS/");
    if (!c)
        return 0;
    c += 6;
    if (is_upper(c[0]) && is_upper(c[1]) && is_upper(c[2]))
        c += 3;
    int64_t v = 0;
    return swift_amount(c, strcspn(c, "/"), &v) == 0 && v >= 0 ? v : 0;
}

static void field_61(mt940_reader *r)
{
    const char *s;
    size_t n, i;
    first_line(r, &s, &n);
    entry_begin(r);
    if (parse_61_head(r, s, n, &i) < 0)
        return;
    if (n - i < 4 || !is_upper(s[i]) || !is_alnum(s[i + 1]) || !is_alnum(s[i + 2]) ||
        !is_alnum(s[i + 3])) {
        FFAIL(r, AB_E_PARSE, "no transaction type (N + 3 characters) after the amount");
        return;
    }
    copy_field(r->type, sizeof r->type, s + i, 4);
    i += 4;
    for (size_t k = i; k + 1 < n; k++) {
        if (s[k] == '/' && s[k + 1] == '/') {
            const char *b = s + k + 2;
            size_t bn = n - k - 2;
            trim(&b, &bn);
            r->p.acct_svcr_ref = keep(r, b, bn);
            break;
        }
    }
    const char *nl = memchr(r->text, '\n', r->text_len);
    if (nl) {
        const char *b = nl + 1;
        size_t bn = r->text_len - (size_t)(b - r->text);
        trim(&b, &bn);
        r->supplement = keep(r, b, bn);
    }
    r->p.bank_tx_code = keep(r, r->type, strlen(r->type));
    r->p.entry_info = r->supplement;
    /* The :61: is its own entry, as a camt entry without details: its bank
     * reference, amount and direction (jobs/entrylink.c compares them). */
    r->p.entry_ref = r->p.acct_svcr_ref;
    r->p.entry_cents = r->p.amount_cents;
    r->p.entry_direction = r->p.direction;
    r->p.entry_txs = 1;
    r->p.charges_cents = supplement_charges(r->supplement);
    r->have_entry = r->rc == AB_OK;
}

/* --- the other fields ------------------------------------------------------ */

/* C|D, YYMMDD, [currency], amount: ':60F:C070903EUR1234718,36'. */
static int parse_balance(mt940_reader *r, balance *b)
{
    const char *s;
    size_t n, i = 7;
    first_line(r, &s, &n);
    if (n < 8 || (s[0] != 'C' && s[0] != 'D') || yymmdd(s + 1, &b->day) < 0) {
        FFAIL(r, AB_E_PARSE, "balance '%.*s' is not C/D, YYMMDD, currency, amount",
              (int)(n > 40 ? 40 : n), s);
        return -1;
    }
    b->mark = s[0];
    b->ccy[0] = '\0';
    if (n - i >= 3 && is_upper(s[i]) && is_upper(s[i + 1]) && is_upper(s[i + 2])) {
        copy_field(b->ccy, sizeof b->ccy, s + i, 3);
        i += 3;
    }
    if (swift_amount(s + i, n - i, &b->cents) < 0) {
        FFAIL(r, AB_E_PARSE, "amount '%.*s' is not a SWIFT amount (digits, one decimal comma)",
              (int)(n - i > 20 ? 20 : n - i), s + i);
        return -1;
    }
    if (b->mark == 'D')
        b->cents = -b->cents;
    return 0;
}

/* The :60M: of the next page of a statement closed by :62M:. */
static void continue_page(mt940_reader *r, const balance *b)
{
    if (strcmp(r->account, r->st_account) || strcmp(r->number, r->st_number)) {
        FFAIL(r, AB_E_PARSE, "statement %s ends with an intermediate balance (:62M:), but the"
              " next page is statement %s of account %s", r->st.stmt_id, r->number, r->account);
        return;
    }
    if (b->cents != r->last_m) {
        char a[32], c[32];
        fmt_eur(b->cents, a, sizeof a);
        fmt_eur(r->last_m, c, sizeof c);
        FFAIL(r, AB_E_BALANCE, "statement %s: the page opens with %s, the previous page closed"
              " with %s", r->st.stmt_id, a, c);
        return;
    }
    r->st_cont = 0;
}

static void field_60(mt940_reader *r)
{
    balance b;
    if (parse_balance(r, &b) < 0)
        return;
    if (r->st_open && r->st_cont) {
        continue_page(r, &b);
        return;
    }
    if (r->tag[2] == 'M' && !r->st_open) {
        /* A later page alone is not a statement: its first page (and every
         * booking on it) would be missing, and the whole statement, once
         * it arrives, would look imported already (the bank audit). */
        FFAIL(r, AB_E_PARSE, "statement %s: the page opens with an intermediate balance (:60M:),"
              " but its first page is not in this file: the pages of a statement come in one"
              " file", r->number);
        return;
    }
    if (r->st_open) {
        FFAIL(r, AB_E_PARSE, "statement %s has no closing balance (:62F:) before this opening"
              " balance", r->st.stmt_id);
        return;
    }
    char date[11];
    date_format(b.day, date);
    if (stmt_begin(r, 0, b.ccy, date) < 0)
        return;
    r->st.has_opening = true;
    r->st.opening_cents = b.cents;
    announce(r);
}

static void field_62(mt940_reader *r)
{
    balance b;
    if (parse_balance(r, &b) < 0)
        return;
    if (!r->st_open || r->st_942) {
        FFAIL(r, AB_E_PARSE, "closing balance without an opening balance (:60F:)");
        return;
    }
    if (r->st_cont) {
        FFAIL(r, AB_E_PARSE, "statement %s: a second closing balance without a new page (:60M:)",
              r->st.stmt_id);
        return;
    }
    if (r->tag[2] == 'M') {
        /* Every page closes on its own: an error on one page that a later
         * page happens to offset must not pass (issue 3: "for every
         * statement and page"). */
        int64_t want = r->st.opening_cents + r->st.credit_cents - r->st.debit_cents;
        if (want != b.cents) {
            char o[32], c[32], d[32], w[32], g[32];
            fmt_eur(r->st.opening_cents, o, sizeof o);
            fmt_eur(r->st.credit_cents, c, sizeof c);
            fmt_eur(r->st.debit_cents, d, sizeof d);
            fmt_eur(want, w, sizeof w);
            fmt_eur(b.cents, g, sizeof g);
            FFAIL(r, AB_E_BALANCE, "statement %s: opening balance %s + credits %s - debits %s ="
                  " %s, but the page closes with %s (:62M:)", r->st.stmt_id, o, c, d, w, g);
            return;
        }
        r->st_cont = 1;
        r->last_m = b.cents;
        return;
    }
    r->st.has_closing = true;
    r->st.closing_cents = b.cents;
    stmt_close(r);
}

static void field_61x(mt940_reader *r)
{
    if (!r->st_open && r->msg942) {
        if (stmt_begin(r, 1, r->ccy942, r->time13) < 0)
            return;
        announce(r);
    } else if (!r->st_open) {
        FFAIL(r, AB_E_PARSE, "statement line before the opening balance (:60F:)");
    } else if (r->st_cont) {
        FFAIL(r, AB_E_PARSE, "statement %s: statement line between an intermediate balance"
              " (:62M:) and the next page", r->st.stmt_id);
    }
    if (r->rc == AB_OK)
        field_61(r);
}

/* A :86: after a :61: describes it; one after a balance describes the
 * statement and is not needed. */
static void field_86x(mt940_reader *r)
{
    if (!r->have_entry)
        return;
    mt940_86_field(r);
    emit_entry(r);
}

static void field_20(mt940_reader *r)
{
    const char *s;
    size_t n;
    first_line(r, &s, &n);
    copy_field(r->ref20, sizeof r->ref20, s, n);
}

static void field_25(mt940_reader *r)
{
    const char *s;
    size_t n;
    first_line(r, &s, &n);
    copy_field(r->account, sizeof r->account, s, n);
}

/* :28C: statement number[/page]; pages share the number. */
static void field_28(mt940_reader *r)
{
    const char *s;
    size_t n;
    first_line(r, &s, &n);
    const char *slash = memchr(s, '/', n);
    if (slash)
        n = (size_t)(slash - s);
    trim(&s, &n);
    copy_field(r->number, sizeof r->number, s, n);
}

/* MT942 :13D: YYMMDDhhmm[+-hhmm] -> "YYYY-MM-DDThh:mm[+hh:mm]". */
static void field_13(mt940_reader *r)
{
    const char *s;
    size_t n;
    int32_t day;
    first_line(r, &s, &n);
    r->msg942 = 1;
    if (n < 10 || yymmdd(s, &day) < 0 || !digits(s + 6, 4) || num2(s + 6) > 23 ||
        num2(s + 8) > 59 || (n > 10 && (n != 15 || (s[10] != '+' && s[10] != '-') ||
                                        !digits(s + 11, 4)))) {
        FFAIL(r, AB_E_PARSE, "date and time '%.*s' is not YYMMDDhhmm+hhmm",
              (int)(n > 20 ? 20 : n), s);
        return;
    }
    char d[11];
    date_format(day, d);
    snprintf(r->time13, sizeof r->time13, "%sT%.2s:%.2s", d, s + 6, s + 8);
    if (n == 15)
        snprintf(r->time13 + 16, sizeof r->time13 - 16, "%c%.2s:%.2s", s[10], s + 11, s + 13);
}

/* MT942 :34F: floor limit: currency, [D|C], amount. */
static void field_34(mt940_reader *r)
{
    const char *s;
    size_t n;
    first_line(r, &s, &n);
    r->msg942 = 1;
    if (n >= 3 && is_upper(s[0]) && is_upper(s[1]) && is_upper(s[2]))
        copy_field(r->ccy942, sizeof r->ccy942, s, 3);
}

/* MT942 :90D:/:90C: number of entries, currency, sum. */
static void field_90(mt940_reader *r)
{
    const char *s;
    size_t n, i = 0;
    int64_t sum;
    long cnt = 0;
    first_line(r, &s, &n);
    r->msg942 = 1;
    while (i < n && i < 5 && is_digit(s[i]))
        cnt = cnt * 10 + (s[i++] - '0');
    if (i == 0 || n - i < 4 || !is_upper(s[i]) || !is_upper(s[i + 1]) || !is_upper(s[i + 2]) ||
        swift_amount(s + i + 3, n - i - 3, &sum) < 0) {
        FFAIL(r, AB_E_PARSE, "'%.*s' is not a count, currency and amount",
              (int)(n > 40 ? 40 : n), s);
        return;
    }
    if (!r->ccy942[0])
        copy_field(r->ccy942, sizeof r->ccy942, s + i, 3);
    if (r->tag[2] == 'D') {
        r->has90d = 1;
        r->line90d = r->field_line;
        r->n90d = cnt;
        r->s90d = sum;
    } else {
        r->has90c = 1;
        r->line90c = r->field_line;
        r->n90c = cnt;
        r->s90c = sum;
    }
}

static const struct {
    const char *tag;
    void (*fn)(mt940_reader *r);
} fields[] = {
    {"20", field_20},   {"21", NULL},       {"25", field_25},   {"28", field_28},
    {"28C", field_28},  {"60F", field_60},  {"60M", field_60},  {"61", field_61x},
    {"86", field_86x},  {"62F", field_62},  {"62M", field_62},  {"64", NULL},
    {"65", NULL},       {"13", field_13},   {"13D", field_13},  {"34F", field_34},
    {"90D", field_90},  {"90C", field_90},  {"NS", NULL},
};

#define NFIELDS (sizeof fields / sizeof fields[0])

/* --- fields and messages ------------------------------------------------------ */

/* Index of the known tag ':TAG:' at the start of s, or -1; *len is the
 * length of ':TAG:'. */
static int known_tag(const char *s, size_t n, size_t *len)
{
    if (n < 4 || s[0] != ':')
        return -1;
    const char *c = memchr(s + 1, ':', n - 1 < 5 ? n - 1 : 5);
    if (!c)
        return -1;
    size_t tl = (size_t)(c - s - 1);
    for (unsigned k = 0; k < NFIELDS; k++) {
        if (strlen(fields[k].tag) == tl && !memcmp(fields[k].tag, s + 1, tl)) {
            *len = tl + 2;
            return (int)k;
        }
    }
    return -1;
}

static void append_raw(mt940_reader *r, const char *s, size_t n)
{
    if (r->raw_len + n > MT_FIELD_MAX) {
        FFAIL(r, AB_E_LIMIT, "field longer than %u bytes", MT_FIELD_MAX);
        return;
    }
    memcpy(r->raw + r->raw_len, s, n);
    r->raw_len += n;
}

/* The open field is complete: convert it and hand it to its handler. */
static void flush_field(mt940_reader *r)
{
    if (!r->tag[0] || r->rc < 0)
        return;
    r->text_len = mt940_to_utf8(r, r->raw, r->raw_len, r->text);
    if (r->text_len == (size_t)-1) {
        r->text_len = 0;
        FFAIL(r, AB_E_PARSE, "byte 0x%02X near byte offset %zu is no character in UTF-8, CP850"
                             " or CP1252", (unsigned char)r->raw[r->bad_at], r->field_off + r->bad_at);
        return;
    }
    if (strcmp(r->tag, "86"))
        emit_entry(r); /* a :61: without :86: */
    for (unsigned k = 0; k < NFIELDS && r->rc == AB_OK; k++) {
        if (!strcmp(fields[k].tag, r->tag)) {
            if (fields[k].fn)
                fields[k].fn(r);
            break;
        }
    }
    r->tag[0] = '\0';
}

static void end_message(mt940_reader *r)
{
    flush_field(r);
    emit_entry(r);
    if (r->rc == AB_OK && r->in_msg && r->msg942 && (!r->st_open || r->st_942)) {
        if (!r->st_open && stmt_begin(r, 1, r->ccy942, r->time13) == 0)
            announce(r);
        if (r->rc == AB_OK)
            stmt_close942(r);
    }
    r->in_msg = r->msg942 = 0;
    r->has90d = r->has90c = 0;
    r->time13[0] = r->ccy942[0] = '\0';
}

static void start_field(mt940_reader *r, int k, const char *s, size_t n)
{
    flush_field(r);
    if (r->rc < 0)
        return;
    if (!strcmp(fields[k].tag, "20")) {
        end_message(r);
        r->ref20[0] = r->account[0] = r->number[0] = '\0';
    }
    r->in_msg = 1;
    snprintf(r->tag, sizeof r->tag, "%s", fields[k].tag);
    r->field_line = r->lineno;
    /* s lies in r->line, after the tag (and any envelope or trimmed bytes) */
    int in_line = s >= r->line && s <= r->line + r->line_len;
    r->field_off = r->line_off + (in_line ? (size_t)(s - r->line) : 0);
    r->raw_len = 0;
    append_raw(r, s, n);
}

/* SWIFT envelope '{1:..}{2:..}{3:{..}}{4:': what follows '{4:' is the
 * message; a line of other blocks ({5:..}) carries nothing. */
static void envelope(mt940_reader *r, const char **s, size_t *n)
{
    int depth = 0;
    for (size_t i = 0; i < *n; i++) {
        if (depth == 0 && i + 3 <= *n && !memcmp(*s + i, "{4:", 3)) {
            end_message(r);
            *s += i + 3;
            *n -= i + 3;
            return;
        }
        if ((*s)[i] == '{')
            depth++;
        else if ((*s)[i] == '}' && depth)
            depth--;
    }
    *n = 0;
}

static int is_envelope(const char *s, size_t n)
{
    return n >= 3 && s[0] == '{' && s[1] >= '1' && s[1] <= '5' && s[2] == ':';
}

static void feed_line(mt940_reader *r, const char *s, size_t n)
{
    r->lineno++;
    r->line_off = r->next_line_off;
    r->next_line_off += n + 1;
    while (n && ((unsigned char)s[0] < 0x20 || s[0] == 0x7F)) {
        s++;
        n--;
    }
    while (n && ((unsigned char)s[n - 1] < 0x20 || s[n - 1] == 0x7F))
        n--;
    if (is_envelope(s, n))
        envelope(r, &s, &n);
    size_t t = n;
    while (t && s[t - 1] == ' ')
        t--;
    if ((t == 1 && s[0] == '-') || (t >= 2 && s[0] == '-' && s[1] == '}')) {
        end_message(r);
        return;
    }
    if (t == 0)
        return; /* blank lines between and inside messages */
    size_t tl;
    int k = known_tag(s, n, &tl);
    if (k >= 0) {
        start_field(r, k, s + tl, n - tl);
        return;
    }
    if (!r->tag[0]) {
        fail(r, r->lineno, AB_E_PARSE, "MT940", "'%.*s' is neither a field (:NN:) nor part"
             " of one", (int)(n > 30 ? 30 : n), s);
        return;
    }
    append_raw(r, "\n", 1);
    append_raw(r, s, n);
}

static void finish(mt940_reader *r)
{
    if (r->line_len) {
        feed_line(r, r->line, r->line_len);
        r->line_len = 0;
    }
    end_message(r);
    if (r->rc < 0)
        return;
    if (r->st_open && r->st_cont)
        fail(r, r->lineno, AB_E_PARSE, "62M", "statement %s ends with an intermediate balance"
             " (:62M:), but its next page is missing", r->st.stmt_id);
    else if (r->st_open)
        fail(r, r->lineno, AB_E_PARSE, "62F", "statement %s has no closing balance (:62F:)",
             r->st.stmt_id);
    else if (!r->any_statement)
        fail(r, r->lineno, AB_E_PARSE, "MT940", "no MT940 or MT942 statement in the file");
}

/* --- the reader ---------------------------------------------------------------- */

int mt940_reader_create(mt940_reader **out, const camt_sink *sink, const char *filename)
{
    mt940_reader *r = mem_calloc(1, sizeof *r);
    if (!r)
        return AB_E_NOMEM;
    r->sink = *sink;
    r->filename = filename ? filename : "-";
    r->cp850 = (iconv_t)-1;
    int rc = arena_create(&r->ea, MT_ENTRY_ARENA);
    if (rc < 0) {
        mem_free(r);
        return rc;
    }
    *out = r;
    return AB_OK;
}

int mt940_reader_feed(mt940_reader *r, const char *buf, size_t n, bool last)
{
    r->fed += n;
    if (r->rc == AB_OK && last && r->fed == 0)
        fail(r, 1, AB_E_PARSE, "MT940", "the file is empty");
    while (r->rc == AB_OK && n > 0) {
        const char *nl = memchr(buf, '\n', n);
        size_t k = nl ? (size_t)(nl - buf) : n;
        if (r->line_len + k > MT_LINE_MAX) {
            fail(r, r->lineno + 1, AB_E_LIMIT, "MT940", "line longer than %u bytes",
                 MT_LINE_MAX);
            break;
        }
        memcpy(r->line + r->line_len, buf, k);
        r->line_len += k;
        if (!nl)
            break;
        feed_line(r, r->line, r->line_len);
        r->line_len = 0;
        buf += k + 1;
        n -= k + 1;
    }
    if (r->rc == AB_OK && last)
        finish(r);
    return r->rc;
}

const char *mt940_reader_error(const mt940_reader *r)
{
    return r->err;
}

const char *mt940_reader_format(const mt940_reader *r)
{
    return r->format;
}

void mt940_reader_destroy(mt940_reader *r)
{
    if (!r)
        return;
    arena_destroy(r->ea);
    if (r->cp850 != (iconv_t)-1)
        iconv_close(r->cp850);
    mem_free(r->dos);
    mem_free(r);
}

int mt940_read_file(const char *path, const camt_sink *sink, char *err, size_t errlen)
{
    mt940_reader *r = NULL;
    char *buf = NULL;
    FILE *f = NULL;
    int rc = mt940_reader_create(&r, sink, path);
    if (rc < 0)
        goto out;
    rc = AB_E_NOMEM;
    if (!(buf = mem_alloc(AB_READ_CHUNK)))
        goto out;
    rc = AB_E_IO;
    if (!(f = fopen(path, "rb"))) {
        snprintf(err, errlen, "%s: cannot open", path);
        goto out;
    }
    size_t n;
    do {
        n = fread(buf, 1, AB_READ_CHUNK, f);
        rc = mt940_reader_feed(r, buf, n, n < AB_READ_CHUNK);
    } while (rc == AB_OK && n == AB_READ_CHUNK);
    if (rc < 0)
        snprintf(err, errlen, "%s", mt940_reader_error(r));
out:
    if (f)
        fclose(f);
    mem_free(buf);
    mt940_reader_destroy(r);
    return rc;
}
