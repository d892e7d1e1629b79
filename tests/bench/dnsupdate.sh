#!/usr/bin/env bash
# dnsupdate.sh - what one DNS UPDATE change costs against a local Knot DNS
# parent: the driver's apply (reads before, the signed update, the read
# back) next to knsupdate sending the same change, one process per change
# for both.  Prints figures; never fails on a slow machine.
set -uo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/common.sh
source tests/lib/dns.sh
source tests/lib/dnsupdate.sh
DU_CLI=$NSF_ROOT/build/tools/registry_cli
N=${NSF_BENCH_UPDATES:-100}
ADDR=127.0.30.40
S=$ADDR:$NSF_DNS_PORT

if [ ! -x "$DU_CLI" ]; then
	echo "dnsupdate: $DU_CLI missing (make bench builds it)"
	exit 1
fi
SECRET=$(du_secret)
du_zone "$T/lab.zone"
if ! nsf_start_knot parent "$ADDR" --tsig "nsf-key:hmac-sha256:$SECRET" \
    "$DU_ZONE=$T/lab.zone" >/dev/null; then
	echo "dnsupdate: knot did not start"
	exit 1
fi
du_secrets "$T/secrets.yaml" parent nsf-key hmac-sha256 "$SECRET"
(umask 077; echo "hmac-sha256:nsf-key:$SECRET" >"$T/k.key")

ms_since() {
	echo $(( ($(date +%s%N) - $1) / 1000000 ))
}

# The driver: each change moves child.lab.test between two sets.
A=ns1.provider-a.test,ns2.provider-a.test
B=ns1.provider-b.test,ns2.provider-b.test
start=$(date +%s%N)
bad=0
for i in $(seq "$N"); do
	if [ $((i % 2)) = 1 ]; then from=$A to=$B; else from=$B to=$A; fi
	"$DU_CLI" --type dns-update --server "$S" --zone "$DU_ZONE" \
	    --credentials parent --secrets "$T/secrets.yaml" --timeout 10s \
	    --log-level error apply child.lab.test --observed "$from" \
	    --rem "${from%,*}" --rem "${from#*,}" --add "${to%,*}" \
	    --add "${to#*,}" >"$T/out.json" 2>/dev/null
	grep -q '"result": *"done"' "$T/out.json" || bad=$((bad + 1))
done
ours=$(ms_since "$start")

# knsupdate: the same change with the same prerequisite, no read-back.
start=$(date +%s%N)
for i in $(seq "$N"); do
	if [ $((i % 2)) = 1 ]; then from=$A to=$B; else from=$B to=$A; fi
	{
		echo "server $ADDR $NSF_DNS_PORT"
		echo "zone $DU_ZONE."
		for n in ${from//,/ }; do
			echo "prereq yxrrset child.lab.test. NS $n."
		done
		for n in ${from//,/ }; do
			echo "update delete child.lab.test. NS $n."
		done
		for n in ${to//,/ }; do
			echo "update add child.lab.test. 300 NS $n."
		done
		echo send
	} >"$T/k.txt"
	knsupdate -t 10 -k "$T/k.key" "$T/k.txt" >/dev/null 2>&1 ||
	    bad=$((bad + 1))
done
theirs=$(ms_since "$start")

echo "dnsupdate: $N changes against Knot, one process each:" \
    "registry_cli apply $((ours * 1000 / N)) us/change" \
    "(NS and DS read, signed update, NS, DS and SOA read back)," \
    "knsupdate $((theirs * 1000 / N)) us/change (update only)"
if [ "$bad" -gt 0 ]; then
	echo "dnsupdate: $bad of $((2 * N)) changes did not complete"
fi
