/*
 * einvpdf.h - the invoice XML inside a ZUGFeRD / Factur-X / XRechnung PDF.
 *
 * The embedded files are found with libqpdf (the name tree /Root /Names
 * /EmbeddedFiles with its /Kids, and /Root /AF), their streams fetched raw
 * and inflated here with zlib under AB_EINVOICE_MAX_BYTES.  Which
 * attachment is the invoice: factur-x.xml, then xrechnung.xml, then
 * zugferd-invoice.xml (ZUGFeRD 2.0); ZUGFeRD-invoice.xml (ZUGFeRD 1.0) only
 * when none of these is there.  A PDF carrying two of the first three with
 * different content is refused: which of two invoices to pay is a clerk's
 * decision; so is one carrying two files of the same name (two
 * factur-x.xml) that differ.  Encrypted, damaged or oversized PDFs are
 * refused with the reason.  The caller frees *xml with mem_free.
 */
#ifndef AB_EINVPDF_H
#define AB_EINVPDF_H

#include <stddef.h>

#include "../engine/err.h"

int einvpdf_extract(const char *path, char **xml, size_t *n, char name[64], char *err,
                    size_t errlen) AB_MUSTCHECK;

#endif
