/*
 * camtw.c - camt.053.001.08 writer; see camtw.h.
 *
 * Element order follows the schema (camt.053.001.08.xsd) exactly; the test
 * t_gen_xsd.sh validates generated files with xmllint.  Text is escaped for
 * XML; amounts are printed from cents with integer arithmetic.
 */
#include "camtw.h"

static void esc(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&apos;", f); break;
        default: fputc(*s, f);
        }
    }
}

static void amt(FILE *f, int64_t c)
{
    uint64_t m = c < 0 ? (uint64_t)0 - (uint64_t)c : (uint64_t)c;
    fprintf(f, "<Amt Ccy=\"EUR\">%llu.%02llu</Amt>", (unsigned long long)(m / 100),
            (unsigned long long)(m % 100));
}

static void bal(FILE *f, const char *type, int64_t c, const char *date)
{
    fprintf(f, "<Bal><Tp><CdOrPrtry><Cd>%s</Cd></CdOrPrtry></Tp>", type);
    amt(f, c);
    fprintf(f, "<CdtDbtInd>%s</CdtDbtInd><Dt><Dt>%s</Dt></Dt></Bal>\n", c < 0 ? "DBIT" : "CRDT",
            date);
}

void camtw_open(FILE *f, const camtw_header *h)
{
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
          "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.08\">\n"
          "<BkToCstmrStmt>\n<GrpHdr><MsgId>", f);
    esc(f, h->msg_id);
    fprintf(f, "</MsgId><CreDtTm>%s</CreDtTm></GrpHdr>\n<Stmt><Id>", h->created);
    esc(f, h->stmt_id);
    fprintf(f, "</Id><ElctrncSeqNb>%llu</ElctrncSeqNb><CreDtTm>%s</CreDtTm>\n",
            (unsigned long long)h->elec_seq, h->created);
    fprintf(f, "<Acct><Id><IBAN>%s</IBAN></Id><Ccy>EUR</Ccy><Svcr><FinInstnId><BICFI>%s"
               "</BICFI></FinInstnId></Svcr></Acct>\n", h->iban, h->bic);
    bal(f, "OPBD", h->opening_cents, h->date);
    bal(f, "CLBD", h->closing_cents, h->date);
}

static void party(FILE *f, const camtw_tx *tx)
{
    const char *role = tx->direction == 'C' ? "Dbtr" : "Cdtr";
    fprintf(f, "<RltdPties><%s><Pty><Nm>", role);
    esc(f, tx->party_name);
    fprintf(f, "</Nm></Pty></%s><%sAcct><Id><IBAN>%s</IBAN></Id></%sAcct></RltdPties>", role,
            role, tx->party_iban, role);
}

static void remittance(FILE *f, const camtw_tx *tx)
{
    if (!tx->ustrd[0] && !tx->strd_ref)
        return;
    fputs("<RmtInf>", f);
    for (int i = 0; i < 4 && tx->ustrd[i]; i++) {
        fputs("<Ustrd>", f);
        esc(f, tx->ustrd[i]);
        fputs("</Ustrd>", f);
    }
    if (tx->strd_ref) {
        fputs("<Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp><Ref>", f);
        esc(f, tx->strd_ref);
        fputs("</Ref></CdtrRefInf></Strd>", f);
    }
    fputs("</RmtInf>", f);
}

void camtw_entry(FILE *f, const camtw_header *h, const camtw_tx *tx)
{
    const char *cd = tx->direction == 'C' ? "CRDT" : "DBIT";
    fputs("<Ntry>", f);
    amt(f, tx->amount_cents);
    fprintf(f, "<CdtDbtInd>%s</CdtDbtInd><RvslInd>%s</RvslInd><Sts><Cd>BOOK</Cd></Sts>"
               "<BookgDt><Dt>%s</Dt></BookgDt><ValDt><Dt>%s</Dt></ValDt><AcctSvcrRef>",
            cd, tx->reversal ? "true" : "false", h->date, h->date);
    esc(f, tx->acct_svcr_ref);
    fprintf(f, "</AcctSvcrRef><BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>%s</Cd><SubFmlyCd>ESCT"
               "</SubFmlyCd></Fmly></Domn></BkTxCd>\n<NtryDtls><TxDtls><Refs><EndToEndId>",
            tx->direction == 'C' ? "RCDT" : "ICDT");
    esc(f, tx->end_to_end_id);
    fputs("</EndToEndId></Refs>", f);
    amt(f, tx->amount_cents);
    fprintf(f, "<CdtDbtInd>%s</CdtDbtInd>", cd);
    party(f, tx);
    remittance(f, tx);
    fputs("</TxDtls></NtryDtls></Ntry>\n", f);
}

void camtw_close(FILE *f)
{
    fputs("</Stmt>\n</BkToCstmrStmt>\n</Document>\n", f);
}
