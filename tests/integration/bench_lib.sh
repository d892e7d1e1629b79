#!/usr/bin/env bash
# bench_lib.sh - the pieces of the lab benchmarks (tests/bench/lib/bench.sh)
# that work without the daemon: reading acknowledgements from a controller
# log, percentiles, peak memory, the generated 100,000-domain setup (policy
# on one /24, configuration, secrets) and the servers that answer it.
# Addresses: 127.0.77.0/24.
. "$(dirname "$0")/../lib/common.sh"
. "$NSF_ROOT/tests/lib/dns.sh"
. "$NSF_ROOT/tests/bench/lib/bench.sh"

NET=127.0.77

# --- the controller's log ------------------------------------------------
cat >"$T/controller.log" <<'LOG'
2026-12-04T15:00:00.000Z notice control [-] started, policy 1a2b3c
2026-12-04T15:00:01.250Z notice plan [example.test] decided failover to provider-b: provider-a down
2026-12-04T15:00:01.275Z notice registry [example.test] lab-registry acknowledged failover (1000) in 25 ms from the decision
2026-12-04T15:00:02.000Z notice registry [example.test] parent serves the new set 725 ms after the acknowledgement
2026-12-04T15:00:03.100Z notice registry [shop.test] lab-registry acknowledged failover (1000 read back) in 1040 ms from the decision
2026-12-04T15:00:09.999Z notice registry [dyn.test] lab-parent acknowledged failback (NOERROR) in 7 ms from the decision
2026-12-04T15:00:10.000Z warning registry [x.test] lab-registry refused failover (2400) in 30 ms from the decision
LOG
since=$(date -u -d 2026-12-04T15:00:01.275Z +%s%3N)
check_eq "acknowledgements are read with their time, domain and action" \
    "$since example.test failover 25|$((since + 1825)) shop.test failover 1040|$((since + 8724)) dyn.test failback 7" \
    "$(bench_acks "$T/controller.log" | tr '\n' '|' | sed 's/|$//')"
check_eq "from a given time on only" "dyn.test" \
    "$(bench_acks "$T/controller.log" $((since + 1826)) | cut -d' ' -f2)"
check_eq "a log without any gives nothing" "" \
    "$(bench_acks /dev/null)"

check_eq "log lines are found by time and pattern" \
    "$((since + 725))|$((since + 8724))" \
    "$(bench_log_ms "$T/controller.log" "$since" \
	'parent serves|dyn\.test' | tr '\n' '|' | sed 's/|$//')"

# --- percentiles ------------------------------------------------------------
check_eq "nearest-rank percentiles of 1..100: p50 p99 p100 p0" "50 99 100 1" \
    "$(for p in 50 99 100 0; do seq 100 | shuf | bench_percentile $p; done |
	tr '\n' ' ' | sed 's/ $//')"
check_eq "p99 of ten values is the largest" 10 \
    "$(seq 10 | bench_percentile 99)"
check_eq "the summary names count, min, p50, p99, max" \
    "n 5, min 3, p50 7, p99 40, max 40" \
    "$(printf '7\n40\n3\n9\n5\n' | bench_summary)"
check_eq "and says n 0 for no sample" "n 0" "$(bench_summary </dev/null)"

# --- memory ------------------------------------------------------------------
/usr/bin/python3 -c 'b = bytearray(64 << 20); import time; time.sleep(3)' &
big=$!
sleep 1
kb=$(bench_peak_kb "$big")
check "the peak RSS of a process holding 64 MiB is at least 64 MiB" \
    test "${kb:-0}" -ge $((64 * 1024))
wait "$big"
check_eq "and is empty once it is gone" "" "$(bench_peak_kb "$big")"
check_eq "kB are shown as whole MiB" "135 1" \
    "$(bench_mib 138240) $(bench_mib 600)"

# --- the generated setup ---------------------------------------------------
bench_big_controller_files "$NET" "$T/big" 300 >"$T/files.out" 2>&1
check "a policy repository, secrets and configuration are written" \
    test -f "$T/big/nsfailover.yaml" -a -f "$T/big/secrets.yaml"
check_eq "the secrets file has mode 0600" 600 \
    "$(stat -c %a "$T/big/secrets.yaml")"
check "every address of the generated policy is on $NET.0/24" \
    sh -c "! grep -rhoE '127\.[0-9]+\.[0-9]+\.[0-9]+' '$T/big/work/policy' |
	grep -v '^$NET\.'"
check "nsfailover validate accepts it" "$NSF" validate --quiet \
    "$T/big/work/policy"
"$NSF" config check "$T/big/nsfailover.yaml" >"$T/config.out" 2>&1
check_eq "nsfailover config check accepts the configuration" \
    "0: $T/big/nsfailover.yaml: ok (0 warnings)" "$?: $(cat "$T/config.out")"
/usr/bin/python3 "$NSF_ROOT/examples/gen-policy" --net 10.1.2 "$T/bad" \
    >"$T/bad.out" 2>&1
check_eq "gen-policy keeps --net on loopback" \
    "1: gen-policy: --net takes 127.X.Y (a /24 on loopback), not '10.1.2'" \
    "$?: $(cat "$T/bad.out")"

if [ "$(id -u)" -ne 0 ]; then
	skip "the servers bind port 53 on loopback: run as root"
	exit 0
fi
bench_refusing_servers "$NET" || { not_ok "the servers start"; exit 1; }
ok "the refusing providers and the canary start on $NET.0/24"
"$NSF" probe --policy "$T/big/work/policy" --rate 100000 \
    --format summary >"$T/probe.out" 2>&1
check_grep "every query of a probe round is answered REFUSED" \
    "^results refused 2280$" "$T/probe.out"
check_grep "from every address of every domain (300 domains)" \
    "^domains 300 addresses 2280 " "$T/probe.out"
"$NSF" probe --policy "$T/big/work/policy" --format json \
    d000001.example >"$T/probe.json" 2>&1
check_eq "and both canaries answer, so nothing is frozen" "ok ok False" \
    "$(/usr/bin/python3 -c '
import json, sys
c = json.load(open(sys.argv[1]))["canaries"]
print(" ".join(t["result"] for t in c["targets"]), c["frozen"])
' "$T/probe.json")"
