#!/usr/bin/env bash
# ops_daemon.sh - the daemon's metrics and webhooks during a real failover
# and failback in the lab (examples/lab/lib.sh) on 127.0.50.0/24: the
# metrics endpoint answers /healthz and /readyz, its values move on
# failover and failback, a webhook receiver gets signed bodies, and a
# receiver that hangs or refuses delays neither the failover nor the loop.
#
# Pending until `nsfailover run` is merged: rename to ops_daemon.sh then.
# Needs root (the lab binds port 53 on loopback).  The domain is changed
# in the parent by DNS UPDATE, so the EPP test registry is not needed.
. "$(dirname "$0")/../lib/common.sh"
. "$NSF_ROOT/tests/lib/dns.sh"
. "$NSF_ROOT/examples/lab/lib.sh"

if [ "$(id -u)" -ne 0 ]; then
	skip "the lab binds port 53 on loopback: run as root"
	exit 0
fi
if ! lab_nsf_has_run; then
	skip "nsfailover run is not built yet"
	exit 0
fi

NET=127.0.50
D=example.test
PARSE="/usr/bin/python3 $NSF_ROOT/tests/tools/prom_parse.py"
RECV=$NSF_ROOT/tests/tools/webhook_receiver.py
KEY=$(openssl rand -hex 24)
HANG_TIMEOUT_MS=30000
PA='provider="provider-a"'

LAB_EPP_DOMAINS="" LAB_UPDATE_DOMAINS=$D
lab_init "$NET" || { not_ok "lab_init"; exit 1; }
M=http://$LAB_METRICS
HA="nsfailover_domain_provider_health{domain=\"$D\",$PA}"

# scrape NAME: /metrics into $T/NAME.prom.
scrape() {
	curl -sS --noproxy '*' -o "$T/$1.prom" "$M/metrics"
}

# val NAME SELECTOR: one sample, or "absent".
val() {
	$PARSE "$T/$1.prom" "$2" 2>/dev/null || echo absent
}

# total NAME SELECTOR: the sum of the samples with those labels (0 when
# there is none).
total() {
	$PARSE "$T/$1.prom" --sum "$2" 2>/dev/null || echo error
}

# positive VALUE: true for a number above 0 (values may print as 1e+06).
positive() {
	awk -v v="$1" 'BEGIN { exit !(v + 0 > 0) }'
}

# metric_is LINE: the endpoint serves exactly this sample line now.
metric_is() {
	curl -s --noproxy '*' "$M/metrics" | grep -qxF "$1"
}

http_status() {
	curl -sS --noproxy '*' -o "$T/body" -w '%{http_code}' "$1"
}

# ready: /readyz answers 200.
ready() {
	[ "$(http_status "$M/readyz")" = 200 ]
}

# parent_is GROUP: the parent delegates $D to GROUP.
parent_is() {
	[ "$(lab_parent_group "$D")" = "$1" ]
}

# receiver NAME ADDRESS MODE: a webhook receiver (tests/tools).
receiver() {
	nsf_spawn "recv-$1" /usr/bin/python3 "$RECV" "$2" "$T/$1.port" \
	    "$T/$1.jsonl" "$3"
	wait_for 10 test -s "$T/$1.port" || {
		not_ok "webhook receiver $1 starts"; exit 1; }
	touch "$T/$1.jsonl"
}

# events NAME: the event names a receiver got, in order, one line.
events() {
	/usr/bin/python3 -c '
import json, sys
print(" ".join(json.loads(json.loads(l)["body"])["event"]
               for l in open(sys.argv[1])))' "$T/$1.jsonl"
}

receiver good "$NET.41" ok
receiver hang "$NET.42" hang

