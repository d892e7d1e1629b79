# plan_cli.sh - `nsfailover plan` and `status` over real probes (NSD as
# provider A, Knot as provider B) and a real registry read (an exec hook
# that reports what it holds): exit codes, the three formats, and the
# errors a CI job can meet.  Addresses 127.0.88.0/24.
source "$(dirname "$0")/../lib/common.sh"
source "$NSF_ROOT/tests/lib/dns.sh"

A=127.0.88.11 B=127.0.88.21
ALL_NS="ns1.a.test ns1.b.test"
mkdir -p "$T/za" "$T/zb" "$T/policy" "$T/held"
for z in za zb; do
	nsf_zone_file "$T/$z/x.test" x.test 2026120401 $ALL_NS
	nsf_zone_file "$T/$z/y.test" y.test 2026120401 $ALL_NS
done
nsf_start_nsd prov-a "$A" x.test="$T/za/x.test" y.test="$T/za/y.test" ||
    { not_ok "NSD starts"; exit 1; }
nsf_start_knot prov-b "$B" x.test="$T/zb/x.test" y.test="$T/zb/y.test" ||
    { not_ok "Knot starts"; exit 1; }

# The registry: a hook answering from $T/held/DOMAIN (one NS a line).
cat >"$T/hook.py" <<'PY'
import json, sys
req = json.load(sys.stdin)
if req["operation"] != "observe":
    print(json.dumps({"result": "refused", "message": "read only"}))
    sys.exit(0)
try:
    with open(sys.argv[1] + "/" + req["domain"]) as f:
        ns = f.read().split()
except OSError as e:
    print("no such domain here: %s" % e, file=sys.stderr)
    sys.exit(3)
print(json.dumps({"result": "done", "nameservers": ns,
                  "statuses": ["ok"]}))
PY
echo ns1.a.test >"$T/held/x.test"
echo ns1.b.test >"$T/held/y.test"

cat >"$T/policy/policy.yaml" <<YAML
version: 1
defaults:
  health: { interval: 2s, timeout: 500ms, retries: 0 }
  failback: { hold_down: 1h }
providers:
  provider-a:
    nameservers: [ { name: ns1.a.test, addresses: [ $A ] } ]
  provider-b:
    nameservers: [ { name: ns1.b.test, addresses: [ $B ] } ]
registries:
  hook:
    type: exec
    command: [ /usr/bin/python3, "$T/hook.py", "$T/held" ]
    min_nameservers: 1
    timeout: 5s
domains:
  x.test: { registry: hook, primary: provider-a, backups: [ provider-b ] }
  y.test: { registry: hook, primary: provider-a, backups: [ provider-b ] }
YAML

plan() {
	"$NSF" plan --policy "$T/policy" "$@" >"$T/out" 2>"$T/err"
}

plan
check_eq "a failback waiting: exit 2" 2 "$?"
check_grep "y.test would fail back to the primary" \
    "y.test: failback to provider-a" "$T/out"
check_grep "x.test is fine" "x.test: no change" "$T/out"
check_grep "summary line" "2 domains: 1 to change" "$T/out"

plan x.test
check_eq "one domain named, nothing to change: exit 0" 0 "$?"
check_no_grep "... and the other is not shown" "y.test" "$T/out"

plan --format json
check_eq "json: exit 2" 2 "$?"
check "json: a valid document" python3 -c \
    'import json,sys; d=json.load(open(sys.argv[1])); assert d' "$T/out"
check_grep "json: names the action" '"failback"' "$T/out"

plan --format markdown
check_eq "markdown: exit 2" 2 "$?"
check_grep "markdown: a heading for the comment" "^### nsfailover plan" \
    "$T/out"

# Provider A fails: x.test should move, y.test stays on B.
nsf_stop_pid "$NSD_PID_prov_a"
plan
check_eq "primary down: exit 2" 2 "$?"
check_grep "x.test would fail over" "x.test: failover to provider-b" \
    "$T/out"
check_grep "... with the evidence" "provider-a: down" "$T/out"
check_no_grep "y.test is not moved to a dead primary" \
    "y.test: failback" "$T/out"

"$NSF" status --policy "$T/policy" >"$T/out" 2>"$T/err"
check_eq "status: exit 0" 0 "$?"
check_grep "status: how long a switch takes" "switch:" "$T/out"
check_grep "status: what the registry delegates to now" \
    "now: *provider-b" "$T/out"
check_grep "status: where the policy came from" "^policy: *read from disk" \
    "$T/out"
check_grep "status: the canaries' verdict" "^canaries:" "$T/out"

# Errors a CI job can meet.
"$NSF" plan >"$T/out" 2>"$T/err"
check_eq "no policy given: exit 1" 1 "$?"
check_grep "... says what to give" "give --config FILE" "$T/err"

plan --format yaml
check_eq "bad --format: exit 1" 1 "$?"
check_grep "... names the formats" "text, markdown, json" "$T/err"

plan nosuch.test
check_eq "a domain not in the policy: exit 1" 1 "$?"
check_grep "... named" "nosuch.test is not in the policy" "$T/err"

rm "$T/held/y.test"
plan
check_eq "registry cannot be read for one domain: exit 1" 1 "$?"
check_grep "... the domain's error is reported" \
    "y.test.*cannot read the live delegation" "$T/out"
check_grep "... with the hook's own words" "no such domain here" "$T/out"

mkdir -p "$T/bad"
sed 's/primary: provider-a, backups/primay: provider-a, backups/' \
    "$T/policy/policy.yaml" >"$T/bad/policy.yaml"
"$NSF" plan --policy "$T/bad" >"$T/out" 2>"$T/err"
check_eq "invalid policy: exit 1, nothing planned" 1 "$?"
check_grep "... compiler-style position" "policy.yaml:[0-9]*:[0-9]*: error" \
    "$T/err"
check_no_grep "... and no plan printed" "failover" "$T/out"

"$NSF" plan --config "$T/nonexistent.yaml" >"$T/out" 2>"$T/err"
check_eq "missing configuration: exit 1" 1 "$?"
check_grep "... names the file" "nonexistent.yaml" "$T/err"
