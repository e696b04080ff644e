/*
 * test_bank.c - every bank file through formats/bankread (format chosen by
 * content): the camt.052 and camt.054 samples with their transaction counts
 * and booked sums in cents, the specific records of the batch, return and
 * reversal files, returns and charges, transaction keys, and the pitfalls of
 * bank-formats.md §3 that test_camt.c and test_mt940.c do not already pin:
 *
 *   #1 RC/RD sign ............ test_mt940 rc_is_a_debit, rd_is_a_credit
 *   #2 CAMT reversal sign .... pitfalls.camt_reversal_keeps_its_sign
 *   #3 entry date year ....... test_mt940 entry_date_across_new_year
 *   #4 encodings ............. pitfalls.camt_declared_latin1,
 *                              pitfalls.camt_undeclared_latin9_is_an_error,
 *                              test_mt940 cp1252_and_utf8_text
 *   #5 tag-like continuations  test_mt940 continuation_lines
 *   #6 split keywords ........ test_mt940 eref_split_across_subfields,
 *                              keywords_split_and_60_63
 *   #7 batch bookings ........ camt054_samples.postfinance_batch_and_returns,
 *                              test_camt dk_batch_has_own_amounts,
 *                              batch_sum_must_match_entry,
 *                              pitfalls.tx_keys_unique_in_a_batch
 *   #8 several Ustrd ......... test_camt postfinance_multi_ustrd_lines_kept,
 *                              pitfalls.ustrd_and_strd_both_kept
 *   #9 versions, camt.052 .... camt052_samples.*, camt054_samples.*
 *   #10 precision ............ test_camt sub_cent_amount_rejected
 *   #11 duplicate ids ........ pitfalls.tx_keys_unique_notprovided_nonref
 *   #12 pages, envelopes ..... test_mt940 multipage_statement_merged,
 *                              swift_envelope_and_blank_lines,
 *                              pitfalls.mt940_dash_between_60m_and_61
 *   #13 ?00 in place of ?20 .. pitfalls.mt940_text_in_00_only
 *   #14 text elsewhere ....... pitfalls.camt_addtl_tx_inf_and_entry_info
 *
 * Expected figures were computed from the XML with a separate script
 * (Python ElementTree: TxDtls per Ntry or 1, Ntry/Amt of BOOK entries by
 * CdtDbtInd), independently of the reader.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "../../engine/returns.h"
#include "../../formats/bankread.h"
#include "../../formats/camt.h"
#include "../../formats/mt940.h"

#define FIX "tests/fixtures/bank/"
#define MAXP 64

typedef struct got {
    int statements;
    long tx;
    long long credit, debit;
    int np;
    struct gpay {
        long long cents, charges;
        char dir, status[8], e2e[64], rmt[256], ref[128], why[8], code[40], key[33];
        char svcr[64], eref[64];
        long long ecents;
        unsigned etxs;
        int reversal, is_return;
    } p[MAXP];
} got;

static int on_end(void *ctx, const statement *s)
{
    got *g = ctx;
    g->statements++;
    g->tx += s->transactions;
    g->credit += s->credit_cents;
    g->debit += s->debit_cents;
    return 0;
}

static int on_pay(void *ctx, const statement *s, const payment *p)
{
    got *g = ctx;
    if (g->np == MAXP)
        return 0;
    struct gpay *q = &g->p[g->np++];
    q->cents = p->amount_cents;
    q->charges = p->charges_cents;
    q->dir = p->direction;
    q->reversal = p->reversal;
    q->is_return = returns_is_return(p);
    snprintf(q->status, sizeof q->status, "%s", p->status);
    snprintf(q->e2e, sizeof q->e2e, "%s", p->end_to_end_id);
    snprintf(q->rmt, sizeof q->rmt, "%s", p->remittance);
    snprintf(q->ref, sizeof q->ref, "%s", p->creditor_ref);
    snprintf(q->why, sizeof q->why, "%s", p->return_reason);
    snprintf(q->code, sizeof q->code, "%s", p->bank_tx_code);
    returns_tx_key(s, p, q->key);
    snprintf(q->svcr, sizeof q->svcr, "%s", p->acct_svcr_ref);
    snprintf(q->eref, sizeof q->eref, "%s", p->entry_ref ? p->entry_ref : "(null)");
    q->ecents = p->entry_cents;
    q->etxs = p->entry_txs;
    return 0;
}

/* Any bank file, through the reader its content calls for. */
static int read_any(const char *path, got *g, char *err, size_t errlen)
{
    memset(g, 0, sizeof *g);
    camt_sink s = {.ctx = g, .on_payment = on_pay, .on_statement_end = on_end};
    bankread *b = NULL;
    int rc = bankread_create(&b, path, &s, err, errlen);
    if (rc < 0)
        return rc;
    FILE *f = fopen(path, "rb");
    cr_assert(f);
    char buf[997]; /* an odd chunk size crosses every kind of boundary */
    size_t n;
    do {
        n = fread(buf, 1, sizeof buf, f);
        rc = bankread_feed(b, buf, n, n < sizeof buf);
    } while (rc == AB_OK && n == sizeof buf);
    if (rc < 0)
        snprintf(err, errlen, "%s", bankread_error(b));
    fclose(f);
    bankread_destroy(b);
    return rc;
}

