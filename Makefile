# abgleich - build, test, demo.
#
#   make            bin/abgleich (release: -O2, jemalloc)
#   make test       unit tests (release and ASan+UBSan) and integration tests
#                   against a throwaway PostgreSQL
#   make demo       the main job on an embedded default (private PostgreSQL)
#   make asan       build/asan/abgleich with ASan + UBSan (libc malloc)
#   make fuzz       libFuzzer targets in build/fuzz/ (clang)
#   make bench      the spine benchmark (bench/spine.sh)
#   make install    PREFIX=/usr/local
#
# Every target first runs deploy/install-deps.sh, which installs the Debian
# packages that are missing.

CC      ?= cc
PREFIX  ?= /usr/local
PKGS     = libpq libuv libxxhash libxml-2.0 xlsxwriter libzip inih libmicrohttpd libqpdf zlib
WARN     = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wformat=2 -Wundef -Wno-unused-parameter -Wno-format-truncation
BASEFLAGS = -std=c11 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L -pthread $(WARN)

SRC_LIB  = $(sort $(wildcard engine/*.c formats/*.c) $(filter-out jobs/main.c,$(wildcard jobs/*.c)))
SQL      = $(sort $(wildcard sql/[0-9][0-9][0-9]_*.sql))
UNIT     = $(sort $(wildcard tests/unit/test_*.c))
FUZZ     = $(sort $(wildcard fuzz/fuzz_*.c))

DEPS_STAMP = build/.deps-ok

.PHONY: all deps test unit unit-asan integration demo asan fuzz bench bench-peers install clean

all: bin/abgleich

$(DEPS_STAMP): deploy/install-deps.sh
	@sh deploy/install-deps.sh
	@mkdir -p build && touch $@

deps: $(DEPS_STAMP)

# --- one build per flavour: build/rel and build/asan ---------------------
define FLAVOUR
$(1)_CFLAGS = $$(BASEFLAGS) $(2) $$(shell pkg-config --cflags $$(PKGS) 2>/dev/null)
$(1)_LIBS   = $$(shell pkg-config --libs $$(PKGS) 2>/dev/null) $(3) -lm
$(1)_OBJ    = $$(patsubst %.c,build/$(1)/%.o,$$(SRC_LIB)) build/$(1)/gen/sql_embed.o build/$(1)/gen/data_embed.o \
              build/$(1)/gen/xsd_embed.o

build/$(1)/%.o: %.c | $$(DEPS_STAMP)
	@mkdir -p $$(dir $$@)
	$$(CC) $$($(1)_CFLAGS) -MMD -MP -c $$< -o $$@

build/$(1)/gen/sql_embed.o: build/gen/sql_embed.c
	@mkdir -p $$(dir $$@)
	$$(CC) $$($(1)_CFLAGS) -c $$< -o $$@

build/$(1)/gen/data_embed.o: build/gen/data_embed.c
	@mkdir -p $$(dir $$@)
	$$(CC) $$($(1)_CFLAGS) -c $$< -o $$@

build/$(1)/gen/xsd_embed.o: build/gen/xsd_embed.c
	@mkdir -p $$(dir $$@)
	$$(CC) $$($(1)_CFLAGS) -c $$< -o $$@

build/$(1)/libabgleich.a: $$($(1)_OBJ)
	@rm -f $$@
	ar rcs $$@ $$^

build/$(1)/abgleich: build/$(1)/jobs/main.o build/$(1)/libabgleich.a
	$$(CC) $$($(1)_CFLAGS) -o $$@ $$^ $$($(1)_LIBS)

build/$(1)/unit_tests: $$(patsubst %.c,build/$(1)/%.o,$$(UNIT)) build/$(1)/libabgleich.a
	$$(CC) $$($(1)_CFLAGS) -o $$@ $$^ $$($(1)_LIBS) $$(shell pkg-config --libs criterion)

-include $$(patsubst %.c,build/$(1)/%.d,$$(SRC_LIB) $$(UNIT) jobs/main.c)
endef

# A comma that survives $(call).
, := ,
$(eval $(call FLAVOUR,rel,-O2 -g,$(shell pkg-config --libs jemalloc 2>/dev/null)))
$(eval $(call FLAVOUR,asan,-O1 -g -fno-omit-frame-pointer -fsanitize=address$(,)undefined -fno-sanitize-recover=all,-fsanitize=address$(,)undefined))

# The fines office's reference data (data/PROVENANCE.md), embedded.
DATA_CAT  = data/btkat_owi_2024-08-22_all.csv
DATA_DIST = data/unterscheidungszeichen_weg-li.json
build/gen/data_embed.c: data/embed.sh $(DATA_CAT) $(DATA_DIST)
	@mkdir -p build/gen
	sh data/embed.sh $@ $(DATA_CAT) $(DATA_DIST)

# The XML schemas e-invoices and payment files are validated against
# (data/xsd/PROVENANCE.md), embedded.
XSD = $(sort $(wildcard data/xsd/*.xsd data/xsd/*/*.xsd))
build/gen/xsd_embed.c: data/xsd/embed.sh $(XSD)
	@mkdir -p build/gen
	sh data/xsd/embed.sh $@ $(XSD)

