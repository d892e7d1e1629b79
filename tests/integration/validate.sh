#!/usr/bin/env bash
# validate.sh - 'nsfailover validate' as CI runs it: exit codes, text and
# JSON output, --strict, default path; the JSON Schema accepts the
# examples; the policy man page renders cleanly.  No network is used.
. "$(dirname "$0")/../lib/common.sh"

EX=$NSF_ROOT/examples/small

# run_validate NAME ARGS...: runs the binary, leaves stdout in
# $T/out-NAME, stderr in $T/out-NAME.err and the exit status in $rc.
run_validate() {
	local out=$1
	shift
	"$NSF" validate "$@" >"$T/out-$out" 2>"$T/out-$out.err"
	rc=$?
}

# The example repository is valid.
run_validate small "$EX/policy"
check_eq "example policy: exit 0" 0 "$rc"
check_grep "example policy: summary" \
    "policy: valid: 0 errors, 0 warnings \(4 domains, 5 providers, 3 regis" \
    "$T/out-small"

# Default path: ./policy when it exists.
(cd "$EX" && "$NSF" validate >"$T/default" 2>&1)
check_eq "default path is ./policy: exit 0" 0 "$?"
check_grep "default path is ./policy: named" "^policy: valid" "$T/default"

# Errors: compiler-style, with position and what would be right.
mkdir -p "$T/bad"
cp "$EX/policy/"*.yaml "$T/bad/"
cat >"$T/bad/zz-new.yaml" <<'YAML'
domains:
  new.example:
    registry: main
    primay: provider-a
    suspend: yes
YAML
run_validate bad "$T/bad"
check_eq "invalid policy: exit 1" 1 "$rc"
check_grep "unknown key with did-you-mean, at line:col" \
    "bad/zz-new.yaml:4:5: error: unknown key 'primay' in domain \
\(did you mean 'primary'\?\)$" "$T/out-bad"
check_grep "missing key at the domain" \
    "bad/zz-new.yaml:2:3: error: domain 'new.example' has no 'primary'" \
    "$T/out-bad"
check_grep "YAML 1.1 boolean refused with a hint" \
    "bad/zz-new.yaml:5:14: error: 'yes' is not a boolean \(write true or" \
    "$T/out-bad"
check_grep "invalid policy: summary" "invalid: 3 errors, 0 warnings$" \
    "$T/out-bad"
check_eq "diagnostics go to stdout, nothing to stderr" "" \
    "$(cat "$T/out-bad.err")"

# The same as JSON.
run_validate bad.json "$T/bad" --format json
check_eq "json: exit 1" 1 "$rc"
check "json: a document with each diagnostic's position" /usr/bin/python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["valid"] is False and d["errors"] == 3, d
g = [x for x in d["diagnostics"] if x["code"] == "unknown-key"][0]
assert g["file"].endswith("bad/zz-new.yaml"), g
assert (g["line"], g["col"]) == (4, 5), g
assert g["severity"] == "error", g
assert g["hint"] == "did you mean '"'"'primary'"'"'?", g
' "$T/out-bad.json"
run_validate small.json "$EX/policy" --format=json
check "json: a valid policy" /usr/bin/python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["valid"] is True and d["domains"] == 4 and d["diagnostics"] == [], d
' "$T/out-small.json"

# Warnings pass unless --strict.
cat >"$T/warn.yaml" <<'YAML'
version: 1
providers:
  solo: { nameservers: [ns1.solo.example] }
YAML
run_validate warn "$T/warn.yaml"
check_eq "warning only: exit 0" 0 "$rc"
check_grep "warning printed" \
    "warn.yaml:3:3: warning: provider 'solo' has only one nameserver" \
    "$T/out-warn"
run_validate warn.strict "$T/warn.yaml" --strict
check_eq "warning with --strict: exit 1" 1 "$rc"
check_grep "--strict says why" \
    "invalid: 0 errors, 1 warning .*; --strict counts" "$T/out-warn.strict"
run_validate warn.quiet "$T/warn.yaml" --quiet
check_no_grep "--quiet: no summary line" "valid:" "$T/out-warn.quiet"

# Could not read: exit 2 with a message on stderr.
run_validate missing "$T/no-such-dir"
check_eq "missing path: exit 2" 2 "$rc"
check_grep "missing path: says so" "no-such-dir: No such file" \
    "$T/out-missing.err"
mkdir -p "$T/empty"
run_validate empty "$T/empty"
check_eq "directory without *.yaml: exit 2" 2 "$rc"
check_grep "directory without *.yaml: says so" "no \*.yaml files" \
    "$T/out-empty.err"
run_validate missing.json "$T/no-such-dir" --format json
check_eq "missing path, json: exit 2" 2 "$rc"
check "missing path, json: a document with the reason" /usr/bin/python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["valid"] is False and d["diagnostics"] == [], d
assert "No such file" in d["error"], d
' "$T/out-missing.json"
run_validate badopt --format xml
check_eq "bad option: exit 2" 2 "$rc"
run_validate help --help
check_eq "--help: exit 0" 0 "$rc"
check_grep "--help: usage" "^usage: nsfailover validate" "$T/out-help"

