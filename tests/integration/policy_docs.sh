#!/usr/bin/env bash
# policy_docs.sh - the policy reference (docs/policy.md) and its man page
# (docs/man/nsfailover-policy.5) list exactly the diagnostic codes the
# loader can report, with their severities, and the man page's example
# policy is valid and prints what the page says.  No network is used.
. "$(dirname "$0")/../lib/common.sh"

MAN=$NSF_ROOT/docs/man/nsfailover-policy.5
CODES="/usr/bin/python3 $NSF_ROOT/tests/tools/diag_codes.py"

$CODES source "$NSF_ROOT/schema" >"$T/codes.source"
$CODES markdown "$NSF_ROOT/docs/policy.md" >"$T/codes.md"
$CODES man "$MAN" >"$T/codes.man"
check "the loader reports about 40 codes" \
    test "$(wc -l <"$T/codes.source")" -ge 40
check_grep "warnings are told apart in the source" \
    "^slow-failover warning$" "$T/codes.source"
check "docs/policy.md lists every code the loader reports, no other" \
    diff -u "$T/codes.source" "$T/codes.md"
check "the man page lists every code the loader reports, no other" \
    diff -u "$T/codes.source" "$T/codes.man"

# The example of the man page, as a user would copy it.
mkdir -p "$T/ex/policy"
sed -n '/^A policy in one file:/,/^\.fi/p' "$MAN" | sed '1,/^\.nf/d;/^\.fi/d' |
    sed 's/\\-/-/g' >"$T/ex/policy/main.yaml"
check_grep "man page example extracted" "^domains:" "$T/ex/policy/main.yaml"
(cd "$T/ex" && "$NSF" validate policy >"$T/ex.out" 2>&1)
check_eq "man page example: valid" 0 "$?"
want=$(sed -n '/^\$ nsfailover validate policy$/{n;p;}' "$MAN")
check_eq "man page example: the summary it shows" "$want" "$(cat "$T/ex.out")"
(cd "$T/ex" && "$NSF" validate --strict policy >/dev/null 2>&1)
check_eq "man page example: no warnings either" 0 "$?"
