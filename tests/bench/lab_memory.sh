#!/usr/bin/env bash
# lab_memory.sh - peak memory of the controller with a 100,000-domain
# policy (examples/gen-policy --net 127.0.90) over a few probe rounds,
# beside the 200 MiB target, and beside what `nsfailover validate` (the
# policy alone) and `nsfailover probe` (the policy and one probe round)
# take on the same policy and servers.
#
# Probing 100,000 domains is made cheap on loopback: one NSD on every
# provider address serves none of the policy's zones, so each query gets
# an immediate REFUSED; the prober still sends, matches and classifies
# every query of the round (about 2.3 million).  A root zone on the canary
# addresses keeps the controller from freezing.  Both registries are
# parent zones served by NSD (DNS UPDATE registries: a delegation is read
# with one query), delegating every domain to its primary, so the
# controller finds everything as wanted, and holds it (no group is
# healthy).
#   NSF_BENCH_MEM_DOMAINS (default 100000); the controller runs until
#   NSF_BENCH_MEM_ROUNDS (default 3) probe rounds are complete (read from
#   its metrics) or NSF_BENCH_MEM_SECONDS (default 400) have passed.
set -uo pipefail
cd "$(dirname "$0")/../.."
NSF=${NSF_BENCH_BIN:-$PWD/nsfailover}
. tests/lib/common.sh
. tests/lib/dns.sh
. tests/bench/lib/bench.sh

NET=127.0.90
n=${NSF_BENCH_MEM_DOMAINS:-100000}
secs=${NSF_BENCH_MEM_SECONDS:-400}
want=${NSF_BENCH_MEM_ROUNDS:-3}
target_mib=200

if [ "$(id -u)" -ne 0 ]; then
	echo "lab_memory: skipped: run as root (servers bind port 53)"
	exit 0
fi
if [ ! -x /usr/bin/time ]; then
	echo "lab_memory: skipped: /usr/bin/time missing (ci/install-deps)"
	exit 0
fi
if ss -Hlntu | awk '{ print $5 }' | grep -q "^$NET\."; then
	echo "lab_memory: skipped: something already listens on $NET.0/24"
	exit 0
fi

bench_big_controller_files "$NET" "$T/big" "$n" || {
	echo "lab_memory: could not write the $n-domain policy"
	exit 0
}
bench_start_parent "$NET" "$T/big/work/policy" &&
    bench_refusing_servers "$NET" || {
	echo "lab_memory: the servers did not start (see $T)"
	exit 0
}
pol=$T/big/work/policy
yaml_kb=$(du -sk "$pol" | cut -f1)
echo "lab_memory: $n domains ($(bench_mib "$yaml_kb") MiB of YAML)," \
    "target $target_mib MiB"

/usr/bin/time -v "$NSF" validate --quiet "$pol" >/dev/null \
    2>"$T/validate.time"
echo "  nsfailover validate (policy alone): peak RSS" \
    "$(bench_mib "$(bench_time_peak_kb "$T/validate.time")") MiB"

/usr/bin/time -v "$NSF" probe --policy "$pol" --rate 100000 \
    --format summary >"$T/probe.out" 2>"$T/probe.time"
echo "  nsfailover probe (policy, one round): peak RSS" \
    "$(bench_mib "$(bench_time_peak_kb "$T/probe.time")") MiB;" \
    "$(sed -n 's/^domains .* queries \([0-9]*\) duration_ms \([0-9]*\).*/\1/p' \
    "$T/probe.out") queries in $(sed -n \
    's/^domains .* duration_ms \([0-9]*\).*/\1/p' "$T/probe.out") ms"

if ! "$NSF" run --help >/dev/null 2>&1; then
	echo "  nsfailover run: skipped: nsfailover run not built"
	exit 0
fi
"$NSF" run --config "$T/big/nsfailover.yaml" \
    --log-level "${NSF_BENCH_MEM_LOG_LEVEL:-notice}" >"$T/controller.log" 2>&1 &
pid=$!
nsf_track_pid "$pid"
# rounds: complete probe rounds so far, from the controller's metrics.
rounds() {
	curl -s --noproxy '*' --max-time 2 "http://$NET.3:9153/metrics" |
	    awk '$1 == "nsfailover_probe_rounds_total" { print $2 + 0 }'
}
peak=0 marks="" seen=0 t=0
while [ "$t" -lt "$secs" ] && [ "$seen" -lt "$want" ]; do
	sleep 1
	t=$((t + 1))
	kb=$(bench_peak_kb "$pid")
	[ -n "$kb" ] || break
	peak=$kb
	r=$(rounds)
	if [ -n "$r" ] && [ "$r" -gt "$seen" ]; then
		seen=$r
		marks+="${marks:+, }$(bench_mib "$kb") MiB after round $r"
		marks+=" (${t} s)"
	fi
done
if kill -0 "$pid" 2>/dev/null; then
	nsf_stop_pid "$pid"
	wait "$pid" 2>/dev/null
	how="$seen probe round(s) in ${t} s"
else
	wait "$pid" 2>/dev/null
	how="exited early: $(tail -n 1 "$T/controller.log")"
fi
echo "  nsfailover run (controller): peak RSS $(bench_mib "$peak") MiB" \
    "($how; $(grep -c . "$T/controller.log") log lines)"
[ -z "$marks" ] || echo "    peak so far: $marks"
echo "  (the first pass reads every delegation before the first round)"
