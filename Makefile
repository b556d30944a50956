# paude - plain GNU Makefile.  `make` builds build/paude; `make check` is the
# one test command (lint, unit, ASan/UBSan unit, fuzz smoke, integration).

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
DESTDIR ?=
BUILD   ?= build
CC      ?= cc
CLANG   ?= clang
PKG_CONFIG ?= pkg-config

VERSION := 0.1.0

# `make V=1` shows the full commands.
ifeq ($(V),1)
Q :=
else
Q := @
endif

# Only libseccomp, libcap and cJSON are linked.  The others are loaded when
# first used (src/common/lazylib.h: libcurl and libarchive alone are ~45
# shared objects that would cost every paude process ~8 ms); their headers
# are used.  The unit tests that call libarchive's writer, zstd's compressor
# or OpenSSL themselves link those (TEST_LIBS).
PKGS := libseccomp libcap libcjson
LAZY_PKGS := libnl-3.0 libnl-route-3.0 libcares libidn2 libarchive zlib libzstd libcrypto libcurl
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) $(LAZY_PKGS) 2>/dev/null)
PKG_LIBS   := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null || echo -lseccomp -lcap -lcjson)
TEST_LIBS  := $(PKG_LIBS) $(shell $(PKG_CONFIG) --libs libarchive libzstd libcrypto zlib libcurl 2>/dev/null || echo -larchive -lzstd -lcrypto -lz -lcurl)

WARN := -Wall -Wextra -Werror -Wformat=2 -Wformat-security -Wformat-nonliteral \
	-Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wmissing-declarations \
	-Wold-style-definition -Wvla -Wnull-dereference -Wpointer-arith \
	-Wwrite-strings -Wundef -Wswitch-default -Wswitch-enum -Wimplicit-fallthrough \
	-Wcast-align -Wredundant-decls -Winit-self -Wmissing-include-dirs \
	-Wno-missing-field-initializers
# _FORTIFY_SOURCE: the highest level $(CC) and the C library support (3 needs
# gcc >= 12 or clang >= 9 and glibc >= 2.34; otherwise 2), probed once.  It is
# undefined first, so a compiler that predefines it (Ubuntu's gcc: 3) does not
# trip -Werror with "redefined"; a -D_FORTIFY_SOURCE in CFLAGS/CPPFLAGS wins
# (`make FORTIFY=2` also picks the level).
FORTIFY_PROBE := printf '\043include <stdio.h>\n\043if __USE_FORTIFY_LEVEL != 3\n\043error\n\043endif\n' | \
	$(CC) -x c -O2 -U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=3 -Werror -fsyntax-only - >/dev/null 2>&1
FORTIFY ?= $(shell $(FORTIFY_PROBE) && echo 3 || echo 2)
HARDEN := $(if $(filter -D_FORTIFY_SOURCE%,$(CFLAGS) $(CPPFLAGS)),,-D_FORTIFY_SOURCE=$(FORTIFY)) \
	-fstack-protector-strong -fstack-clash-protection -fPIE
OPT ?= -O2 -g
CPPFLAGS_ALL := -U_FORTIFY_SOURCE -D_GNU_SOURCE -DPAUDE_VERSION='"$(VERSION)"' -I. -Isrc -I$(BUILD)/gen \
	$(CPPFLAGS)
CFLAGS_ALL := -std=gnu11 $(OPT) $(WARN) $(HARDEN) $(PKG_CFLAGS) $(CFLAGS)
LDFLAGS_ALL := -pie -Wl,-z,relro,-z,now -Wl,-z,noexecstack -Wl,--as-needed $(LDFLAGS)

