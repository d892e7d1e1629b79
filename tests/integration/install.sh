#!/usr/bin/env bash
# install.sh - `make install` with PREFIX and DESTDIR puts the binary, the
# man pages, the systemd unit and the docs where they belong; the man
# pages render without warnings and cover every subcommand and option;
# the unit passes systemd-analyze.  No network.
. "$(dirname "$0")/../lib/common.sh"

ROOT=$T/root
make -s -C "$NSF_ROOT" install DESTDIR="$ROOT" PREFIX=/usr \
    >"$T/install.log" 2>&1
check_eq "make install DESTDIR=... PREFIX=/usr succeeds" 0 "$?"

check "the binary is in /usr/bin, executable" test -x "$ROOT/usr/bin/nsfailover"
check_grep "and it runs" '^nsfailover [0-9]' \
    <("$ROOT/usr/bin/nsfailover" --version 2>&1; echo)
for f in share/man/man1/nsfailover.1 lib/systemd/system/nsfailover.service \
    lib/sysusers.d/nsfailover.conf share/doc/nsfailover/configuration.md \
    share/doc/nsfailover/operations.md \
    share/doc/nsfailover/examples/nsfailover.yaml \
    share/doc/nsfailover/examples/secrets.yaml.example; do
	check "/usr/$f installed, mode 644" \
	    test "$(stat -c %a "$ROOT/usr/$f" 2>/dev/null)" = 644
done
if [ -f "$NSF_ROOT/docs/man/nsfailover-policy.5" ]; then
	check "the policy man page is in man5" \
	    test -f "$ROOT/usr/share/man/man5/nsfailover-policy.5"
	MANPATH=$ROOT/usr/share/man MANWIDTH=80 \
	    man 5 nsfailover-policy >"$T/man5.txt" 2>"$T/man5.err"
	check_grep "man 5 nsfailover-policy finds the installed page" \
	    "^NAME" "$T/man5.txt"
else
	skip "docs/man/nsfailover-policy.5 is not on this branch yet"
fi
check_eq "nothing outside /usr (no /etc file is overwritten)" "usr" \
    "$(ls "$ROOT")"
check_grep "the installed unit runs the installed binary" \
    '^ExecStart=/usr/bin/nsfailover run --config ' \
    "$ROOT/usr/lib/systemd/system/nsfailover.service"
check_no_grep "and names no other path for it" '/usr/local/bin' \
    "$ROOT/usr/lib/systemd/system/nsfailover.service"

make -s -C "$NSF_ROOT" install DESTDIR="$T/local" >/dev/null 2>&1
check "the default PREFIX is /usr/local" \
    test -x "$T/local/usr/local/bin/nsfailover"
make -s -C "$NSF_ROOT" uninstall DESTDIR="$ROOT" PREFIX=/usr \
    >/dev/null 2>&1
check_eq "make uninstall removes every file again" "" \
    "$(find "$ROOT" -type f)"

# --- man pages ------------------------------------------------------------
for page in "$T"/local/usr/local/share/man/man*/*; do
	name=${page##*/}
	LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$page" \
	    >"$T/$name.txt" 2>"$T/$name.warn"
	check_eq "man -l $name renders" 0 "$?"
	check_eq "man -l $name prints no warning" "" "$(cat "$T/$name.warn")"
	check "groff -ww finds nothing to warn about in $name" \
	    sh -c "groff -man -ww -z '$page' 2>&1 | { ! grep -q .; }"
done

version=$("$NSF" --version | awk '{ print $2 }')
check_grep "the man page names the version the binary reports ($version)" \
    "^\.TH NSFAILOVER 1 .* \"nsfailover $version\"" \
    "$NSF_ROOT/docs/man/nsfailover.1"

# Every subcommand has its section, and the options each built command
# prints in --help are in its section, and the reverse.  Commands that
# only say "not built yet" are left out.
MAN=$NSF_ROOT/docs/man/nsfailover.1
section() {
	awk -v s="$1" '/^\.S[SH] / { on = ($2 == s) } on' "$MAN" |
	    sed 's/\\-/-/g'
}
cmds=$("$NSF" --help |
    awk '/^Commands:/ { on = 1; next } on && !NF { exit } on { print $1 }')
check "nsfailover --help lists commands" test -n "$cmds"
for c in $cmds; do
	check "the man page has a section for '$c'" \
	    grep -q "^\.SS $c\$" "$MAN"
	"$NSF" "$c" --help >"$T/help-$c" 2>&1 || continue
	# -h/--help is common to all and described once, under OPTIONS.
	grep -o -- '--[a-z][a-z-]*' "$T/help-$c" | grep -v -x -- --help |
	    sort -u >"$T/opt-help-$c"
	section "$c" | grep -o -- '--[a-z][a-z-]*' | grep -v -x -- --help |
	    sort -u >"$T/opt-man-$c"
	check_eq "every option of '$c --help' is in its man section" "" \
	    "$(comm -23 "$T/opt-help-$c" "$T/opt-man-$c" | tr '\n' ' ')"
	check_eq "the man section of '$c' names no option it lacks" "" \
	    "$(comm -13 "$T/opt-help-$c" "$T/opt-man-$c" | tr '\n' ' ')"
done

# --- systemd unit ---------------------------------------------------------
UNIT=$T/local/usr/local/lib/systemd/system/nsfailover.service
check_grep "the unit drops every capability" '^CapabilityBoundingSet=$' "$UNIT"
check_grep "the unit sees the system read-only" '^ProtectSystem=strict$' \
    "$UNIT"
check_grep "and writes only its state directory" \
    '^StateDirectory=nsfailover$' "$UNIT"
if command -v systemd-analyze >/dev/null 2>&1; then
	# systemd-analyze wants the binary at the path the unit names: check
	# a copy that points into the staging tree.
	mkdir -p "$T/unit"
	sed "s|/usr/local/bin/|$T/local/usr/local/bin/|g" "$UNIT" \
	    >"$T/unit/nsfailover.service"
	systemd-analyze verify --man=no "$T/unit/nsfailover.service" \
	    >"$T/verify.out" 2>&1
	check_eq "systemd-analyze verify accepts the unit" 0 "$?"
	check_eq "and says nothing about it" "" "$(cat "$T/verify.out")"
	systemd-analyze security --offline=yes --no-pager \
	    "$T/unit/nsfailover.service" >"$T/security.out" 2>&1
	level=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' \
	    "$T/security.out")
	check "systemd-analyze security rates it at most 2.0 (it says $level)" \
	    awk -v l="$level" 'BEGIN { exit !(l != "" && l <= 2.0) }'
else
	skip "systemd-analyze is not installed"
fi