static int read_mem(const char *doc, got *g, char *err, size_t errlen)
{
    char path[] = "/tmp/abgleich_test_bank_XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    FILE *f = fdopen(fd, "wb");
    fputs(doc, f);
    fclose(f);
    int rc = read_any(path, g, err, errlen);
    remove(path);
    return rc;
}

static void expect_ok(const char *file, int stmts, long tx, long long cr, long long db)
{
    static got g;
    char err[512] = "";
    int rc = read_any(file, &g, err, sizeof err);
    cr_assert_eq(rc, AB_OK, "%s: %s", file, err);
    cr_assert_eq(g.statements, stmts, "%s statements %d", file, g.statements);
    cr_assert_eq(g.tx, tx, "%s transactions %ld", file, g.tx);
    cr_assert_eq(g.credit, cr, "%s credits %lld", file, g.credit);
    cr_assert_eq(g.debit, db, "%s debits %lld", file, g.debit);
}

static void expect_rejected(const char *file, int code, const char *reason)
{
    static got g;
    char err[512] = "";
    int rc = read_any(file, &g, err, sizeof err);
    cr_assert_eq(rc, code, "%s: rc %d: %s", file, rc, err);
    cr_assert(strstr(err, reason), "%s: '%s' lacks '%s'", file, err, reason);
    cr_assert(!strncmp(err, file, strlen(file)), "error names the file: %s", err);
    cr_assert_eq(g.statements, 0, "%s: nothing confirmed", file);
}

/* --- camt.052 --------------------------------------------------------------- */

Test(camt052_samples, parse)
{
    expect_ok(FIX "camt052/viafintech__v02_report.xml", 1, 2, 500, 0);
    expect_ok(FIX "camt052/genkgo__v08_batch.xml", 1, 1, 0, 20000000);
    /* PDNG entries: shown (one transaction), never in the booked sums. */
    expect_ok(FIX "camt052/genkgo__v04_fx_charges.xml", 1, 1, 0, 0);
    expect_ok(FIX "camt052/genkgo__v06_amt_zero.xml", 1, 1, 0, 0);
}

Test(camt052_samples, pending_entries_stay_pending)
{
    static got g;
    char err[512];
    cr_assert_eq(read_any(FIX "camt052/genkgo__v06_amt_zero.xml", &g, err, sizeof err), AB_OK,
                 "%s", err);
    cr_assert_eq(g.np, 1);
    cr_assert_str_eq(g.p[0].status, "PDNG");
    cr_assert_eq(read_any(FIX "camt052/viafintech__v02_report.xml", &g, err, sizeof err), AB_OK);
    cr_assert_str_eq(g.p[0].status, "BOOK");
}

