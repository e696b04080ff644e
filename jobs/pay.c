/*
 * pay.c - `abgleich approve` and `abgleich pay`: the payment run for
 * accepted e-invoices.
 *
 *   approve INVOICE... [--seller KEY] [--iban IBAN]
 *       open (or returned by the bank) -> approved.  The approver is the
 *       database login, which must not be the one that imported the
 *       invoice (four eyes: sql/011's CHECK on logins sql/032 records),
 *       nor the one that took it out of payment (set it open again while
 *       it was in payment, reset_by, sql/051), nor the one that last
 *       changed its payment terms (terms_by, sql/075), nor any login that
 *       changed them since it was imported or last approved (terms_logins,
 *       sql/083); who and when are
 *       kept.  It prints the payee, IBAN and amount it approved.  --iban
 *       replaces the payee's bank details of a transfer that came back: of
 *       one invoice, stored without spaces and in upper case, as the
 *       payment file needs it, and left for another login to approve.
 *   pay --due-by DATE --out FILE.xml --account IBAN --name NAME [--bic BIC]
 *       [--execution-date DATE]
 *       every approved invoice with a positive amount in EUR, a valid payee
 *       IBAN and a due date on or before DATE (or none) goes into one SEPA
 *       credit transfer file, pain.001.001.09, with EndToEndId ABG-<id>; the
 *       invoices become in_payment.  The bank reports the EndToEndId back
 *       on the statement, where reconcile finds each debit (invoices.c).
 *       The creditor named beside the IBAN is the payee the invoice names
 *       (BT-59), else its seller: the payer's bank checks that name
 *       against the account's holder (verification of payee).
 *       The execution date (default today) is never in the past and always
 *       a TARGET2 business day; names and texts are in the SEPA character
 *       set (engine/sepa.h), since a bank may refuse a file for one
 *       character outside it.
 * The file is written beside its target, validated against the embedded
 * pain.001.001.09 schema (the EPC's SEPA credit transfer version,
 * formats/xsdval.h), and put in place (never over an existing file) only
 * after the invoices' new state is committed, so a failed or invalid run
 * leaves neither: a file the bank would refuse never reaches it, and a run
 * killed before its commit leaves no file that a second run would pay
 * again.  A run killed after its commit leaves OUT.tmp, the only copy of
 * its file: a later run refuses to start while it is there, and creates
 * its own OUT.tmp exclusively (O_EXCL), so that it never writes over or
 * removes another run's file.  The MsgId carries the run's first invoice:
 * unique per run.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../engine/date.h"
#include "../engine/einvcheck.h"
#include "../engine/log.h"
#include "../engine/money.h"
#include "../engine/pgsink.h"
#include "../engine/sepa.h"
#include "../engine/ticketcheck.h"
#include "../formats/xsdval.h"
#include "cli.h"

static const char *opt(int argc, char **argv, const char *name)
{
    for (int i = 1; i + 1 < argc; i++)
        if (!strcmp(argv[i], name))
            return argv[i + 1];
    return NULL;
}

/* The invoice row approve looks at, locked until its transaction ends:
 * what it prints is what it approves. */
enum { C_ID, C_STATUS, C_IMPORTER, C_IBAN, C_CENTS, C_SELLER, C_SUBMITTER, C_RESET, C_TERMS,
       C_PAYEE, C_BIC, C_CCY, C_TERMS_MINE };
static const char approve_select[] =
    "SELECT id, status, imported_by, iban, amount_due_cents, seller_name, submitted_by,"
    "   reset_by, terms_by, coalesce(nullif(btrim(payee_name), ''), seller_name), bic, currency,"
    "   session_user = ANY (terms_logins)"
    " FROM abgleich.invoices"
    " WHERE invoice_number = $1 AND ($2::text IS NULL OR seller_key = $2)"
    " ORDER BY id FOR UPDATE";

typedef struct approve_ctx {
    const char *seller, *who, *iban; /* iban: --iban, normalised, or NULL */
    int en;                          /* --lang en */
} approve_ctx;

