/*
 * camt.c - streaming reader of camt.052/053/054; see camt.h.
 *
 * Pipeline: bytes -> libxml2 SAX2 push parser (chunks of any size) ->
 * element events with local names -> a stack of element ids (fixed depth
 * AB_XML_MAX_DEPTH) -> leaf text captured into one bounded buffer -> fields
 * of the statement header, balances, the current entry and its
 * transactions -> at </Ntry> one payment per TxDtls (or the entry itself)
 * -> the sink.  At </Stmt> the balance equation is checked.
 * Memory: the per-entry arena (capped), the capture buffer, the parser's
 * own window.  Security: no DTD is loaded, any DOCTYPE with an internal
 * subset or an entity declaration stops the parse, no network access.
 * Elements are matched by local name so .001.02 through .001.13 (and files
 * with a wrong namespace version) read alike; version differences are the
 * paths tabled in bank-formats.md §1.2 (Sts vs Sts/Cd, Dbtr/Nm vs
 * Dbtr/Pty/Nm, TxDtls/Amt vs AmtDtls/TxAmt/Amt).
 */
#include "camt.h"

#include <libxml/parser.h>
#include <libxml/SAX2.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../engine/arena.h"
#include "../engine/date.h"
#include "../engine/limits.h"
#include "../engine/mem.h"
#include "../engine/money.h"

#define ELEMENTS(X) X(OTHER) X(Document) X(BkToCstmrStmt) X(BkToCstmrAcctRpt) \
    X(BkToCstmrDbtCdtNtfctn) X(Stmt) X(Rpt) X(Ntfctn) X(Id) X(ElctrncSeqNb) X(CreDtTm) \
    X(Acct) X(IBAN) X(Othr) X(Ccy) X(Bal) X(Tp) X(CdOrPrtry) X(Cd) X(Amt) X(CdtDbtInd) \
    X(Ntry) X(RvslInd) X(Sts) X(BookgDt) X(ValDt) X(Dt) X(DtTm) X(AcctSvcrRef) X(BkTxCd) \
    X(Domn) X(Fmly) X(SubFmlyCd) X(Prtry) X(NtryDtls) X(TxDtls) X(Refs) X(EndToEndId) \
    X(AmtDtls) X(TxAmt) X(RltdPties) X(Dbtr) X(Pty) X(Nm) X(DbtrAcct) X(RmtInf) X(Ustrd) \
    X(Cdtr) X(CdtrAcct) \
    X(Strd) X(CdtrRefInf) X(Ref) X(AddtlNtryInf) X(RtrInf) X(Rsn) X(Chrgs) \
    X(TtlChrgsAndTaxAmt) X(Rcrd) X(AddtlTxInf) X(Btch) X(NbOfTxs) X(MsgId) X(PmtInfId)

enum el {
#define EL_ENUM(n) E_##n,
    ELEMENTS(EL_ENUM)
#undef EL_ENUM
    E_COUNT
};

static const char *const el_names[] = {
#define EL_NAME(n) #n,
    ELEMENTS(EL_NAME)
#undef EL_NAME
};

typedef struct tx_node {
    payment p;
    int has_amount;
    int has_charges_total;    /* Chrgs/TtlChrgsAndTaxAmt seen: it wins over the records */
    const char *addtl;        /* AddtlTxInf, NULL when absent */
    const char *cdtr_name, *cdtr_iban;  /* RltdPties/Cdtr, CdtrAcct: NULL when absent */
    char cdi;                 /* 'C', 'D' or 0 when the TxDtls has none */
    struct tx_node *next;
} tx_node;

typedef struct entry {
    int64_t amount;
    char cdi;
    int reversal;
    char status[8];
    char ccy[4];              /* Ntry/Amt/@Ccy: the booked amount's currency */
    uint32_t batch_n;         /* NtryDtls/Btch/NbOfTxs, 0 if none */
    char booking[11], value[11];
    const char *acct_svcr_ref, *bank_tx_code, *info;
    const char *btch_msg, *btch_pmt; /* NtryDtls/Btch/MsgId, PmtInfId: "" if none */
    int64_t charges;          /* entry-level Chrgs, given to a lone transaction */
    int has_charges_total;
    tx_node *head, *tail;
    unsigned ntx;
} entry;

struct camt_reader {
    camt_sink sink;
    xmlParserCtxtPtr ctxt;
    const char *filename;
    char format[32];
    int root_ok;
    unsigned char stack[AB_XML_MAX_DEPTH];
    unsigned depth, skip_depth; /* skip_depth: elements nested below the cap */
    char text[AB_TEXT_FIELD_MAX + 1];
    size_t text_len;
    int text_over;
    int rc;
    size_t fed;             /* bytes seen so far */
    char err[AB_ERRMSG_MAX];
    /* statement */
    int in_stmt, stmt_announced, skipping;
    statement st;
    char account[AB_ID_MAX + 1], currency[4], stmt_id[AB_ID_MAX + 1], elec_seq[AB_ID_MAX + 1],
        created[40];
    /* balance */
    char bal_type[8];
    int64_t bal_amt;
    int bal_dbit;
    /* entry */
    int in_ntry, in_tx;
    entry e;
    tx_node *tx;
    arena *ea;
    char domn[8], fmly[8], subfmly[8], prtry[AB_ID_MAX + 1];
};