/* --- camt.054 --------------------------------------------------------------- */

Test(camt054_samples, parse)
{
    expect_ok(FIX "camt054/viafintech__v04_postfinance_ch_batch_returns_charges.xml", 1, 5, 8056,
              2153);
    expect_ok(FIX "camt054/genkgo__v08_uetr.xml", 1, 1, 0, 20000000);
}

/* genkgo's batch samples are test data whose parts cannot make the entry:
 * an SEK 200000.00 debit split into CHF 3.10/3.20/3.20 credits, or a
 * transaction without its own amount.  Booking either would book money
 * that never moved, so they are rejected with the figures. */
Test(camt054_samples, rejected_batches)
{
    expect_rejected(FIX "camt054/genkgo__v04_batch_strd.xml", AB_E_PARSE,
                    "transactions of entry ACSR160617103200001 add up to -9.50, the entry says"
                    " 200000.00");
    expect_rejected(FIX "camt054/genkgo__v08_batch_strd.xml", AB_E_PARSE,
                    "add up to -9.50, the entry says 200000.00");
    expect_rejected(FIX "camt054/genkgo__v02_strd_references.xml", AB_E_PARSE,
                    "holds 3 transactions, one without its own amount");
}

Test(camt054_samples, postfinance_batch_and_returns)
{
    static got g;
    char err[512];
    cr_assert_eq(read_any(FIX "camt054/viafintech__v04_postfinance_ch_batch_returns_charges.xml",
                          &g, err, sizeof err), AB_OK, "%s", err);
    cr_assert_eq(g.np, 5);
    /* The 24.00 batch: 15.00 + 9.00, each its own amount, never 2 x 24.00. */
    cr_assert_eq(g.p[0].cents, 1500);
    cr_assert_eq(g.p[1].cents, 900);
    cr_assert_str_eq(g.p[0].e2e, "EndToEnd-CRDBRActSame-1B9C-CHDDBB2");
    cr_assert_str_eq(g.p[1].rmt, "Mitteilung 131");
    cr_assert_eq(g.p[0].dir, 'C');
    cr_assert_not(g.p[0].is_return);
    /* The 6.00 return of a direct debit: a debit, reversal, MD06, charges apart. */
    cr_assert_eq(g.p[3].cents, 600);
    cr_assert_eq(g.p[3].dir, 'D');
    cr_assert(g.p[3].reversal);
    cr_assert_str_eq(g.p[3].why, "MD06");
    cr_assert(g.p[3].is_return);
    cr_assert_eq(g.p[3].charges, 70);
    cr_assert_str_eq(g.p[3].e2e, "EndToEnd-2B6C-CHDDBB5");
    cr_assert_eq(g.p[4].cents, 1553);
    cr_assert_eq(g.p[4].charges, 70);
    cr_assert(g.p[4].reversal);
}

/* PostFinance gives each transaction of a batch an AcctSvcrRef of its own
 * beside the entry's; the camt.053 that books the batch knows the entry's.
 * Both are kept, with the entry's amount and count, so that the camt.054
 * is found by its entry (jobs/entrylink.c; before, the entry's reference
 * was lost and the batch total stayed open). */
