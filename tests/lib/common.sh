# common.sh - sourced by every integration scenario in tests/integration.
#
# Gives a scratch directory, TAP-style checks ("ok N - what" / "not ok N -
# what"), and process tracking: everything started with nsf_spawn or
# registered with nsf_track_pid is stopped by PID when the script exits,
# whether it passed, failed or was interrupted.  Servers listen only on
# 127.0.0.0/8 addresses; each scenario file uses its own 127.0.X.0/24 so
# scenarios never collide with each other or with packaged daemons.

set -u
NSF_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
NSF=${NSF:-$NSF_ROOT/build/t/nsfailover}
NSF_SHARED=${NSF_SHARED:-$NSF_ROOT/../shared}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}

T=$(mktemp -d "${TMPDIR:-/tmp}/nsft.XXXXXX")
chmod 755 "$T"
_nsf_pids=()
_nsf_n=0
_nsf_failed=0

nsf_track_pid() {
	_nsf_pids+=("$1")
}

# Runs a command in the background with its output in $T/NAME.log and
# tracks its PID; the PID is left in NSF_LAST_PID.
nsf_spawn() {
	local name=$1
	shift
	"$@" >"$T/$name.log" 2>&1 &
	NSF_LAST_PID=$!
	nsf_track_pid "$NSF_LAST_PID"
}

# Stops one tracked PID (TERM, then KILL after 5 s).
nsf_stop_pid() {
	local pid=$1 i
	kill -TERM "$pid" 2>/dev/null || return 0
	for i in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
}

_nsf_cleanup() {
	local i
	# A second Ctrl-C (or one that arrives as the script ends) must not
	# cut the cleanup short and leave servers running.
	trap '' INT TERM
	# Last started, first stopped: a client (a daemon under test) goes
	# before the servers it talks to, so it does not log their loss.
	for ((i = ${#_nsf_pids[@]} - 1; i >= 0; i--)); do
		nsf_stop_pid "${_nsf_pids[i]}"
	done
	if [ "${NSF_KEEP:-0}" = 1 ] || [ "$_nsf_failed" -ne 0 ]; then
		echo "# scratch directory kept: $T"
	else
		rm -rf "$T"
	fi
}
trap _nsf_cleanup EXIT
trap 'exit 130' INT TERM

ok() {
	_nsf_n=$((_nsf_n + 1))
	echo "ok $_nsf_n - $*"
}

not_ok() {
	_nsf_n=$((_nsf_n + 1))
	_nsf_failed=1
	echo "not ok $_nsf_n - $*"
}

skip() {
	_nsf_n=$((_nsf_n + 1))
	echo "ok $_nsf_n - # SKIP $*"
}

# check "what" command...: ok when the command succeeds.
check() {
	local what=$1
	shift
	if "$@" >"$T/check.out" 2>&1; then
		ok "$what"
	else
		not_ok "$what"
		sed 's/^/#   /' "$T/check.out" | head -n 40
	fi
}

# check_eq "what" expected actual
check_eq() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1"
		echo "#   expected: $2"
		echo "#   actual:   $3"
	fi
}

# check_grep "what" pattern file: ok when the extended regex is found.
check_grep() {
	if grep -Eq -- "$2" "$3"; then
		ok "$1"
	else
		not_ok "$1"
		echo "#   pattern '$2' not in $3:"
		sed 's/^/#   /' "$3" | head -n 40
	fi
}

check_no_grep() {
	if grep -Eq -- "$2" "$3"; then
		not_ok "$1"
		echo "#   pattern '$2' found in $3:"
		grep -En -- "$2" "$3" | sed 's/^/#   /' | head -n 20
	else
		ok "$1"
	fi
}

# wait_for SECONDS command...: polls every 0.1 s until the command succeeds.
wait_for() {
	local limit=$1 i
	shift
	for i in $(seq $((limit * 10))); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# need_shared: skips the whole scenario (with a reason) when ../shared is
# absent; it is beside developers' and CI's checkouts, not users'.
need_shared() {
	if [ ! -f "$NSF_SHARED/epp/xsd/epp-all.xsd" ]; then
		skip "EPP schemas not found at $NSF_SHARED/epp/xsd" \
		    "(set NSF_SHARED to the shared folder)"
		exit 0
	fi
}
