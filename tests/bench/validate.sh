#!/usr/bin/env bash
# validate.sh - how long 'nsfailover validate' takes on 10,000 domains
# (target: well under 0.5 s) and its peak memory on 100,000.  Prints
# figures; never fails on a slow machine.
set -uo pipefail
cd "$(dirname "$0")/../.."
NSF=${NSF_BENCH_BIN:-./nsfailover}
T=$(mktemp -d "${TMPDIR:-/tmp}/nsfb.XXXXXX")
trap 'rm -rf "$T"' EXIT

/usr/bin/python3 examples/gen-policy -n 10000 "$T/p10k"
/usr/bin/python3 examples/gen-policy -n 100000 "$T/p100k"
if ! "$NSF" validate --quiet "$T/p10k"; then
	echo "validate: the generated policy is not valid"
	exit 1
fi

if command -v hyperfine >/dev/null 2>&1; then
	hyperfine --warmup 2 --runs 20 --style basic \
	    "$NSF validate --quiet $T/p10k"
else
	runs=20 best=0 total=0
	for i in $(seq $runs); do
		start=$(date +%s%N)
		"$NSF" validate --quiet "$T/p10k" >/dev/null
		ms=$(( ($(date +%s%N) - start) / 1000000 ))
		total=$((total + ms))
		if [ "$best" -eq 0 ] || [ "$ms" -lt "$best" ]; then
			best=$ms
		fi
	done
	echo "validate 10,000 domains: mean $((total / runs)) ms," \
	    "best $best ms over $runs runs (target < 500 ms)"
fi

for set in p10k p100k; do
	if [ -x /usr/bin/time ]; then
		/usr/bin/time -v "$NSF" validate --quiet "$T/$set" \
		    2>"$T/time.$set" >/dev/null
		kb=$(sed -n 's/.*Maximum resident set size (kbytes): //p' \
		    "$T/time.$set")
		wall=$(sed -n 's/.*Elapsed (wall clock) time.*: //p' \
		    "$T/time.$set")
		size=$(du -sk "$T/$set" | cut -f1)
		echo "validate $set: peak RSS $((kb / 1024)) MiB," \
		    "wall $wall, policy $((size / 1024)) MiB of YAML"
	else
		echo "validate $set: peak RSS not measured" \
		    "(/usr/bin/time missing: ci/install-deps installs 'time')"
	fi
done