Test(camt054_samples, entry_facts_apart_from_the_transactions)
{
    static got g;
    char err[512];
    cr_assert_eq(read_any(FIX "camt054/viafintech__v04_postfinance_ch_batch_returns_charges.xml",
                          &g, err, sizeof err), AB_OK, "%s", err);
    cr_assert_str_eq(g.p[0].svcr, "TST_201-2091644-9");
    cr_assert_str_eq(g.p[1].svcr, "TST_201-2091644-8");
    cr_assert_str_eq(g.p[0].eref, "20160410375244000000000000000081");
    cr_assert_str_eq(g.p[1].eref, "20160410375244000000000000000081");
    cr_assert_eq(g.p[0].ecents, 2400);
    cr_assert_eq(g.p[0].etxs, 2);
    cr_assert_str_eq(g.p[2].eref, "20160410375244000000000000000071");
    cr_assert_eq(g.p[2].etxs, 1);
    /* MT940 names no entry apart from its line: the :61: is its own entry,
     * of one transaction, with its bank reference (after '//'). */
    cr_assert_eq(read_any(FIX "mt940/betterplace__sepa_de_26_statements_returns_reversal_crlf.sta",
                          &g, err, sizeof err),
                 AB_OK, "%s", err);
    cr_assert_eq(g.p[0].etxs, 1);
    cr_assert_eq(g.p[0].ecents, 30000);
    cr_assert_str_eq(g.p[0].svcr, "0724710345313905");
    cr_assert_str_eq(g.p[0].eref, "0724710345313905");
}

/* --- MT940 returns ------------------------------------------------------------ */

/* The betterplace RETOUREs (GVC 159, ?34 914/903) are credits: transfers the
 * account holder sent that came back.  They carry their ISO reason, but
 * give back no money that came in, so they are no returns of a payment;
 * the RC storno is a debit and a reversal. */
Test(mt940_returns, gvc_159_and_key_34)
{
    static got g;
    char err[512];
    cr_assert_eq(read_any(FIX "mt940/betterplace__sepa_de_26_statements_returns_reversal_crlf.sta",
                          &g, err, sizeof err), AB_OK, "%s", err);
    cr_assert_str_eq(g.p[0].why, "MS03", "?34914");
    cr_assert_eq(g.p[0].dir, 'C');
    cr_assert_eq(g.p[0].cents, 30000);
    cr_assert(strstr(g.p[0].code, "NTRF+159"), "%s", g.p[0].code);
    cr_assert_not(g.p[0].is_return);
    cr_assert_str_eq(g.p[4].why, "AC06", "?34903");
    cr_assert_eq(g.p[5].dir, 'D', "RC is a debit");
    cr_assert(g.p[5].reversal);
    cr_assert_eq(g.p[5].cents, 20488);
    cr_assert_str_eq(g.p[5].why, "");
}

/* A German Rücklastschrift: 53.00 booked, 50.00 returned plus 3.00
 * charges in the :61: supplementary details; GVC 109, ?34 914 (MS03). */
Test(mt940_returns, charges_apart)
{
    static got g;
    char err[512];
    const char *d = ":20:STARTUMS\r\n:25:37050299/1234567\r\n:28C:1/1\r\n"
                    ":60F:C261120EUR100,00\r\n"
                    ":61:2611201120DR53,00NRTINONREF//R1\r\n/OCMT/EUR50,00//CHGS/EUR3,00/\r\n"
                    ":86:109?00RUECKLASTSCHRIFT?20EREF+B-7?34914\r\n"
                    ":62F:C261120EUR47,00\r\n-\r\n";
    cr_assert_eq(read_mem(d, &g, err, sizeof err), AB_OK, "%s", err);
    cr_assert_eq(g.p[0].cents, 5300);
    cr_assert_eq(g.p[0].charges, 300);
    cr_assert(g.p[0].is_return);
    cr_assert_str_eq(g.p[0].why, "MS03");
    cr_assert_str_eq(g.p[0].e2e, "B-7");
}