# A file over the size limit is refused before it is read: the check
# costs neither time nor memory (a sparse file of 16 MiB and a byte).
mkdir -p "$T/big"
cp "$EX/policy/"*.yaml "$T/big/"
truncate -s $((16 * 1024 * 1024 + 1)) "$T/big/zz-big.yaml"
run_validate big "$T/big"
check_eq "file over 16 MiB: exit 1" 1 "$rc"
check_grep "file over 16 MiB: named, at 1:1, with the limit" \
    "big/zz-big.yaml:1:1: error: file is 16777217 bytes, over the limit \
of 16777216 \(split the policy" "$T/out-big"

# The files together are bounded too: four files at the limit of one
# (64 MiB) and a fifth one of 11 bytes.
mkdir -p "$T/total"
for i in 1 2 3 4; do
	truncate -s $((16 * 1024 * 1024)) "$T/total/p$i.yaml"
done
printf 'version: 1\n' >"$T/total/p5.yaml"
run_validate total "$T/total"
check_eq "files over 64 MiB together: exit 1" 1 "$rc"
check_grep "files over 64 MiB together: the first one over is named" \
    "total/p5.yaml:1:1: error: with this file the policy is 67108875 \
bytes, over the limit of 67108864" "$T/out-total"

# A hostile file: nesting without end, and an alias bomb.
{ printf 'version: 1\ndefaults: '; head -c 100000 /dev/zero | tr '\0' '['; } \
    >"$T/deep.yaml"
run_validate deep "$T/deep.yaml"
check_eq "deep nesting: exit 1" 1 "$rc"
check_grep "deep nesting: refused where it passes 32 levels" \
    "deep.yaml:2:42: error: nesting deeper than 32 levels" "$T/out-deep"
cat >"$T/bomb.yaml" <<'YAML'
version: 1
a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: [*c, *c, *c, *c, *c, *c, *c, *c, *c]
YAML
run_validate bomb "$T/bomb.yaml"
check_eq "alias bomb: exit 1" 1 "$rc"
check_grep "alias bomb: refused at its first anchor" \
    "bomb.yaml:2:4: error: anchors \('&a'\) are not allowed" "$T/out-bomb"

# The generator writes a valid policy.
/usr/bin/python3 "$NSF_ROOT/examples/gen-policy" -n 2000 "$T/gen"
run_validate gen "$T/gen" --strict
check_eq "generated policy: valid with --strict" 0 "$rc"
check_grep "generated policy: 2000 domains" "\(2000 domains, 6 providers" \
    "$T/out-gen"

# The JSON Schema for editors accepts the examples (PyYAML reads YAML
# 1.1, which the examples avoid) and refuses what the loader refuses.
if /usr/bin/python3 -c 'import jsonschema, yaml' 2>/dev/null; then
	check "JSON Schema accepts the examples" /usr/bin/python3 -c '
import glob, json, sys, yaml, jsonschema
s = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(s)
v = jsonschema.Draft202012Validator(s)
files = glob.glob(sys.argv[2] + "/*.yaml") + glob.glob(sys.argv[3] + "/*.yaml")
for f in files:
    for e in v.iter_errors(yaml.safe_load(open(f, encoding="utf-8"))):
        sys.exit("%s: %s" % (f, e.message))
bad = yaml.safe_load(open(sys.argv[4]))
assert list(v.iter_errors(bad)), "zz-new.yaml passed the JSON Schema"
' "$NSF_ROOT/schema/nsfailover-policy.schema.json" "$EX/policy" "$T/gen" \
	    "$T/bad/zz-new.yaml"
else
	skip "python3-jsonschema or python3-yaml missing (ci/install-deps)"
fi

# The man page of the format renders without a warning.
if command -v man >/dev/null 2>&1; then
	warn=$(MANWIDTH=80 man -l "$NSF_ROOT/docs/man/nsfailover-policy.5" \
	    2>&1 >/dev/null)
	check_eq "nsfailover-policy.5 renders without warnings" "" "$warn"
	MANWIDTH=80 man -l "$NSF_ROOT/docs/man/nsfailover-policy.5" \
	    >"$T/man.txt" 2>/dev/null
	check_grep "man page describes fail_after" "fail_after" "$T/man.txt"
else
	skip "man is not installed (ci/install-deps installs man-db)"
fi

# Only regular files are policy files: a symbolic link (which git stores
# as its target's name, so the daemon would read something else) and a
# FIFO (which would block) are refused; a subdirectory is not read.
mkdir -p "$T/special"
cp "$NSF_ROOT"/examples/small/policy/*.yaml "$T/special/"
mkdir "$T/special/sub.yaml"
"$NSF" validate "$T/special" >"$T/sp.out" 2>&1
check_eq "a subdirectory named *.yaml is not read" 0 "$?"
ln -s "$T/special/domains.yaml" "$T/special/zz-link.yaml"
"$NSF" validate "$T/special" >"$T/sp.out" 2>&1
check_eq "a symbolic link: exit 2" 2 "$?"
check_grep "... named, and why" "zz-link.yaml: a symbolic link" "$T/sp.out"
rm "$T/special/zz-link.yaml"
mkfifo "$T/special/zz-fifo.yaml"
timeout 10 "$NSF" validate "$T/special" >"$T/sp.out" 2>&1
check_eq "a FIFO: exit 2 at once, no hang" 2 "$?"
check_grep "... named as not a regular file" \
    "zz-fifo.yaml: not a regular file" "$T/sp.out"
timeout 10 "$NSF" validate "$T/special/zz-fifo.yaml" >"$T/sp.out" 2>&1
check_eq "a FIFO given by name: exit 2 at once" 2 "$?"
