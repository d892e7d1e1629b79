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
# Drivers that shell tests and benchmarks run (tests/tools/*.c).
TOOL_SRC := $(sort $(wildcard tests/tools/*.c))
T_TOOL_BIN := $(TOOL_SRC:tests/tools/%.c=build/t/tools/%)
TOOL_BIN := $(TOOL_SRC:tests/tools/%.c=build/tools/%)
LIB_OBJ := $(LIB_SRC:%.c=build/%.o)

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

build/tools/%: tests/tools/%.c $(LIB_OBJ)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIB_OBJ) $(DEPS_LIBS)

test-build: nsfailover build/t/nsfailover $(UNIT_BIN) $(T_TOOL_BIN)

# Runs every unit test and integration scenario; TESTS=pattern narrows.
test: test-build
	tests/run $(TESTS)

bench: nsfailover $(TOOL_BIN)
	tests/bench/run

demo: nsfailover
	examples/lab/run

# `make install PREFIX=/usr DESTDIR=/tmp/pkg`: the binary, the man pages,
# the systemd unit (with this BINDIR) and its sysusers.d entry, and the
# example configuration and operator docs.
UNITDIR ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
DOCDIR ?= $(PREFIX)/share/doc/nsfailover
MAN1 := $(wildcard docs/man/*.1)
MAN5 := $(wildcard docs/man/*.5)
DOCS := docs/configuration.md docs/operations.md
EXAMPLES := examples/etc/nsfailover/nsfailover.yaml \
	examples/etc/nsfailover/secrets.yaml.example

install: nsfailover
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
	    $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(UNITDIR) \
	    $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(DOCDIR)/examples
	install -m 755 nsfailover $(DESTDIR)$(BINDIR)/nsfailover
	install -m 644 $(MAN1) $(DESTDIR)$(MANDIR)/man1/
	$(if $(MAN5),install -m 644 $(MAN5) $(DESTDIR)$(MANDIR)/man5/)
	sed 's|/usr/local/bin/nsfailover|$(BINDIR)/nsfailover|g' \
	    examples/systemd/nsfailover.service \
	    >$(DESTDIR)$(UNITDIR)/nsfailover.service
	chmod 644 $(DESTDIR)$(UNITDIR)/nsfailover.service
	install -m 644 examples/systemd/nsfailover.sysusers \
	    $(DESTDIR)$(SYSUSERSDIR)/nsfailover.conf
	install -m 644 $(DOCS) $(DESTDIR)$(DOCDIR)/
	install -m 644 $(EXAMPLES) $(DESTDIR)$(DOCDIR)/examples/

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/nsfailover \
	    $(DESTDIR)$(UNITDIR)/nsfailover.service \
	    $(DESTDIR)$(SYSUSERSDIR)/nsfailover.conf \
	    $(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(MAN1))) \
	    $(addprefix $(DESTDIR)$(MANDIR)/man5/,$(notdir $(MAN5)))
	rm -rf $(DESTDIR)$(DOCDIR)

clean:
	rm -rf build nsfailover

.PHONY: all test test-build bench demo install uninstall clean

-include $(OBJ:.o=.d) $(T_OBJ:.o=.d)