lab_start_all || { not_ok "the lab starts on $NET.0/24"; exit 1; }
(
	umask 077
	printf 'ops-hook:\n  hmac_key: "%s"\n' "$KEY" >>"$LAB_SECRETS"
)
cat >>"$LAB_CONFIG" <<YAML
notifications:
  webhooks:
    # Only the events this test causes, so the order is known.
    - name: good
      url: "http://$NET.41:$(cat "$T/good.port")/hook"
      secret: ops-hook
      events: [ failover, failback, policy-rejected ]
    - name: hang
      url: "http://$NET.42:$(cat "$T/hang.port")/hook"
      events: [ failover, failback, policy-rejected ]
      timeout: $((HANG_TIMEOUT_MS / 1000))s
      retries: 0
    # nothing listens there: every attempt is refused
    - name: refused
      url: "http://$NET.43:9/hook"
      timeout: 2s
      retries: 2
YAML
"$NSF" config check "$LAB_CONFIG" >"$T/config.out" 2>&1
check_eq "the lab configuration with three webhooks checks clean" 0 "$?"
commit=$(git --git-dir="$LAB_DIR/policy.git" rev-parse main)

lab_start_controller
wait_for 30 ready
check_eq "/readyz turns 200 once a policy and a probe round are in" 200 \
    "$(http_status "$M/readyz")"
check_eq "/healthz is 200" 200 "$(http_status "$M/healthz")"

# --- before -------------------------------------------------------------
wait_for 20 metric_is "$HA 1"
scrape before
check "the exposition parses strictly" $PARSE "$T/before.prom"
check_eq "ready" 1 "$(val before nsfailover_ready)"
check_eq "the policy commit in force is the lab's" 1 \
    "$(val before "nsfailover_policy_info{commit=\"$commit\"}")"
check_eq "the policy has one domain" 1 \
    "$(val before nsfailover_policy_domains)"
check_eq "provider-a is up for $D" 1 \
    "$(val before "$HA")"
check_eq "no failover yet" 0 "$(total before nsfailover_failovers_total)"
check_eq "no domain on a backup" 0 \
    "$(val before nsfailover_domains_on_backup)"
check "probes are counted" positive "$(total before \
    'nsfailover_probes_total{result="ok"}')"

# --- failover -----------------------------------------------------------
lab_drop_provider a
wait_for 30 parent_is provider-b
check_eq "dropping provider A fails $D over to provider B" provider-b \
    "$(lab_parent_group "$D")"
wait_for 10 metric_is "nsfailover_domains_on_backup 1"
scrape failover
check_eq "provider-a's health for $D moved to 0" 0 \
    "$(val failover "$HA")"
check_eq "the aggregate counts provider-a down for one domain" 1 \
    "$(val failover "nsfailover_provider_domains{$PA,health=\"down\"}")"
check_eq "one failover counted, to provider-b" 1 \
    "$(total failover 'nsfailover_failovers_total{to="provider-b"}')"
check_eq "$D flagged on backup" 1 \
    "$(val failover "nsfailover_domain_on_backup{domain=\"$D\"}")"
check_eq "domains on backup: 1" 1 "$(val failover nsfailover_domains_on_backup)"
check "the registry update is counted as ok" positive "$(total failover \
    'nsfailover_registry_operations_total{registry="lab-parent",result="ok"}')"
check "probe timeouts of provider-a are counted" positive "$(total \
    failover 'nsfailover_probes_total{provider="provider-a",result="timeout"}')"

# The hanging receiver got the failover and holds it; the refused one
# fails.  Neither held up the change or the loop.
wait_for 10 test -s "$T/hang.jsonl"
check_eq "the hanging receiver holds the failover event" failover \
    "$(events hang)"
pat="s/.*registry \[$D\] .* acknowledged failover .* in \([0-9]*\) ms"
ack=$(sed -n "$pat from the decision.*/\1/p" "$LAB_CONTROLLER_LOG" | head -1)
what="the registry acknowledged ${ack:-?} ms after the decision"
check "$what, under the hanging webhook's ${HANG_TIMEOUT_MS} ms" \
    test "${ack:-999999}" -lt "$HANG_TIMEOUT_MS"
t1=$(val failover nsfailover_last_tick_timestamp_seconds)
r1=$(val failover nsfailover_probe_rounds_total)
sleep 3
scrape later
check "the loop keeps ticking while the webhook hangs" \
    awk -v a="$t1" -v b="$(val later nsfailover_last_tick_timestamp_seconds)" \
    'BEGIN { exit !(b > a) }'
