#!/usr/bin/env bash
# scenario.sh - interprets one integration scenario (tests/scenarios/
# NAME.scenario) against the real lab parts of examples/lab/lib.sh.
#
#   bash tests/lib/scenario.sh FILE NET     run it on NET.0/24 (127.0.7X)
#   bash tests/lib/scenario.sh --check FILE parse only; print errors
#
# The language is one command a line; docs/lab.md is its reference.  A
# scenario stops at the first expectation that does not hold and exits 1;
# every step is narrated with the time since the start.  Errors in the file
# are reported as FILE:LINE: message before anything is started.
set -u

sc_mode=run
if [ "${1:-}" = --check ]; then
	sc_mode=check
	shift
fi
SC_FILE=$1
SC_NET=${2:-127.0.70}

if [ "$sc_mode" = run ]; then
	here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
	# shellcheck source=common.sh
	. "$here/common.sh"
	# shellcheck source=dns.sh
	. "$here/dns.sh"
	# shellcheck source=../../examples/lab/lib.sh
	. "$here/../../examples/lab/lib.sh"
else
	declare -gA LAB_POL=()
fi

SC_LINE=0
SC_T0=$(date +%s.%N)
SC_LAB_DONE=0
SC_STARTED=0            # the controller has been started once
SC_ERRORS=0

# ---------------------------------------------------------------------
# Reading the file.

# _sc_tokenize LINE: splits on blanks; "double quotes" group words, \"
# inside them is a quote.  Sets SC_TOK.  Fails on an open quote.
_sc_tokenize() {
	local s=$1 tok="" c i inq=0 has=0
	SC_TOK=()
	for ((i = 0; i < ${#s}; i++)); do
		c=${s:i:1}
		if ((inq)); then
			if [ "$c" = '\' ] && [ "${s:i+1:1}" = '"' ]; then
				tok+='"'
				i=$((i + 1))
			elif [ "$c" = '"' ]; then
				inq=0
			else
				tok+=$c
			fi
		elif [ "$c" = '"' ]; then
			inq=1
			has=1
		elif [ "$c" = ' ' ] || [ "$c" = $'\t' ]; then
			if ((has)); then
				SC_TOK+=("$tok")
			fi
			tok="" has=0
		else
			tok+=$c
			has=1
		fi
	done
	((inq)) && return 1
	((has)) && SC_TOK+=("$tok")
	return 0
}

# Reports a problem with the current line of the file.
_sc_error() {
	echo "$SC_FILE:$SC_LINE: error: $*" >&2
	SC_ERRORS=$((SC_ERRORS + 1))
	return 1
}

# _sc_ms DURATION: milliseconds from "500ms", "10s", "2m".
_sc_ms() {
	case "$1" in
	*ms) [[ ${1%ms} =~ ^[0-9]+$ ]] && echo "${1%ms}" ;;
	*s) [[ ${1%s} =~ ^[0-9]+$ ]] && echo $(( ${1%s} * 1000 )) ;;
	*m) [[ ${1%m} =~ ^[0-9]+$ ]] && echo $(( ${1%m} * 60000 )) ;;
	*) return 1 ;;
	esac
}

_sc_need_duration() {
	_sc_ms "$1" >/dev/null ||
	    _sc_error "'$1' is not a duration (write 500ms, 10s or 2m)"
}

_sc_need_provider() {
	case "${1:-}" in
	a | b) ;;
	*) _sc_error "no provider '${1:-}' (the lab has a and b)" ;;
	esac
}

_sc_need_domain() {
	[[ ${1:-} =~ ^[a-z0-9.-]+\.test$ ]] ||
	    _sc_error "'${1:-}' is not a lab domain (NAME.test)"
}

_sc_need_group() {
	[[ ${1:-} =~ ^(provider-[ab](\+provider-[ab])*|none)$ ]] ||
	    _sc_error "'${1:-}' is not a group (provider-a, provider-b," \
	    "provider-a+provider-b or none)"
}

_sc_need_count() {
	[[ ${1:-} =~ ^(=|>=|<=)[0-9]+$ ]] ||
	    _sc_error "'${1:-}' is not a count (=N, >=N or <=N)"
}