Test(returns, classification)
{
    payment p = {.amount_cents = 5300, .direction = PAY_DEBIT, .bank_tx_code = "PMNT/RDDT/UPDD"};
    cr_assert(returns_is_return(&p));
    p.bank_tx_code = "PMNT/RDDT/ESDD";
    cr_assert_not(returns_is_return(&p));
    p.bank_tx_code = "NRTI+159+9310+914";
    cr_assert(returns_is_return(&p));
    p.bank_tx_code = "NDDT+105+9200+992";
    cr_assert_not(returns_is_return(&p));
    p.return_reason = "MS03";
    cr_assert(returns_is_return(&p));
    p.direction = PAY_CREDIT; /* a credit gives nothing back */
    cr_assert_not(returns_is_return(&p));
    cr_assert_str_eq(returns_textkey_reason("902", 3), "AC04");
    cr_assert_str_eq(returns_textkey_reason("914", 3), "MS03");
    cr_assert_null(returns_textkey_reason("992", 3));
    cr_assert_null(returns_textkey_reason("90", 2));
}

/* --- crafted CAMT --------------------------------------------------------------- */

static const char head[] =
    "<?xml version=\"1.0\" encoding=\"%s\"?>\n"
    "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.08\"><BkToCstmrStmt>"
    "<GrpHdr><MsgId>M</MsgId><CreDtTm>2026-11-20T22:00:00</CreDtTm></GrpHdr>"
    "<Stmt><Id>S-1</Id><Acct><Id><IBAN>DE44500105175407324931</IBAN></Id></Acct>"
    "<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy=\"EUR\">%s</Amt>"
    "<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-11-20</Dt></Dt></Bal>"
    "<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy=\"EUR\">%s</Amt>"
    "<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-11-20</Dt></Dt></Bal>%s"
    "</Stmt></BkToCstmrStmt></Document>\n";

#define NTRY(amt, cd, rvsl, extra, details)                                            \
    "<Ntry><Amt Ccy=\"EUR\">" amt "</Amt><CdtDbtInd>" cd "</CdtDbtInd><RvslInd>" rvsl \
    "</RvslInd><Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2026-11-20</Dt></BookgDt>"        \
    "<AcctSvcrRef>NONREF</AcctSvcrRef>" extra "<NtryDtls>" details "</NtryDtls></Ntry>"

#define TX(amt, cd, extra)                                                              \
    "<TxDtls><Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs><Amt Ccy=\"EUR\">" amt \
    "</Amt><CdtDbtInd>" cd "</CdtDbtInd>" extra "</TxDtls>"

static void camt(char *out, size_t n, const char *enc, const char *open, const char *close,
                 const char *entries)
{
    snprintf(out, n, head, enc, open, close, entries);
}

/* #2: a reversal of a 25.00 credit is a DBIT with RvslInd; its sign comes
 * from CdtDbtInd, and only that sign closes the balance 10 + 25 - 25 = 10. */
Test(pitfalls, camt_reversal_keeps_its_sign)
{
    static got g;
    char d[4096], err[512];
    camt(d, sizeof d, "UTF-8", "10.00", "10.00",
         NTRY("25.00", "CRDT", "false", "", TX("25.00", "CRDT", ""))
         NTRY("25.00", "DBIT", "true", "", TX("25.00", "DBIT", "")));
    cr_assert_eq(read_mem(d, &g, err, sizeof err), AB_OK, "%s", err);
    cr_assert_eq(g.p[1].dir, 'D');
    cr_assert(g.p[1].reversal);
    cr_assert_eq(g.credit, 2500);
    cr_assert_eq(g.debit, 2500);
}

/* #4: a declared ISO-8859-1 document: 0xFC is ü, handed out as UTF-8. */
Test(pitfalls, camt_declared_latin1)
{
    static got g;
    char d[4096], err[512];
    camt(d, sizeof d, "ISO-8859-1", "0.00", "25.00",
         NTRY("25.00", "CRDT", "false", "",
              TX("25.00", "CRDT", "<RmtInf><Ustrd>M\xFCller Bu\xDF" "geld</Ustrd></RmtInf>")));
    cr_assert_eq(read_mem(d, &g, err, sizeof err), AB_OK, "%s", err);
    cr_assert_str_eq(g.p[0].rmt, "M\xC3\xBCller Bu\xC3\x9F" "geld");
}

