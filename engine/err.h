/*
 * err.h - the one error convention of abgleich.
 *
 * Every function that can fail returns 0 (AB_OK) or a negative AB_E_* code and
 * is marked AB_MUSTCHECK, so that ignoring a failure is a compile error under
 * -Werror.  Bad input is an error code; a broken invariant is an assert.
 * Codes and their names come from one X-macro so they can never drift apart.
 */
#ifndef AB_ERR_H
#define AB_ERR_H

#define AB_MUSTCHECK __attribute__((warn_unused_result))

#define AB_ERRORS(X)                                   \
    X(NOMEM, -1, "out of memory")                      \
    X(INVAL, -2, "invalid input")                      \
    X(IO, -3, "I/O error")                             \
    X(DB, -4, "database error")                        \
    X(LIMIT, -5, "limit exceeded")                     \
    X(PARSE, -6, "malformed input")                    \
    X(DUP, -7, "already imported")                     \
    X(USAGE, -8, "usage error")                        \
    X(BALANCE, -9, "balance does not add up")          \
    X(NOTFOUND, -10, "not found")                      \
    X(ABORT, -11, "aborted")                           \
    X(REJECTED, -12, "input rejected")

enum {
    AB_OK = 0,
#define AB_ERR_ENUM(name, code, text) AB_E_##name = code,
    AB_ERRORS(AB_ERR_ENUM)
#undef AB_ERR_ENUM
};

/* Static text for a code; never NULL. */
const char *ab_strerror(int code);

/* Process exit codes, documented in the README. */
enum {
    AB_EXIT_OK = 0,
    AB_EXIT_FAILURE = 1,  /* internal or I/O failure */
    AB_EXIT_USAGE = 2,    /* bad command line */
    AB_EXIT_DATA = 3,     /* input rejected (some or all of it) */
    AB_EXIT_DB = 4,       /* database unreachable or failed */
};

/* Maps an AB_E_* code to the exit code a shell script sees. */
int ab_exit_code(int code);

#endif
