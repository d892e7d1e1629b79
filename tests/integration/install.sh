#!/usr/bin/env bash
# install.sh - `make install` puts the binary and the manual pages under
# DESTDIR and PREFIX; ci/install-deps, with every package in place, says
# nothing and changes nothing, however often it runs.
. "$(dirname "$0")/../lib/common.sh"

cd "$NSF_ROOT" || exit 1
ROOT=$T/root
make -s install DESTDIR="$ROOT" PREFIX=/opt/nsf >"$T/install.out" 2>&1
check_eq "make install: exit 0" 0 "$?"
check "the binary is installed and runs" \
    "$ROOT/opt/nsf/bin/nsfailover" validate --help
check "the policy man page is in man5" \
    test -f "$ROOT/opt/nsf/share/man/man5/nsfailover-policy.5"
if command -v man >/dev/null 2>&1; then
	MANPATH=$ROOT/opt/nsf/share/man MANWIDTH=80 \
	    man 5 nsfailover-policy >"$T/man.txt" 2>"$T/man.err"
	check_grep "man 5 nsfailover-policy finds the installed page" \
	    "^NAME" "$T/man.txt"
else
	skip "man is not installed (ci/install-deps installs man-db)"
fi
for page in docs/man/*.1; do
	[ -f "$page" ] || continue
	check "$(basename "$page") is in man1" \
	    test -f "$ROOT/opt/nsf/share/man/man1/$(basename "$page")"
done
check "nothing lands outside DESTDIR" \
    test -z "$(find "$ROOT" -mindepth 1 -maxdepth 1 ! -name opt)"

# ci/install-deps when nothing is missing: quiet and idempotent.  With a
# package missing it would install it, which is not a test's business.
pkgs=$(sed -n '/^PKGS="/,/"$/p' ci/install-deps | tr -d '"' |
    sed 's/^PKGS=//')
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	    grep -q 'install ok installed' || missing="$missing $p"
done
if [ -z "$pkgs" ]; then
	not_ok "the package list of ci/install-deps is readable"
elif [ -n "$missing" ]; then
	skip "packages missing:$missing (ci/install-deps would install them)"
else
	for run in 1 2; do
		ci/install-deps >"$T/deps.$run" 2>&1
		check_eq "ci/install-deps, run $run: exit 0" 0 "$?"
		check_eq "ci/install-deps, run $run: says nothing" "" \
		    "$(cat "$T/deps.$run")"
	done
fi