# Library sources: everything but the entry point; new files are picked up.
LIB_SRC := $(wildcard src/common/*.c) $(filter-out src/main.c,$(wildcard src/*.c)) \
	$(wildcard runtime/*.c) $(wildcard netfilter/*.c) $(wildcard proxy/*.c) $(wildcard oci/*.c)
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
GEN_HDR := $(BUILD)/gen/seccomp-default.h

UNIT_SRC := $(wildcard tests/unit/*.c)
ALL_HDR := $(wildcard src/*.h src/common/*.h runtime/*.h netfilter/*.h proxy/*.h oci/*.h tests/unit/*.h)
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)

.PHONY: all check check-unit check-asan check-integration check-fuzz-smoke lint bench fuzz \
	install uninstall clean deps demo valgrind tools mutate

all: $(BUILD)/paude tools

$(BUILD)/obj/%.o: %.c | $(GEN_HDR)
	@mkdir -p $(dir $@)
	@[ "$(V)" = 1 ] || echo "  CC      $<"
	$(Q)$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) -MMD -MP -c $< -o $@

$(BUILD)/libpaude.a: $(LIB_OBJ)
	@rm -f $@
	@[ "$(V)" = 1 ] || echo "  AR      $@"
	$(Q)ar rcs $@ $^

$(BUILD)/paude: $(BUILD)/obj/src/main.o $(BUILD)/libpaude.a
	@[ "$(V)" = 1 ] || echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ $^ $(PKG_LIBS)

# The default seccomp filter is compiled with libseccomp at build time by the
# same code paude uses for --seccomp-profile, and embedded as BPF.
SECCOMP_GEN_SRC := src/common/error.c src/common/util.c src/common/cleanup.c \
	runtime/seccomp.c runtime/seccomp_bpf.c runtime/seccomp_check.c runtime/seccomp_profile.c \
	runtime/seccomp_json.c
$(BUILD)/tools/seccomp-gen: runtime/gen/seccomp-gen.c $(SECCOMP_GEN_SRC) runtime/seccomp.h
	@mkdir -p $(dir $@) $(BUILD)/gen
	$(CC) $(CPPFLAGS_ALL) -DPD_SECCOMP_GEN $(CFLAGS_ALL) -o $@ runtime/gen/seccomp-gen.c $(SECCOMP_GEN_SRC) $(PKG_LIBS)

$(GEN_HDR): $(BUILD)/tools/seccomp-gen
	$(BUILD)/tools/seccomp-gen > $@.tmp && mv $@.tmp $@

# Test helpers: a static probe that runs inside sandboxes, and a pty harness.
tools: $(BUILD)/tests/pd-probe $(BUILD)/tests/ptyrun $(BUILD)/tests/pd-drive $(BUILD)/tests/pd-load

$(BUILD)/tests/pd-probe: tests/probe/pd-probe.c
	@mkdir -p $(dir $@)
	$(CC) -static -std=gnu11 -O2 $(WARN) -D_GNU_SOURCE -o $@ $<

# A driver of the runtime's API (create, exec, stop) for the integration tests.
$(BUILD)/tests/pd-drive: tests/tools/pd-drive.c $(BUILD)/libpaude.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ $< $(BUILD)/libpaude.a $(PKG_LIBS)

$(BUILD)/tests/ptyrun: tests/tools/ptyrun.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(OPT) $(WARN) -D_GNU_SOURCE -o $@ $< -lutil

# The network bench's origin server and load generator (bench/network.sh).
$(BUILD)/tests/pd-load: tests/tools/pd-load.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(OPT) $(WARN) -D_GNU_SOURCE -o $@ $<

# ---- unit tests (libcheck) ----
$(BUILD)/tests/unit-tests: $(UNIT_SRC) $(ALL_HDR) $(BUILD)/libpaude.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_ALL) -Itests/unit $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ $(UNIT_SRC) \
		$(BUILD)/libpaude.a $(TEST_LIBS) $$($(PKG_CONFIG) --libs check)

check-unit: $(BUILD)/tests/unit-tests
	CK_FORK=yes $(BUILD)/tests/unit-tests

# ---- ASan + UBSan build of the unit tests ----
ASAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
ASAN_DIR := $(BUILD)/asan
ASAN_OBJ := $(LIB_SRC:%.c=$(ASAN_DIR)/obj/%.o)

$(ASAN_DIR)/obj/%.o: %.c | $(GEN_HDR)
	@mkdir -p $(dir $@)
	@[ "$(V)" = 1 ] || echo "  CC-ASAN $<"
	$(Q)$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) -O1 $(ASAN_FLAGS) -MMD -MP -c $< -o $@

$(ASAN_DIR)/unit-tests: $(UNIT_SRC) $(ALL_HDR) $(ASAN_OBJ)
	$(CC) $(CPPFLAGS_ALL) -Itests/unit $(CFLAGS_ALL) -O1 $(ASAN_FLAGS) $(LDFLAGS_ALL) -o $@ \
		$(UNIT_SRC) $(ASAN_OBJ) $(TEST_LIBS) $$($(PKG_CONFIG) --libs check)

check-asan: $(ASAN_DIR)/unit-tests
	CK_FORK=no ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		$(ASAN_DIR)/unit-tests

# valgrind 3.19 implements neither seccomp(2) nor openat2(2): the seccomp
# suite is left out (it runs under ASan), openat2-based tests skip with a note.
valgrind: $(BUILD)/tests/unit-tests
	CK_FORK=no PD_UNIT_EXCLUDE_SUITES=seccomp_suite valgrind --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite \
		$(BUILD)/tests/unit-tests

# ---- fuzzing (libFuzzer via clang) ----
FUZZ_DIR := $(BUILD)/fuzz
FUZZ_FLAGS := -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
FUZZ_OBJ := $(LIB_SRC:%.c=$(FUZZ_DIR)/obj/%.o)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(FUZZ_DIR)/%)
.SECONDARY: $(FUZZ_OBJ)
FUZZ_SECONDS ?= 60

$(FUZZ_DIR)/obj/%.o: %.c | $(GEN_HDR)
	@mkdir -p $(dir $@)
	@[ "$(V)" = 1 ] || echo "  CC-FUZZ $<"
	$(Q)$(CLANG) $(CPPFLAGS_ALL) -std=gnu11 -O1 -g $(PKG_CFLAGS) $(FUZZ_FLAGS) -MMD -MP -c $< -o $@

# The target's own headers are tracked through $@.d, like every object's.
$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_OBJ)
	$(CLANG) $(CPPFLAGS_ALL) -std=gnu11 -O1 -g $(PKG_CFLAGS) -fsanitize=fuzzer,address,undefined \
		-MMD -MP -MF $@.d -MT $@ -o $@ $< $(FUZZ_OBJ) $(PKG_LIBS)

# Replays each target's seed corpus (and any crash reproducers): part of check.
check-fuzz-smoke: $(FUZZ_BIN)
	@for f in $(FUZZ_BIN); do n=$$(basename $$f); \
		echo "fuzz-smoke $$n"; \
		rm -rf $(FUZZ_DIR)/smoke-$$n; mkdir -p $(FUZZ_DIR)/smoke-$$n; \
		$$f -runs=2000 -seed=1 $(FUZZ_DIR)/smoke-$$n tests/fuzz/corpus/$$n >$(FUZZ_DIR)/$$n.log 2>&1 || { tail -n 30 $(FUZZ_DIR)/$$n.log; exit 1; }; \
	done

# Runs every target for FUZZ_SECONDS, growing the corpus in build/fuzz/corpus.
fuzz: $(FUZZ_BIN)
	@for f in $(FUZZ_BIN); do n=$$(basename $$f); mkdir -p $(FUZZ_DIR)/corpus/$$n; \
		echo "fuzz $$n for $(FUZZ_SECONDS)s"; \
		$$f -max_total_time=$(FUZZ_SECONDS) $(FUZZ_DIR)/corpus/$$n tests/fuzz/corpus/$$n || exit 1; \
	done

# ---- lint ----
lint: $(GEN_HDR)
	@BUILD=$(BUILD) scripts/lint.sh

# ---- mutation check (not part of check) ----
# Applies each deliberate break of scripts/mutate/breaks, one at a time, to a
# scratch copy of the tree and runs its tests there: a break they do not
# catch fails.  As root.  `make mutate M=NAME` runs one; scripts/mutate.sh -l lists them.
mutate:
	scripts/mutate.sh $(M)

# ---- integration (root and rootless) ----
check-integration: $(BUILD)/paude tools
	BUILD=$(BUILD) tests/integration/run.sh

check: lint check-unit check-asan check-fuzz-smoke check-integration
	@echo "make check: all passed"

demo: $(BUILD)/paude
	@BUILD=$(BUILD) scripts/demo.sh

bench: $(BUILD)/paude tools
	BUILD=$(BUILD) bench/startup.sh
	BUILD=$(BUILD) bench/network.sh
	BUILD=$(BUILD) bench/pull.sh
	BUILD=$(BUILD) bench/session.sh

deps:
	scripts/install-deps.sh

install: $(BUILD)/paude
	install -d $(DESTDIR)$(BINDIR)
	install -m 0755 $(BUILD)/paude $(DESTDIR)$(BINDIR)/paude

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/paude

clean:
	rm -rf $(BUILD)

-include $(LIB_OBJ:.o=.d) $(BUILD)/obj/src/main.d $(ASAN_OBJ:.o=.d) $(FUZZ_OBJ:.o=.d) \
	$(FUZZ_BIN:=.d)