/* --- errors and small helpers ------------------------------------------ */

static void fail(camt_reader *r, int code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void fail(camt_reader *r, int code, const char *field, const char *fmt, ...)
{
    if (r->rc < 0)
        return;
    char msg[AB_ERRMSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    long line = r->ctxt ? (long)xmlSAX2GetLineNumber(r->ctxt) : 0;
    snprintf(r->err, sizeof r->err, "%s:%ld: %s: %s", r->filename, line, field, msg);
    r->rc = code;
    if (r->ctxt)
        xmlStopParser(r->ctxt);
}

static enum el lookup(const xmlChar *name)
{
    const char *n = (const char *)name;
    for (int i = 1; i < E_COUNT; i++)
        if (n[0] == el_names[i][0] && !strcmp(n, el_names[i]))
            return (enum el)i;
    return E_OTHER;
}

/* The element k levels above the current one (0 = current). */
static enum el up(const camt_reader *r, unsigned k)
{
    return k < r->depth ? (enum el)r->stack[r->depth - 1 - k] : E_OTHER;
}

static const char *keep(camt_reader *r, const char *s, size_t n)
{
    const char *d = arena_strndup(r->ea, s, n);
    if (!d)
        fail(r, AB_E_LIMIT, "Ntry", "entry larger than %u bytes", AB_ENTRY_ARENA_BYTES);
    return d ? d : "";
}

/* Appends a line to a '\n'-joined list kept in the entry arena. */
static const char *append_line(camt_reader *r, const char *old, const char *s, size_t n)
{
    size_t ol = old ? strlen(old) : 0;
    if (ol + n + 1 > AB_REMITTANCE_MAX) {
        fail(r, AB_E_LIMIT, "RmtInf", "remittance longer than %u bytes", AB_REMITTANCE_MAX);
        return old;
    }
    char *d = arena_alloc(r->ea, ol + n + 2);
    if (!d) {
        fail(r, AB_E_LIMIT, "Ntry", "entry larger than %u bytes", AB_ENTRY_ARENA_BYTES);
        return old;
    }
    if (ol) {
        memcpy(d, old, ol);
        d[ol++] = '\n';
    }
    memcpy(d + ol, s, n);
    d[ol + n] = '\0';
    return d;
}

static void copy_field(char *dst, size_t cap, const char *s, size_t n)
{
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, s, n);
    dst[n] = '\0';
}

static int64_t amount(camt_reader *r, const char *field, const char *s, size_t n)
{
    int64_t c = 0;
    if (money_parse_iso(s, n, &c) < 0)
        fail(r, AB_E_PARSE, field, "not an amount in cents: '%.*s'", (int)(n > 40 ? 40 : n), s);
    return c;
}

static char cdi(camt_reader *r, const char *s, size_t n)
{
    if (n == 4 && !memcmp(s, "CRDT", 4))
        return 'C';
    if (n == 4 && !memcmp(s, "DBIT", 4))
        return 'D';
    fail(r, AB_E_PARSE, "CdtDbtInd", "neither CRDT nor DBIT: '%.*s'", (int)(n > 20 ? 20 : n), s);
    return 0;
}

static void fmt_eur(int64_t c, char *b, size_t n)
{
    money_format(c, b, n);
}

/* --- statement ----------------------------------------------------------- */

static void stmt_begin(camt_reader *r)
{
    memset(&r->st, 0, sizeof r->st);
    r->account[0] = r->currency[0] = r->stmt_id[0] = r->elec_seq[0] = r->created[0] = '\0';
    r->in_stmt = 1;
    r->stmt_announced = 0;
    r->skipping = 0;
}

static void announce(camt_reader *r)
{
    if (r->stmt_announced || r->rc < 0)
        return;
    r->stmt_announced = 1;
    r->st.format = r->format;
    r->st.account = r->account;
    r->st.currency = r->currency;
    r->st.stmt_id = r->stmt_id;
    r->st.elec_seq = r->elec_seq;
    r->st.created = r->created;
    if (!r->account[0])
        fail(r, AB_E_PARSE, "Acct", "statement %s names no account", r->stmt_id);
    else if (!r->stmt_id[0])
        fail(r, AB_E_PARSE, "Id", "statement of account %s has no Id", r->account);
    if (r->rc < 0 || !r->sink.on_statement)
        return;
    int rc = r->sink.on_statement(r->sink.ctx, &r->st);
    if (rc == CAMT_SKIP)
        r->skipping = 1;
    else if (rc < 0)
        fail(r, rc, "Stmt", "%s", ab_strerror(rc));
}

static void stmt_end(camt_reader *r)
{
    announce(r);
    r->in_stmt = 0;
    if (r->rc < 0)
        return;
    statement *st = &r->st;
    if (st->has_opening && st->has_closing &&
        st->opening_cents + st->credit_cents - st->debit_cents != st->closing_cents) {
        char o[32], c[32], d[32], sum[32], cl[32];
        fmt_eur(st->opening_cents, o, sizeof o);
        fmt_eur(st->credit_cents, c, sizeof c);
        fmt_eur(st->debit_cents, d, sizeof d);
        fmt_eur(st->opening_cents + st->credit_cents - st->debit_cents, sum, sizeof sum);
        fmt_eur(st->closing_cents, cl, sizeof cl);
        fail(r, AB_E_BALANCE, "Bal",
             "statement %s: opening balance %s + credits %s - debits %s = %s, but the closing"
             " balance is %s", st->stmt_id, o, c, d, sum, cl);
        return;
    }
    if (r->sink.on_statement_end) {
        int rc = r->sink.on_statement_end(r->sink.ctx, st);
        if (rc < 0)
            fail(r, rc, "Stmt", "%s", ab_strerror(rc));
    }
}

static void bal_end(camt_reader *r)
{
    int64_t v = r->bal_dbit ? -r->bal_amt : r->bal_amt;
    if (!strcmp(r->bal_type, "OPBD") || (!strcmp(r->bal_type, "PRCD") && !r->st.has_opening)) {
        r->st.opening_cents = v;
        r->st.has_opening = true;
    } else if (!strcmp(r->bal_type, "CLBD")) {
        r->st.closing_cents = v;
        r->st.has_closing = true;
    }
}

/* --- entries ------------------------------------------------------------- */

static void entry_begin(camt_reader *r)
{
    announce(r);
    arena_reset(r->ea);
    memset(&r->e, 0, sizeof r->e);
    r->e.acct_svcr_ref = r->e.bank_tx_code = r->e.info = r->e.btch_msg = r->e.btch_pmt = "";
    r->in_ntry = 1;
    r->st.entries++;
}

static void tx_begin(camt_reader *r)
{
    if (r->e.ntx == AB_TX_PER_ENTRY) {
        fail(r, AB_E_LIMIT, "TxDtls", "more than %u transactions in one entry", AB_TX_PER_ENTRY);
        return;
    }
    tx_node *t = arena_alloc(r->ea, sizeof *t);
    if (!t) {
        fail(r, AB_E_LIMIT, "Ntry", "entry larger than %u bytes", AB_ENTRY_ARENA_BYTES);
        return;
    }
    memset(t, 0, sizeof *t);
    t->p.acct_svcr_ref = t->p.end_to_end_id = t->p.debtor_name = t->p.debtor_iban = "";
    t->p.remittance = t->p.creditor_ref = t->p.bank_tx_code = t->p.entry_info = "";
    t->p.return_reason = t->p.entry_ref = t->p.batch_msg_id = t->p.batch_pmt_inf_id = "";
    t->p.batch_kref = ""; /* an MT940 Sammler's only */
    if (r->e.tail)
        r->e.tail->next = t;
    else
        r->e.head = t;
    r->e.tail = t;
    r->e.ntx++;
    r->tx = t;
    r->in_tx = 1;
}

/* Amounts of a batch's transactions, signed against the entry's direction,
 * must give the entry amount: copying the entry amount onto each
 * transaction books money that never came (bank-formats.md §1.5). */
static int check_batch(camt_reader *r)
{
    int64_t sum = 0;
    for (tx_node *t = r->e.head; t; t = t->next) {
        if (!t->has_amount) {
            fail(r, AB_E_PARSE, "TxDtls", "entry %s holds %u transactions, one without its own"
                 " amount", r->e.acct_svcr_ref, r->e.ntx);
            return -1;
        }
        sum += (t->cdi && t->cdi != r->e.cdi) ? -t->p.amount_cents : t->p.amount_cents;
    }
    if (sum != r->e.amount) {
        char a[32], b[32];
        fmt_eur(sum, a, sizeof a);
        fmt_eur(r->e.amount, b, sizeof b);
        fail(r, AB_E_PARSE, "TxDtls", "transactions of entry %s add up to %s, the entry says %s",
             r->e.acct_svcr_ref, a, b);
        return -1;
    }
    return 0;
}

static void fill_from_entry(camt_reader *r, tx_node *t)
{
    payment *p = &t->p;
    /* One transaction is the entry: what was booked is what arrived, in the
     * account's currency, whatever its TxDtls/Amt says (an instructed
     * amount in CHF, or before the bank's charges): 20.00 there against a
     * booked 17.50 must not pay a claim of 20.00.  A batch is checked
     * part by part against its entry instead (check_batch). */
    if (!t->has_amount || r->e.ntx == 1)
        p->amount_cents = r->e.amount;
    p->direction = t->cdi ? t->cdi : r->e.cdi;
    p->reversal = r->e.reversal;
    memcpy(p->status, r->e.status, sizeof p->status);
    memcpy(p->booking_date, r->e.booking, sizeof p->booking_date);
    memcpy(p->value_date, r->e.value, sizeof p->value_date);
    /* The booked amount says its currency; Acct/Ccy is optional (a
     * PostFinance camt.054 in CHF has none), and an audit saw CHF 25.00
     * pay a 25.00 EUR claim when the account's currency was taken alone. */
    memcpy(p->currency, r->e.ccy[0] ? r->e.ccy : r->currency, sizeof p->currency);
    if (!p->acct_svcr_ref[0])
        p->acct_svcr_ref = r->e.acct_svcr_ref;
    /* The entry's own facts stay apart from the transaction's: a camt.054
     * names its entry by the AcctSvcrRef of the camt.053's entry even where
     * each transaction carries a reference of its own (PostFinance). */
    p->entry_ref = r->e.acct_svcr_ref;
    p->batch_msg_id = r->e.btch_msg;
    p->batch_pmt_inf_id = r->e.btch_pmt;
    p->entry_cents = r->e.amount;
    p->entry_direction = r->e.cdi;
    p->entry_txs = r->e.ntx;
    if (!p->bank_tx_code[0])
        p->bank_tx_code = r->e.bank_tx_code;
    p->entry_info = r->e.info;
    p->entry_no = r->st.entries;
    if (!p->charges_cents && r->e.ntx == 1)
        p->charges_cents = r->e.charges;
    /* Useful text where banks put it instead of Ustrd (bank-formats.md §3
     * #14): AddtlTxInf (Triodos), else the entry's AddtlNtryInf (Wise). */
    /* The other party of a debit is its creditor (whom we paid); kept in the
     * debtor fields, as MT940 keeps the counterparty there for both
     * directions, unless the bank named a debtor (a return names the
     * citizen whose money goes back). */
    if (p->direction == 'D' && !p->debtor_iban[0] && t->cdtr_iban)
        p->debtor_iban = t->cdtr_iban;
    if (p->direction == 'D' && !p->debtor_name[0] && t->cdtr_name)
        p->debtor_name = t->cdtr_name;
    if (!p->remittance[0] && t->addtl)
        p->remittance = t->addtl;
    else if (!p->remittance[0] && r->e.ntx == 1 && r->e.info[0])
        p->remittance = r->e.info;
}

/* The days a statement's entries were booked on, so that a camt.054 is
 * found by the days of a later statement's entries (jobs/entrylink.c). */
static void booked_range(statement *st, const char *day)
{
    if (!day[0])
        return;
    if (!st->first_booking[0] || strcmp(day, st->first_booking) < 0)
        memcpy(st->first_booking, day, sizeof st->first_booking);
    if (strcmp(day, st->last_booking) > 0)
        memcpy(st->last_booking, day, sizeof st->last_booking);
}

static void entry_end(camt_reader *r)
{
    r->in_ntry = 0;
    if (r->rc < 0)
        return;
    if (!r->e.cdi) {
        fail(r, AB_E_PARSE, "CdtDbtInd", "entry %s has no direction", r->e.acct_svcr_ref);
        return;
    }
    int no_details = r->e.ntx == 0;
    if (no_details)
        tx_begin(r); /* an entry without details is itself one payment */
    if (no_details && r->e.batch_n > 1 && r->tx) {
        r->tx->p.batch = PAY_BATCH_COUNT; /* a batch whose parts a camt.054 brings */
        r->tx->p.batch_txs = r->e.batch_n;
    }
    r->in_tx = 0;
    if (r->e.ntx > 1 && check_batch(r) < 0)
        return;
    booked_range(&r->st, r->e.booking);
    if (!strcmp(r->e.status, "BOOK") || !r->e.status[0]) {
        if (r->e.cdi == 'C')
            r->st.credit_cents += r->e.amount;
        else
            r->st.debit_cents += r->e.amount;
    }
    unsigned k = 0;
    for (tx_node *t = r->e.head; t && r->rc == 0; t = t->next) {
        fill_from_entry(r, t);
        t->p.tx_no = ++k;
        r->st.transactions++;
        if (r->skipping || !r->sink.on_payment)
            continue;
        int rc = r->sink.on_payment(r->sink.ctx, &r->st, &t->p);
        if (rc < 0)
            fail(r, rc, "Ntry", "%s", ab_strerror(rc));
    }
}

/* --- leaf text ------------------------------------------------------------ */

static void header_text(camt_reader *r, enum el e, const char *s, size_t n)
{
    enum el p1 = up(r, 1), p2 = up(r, 2), p3 = up(r, 3);
    int top = p1 == E_Stmt || p1 == E_Rpt || p1 == E_Ntfctn;
    if (e == E_Id && top)
        copy_field(r->stmt_id, sizeof r->stmt_id, s, n);
    else if (e == E_ElctrncSeqNb && top)
        copy_field(r->elec_seq, sizeof r->elec_seq, s, n);
    else if (e == E_CreDtTm && top)
        copy_field(r->created, sizeof r->created, s, n);
    else if (e == E_IBAN && p1 == E_Id && p2 == E_Acct)
        copy_field(r->account, sizeof r->account, s, n);
    else if (e == E_Id && p1 == E_Othr && p2 == E_Id && p3 == E_Acct && !r->account[0])
        copy_field(r->account, sizeof r->account, s, n);
    else if (e == E_Ccy && p1 == E_Acct)
        copy_field(r->currency, sizeof r->currency, s, n);
}

static void bal_text(camt_reader *r, enum el e, const char *s, size_t n)
{
    enum el p1 = up(r, 1);
    if (e == E_Cd && p1 == E_CdOrPrtry)
        copy_field(r->bal_type, sizeof r->bal_type, s, n);
    else if (e == E_Amt && p1 == E_Bal)
        r->bal_amt = amount(r, "Bal/Amt", s, n);
    else if (e == E_CdtDbtInd && p1 == E_Bal)
        r->bal_dbit = cdi(r, s, n) == 'D';
}

/* Booking codes at either level: Domn/Cd + Fmly/Cd + SubFmlyCd, or Prtry/Cd. */
static int code_text(camt_reader *r, enum el e, const char *s, size_t n)
{
    enum el p1 = up(r, 1), p2 = up(r, 2);
    if (e == E_Cd && p1 == E_Domn)
        copy_field(r->domn, sizeof r->domn, s, n);
    else if (e == E_Cd && p1 == E_Fmly)
        copy_field(r->fmly, sizeof r->fmly, s, n);
    else if (e == E_SubFmlyCd)
        copy_field(r->subfmly, sizeof r->subfmly, s, n);
    else if (e == E_Cd && p1 == E_Prtry && p2 == E_BkTxCd)
        copy_field(r->prtry, sizeof r->prtry, s, n);
    else
        return 0;
    return 1;
}

static const char *bank_code(camt_reader *r)
{
    char b[AB_ID_MAX + 32];
    if (r->domn[0])
        snprintf(b, sizeof b, "%s/%s/%s", r->domn, r->fmly, r->subfmly);
    else
        snprintf(b, sizeof b, "%s", r->prtry);
    r->domn[0] = r->fmly[0] = r->subfmly[0] = r->prtry[0] = '\0';
    return keep(r, b, strlen(b));
}

/* The date of a Dt (xs:date) or the date part of a DtTm, checked here: the
 * server would read anything else by its DateStyle, and the stored date
 * must be the one tx_key hashed (sql/021_write_paths.sql).  xs:date
 * collapses white space, so it may stand around the value. */
static void date_text(camt_reader *r, const char *field, char dst[11], const char *s, size_t n)
{
    while (n && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r'))
        s++, n--;
    int32_t days;
    /* After the date: nothing, a time (DtTm), a zone (xs:date) or white space. */
    int tail_ok = n == 10 || (n > 10 && strchr("T Z+-\t\n\r", s[10]) && s[10] != '\0');
    if (n < 10 || !tail_ok || date_parse_iso(s, 10, &days) < 0) {
        fail(r, AB_E_PARSE, field, "not a date (YYYY-MM-DD): '%.*s'", (int)(n > 30 ? 30 : n), s);
        return;
    }
    copy_field(dst, 11, s, 10);
}

/* Chrgs at either level: TtlChrgsAndTaxAmt (v04+) wins over the sum of the
 * Rcrd/Amt (v04+) or Chrgs/Amt (v02) records.  True when the text was one. */
static int charges_text(camt_reader *r, enum el e, const char *s, size_t n, int64_t *sum,
                        int *has_total)
{
    enum el p1 = up(r, 1), p2 = up(r, 2);
    if (e == E_TtlChrgsAndTaxAmt && p1 == E_Chrgs) {
        *sum = amount(r, "Chrgs/TtlChrgsAndTaxAmt", s, n);
        *has_total = 1;
    } else if (e == E_Amt && (p1 == E_Chrgs || (p1 == E_Rcrd && p2 == E_Chrgs))) {
        if (!*has_total)
            *sum += amount(r, "Chrgs/Amt", s, n);
    } else {
        return 0;
    }
    return 1;
}

/* RtrInf/Rsn/Cd (or Prtry): the R-transaction's reason, e.g. MS03, AC04. */
static int return_text(camt_reader *r, tx_node *t, enum el e, const char *s, size_t n)
{
    if ((e != E_Cd && e != E_Prtry) || up(r, 1) != E_Rsn || up(r, 2) != E_RtrInf)
        return 0;
    if (n && (e == E_Cd || !t->p.return_reason[0]))
        t->p.return_reason = keep(r, s, n);
    return 1;
}

/* Btch/NbOfTxs (Max15NumericText); 0 when it is not a count we can use. */
static uint32_t batch_count(const char *s, size_t n)
{
    uint32_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9' || v > 100000000u)
            return 0;
        v = v * 10 + (uint32_t)(s[i] - '0');
    }
    return v;
}

static void entry_text(camt_reader *r, enum el e, const char *s, size_t n)
{
    enum el p1 = up(r, 1), p2 = up(r, 2);
    if (e == E_Amt && p1 == E_Ntry)
        r->e.amount = amount(r, "Ntry/Amt", s, n);
    else if (e == E_CdtDbtInd && p1 == E_Ntry)
        r->e.cdi = cdi(r, s, n);
    else if (e == E_RvslInd && p1 == E_Ntry)
        r->e.reversal = (n == 4 && !memcmp(s, "true", 4)) || (n == 1 && s[0] == '1');
    else if (((e == E_Sts && p1 == E_Ntry) || (e == E_Cd && p1 == E_Sts && p2 == E_Ntry)) && n)
        copy_field(r->e.status, sizeof r->e.status, s, n);
    else if ((e == E_Dt || e == E_DtTm) && p1 == E_BookgDt)
        date_text(r, "BookgDt", r->e.booking, s, n);
    else if ((e == E_Dt || e == E_DtTm) && p1 == E_ValDt)
        date_text(r, "ValDt", r->e.value, s, n);
    else if (e == E_AcctSvcrRef && p1 == E_Ntry)
        r->e.acct_svcr_ref = keep(r, s, n);
    else if (e == E_AddtlNtryInf && p1 == E_Ntry)
        r->e.info = keep(r, s, n);
    else if (e == E_NbOfTxs && p1 == E_Btch)
        r->e.batch_n = batch_count(s, n);
    else if (e == E_MsgId && p1 == E_Btch && !r->e.btch_msg[0])
        r->e.btch_msg = keep(r, s, n);
    else if (e == E_PmtInfId && p1 == E_Btch && !r->e.btch_pmt[0])
        r->e.btch_pmt = keep(r, s, n);
    else if (!(up(r, 2) == E_Ntry || up(r, 3) == E_Ntry) ||
             !charges_text(r, e, s, n, &r->e.charges, &r->e.has_charges_total))
        code_text(r, e, s, n);
}

static void tx_text(camt_reader *r, enum el e, const char *s, size_t n)
{
    enum el p1 = up(r, 1), p2 = up(r, 2), p3 = up(r, 3);
    tx_node *t = r->tx;
    if (e == E_EndToEndId && p1 == E_Refs)
        t->p.end_to_end_id = keep(r, s, n);
    else if (e == E_AcctSvcrRef && p1 == E_Refs)
        t->p.acct_svcr_ref = keep(r, s, n);
    else if (e == E_Amt && p1 == E_TxDtls) {
        t->p.amount_cents = amount(r, "TxDtls/Amt", s, n);
        t->has_amount = 2; /* TxDtls/Amt wins over AmtDtls/TxAmt */
    } else if (e == E_Amt && p1 == E_TxAmt && p2 == E_AmtDtls && t->has_amount < 2) {
        t->p.amount_cents = amount(r, "AmtDtls/TxAmt/Amt", s, n);
        t->has_amount = 1;
    } else if (e == E_CdtDbtInd && p1 == E_TxDtls)
        t->cdi = cdi(r, s, n);
    else if (e == E_Nm && (p1 == E_Dbtr || (p1 == E_Pty && p2 == E_Dbtr)))
        t->p.debtor_name = keep(r, s, n);
    else if (e == E_IBAN && p1 == E_Id && p2 == E_DbtrAcct)
        t->p.debtor_iban = keep(r, s, n);
    else if (e == E_Nm && (p1 == E_Cdtr || (p1 == E_Pty && p2 == E_Cdtr)))
        t->cdtr_name = keep(r, s, n);
    else if (e == E_IBAN && p1 == E_Id && p2 == E_CdtrAcct)
        t->cdtr_iban = keep(r, s, n);
    else if (e == E_Ustrd && p1 == E_RmtInf)
        t->p.remittance = append_line(r, t->p.remittance[0] ? t->p.remittance : NULL, s, n);
    else if (e == E_Ref && p1 == E_CdtrRefInf && p2 == E_Strd && p3 == E_RmtInf)
        t->p.creditor_ref = append_line(r, t->p.creditor_ref[0] ? t->p.creditor_ref : NULL, s, n);
    else if (e == E_AddtlTxInf && p1 == E_TxDtls)
        t->addtl = keep(r, s, n);
    else if (!return_text(r, t, e, s, n) &&
             !charges_text(r, e, s, n, &t->p.charges_cents, &t->has_charges_total))
        code_text(r, e, s, n);
}

/* --- SAX callbacks -------------------------------------------------------- */

static void set_format(camt_reader *r, const xmlChar *uri)
{
    const char *u = uri ? strstr((const char *)uri, "camt.05") : NULL;
    if (u)
        copy_field(r->format, sizeof r->format, u, strlen(u));
    else
        snprintf(r->format, sizeof r->format, "camt (no namespace)");
}

static int check_root(camt_reader *r, enum el e, const xmlChar *uri)
{
    if (r->depth == 0 && e != E_Document) {
        fail(r, AB_E_PARSE, "Document", "not an ISO 20022 camt document");
        return -1;
    }
    if (r->depth == 0)
        set_format(r, uri);
    if (r->depth == 1) {
        if (e != E_BkToCstmrStmt && e != E_BkToCstmrAcctRpt && e != E_BkToCstmrDbtCdtNtfctn) {
            fail(r, AB_E_PARSE, "Document", "not a camt.052/053/054 message");
            return -1;
        }
        r->root_ok = 1;
    }
    return 0;
}

/* Ntry/Amt's Ccy attribute (SAX2: five pointers per attribute, the value
 * between the fourth and the fifth). */
static void amount_currency(camt_reader *r, int nattr, const xmlChar **attrs)
{
    for (int i = 0; i < nattr; i++) {
        const xmlChar **a = attrs + 5 * i;
        if (strcmp((const char *)a[0], "Ccy"))
            continue;
        size_t n = (size_t)(a[4] - a[3]);
        bool iso = n == 3;
        for (size_t k = 0; iso && k < n; k++)
            iso = a[3][k] >= 'A' && a[3][k] <= 'Z';
        if (iso) /* anything else is the schema's business; Acct/Ccy stands */
            copy_field(r->e.ccy, sizeof r->e.ccy, (const char *)a[3], n);
    }
}

static void on_start(void *ctx, const xmlChar *local, const xmlChar *prefix, const xmlChar *uri,
                     int nns, const xmlChar **ns, int nattr, int ndef, const xmlChar **attrs)
{
    camt_reader *r = ctx;
    if (r->rc < 0)
        return;
    if (r->depth == AB_XML_MAX_DEPTH) {
        fail(r, AB_E_LIMIT, (const char *)local, "nested deeper than %u", AB_XML_MAX_DEPTH);
        return;
    }
    enum el e = lookup(local);
    if (r->depth < 2 && check_root(r, e, uri) < 0)
        return;
    enum el p = up(r, 0);
    r->stack[r->depth++] = (unsigned char)e;
    r->text_len = 0;
    r->text_over = 0;
    if ((e == E_Stmt || e == E_Rpt || e == E_Ntfctn) && r->depth == 3)
        stmt_begin(r);
    else if (e == E_Bal && r->in_stmt) {
        /* Not announced here: the statement is announced at its first Ntry
         * (or its end), with the balances that precede the entries read,
         * which say with its first transaction which statement it is when
         * its Id is new (jobs/reconcile_stmt.c, sql/055). */
        r->bal_type[0] = '\0';
        r->bal_amt = 0;
        r->bal_dbit = 0;
    } else if (e == E_Ntry && r->in_stmt && !r->in_ntry && r->depth == 4)
        entry_begin(r); /* a nested Ntry must not reset the entry it sits in */
    else if (e == E_Amt && p == E_Ntry && r->in_ntry && r->depth == 5)
        amount_currency(r, nattr, attrs);
    else if (e == E_TxDtls && r->in_ntry && p == E_NtryDtls)
        tx_begin(r);
}

static void trim_text(const char **s, size_t *n)
{
    while (*n && (**s == ' ' || **s == '\n' || **s == '\r' || **s == '\t')) {
        (*s)++;
        (*n)--;
    }
    while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\n' || (*s)[*n - 1] == '\r' ||
                  (*s)[*n - 1] == '\t'))
        (*n)--;
}

