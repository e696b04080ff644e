/*
 * invoices.c - `abgleich import invoices FILE...`: e-invoices become
 * payables.
 *
 * Per file, in one transaction: read it (PDF or XML, capped), take the
 * invoice XML out of a PDF (formats/einvpdf), parse it (formats/einvoice),
 * run the rules (engine/einvcheck), archive the document with its SHA-256
 * and outcome, and for an accepted one that no earlier document of the same
 * seller and number announced, store the invoice (status open).  The same
 * file again changes nothing; a second document with a known seller and
 * number, or with a known number, payee IBAN and amount due under another
 * seller key, is archived as a duplicate and reported.  Rejections print
 * `FILE: RULE: reason` per failed rule; the exit code is then 3.  An
 * accepted invoice with a hold finding (einvcheck.h, EF_HOLD) is stored
 * with its hold (sql/078): not approvable until a clerk lifts it.
 * `approve` and `pay` are in jobs/pay.c; the matching of the debits that
 * pay invoices in jobs/outgoing.c.
 */
#include "invoices.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../engine/date.h"
#include "../engine/einvcheck.h"
#include "../engine/limits.h"
#include "../engine/log.h"
#include "../engine/mem.h"
#include "../formats/einvoice.h"
#include "../formats/einvpdf.h"
#include "../formats/jsonw.h"

typedef struct doc {
    const char *path;
    const char *submitter;   /* who handed the file in (serve: its owner), or NULL */
    char *bytes;
    size_t n;
    char attachment[64];
    einvoice e;
    bool parsed;
    ei_finding f[EI_FINDINGS_MAX];
    int nf, errors;
    char reason[AB_ERRMSG_MAX];
} doc;

static int read_file(doc *d)
{
    FILE *f = fopen(d->path, "rb");
    if (!f)
        return AB_E_IO;
    int rc = AB_OK;
    if (fseek(f, 0, SEEK_END) != 0 || ftell(f) < 0 ||
        (uint64_t)ftell(f) > AB_EINVOICE_PDF_MAX_BYTES) {
        rc = AB_E_INVAL;
        snprintf(d->reason, sizeof d->reason, "larger than %u bytes", AB_EINVOICE_PDF_MAX_BYTES);
    } else {
        d->n = (size_t)ftell(f);
        rewind(f);
        if (!(d->bytes = mem_alloc(d->n + 1)))
            rc = AB_E_NOMEM;
        else if (fread(d->bytes, 1, d->n, f) != d->n)
            rc = AB_E_IO;
    }
    fclose(f);
    return rc;
}

/* Parse and check; d->reason says why when there is no invoice to pay. */
static void examine(doc *d)
{
    char *xml = d->bytes;
    size_t n = d->n;
    if (d->n >= 5 && !memcmp(d->bytes, "%PDF-", 5)) {
        if (einvpdf_extract(d->path, &xml, &n, d->attachment, d->reason, sizeof d->reason) < 0)
            return;
    } else if (d->n > AB_EINVOICE_MAX_BYTES) {
        snprintf(d->reason, sizeof d->reason, "XML larger than %u bytes", AB_EINVOICE_MAX_BYTES);
        return;
    }
    d->parsed = einvoice_parse(xml, n, &d->e, d->reason, sizeof d->reason) == AB_OK;
    if (xml != d->bytes)
        mem_free(xml);
    if (!d->parsed)
        return;
    d->nf = einvcheck_run(&d->e, d->f, EI_FINDINGS_MAX);
    d->errors = einvcheck_errors(d->f, d->nf);
    for (int i = 0; i < d->nf && d->errors; i++)
        if (d->f[i].severity == EF_ERROR) {
            snprintf(d->reason, sizeof d->reason, "%s: %s", d->f[i].rule, d->f[i].text);
            break;
        }
}

static char *findings_json(const doc *d)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    jsonw w;
    jsonw_init(&w, f);
    jsonw_arr_begin(&w);
    static const char *const sev[] = {"error", "warning", "info", "hold"}; /* enum ei_severity */
    for (int i = 0; i < d->nf; i++) {
        jsonw_obj_begin(&w);
        jsonw_kstr(&w, "rule", d->f[i].rule);
        jsonw_kstr(&w, "severity", sev[d->f[i].severity]);
        jsonw_kstr(&w, "text", d->f[i].text);
        jsonw_obj_end(&w);
    }
    jsonw_arr_end(&w);
    fclose(f);
    return buf;
}

