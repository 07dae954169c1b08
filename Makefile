# sentencer: build, test, demo, benchmark.
#
#   make            build bin/sentencer
#   make demo       install missing packages, build, start the private
#                   PostgreSQL cluster, load the sample cases, run, print outputs
#   make test       install, build with ASan+UBSan, start the cluster, run
#                   unit tests, database tests, rule tests and CLI tests,
#                   then make lint; fails when either does
#   make lint       clang-format check, clang-tidy, cppcheck, luacheck
#   make format     reformat the C sources
#   make bench      benchmark (BENCH_N cases, default 1000000)
#   make calibration  the recommendations against published judgments
#   make fuzz       build the libFuzzer targets (tests/fuzz/) and run each for
#                   FUZZ_SECONDS (default 300); fails when one finds something
#   make install    install under PREFIX (default /usr/local), staged under
#                   DESTDIR when given: the program, its rule set and golden
#                   tests ($(PREFIX)/share/sentencer), the man page, the
#                   systemd units; make uninstall removes them

CC ?= cc
VERSION := $(shell cat VERSION)
PREFIX ?= /usr/local
DESTDIR ?=
BINDIR = $(PREFIX)/bin
DATADIR = $(PREFIX)/share/sentencer
MANDIR = $(PREFIX)/share/man
UNITDIR = $(PREFIX)/lib/systemd/system
PKGS := libpq lua5.4 libcrypto
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lcsv -lglpk -lm

# _GNU_SOURCE for memmem (linear-time search: sandbox.c, db.c).
CSTD := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -D_GNU_SOURCE
# snprintf into fixed buffers truncates on purpose (paths, messages): no warning for it.
CWARNS := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
          -Wold-style-definition -Wwrite-strings -Wundef -Wformat=2 -Wvla -Wcast-qual \
          -Wno-format-truncation
OPT := -O2 -g
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

# batch/ holds one folder per layer (ARCHITECTURE.md); a header is included
# by its name alone, from whichever folder holds it.
BATCH_DIRS := $(patsubst %/,%,$(sort $(dir $(wildcard batch/*/*.c batch/*/*.h))))
BATCH_INC := $(addprefix -I,$(BATCH_DIRS))
CFLAGS_ALL = $(CSTD) $(CWARNS) $(PKG_CFLAGS) $(BATCH_INC) -Ibuild/gen -MMD -MP