static void leaf(camt_reader *r, enum el e)
{
    const char *s = r->text;
    size_t n = r->text_len;
    trim_text(&s, &n);
    if (r->text_over && n) {
        fail(r, AB_E_LIMIT, el_names[e], "text longer than %u bytes", AB_TEXT_FIELD_MAX);
        return;
    }
    if (r->in_tx)
        tx_text(r, e, s, n);
    else if (r->in_ntry)
        entry_text(r, e, s, n);
    else if (up(r, 1) == E_Bal || up(r, 2) == E_Bal || up(r, 3) == E_Bal)
        bal_text(r, e, s, n);
    else if (r->in_stmt)
        header_text(r, e, s, n);
}

static void on_end(void *ctx, const xmlChar *local, const xmlChar *prefix, const xmlChar *uri)
{
    camt_reader *r = ctx;
    if (r->rc < 0 || r->depth == 0)
        return;
    enum el e = up(r, 0);
    if (e != E_OTHER)
        leaf(r, e);
    if (e == E_BkTxCd && r->in_ntry) {
        const char *code = bank_code(r);
        if (r->in_tx)
            r->tx->p.bank_tx_code = code;
        else
            r->e.bank_tx_code = code;
    } else if (e == E_TxDtls && r->in_tx) {
        r->in_tx = 0;
    } else if (e == E_Ntry && r->in_ntry && r->depth == 4) {
        entry_end(r);
    } else if (e == E_Bal && r->in_stmt && !r->in_ntry) {
        bal_end(r);
    } else if ((e == E_Stmt || e == E_Rpt || e == E_Ntfctn) && r->depth == 3 && r->in_stmt) {
        stmt_end(r);
    }
    r->depth--;
    r->text_len = 0;
    r->text_over = 0;
}