/* bytea in hex text form: \x0a1b... */
static char *hex_of(const char *b, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    char *h = mem_alloc(2 * n + 3);
    if (!h)
        return NULL;
    h[0] = '\\';
    h[1] = 'x';
    for (size_t i = 0; i < n; i++) {
        h[2 + 2 * i] = digits[(unsigned char)b[i] >> 4];
        h[3 + 2 * i] = digits[(unsigned char)b[i] & 15];
    }
    h[2 + 2 * n] = '\0';
    return h;
}

/* Who "the same seller" is, for the duplicate check: the VAT id as the
 * tax office writes it (upper case, without the spaces, dots and dashes
 * invoices put in: "DE 123.456.789" is DE123456789), else the name as
 * written.  An audit paid one invoice twice because its VAT id was spelled
 * two ways. */
static void seller_key_of(const einvoice *e, char *out, size_t n)
{
    if (!e->seller_vat[0]) {
        snprintf(out, n, "%s", e->seller_name);
        return;
    }
    size_t o = 0;
    for (const char *c = e->seller_vat; *c && o + 1 < n; c++) {
        if (*c == ' ' || *c == '.' || *c == '-' || *c == '\t')
            continue;
        out[o++] = *c >= 'a' && *c <= 'z' ? (char)(*c - 'a' + 'A') : *c;
    }
    out[o] = '\0';
}

/* A corrected invoice or a credit note acts on the invoice it names, and
 * an invoice on the corrections that came before it (sql/033); each
 * outcome is said as a warning on the document. */
static int link_invoices(pgsink *db, const doc *d, const char *id)
{
    const char *params[] = {id};
    pgsink_result *res = NULL;
    int rc = pgsink_query(db, "SELECT abgleich.invoice_links($1::bigint)", 1, params, &res);
    for (int i = 0; rc == AB_OK && i < pgsink_result_rows(res); i++)
        log_warn("%s: invoice %s: %s", d->path, d->e.number, pgsink_result_value(res, i, 0));
    pgsink_result_free(res);
    return rc;
}

/* The payment means we pay by: the first transfer (UNCL 4461 30 credit
 * transfer, 58 SEPA credit transfer, 42 payment to a bank account) with a
 * valid payee IBAN.  An invoice may offer a card (48) or a direct debit
 * (59) first; taking means[0] left such an invoice without an IBAN, never
 * approvable.  Without one, the first transfer (its IBAN, if any, is then
 * refused at approval with the reason), else the first means as before. */
static const ei_means *payee_means(const einvoice *e)
{
    const ei_means *transfer = NULL;
    for (int i = 0; i < e->n_means; i++) {
        const ei_means *m = &e->means[i];
        if (strcmp(m->code, "30") && strcmp(m->code, "58") && strcmp(m->code, "42"))
            continue;
        if (m->iban[0] && einvcheck_iban(m->iban))
            return m;
        if (!transfer)
            transfer = m;
    }
    return transfer ? transfer : e->n_means ? &e->means[0] : NULL;
}

static bool held(const doc *d)
{
    for (int i = 0; i < d->nf; i++)
        if (d->f[i].severity == EF_HOLD)
            return true;
    return false;
}

/* The findings that hold the invoice for a clerk (EF_HOLD), "RULE: text"
 * one per line, into buf; false if none. */
static bool hold_of(const doc *d, char *buf, size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < d->nf && used + 1 < n; i++)
        if (d->f[i].severity == EF_HOLD) {
            int k = snprintf(buf + used, n - used, "%s%s: %s", used ? "\n" : "", d->f[i].rule,
                             d->f[i].text);
            used = k < 0 ? used : used + (size_t)k >= n ? n - 1 : used + (size_t)k;
        }
    return used > 0;
}