static bool col_is(const pgsink_result *res, int col, const char *who)
{
    return !pgsink_result_isnull(res, 0, col) && !strcmp(pgsink_result_value(res, 0, col), who);
}

/* Why invoice row 0 of res cannot be approved by `who`, or NULL.  Four
 * eyes: not by its importer, the owner of the file serve imported it from,
 * the login that took it out of payment (sql/051), nor the login that last
 * changed its payment terms (sql/075), nor any login that changed them
 * since it was imported or last approved (sql/083). */
static const char *refusal(pgsink_result *res, const char *who)
{
    const char *status = pgsink_result_value(res, 0, C_STATUS);
    if (strcmp(status, "open") && strcmp(status, "returned"))
        return "is not open (nor returned by the bank)";
    if (col_is(res, C_IMPORTER, who))
        return "was imported by this login, which cannot also approve it (four eyes)";
    if (col_is(res, C_SUBMITTER, who))
        return "was handed in by this login (the owner of the file serve imported), which"
               " cannot also approve it (four eyes)";
    if (col_is(res, C_RESET, who))
        return "was taken out of payment by this login (set open again while in payment),"
               " which cannot also approve it again: another login does (four eyes)";
    if (col_is(res, C_TERMS, who))
        return "had its payment terms (payee account, name, currency or a higher amount) last"
               " changed by this login, which cannot also approve them: another login does"
               " (four eyes)";
    if (col_is(res, C_TERMS_MINE, "t"))
        return "had its payment terms (payee account, name, currency or a higher amount)"
               " changed by this login since it was imported or last approved (another login"
               " changed them last), which cannot also approve them: a login that did not"
               " change them does (four eyes)";
    if (strtoll(pgsink_result_value(res, 0, C_CENTS), NULL, 10) > 0 &&
        (pgsink_result_isnull(res, 0, C_IBAN) ||
         !einvcheck_iban(pgsink_result_value(res, 0, C_IBAN))))
        return "has no valid payee IBAN; it cannot be paid by transfer";
    return NULL;
}

/* Why --iban cannot replace the payee's account of row 0, or NULL. */
static const char *iban_refusal(pgsink_result *res, const char *iban)
{
    if (strcmp(pgsink_result_value(res, 0, C_STATUS), "returned"))
        return "--iban replaces the bank details of a transfer that came back; this one did not";
    if (!einvcheck_iban(iban))
        return "--iban is not a valid IBAN";
    return NULL;
}

/* approve --iban: the payee's new account is stored, and the old bank's
 * BIC cleared (sql/042), but not approved: the database now names this
 * login as the one who changed the terms (sql/075), and another login
 * approves them, seeing the new IBAN.  Before, one login chose the account
 * and approved it in one step. */
static int store_iban(pgsink *db, pgsink_result *res, const approve_ctx *a)
{
    const char *up[] = {pgsink_result_value(res, 0, C_ID), a->iban};
    return pgsink_query(db, "UPDATE abgleich.invoices SET iban = $2, bic = NULL"
                            " WHERE id = $1::bigint AND status = 'returned'", 2, up, NULL);
}

static void stored_iban_say(pgsink_result *res, const approve_ctx *a, const char *number)
{
    const char *seller = pgsink_result_value(res, 0, C_SELLER);
    const char *old = pgsink_result_isnull(res, 0, C_IBAN) ? "-" : pgsink_result_value(res, 0, C_IBAN);
    const char *importer = pgsink_result_value(res, 0, C_IMPORTER);
    char not_them[160];
    if (strcmp(importer, a->who))
        snprintf(not_them, sizeof not_them, a->en ? "%s and %s" : "%s und %s", a->who, importer);
    else
        snprintf(not_them, sizeof not_them, "%s", a->who);
    log_info("invoice %s of %s: payee IBAN %s replaced by %s; not approved", number, seller, old,
             a->iban);
    printf(a->en ? "invoice %s of %s: new payee IBAN %s stored (was %s); NOT approved: a login"
                   " other than %s approves it (four eyes)\n"
                 : "Rechnung %s von %s: neue IBAN des Empfängers %s gespeichert (bisher %s);"
                   " NICHT freigegeben: ein anderes Login als %s gibt sie frei"
                   " (Vier-Augen-Prinzip)\n",
           number, seller, a->iban, old, not_them);
}