# The list of migrations as a file that changes only when the list does, so
# that a migration removed or renamed rebuilds the embedded SQL too (a
# dependency on the files alone notices only new or changed ones).
SQL_LIST = build/gen/sql.list
$(shell mkdir -p build/gen && (echo '$(SQL)' | cmp -s - $(SQL_LIST) || echo '$(SQL)' > $(SQL_LIST)))

build/gen/sql_embed.c: sql/embed.sh $(SQL) $(SQL_LIST)
	@mkdir -p build/gen
	sh sql/embed.sh $@ $(SQL)

bin/abgleich: build/rel/abgleich
	@mkdir -p bin
	rm -f $@ && cp $< $@

asan: build/asan/abgleich

# --- tests ----------------------------------------------------------------
unit: build/rel/unit_tests
	build/rel/unit_tests --jobs 2

unit-asan: build/asan/unit_tests
	ASAN_OPTIONS=detect_leaks=1 build/asan/unit_tests --jobs 2

integration: bin/abgleich build/asan/abgleich
	sh tests/integration/run.sh

test: deps
	@$(MAKE) --no-print-directory bin/abgleich build/asan/abgleich build/rel/unit_tests build/asan/unit_tests
	@sh tests/run-all.sh

# --- demo, bench, fuzz, install -------------------------------------------
demo: bin/abgleich
	bin/abgleich demo

build/rel/claimidx_bench: bench/claimidx_bench.c build/rel/libabgleich.a
	$(CC) $(rel_CFLAGS) -o $@ $^ $(rel_LIBS)

build/rel/einvoice_bench: bench/einvoice_bench.c build/rel/libabgleich.a
	$(CC) $(rel_CFLAGS) -o $@ $^ $(rel_LIBS)

bench: bin/abgleich build/rel/claimidx_bench
	sh bench/spine.sh

FUZZ_CFLAGS = $(BASEFLAGS) -Wno-unknown-warning-option -O1 -g -fsanitize=fuzzer,address,undefined $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
build/fuzz/%: fuzz/%.c $(SRC_LIB) build/gen/sql_embed.c build/gen/data_embed.c build/gen/xsd_embed.c | $(DEPS_STAMP)
	@mkdir -p build/fuzz
	clang $(FUZZ_CFLAGS) -o $@ $< $(SRC_LIB) build/gen/sql_embed.c build/gen/data_embed.c build/gen/xsd_embed.c $(shell pkg-config --libs $(PKGS)) -lm

fuzz: $(patsubst fuzz/%.c,build/fuzz/%,$(FUZZ))

install: bin/abgleich
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/abgleich/sql
	install -m 755 bin/abgleich $(DESTDIR)$(PREFIX)/bin/abgleich
	install -m 644 $(SQL) $(DESTDIR)$(PREFIX)/share/abgleich/sql/
	install -d $(DESTDIR)$(PREFIX)/share/abgleich/data
	install -m 644 $(DATA_CAT) $(DATA_DIST) data/PROVENANCE.md $(DESTDIR)$(PREFIX)/share/abgleich/data/
	install -d $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 644 man/abgleich.1 $(DESTDIR)$(PREFIX)/share/man/man1/abgleich.1

# The peers of docs/benchmarks.md, in the same run as abgleich (needs npm):
# PostgreSQL-only and DuckDB for the nightly run, mt940js for the readers.
bench-peers: bin/abgleich
	sh bench/nightly.sh 1000000 200000
	sh bench/readers.sh

clean:
	rm -rf build bin
