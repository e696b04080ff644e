/*
 * limits.h - every cap of abgleich in one place.
 *
 * Untrusted input is bounded by these numbers, not by the size of a file.
 * Each number says why it is what it is; the static asserts keep the ones
 * that depend on each other honest.
 */
#ifndef AB_LIMITS_H
#define AB_LIMITS_H

/* Stringify a limit for use inside SQL text. */
#define AB_STR_(x) #x
#define AB_STR(x) AB_STR_(x)

/* Read size for streaming a file: large enough that read(2) costs nothing. */
#define AB_READ_CHUNK (256u * 1024u)

/* The stdio buffer of each of reconcile's spill files: one write(2) per
 * a few hundred ledger rows. */
#define AB_SPILL_BUFFER (64u * 1024u)

/* A CSV line of a ticket batch; real lines are ~200 bytes. */
#define AB_CSV_MAX_LINE (16u * 1024u)
/* Columns in a ticket CSV. */
#define AB_CSV_MAX_FIELDS 64u

/* A Kassenzeichen or other claim reference, normalised (digits/letters). */
#define AB_REF_MAX 35u
/* Shortest reference we ever look up: shorter digit runs are dates, amounts. */
#define AB_REF_MIN 5u
/* Candidate references collected from one payment's text. */
#define AB_REFS_PER_PAYMENT 16u

/* One Ustrd line is <= 140 chars by ISO 20022; we keep up to 16 lines. */
#define AB_REMITTANCE_MAX 4096u
/* Names, IBANs, ids inside a CAMT file. ISO caps names at 140 chars. */
#define AB_TEXT_FIELD_MAX 512u
/* Ids such as EndToEndId (ISO: 35 chars); generous for broken senders. */
#define AB_ID_MAX 128u

/* Transactions (TxDtls) in one entry that we hold before emitting the entry. */
#define AB_TX_PER_ENTRY 100000u
/* Bytes of the per-entry arena that holds those transactions' strings. */
#define AB_ENTRY_ARENA_BYTES (64u * 1024u * 1024u)

/* XML nesting depth of a bank statement; CAMT needs ~12. */
#define AB_XML_MAX_DEPTH 64u

/* Payments matched per batch handed to the worker pool. */
#define AB_MATCH_BATCH 8192u
/* Allocations of one file remembered for reversals later in the same file
 * (engine/revtrack.h); past this, such a reversal is settled after the file. */
#define AB_REVERSAL_TRACK (256u * 1024u)
/* Worker threads at most. */
#define AB_MAX_THREADS 64u

/* COPY buffer; engine/pgsink.c sends it once a row ends past its half, so
 * that a row never has to wait for a second buffer. */
#define AB_COPY_BUF_BYTES (1024u * 1024u)
/* Largest single COPY row we build. */
#define AB_COPY_ROW_MAX (64u * 1024u)

/* Claims the in-memory index holds at most (fines-domain.md §5: 10 M is a big city). */
#define AB_CLAIMS_MAX (64u * 1024u * 1024u)

/* Rows of one ticket file the import remembers for its in-file checks
 * (engine/ticketmemo.c, about 100 bytes a row: 1 GB at the cap).  A day's
 * batch of a big city is 10^4..10^5; 10^7 covers a year of one in a file. */
#define AB_TICKETS_FILE_MAX (10u * 1000u * 1000u)
/* Earlier rows of one file with the same plate and TBNR that the likely-
 * duplicate check compares a row with; past this the row is refused, so
 * that a hostile file cannot make the check quadratic. */
#define AB_TICKETS_SAME_CAR_MAX 64u

/* Entries of the embedded offense catalogue (BT-KAT-OWi 2024 has 3,261). */
#define AB_OFFENSES_MAX 8192u

/* An error message with file, line, field and reason. */
#define AB_ERRMSG_MAX 512u

_Static_assert(AB_REF_MIN < AB_REF_MAX, "reference bounds");
_Static_assert(AB_COPY_ROW_MAX < AB_COPY_BUF_BYTES, "a row must fit the COPY buffer");
/* ZIP containers of bank statements (formats/bankread.c): a bank zips one
 * day's or month's statements, a few to a few hundred members of at most
 * tens of MB (DK: camt files <= ~20 MB).  The caps stop a zip bomb before
 * it fills memory or disk: members, bytes per member and in all, and the
 * inflation ratio (XML inflates ~10-30x; a bomb 1000x and more). */
#define AB_ZIP_MAX_MEMBERS 4096u
#define AB_ZIP_MAX_MEMBER_BYTES (1024ull * 1024u * 1024u)
#define AB_ZIP_MAX_TOTAL_BYTES (4ull * 1024u * 1024u * 1024u)
#define AB_ZIP_MAX_RATIO 200u

/* XLSX work lists read back (formats/xlsxread.c): one part inflated, the
 * shared strings, one cell's text, columns per row. */
#define AB_XLSX_MAX_PART (256u * 1024u * 1024u)
#define AB_XLSX_MAX_STRINGS (32u * 1024u * 1024u)
#define AB_XLSX_MAX_CELL 4096u
#define AB_XLSX_MAX_COLS 64

/* One e-invoice XML (formats/einvoice.c): held whole as a DOM, so capped;
 * real invoices are 10-200 KB, EXTENDED ones with thousands of lines a few MB. */
#define AB_EINVOICE_MAX_BYTES (16u * 1024u * 1024u)
/* A ZUGFeRD PDF (formats/einvpdf.c): read through libqpdf from the file. */
#define AB_EINVOICE_PDF_MAX_BYTES (64u * 1024u * 1024u)

_Static_assert(AB_REMITTANCE_MAX < AB_COPY_ROW_MAX / 4, "a transaction row must fit");
_Static_assert(AB_TEXT_FIELD_MAX < AB_REMITTANCE_MAX, "fields fit remittance cap");
_Static_assert(AB_CSV_MAX_LINE <= AB_READ_CHUNK, "a CSV line fits one read chunk");

/* abgleich serve (jobs/serve.c, engine/loop.c): inbox files tracked per
 * scan (more wait for a later scan), files hashed per task, and requests
 * and parameters the control connection queues. */
#define AB_SERVE_INBOX_MAX 4096u
#define AB_SERVE_HASH_BATCH 64u
#define AB_PGLOOP_QUEUE 128u
#define AB_PGLOOP_PARAMS 8u

_Static_assert(AB_SERVE_HASH_BATCH <= AB_PGLOOP_QUEUE, "a hash batch's queue requests fit");

#endif