static int approve_row(pgsink *db, pgsink_result *res, const approve_ctx *a)
{
    const char *up[] = {pgsink_result_value(res, 0, C_ID)};
    return pgsink_query(db, "UPDATE abgleich.invoices SET status = 'approved',"
                            " approved_by = session_user, approved_at = now()"
                            " WHERE id = $1::bigint AND status IN ('open', 'returned')",
                        1, up, NULL);
}

/* What was approved: the payee, the account and the amount the payment run
 * will pay, as the clerk approving them must see them (on stdout, in the
 * clerk's language; the log line stays English). */
static void approved_say(pgsink_result *res, const approve_ctx *a, const char *number)
{
    char eur[32], bic[48] = "";
    int64_t cents = strtoll(pgsink_result_value(res, 0, C_CENTS), NULL, 10);
    if (a->en)
        money_format(cents, eur, sizeof eur);
    else
        money_format_de(cents, eur, sizeof eur);
    if (!pgsink_result_isnull(res, 0, C_BIC) && *pgsink_result_value(res, 0, C_BIC))
        snprintf(bic, sizeof bic, ", BIC %s", pgsink_result_value(res, 0, C_BIC));
    const char *iban = pgsink_result_isnull(res, 0, C_IBAN) ? "-" : pgsink_result_value(res, 0, C_IBAN);
    const char *seller = pgsink_result_value(res, 0, C_SELLER);
    log_info("invoice %s of %s approved by %s", number, seller, a->who);
    printf(a->en ? "invoice %s of %s approved by %s: %s %s to %s, IBAN %s%s\n"
                 : "Rechnung %s von %s freigegeben durch %s: %s %s an %s, IBAN %s%s\n",
           number, seller, a->who, eur, pgsink_result_value(res, 0, C_CCY),
           pgsink_result_value(res, 0, C_PAYEE), iban, bic);
}

/* One invoice in a transaction of its own, its row locked from the look
 * to the change: what is printed is what was approved. */
static int approve_one(pgsink *db, const approve_ctx *a, const char *number)
{
    const char *params[] = {number, a->seller};
    pgsink_result *res = NULL;
    int rc = pgsink_begin(db);
    if (rc == AB_OK)
        rc = pgsink_query(db, approve_select, 2, params, &res);
    if (rc == AB_OK) {
        int n = pgsink_result_rows(res);
        const char *why = n == 0  ? "not found among the accepted invoices"
                          : n > 1 ? "several sellers have one of this number; say which with --seller"
                          : a->iban ? iban_refusal(res, a->iban)
                                    : refusal(res, a->who);
        if (why) {
            log_error("invoice %s: %s", number, why);
            rc = AB_E_REJECTED;
        } else {
            rc = (a->iban ? store_iban : approve_row)(db, res, a);
        }
    }
    if (rc == AB_OK)
        rc = pgsink_commit(db);
    else
        pgsink_rollback(db);
    if (rc == AB_OK)
        (a->iban ? stored_iban_say : approved_say)(res, a, number);
    pgsink_result_free(res);
    return rc;
}

/* An IBAN as typed ("de89 3704 ...") or stored as it is stored and paid:
 * no spaces, upper case.  Too long for any IBAN: empty, which is no valid IBAN. */
static void iban_norm(char out[40], const char *typed)
{
    size_t n = 0;
    for (; *typed; typed++) {
        if (*typed == ' ' || *typed == '\t')
            continue;
        if (n == 39) {
            n = 0;
            break;
        }
        out[n++] = *typed >= 'a' && *typed <= 'z' ? (char)(*typed - 'a' + 'A') : *typed;
    }
    out[n] = '\0';
}