static int store_invoice(pgsink *db, doc *d, const char *doc_id, bool *dup, char *first, size_t fl)
{
    const einvoice *e = &d->e;
    char issue[11] = "", due[11] = "", cents[24], lw[8];
    bool fmt;
    if (e->issue_date != INT32_MIN)
        date_format(e->issue_date, issue);
    if (e->due_date != INT32_MIN)
        date_format(e->due_date, due);
    snprintf(cents, sizeof cents, "%lld", (long long)e->due_cents);
    snprintf(lw, sizeof lw, "%s", einvcheck_leitweg(e->buyer_ref, &fmt) ? "true" : "false");
    char seller_key[sizeof e->seller_name > sizeof e->seller_vat ? sizeof e->seller_name
                                                                  : sizeof e->seller_vat];
    seller_key_of(e, seller_key, sizeof seller_key);
    const ei_means *m = payee_means(e);
    char hold[EI_FINDINGS_MAX * 64];
    bool held = hold_of(d, hold, sizeof hold);
    const char *params[] = {doc_id, e->number, e->type_code, einvoice_profile_name(e->profile),
                            seller_key, e->seller_name, issue[0] ? issue : NULL,
                            due[0] ? due : NULL, e->currency,
                            e->has_buyer_ref ? e->buyer_ref : NULL,
                            e->has_buyer_ref ? lw : NULL, m && m->iban[0] ? m->iban : NULL,
                            m && m->bic[0] ? m->bic : NULL, e->remittance[0] ? e->remittance : NULL,
                            cents, e->preceding[0] ? e->preceding : NULL, d->submitter,
                            e->payee_name[0] ? e->payee_name : NULL, held ? hold : NULL};
    pgsink_result *res = NULL;
    /* Known is the same seller and number, or (whatever the seller key)
     * the same number, payee IBAN and amount due: a seller sending an
     * invoice once with its VAT id and once with only a tax number has two
     * keys (VAT id, name), and an audit paid such an invoice twice. */
    int rc = pgsink_query(db,
        "WITH known AS (SELECT d.name FROM abgleich.invoices i"
        "   JOIN abgleich.invoice_documents d ON d.id = i.document_id"
        "   WHERE i.invoice_number = $2 AND (i.seller_key = $5"
        "     OR (upper(i.iban) = upper($12) AND i.invoiced_cents = $15::bigint))"
        "   ORDER BY i.seller_key = $5 DESC, i.id LIMIT 1),"
        " ins AS (INSERT INTO abgleich.invoices (document_id, invoice_number, type_code,"
        "   profile, seller_key, seller_name, issue_date, due_date, currency, buyer_reference,"
        "   leitweg_ok, iban, bic, remittance, amount_due_cents, invoiced_cents, preceding_number,"
        "   submitted_by, payee_name, hold)"
        " SELECT $1::bigint, $2, $3, $4, $5, $6, $7::date, $8::date, $9, $10, $11::boolean,"
        "   $12, $13, $14, $15::bigint, $15::bigint, $16, $17, $18, $19"
        " WHERE NOT EXISTS (SELECT 1 FROM known)"
        " ON CONFLICT (seller_key, invoice_number) DO NOTHING RETURNING id)"
        " SELECT (SELECT id FROM ins), (SELECT name FROM known)",
        19, params, &res);
    if (rc < 0)
        return rc;
    *dup = pgsink_result_isnull(res, 0, 0);
    snprintf(first, fl, "%s", pgsink_result_isnull(res, 0, 1) ? "?" : pgsink_result_value(res, 0, 1));
    char id[24];
    snprintf(id, sizeof id, "%s", *dup ? "" : pgsink_result_value(res, 0, 0));
    pgsink_result_free(res);
    return *dup ? AB_OK : link_invoices(db, d, id);
}

/* Archives the document; *doc_id "" when this very file was imported before. */
static int archive(pgsink *db, doc *d, const char *outcome, char doc_id[24])
{
    char *hex = hex_of(d->bytes, d->n), *json = findings_json(d), size[24];
    if (!hex || !json) {
        mem_free(hex);
        free(json);
        return AB_E_NOMEM;
    }
    snprintf(size, sizeof size, "%zu", d->n);
    const char *params[] = {d->path, hex, size, d->attachment[0] ? d->attachment : NULL, outcome,
                            d->reason[0] ? d->reason : NULL, json};
    pgsink_result *res = NULL;
    int rc = pgsink_query(db,
        "INSERT INTO abgleich.invoice_documents (name, sha256, size_bytes, content, attachment,"
        "   outcome, reason, findings)"
        " VALUES ($1, encode(sha256($2::bytea), 'hex'), $3::bigint, $2::bytea, $4, $5, $6,"
        "   $7::jsonb)"
        " ON CONFLICT (sha256) DO NOTHING RETURNING id",
        7, params, &res);
    mem_free(hex);
    free(json);
    if (rc < 0)
        return rc;
    snprintf(doc_id, 24, "%s", pgsink_result_rows(res) ? pgsink_result_value(res, 0, 0) : "");
    pgsink_result_free(res);
    return AB_OK;
}


/* `FILE: RULE: reason`: like a rejected row, without a line (the rules
 * speak of the document's business terms, not of a place in the file). */
static void reject(const char *path, const char *rule, const char *text)
{
    log_reject(path, 0, rule, "%s", text);
}

