# nsfailover - build with pkg-config; `make test` runs the whole suite.
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
DESTDIR ?=
CC ?= cc

PKGS = libgit2 yaml-0.1 ldns openssl libxml-2.0 libcurl libidn2 jansson \
       libmicrohttpd
CFLAGS ?= -O2 -g
WARN = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
       -Wformat=2 -Wno-unused-parameter
DEPS_CFLAGS := $(shell pkg-config --cflags $(PKGS))
DEPS_LIBS := $(shell pkg-config --libs $(PKGS))
ALL_CFLAGS = -std=gnu11 $(WARN) $(DEPS_CFLAGS) $(CFLAGS)

SRC := $(sort $(wildcard reconciler/*.c providers/*.c schema/*.c))
LIB_SRC := $(filter-out reconciler/main.c,$(SRC))
OBJ := $(SRC:%.c=build/%.o)

# The test build: sanitizers on, file-local functions reachable.
SAN = -fsanitize=address,undefined -fno-omit-frame-pointer \
      -fno-sanitize-recover=undefined
T_CFLAGS = -std=gnu11 $(WARN) $(DEPS_CFLAGS) -O1 -g $(SAN) -DNSF_TESTING
T_OBJ := $(SRC:%.c=build/t/%.o)
T_LIB_OBJ := $(LIB_SRC:%.c=build/t/%.o)
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=build/t/tests/%)
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
# Small programs integration tests drive (a metrics endpoint, a notifier).
TOOL_SRC := $(sort $(wildcard tests/tools/*.c))
TOOL_BIN := $(TOOL_SRC:tests/tools/%.c=build/t/tools/%)

all: nsfailover

nsfailover: $(OBJ)
	$(CC) $(CFLAGS) -o $@ $(OBJ) $(DEPS_LIBS) $(LDFLAGS)

build/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

build/t/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(T_CFLAGS) -MMD -MP -c -o $@ $<

# The sanitized binary that integration tests run.
build/t/nsfailover: $(T_OBJ)
	$(CC) $(SAN) -o $@ $(T_OBJ) $(DEPS_LIBS)

build/t/tests/%: tests/unit/%.c $(T_LIB_OBJ)
	@mkdir -p $(@D)
	$(CC) $(T_CFLAGS) -o $@ $< $(T_LIB_OBJ) $(DEPS_LIBS) \
	    $(shell pkg-config --libs cmocka)

build/t/tools/%: tests/tools/%.c $(T_LIB_OBJ)
	@mkdir -p $(@D)
	$(CC) $(T_CFLAGS) -o $@ $< $(T_LIB_OBJ) $(DEPS_LIBS)

test-build: nsfailover build/t/nsfailover $(UNIT_BIN) $(TOOL_BIN)

# Runs every unit test and integration scenario; TESTS=pattern narrows.
test: test-build
	tests/run $(TESTS)

bench: nsfailover
	tests/bench/run

demo: nsfailover
	examples/lab/run

install: nsfailover
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
	    $(DESTDIR)$(MANDIR)/man5
	install -m 755 nsfailover $(DESTDIR)$(BINDIR)/nsfailover
	for f in docs/man/*.1; do [ -f "$$f" ] && \
	    install -m 644 "$$f" $(DESTDIR)$(MANDIR)/man1/; done; true
	for f in docs/man/*.5; do [ -f "$$f" ] && \
	    install -m 644 "$$f" $(DESTDIR)$(MANDIR)/man5/; done; true
	if [ -f ci/systemd/nsfailover.service ]; then \
	    install -d $(DESTDIR)$(PREFIX)/lib/systemd/system && \
	    install -m 644 ci/systemd/nsfailover.service \
	        $(DESTDIR)$(PREFIX)/lib/systemd/system/; fi

clean:
	rm -rf build nsfailover

.PHONY: all test test-build bench demo install clean

-include $(OBJ:.o=.d) $(T_OBJ:.o=.d)