/* #4: Latin-9 bytes in a document declared UTF-8: an error naming the file
 * and line, never a silent '?'. */
Test(pitfalls, camt_undeclared_latin9_is_an_error)
{
    static got g;
    char d[4096], err[512];
    camt(d, sizeof d, "UTF-8", "0.00", "25.00",
         NTRY("25.00", "CRDT", "false", "",
              TX("25.00", "CRDT", "<RmtInf><Ustrd>M\xFCller \xA4</Ustrd></RmtInf>")));
    int rc = read_mem(d, &g, err, sizeof err);
    cr_assert_lt(rc, 0);
    cr_assert(strstr(err, "/tmp/abgleich_test_bank_") && strstr(err, ":2:"), "%s", err);
    cr_assert(strstr(err, "not proper UTF-8") && strstr(err, "byte offset"), "%s", err);
    cr_assert_eq(g.np, 0);
}

/* #8: Ustrd and Strd both present: neither overwrites the other. */
Test(pitfalls, ustrd_and_strd_both_kept)
{
    static got g;
    char d[4096], err[512];
    camt(d, sizeof d, "UTF-8", "0.00", "25.00",
         NTRY("25.00", "CRDT", "false", "",
              TX("25.00", "CRDT",
                 "<RmtInf><Ustrd>?REJECT?0</Ustrd><Ustrd>Zeile 2</Ustrd><Strd><CdtrRefInf>"
                 "<Ref>RF18539007547034</Ref></CdtrRefInf></Strd></RmtInf>")));
    cr_assert_eq(read_mem(d, &g, err, sizeof err), AB_OK, "%s", err);
    cr_assert_str_eq(g.p[0].rmt, "?REJECT?0\nZeile 2");
    cr_assert_str_eq(g.p[0].ref, "RF18539007547034");
}

/* #14: text only in AddtlTxInf (Triodos) or only in AddtlNtryInf (Wise)
 * reaches the matcher as remittance. */
Test(pitfalls, camt_addtl_tx_inf_and_entry_info)
{
    static got g;
    char d[4096], err[512];
    camt(d, sizeof d, "UTF-8", "0.00", "35.00",
         NTRY("25.00", "CRDT", "false", "",
              TX("25.00", "CRDT", "<AddtlTxInf>Kassenzeichen 400000010017</AddtlTxInf>"))
         NTRY("10.00", "CRDT", "false", "<AddtlNtryInf>KZ 400000010025</AddtlNtryInf>", ""));
    cr_assert_eq(read_mem(d, &g, err, sizeof err), AB_OK, "%s", err);
    cr_assert_str_eq(g.p[0].rmt, "Kassenzeichen 400000010017");
    cr_assert_str_eq(g.p[1].rmt, "KZ 400000010025");
}

/* #7 and #11: transactions of one batch, EndToEndId NOTPROVIDED, bank
 * reference NONREF, even the same amount: every key differs; the same
 * document read again gives the same keys (idempotent import). */
Test(pitfalls, tx_keys_unique_in_a_batch)
{
    static got g, h;
    char d[4096], err[512];
    camt(d, sizeof d, "UTF-8", "0.00", "30.00",
         NTRY("20.00", "CRDT", "false", "",
              TX("10.00", "CRDT", "") TX("10.00", "CRDT", ""))
         NTRY("10.00", "CRDT", "false", "", TX("10.00", "CRDT", "")));
    cr_assert_eq(read_mem(d, &g, err, sizeof err), AB_OK, "%s", err);
    cr_assert_eq(g.np, 3);
    for (int i = 0; i < g.np; i++)
        for (int j = i + 1; j < g.np; j++)
            cr_assert_str_neq(g.p[i].key, g.p[j].key, "keys %d and %d", i, j);
    cr_assert_eq(read_mem(d, &h, err, sizeof err), AB_OK);
    for (int i = 0; i < g.np; i++)
        cr_assert_str_eq(g.p[i].key, h.p[i].key);
}