static bool approve_option(const char *a)
{
    return !strcmp(a, "--as") || !strcmp(a, "--seller") || !strcmp(a, "--iban");
}

int job_approve(const cli_opts *o, int argc, char **argv)
{
    const char *as = opt(argc, argv, "--as"), *seller = opt(argc, argv, "--seller");
    const char *iban = opt(argc, argv, "--iban");
    int numbers = 0;
    for (int i = 1; i < argc; i++)
        approve_option(argv[i]) ? i++ : numbers++;
    if (!numbers) {
        fprintf(stderr, "usage: abgleich approve INVOICE... [--seller KEY] [--iban IBAN]\n");
        return AB_E_USAGE;
    }
    if (iban && numbers > 1) {
        log_error("--iban names one payee's account: approve one invoice with it"
                  " (%d were named)", numbers);
        return AB_E_USAGE;
    }
    char norm[40];
    if (iban) {
        iban_norm(norm, iban);
        iban = norm;
    }
    pgsink *db = NULL;
    char who[64] = "";
    int rc = pgsink_connect(&db, o->db);
    if (rc == AB_OK)
        rc = pgsink_session_user(db, who, sizeof who);
    if (rc < 0)
        log_error("database: %s", pgsink_error(db));
    else if (as && strcmp(as, who)) {
        log_error("approve --as %s: connected as %s; the approver is the database login"
                  " (connect as %s)", as, who, as);
        rc = AB_E_USAGE;
    }
    for (int i = 1; (rc == AB_OK || rc == AB_E_REJECTED) && i < argc; i++) {
        if (approve_option(argv[i])) {
            i++;
            continue;
        }
        approve_ctx a = {.seller = seller, .who = who, .iban = iban, .en = !strcmp(o->lang, "en")};
        int r = approve_one(db, &a, argv[i]);
        if (r == AB_E_DB)
            log_error("database: %s", pgsink_error(db));
        if (rc == AB_OK || r == AB_E_DB)
            rc = r;
    }
    pgsink_close(db);
    return rc;
}

static void xesc(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*s, f);
        }
    }
}

/* One element with escaped text; NUL-length text writes nothing. */
static void el(FILE *f, const char *indent, const char *name, const char *text)
{
    if (!text || !*text)
        return;
    fprintf(f, "%s<%s>", indent, name);
    xesc(f, text);
    fprintf(f, "</%s>\n", name);
}

/* BICFIDec2014Identifier; an invoice's malformed BIC is left out (the
 * IBAN alone routes a SEPA transfer) rather than spoiling the whole run. */
static bool bic_ok(const char *b)
{
    size_t n = strlen(b);
    if (n != 8 && n != 11)
        return false;
    for (size_t i = 0; i < n; i++) {
        bool alnum = (b[i] >= 'A' && b[i] <= 'Z') || (b[i] >= '0' && b[i] <= '9');
        if (!alnum || ((i == 4 || i == 5) && !(b[i] >= 'A' && b[i] <= 'Z')))
            return false;
    }
    return true;
}

static void amount(char *buf, size_t n, int64_t cents)
{
    snprintf(buf, n, "%lld.%02lld", (long long)(cents / 100), (long long)(cents % 100));
}

typedef struct run {
    const char *account, *name, *bic, *exec_date, *msg_id;
    int64_t sum;
    int n;
} run;