SRCS := $(wildcard batch/*/*.c)
LIB_SRCS := $(filter-out batch/commands/main.c,$(SRCS))
# The migrations in sql/ are compiled into the program.
SQL_FILES := $(sort $(wildcard sql/*.sql))
GEN_SQL := build/gen/migrations_data.c
# So is the codebook (batch/outputs/codebook.csv, see codebook.h), and so are the
# queries (sql/queries/, see queries.h), with a generated header of their ids
# that every object may include: it is made first.
GEN_CODEBOOK := build/gen/codebook_data.c
QUERY_FILES := $(sort $(wildcard sql/queries/*.sql))
GEN_QUERIES := build/gen/query_data.c
GEN_QUERY_IDS := build/gen/query_ids.h
# And the job role's rights (sql/grants/job_role.sql, see grants.h), which
# migrate and grant-job-role run and migrate may print.
GRANTS_FILE := sql/grants/job_role.sql
GEN_GRANTS := build/gen/grants_data.c
GEN_OBJS = $(1)/migrations_data.o $(1)/codebook_data.o $(1)/query_data.o $(1)/grants_data.o
OBJS := $(SRCS:batch/%.c=build/%.o) $(call GEN_OBJS,build)
SAN_OBJS := $(SRCS:batch/%.c=build-san/%.o) $(call GEN_OBJS,build-san)
SAN_LIB_OBJS := $(LIB_SRCS:batch/%.c=build-san/%.o) $(call GEN_OBJS,build-san)

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
DB_SRCS := $(wildcard tests/db/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=build-san/tests/unit/%)
DB_BINS := $(DB_SRCS:tests/db/%.c=build-san/tests/db/%)

.PHONY: all san demo test test-run deps lint format bench calibration clean unit-tests db-tests \
        fuzz fuzz-build install install-check uninstall FORCE

all: bin/sentencer

bin/sentencer: $(OBJS)
	@mkdir -p bin
	$(CC) $(OPT) -o $@ $^ $(PKG_LIBS)

build/%.o: batch/%.c | $(GEN_QUERY_IDS)
	@mkdir -p $(@D)
	$(CC) $(OPT) $(CFLAGS_ALL) $(BUILD_INFO) -c -o $@ $<

# build_info.c (the version, where the default rule set lives) is the one
# object compiled differently: the development builds point at this source
# tree, the installed program at $(DATADIR). build/install/prefix changes
# only when PREFIX does, so that a new PREFIX rebuilds that object.
build/core/build_info.o build-san/core/build_info.o build-fuzz/core/build_info.o: \
    BUILD_INFO = -DSENTENCER_VERSION='"$(VERSION)"' -DSENTENCER_DATADIR='"$(CURDIR)"'
build/core/build_info.o build-san/core/build_info.o build-fuzz/core/build_info.o: VERSION

# PREFIX and DESTDIR go into shell commands and into the program: only
# plain path characters, checked before anything is built or copied.
export PREFIX DESTDIR
install-check:
	@case "$$PREFIX$$DESTDIR" in *[!A-Za-z0-9/._+-]*) \
		echo "make: PREFIX and DESTDIR may hold only letters, digits and / . _ + -" >&2; \
		exit 2;; esac
	@case "$$PREFIX" in /*) ;; *) echo "make: PREFIX must be an absolute path" >&2; exit 2;; esac

build/install/prefix: FORCE install-check
	@mkdir -p $(@D)
	@echo '$(PREFIX)' | cmp -s - $@ || echo '$(PREFIX)' >$@

build/install/build_info.o: batch/core/build_info.c VERSION build/install/prefix
	$(CC) $(OPT) $(CFLAGS_ALL) -DSENTENCER_VERSION='"$(VERSION)"' \
		-DSENTENCER_DATADIR='"$(DATADIR)"' -c -o $@ $<

build/install/sentencer: $(filter-out build/core/build_info.o,$(OBJS)) build/install/build_info.o
	$(CC) $(OPT) -o $@ $^ $(PKG_LIBS)

# Files are installed one by one with install(1): modes set, nothing of the
# build tree's ownership carried along. The units are written for
# PREFIX=/usr/local and rewritten for this one.
install: build/install/sentencer
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR) $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(UNITDIR)
	install -m 755 build/install/sentencer $(DESTDIR)$(BINDIR)/sentencer
	@set -e; for d in lua-rules tests/rules; do \
		find $$d -type f ! -name '.*' | LC_ALL=C sort | while read -r f; do \
			install -D -m 644 "$$f" "$(DESTDIR)$(DATADIR)/$$f"; \
		done; \
	done
	sed 's|/usr/local|$(PREFIX)|g' man/sentencer.1 >$(DESTDIR)$(MANDIR)/man1/sentencer.1
	chmod 644 $(DESTDIR)$(MANDIR)/man1/sentencer.1
	@set -e; for u in scripts/schedule/*.service scripts/schedule/*.timer; do \
		sed 's|/usr/local|$(PREFIX)|g' "$$u" >"$(DESTDIR)$(UNITDIR)/$${u##*/}.tmp"; \
		chmod 644 "$(DESTDIR)$(UNITDIR)/$${u##*/}.tmp"; \
		mv "$(DESTDIR)$(UNITDIR)/$${u##*/}.tmp" "$(DESTDIR)$(UNITDIR)/$${u##*/}"; \
	done
	sed 's|/usr/local|$(PREFIX)|g' scripts/schedule/crontab.example \
		>$(DESTDIR)$(DATADIR)/crontab.example
	chmod 644 $(DESTDIR)$(DATADIR)/crontab.example
	@echo "installed sentencer $(VERSION) under $(DESTDIR)$(PREFIX)"

uninstall: install-check
	rm -f $(DESTDIR)$(BINDIR)/sentencer $(DESTDIR)$(MANDIR)/man1/sentencer.1
	rm -rf $(DESTDIR)$(DATADIR)
	@for u in scripts/schedule/*.service scripts/schedule/*.timer; do \
		rm -f "$(DESTDIR)$(UNITDIR)/$${u##*/}"; \
	done

$(GEN_SQL): $(SQL_FILES) scripts/embed-sql
	@mkdir -p build/gen
	scripts/embed-sql $@ $(SQL_FILES)

$(GEN_QUERY_IDS): $(GEN_QUERIES)
$(GEN_QUERIES): $(QUERY_FILES) scripts/embed-sql
	@mkdir -p build/gen
	scripts/embed-sql --queries $(GEN_QUERIES) $(GEN_QUERY_IDS) $(QUERY_FILES)

$(GEN_CODEBOOK): batch/outputs/codebook.csv scripts/embed-sql
	@mkdir -p build/gen
	scripts/embed-sql --text codebook_csv $@ batch/outputs/codebook.csv

$(GEN_GRANTS): $(GRANTS_FILE) scripts/embed-sql
	@mkdir -p build/gen
	scripts/embed-sql --text job_role_grants_sql $@ $(GRANTS_FILE)

build/%_data.o: build/gen/%_data.c | $(GEN_QUERY_IDS)
	$(CC) $(OPT) $(CFLAGS_ALL) -c -o $@ $<

build-san/%_data.o: build/gen/%_data.c | $(GEN_QUERY_IDS)
	@mkdir -p build-san
	$(CC) $(OPT) $(SANFLAGS) $(CFLAGS_ALL) -c -o $@ $<