check "and keeps probing" awk -v a="$r1" \
    -v b="$(val later nsfailover_probe_rounds_total)" \
    'BEGIN { exit !(b > a) }'
check_eq "/healthz stays 200 meanwhile" 200 "$(http_status "$M/healthz")"

REFUSED='nsfailover_notifications_total{webhook="refused",result="failed"}'
refused_failed() {
	scrape notif
	positive "$(total notif "$REFUSED")"
}
wait_for 20 refused_failed
check_eq "the refused webhook's failure is counted" 1 \
    "$(total notif "$REFUSED")"

# The good receiver: a signed JSON body.
wait_for 10 test -s "$T/good.jsonl"
/usr/bin/python3 - "$T/good.jsonl" "$KEY" "$D" "$commit" \
    >"$T/verify.out" 2>&1 <<'PY'
import hashlib, hmac, json, sys
rec = json.loads(open(sys.argv[1]).readline())
body = rec["body"].encode()
h = {k.lower(): v for k, v in rec["headers"].items()}
want = "sha256=" + hmac.new(sys.argv[2].encode(), body,
                            hashlib.sha256).hexdigest()
assert hmac.compare_digest(h["x-nsfailover-signature"], want), h
assert h["x-nsfailover-event"] == "failover", h
doc = json.loads(body)
assert doc["event"] == "failover" and doc["domain"] == sys.argv[3], doc
assert "provider-b" in doc["to"], doc
assert doc["policy_commit"] == sys.argv[4], doc
assert doc["reason"], doc
print("ok")
PY
check_grep "the receiver got the failover, HMAC-SHA256 signed" '^ok$' \
    "$T/verify.out"

# --- failback -----------------------------------------------------------
lab_start_provider a
wait_for 60 parent_is provider-a
check_eq "provider A back: $D fails back after the hold-down" provider-a \
    "$(lab_parent_group "$D")"
wait_for 10 metric_is "nsfailover_domains_on_backup 0"
scrape failback
check_eq "one failback counted, to provider-a" 1 \
    "$(total failback 'nsfailover_failbacks_total{to="provider-a"}')"
check_eq "the on-backup series is gone" absent \
    "$(val failback "nsfailover_domain_on_backup{domain=\"$D\"}")"
check_eq "domains on backup: 0" 0 \
    "$(val failback nsfailover_domains_on_backup)"
check_eq "provider-a is up again" 1 \
    "$(val failback "$HA")"
check_eq "the failover is still counted once" 1 \
    "$(total failback nsfailover_failovers_total)"
wait_for 10 sh -c "[ \$(wc -l <'$T/good.jsonl') -ge 2 ]"
check_eq "the receiver got failover then failback" "failover failback" \
    "$(events good)"
check_eq "the hanging receiver still holds only the first" failover \
    "$(events hang)"

# --- a rejected policy commit -------------------------------------------
lab_policy_commit_invalid "ops_daemon: a misspelt key" >/dev/null
wait_for 20 metric_is "nsfailover_policy_rejected_total 1"
scrape rejected
check_eq "the rejected commit is counted" 1 \
    "$(val rejected nsfailover_policy_rejected_total)"
check_eq "and the good commit stays in force" 1 \
    "$(val rejected "nsfailover_policy_info{commit=\"$commit\"}")"
wait_for 10 sh -c "grep -q policy-rejected '$T/good.jsonl'"
check_eq "the receiver got policy-rejected" \
    "failover failback policy-rejected" "$(events good)"

# --- stop ---------------------------------------------------------------
pid=$LAB_CONTROLLER_PID
kill -TERM "$pid"
wait_for 10 sh -c "! kill -0 $pid 2>/dev/null"
wait "$pid" 2>/dev/null
check_eq "SIGTERM stops the daemon cleanly despite the hung webhook" 0 "$?"
LAB_CONTROLLER_PID=""
check_no_grep "the HMAC key never reaches the log" "$KEY" \
    "$LAB_CONTROLLER_LOG"