static void pain_head(FILE *f, const run *r, const char *now)
{
    char ctrl[32];
    amount(ctrl, sizeof ctrl, r->sum);
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
               "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:pain.001.001.09\">\n"
               " <CstmrCdtTrfInitn>\n  <GrpHdr>\n");
    el(f, "   ", "MsgId", r->msg_id);
    el(f, "   ", "CreDtTm", now);
    fprintf(f, "   <NbOfTxs>%d</NbOfTxs>\n   <CtrlSum>%s</CtrlSum>\n   <InitgPty>\n", r->n, ctrl);
    el(f, "    ", "Nm", r->name);
    fprintf(f, "   </InitgPty>\n  </GrpHdr>\n  <PmtInf>\n");
    el(f, "   ", "PmtInfId", r->msg_id);
    /* BtchBookg false: one debit per transfer.  Without it a bank may book
     * the run as one debit of the control sum (German banks do by default),
     * which pays no single invoice (invoice_debit_pairs pairs a debit of an
     * invoice's amount), and every invoice would stay in payment. */
    fprintf(f, "   <PmtMtd>TRF</PmtMtd>\n   <BtchBookg>false</BtchBookg>\n"
               "   <NbOfTxs>%d</NbOfTxs>\n   <CtrlSum>%s</CtrlSum>\n"
               "   <PmtTpInf>\n    <SvcLvl>\n     <Cd>SEPA</Cd>\n    </SvcLvl>\n   </PmtTpInf>\n"
               "   <ReqdExctnDt>\n    <Dt>%s</Dt>\n   </ReqdExctnDt>\n   <Dbtr>\n",
            r->n, ctrl, r->exec_date);
    el(f, "    ", "Nm", r->name);
    fprintf(f, "   </Dbtr>\n   <DbtrAcct>\n    <Id>\n");
    el(f, "     ", "IBAN", r->account);
    fprintf(f, "    </Id>\n   </DbtrAcct>\n   <DbtrAgt>\n    <FinInstnId>\n");
    if (r->bic && *r->bic)
        el(f, "     ", "BICFI", r->bic);
    else
        fprintf(f, "     <Othr>\n      <Id>NOTPROVIDED</Id>\n     </Othr>\n");
    fprintf(f, "    </FinInstnId>\n   </DbtrAgt>\n   <ChrgBr>SLEV</ChrgBr>\n");
}

/* Row: id, invoice_number, creditor (the payee, else the seller), iban,
 * bic, remittance, cents.  The texts in the SEPA character set (sepa.h):
 * many banks refuse a whole file for one character outside it. */
static void pain_tx(FILE *f, const pgsink_result *res, int i)
{
    char e2e[40], amt[32], text[512], iban[40];
    char ustrd[SEPA_USTRD_MAX + 1], name[SEPA_NAME_MAX + 1];
    snprintf(e2e, sizeof e2e, "ABG-%s", pgsink_result_value(res, i, 0));
    amount(amt, sizeof amt, strtoll(pgsink_result_value(res, i, 6), NULL, 10));
    const char *rem = pgsink_result_isnull(res, i, 5) ? NULL : pgsink_result_value(res, i, 5);
    if (!rem || !sepa_text(ustrd, SEPA_USTRD_MAX, rem)) {
        snprintf(text, sizeof text, "Rechnung %s", pgsink_result_value(res, i, 1));
        sepa_text(ustrd, SEPA_USTRD_MAX, text);
    }
    sepa_text(name, SEPA_NAME_MAX, pgsink_result_value(res, i, 2));
    iban_norm(iban, pgsink_result_value(res, i, 3)); /* whatever spaces a row kept */
    fprintf(f, "   <CdtTrfTxInf>\n    <PmtId>\n");
    el(f, "     ", "EndToEndId", e2e);
    fprintf(f, "    </PmtId>\n    <Amt>\n     <InstdAmt Ccy=\"EUR\">%s</InstdAmt>\n    </Amt>\n", amt);
    if (!pgsink_result_isnull(res, i, 4) && bic_ok(pgsink_result_value(res, i, 4))) {
        fprintf(f, "    <CdtrAgt>\n     <FinInstnId>\n");
        el(f, "      ", "BICFI", pgsink_result_value(res, i, 4));
        fprintf(f, "     </FinInstnId>\n    </CdtrAgt>\n");
    }
    fprintf(f, "    <Cdtr>\n");
    el(f, "     ", "Nm", name);
    fprintf(f, "    </Cdtr>\n    <CdtrAcct>\n     <Id>\n");
    el(f, "      ", "IBAN", iban);
    fprintf(f, "     </Id>\n    </CdtrAcct>\n    <RmtInf>\n");
    el(f, "     ", "Ustrd", ustrd);
    fprintf(f, "    </RmtInf>\n   </CdtTrfTxInf>\n");
}

