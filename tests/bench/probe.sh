#!/usr/bin/env bash
# probe.sh - the prober's throughput and memory: one round over 10,000
# domains x 4 nameserver addresses (two providers of two nameservers) on
# one local NSD, beside dnsperf sending the same SOA queries to the same
# NSD.  NSD runs on one core, the client (prober or dnsperf) on the other;
# both keep the same number of queries in flight, and they take turns so
# that a busy machine slows both alike.  Prints rates, their
# ratio (the target: the prober at least 0.8 of dnsperf) and memory per
# domain.  Figures only: it never fails on a slow machine.
#   NSF_BENCH_DOMAINS=N   domains (default 10000)
#   NSF_BENCH_RUNS=N      runs of each client, taking turns; the median
#                         is shown (5)
#   NSF_BENCH_INFLIGHT="N..." queries in flight, both clients ("100 1000")
# Addresses 127.0.10.100-103.
set -uo pipefail
source "$(dirname "$0")/../lib/common.sh"
source "$NSF_ROOT/tests/lib/dns.sh"
cd "$NSF_ROOT"
NSF=${NSF_BENCH_BIN:-$NSF_ROOT/nsfailover}
N=${NSF_BENCH_DOMAINS:-10000}
RUNS=${NSF_BENCH_RUNS:-5}
INFLIGHT=${NSF_BENCH_INFLIGHT:-100 1000}
ADDRS=(127.0.10.100 127.0.10.101 127.0.10.102 127.0.10.103)

make -s nsfailover >/dev/null || exit 1
for tool in dnsperf nsd taskset; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "probe bench: $tool is missing (ci/install-deps installs it)"
		exit 0
	fi
done
if [ "$(nproc)" -lt 2 ]; then
	echo "probe bench: needs two cores (server and client one each)"
	exit 0
fi

# Zones, the policy and dnsperf's query file, all for the same names.
/usr/bin/python3 - "$T" "$N" "${ADDRS[@]}" <<'PY'
import os, sys
t, n, addrs = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
ns = ["ns1.a.bench", "ns2.a.bench", "ns1.b.bench", "ns2.b.bench"]
os.makedirs(t + "/zones", exist_ok=True)
names = ["d%06d.bench" % i for i in range(n)]
with open(t + "/zones.list", "w") as zl, open(t + "/queries", "w") as q:
    for d in names:
        with open("%s/zones/%s" % (t, d), "w") as f:
            f.write("$ORIGIN %s.\n$TTL 300\n" % d)
            f.write("@ SOA %s. hostmaster.%s. 1 3600 600 86400 300\n"
                    % (ns[0], d))
            for s in ns:
                f.write("@ NS %s.\n" % s)
        zl.write("%s=%s/zones/%s\n" % (d, t, d))
        q.write("%s SOA\n" % d)
with open(t + "/policy.yaml", "w") as p:
    p.write("version: 1\nregistries:\n  main:\n    type: exec\n"
            "    command: [ /bin/true ]\n    min_nameservers: 1\n"
            "providers:\n")
    for k, prov in enumerate(["a", "b"]):
        p.write("  %s:\n    nameservers:\n" % prov)
        for j in range(2):
            p.write("      - { name: ns%d.%s.bench, addresses: [ %s ] }\n"
                    % (j + 1, prov, addrs[2 * k + j]))
    p.write("defaults:\n  health: { timeout: 2s, retries: 1 }\n"
            "domains:\n")
    for d in names:
        p.write("  %s: { registry: main, primary: a, backups: [ b ] }\n"
                % d)
PY

# NSD (and everything this script starts from now on) on core 0.
taskset -p -c 0 $$ >/dev/null
mapfile -t zones <"$T/zones.list"
start=$(date +%s%N)
if nsf_dig_ok "${ADDRS[0]}" d000000.bench 2>/dev/null; then
	echo "probe bench: something already answers on ${ADDRS[0]}"
	exit 1
fi
nsf_start_nsd nsd "$(IFS=,; echo "${ADDRS[*]}")" "${zones[@]}" || exit 1
wait_for 120 nsf_dig_ok "${ADDRS[3]}" "d$(printf %06d $((N - 1))).bench" ||
    { echo "probe bench: NSD did not load $N zones"; exit 1; }
kill -0 "$NSD_PID_nsd" || { echo "probe bench: NSD exited"; exit 1; }
echo "nsd: $N zones loaded in $((($(date +%s%N) - start) / 1000000)) ms," \
    "on 4 addresses, core 0"

median() {
	sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# One run of each client, prober first; rates appended to FILE.p and
# FILE.d.  The prober: SOA only, no rate limit, core 1.
run_pair() {
	local q=$1 out=$2 i=$3
	/usr/bin/time -f '%M' -o "$out.rss" taskset -c 1 "$NSF" probe \
	    --policy "$T/policy.yaml" --format summary --queries soa \
	    --rate 1000000000 --max-inflight "$q" \
	    >"$out.probe.$i" 2>"$out.probe.err"
	sed -n 's/.*rate_qps \([0-9.]*\).*/\1/p' "$out.probe.$i" >>"$out.p"
	taskset -c 1 dnsperf -s "${ADDRS[0]}" -d "$T/queries" -n 4 -c 1 \
	    -T 1 -q "$q" -t 2 >"$out.dnsperf.$i" 2>&1
	sed -n 's/.*Queries per second: *\([0-9.]*\).*/\1/p' \
	    "$out.dnsperf.$i" >>"$out.d"
}

median() {
	sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

printf '%-36s %10s %10s %7s\n' "SOA queries/s, median of $RUNS" prober \
    dnsperf ratio
for q in $INFLIGHT; do
	for i in $(seq "$RUNS"); do
		run_pair "$q" "$T/q$q" "$i"
	done
	p=$(median <"$T/q$q.p")
	d=$(median <"$T/q$q.d")
	awk -v q="$q" -v p="${p:-0}" -v d="${d:-0}" 'BEGIN {
		printf "%-36s %10.0f %10.0f %7.2f\n",
		    "  " q " queries in flight", p, d, (d > 0 ? p / d : 0) }'
	last=$T/q$q.probe.$RUNS
	lost=$(grep -h 'Queries lost' "$T/q$q".dnsperf.* |
	    sed 's/.*lost: *\([0-9]*\).*/\1/' | paste -sd+ | bc)
	notok=$(grep -hv '^results ok 40000$' "$T/q$q".probe.* |
	    grep -c '^results') || true
	echo "    prober runs not all ok: $notok; dnsperf queries lost:" \
	    "${lost:-?}"
done
echo "target: the prober at least 0.80 of dnsperf"
echo "last prober run: $(sed -n 1p "$last")"
sed -n 's/.*bytes_per_domain \([0-9]*\) peak_per_domain \([0-9]*\).*/\1 \2/p' \
    "$last" | while read -r kept peak; do
	echo "prober memory: $kept bytes a domain kept after the round," \
	    "$peak at its peak"
done
echo "nsfailover probe max RSS: $(($(cat "$T/q$q.rss") / 1024)) MiB" \
    "(the policy of $N domains, one round, the report)"
