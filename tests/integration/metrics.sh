#!/usr/bin/env bash
# metrics.sh - the metrics endpoint over real HTTP on 127.0.50.1: format
# (promtool and a strict parser), values that move on failover and
# failback, bounded per-domain series, /healthz and /readyz.
. "$(dirname "$0")/../lib/common.sh"

DEMO=$NSF_ROOT/build/t/tools/metrics_demo
PARSE="/usr/bin/python3 $NSF_ROOT/tests/tools/prom_parse.py"

cmd() {
	echo "$1" >&"${D[1]}"
	read -r -t 60 REPLY <&"${D[0]}" || REPLY="(no answer)"
}

# scrape NAME: fetches /metrics into $T/NAME.prom, headers in NAME.hdr.
scrape() {
	curl -sS --noproxy '*' -D "$T/$1.hdr" -o "$T/$1.prom" \
	    "http://127.0.50.1:$PORT/metrics"
}

# val NAME SELECTOR: one sample's value, or "absent".
val() {
	$PARSE "$T/$1.prom" "$2" 2>/dev/null || echo absent
}

status() {
	curl -sS --noproxy '*' -o "$T/body" -w '%{http_code}' "$@"
}

# Label sets the checks below use again and again.
EX='domain="example.test"'
PA='provider="provider-a"'
PC='provider="provider-c"'
AB='from="provider-a",to="provider-b"'
TO='result="timeout"'
NS1='nameserver="ns1.provider-a.test",address="127.0.50.21"'
UPD='registry="main",operation="update",result="ok"'