/* OUT.tmp left behind: a run killed after its commit and before link()
 * (the file under its .tmp name is then the only copy of a run whose
 * invoices are in payment), or a run writing it now.  Never written over,
 * never removed: a clerk decides. */
static int tmp_left(const char *tmp, const char *out)
{
    log_error("%s exists: a payment run was killed after it put its invoices in payment and"
              " before it put its file in place, and this may be the only copy of that run (or"
              " another pay is writing it now); nothing was paid.  If no pay is running, check"
              " it against the invoices in payment with payment_file %s, rename it to %s and"
              " upload it; then run pay again", tmp, out, out);
    return AB_E_INVAL;
}

/* Into tmp, which this run creates (O_EXCL: never another run's file);
 * *created says whether it did, so that only its own file is removed. */
static int write_pain(const char *tmp, const char *out, run *r, const pgsink_result *res,
                      const char *ok, bool *created)
{
    char now[32];
    time_t t = time(NULL);
    strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%S", localtime(&t));
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0666);
    if (fd < 0 && errno == EEXIST)
        return tmp_left(tmp, out);
    if (fd < 0) {
        log_error("%s: %s; nothing was paid", tmp, strerror(errno));
        return AB_E_IO;
    }
    *created = true;
    FILE *f = fdopen(fd, "w");
    if (!f) {
        close(fd);
        return AB_E_IO;
    }
    pain_head(f, r, now);
    for (int i = 0; i < pgsink_result_rows(res); i++)
        if (ok[i])
            pain_tx(f, res, i);
    fprintf(f, "  </PmtInf>\n </CstmrCdtTrfInitn>\n</Document>\n");
    return fclose(f) == 0 ? AB_OK : AB_E_IO;
}

/* The approved invoices due by the day, payable by SEPA transfer.  The
 * creditor is the payee an invoice names (BT-59), whose account the IBAN
 * is: the payer's bank checks the name against the account's holder
 * (verification of payee, sql/046); else the seller. */
static int select_run(pgsink *db, const char *due_by, pgsink_result **res)
{
    const char *params[] = {due_by};
    return pgsink_query(db,
        "SELECT id, invoice_number, coalesce(nullif(btrim(payee_name), ''), seller_name),"
        "   iban, bic, remittance, amount_due_cents"
        " FROM abgleich.invoices WHERE status = 'approved' AND amount_due_cents > 0"
        "   AND approved_by IS NOT NULL AND approved_by <> imported_by"
        "   AND approved_by IS DISTINCT FROM submitted_by AND approved_by IS DISTINCT FROM reset_by"
        "   AND approved_by IS DISTINCT FROM terms_by AND NOT approved_by = ANY (terms_logins)"
        "   AND currency = 'EUR' AND (due_date IS NULL OR due_date <= $1::date)"
        " ORDER BY due_date NULLS FIRST, id FOR UPDATE",
        1, params, res);
}

/* Marks the rows of the run; ids as a PostgreSQL array literal. */
static int mark_run(pgsink *db, const pgsink_result *res, const char *ok, const char *out, run *r)
{
    size_t cap = 16 + (size_t)pgsink_result_rows(res) * 24, len = 0;
    char *ids = malloc(cap);
    if (!ids)
        return AB_E_NOMEM;
    len += (size_t)snprintf(ids, cap, "{");
    for (int i = 0; i < pgsink_result_rows(res); i++)
        if (ok[i])
            len += (size_t)snprintf(ids + len, cap - len, "%s%s", len > 1 ? "," : "",
                                    pgsink_result_value(res, i, 0));
    snprintf(ids + len, cap - len, "}");
    const char *params[] = {ids, out};
    int rc = pgsink_query(db, "UPDATE abgleich.invoices SET status = 'in_payment',"
                              " end_to_end_id = 'ABG-' || id, payment_file = $2"
                              " WHERE id = ANY($1::bigint[])", 2, params, NULL);
    free(ids);
    return rc;
}