static void say(const doc *d, const char *what)
{
    for (int i = 0; i < d->nf; i++)
        if (d->f[i].severity != EF_INFO)
            reject(d->path, d->f[i].rule, d->f[i].text);
    if (what)
        log_info("%s: %s", d->path, what);
}

static int store(pgsink *db, doc *d, invoices_summary *s)
{
    char doc_id[24], first[256], line[512];
    bool ok = d->parsed && !d->errors, dup = false;
    int rc = pgsink_exec(db, "SELECT pg_advisory_xact_lock(hashtext('abgleich.invoices'))");
    if (rc == AB_OK)
        rc = archive(db, d, ok ? "accepted" : "rejected", doc_id);
    if (rc == AB_OK && !doc_id[0]) {
        log_info("%s: already imported; nothing changed", d->path);
        s->skipped++;
        return AB_OK;
    }
    if (rc == AB_OK && ok)
        rc = store_invoice(db, d, doc_id, &dup, first, sizeof first);
    if (rc == AB_OK && dup) {
        snprintf(d->reason, sizeof d->reason, "invoice %s of %s was imported before from %s",
                 d->e.number, d->e.seller_name, first);
        const char *params[] = {doc_id, d->reason};
        rc = pgsink_query(db, "UPDATE abgleich.invoice_documents SET outcome = 'duplicate',"
                              " reason = $2 WHERE id = $1::bigint", 2, params, NULL);
    }
    if (rc < 0)
        return rc;
    if (!ok) {
        s->rejected++;
        if (!d->nf)
            reject(d->path, "document", d->reason);
        say(d, "rejected, archived; nothing to pay");
    } else if (dup) {
        s->duplicates++;
        say(d, NULL);
        reject(d->path, "duplicate", d->reason);
    } else {
        s->accepted++;
        s->cents += d->e.due_cents;
        snprintf(line, sizeof line, "invoice %s of %s accepted, %lld.%02lld %s due%s", d->e.number,
                 d->e.seller_name, (long long)(d->e.due_cents / 100),
                 (long long)llabs(d->e.due_cents % 100), d->e.currency,
                 held(d) ? "; held: it cannot be approved until a clerk lifts the hold (sql/078)"
                         : "");
        say(d, line);
    }
    return AB_OK;
}

int invoices_import_file(pgsink *db, const char *path, const char *submitter,
                         invoices_summary *s)
{
    doc d = {.path = path, .submitter = submitter};
    s->files++;
    int rc = read_file(&d);
    if (rc == AB_E_IO)
        reject(path, "file", "cannot read the file");
    if (rc == AB_OK)
        examine(&d);
    if (rc == AB_OK)
        rc = pgsink_begin(db);
    if (rc == AB_OK)
        rc = store(db, &d, s);
    if (rc == AB_OK)
        rc = pgsink_commit(db);
    if (rc == AB_E_DB) {
        log_error("%s: database: %s", path, pgsink_error(db));
        pgsink_rollback(db);
    }
    einvoice_free(&d.e);
    mem_free(d.bytes);
    return rc;
}

int invoices_import(const cli_opts *o, int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: abgleich import invoices FILE...\n");
        return AB_E_USAGE;
    }
    pgsink *db = NULL;
    invoices_summary s = {0};
    int rc = pgsink_connect(&db, o->db);
    if (rc < 0)
        log_error("database: %s", pgsink_error(db));
    for (int i = 2; rc != AB_E_DB && i < argc; i++) {
        int frc = invoices_import_file(db, argv[i], NULL, &s);
        rc = rc == AB_OK ? frc : rc;
    }
    pgsink_close(db);
    if (o->json) {
        jsonw w;
        jsonw_init(&w, stdout);
        jsonw_obj_begin(&w);
        jsonw_kint(&w, "files", s.files);
        jsonw_kint(&w, "accepted", s.accepted);
        jsonw_kint(&w, "rejected", s.rejected);
        jsonw_kint(&w, "duplicates", s.duplicates);
        jsonw_kint(&w, "already_imported", s.skipped);
        jsonw_kint(&w, "accepted_cents", s.cents);
        jsonw_obj_end(&w);
    } else if (!o->quiet) {
        printf("invoices: %lld files, %lld accepted, %lld rejected, %lld duplicates, %lld already imported\n",
               (long long)s.files, (long long)s.accepted, (long long)s.rejected,
               (long long)s.duplicates, (long long)s.skipped);
    }
    if (rc == AB_OK && (s.rejected || s.duplicates))
        rc = AB_E_REJECTED;
    return rc;
}
