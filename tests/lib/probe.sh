# probe.sh - helpers for the prober's integration scenarios: policy
# files around real servers, the misbehaving answerer, and JSON queries.
# Source after common.sh and dns.sh.

NSF_ANSWERER="$NSF_ROOT/tests/lib/answerer.py"

# probe_policy_head FILE: the version and a registry every domain can
# name (an exec registry: `probe` never calls it).
probe_policy_head() {
	cat >"$1" <<'YAML'
version: 1
registries:
  main:
    type: exec
    command: [ /bin/true ]
    min_nameservers: 1
YAML
}

# probe_answerer NAME ADDRESS MODE ZONE SERIAL NS... : starts answerer.py
# on ADDRESS port 53 (port 0: the kernel picks; read it from
# $T/NAME.port).  NS names are written without the final dot.  Each
# query it reads is logged to $T/NAME.queries ("SECONDS NAME TYPE").
probe_answerer() {
	local name=$1 addr=$2 mode=$3 zone=$4 serial=$5 port=53 ns args=()
	shift 5
	case "$addr" in *:*) port=0 ;; esac
	for ns in "$@"; do
		args+=(--ns "$ns.")
	done
	nsf_spawn "$name" /usr/bin/python3 "$NSF_ANSWERER" --addr "$addr" \
	    --port "$port" --port-file "$T/$name.port" --mode "$mode" \
	    --log "$T/$name.queries" \
	    --zone "$zone." --serial "$serial" "${args[@]}"
	wait_for 10 test -s "$T/$name.port" || {
		echo "# answerer $name did not start:"
		sed 's/^/#   /' "$T/$name.log"
		return 1
	}
}

# jget FILE FILTER: one value from a JSON document (jq syntax, raw).
jget() {
	jq -r "$2" "$1"
}

# addr_field FILE DOMAIN ADDRESS FIELD: a field of one probed address.
addr_field() {
	jq -r --arg d "$2" --arg a "$3" \
	    ".domains[] | select(.domain == \$d) | .addresses[] |
	     select(.address == \$a) | $4" "$1"
}

# prov_field FILE DOMAIN PROVIDER FIELD: a field of one provider verdict.
prov_field() {
	jq -r --arg d "$2" --arg p "$3" \
	    ".domains[] | select(.domain == \$d) | .providers[] |
	     select(.provider == \$p) | $4" "$1"
}

# probe_resolver NAME ADDRESS TTL HOST=IPV4... : starts resolver.py, a
# stand-in recursive resolver, on ADDRESS port 53; the questions it reads
# go to $T/NAME.queries ("NAME TYPE" a line).
probe_resolver() {
	local name=$1 addr=$2 ttl=$3 h args=()
	shift 3
	for h in "$@"; do
		args+=(--host "$h")
	done
	nsf_spawn "$name" /usr/bin/python3 "$NSF_ROOT/tests/lib/resolver.py" \
	    --addr "$addr" --ttl "$ttl" --log "$T/$name.queries" "${args[@]}"
	wait_for 10 grep -q listening "$T/$name.log" || {
		echo "# resolver $name did not start:"
		sed 's/^/#   /' "$T/$name.log"
		return 1
	}
}

# probe_still_running NAME PID: a server that could not bind its address
# exits at once, yet the start helpers' wait succeeds when another run of
# the same scenario answers there; this tells the two apart.
probe_still_running() {
	sleep 0.3
	if ! kill -0 "$2" 2>/dev/null; then
		echo "# $1 exited: is another run using its addresses?"
		sed 's/^/#   /' "$T/$1.log" | tail -n 5
		return 1
	fi
}
