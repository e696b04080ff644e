/*
 * err.c - names of the error codes and their mapping to exit codes.
 */
#include "err.h"

const char *ab_strerror(int code)
{
    switch (code) {
    case AB_OK:
        return "ok";
#define AB_ERR_CASE(name, c, text) \
    case AB_E_##name:              \
        return text;
        AB_ERRORS(AB_ERR_CASE)
#undef AB_ERR_CASE
    }
    return "unknown error";
}

int ab_exit_code(int code)
{
    switch (code) {
    case AB_OK:
        return AB_EXIT_OK;
    case AB_E_USAGE:
        return AB_EXIT_USAGE;
    case AB_E_DB:
        return AB_EXIT_DB;
    case AB_E_INVAL:
    case AB_E_PARSE:
    case AB_E_BALANCE:
    case AB_E_REJECTED:
    case AB_E_LIMIT:
        return AB_EXIT_DATA;
    default:
        return AB_EXIT_FAILURE;
    }
}