static void on_chars(void *ctx, const xmlChar *ch, int len)
{
    camt_reader *r = ctx;
    size_t n = (size_t)len;
    if (r->text_len + n > AB_TEXT_FIELD_MAX) {
        n = AB_TEXT_FIELD_MAX - r->text_len;
        r->text_over = 1;
    }
    memcpy(r->text + r->text_len, ch, n);
    r->text_len += n;
}

static void on_internal_subset(void *ctx, const xmlChar *name, const xmlChar *ext,
                               const xmlChar *sys)
{
    fail(ctx, AB_E_PARSE, "DOCTYPE", "a document type declaration is not allowed in a bank"
         " statement");
}

static void on_entity_decl(void *ctx, const xmlChar *name, int type, const xmlChar *pub,
                           const xmlChar *sys, xmlChar *content)
{
    fail(ctx, AB_E_PARSE, "ENTITY", "entity declarations are not allowed");
}

static xmlEntityPtr on_get_entity(void *ctx, const xmlChar *name)
{
    /* Only the five predefined entities exist; libxml2 resolves those itself. */
    return NULL;
}

static void on_error(void *ctx, xmlErrorPtr err)
{
    camt_reader *r = ctx;
    if (!err || err->level < XML_ERR_ERROR || r->rc < 0)
        return;
    char msg[256];
    snprintf(msg, sizeof msg, "%s", err->message ? err->message : "malformed XML");
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
        msg[--n] = '\0';
    for (char *p = msg; *p; p++)
        if (*p == '\n')
            *p = ' ';
    /* The byte offset lets a clerk's admin find an undecodable byte
     * ("Input is not proper UTF-8 ... Bytes: 0xFC") with a hex viewer. */
    long off = r->ctxt ? xmlByteConsumed(r->ctxt) : -1;
    if (off >= 0)
        snprintf(r->err, sizeof r->err, "%s:%d: XML: %s (near byte offset %ld)", r->filename,
                 err->line, msg, off);
    else
        snprintf(r->err, sizeof r->err, "%s:%d: XML: %s", r->filename, err->line, msg);
    r->rc = AB_E_PARSE;
}

