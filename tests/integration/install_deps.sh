#!/usr/bin/env bash
# install_deps.sh - ci/install-deps, with every package in place, says
# nothing and changes nothing, however often it runs.
. "$(dirname "$0")/../lib/common.sh"

cd "$NSF_ROOT" || exit 1
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