/* The bank's schema is the last word before anything is marked paid. */
static int check_pain(const char *tmp, const char *out)
{
    char err[256];
    int n = 0;
    int rc = xsdval_file(XSD_PAIN_001_001_09, tmp, &n, err, sizeof err);
    if (rc < 0)
        log_error("%s: the payment file is not valid against %s (%d errors), first: %s;"
                  " nothing was paid", out, xsdval_name(XSD_PAIN_001_001_09), n, err);
    return rc;
}

/* Why row i of the run cannot be paid by this file, or NULL.  A name the
 * SEPA set leaves nothing of (one in another script) needs a clerk: the
 * EPC requires the creditor's name. */
static const char *unpayable(const pgsink_result *res, int i)
{
    char name[SEPA_NAME_MAX + 1];
    if (pgsink_result_isnull(res, i, 3) || !einvcheck_iban(pgsink_result_value(res, i, 3)))
        return "no valid payee IBAN";
    if (!sepa_text(name, SEPA_NAME_MAX, pgsink_result_value(res, i, 2)))
        return "the payee's name has no letter or digit of the SEPA character set";
    return NULL;
}

static int pay_run(pgsink *db, run *r, const char *due_by, const char *out)
{
    pgsink_result *res = NULL;
    char tmp[4096], *ok = NULL;
    bool committed = false, created = false;
    snprintf(tmp, sizeof tmp, "%s.tmp", out);
    if (access(out, F_OK) == 0) {
        log_error("%s exists: a payment file is never overwritten (it may not be uploaded yet)",
                  out);
        return AB_E_INVAL;
    }
    if (access(tmp, F_OK) == 0)
        return tmp_left(tmp, out);
    int rc = pgsink_begin(db);
    if (rc == AB_OK)
        rc = select_run(db, due_by, &res);
    int n = rc == AB_OK ? pgsink_result_rows(res) : 0;
    if (rc == AB_OK && !(ok = calloc((size_t)n + 1, 1)))
        rc = AB_E_NOMEM;
    for (int i = 0; rc == AB_OK && i < n; i++) {
        const char *why = unpayable(res, i);
        ok[i] = !why;
        if (why) {
            log_warn("invoice %s: %s; left out", pgsink_result_value(res, i, 1), why);
            continue;
        }
        r->n++;
        r->sum += strtoll(pgsink_result_value(res, i, 6), NULL, 10);
    }
    if (rc == AB_OK && r->n == 0) {
        log_info("nothing to pay by %s", due_by);
    } else if (rc == AB_OK) {
        /* The run's MsgId: the time and its first invoice, which no other run
         * pays, so two runs in one second do not look alike to the bank. */
        char msg[64];
        for (int i = 0; i < n; i++)
            if (ok[i]) {
                snprintf(msg, sizeof msg, "%s-%s", r->msg_id, pgsink_result_value(res, i, 0));
                break;
            }
        r->msg_id = msg;
        rc = write_pain(tmp, out, r, res, ok, &created);
        if (rc == AB_OK)
            rc = check_pain(tmp, out);
        if (rc == AB_OK)
            rc = mark_run(db, res, ok, out, r);
        /* Committed first, then the file put in place: a run killed between
         * the two leaves invoices in payment and the file under its .tmp
         * name, never a complete file that a second run would pay again. */
        if (rc == AB_OK && (rc = pgsink_commit(db)) == AB_OK && link(tmp, out) != 0) {
            log_error("%s: the invoices are in payment, but the file could not be put there (%s);"
                      " it is %s: move it there before the upload", out, strerror(errno), tmp);
            committed = true; /* tmp is the only copy of the run: kept */
            rc = AB_E_IO;
        } else if (created) {
            unlink(tmp);
        }
    }
    if (rc == AB_OK && r->n == 0)
        rc = pgsink_commit(db);
    if (rc < 0 && !committed)
        pgsink_rollback(db);
    free(ok);
    pgsink_result_free(res);
    return rc;
}

