/*
 * migrations.h - the SQL migrations of sql/, embedded into the binary at
 * build time (build/gen/sql_embed.c, made by sql/embed.sh) so that an
 * installed abgleich needs no source tree.  Static data, owned by nobody.
 */
#ifndef AB_MIGRATIONS_H
#define AB_MIGRATIONS_H

#include <stddef.h>

typedef struct sql_migration {
    int version;          /* NNN of sql/NNN_name.sql */
    const char *name;     /* file name */
    const char *sql;      /* file contents */
} sql_migration;

extern const sql_migration sql_migrations[];
extern const size_t sql_migrations_count;

#endif
