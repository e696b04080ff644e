/*
 * test_camt.c - the CAMT reader against every camt.053 sample and against
 * crafted documents for each trap: batches, v02/v08 paths, remittance
 * lines, structured references, balances, chunking, entity attacks.
 * Expected figures were computed from the XML independently of the reader.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "../../formats/camt.h"

#define FIX "tests/fixtures/bank/camt053/"
#define MAXP 64

typedef struct got {
    int statements;
    long tx;
    long long credit, debit;
    int np;
    struct gpay {
        long long cents;
        char dir, status[8], booking[11], value[11], e2e[64], name[64], iban[40], rmt[256], ref[64];
        char ccy[4];
        int reversal;
        char svcr[32], eref[32], bmsg[32], bpmt[32], edir;
        long long ecents;
        unsigned etxs, btxs;
    } p[MAXP];
    char account[64], stmt_id[64], first[11], last[11];
} got;

static int on_end(void *ctx, const statement *s)
{
    got *g = ctx;
    g->statements++;
    g->tx += s->transactions;
    g->credit += s->credit_cents;
    g->debit += s->debit_cents;
    snprintf(g->account, sizeof g->account, "%s", s->account);
    snprintf(g->stmt_id, sizeof g->stmt_id, "%s", s->stmt_id);
    snprintf(g->first, sizeof g->first, "%s", s->first_booking);
    snprintf(g->last, sizeof g->last, "%s", s->last_booking);
    return 0;
}

static int on_pay(void *ctx, const statement *s, const payment *p)
{
    got *g = ctx;
    if (g->np == MAXP)
        return 0;
    struct gpay *q = &g->p[g->np++];
    q->cents = p->amount_cents;
    q->dir = p->direction;
    q->reversal = p->reversal;
    snprintf(q->status, sizeof q->status, "%s", p->status);
    snprintf(q->booking, sizeof q->booking, "%s", p->booking_date);
    snprintf(q->value, sizeof q->value, "%s", p->value_date);
    snprintf(q->e2e, sizeof q->e2e, "%s", p->end_to_end_id);
    snprintf(q->name, sizeof q->name, "%s", p->debtor_name);
    snprintf(q->iban, sizeof q->iban, "%s", p->debtor_iban);
    snprintf(q->rmt, sizeof q->rmt, "%s", p->remittance);
    snprintf(q->ref, sizeof q->ref, "%s", p->creditor_ref);
    snprintf(q->ccy, sizeof q->ccy, "%s", p->currency);
    snprintf(q->svcr, sizeof q->svcr, "%s", p->acct_svcr_ref);
    snprintf(q->eref, sizeof q->eref, "%s", p->entry_ref);
    snprintf(q->bmsg, sizeof q->bmsg, "%s", p->batch_msg_id);
    snprintf(q->bpmt, sizeof q->bpmt, "%s", p->batch_pmt_inf_id);
    q->edir = p->entry_direction;
    q->ecents = p->entry_cents;
    q->etxs = p->entry_txs;
    q->btxs = p->batch_txs;
    return 0;
}

static int read_file(const char *path, got *g, char *err)
{
    memset(g, 0, sizeof *g);
    camt_sink s = {.ctx = g, .on_payment = on_pay, .on_statement_end = on_end};
    return camt_read_file(path, &s, err, 512);
}

/* Feeds a document in chunks of `step` bytes (0: one chunk). */
static int read_mem(const char *doc, size_t step, got *g, char *err)
{
    memset(g, 0, sizeof *g);
    camt_sink s = {.ctx = g, .on_payment = on_pay, .on_statement_end = on_end};
    camt_reader *r;
    cr_assert_eq(camt_reader_create(&r, &s, "mem.xml"), AB_OK);
    size_t n = strlen(doc), i = 0;
    int rc = AB_OK;
    if (!step)
        step = n ? n : 1;
    while (rc == AB_OK && i < n) {
        size_t k = n - i < step ? n - i : step;
        rc = camt_reader_feed(r, doc + i, k, false);
        i += k;
    }
    if (rc == AB_OK)
        rc = camt_reader_feed(r, NULL, 0, true);
    snprintf(err, 512, "%s", camt_reader_error(r));
    camt_reader_destroy(r);
    return rc;
}