# ---------------------------------------------------------------------
# Narration and timing.

_sc_now() {
	awk -v a="$SC_T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%5.1f", b - a }'
}

_sc_say() {
	echo "# [$(_sc_now)s] $*"
}

_sc_fail() {
	echo "# [$(_sc_now)s] FAILED at $SC_FILE:$SC_LINE: $*"
	_nsf_failed=1           # common.sh keeps the scratch directory
	echo "# scratch directory: $T"
	if [ "$sc_mode" = run ] && [ -s "${LAB_CONTROLLER_LOG:-/dev/null}" ]
	then
		_sc_show_log
	fi
	exit 1
}

# A sanitizer's report says more than the log's last lines (which are
# its shadow-byte legend): show the report's head, else the tail.
SC_SANITIZER_RE='ERROR: (Address|Leak)Sanitizer|runtime error:'
_sc_show_log() {
	local first
	first=$(grep -En -m 1 -- "$SC_SANITIZER_RE" "$LAB_CONTROLLER_LOG" |
	    cut -d: -f1)
	if [ -n "$first" ]; then
		echo "# the controller's sanitizer report (log line $first):"
		sed -n "$((first > 4 ? first - 4 : 1)),$((first + 30))p" \
		    "$LAB_CONTROLLER_LOG" | sed 's/^/#   | /'
	else
		echo "# last controller log lines:"
		tail -n 25 "$LAB_CONTROLLER_LOG" | sed 's/^/#   | /'
	fi
}

# ---------------------------------------------------------------------
# Verbs.  Each is called with SC_TOK's words after the verb, in check mode
# (validate the words only) or run mode.

# lab [epp=D,D] [update=D,D] [locked=D,D] [serial=N]
sc_lab() {
	local kv epp="example.test" upd="" locked=""
	[ "$SC_LAB_DONE" = 0 ] || _sc_error "a second 'lab' line" || return
	for kv in "$@"; do
		case "$kv" in
		epp=*) epp=${kv#epp=} ;;
		update=*) upd=${kv#update=} ;;
		locked=*) locked=${kv#locked=} ;;
		serial=*) LAB_SERIAL=${kv#serial=} ;;
		*) _sc_error "lab takes epp=DOMAINS update=DOMAINS" \
		    "locked=DOMAINS serial=N, not '$kv'"; return ;;
		esac
	done
	for kv in ${epp//,/ } ${upd//,/ } ${locked//,/ }; do
		_sc_need_domain "$kv" || return
	done
	SC_LAB_DONE=1
	[ "$sc_mode" = run ] || return 0
	LAB_EPP_DOMAINS=${epp//,/ } LAB_UPDATE_DOMAINS=${upd//,/ }
	LAB_LOCKED=$locked
	lab_init "$SC_NET" || _sc_fail "could not prepare the lab"
	lab_start_all || _sc_fail "the lab did not start"
	_sc_say "lab up on $SC_NET.0/24: epp [${LAB_EPP_DOMAINS}]" \
	    "update [${LAB_UPDATE_DOMAINS}]"
}

_SC_POLICY_KEYS=" primary backups interval timeout fail_after"
_SC_POLICY_KEYS+=" recover_after hold_down failback flap_max flap_window"
_SC_POLICY_KEYS+=" readiness mode "

# policy [DOMAIN:]KEY=VALUE...
sc_policy() {
	local kv key
	[ $# -gt 0 ] || _sc_error "policy needs KEY=VALUE settings" || return
	for kv in "$@"; do
		key=${kv%%=*}
		[[ $kv == *=* ]] || _sc_error "'$kv' is not KEY=VALUE" || return
		if [[ $key == *:* ]]; then
			_sc_need_domain "${key%%:*}" || return
			key=${key#*:}
		fi
		[[ $_SC_POLICY_KEYS == *" $key "* ]] ||
		    _sc_error "unknown policy setting '$key' (one of" \
		    "$(echo $_SC_POLICY_KEYS))" || return
	done
	[ "$sc_mode" = run ] || return 0
	for kv in "$@"; do
		key=${kv%%=*}
		lab_policy_set "${key/:/.}=${kv#*=}"
	done
}

# commit policy [MESSAGE] | commit invalid-policy [MESSAGE]
sc_commit() {
	local what=${1:-} msg=${2:-"scenario: policy change"} id
	case "$what" in
	policy | invalid-policy) ;;
	*) _sc_error "commit takes 'policy' or 'invalid-policy'"; return ;;
	esac
	[ $# -le 2 ] || _sc_error "commit $what takes one \"message\"" ||
	    return
	[ "$sc_mode" = run ] || return 0
	if [ "$what" = policy ]; then
		id=$(lab_policy_commit "$msg") || _sc_fail "commit failed"
	else
		id=$(lab_policy_commit_invalid "$msg") ||
		    _sc_fail "commit failed"
	fi
	SC_LAST_COMMIT=$id
	_sc_say "committed $what ${id:0:12}"
}

# start|stop|drop|stale|fresh provider P / canary / controller
_sc_target() {
	local verb=$1
	shift
	case "${1:-}" in
	provider) _sc_need_provider "${2:-}" || return ;;
	canary) [ $# -eq 1 ] || _sc_error "$verb canary takes nothing" ||
	    return ;;
	controller)
		case "$verb" in
		start | restart) ;;
		stop | kill) [ $# -eq 1 ] ||
		    _sc_error "$verb controller takes nothing" || return ;;
		*) _sc_error "cannot $verb the controller"; return ;;
		esac
		;;
	*) _sc_error "$verb what? (provider a|b, canary, controller)";
	   return ;;
	esac
}