/* --- the reader ----------------------------------------------------------- */

/* libxml2 reports a few errors (encoding conversion) through its generic
 * handler, which prints to stderr; our structured handler already records
 * them as the reader's error, so the generic channel stays quiet. */
static void quiet(void *ctx, const char *msg, ...)
{
}

int camt_reader_create(camt_reader **out, const camt_sink *sink, const char *filename)
{
    camt_reader *r = mem_calloc(1, sizeof *r);
    if (!r)
        return AB_E_NOMEM;
    r->sink = *sink;
    r->filename = filename ? filename : "-";
    int rc = arena_create(&r->ea, AB_ENTRY_ARENA_BYTES);
    if (rc < 0) {
        mem_free(r);
        return rc;
    }
    xmlSAXHandler sax;
    memset(&sax, 0, sizeof sax);
    sax.initialized = XML_SAX2_MAGIC;
    sax.startElementNs = on_start;
    sax.endElementNs = on_end;
    sax.characters = on_chars;
    sax.cdataBlock = on_chars;
    sax.internalSubset = on_internal_subset;
    sax.entityDecl = on_entity_decl;
    sax.getEntity = on_get_entity;
    sax.serror = on_error;
    xmlSetGenericErrorFunc(NULL, quiet);
    r->ctxt = xmlCreatePushParserCtxt(&sax, r, NULL, 0, r->filename);
    if (!r->ctxt) {
        camt_reader_destroy(r);
        return AB_E_NOMEM;
    }
    /* No network, no DTD loading, no entity substitution: a bank file is
     * data, never a reason to fetch or expand anything. */
    xmlCtxtUseOptions(r->ctxt, XML_PARSE_NONET | XML_PARSE_NOBLANKS);
    *out = r;
    return AB_OK;
}