/* The day the file asks the bank to execute: --execution-date (arg) or
 * today ($ABGLEICH_TODAY, as every command), never before today, and on a
 * day TARGET2 settles: a SEPA transfer is executed on no other, and a bank
 * refuses such a file or moves the day on its own.  Into out. */
static int execution_date(const char *arg, char out[11])
{
    int32_t today, d;
    char asked[11], t[11];
    if (tcheck_as_of(NULL, &today) < 0) {
        log_error("ABGLEICH_TODAY is not a date (YYYY-MM-DD)");
        return AB_E_USAGE;
    }
    if (arg && date_parse_iso(arg, strlen(arg), &d) < 0) {
        log_error("--execution-date %s is not a date (YYYY-MM-DD)", arg);
        return AB_E_USAGE;
    }
    d = arg ? d : today;
    date_format(today, t);
    date_format(d, asked);
    if (d < today) {
        log_error("execution date %s is in the past (today is %s): nothing was paid", asked, t);
        return AB_E_USAGE;
    }
    int32_t next = sepa_target2_next(d);
    date_format(next, out);
    if (next != d) {
        int weekday = ((d % 7) + 7 + 3) % 7; /* 1970-01-01 was a Thursday; Monday is 0 */
        log_info("execution date %s is a %s; TARGET2 settles on %s, the file asks for that day",
                 asked, weekday == 5 ? "Saturday" : weekday == 6 ? "Sunday" : "TARGET2 holiday",
                 out);
    }
    return AB_OK;
}

int job_pay(const cli_opts *o, int argc, char **argv)
{
    const char *due_by = opt(argc, argv, "--due-by"), *out = opt(argc, argv, "--out");
    run r = {.account = opt(argc, argv, "--account"), .name = opt(argc, argv, "--name"),
             .bic = opt(argc, argv, "--bic"), .exec_date = opt(argc, argv, "--execution-date")};
    int32_t d;
    if (!due_by || !out || !r.account || !r.name || argc % 2 == 0 ||
        date_parse_iso(due_by, strlen(due_by), &d) < 0) {
        fprintf(stderr, "usage: abgleich pay --due-by YYYY-MM-DD --out FILE.xml --account IBAN"
                        " --name NAME [--bic BIC] [--execution-date YYYY-MM-DD]\n");
        return AB_E_USAGE;
    }
    /* As typed ("DE02 1203 ..."), written as the schema wants it: the check
     * alone passed spaces, and the file then failed its schema check. */
    char account[40];
    iban_norm(account, r.account);
    if (!einvcheck_iban(account)) {
        log_error("--account %s is not a valid IBAN", r.account);
        return AB_E_USAGE;
    }
    r.account = account;
    char name[SEPA_NAME_MAX + 1];
    if (!sepa_text(name, SEPA_NAME_MAX, r.name)) {
        log_error("--name %s: nothing of it is in the SEPA character set", r.name);
        return AB_E_USAGE;
    }
    r.name = name;
    char msg[24], exec[11];
    if (execution_date(r.exec_date, exec) < 0)
        return AB_E_USAGE;
    r.exec_date = exec;
    time_t t = time(NULL);
    strftime(msg, sizeof msg, "ABG-%Y%m%d-%H%M%S", localtime(&t));
    r.msg_id = msg;
    pgsink *db = NULL;
    int rc = pgsink_connect(&db, o->db);
    if (rc == AB_OK)
        rc = pay_run(db, &r, due_by, out);
    if (rc == AB_E_DB)
        log_error("database: %s", pgsink_error(db));
    pgsink_close(db);
    if (rc == AB_OK && r.n)
        log_info("%s: %d transfers, %lld.%02lld EUR (pain.001.001.09); the invoices are in payment",
                 out, r.n, (long long)(r.sum / 100), (long long)(r.sum % 100));
    return rc;
}
