# epp.sh - sourced after common.sh (and dns.sh): a PKI, secrets, the EPP
# test registry (tests/epp-registry/registry.py) and the test client
# (build/t/tools/epp_client) for EPP scenarios.

# shellcheck source=certs.sh
. "$NSF_ROOT/tests/lib/certs.sh"

EPP_CLIENT=$NSF_ROOT/build/t/tools/epp_client
EPP_REGISTRY=$NSF_ROOT/tests/epp-registry/registry.py
# 12 characters with XML specials: must reach the registry escaped.
EPP_PW='s3cr&t<Pw-91'
EPP_OTHER_PW='other-pw-123'

# epp_pki ADDR: CA, server certificate for epp.registry.test and ADDR,
# client certificate; a second CA and a server certificate for another
# address for the failure cases.
epp_pki() {
	local pki=$T/pki
	nsf_cert_ca "$pki" ca
	nsf_cert_server "$pki" server ca "DNS:epp.registry.test,IP:$1"
	nsf_cert_client "$pki" client ca nsfo-test
	nsf_cert_ca "$pki" otherca
	nsf_cert_server "$pki" wrongname ca "DNS:other.registry.test,IP:127.0.20.99"
}

# epp_secrets FILE [PASSWORD] [no-cert]
epp_secrets() {
	local f=$1 pw=${2:-$EPP_PW}
	{
		echo "registry-main:"
		echo "  username: nsfo-test"
		echo "  password: '$pw'"
		if [ "${3:-}" != no-cert ]; then
			echo "  client_cert: $T/pki/client.pem"
			echo "  client_key: $T/pki/client.key"
		fi
	} >"$f"
	chmod 600 "$f"
}

# epp_start_registry NAME ADDR:PORT CONFIG [DNS-ADDR TSIG-FILE] [CERT]
epp_start_registry() {
	local name=$1 listen=$2 cfg=$3 dns=${4:-} tsig=${5:-}
	local cert=${6:-server} args=()
	if [ -n "$dns" ]; then
		args=(--dns-server "$dns" --dns-port "$NSF_DNS_PORT"
		    --zone test --tsig-file "$tsig")
	fi
	: >"$T/$name.faults"
	nsf_spawn "$name" /usr/bin/python3 "$EPP_REGISTRY" --config "$cfg" \
	    --listen "$listen" --cert "$T/pki/$cert.pem" \
	    --key "$T/pki/$cert.key" --ca "$T/pki/ca.pem" \
	    --schemas "$NSF_SHARED/epp/xsd/epp-all.xsd" \
	    --frame-log "$T/$name.frames" --faults "$T/$name.faults" \
	    "${args[@]}"
	wait_for 10 grep -q listening "$T/$name.log" || {
		echo "# registry $name did not start:"
		sed 's/^/#   /' "$T/$name.log"
		return 1
	}
}

# epp_run OUT ARGS...: runs the client with the scenario's defaults
# (EPP_ADDR, EPP_SECRETS, EPP_CA); JSON in $T/OUT.json, log in
# $T/OUT.clientlog, frames under $T/frames/.
epp_run() {
	local out=$1
	shift
	mkdir -p "$T/frames/$out"
	"$EPP_CLIENT" --server "$EPP_ADDR" --ca "${EPP_CA:-$T/pki/ca.pem}" \
	    --secrets "${EPP_SECRETS:-$T/secrets.yaml}" \
	    --credentials registry-main --timeout 10s \
	    --frames "$T/frames/$out" --log "$T/$out.clientlog" "$@" \
	    >"$T/$out.json" 2>>"$T/$out.clientlog"
}

# jget FILE EXPR: a value from a JSON file (EXPR is Python on `d`).
jget() {
	/usr/bin/python3 -c 'import json,sys
d = json.load(open(sys.argv[1]))
v = eval(sys.argv[2])
print(" ".join(v) if isinstance(v, list) else v)' "$1" "$2"
}

# epp_fault NAME JSON-LIST: faults the registry NAME uses next.
epp_fault() {
	printf '%s\n' "$2" >"$T/$1.faults"
}
