/*
 * offense.h - the federal offense catalogue (BT-KAT-OWi, edition
 * 2024-08-22), embedded in the binary from data/btkat_owi_2024-08-22_all.csv
 * (see data/PROVENANCE.md), so that an installed abgleich validates tickets
 * with no data directory.
 *
 * One entry per TBNR (the newest version; the catalogue file holds no older
 * ones): the Euro amount, the validity range and the classification (5 =
 * stopping and parking, the only offenses a keeper cost notice under § 25a
 * StVG may follow).  The table is parsed once, on first use, into static
 * storage; entries are read-only and live as long as the process.
 */
#ifndef AB_OFFENSE_H
#define AB_OFFENSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

typedef struct offense {
    uint32_t tbnr;          /* 6 digits */
    int64_t cents;          /* EuroGesamt; 0 when the catalogue gives no amount */
    int32_t valid_from;     /* days since 1970-01-01, inclusive */
    int32_t valid_to;       /* inclusive; 2099-12-31 = open-ended */
    uint8_t klass;          /* Klassifizierung; 5 = Halt- und Parkverstoß */
} offense;

#define OFFENSE_CLASS_PARKING 5

/* Parses the embedded catalogue (once; thread-safe).  Fails only when the
 * embedded data is broken, which a unit test guards. */
int offense_load(void) AB_MUSTCHECK;
/* The entry of a TBNR given as 6 digits, or NULL. offense_load first. */
const offense *offense_find(const char *tbnr, size_t n);
size_t offense_count(void);
/* Every parking TBNR (class 5) as a PostgreSQL array literal "{..,..}"
 * into buf; returns the length, 0 when buf is too small. */
size_t offense_parking_array(char *buf, size_t cap);

#endif