sc_start() {
	_sc_target start "$@" || return
	if [ "${1:-}" = controller ]; then
		shift
		_sc_env_words "$@" || return
		[ "$sc_mode" = run ] || return 0
		_sc_start_controller "$@"
		return
	fi
	[ "$sc_mode" = run ] || return 0
	case "$1" in
	provider) lab_start_provider "$2" ||
	    _sc_fail "provider $2 did not start" ;;
	canary) lab_start_canary || _sc_fail "the canary did not start" ;;
	esac
}

sc_restart() {
	[ "${1:-}" = controller ] ||
	    _sc_error "only the controller is restarted" || return
	shift
	_sc_env_words "$@" || return
	[ "$sc_mode" = run ] || return 0
	SC_ALIVE=0
	lab_stop_controller
	_sc_start_controller "$@"
}

_sc_env_words() {
	local kv
	for kv in "$@"; do
		[[ $kv =~ ^NSF_[A-Z_]+=.*$ ]] ||
		    _sc_error "'$kv' is not NSF_NAME=VALUE" || return
	done
}

# SC_ALIVE is 1 while the controller should be running: started without
# NSF_TEST_CRASH_AT and not stopped or killed by the scenario.  An
# expectation fails at once when it dies then, instead of timing out.
SC_ALIVE=0

_sc_start_controller() {
	SC_ALIVE=1
	[[ " $* " == *" NSF_TEST_CRASH_AT="* ]] && SC_ALIVE=0
	if [ "$SC_STARTED" = 0 ]; then
		# The settings given before the start are the first policy.
		lab_policy_commit "scenario: first policy" >/dev/null ||
		    _sc_fail "could not commit the policy"
	fi
	SC_STARTED=1
	lab_start_controller "$@"
	_sc_say "controller started (pid $LAB_CONTROLLER_PID) $*"
}

sc_stop() {
	_sc_target stop "$@" || return
	[ "$sc_mode" = run ] || return 0
	case "$1" in
	provider) lab_stop_provider "$2" ;;
	canary) lab_stop_canary ;;
	controller) SC_ALIVE=0; lab_stop_controller ;;
	esac
}

sc_kill() {
	_sc_target kill "$@" || return
	[ "$sc_mode" = run ] || return 0
	SC_ALIVE=0
	lab_kill_controller
}

# drop provider P | drop canary: stop answering, keep taking packets.
sc_drop() {
	_sc_target drop "$@" || return
	[ "$1" != controller ] || _sc_error "cannot drop the controller" ||
	    return
	[ "$sc_mode" = run ] || return 0
	case "$1" in
	provider) lab_drop_provider "$2" || _sc_fail "blackhole failed" ;;
	canary) lab_drop_canary || _sc_fail "blackhole failed" ;;
	esac
}

