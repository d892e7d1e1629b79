#!/usr/bin/env bash
# lab_failover.sh - the controller in the lab on 127.0.90.0/24, several
# outages of provider A in a row:
#   - the time from silencing A (packets dropped) to the registry's
#     acknowledgement of the failover, beside its bound
#     fail_after x interval + timeout;
#   - the controller's own time from decision to acknowledgement (p50,
#     p99), from its "acknowledged ... in N ms from the decision" lines,
#     for every failover and failback of every domain.
# Prints figures; never fails on a slow machine.
#   NSF_BENCH_RUNS (default 5) outages; NSF_BENCH_DOMAINS (default 10)
#   domains at the EPP registry.
set -uo pipefail
cd "$(dirname "$0")/../.."
NSF=${NSF_BENCH_BIN:-$PWD/nsfailover}
. tests/lib/common.sh
. tests/lib/dns.sh
. examples/lab/lib.sh
. tests/bench/lib/bench.sh

runs=${NSF_BENCH_RUNS:-5}
ndom=${NSF_BENCH_DOMAINS:-10}
interval_ms=1000 timeout_ms=500 fail_after=3
bound_ms=$((fail_after * interval_ms + timeout_ms))

skip_bench() {
	echo "lab_failover: skipped: $*"
	exit 0
}

[ "$(id -u)" -eq 0 ] || skip_bench "run as root (the lab binds port 53)"
lab_nsf_has_run || skip_bench "nsfailover run not built"
[ -n "$(lab_conflicts 127.0.90)" ] &&
    skip_bench "something already listens on 127.0.90.0/24"

doms="example.test"
for i in $(seq 2 "$ndom"); do
	doms+=" $(printf 'd%02d.test' "$i")"
done
LAB_EPP_DOMAINS=$doms LAB_UPDATE_DOMAINS="" kind=EPP
if [ ! -f "$LAB_EPP_SCHEMAS" ]; then
	# The EPP test registry needs the schemas (docs/lab.md).
	LAB_EPP_DOMAINS="" LAB_UPDATE_DOMAINS=$doms kind="DNS UPDATE"
fi
lab_init 127.0.90 || skip_bench "the lab could not be prepared"
lab_policy_set interval=${interval_ms}ms timeout=${timeout_ms}ms \
    fail_after=$fail_after recover_after=2 hold_down=2s \
    flap_max=1000 flap_window=1m
lab_start_all || skip_bench "the lab did not start (see $T)"
lab_start_controller
sleep 3
lab_controller_running || skip_bench "the controller exited at start:" \
    "$(tail -n 3 "$LAB_CONTROLLER_LOG")"

# all_on GROUP SECONDS: waits until the parent delegates every domain to
# GROUP.
all_on() {
	local g=$1 d
	for d in $doms; do
		wait_for "$2" on_group "$d" "$g" || return 1
	done
}

on_group() {
	[ "$(lab_parent_group "$1")" = "$2" ]
}

echo "lab_failover: $runs outage(s) of provider A, $ndom $kind domains," \
    "interval ${interval_ms} ms, timeout ${timeout_ms} ms," \
    "fail_after $fail_after: bound $bound_ms ms"
for r in $(seq "$runs"); do
	t0=$(bench_epoch_ms)
	lab_drop_provider a
	if ! all_on provider-b 30; then
		echo "  run $r: not every domain failed over within 30 s"
		break
	fi
	sleep 1
	bench_acks "$LAB_CONTROLLER_LOG" "$t0" |
	    awk -v t0="$t0" '$3 == "failover" { print $1 - t0 }' \
	    >"$T/stop_to_ack.$r"
	down=$(bench_log_ms "$LAB_CONTROLLER_LOG" "$t0" \
	    'provider provider-a is down' | head -n 1)
	echo "  run $r: stop to acknowledgement: first" \
	    "$(bench_percentile 0 <"$T/stop_to_ack.$r") ms, last" \
	    "$(bench_percentile 100 <"$T/stop_to_ack.$r") ms" \
	    "($(grep -c . "$T/stop_to_ack.$r") domains; bound $bound_ms ms;" \
	    "A judged down after $(( ${down:-$t0} - t0 )) ms)"
	lab_start_provider a >/dev/null || break
	all_on provider-a 60 || {
		echo "  run $r: not every domain failed back within 60 s"
		break
	}
done
sleep 1
cat "$T"/stop_to_ack.* 2>/dev/null >"$T/stop_to_ack"
echo "stop of A to failover acknowledged (ms): $(bench_summary \
    <"$T/stop_to_ack"); bound $bound_ms"
bench_acks "$LAB_CONTROLLER_LOG" | awk '{ print $4 }' >"$T/decision_to_ack"
echo "decision to acknowledgement (ms), failovers and failbacks:" \
    "$(bench_summary <"$T/decision_to_ack"); target: tens of ms"
lab_stop_controller