# The sanitizer build: what make test runs.
san: build-san/sentencer $(UNIT_BINS) $(DB_BINS)

build-san/sentencer: $(SAN_OBJS)
	$(CC) $(OPT) $(SANFLAGS) -o $@ $^ $(PKG_LIBS)

build-san/%.o: batch/%.c | $(GEN_QUERY_IDS)
	@mkdir -p $(@D)
	$(CC) $(OPT) $(SANFLAGS) $(CFLAGS_ALL) $(BUILD_INFO) -c -o $@ $<

# The out-of-memory tests route the project's own allocations through
# tests/include/oom.h, which fails the one a test asks for.
OOM_WRAP := -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=strdup
build-san/tests/unit/test_oom build-san/tests/db/test_oom_db: TEST_LDFLAGS := $(OOM_WRAP)

build-san/tests/unit/%: tests/unit/%.c $(SAN_LIB_OBJS)
	@mkdir -p build-san/tests/unit
	$(CC) $(OPT) $(SANFLAGS) $(CFLAGS_ALL) -Itests/include -Wno-missing-prototypes -o $@ $< \
		$(SAN_LIB_OBJS) $(TEST_LDFLAGS) $(PKG_LIBS) -lcmocka

build-san/tests/db/%: tests/db/%.c $(SAN_LIB_OBJS)
	@mkdir -p build-san/tests/db
	$(CC) $(OPT) $(SANFLAGS) $(CFLAGS_ALL) -Itests/include -Wno-missing-prototypes -o $@ $< \
		$(SAN_LIB_OBJS) $(TEST_LDFLAGS) $(PKG_LIBS) -lcmocka

# The fuzz build (tests/fuzz/, see README "Fuzzing"): clang's libFuzzer with
# ASan and UBSan. The project's objects get coverage instrumentation and go
# into an archive, so each target links only what it uses. -O1 -g: fast
# enough, and stacks that name every line.
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 300
# The warnings are gcc's; clang knows no -Wformat-truncation, warns about
# designated initializers that leave fields out (case.c's tables do, on
# purpose) and about the va_list printf wrapper in log.c, which gcc accepts.
FUZZ_CWARNS := $(CWARNS) -Wno-unknown-warning-option -Wno-missing-field-initializers \
               -Wno-format-nonliteral
FUZZ_CFLAGS = $(CSTD) $(FUZZ_CWARNS) $(PKG_CFLAGS) $(BATCH_INC) -Ibuild/gen -MMD -MP \
              -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all \
              -fno-omit-frame-pointer
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=build-fuzz/%)
FUZZ_LIB_OBJS := $(LIB_SRCS:batch/%.c=build-fuzz/%.o) $(call GEN_OBJS,build-fuzz)
FUZZ_LIB := build-fuzz/libsentencer.a

fuzz-build: $(FUZZ_BINS)

build-fuzz/%.o: batch/%.c | $(GEN_QUERY_IDS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(BUILD_INFO) -fsanitize=fuzzer-no-link -c -o $@ $<

build-fuzz/%_data.o: build/gen/%_data.c | $(GEN_QUERY_IDS)
	@mkdir -p build-fuzz
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

$(FUZZ_LIB): $(FUZZ_LIB_OBJS)
	rm -f $@
	ar rcs $@ $^

build-fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_LIB)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -MF $@.d -fsanitize=fuzzer -o $@ $< $(FUZZ_LIB) $(PKG_LIBS)

fuzz: deps
	@$(MAKE) --no-print-directory fuzz-build
	@scripts/fuzz $(FUZZ_SECONDS)

deps:
	@scripts/install-deps

demo: deps
	@$(MAKE) --no-print-directory all
	@scripts/demo

test:
	@scripts/install-deps --lint
	@$(MAKE) --no-print-directory all san fuzz-build
	@rc=0; scripts/run-tests || rc=1; scripts/lint || rc=1; exit $$rc

unit-tests: san
	@scripts/run-tests unit

lint: $(GEN_QUERY_IDS)
	@scripts/lint

format:
	clang-format -i batch/*/*.c batch/*/*.h tests/unit/*.c tests/db/*.c tests/fuzz/*.c tests/fuzz/*.h \
		tests/include/*.h

# How the recommendations fit published judgments (scripts/calibration).
calibration: deps
	@$(MAKE) --no-print-directory all
	@scripts/calibration

bench: deps
	@$(MAKE) --no-print-directory all
	@scripts/bench

clean:
	rm -rf build build-san build-fuzz bin

-include $(OBJS:.o=.d) $(SAN_OBJS:.o=.d) $(FUZZ_LIB_OBJS:.o=.d) $(FUZZ_BINS:=.d) \
         $(UNIT_BINS:=.d) $(DB_BINS:=.d)