Test(pitfalls, tx_keys_unique_notprovided_nonref)
{
    /* Two statements of one account, the same NONREF/NOTPROVIDED payment:
     * the statement id tells them apart. */
    statement a = {.format = "camt.053.001.08", .account = "DE44", .stmt_id = "S-1",
                   .elec_seq = "1"};
    statement b = a;
    b.stmt_id = "S-2";
    b.elec_seq = "2";
    payment p = {.amount_cents = 1000, .direction = PAY_CREDIT, .entry_no = 1, .tx_no = 1,
                 .acct_svcr_ref = "NONREF", .end_to_end_id = "NOTPROVIDED", .remittance = ""};
    char ka[33], kb[33], kc[33];
    returns_tx_key(&a, &p, ka);
    returns_tx_key(&b, &p, kb);
    p.tx_no = 2;
    returns_tx_key(&a, &p, kc);
    cr_assert_eq(strlen(ka), 32);
    cr_assert_str_neq(ka, kb);
    cr_assert_str_neq(ka, kc);
}

/* --- crafted MT940 -------------------------------------------------------------- */

/* #12: a Kreissparkasse put '-' between :60M: and :61:; the line is
 * continuation noise, not the end of the message. */
Test(pitfalls, mt940_dash_between_60m_and_61)
{
    static got g;
    char err[512];
    const char *d = ":20:STARTUMS\r\n:25:37050299/1234567\r\n:28C:1/1\r\n"
                    ":60F:C261120EUR10,00\r\n"
                    ":61:2611201120C25,00NTRFNONREF\r\n:86:166?00GUTSCHRIFT?20KZ 400000010017\r\n"
                    ":62F:C261120EUR35,00\r\n-\r\n";
    cr_assert_eq(read_mem(d, &g, err, sizeof err), AB_OK, "%s", err);
    cr_assert_eq(g.np, 1);
    cr_assert_eq(g.credit, 2500);
    cr_assert_str_eq(g.p[0].rmt, "KZ 400000010017");
}

/* Every page closes on its own: page 1 says 11.00 where its entries give
 * 10.00, and page 2 ends where the whole statement does (0 + 10 + 5 = 15),
 * so only a per-page check finds it. */
Test(pitfalls, mt940_every_page_balances)
{
    static got g;
    char err[512];
    const char *d = ":20:STARTUMS\r\n:25:37050299/1234567\r\n:28C:7/1\r\n"
                    ":60F:C261120EUR0,00\r\n"
                    ":61:2611201120C10,00NTRFNONREF\r\n:86:166?20A\r\n"
                    ":62M:C261120EUR11,00\r\n-\r\n"
                    ":20:STARTUMS\r\n:25:37050299/1234567\r\n:28C:7/2\r\n"
                    ":60M:C261120EUR11,00\r\n"
                    ":61:2611201120C4,00NTRFNONREF\r\n:86:166?20B\r\n"
                    ":62F:C261120EUR15,00\r\n-\r\n";
    cr_assert_eq(read_mem(d, &g, err, sizeof err), AB_E_BALANCE, "%s", err);
    cr_assert(strstr(err, ":7: 62M: statement 7/2026-11-20: opening balance 0.00 +"
                          " credits 10.00 - debits 0.00 = 10.00, but the page closes with 11.00"),
              "%s", err);
}

/* #13: a Sparkasse sent the text in ?00 only for a day; the booking text is
 * kept so a clerk still sees it, and the payment is not lost. */
Test(pitfalls, mt940_text_in_00_only)
{
    static got g;
    char err[512];
    const char *d = ":20:STARTUMS\r\n:25:37050299/1234567\r\n:28C:1/1\r\n"
                    ":60F:C261120EUR0,00\r\n"
                    ":61:2611201120C25,00NTRFNONREF\r\n:86:166?00KZ 400000010017\r\n"
                    ":62F:C261120EUR25,00\r\n-\r\n";
    cr_assert_eq(read_mem(d, &g, err, sizeof err), AB_OK, "%s", err);
    cr_assert_eq(g.np, 1);
    cr_assert_eq(g.p[0].cents, 2500);
    cr_assert_str_eq(g.p[0].rmt, "KZ 400000010017");
}

