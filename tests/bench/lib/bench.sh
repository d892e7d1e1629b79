# bench.sh - pieces shared by the lab benchmarks (tests/bench/lab_*.sh)
# and tested by tests/integration/bench_lib.sh: reading the controller's
# log, percentiles, peak memory of a process, and the servers and files a
# 100,000-domain controller needs.
#
# Source after tests/lib/common.sh and tests/lib/dns.sh.

# bench_epoch_ms: the time now in milliseconds since the epoch.
bench_epoch_ms() {
	date +%s%3N
}

# bench_acks LOG [SINCE_MS]: the registry acknowledgements in the
# controller's plain log, from SINCE_MS (epoch milliseconds) on, one a
# line: "EPOCH_MS DOMAIN ACTION MS_FROM_DECISION".  The line it reads is
#   TS notice registry [D] REGISTRY acknowledged ACTION (RESULT) in N ms
#   from the decision
# with TS in RFC 3339 UTC with milliseconds (2026-12-04T15:00:00.123Z).
bench_acks() {
	/usr/bin/python3 - "$1" "${2:-0}" <<'PY'
import datetime, re, sys
path, since = sys.argv[1], int(sys.argv[2])
pat = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?)Z \S+ registry "
                 r"\[([^\]]+)\] \S+ acknowledged (\S+) \(.*\) in (\d+) ms "
                 r"from the decision")
with open(path, errors="replace") as f:
    for line in f:
        m = pat.match(line)
        if not m:
            continue
        ts = datetime.datetime.fromisoformat(m.group(1)).replace(
            tzinfo=datetime.timezone.utc)
        ms = int(ts.timestamp() * 1000 + 0.5)
        if ms >= since:
            print(ms, m.group(2), m.group(3), m.group(4))
PY
}

# bench_log_ms LOG SINCE_MS REGEX: the epoch milliseconds of the plain log
# lines from SINCE_MS on whose text after the timestamp matches REGEX
# (Python syntax), one a line.
bench_log_ms() {
	/usr/bin/python3 - "$1" "$2" "$3" <<'PY'
import datetime, re, sys
path, since, pat = sys.argv[1], int(sys.argv[2]), re.compile(sys.argv[3])
with open(path, errors="replace") as f:
    for line in f:
        ts, _, rest = line.partition("Z ")
        try:
            t = datetime.datetime.fromisoformat(ts).replace(
                tzinfo=datetime.timezone.utc)
        except ValueError:
            continue
        ms = int(t.timestamp() * 1000 + 0.5)
        if ms >= since and pat.search(rest):
            print(ms)
PY
}

# bench_percentile P: the P-th percentile (nearest rank) of the numbers on
# standard input, one a line; prints nothing for no input.
bench_percentile() {
	sort -n | awk -v p="$1" '
	{ v[NR] = $1 }
	END {
		if (NR == 0) exit
		r = int(p / 100 * NR)
		if (r < p / 100 * NR) r++
		if (r < 1) r = 1
		print v[r]
	}'
}

# bench_summary: "n N, min A, p50 B, p99 C, max D" of the numbers on
# standard input ("n 0" for none).
bench_summary() {
	local f n
	f=$(mktemp "$T/summary.XXXXXX")
	cat >"$f"
	n=$(grep -c . "$f")
	if [ "$n" -eq 0 ]; then
		echo "n 0"
		return
	fi
	echo "n $n, min $(bench_percentile 0 <"$f")," \
	    "p50 $(bench_percentile 50 <"$f")," \
	    "p99 $(bench_percentile 99 <"$f")," \
	    "max $(bench_percentile 100 <"$f")"
}

# bench_peak_kb PID: the process's peak resident set size so far (VmHWM,
# kB); empty when the process is gone.
bench_peak_kb() {
	awk '/^VmHWM:/ { print $2 }' "/proc/$1/status" 2>/dev/null
}

# bench_time_peak_kb FILE: "Maximum resident set size" from the output of
# /usr/bin/time -v.
bench_time_peak_kb() {
	sed -n 's/.*Maximum resident set size (kbytes): //p' "$1"
}

# bench_mib KB: kilobytes as whole MiB.
bench_mib() {
	echo $(( ($1 + 512) / 1024 ))
}

# bench_refusing_servers NET: what a 100,000-domain policy from
# `examples/gen-policy --net NET` probes, cheaply: one NSD on the twelve
# provider addresses (NET.10-21) serving no zone of the policy, so every
# query gets an immediate REFUSED (the prober still sends, matches and
# classifies every query), and one NSD serving a root zone on the canary
# addresses (NET.8, NET.9), so the controller does not freeze.
bench_refusing_servers() {
	local net=$1 addrs
	nsf_zone_file "$T/root.zone" . 1 ns.canary
	sed -i 's/^\$ORIGIN \.\.$/$ORIGIN ./; s/hostmaster\.\.\./hostmaster./' \
	    "$T/root.zone"
	nsf_start_nsd bench-canary "$net.8,$net.9" ".=$T/root.zone" ||
	    return 1
	nsf_zone_file "$T/unrelated.zone" bench.invalid 1 ns.bench.invalid
	addrs=$(seq -s, -f "$net.%g" 10 21)
	nsf_start_nsd bench-providers "$addrs" \
	    "bench.invalid=$T/unrelated.zone"
}