int camt_reader_feed(camt_reader *r, const char *buf, size_t n, bool last)
{
    r->fed += n;
    if (r->rc == AB_OK && last && r->fed == 0)
        fail(r, AB_E_PARSE, "Document", "the file is empty");
    while (r->rc == AB_OK && n > 0) {
        int take = n > (1u << 30) ? (1 << 30) : (int)n;
        int x = xmlParseChunk(r->ctxt, buf, take, 0);
        if (x != 0 && r->rc == AB_OK)
            fail(r, AB_E_PARSE, "XML", "malformed XML (libxml2 error %d)", x);
        buf += take;
        n -= (size_t)take;
    }
    if (r->rc == AB_OK && last) {
        int x = xmlParseChunk(r->ctxt, NULL, 0, 1);
        if (x != 0 && r->rc == AB_OK)
            fail(r, AB_E_PARSE, "XML", "malformed XML (libxml2 error %d)", x);
        if (r->rc == AB_OK && !r->root_ok)
            fail(r, AB_E_PARSE, "Document", "no camt message in the file");
        if (r->rc == AB_OK && (r->in_stmt || r->depth))
            fail(r, AB_E_PARSE, "Document", "the document ends before its last element");
    }
    return r->rc;
}

const char *camt_reader_error(const camt_reader *r)
{
    return r->err;
}

const char *camt_reader_format(const camt_reader *r)
{
    return r->format;
}

void camt_reader_destroy(camt_reader *r)
{
    if (!r)
        return;
    if (r->ctxt) {
        if (r->ctxt->myDoc)
            xmlFreeDoc(r->ctxt->myDoc);
        xmlFreeParserCtxt(r->ctxt);
    }
    arena_destroy(r->ea);
    mem_free(r);
}

int camt_read_file(const char *path, const camt_sink *sink, char *err, size_t errlen)
{
    camt_reader *r = NULL;
    char *buf = NULL;
    FILE *f = NULL;
    int rc = camt_reader_create(&r, sink, path);
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
        rc = camt_reader_feed(r, buf, n, n < AB_READ_CHUNK);
    } while (rc == AB_OK && n == AB_READ_CHUNK);
    if (rc < 0)
        snprintf(err, errlen, "%s", camt_reader_error(r));
out:
    if (f)
        fclose(f);
    mem_free(buf);
    camt_reader_destroy(r);
    return rc;
}