static void expect_ok(const char *file, int stmts, long tx, long long cr, long long db)
{
    got g;
    char err[512] = "";
    int rc = read_file(file, &g, err);
    cr_assert_eq(rc, AB_OK, "%s: %s", file, err);
    cr_assert_eq(g.statements, stmts, "%s statements", file);
    cr_assert_eq(g.tx, tx, "%s transactions", file);
    cr_assert_eq(g.credit, cr, "%s credits %lld", file, g.credit);
    cr_assert_eq(g.debit, db, "%s debits %lld", file, g.debit);
}

static void expect_rejected(const char *file, int code, const char *reason)
{
    got g;
    char err[512] = "";
    int rc = read_file(file, &g, err);
    cr_assert_eq(rc, code, "%s: rc %d: %s", file, rc, err);
    cr_assert(strstr(err, reason), "%s: '%s' lacks '%s'", file, err, reason);
    cr_assert_eq(g.statements, 0, "%s: no statement may be confirmed", file);
}

Test(camt_samples, parse)
{
    expect_ok(FIX "genkgo__v02_multi_statement.xml", 2, 2, 885, 700);
    expect_ok(FIX "viafintech__v02_dk_vrbank_batch_mndtid.xml", 1, 5, 100, 1100);
    expect_ok(FIX "viafintech__v04_postfinance_ch_returns_strd_multi_ustrd.xml", 1, 32, 181056,
              127295);
    expect_ok(FIX "viafintech__v10_bookgdt_dttm.xml", 1, 1, 19586, 0);
}

/* These samples are test data whose balances do not add up; a treasury must
 * not book them, and the reason names the figures. */
Test(camt_samples, rejected_for_balance)
{
    expect_rejected(FIX "genkgo__v02_all_balance_types.xml", AB_E_BALANCE,
                    "opening balance 1.01 + credits 8.85 - debits 0.00 = 9.86, but the closing"
                    " balance is 4.04");
    expect_rejected(FIX "genkgo__v02_five_decimals.xml", AB_E_BALANCE,
                    "= 27.00, but the closing balance is 27.05");
    expect_rejected(FIX "genkgo__v02_ultimate_parties_strd.xml", AB_E_BALANCE,
                    "closing balance is -27.00");
    expect_rejected(FIX "genkgo__v08_basic.xml", AB_E_BALANCE, "closing balance is -27.00");
    expect_rejected(FIX "viafintech__v02_ing_nl_batch_without_txdtls.xml", AB_E_BALANCE,
                    "opening balance 7329.80 + credits 7688.00 - debits 4753.74 = 10264.06");
    expect_rejected(FIX "viafintech__v02_instdamt_txamt.xml", AB_E_BALANCE,
                    "opening balance 100.00 + credits 4500.00");
    expect_rejected(FIX "viafintech__v08_ubs_ch_rf_reference_fx.xml", AB_E_BALANCE,
                    "but the closing balance is 84515.25");
}

Test(camt_samples, dk_batch_has_own_amounts)
{
    got g;
    char err[512];
    cr_assert_eq(read_file(FIX "viafintech__v02_dk_vrbank_batch_mndtid.xml", &g, err), AB_OK);
    cr_assert_eq(g.np, 5);
    /* Entry 6.00 = 3.50 + 2.50: each transaction keeps its own amount. */
    cr_assert_eq(g.p[3].cents, 350);
    cr_assert_eq(g.p[4].cents, 250);
    cr_assert_str_eq(g.p[3].e2e, "STZV-EtE27122013-11:02-1");
    cr_assert_str_eq(g.p[0].name, "Wayne Enterprises");
    cr_assert_str_eq(g.p[0].iban, "DE24302201900609832118");
    cr_assert_eq(g.p[2].dir, 'C');
    cr_assert_str_eq(g.account, "DE14740618130000033626");
    cr_assert_str_eq(g.stmt_id, "0352C5320131227220503");
}

Test(camt_samples, postfinance_multi_ustrd_lines_kept)
{
    got g;
    char err[512];
    cr_assert_eq(read_file(FIX "viafintech__v04_postfinance_ch_returns_strd_multi_ustrd.xml", &g,
                           err), AB_OK);
    int found = 0;
    for (int i = 0; i < g.np; i++)
        if (strstr(g.p[i].rmt, "MUSTER MITTEILUNG 2\nMUSTER MITTEILUNG 3\nMUSTER MITTEILUNG 4"))
            found = 1;
    cr_assert(found, "four Ustrd lines joined by newlines, as sent");
}