# bench_start_parent NET POLICY: NSD on NET.2 serving the parent zones of
# bench_parent_zones for POLICY.
bench_start_parent() {
	mkdir -p "$T/parent-zones"
	bench_parent_zones "$2" "$T/parent-zones" "$1" || return 1
	nsf_start_nsd bench-parent "$1.2" \
	    "example=$T/parent-zones/example.zone" \
	    "example.net=$T/parent-zones/example.net.zone"
}

# bench_big_controller_files NET DIR DOMAINS: a policy repository with
# DOMAINS domains from examples/gen-policy, its secrets and a daemon
# configuration (DIR/nsfailover.yaml) that lets the prober send at full
# speed.  Both registries are the parent zones `example` and
# `example.net` on NET.2, changed by DNS UPDATE: reading a delegation
# back is one query (bench_parent_zones writes them).
bench_big_controller_files() {
	local net=$1 dir=$2 n=$3 work=$2/work
	mkdir -p "$dir"
	git init -q --bare "$dir/policy.git" || return 1
	git init -q "$work" || return 1
	/usr/bin/python3 "$NSF_ROOT/examples/gen-policy" -n "$n" --net "$net" \
	    "$work/policy" || return 1
	cat >"$work/policy/registries.yaml" <<YAML
# gen-policy's registries, moved to the benchmark's parent zones
registries:
  main:
    type: dns-update
    server: $net.2:53
    zone: example
    credentials: parent-tsig
  parent:
    type: dns-update
    server: $net.2:53
    zone: example.net
    credentials: parent-tsig
YAML
	git -C "$work" add -A policy &&
	git -C "$work" -c user.name=bench -c user.email=bench@nsf.invalid \
	    -c commit.gpgsign=false commit -q -m "bench: $n domains" &&
	git -C "$work" push -q "$dir/policy.git" HEAD:main || return 1
	(
		umask 077
		cat >"$dir/secrets.yaml" <<YAML
# nsfailover benchmark secrets (no registry is reached)
main:
  username: bench
  password: "bench-pw-1"
parent-tsig:
  tsig_name: bench-key
  tsig_algorithm: hmac-sha256
  tsig_secret: "$(openssl rand -base64 32)"
YAML
	)
	cat >"$dir/nsfailover.yaml" <<YAML
# nsfailover benchmark configuration: $n domains on $net.0/24
repository:
  url: $dir/policy.git
  branch: main
  path: policy
  fetch_interval: 1m
  state_branch: nsfailover/state
  push: false
cache_dir: $dir/cache
secrets: $dir/secrets.yaml
resolvers: [ "$net.8" ]
probe:
  max_rate_per_server: 100000
metrics:
  listen: "$net.3:9153"
log:
  format: plain
  level: notice
YAML
}

# bench_parent_zones POLICY DIR NET: the parent zones `example` and
# `example.net` (DIR/example.zone, DIR/example.net.zone) delegating every
# domain of the generated POLICY to its primary group, with the
# providers' glue, so the controller finds every delegation as wanted.
bench_parent_zones() {
	/usr/bin/python3 - "$1" "$2" "$3" <<'PY'
import os, re, sys
pol, out, net = sys.argv[1:4]
text = ""
for f in sorted(os.listdir(pol)):
    with open(os.path.join(pol, f)) as fh:
        text += fh.read()
servers = {}
for p, n, a in re.findall(r"name: (ns\d\.(provider-\d+)\.example), "
                          r"addresses: \[([0-9.]+)\]", text):
    servers.setdefault(n, []).append((p, a))
zones = {"example": [], "example.net": []}
for d, prim in re.findall(r"^  (d\d+\.example(?:\.net)?): \{[^}]*?"
                          r"primary: (\[[^\]]*\]|[\w-]+)", text, re.M):
    zone = "example.net" if d.endswith(".net") else "example"
    for g in prim.strip("[]").split(","):
        for ns, _ in servers[g.strip()]:
            zones[zone].append("%s. 300 IN NS %s." % (d, ns))
for zone, rrs in zones.items():
    with open(os.path.join(out, zone + ".zone"), "w") as fh:
        fh.write("$ORIGIN %s.\n$TTL 300\n" % zone)
        fh.write("@ IN SOA ns.%s. hostmaster.%s. 1 3600 600 86400 300\n"
                 % (zone, zone))
        fh.write("@ IN NS ns.%s.\nns IN A %s.2\n" % (zone, net))
        if zone == "example":
            for name in sorted(servers):
                for ns, a in servers[name]:
                    fh.write("%s. IN A %s\n" % (ns, a))
        fh.write("\n".join(rrs) + "\n")
PY
}
