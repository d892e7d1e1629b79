#!/usr/bin/env bash
# scenarios.sh - runs every integration scenario in tests/scenarios against
# the real lab parts; each scenario is one "ok" or "not ok" line.
#
#   bash tests/integration/scenarios.sh              all of them
#   bash tests/integration/scenarios.sh outage kill  those whose name
#                                                    contains a word
# NSF_SCENARIO_JOBS (default 2, at most 7) scenarios run at once; slot N uses
# 127.0.(70+N).0/24, so parallel scenarios never share an address.  A
# failing scenario prints its narrated steps and the controller's last log
# lines; NSF_KEEP=1 keeps every scratch directory.
set -u
cd "$(dirname "$0")/../.."
. tests/lib/common.sh

jobs=${NSF_SCENARIO_JOBS:-2}
[ "$jobs" -ge 1 ] && [ "$jobs" -le 7 ] || jobs=2
limit=${NSF_SCENARIO_TIMEOUT:-240}

files=()
for f in tests/scenarios/*.scenario; do
	[ -f "$f" ] || continue
	name=$(basename "$f" .scenario)
	if [ $# -gt 0 ]; then
		keep=0
		for w in "$@"; do
			case "$name" in *"$w"*) keep=1 ;; esac
		done
		[ "$keep" = 1 ] || continue
	fi
	files+=("$f")
done

# title FILE: the first comment line, the scenario's one-line summary.
title() {
	sed -n 's/^# *//p' "$1" | head -n 1
}

# Every file is checked before anything starts, so a typo costs seconds.
declare -A bad=()
for f in "${files[@]}"; do
	if ! bash tests/lib/scenario.sh --check "$f" >"$T/check.$$" 2>&1; then
		bad[$f]=$(cat "$T/check.$$")
	fi
done

# Without the daemon every scenario fails; without root (port 53) every
# one is skipped, as the other integration tests do.
no_run="" skip_all=""
if ! "$NSF" run --help >/dev/null 2>&1; then
	no_run="nsfailover run is not built"
fi
if [ "$(id -u)" -ne 0 ]; then
	skip_all="scenarios start DNS servers on port 53: run as root"
	no_run=${no_run:-$skip_all}
fi

# Runs the queue with up to $jobs scenarios at once.
declare -A pid_of=() slot_of=() rc_of=()
free=()
for ((s = 0; s < jobs; s++)); do
	free+=("$s")
done

start_one() {
	local f=$1 slot=${free[0]}
	free=("${free[@]:1}")
	TMPDIR=$T timeout --kill-after=10 "$limit" \
	    bash tests/lib/scenario.sh "$f" \
	    "127.0.$((70 + slot))" >"$T/$(basename "$f").log" 2>&1 &
	pid_of[$!]=$f
	slot_of[$!]=$slot
}

reap_one() {
	local pid rc
	wait -n -p pid "${!pid_of[@]}"
	rc=$?
	rc_of[${pid_of[$pid]}]=$rc
	free+=("${slot_of[$pid]}")
	unset "pid_of[$pid]" "slot_of[$pid]"
}

if [ -z "$no_run" ]; then
	for f in "${files[@]}"; do
		[ -z "${bad[$f]+x}" ] || continue
		while [ ${#free[@]} -eq 0 ]; do
			reap_one
		done
		start_one "$f"
	done
	while [ ${#pid_of[@]} -gt 0 ]; do
		reap_one
	done
fi

for f in "${files[@]}"; do
	name=$(basename "$f" .scenario)
	what="scenario $name: $(title "$f")"
	if [ -n "${bad[$f]+x}" ]; then
		not_ok "$what (the file has errors)"
		echo "${bad[$f]}" | sed 's/^/#   /'
	elif [ -n "$skip_all" ]; then
		skip "$what: $skip_all"
	elif [ -n "$no_run" ]; then
		not_ok "$what # $no_run"
	elif [ "${rc_of[$f]}" = 0 ]; then
		ok "$what"
	else
		not_ok "$what"
		[ "${rc_of[$f]}" = 124 ] &&
		    echo "#   timed out after ${limit}s"
		sed 's/^#/#  /' "$T/$name.scenario.log"
	fi
done
[ ${#files[@]} -gt 0 ] || not_ok "no scenario matches: $*"
[ "$_nsf_failed" = 0 ]