coproc D { exec "$DEMO" 127.0.50.1:0 2>"$T/demo.err"; }
nsf_track_pid "$D_PID"
read -r -t 30 REPLY <&"${D[0]}"
PORT=${REPLY#listening }
check "the endpoint listens on 127.0.50.1 (port $PORT)" test "$PORT" -gt 0

check_eq "/readyz is 503 before a policy and a probe round" 503 \
    "$(status "http://127.0.50.1:$PORT/readyz")"
check_grep "/readyz says what is missing" \
    'no policy loaded yet; first probe round not done' "$T/body"
check_eq "/healthz is 200 while the process lives" 200 \
    "$(status "http://127.0.50.1:$PORT/healthz")"

COMMIT=5a1b2c3d4e5f60718293a4b5c6d7e8f901234567
cmd "policy $COMMIT 42 1"
cmd "health example.test provider-a up"
cmd "health example.test provider-b up"
cmd "ns provider-a ns1.provider-a.test 127.0.50.21 up"
cmd "probe provider-a 127.0.50.21 ok 1800"
cmd "probe provider-a 127.0.50.21 timeout 2000000"
cmd "round 120"
cmd "tick 60000"
check_eq "/readyz is 200 once both happened" 200 \
    "$(status "http://127.0.50.1:$PORT/readyz")"

scrape before
check_grep "content type is the text format 0.0.4" \
    '^Content-Type: text/plain; version=0.0.4' "$T/before.hdr"
if command -v promtool >/dev/null 2>&1; then
	check "promtool check metrics accepts the exposition" \
	    sh -c "promtool check metrics <'$T/before.prom'"
else
	skip "promtool not installed (Debian package prometheus)"
fi
check "a strict parser accepts the exposition" $PARSE "$T/before.prom"
check_eq "policy commit is an info metric" 1 \
    "$(val before "nsfailover_policy_info{commit=\"$COMMIT\"}")"
check_eq "policy load time in seconds" 0.042 \
    "$(val before nsfailover_policy_load_duration_seconds)"
check_eq "probe histogram counts by result" 1 \
    "$(val before "nsfailover_probe_duration_seconds_count{$PA,$TO}")"
check_eq "a 2 s probe lands above the 1 s bucket" 0 \
    "$(val before "nsfailover_probe_duration_seconds_bucket{$PA,$TO,le=\"1\"}")"
check_eq "provider-a is up for example.test" 1 \
    "$(val before "nsfailover_domain_provider_health{$EX,$PA}")"
check_eq "no failover yet" absent \
    "$(val before "nsfailover_failovers_total{$AB}")"

# Failover: provider-a goes down, the delegation moves to provider-b.
cmd "health example.test provider-a down"
cmd "ns provider-a ns1.provider-a.test 127.0.50.21 down"
cmd "failover provider-a provider-b"
cmd "flag example.test on_backup on"
cmd "registry main update ok 180"
cmd "audit 1"
scrape failover
check_eq "pair health moves to 0" 0 \
    "$(val failover "nsfailover_domain_provider_health{$EX,$PA}")"
check_eq "nameserver address health moves to 0" 0 \
    "$(val failover "nsfailover_nameserver_health{$PA,$NS1}")"
check_eq "aggregate: provider-a has one domain down" 1 \
    "$(val failover "nsfailover_provider_domains{$PA,health=\"down\"}")"
check_eq "aggregate: provider-a has no domain up" 0 \
    "$(val failover "nsfailover_provider_domains{$PA,health=\"up\"}")"
check_eq "failover counted" 1 \
    "$(val failover "nsfailover_failovers_total{$AB}")"
check_eq "domain flagged on backup" 1 \
    "$(val failover 'nsfailover_domain_on_backup{domain="example.test"}')"
check_eq "domains on backup: 1" 1 "$(val failover nsfailover_domains_on_backup)"
check_eq "registry operation counted" 1 \
    "$(val failover "nsfailover_registry_operations_total{$UPD}")"
check_eq "audit records waiting" 1 \
    "$(val failover nsfailover_audit_pending_records)"

# Failback.
cmd "health example.test provider-a up"
cmd "failback provider-b provider-a"
cmd "flag example.test on_backup off"
cmd "audit 0"
scrape failback
check_eq "failback counted" 1 \
    "$(val failback \
	'nsfailover_failbacks_total{from="provider-b",to="provider-a"}')"
check_eq "the on-backup series is gone with the condition" absent \
    "$(val failback 'nsfailover_domain_on_backup{domain="example.test"}')"
check_eq "domains on backup back to 0" 0 \
    "$(val failback nsfailover_domains_on_backup)"
check_eq "aggregate: provider-a up again" 1 \
    "$(val failback "nsfailover_provider_domains{$PA,health=\"up\"}")"

# Refusals, registry errors, drift, freeze, rejected policy.
cmd "refused flap-budget"
cmd "registry main update 2304 90"
cmd "flag example.test drift on"
cmd "frozen on"
cmd "rejected"
scrape guards
check_eq "refusal counted by reason" 1 \
    "$(val guards 'nsfailover_changes_refused_total{reason="flap-budget"}')"
check_eq "registry error counted by code" 1 \
    "$(val guards \
	'nsfailover_registry_errors_total{registry="main",code="2304"}')"
check_eq "drift detected" 1 "$(val guards nsfailover_drift_detected_total)"
check_eq "frozen" 1 "$(val guards nsfailover_frozen)"
check_eq "rejected policy counted" 1 \
    "$(val guards nsfailover_policy_rejected_total)"

# Bounded label sets.
cmd "bulk 3000 provider-c"
scrape all
check_eq "domain_series all: one series per pair" 3002 \
    "$($PARSE "$T/all.prom" --count nsfailover_domain_provider_health)"
cmd "series problems"
scrape problems
check_eq "domain_series problems: only the 1000 pairs that are down" 1000 \
    "$($PARSE "$T/problems.prom" --count nsfailover_domain_provider_health)"
check_eq "the aggregate still counts every domain" 2000 \
    "$(val problems "nsfailover_provider_domains{$PC,health=\"up\"}")"
cmd "series none"
scrape none
check_eq "domain_series none: no per-domain health series" 0 \
    "$($PARSE "$T/none.prom" --count nsfailover_domain_provider_health)"
cmd "series all"
cmd "retain-below 1500"
scrape retained
check_eq "domains removed from the policy lose their series" 1500 \
    "$($PARSE "$T/retained.prom" --count nsfailover_domain_provider_health)"
check_eq "and leave the aggregate" 1000 \
    "$(val retained "nsfailover_provider_domains{$PC,health=\"up\"}")"

check_eq "an unknown path is 404" 404 \
    "$(status "http://127.0.50.1:$PORT/nope")"
check_eq "POST is 405" 405 \
    "$(status -X POST "http://127.0.50.1:$PORT/metrics")"

cmd "tick 100"
sleep 1
check_eq "/healthz is 503 once the loop misses three ticks" 503 \
    "$(status "http://127.0.50.1:$PORT/healthz")"
check_grep "/healthz says the loop stalled" 'stalled' "$T/body"
cmd "tick 100"
check_eq "/healthz recovers with the next tick" 200 \
    "$(status "http://127.0.50.1:$PORT/healthz")"

echo quit >&"${D[1]}"
wait "$D_PID" 2>/dev/null
check_eq "the driver stopped cleanly (sanitizers quiet)" 0 "$?"

# docs/operations.md explains every family the endpoint exports, and the
# example alert rules use only metrics that exist and are explained there.
OPS=$NSF_ROOT/docs/operations.md
RULES=$NSF_ROOT/examples/prometheus/nsfailover-alerts.yml
sed -n 's/^# TYPE \([a-z_]*\) .*/\1/p' "$T/before.prom" >"$T/families"
undocumented=$(while read -r f; do
	grep -q "| \`$f\` |" "$OPS" || echo "$f"
done <"$T/families" | tr '\n' ' ')
check_eq "operations.md documents all $(wc -l <"$T/families") families" \
    "" "$undocumented"
/usr/bin/python3 - "$RULES" "$T/families" "$OPS" >"$T/rules.out" 2>&1 <<'PY'
import re, sys, yaml
rules = yaml.safe_load(open(sys.argv[1]))["groups"][0]["rules"]
families = set(open(sys.argv[2]).read().split())
ops = open(sys.argv[3]).read()
bad = []
for r in rules:
    for m in re.findall(r"nsfailover_[a-z_]+", r["expr"]):
        base = re.sub(r"_(bucket|sum|count)$", "", m)
        if m not in families and base not in families:
            bad.append("%s uses unknown %s" % (r["alert"], m))
    if "### %s:" % r["alert"] not in ops:
        bad.append("%s has no section in operations.md" % r["alert"])
print("\n".join(bad) or "ok %d" % len(rules))
PY
check_grep "every alert rule uses real metrics and has its section" \
    '^ok [0-9]+$' "$T/rules.out"
