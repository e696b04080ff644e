/*
 * payment.h - the payment record every bank-format reader produces and the
 * matcher and the PostgreSQL sink consume.
 *
 * A payment is one transaction as the engine matches it: a CAMT TxDtls, or
 * the entry itself where it has none, or an MT940 :61: with its :86:.
 * Strings are NUL-terminated and owned by the reader's per-entry arena; they
 * are valid only during the callback that hands the payment over.  Money is
 * int64 cents, always positive; the direction says which way it went.
 */
#ifndef AB_PAYMENT_H
#define AB_PAYMENT_H

#include <stdbool.h>
#include <stdint.h>

enum pay_direction { PAY_CREDIT = 'C', PAY_DEBIT = 'D' };

/* What makes a payment a batch total (payment.batch). */
enum pay_batch {
    PAY_BATCH_NONE = 0,
    PAY_BATCH_COUNT,            /* CAMT: Btch/NbOfTxs above 1 and no TxDtls */
    PAY_BATCH_GVC,              /* MT940: a collective GVC (191, 192, 194, ...) */
    PAY_BATCH_TEXT,             /* MT940: the booking text ?00 says SAMMLER / SAMMEL- */
};

typedef struct payment {
    int64_t amount_cents;       /* > 0 (zero-amount entries are kept as 0) */
    char direction;             /* PAY_CREDIT or PAY_DEBIT */
    bool reversal;              /* RvslInd true */
    bool provisional;           /* from an intraday report (camt.052, MT942): never matched */
    /* A batch total: one booking of several payments without their details
     * (a camt.054 brings them), never matched as one payment; what says so
     * (PAY_BATCH_*, 0 when it is no batch total), and how many payments it
     * holds (camt Btch/NbOfTxs, the count an MT940 :86: states), 0 when the
     * bank does not say. */
    uint8_t batch;
    uint32_t batch_txs;
    char gvc[4];                /* MT940 :86: Geschaeftsvorfallcode ("194"), else "" */
    char status[8];             /* BOOK, PDNG, INFO (empty: unknown) */
    char currency[4];           /* ISO 4217 of the amount */
    char booking_date[11];      /* YYYY-MM-DD, or empty */
    char value_date[11];        /* YYYY-MM-DD, or empty */
    uint32_t entry_no;          /* 1-based position of the entry in its statement */
    uint32_t tx_no;             /* 1-based position of the transaction in its entry */
    const char *acct_svcr_ref;  /* TxDtls Refs/AcctSvcrRef, else the entry's AcctSvcrRef */
    const char *end_to_end_id;  /* Refs/EndToEndId, "" when absent */
    const char *debtor_name;    /* RltdPties/Dbtr[/Pty]/Nm; of a debit: Cdtr (the other party) */
    const char *debtor_iban;    /* RltdPties/DbtrAcct/Id/IBAN; of a debit: CdtrAcct */
    const char *remittance;     /* every Ustrd line as sent, joined by '\n' */
    const char *creditor_ref;   /* Strd/CdtrRefInf/Ref values, joined by '\n' */
    const char *bank_tx_code;   /* Domn Cd/Fmly/SubFmly or Prtry/Cd, "" */
    const char *entry_info;     /* AddtlNtryInf, "" */
    /* R-transactions (returns): RtrInf/Rsn/Cd (MS03, AC04, ...), or the ISO
     * code of an MT940 ?34 return key (902 -> AC04); "" or NULL when none. */
    const char *return_reason;
    int64_t charges_cents;      /* the bank's charges on it (Chrgs), >= 0, apart from amount */
    /* The entry the transaction belongs to, as a camt.054 and the camt.053
     * it notifies both state it (jobs/entrylink.c ties the two together);
     * "" / 0 when the reader has none.  An MT940 :61: is its own entry:
     * its bank reference (after '//'), its amount, one transaction. */
    const char *entry_ref;      /* Ntry/AcctSvcrRef, even where the transaction has its own */
    const char *batch_msg_id;   /* Ntry/NtryDtls/Btch/MsgId */
    const char *batch_pmt_inf_id; /* Ntry/NtryDtls/Btch/PmtInfId */
    /* MT940: the KREF+ of a Sammler's :86:, the originator's reference of
     * the batch (the PmtInfId of its pain file, which a camt.054 states as
     * Btch/PmtInfId; some banks put the MsgId there, sql/069); "" or NULL
     * when none. */
    const char *batch_kref;
    int64_t entry_cents;        /* Ntry/Amt: the entry's booked amount, > 0 */
    char entry_direction;       /* Ntry/CdtDbtInd: PAY_CREDIT or PAY_DEBIT */
    uint32_t entry_txs;         /* transactions of the entry (1 for one without details) */
    /* Set by reconcile, never by a reader (jobs/entrylink.c): the same
     * booking came already in the file named (a camt.053 and the camt.054
     * of the same entry), so this sighting is stored and never matched; or
     * it may have, and more than one entry there could be it: a clerk
     * decides.  NULL when neither. */
    const char *booked_in;
    const char *maybe_booked_in;
    /* Set by reconcile (jobs/resent.c): booked_in / maybe_booked_in name an
     * earlier statement of the same kind, sent again under another Id, and
     * the stored booking that paid (bank_transactions file and seq; 0 when
     * not certain). */
    bool resent;
    int64_t seen_file;
    uint32_t seen_seq;
} payment;

/* A statement (camt.053 Stmt, camt.052 Rpt, camt.054 Ntfctn). */
typedef struct statement {
    const char *format;         /* e.g. "camt.053.001.08" */
    const char *account;        /* IBAN, or Othr/Id */
    const char *currency;       /* Acct/Ccy, "" when absent */
    const char *stmt_id;        /* Stmt/Id */
    const char *elec_seq;       /* ElctrncSeqNb, "" when absent */
    const char *created;        /* CreDtTm, "" when absent */
    bool has_opening, has_closing;
    int64_t opening_cents;      /* OPBD or PRCD, signed */
    int64_t closing_cents;      /* CLBD, signed */
    uint32_t entries;           /* Ntry elements seen */
    uint32_t transactions;      /* payments emitted */
    int64_t credit_cents;       /* sum of booked credit entries */
    int64_t debit_cents;        /* sum of booked debit entries (positive) */
    char first_booking[11];     /* the earliest and the latest BookgDt of its entries, */
    char last_booking[11];      /*   YYYY-MM-DD, "" when none (camt only) */
} statement;

#endif