Test(camt_samples, datetime_booking_date)
{
    got g;
    char err[512];
    cr_assert_eq(read_file(FIX "viafintech__v10_bookgdt_dttm.xml", &g, err), AB_OK);
    cr_assert_str_eq(g.p[0].booking, "2023-06-21");
}

static const char head08[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.08\"><BkToCstmrStmt>"
    "<GrpHdr><MsgId>M</MsgId><CreDtTm>2026-11-20T22:00:00</CreDtTm></GrpHdr>"
    "<Stmt><Id>S-1</Id><ElctrncSeqNb>7</ElctrncSeqNb>"
    "<Acct><Id><IBAN>DE44500105175407324931</IBAN></Id><Ccy>EUR</Ccy></Acct>";

static void doc(char *out, size_t n, const char *open, const char *close, const char *entries)
{
    snprintf(out, n,
             "%s<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy=\"EUR\">%s</Amt>"
             "<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-11-20</Dt></Dt></Bal>"
             "<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy=\"EUR\">%s</Amt>"
             "<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-11-20</Dt></Dt></Bal>%s"
             "</Stmt></BkToCstmrStmt></Document>\n",
             head08, open, close, entries);
}

#define NTRY(amt, cd, rvsl, details)                                                   \
    "<Ntry><Amt Ccy=\"EUR\">" amt "</Amt><CdtDbtInd>" cd "</CdtDbtInd><RvslInd>" rvsl \
    "</RvslInd><Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2026-11-20</Dt></BookgDt>"        \
    "<ValDt><Dt>2026-11-20</Dt></ValDt><AcctSvcrRef>A1</AcctSvcrRef>"                 \
    "<NtryDtls>" details "</NtryDtls></Ntry>"

#define TX(e2e, amt, extra)                                                             \
    "<TxDtls><Refs><EndToEndId>" e2e "</EndToEndId></Refs><Amt Ccy=\"EUR\">" amt "</Amt>" \
    "<CdtDbtInd>CRDT</CdtDbtInd>" extra "</TxDtls>"

static const char *const good_entries =
    NTRY("25.00", "CRDT", "false",
         TX("E1", "25.00",
            "<RltdPties><Dbtr><Pty><Nm>Anna Schmidt</Nm></Pty></Dbtr><DbtrAcct><Id>"
            "<IBAN>DE02120300000000202051</IBAN></Id></DbtrAcct></RltdPties>"
            "<RmtInf><Ustrd>Kassenzeichen 4000000</Ustrd><Ustrd>10017 &amp; Dank</Ustrd>"
            "<Strd><CdtrRefInf><Ref>RF18539007547034</Ref></CdtrRefInf></Strd></RmtInf>"))
    NTRY("6.00", "CRDT", "false", TX("B1", "3.50", "") TX("B2", "2.50", ""))
    NTRY("1.00", "DBIT", "true", "");

Test(camt_crafted, v08_fields)
{
    char d[8192], err[512];
    got g;
    doc(d, sizeof d, "100.00", "130.00", good_entries);
    cr_assert_eq(read_mem(d, 0, &g, err), AB_OK, "%s", err);
    cr_assert_eq(g.np, 4);
    cr_assert_str_eq(g.p[0].name, "Anna Schmidt");
    cr_assert_str_eq(g.p[0].iban, "DE02120300000000202051");
    cr_assert_str_eq(g.p[0].rmt, "Kassenzeichen 4000000\n10017 & Dank");
    cr_assert_str_eq(g.p[0].ref, "RF18539007547034");
    cr_assert_eq(g.p[1].cents, 350);
    cr_assert_eq(g.p[2].cents, 250);
    cr_assert_eq(g.p[3].dir, 'D');
    cr_assert_eq(g.p[3].reversal, 1);
    cr_assert_eq(g.p[3].cents, 100, "an entry without details is one payment");
    cr_assert_str_eq(g.p[0].status, "BOOK");
    cr_assert_eq(g.credit, 3100);
    cr_assert_eq(g.debit, 100);
}

Test(camt_crafted, any_chunking_gives_the_same)
{
    char d[8192], err[512];
    static got whole, bytes;
    doc(d, sizeof d, "100.00", "130.00", good_entries);
    cr_assert_eq(read_mem(d, 0, &whole, err), AB_OK);
    cr_assert_eq(read_mem(d, 1, &bytes, err), AB_OK, "%s", err);
    cr_assert_eq(memcmp(&whole, &bytes, sizeof whole), 0);
}

/* What on_statement sees: the balances before the entries are known then,
 * which with its first transaction say which statement it is when its Id
 * is new (jobs/reconcile_stmt.c, sql/055).  Before, it was announced at its
 * first Bal, with no balance read. */
static int on_begin(void *ctx, const statement *s)
{
    long long *b = ctx;
    b[0] = s->has_opening ? s->opening_cents : -1;
    b[1] = s->has_closing ? s->closing_cents : -1;
    return 0;
}

Test(camt_crafted, the_statement_is_announced_with_its_balances)
{
    char d[8192];
    doc(d, sizeof d, "100.00", "130.00", good_entries);
    long long b[2] = {0, 0};
    camt_sink s = {.ctx = b, .on_statement = on_begin};
    camt_reader *r;
    cr_assert_eq(camt_reader_create(&r, &s, "mem.xml"), AB_OK);
    cr_assert_eq(camt_reader_feed(r, d, strlen(d), true), AB_OK, "%s", camt_reader_error(r));
    camt_reader_destroy(r);
    cr_assert_eq(b[0], 10000);
    cr_assert_eq(b[1], 13000);
}

Test(camt_crafted, balance_mismatch_names_the_figures)
{
    char d[8192], err[512];
    got g;
    doc(d, sizeof d, "100.00", "140.00", good_entries);
    cr_assert_eq(read_mem(d, 0, &g, err), AB_E_BALANCE);
    cr_assert(strstr(err, "mem.xml:2: Bal: statement S-1: opening balance 100.00 + credits 31.00"
                          " - debits 1.00 = 130.00, but the closing balance is 140.00"), "%s", err);
}

Test(camt_crafted, batch_without_own_amounts_is_rejected)
{
    char d[8192], err[512];
    got g;
    doc(d, sizeof d, "0", "6.00",
        NTRY("6.00", "CRDT", "false",
             "<TxDtls><Refs><EndToEndId>B1</EndToEndId></Refs></TxDtls>"
             "<TxDtls><Refs><EndToEndId>B2</EndToEndId></Refs></TxDtls>"));
    cr_assert_eq(read_mem(d, 0, &g, err), AB_E_PARSE);
    cr_assert(strstr(err, "one without its own amount"), "%s", err);
    cr_assert_eq(g.np, 0, "never copy the entry amount onto each transaction");
}

Test(camt_crafted, batch_sum_must_match_entry)
{
    char d[8192], err[512];
    got g;
    doc(d, sizeof d, "0", "6.00", NTRY("6.00", "CRDT", "false", TX("B1", "3.50", "") TX("B2", "2.00", "")));
    cr_assert_eq(read_mem(d, 0, &g, err), AB_E_PARSE);
    cr_assert(strstr(err, "add up to 5.50, the entry says 6.00"), "%s", err);
}

/* What ties a camt.054 to the statement's entry (jobs/entrylink.c) is the
 * entry's: its AcctSvcrRef even where each transaction has its own, the
 * batch's MsgId and PmtInfId, its amount, direction and count; and the
 * statement says the days its entries were booked on. */
Test(camt_crafted, entry_facts_kept_apart)
{
    char d[8192], err[512];
    got g;
    doc(d, sizeof d, "0", "10.00",
        "<Ntry><Amt Ccy=\"EUR\">6.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>"
        "<BookgDt><Dt>2026-11-19</Dt></BookgDt><AcctSvcrRef>ENTRY-1</AcctSvcrRef><NtryDtls>"
        "<Btch><MsgId>MSG-1</MsgId><PmtInfId>PMT-1</PmtInfId><NbOfTxs>2</NbOfTxs></Btch>"
        "<TxDtls><Refs><AcctSvcrRef>TX-1</AcctSvcrRef><PmtInfId>OTHER</PmtInfId>"
        "<EndToEndId>B1</EndToEndId></Refs><Amt Ccy=\"EUR\">3.50</Amt></TxDtls>"
        "<TxDtls><Refs><EndToEndId>B2</EndToEndId></Refs><Amt Ccy=\"EUR\">2.50</Amt></TxDtls>"
        "</NtryDtls></Ntry>"
        "<Ntry><Amt Ccy=\"EUR\">4.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>"
        "<BookgDt><Dt>2026-11-18</Dt></BookgDt><NtryDtls><Btch><NbOfTxs>3</NbOfTxs></Btch>"
        "</NtryDtls></Ntry>");
    cr_assert_eq(read_mem(d, 0, &g, err), AB_OK, "%s", err);
    cr_assert_eq(g.np, 3);
    cr_assert_str_eq(g.p[0].svcr, "TX-1", "the transaction's own reference");
    cr_assert_str_eq(g.p[0].eref, "ENTRY-1", "and its entry's, kept apart");
    cr_assert_str_eq(g.p[1].svcr, "ENTRY-1", "a transaction without one has the entry's");
    cr_assert_str_eq(g.p[1].eref, "ENTRY-1");
    cr_assert_str_eq(g.p[0].bmsg, "MSG-1");
    cr_assert_str_eq(g.p[1].bpmt, "PMT-1", "the batch's, not a transaction's Refs/PmtInfId");
    cr_assert_eq(g.p[0].ecents, 600);
    cr_assert_eq(g.p[0].etxs, 2);
    cr_assert_eq(g.p[0].edir, 'C');
    cr_assert_eq(g.p[0].btxs, 0, "a batch with its details is no total");
    cr_assert_str_eq(g.p[2].eref, "", "no AcctSvcrRef");
    cr_assert_eq(g.p[2].btxs, 3, "a total without details");
    cr_assert_eq(g.p[2].etxs, 1, "which is its own one payment");
    cr_assert_str_eq(g.first, "2026-11-18");
    cr_assert_str_eq(g.last, "2026-11-19");
}

/* One transaction is its entry: the booked amount in the account's
 * currency is what arrived, not a TxDtls/Amt in CHF or before charges. */
Test(camt_crafted, a_single_transaction_pays_what_was_booked)
{
    char d[8192], err[512];
    got g;
    doc(d, sizeof d, "100.00", "135.00",
        NTRY("17.50", "CRDT", "false",
             "<TxDtls><Refs><EndToEndId>F1</EndToEndId></Refs><Amt Ccy=\"CHF\">20.00</Amt>"
             "<CdtDbtInd>CRDT</CdtDbtInd></TxDtls>")
        NTRY("17.50", "CRDT", "false", TX("F2", "20.00", "")));
    cr_assert_eq(read_mem(d, 0, &g, err), AB_OK, "%s", err);
    cr_assert_eq(g.np, 2);
    cr_assert_eq(g.p[0].cents, 1750, "CHF 20.00 instructed, EUR 17.50 booked");
    cr_assert_eq(g.p[1].cents, 1750, "20.00 before charges, 17.50 booked");
}

/* The booked amount's Ccy is the payment's currency: Acct/Ccy is optional
 * (a PostFinance camt.054 in CHF has none), and a CHF 25.00 credit once
 * paid a 25.00 EUR claim. */
Test(camt_crafted, the_booked_amount_says_its_currency)
{
    char d[8192], err[512];
    got g;
    snprintf(d, sizeof d,
             "<?xml version=\"1.0\"?>\n<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.054.001.08\">"
             "<BkToCstmrDbtCdtNtfctn><GrpHdr><MsgId>M</MsgId><CreDtTm>2026-11-20T22:00:00</CreDtTm></GrpHdr>"
             "<Ntfctn><Id>N-1</Id><Acct><Id><IBAN>CH9300762011623852957</IBAN></Id></Acct>%s%s"
             "</Ntfctn></BkToCstmrDbtCdtNtfctn></Document>\n",
             "<Ntry><Amt Ccy=\"CHF\">25.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>"
             "<BookgDt><Dt>2026-11-20</Dt></BookgDt><NtryDtls>" TX("C1", "25.00", "") "</NtryDtls></Ntry>",
             NTRY("5.00", "CRDT", "false", TX("C2", "5.00", "")));
    cr_assert_eq(read_mem(d, 0, &g, err), AB_OK, "%s", err);
    cr_assert_eq(g.np, 2);
    cr_assert_str_eq(g.p[0].ccy, "CHF", "no Acct/Ccy: the amount's own");
    cr_assert_str_eq(g.p[1].ccy, "EUR");
    doc(d, sizeof d, "100.00", "125.00", NTRY("25.00", "CRDT", "false", TX("E1", "25.00", "")));
    cr_assert_eq(read_mem(d, 0, &g, err), AB_OK, "%s", err);
    cr_assert_str_eq(g.p[0].ccy, "EUR");
}

Test(camt_crafted, booking_date_must_be_a_date)
{
    char d[8192], err[512];
    got g;
    doc(d, sizeof d, "0", "1.00",
        "<Ntry><Amt Ccy=\"EUR\">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>"
        "<BookgDt><Dt>20/11/2026</Dt></BookgDt></Ntry>");
    cr_assert_eq(read_mem(d, 0, &g, err), AB_E_PARSE);
    cr_assert(strstr(err, "BookgDt: not a date (YYYY-MM-DD): '20/11/2026'"), "%s", err);
    doc(d, sizeof d, "0", "1.00",
        "<Ntry><Amt Ccy=\"EUR\">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>"
        "<BookgDt><Dt>2026-02-30</Dt></BookgDt></Ntry>");
    cr_assert_eq(read_mem(d, 0, &g, err), AB_E_PARSE);
    cr_assert(strstr(err, "not a date (YYYY-MM-DD): '2026-02-30'"), "%s", err);
    doc(d, sizeof d, "0", "1.00",
        "<Ntry><Amt Ccy=\"EUR\">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>"
        "<BookgDt><Dt> 2026-11-20+01:00 </Dt></BookgDt>"
        "<ValDt><DtTm>2026-11-21T08:00:00</DtTm></ValDt></Ntry>");
    cr_assert_eq(read_mem(d, 0, &g, err), AB_OK, "%s", err);
    cr_assert_str_eq(g.p[0].booking, "2026-11-20", "white space and a zone around an xs:date");
    cr_assert_str_eq(g.p[0].value, "2026-11-21");
}

Test(camt_crafted, sub_cent_amount_rejected)
{
    char d[8192], err[512];
    got g;
    doc(d, sizeof d, "0", "1.00", NTRY("1.001", "CRDT", "false", ""));
    cr_assert_eq(read_mem(d, 0, &g, err), AB_E_PARSE);
    cr_assert(strstr(err, "Ntry/Amt: not an amount in cents: '1.001'"), "%s", err);
}

Test(camt_crafted, v02_paths)
{
    static const char v02[] =
        "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\"><BkToCstmrStmt>"
        "<Stmt><Id>S2</Id><Acct><Id><Othr><Id>12345</Id></Othr></Id></Acct>"
        "<Ntry><Amt Ccy=\"EUR\">5.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>"
        "<BookgDt><DtTm>2026-01-02T10:00:00</DtTm></BookgDt><NtryDtls><TxDtls>"
        "<AmtDtls><TxAmt><Amt Ccy=\"EUR\">5.00</Amt></TxAmt></AmtDtls>"
        "<RltdPties><Dbtr><Nm>Otto</Nm></Dbtr></RltdPties></TxDtls></NtryDtls></Ntry>"
        "</Stmt></BkToCstmrStmt></Document>";
    char err[512];
    got g;
    cr_assert_eq(read_mem(v02, 0, &g, err), AB_OK, "%s", err);
    cr_assert_eq(g.np, 1);
    cr_assert_eq(g.p[0].cents, 500);
    cr_assert_str_eq(g.p[0].name, "Otto");
    cr_assert_str_eq(g.p[0].status, "BOOK");
    cr_assert_str_eq(g.p[0].booking, "2026-01-02");
    cr_assert_str_eq(g.account, "12345");
}

Test(camt_crafted, hostile_and_broken_documents)
{
    static const char *const bad[][2] = {
        {"<?xml version=\"1.0\"?><!DOCTYPE d [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;"
         "&a;&a;&a;&a;&a;\">]><Document><BkToCstmrStmt>&b;</BkToCstmrStmt></Document>",
         "not allowed"},
        {"<?xml version=\"1.0\"?><!DOCTYPE d [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
         "<Document><BkToCstmrStmt><Stmt><Id>&x;</Id></Stmt></BkToCstmrStmt></Document>",
         "not allowed"},
        {"<html><body>hello</body></html>", "not an ISO 20022 camt document"},
        {"<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:pain.001.001.09\"><CstmrCdtTrfInitn/>"
         "</Document>", "not a camt.052/053/054 message"},
        {"<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.08\"><BkToCstmrStmt>"
         "<Stmt><Id>S</Id>", "XML"},
        {"", "Document: the file is empty"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char err[512];
        got g;
        int rc = read_mem(bad[i][0], 0, &g, err);
        cr_assert_lt(rc, 0, "case %zu accepted", i);
        cr_assert(strstr(err, bad[i][1]), "case %zu: '%s' lacks '%s'", i, err, bad[i][1]);
        cr_assert_eq(g.np, 0);
    }
}