/* #4: a DOS (CP850) field: 0x81 is ü and 0x84 ä there, not CP1252's
 * undefined byte and „; Latin-1/CP1252 fields stay as they were. */
Test(pitfalls, mt940_cp850_detected)
{
    static got g;
    char err[512];
    const char *d = ":20:STARTUMS\r\n:25:37050299/1234567\r\n:28C:1/1\r\n"
                    ":60F:C261120EUR0,00\r\n"
                    ":61:2611201120C25,00NTRFNONREF\r\n:86:166?00GUTSCHRIFT?20M\x81ller B\x84" "cker\r\n"
                    ":61:2611201120C10,00NTRFNONREF\r\n:86:166?00GUTSCHRIFT?20M\xFCller Gr\xF6\xDF" "e\r\n"
                    ":62F:C261120EUR35,00\r\n-\r\n";
    cr_assert_eq(read_mem(d, &g, err, sizeof err), AB_OK, "%s", err);
    cr_assert_str_eq(g.p[0].rmt, "M\xC3\xBCller B\xC3\xA4" "cker");
    cr_assert_str_eq(g.p[1].rmt, "M\xC3\xBCller Gr\xC3\xB6\xC3\x9F" "e");
}

/* --- ZIP containers ---------------------------------------------------------- */

static int read_path(const char *path, got *g, char *err, size_t errlen)
{
    memset(g, 0, sizeof *g);
    camt_sink s = {.ctx = g, .on_payment = on_pay, .on_statement_end = on_end};
    char fmt[64];
    return bankread_path(path, &s, NULL, NULL, fmt, sizeof fmt, err, errlen);
}

Test(zip, statements_inside)
{
    static got g;
    char err[512];
    cr_assert_eq(read_path(FIX "zip/statements_de.zip", &g, err, sizeof err), AB_OK, "%s", err);
    cr_assert_eq(g.statements, 3);
    cr_assert_eq(g.tx, 8);
    cr_assert_eq(g.credit, 11500 + 4500);
    cr_assert_eq(g.debit, 4700 + 2300);
    cr_assert_str_eq(g.p[3].why, "MS03");
    cr_assert_eq(g.p[7].charges, 300);
}

Test(zip, refused)
{
    static got g;
    char err[512];
    cr_assert_eq(read_path(FIX "zip/bomb.zip", &g, err, sizeof err), AB_E_LIMIT, "%s", err);
    cr_assert(strstr(err, "zip bomb") && strstr(err, "auszug.xml"), "%s", err);
    cr_assert_eq(read_path(FIX "zip/nested.zip", &g, err, sizeof err), AB_E_REJECTED, "%s", err);
    cr_assert(strstr(err, "nested.zip:inner.zip:1: format: a ZIP container inside"), "%s", err);
    cr_assert_eq(read_path(FIX "zip/only_text.zip", &g, err, sizeof err), AB_E_REJECTED);
    cr_assert(strstr(err, "no CAMT or MT940/MT942 member"), "%s", err);
    cr_assert_eq(g.statements, 0);
}

/* --- fuzz regressions ------------------------------------------------------------- */

/* Inputs that once crashed a reader (tests/fixtures/bank/fuzz/): each must
 * be read to an answer, an error with a reason or a result. */
Test(fuzz_regressions, camt_nested_ntry)
{
    static got g;
    char err[512] = "";
    int rc = read_any(FIX "fuzz/camt_nested_ntry.xml", &g, err, sizeof err);
    cr_assert(rc == AB_OK || err[0], "rc %d without a reason", rc);
}
