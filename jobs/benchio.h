/*
 * benchio.h - `bench parse`, `bench sink` and `bench nightly` (benchio.c),
 * called by `bench` (bench.c) with its argv; argv[1] names the subcommand.
 * Nothing is kept between calls.
 */
#ifndef AB_BENCHIO_H
#define AB_BENCHIO_H

#include "cli.h"

int benchio_main(const cli_opts *o, int argc, char **argv) AB_MUSTCHECK;

#endif