# stale provider P [behind=N]: serve every zone N serials (default 1)
# behind the others.  fresh provider P: back to the lab's serial.
sc_stale() {
	local behind=1
	[ "${1:-}" = provider ] || _sc_error "stale provider a|b" || return
	_sc_need_provider "${2:-}" || return
	case "${3:-}" in
	"") ;;
	behind=*) behind=${3#behind=}
	   [[ $behind =~ ^[0-9]+$ ]] || _sc_error "behind=N" || return ;;
	*) _sc_error "stale provider P takes behind=N"; return ;;
	esac
	[ "$sc_mode" = run ] || return 0
	lab_provider_serial "$2" $((LAB_SERIAL - behind)) ||
	    _sc_fail "could not make provider $2 stale"
	_sc_say "provider $2 now serves serial $((LAB_SERIAL - behind))"
}

sc_fresh() {
	[ "${1:-}" = provider ] || _sc_error "fresh provider a|b" || return
	_sc_need_provider "${2:-}" || return
	[ "$sc_mode" = run ] || return 0
	lab_provider_serial "$2" "$LAB_SERIAL" ||
	    _sc_fail "could not refresh provider $2"
}

# registry fault KIND [domain=D] [count=N] [seconds=S]
_SC_FAULTS=" 2400 2502 drop-after-apply pending delay "
sc_registry() {
	local kv
	[ "${1:-}" = fault ] || _sc_error "registry fault KIND ..." || return
	shift
	[[ $_SC_FAULTS == *" ${1:-} "* ]] ||
	    _sc_error "unknown fault '${1:-}' (one of" \
	    "$(echo $_SC_FAULTS))" || return
	for kv in "${@:2}"; do
		case "$kv" in
		domain=*) _sc_need_domain "${kv#domain=}" || return ;;
		count=* | seconds=*) [[ ${kv#*=} =~ ^[0-9]+$ ]] ||
		    _sc_error "'$kv': a whole number" || return ;;
		*) _sc_error "fault takes domain=D count=N seconds=S"
		   return ;;
		esac
	done
	[ "$sc_mode" = run ] || return 0
	lab_registry_fault "$@" || _sc_fail "could not inject the fault"
}

# manual parent-ns DOMAIN = GROUP: a change made at the parent behind the
# controller's back (drift), with one TSIG-signed UPDATE.
sc_manual() {
	[ "${1:-}" = parent-ns ] && [ "${3:-}" = = ] && [ $# -eq 4 ] ||
	    _sc_error "manual parent-ns DOMAIN = GROUP" || return
	_sc_need_domain "$2" || return
	_sc_need_group "$4" || return
	[ "$sc_mode" = run ] || return 0
	lab_parent_set_ns "$2" "$4" || _sc_fail "the parent refused the UPDATE"
}

# wait DURATION
sc_wait() {
	[ $# -eq 1 ] || _sc_error "wait DURATION" || return
	_sc_need_duration "$1" || return
	[ "$sc_mode" = run ] || return 0
	sleep "$(awk -v m="$(_sc_ms "$1")" 'BEGIN { print m / 1000 }')"
}

# ---------------------------------------------------------------------
# expect SUBJECT ... [within DURATION | for DURATION]

# _sc_cmp ACTUAL OPN: OPN is "=N", ">=N" or "<=N".
_sc_cmp() {
	local a=$1 op=${2%%[0-9]*} n=${2##*[!0-9]}
	case "$op" in
	=) [ "$a" -eq "$n" ] ;;
	'>=') [ "$a" -ge "$n" ] ;;
	'<=') [ "$a" -le "$n" ] ;;
	esac
}

# Each predicate checks its words (check mode) or tests once and leaves
# what it saw in SC_GOT (run mode).
_sc_p_parent_ns() {
	[ $# -eq 3 ] && [[ $2 == = || $2 == != ]] ||
	    _sc_error "parent-ns DOMAIN = GROUP" || return 2
	_sc_need_domain "$1" || return 2
	_sc_need_group "$3" || return 2
	[ "$sc_mode" = run ] || return 0
	SC_GOT=$(lab_parent_group "$1")
	if [ "$2" = = ]; then
		[ "$SC_GOT" = "$3" ]
	else
		[ "$SC_GOT" != "$3" ]
	fi
}

_sc_p_registry_ns() {
	[ $# -eq 3 ] && [ "$2" = = ] ||
	    _sc_error "registry-ns DOMAIN = GROUP" || return 2
	_sc_need_domain "$1" || return 2
	_sc_need_group "$3" || return 2
	[ "$sc_mode" = run ] || return 0
	SC_GOT=$(lab_group_of "$(lab_registry_ns "$1")")
	[ "$SC_GOT" = "$3" ]
}

# registry-updates DOMAIN =N: domain:update commands the registry received
# for DOMAIN (a change sent blindly twice shows here); registry-applied
# DOMAIN =N: those it carried out.
_sc_p_registry_updates() {
	_sc_registry_count received "$@"
}

_sc_p_registry_applied() {
	_sc_registry_count applied "$@"
}

_sc_registry_count() {
	local kind=$1
	shift
	[ $# -eq 2 ] || _sc_error "registry-updates|registry-applied" \
	    "DOMAIN =N" || return 2
	_sc_need_domain "$1" || return 2
	_sc_need_count "$2" || return 2
	[ "$sc_mode" = run ] || return 0
	SC_GOT=$(lab_registry_updates "$1" "$kind")
	_sc_cmp "${SC_GOT:-0}" "$2"
}

# registry-readback DOMAIN [failed=N]: every refused or dropped update
# was followed by a read of the domain before any other update (and N of
# them failed).
_sc_p_registry_readback() {
	[ $# -ge 1 ] && [ $# -le 2 ] &&
	    [[ ${2:-failed=0} =~ ^failed=[0-9]+$ ]] ||
	    _sc_error "registry-readback DOMAIN [failed=N]" || return 2
	_sc_need_domain "$1" || return 2
	[ "$sc_mode" = run ] || return 0
	SC_GOT=$(lab_registry_readback "$1")
	[[ $SC_GOT == "ok ("* ]] || return 1
	[ $# -lt 2 ] || [[ $SC_GOT == "ok (${2#failed=} failed"* ]]
}

_sc_p_registry_status() {
	[ $# -eq 2 ] || _sc_error "registry-status DOMAIN STATUS" || return 2
	_sc_need_domain "$1" || return 2
	[ "$sc_mode" = run ] || return 0
	SC_GOT=$(lab_registry_statuses "$1")
	[[ " $SC_GOT " == *" $2 "* ]]
}

# history DOMAIN [action=A] [count=OPN] | history DOMAIN complete |
# history DOMAIN actions=A,B,...  (exactly these records, oldest first)
_sc_p_history() {
	local d=${1:-} action="" count=">=1" kv n
	_sc_need_domain "$d" || return 2
	shift
	if [ "${1:-}" = complete ]; then
		[ $# -eq 1 ] || _sc_error "history DOMAIN complete" || return 2
		[ "$sc_mode" = run ] || return 0
		local open lost
		open=$(lab_history_open "$d")
		lost=$(lab_history_lost "$d")
		SC_GOT="$open intent(s) without an outcome, $lost logged"
		SC_GOT+=" as committed but not on the state branch"
		[ "$open" = 0 ] && [ "$lost" = 0 ]
		return
	fi
	if [[ ${1:-} == actions=* ]]; then
		[ $# -eq 1 ] && [[ $1 =~ ^actions=[a-z-]+(,[a-z-]+)*$ ]] ||
		    _sc_error "history DOMAIN actions=A,B,..." || return 2
		[ "$sc_mode" = run ] || return 0
		SC_GOT=$(lab_history "$d" | awk '{ print $1 }' | paste -sd,)
		SC_GOT=actions=$SC_GOT
		[ "$SC_GOT" = "$1" ]
		return
	fi
	for kv in "$@"; do
		case "$kv" in
		action=*) action=${kv#action=} ;;
		count*) count=${kv#count}
		    _sc_need_count "$count" || return 2 ;;
		*) _sc_error "history DOMAIN [action=A] [count=N]"; return 2 ;;
		esac
	done
	[ "$sc_mode" = run ] || return 0
	n=$(lab_history "$d" | awk -v a="$action" \
	    'a == "" || $1 == a { n++ } END { print n + 0 }')
	SC_GOT="$n record(s)$([ -n "$action" ] && echo " with action $action"):"
	SC_GOT+=" $(lab_history "$d" | tr '\n' ' ')"
	_sc_cmp "$n" "$count"
}

# log "REGEX" [count=OPN] | no-log "REGEX"
_sc_p_log() {
	local re=${1:-} count=">=1" n
	[ -n "$re" ] || _sc_error "log \"REGEX\" [count=N]" || return 2
	if [ $# -eq 2 ]; then
		count=${2#count}
		_sc_need_count "$count" || return 2
	elif [ $# -gt 2 ]; then
		_sc_error "log \"REGEX\" [count=N]"
		return 2
	fi
	[ "$sc_mode" = run ] || return 0
	n=$(grep -Ec -- "$re" "$LAB_CONTROLLER_LOG")
	SC_GOT="$n matching line(s)"
	_sc_cmp "$n" "$count"
}

_sc_p_no_log() {
	[ $# -eq 1 ] || _sc_error "no-log \"REGEX\"" || return 2
	[ "$sc_mode" = run ] || return 0
	SC_GOT=$(grep -E -m 3 -- "$1" "$LAB_CONTROLLER_LOG" | tr '\n' ' ')
	[ -z "$SC_GOT" ]
}

# plan exit=N ["REGEX"]: one `nsfailover plan` over the lab.
_sc_p_plan() {
	local code=${1#exit=} rc
	[[ ${1:-} =~ ^exit=[0-9]+$ ]] && [ $# -le 2 ] ||
	    _sc_error "plan exit=N [\"REGEX\"]" || return 2
	[ "$sc_mode" = run ] || return 0
	"$NSF" plan --config "$LAB_CONFIG" >"$LAB_DIR/plan.out" 2>&1
	rc=$?
	SC_GOT="exit $rc: $(head -c 600 "$LAB_DIR/plan.out" | tr '\n' ' ')"
	[ "$rc" = "$code" ] || return 1
	[ $# -lt 2 ] || grep -Eq -- "$2" "$LAB_DIR/plan.out"
}

# status "REGEX": `nsfailover status` prints a line matching REGEX.
_sc_p_status() {
	[ $# -eq 1 ] || _sc_error "status \"REGEX\"" || return 2
	[ "$sc_mode" = run ] || return 0
	"$NSF" status --config "$LAB_CONFIG" >"$LAB_DIR/status.out" 2>&1
	SC_GOT=$(head -c 600 "$LAB_DIR/status.out" | tr '\n' ' ')
	grep -Eq -- "$1" "$LAB_DIR/status.out"
}

# controller running | controller exited
_sc_p_controller() {
	[ $# -eq 1 ] && [[ $1 == running || $1 == exited ]] ||
	    _sc_error "controller running|exited" || return 2
	[ "$sc_mode" = run ] || return 0
	if lab_controller_running; then
		SC_GOT=running
	else
		SC_GOT=exited
		wait "$LAB_CONTROLLER_PID" 2>/dev/null
	fi
	[ "$SC_GOT" = "$1" ]
}

# parent-serial =OPN: the parent zone's serial, to see UPDATEs happen.
_sc_p_parent_serial() {
	[ $# -eq 1 ] || _sc_error "parent-serial =N" || return 2
	_sc_need_count "$1" || return 2
	[ "$sc_mode" = run ] || return 0
	SC_GOT=$(lab_parent_serial)
	_sc_cmp "${SC_GOT:-0}" "$1"
}

sc_expect() {
	local n=$# mode=once limit=0 subject fn how=""
	if [ $n -ge 2 ] && [[ ${*: -2:1} == within || ${*: -2:1} == for ]]
	then
		mode=${*: -2:1}
		_sc_need_duration "${*: -1}" || return
		limit=$(_sc_ms "${*: -1}")
		how=" $mode ${*: -1}"
		set -- "${@:1:n-2}"
	fi
	subject=${1:-}
	shift
	fn=_sc_p_${subject//-/_}
	declare -F "$fn" >/dev/null || _sc_error "expect what? '$subject'" \
	    "(parent-ns, registry-ns, registry-updates, registry-applied," \
	    "registry-status, registry-readback," \
	    "history, log, no-log, plan, status, controller," \
	    "parent-serial)" || return
	if [ "$sc_mode" = check ]; then
		"$fn" "$@"
		[ $? -ne 2 ] || return 1
		return 0
	fi
	_sc_poll "$mode" "$limit" "$fn" "$@" ||
	    _sc_fail "expect $subject $*$how: got ${SC_GOT:-(nothing)}"
}

# _sc_poll once|within|for MS FN ARGS...: tests FN once, until it holds
# (within), or all along (for); polls four times a second.
_sc_poll() {
	local mode=$1 limit=$2 fn=$3 end
	shift 3
	end=$(( $(date +%s%3N) + limit ))
	while :; do
		SC_GOT=""
		_sc_check_alive
		if "$fn" "$@"; then
			[ "$mode" = for ] || return 0
		else
			[ "$mode" = within ] || return 1
		fi
		[ "$(date +%s%3N)" -lt "$end" ] || break
		sleep 0.25
	done
	[ "$mode" = for ]
}

_sc_check_alive() {
	[ "$SC_ALIVE" = 1 ] && ! lab_controller_running || return 0
	SC_ALIVE=0
	wait "$LAB_CONTROLLER_PID" 2>/dev/null
	_sc_fail "the controller exited (status $?) while the scenario" \
	    "expected it to run"
}

# _sc_finish: after the last line, the controller must still run, stop on
# SIGTERM with status 0, and its log (every run) must hold no sanitizer
# report: a use-after-free or leak is a failure even when the delegation
# ended up right.
_sc_finish() {
	local rc
	SC_LINE=end
	_sc_check_alive
	if lab_controller_running; then
		SC_ALIVE=0
		kill -TERM "$LAB_CONTROLLER_PID"
		wait "$LAB_CONTROLLER_PID" 2>/dev/null
		rc=$?
		LAB_CONTROLLER_PID=""
		[ "$rc" = 0 ] ||
		    _sc_fail "the controller exited with status $rc on SIGTERM"
		_sc_say "the controller stopped on SIGTERM with status 0"
	fi
	! grep -Eq -- "$SC_SANITIZER_RE" "$LAB_CONTROLLER_LOG" ||
	    _sc_fail "the controller's log holds a sanitizer report"
}

# ---------------------------------------------------------------------

_sc_line() {
	local verb
	_sc_tokenize "$1" || { _sc_error "unterminated quote"; return; }
	[ ${#SC_TOK[@]} -gt 0 ] || return 0
	verb=${SC_TOK[0]}
	declare -F "sc_$verb" >/dev/null || _sc_error "unknown command" \
	    "'$verb' (lab, policy, commit, start, stop, restart, kill," \
	    "drop, stale, fresh, registry, manual, wait, expect)" || return
	if [ "$verb" != lab ] && [ "$SC_LAB_DONE" = 0 ]; then
		_sc_error "the first command must be 'lab'"
		return
	fi
	[ "$sc_mode" = check ] || _sc_say "$SC_LINE: $1"
	"sc_$verb" "${SC_TOK[@]:1}"
}

_sc_each_line() {
	local line
	SC_LINE=0
	while IFS= read -r line || [ -n "$line" ]; do
		SC_LINE=$((SC_LINE + 1))
		line=${line#"${line%%[![:space:]]*}"}
		case "$line" in
		"" | "#"*) continue ;;
		esac
		_sc_line "$line"
		if [ "$sc_mode" = run ] && [ "$SC_ERRORS" -gt 0 ]; then
			exit 1
		fi
	done <"$SC_FILE"
}

[ -r "$SC_FILE" ] || { echo "$SC_FILE: cannot read" >&2; exit 2; }
if [ "$sc_mode" = check ]; then
	_sc_each_line
	if [ "$SC_LAB_DONE" = 0 ] && [ "$SC_ERRORS" = 0 ]; then
		SC_LINE=1
		_sc_error "no 'lab' line"
	fi
	[ "$SC_ERRORS" = 0 ]
	exit
fi
_sc_each_line
_sc_finish
_sc_say "all expectations held"
exit 0
