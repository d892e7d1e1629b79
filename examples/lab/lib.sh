# lib.sh - the parts of the local lab: a parent zone, an EPP registry,
# two DNS providers, a canary, a policy repository and the daemon's files.
#
# Sourced by examples/lab/run and by the integration scenarios, after
# tests/lib/common.sh and tests/lib/dns.sh (which give $T, PID tracking and
# the NSD/Knot starters).  Everything listens on one /24 of 127.0.0.0/8 that
# the caller picks with lab_init, so a lab and any number of scenarios run
# side by side.  docs/lab.md lists the addresses and how to poke at them.
#
# Every process is started through common.sh and stopped by PID when the
# caller exits.  Nothing here resolves a name through the system resolver:
# every kdig, knsupdate and git call has an explicit server or a local path.

LAB_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# lab_init NET [DIR]: sets the lab's addresses on NET.0/24 (for example
# 127.0.60) and its scratch directory (default $T/lab), and makes the
# secrets (TSIG keys, EPP password) and TLS certificates it needs.
lab_init() {
	LAB_NET=$1
	LAB_DIR=${2:-$T/lab}
	case "$LAB_NET" in
	127.*.*) ;;
	*) echo "lab: $LAB_NET is not inside 127.0.0.0/8" >&2; return 1 ;;
	esac
	LAB_PARENT=$LAB_NET.1           # Knot: the parent zone test.
	LAB_REGISTRY=$LAB_NET.2         # the EPP test registry
	LAB_EPP_PORT=${LAB_EPP_PORT:-700}
	LAB_METRICS=$LAB_NET.3:9153     # the controller's metrics endpoint
	LAB_CANARY=$LAB_NET.31          # a stand-in root server
	LAB_ZONE=test
	LAB_SERIAL=${LAB_SERIAL:-2026120401}
	# Domains the registry holds, and domains whose parent is changed by
	# RFC 2136 UPDATE straight from the controller.
	LAB_EPP_DOMAINS=${LAB_EPP_DOMAINS-"example.test shop.test"}
	LAB_UPDATE_DOMAINS=${LAB_UPDATE_DOMAINS:-}
	LAB_CONFIG=$LAB_DIR/nsfailover.yaml
	LAB_SECRETS=$LAB_DIR/secrets.yaml
	LAB_CONTROLLER_LOG=$LAB_DIR/controller.log
	LAB_CONTROLLER_PID=""
	mkdir -p "$LAB_DIR"
	: >"$LAB_CONTROLLER_LOG"
	lab_make_keys || return 1
	lab_make_certs || return 1
}

# lab_conflicts NET: the sockets already listening that would stop a lab
# on NET.0/24 from starting, one `ss` line each: anything on NET.*, and
# anything on a wildcard address (0.0.0.0, ::, *) at a port the lab uses
# (53, the EPP port, the metrics port 9153), such as a packaged DNS
# server.  Prints nothing when the lab can start.
lab_conflicts() {
	ss -Hlntu 2>/dev/null | awk -v net="$1." \
	    -v ports=" 53 ${LAB_EPP_PORT:-700} 9153 " '
	{
		local = $5
		port = local; sub(/.*:/, "", port)
		addr = substr(local, 1, length(local) - length(port) - 1)
		sub(/%.*/, "", addr)
		if (index(addr, net) == 1 ||
		    ((addr == "0.0.0.0" || addr == "*" || addr == "[::]") &&
		    index(ports, " " port " ")))
			print
	}'
}

# The nameserver addresses of a provider (a, b) and the name of its
# software.  Provider a runs NSD, provider b Knot DNS, as the issue asks.
lab_provider_addrs() {
	case "$1" in
	a) echo "$LAB_NET.11 $LAB_NET.12" ;;
	b) echo "$LAB_NET.21 $LAB_NET.22" ;;
	*) echo "lab: no provider '$1' (a or b)" >&2; return 1 ;;
	esac
}

lab_provider_names() {
	echo "ns1.provider-$1.test ns2.provider-$1.test"
}

lab_domains() {
	echo $LAB_EPP_DOMAINS $LAB_UPDATE_DOMAINS
}

# lab_make_keys: TSIG keys for the registry (which publishes into the
# parent) and for the controller (DNS UPDATE domains), and the EPP login.
lab_make_keys() {
	LAB_TSIG_REGISTRY="registry-key:hmac-sha256:$(openssl rand -base64 32)"
	LAB_TSIG_CONTROLLER="nsfailover-key:hmac-sha256:$(
	    openssl rand -base64 32)"
	LAB_EPP_USER=nsfo-lab
	# EPP passwords are 6 to 16 characters (epp-1.0.xsd).
	LAB_EPP_PASSWORD=$(openssl rand -hex 7)
}

# lab_make_certs: a throw-away CA, a server certificate for the registry's
# address and a client certificate for the controller, in $LAB_DIR/tls.
lab_make_certs() {
	local d=$LAB_DIR/tls
	mkdir -p "$d"
	(
		set -e
		cd "$d"
		openssl req -x509 -newkey rsa:2048 -nodes -days 2 \
		    -subj "/CN=nsfailover lab CA" -keyout ca.key -out ca.pem \
		    -addext basicConstraints=critical,CA:TRUE \
		    -addext keyUsage=critical,keyCertSign,cRLSign
		openssl req -newkey rsa:2048 -nodes -subj "/CN=$LAB_REGISTRY" \
		    -keyout server.key -out server.csr
		printf 'subjectAltName=IP:%s\nextendedKeyUsage=serverAuth\n' \
		    "$LAB_REGISTRY" >server.ext
		openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key \
		    -CAcreateserial -days 2 -extfile server.ext -out server.pem
		openssl req -newkey rsa:2048 -nodes -subj "/CN=$LAB_EPP_USER" \
		    -keyout client.key -out client.csr
		printf 'extendedKeyUsage=clientAuth\n' >client.ext
		openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key \
		    -CAcreateserial -days 2 -extfile client.ext -out client.pem
		chmod 600 ./*.key
	) >"$d/openssl.log" 2>&1 || {
		echo "lab: could not make TLS certificates:" >&2
		sed 's/^/  /' "$d/openssl.log" >&2
		return 1
	}
}

# lab_parent_zone FILE: the parent zone test. with the provider hosts'
# addresses (so names resolve without any outside resolver) and every lab
# domain delegated to provider a.
lab_parent_zone() {
	local file=$1 p n a d
	nsf_zone_file "$file" "$LAB_ZONE" 1 ns.test
	{
		echo "ns IN A $LAB_PARENT"
		echo "registry IN A $LAB_REGISTRY"
		for p in a b; do
			set -- $(lab_provider_addrs "$p")
			for n in 1 2; do
				a=${!n}
				echo "ns$n.provider-$p IN A $a"
			done
		done
		for d in $(lab_domains); do
			for n in $(lab_provider_names a); do
				echo "$d. IN NS $n."
			done
		done
	} >>"$file"
}

lab_start_parent() {
	mkdir -p "$LAB_DIR/zones"
	lab_parent_zone "$LAB_DIR/zones/parent.zone"
	nsf_start_knot parent "$LAB_PARENT" --tsig "$LAB_TSIG_REGISTRY" \
	    --tsig "$LAB_TSIG_CONTROLLER" "$LAB_ZONE=$LAB_DIR/zones/parent.zone"
}

# lab_provider_zone P DOMAIN SERIAL: provider P's copy of DOMAIN.  Both
# providers serve the same data; each names its own nameservers at the
# apex, as real providers do.
lab_provider_zone() {
	local p=$1 d=$2 serial=$3
	nsf_zone_file "$LAB_DIR/zones/$p-$d.zone" "$d" "$serial" \
	    $(lab_provider_names "$p")
	echo "$LAB_DIR/zones/$p-$d.zone"
}

# lab_start_provider P: starts (or starts again) provider P's server on
# both of its addresses, serving every lab domain at $LAB_SERIAL (or at
# the serial set by lab_provider_serial).
lab_start_provider() {
	local p=$1 addrs d specs=() serial
	addrs=$(lab_provider_addrs "$p") || return 1
	lab_unblackhole "provider-$p"
	serial=$(lab_provider_current_serial "$p")
	mkdir -p "$LAB_DIR/zones"
	for d in $(lab_domains); do
		specs+=("$d=$(lab_provider_zone "$p" "$d" "$serial")")
	done
	case "$p" in
	a) nsf_start_nsd provider-a "${addrs// /,}" "${specs[@]}" ;;
	b) rm -rf "$T/provider-b/db"
	   nsf_start_knot provider-b "${addrs// /,}" "${specs[@]}" ;;
	esac || return 1
	eval "LAB_PID_$p=\$NSF_LAST_PID"
}

lab_stop_provider() {
	local pid
	eval "pid=\${LAB_PID_$1:-}"
	[ -n "$pid" ] && nsf_stop_pid "$pid"
	eval "LAB_PID_$1="
	lab_unblackhole "provider-$1"
}

lab_provider_running() {
	local pid
	eval "pid=\${LAB_PID_$1:-}"
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

lab_provider_current_serial() {
	cat "$LAB_DIR/serial-$1" 2>/dev/null || echo "$LAB_SERIAL"
}

# lab_provider_serial P SERIAL: provider P serves every domain at SERIAL
# from now on (a lower one makes it stale), without a restart.
lab_provider_serial() {
	local p=$1 serial=$2 d sock first
	echo "$serial" >"$LAB_DIR/serial-$p"
	lab_provider_running "$p" || return 0
	first=$(lab_provider_names "$p" | cut -d' ' -f1)
	for d in $(lab_domains); do
		case "$p" in
		a)
			lab_provider_zone a "$d" "$serial" >/dev/null
			nsd-control -c "$T/provider-a/nsd.conf" reload "$d" \
			    >/dev/null || return 1
			;;
		b)
			sock=$T/provider-b/knot.sock
			# An explicit SOA in a transaction keeps its serial even
			# under serial-policy increment.
			knotc -s "$sock" zone-begin "$d" >/dev/null &&
			knotc -s "$sock" zone-set "$d" @ 300 SOA "$first." \
			    "hostmaster.$d." "$serial" 3600 600 86400 300 \
			    >/dev/null &&
			knotc -s "$sock" zone-commit "$d" >/dev/null || return 1
			;;
		esac
	done
	lab_wait_serial "$p" "$serial"
}

# lab_wait_serial P SERIAL: waits until every address of P serves SERIAL
# for every domain.
lab_wait_serial() {
	wait_for 10 _lab_serial_is "$@"
}

_lab_serial_is() {
	local p=$1 serial=$2 a d
	for a in $(lab_provider_addrs "$p"); do
		for d in $(lab_domains); do
			[ "$(nsf_dig "$a" "$d" SOA | awk '{print $3}')" = \
			    "$serial" ] || return 1
		done
	done
}

# lab_blackhole NAME ADDRESS...: a server on the addresses that takes every
# packet and never answers (the usual real outage: clients time out).
lab_blackhole() {
	local name=$1 a specs=()
	shift
	lab_unblackhole "$name"
	for a in "$@"; do
		specs+=("$a:$NSF_DNS_PORT")
	done
	nsf_spawn "blackhole-$name" /usr/bin/python3 \
	    "$LAB_ROOT/tests/lib/blackhole.py" "${specs[@]}"
	echo "$NSF_LAST_PID" >"$LAB_DIR/blackhole-$name.pid"
	wait_for 5 grep -q listening "$T/blackhole-$name.log" || {
		echo "lab: blackhole $name did not start:" >&2
		sed 's/^/  /' "$T/blackhole-$name.log" >&2
		return 1
	}
}

lab_unblackhole() {
	local f=$LAB_DIR/blackhole-$1.pid
	[ -f "$f" ] || return 0
	nsf_stop_pid "$(cat "$f")"
	rm -f "$f"
}

# lab_drop_provider P: provider P stops answering but packets still
# arrive (timeouts rather than ICMP errors).
lab_drop_provider() {
	lab_stop_provider "$1"
	lab_blackhole "provider-$1" $(lab_provider_addrs "$1")
}

# The canary: a stand-in root server outside both providers, serving a
# tiny root zone.  The controller asks it for ". SOA" to tell "my network
# is down" from "the provider is down".
lab_start_canary() {
	lab_unblackhole canary
	mkdir -p "$LAB_DIR/zones"
	nsf_zone_file "$LAB_DIR/zones/root.zone" . 1 ns.canary
	sed -i 's/^\$ORIGIN \.\.$/$ORIGIN ./; s/hostmaster\.\.\./hostmaster./' \
	    "$LAB_DIR/zones/root.zone"
	echo "ns.canary. IN A $LAB_CANARY" >>"$LAB_DIR/zones/root.zone"
	nsf_start_nsd canary "$LAB_CANARY" ".=$LAB_DIR/zones/root.zone" ||
	    return 1
	LAB_PID_canary=$NSF_LAST_PID
}

lab_stop_canary() {
	[ -n "${LAB_PID_canary:-}" ] && nsf_stop_pid "$LAB_PID_canary"
	LAB_PID_canary=""
	lab_unblackhole canary
}

lab_drop_canary() {
	lab_stop_canary
	lab_blackhole canary "$LAB_CANARY"
}

# lab_parent_ns DOMAIN: the NS set the parent serves for DOMAIN, sorted,
# one line, without trailing dots.
lab_parent_ns() {
	kdig @"$LAB_PARENT" -p "$NSF_DNS_PORT" +time=2 +retry=1 +norec \
	    "$1" NS 2>/dev/null |
	    awk '$4 == "NS" && $1 == "'"$1"'." { sub(/\.$/, "", $5); print $5 }' |
	    sort | tr '\n' ' ' | sed 's/ $//'
}

# lab_group_of "NS..." : which provider group a set of names is:
# provider-a, provider-b, provider-a+provider-b, none, or the names.
lab_group_of() {
	local set=" $1 " p all=() label=""
	[ -z "$1" ] && { echo none; return; }
	for p in a b; do
		local n1 n2
		read -r n1 n2 <<<"$(lab_provider_names "$p")"
		if [[ $set == *" $n1 "* && $set == *" $n2 "* ]]; then
			all+=("provider-$p")
			set=${set/ $n1 / }
			set=${set/ $n2 / }
		fi
	done
	if [ -n "${set// /}" ] || [ ${#all[@]} -eq 0 ]; then
		echo "$1"
		return
	fi
	label=$(IFS=+; echo "${all[*]}")
	echo "$label"
}

lab_parent_group() {
	lab_group_of "$(lab_parent_ns "$1")"
}

# lab_parent_set_ns DOMAIN GROUP: changes the delegation in the parent
# behind everyone's back (as a person with the registry's key would), with
# one TSIG-signed UPDATE.  GROUP is provider-a, provider-b or
# provider-a+provider-b.
lab_parent_set_ns() {
	local d=$1 g=$2 kname kalg ksecret p n
	IFS=: read -r kname kalg ksecret <<<"$LAB_TSIG_REGISTRY"
	{
		echo "server $LAB_PARENT $NSF_DNS_PORT"
		echo "key $kalg:$kname $ksecret"
		echo "zone $LAB_ZONE."
		echo "update delete $d. NS"
		for p in ${g//+/ }; do
			for n in $(lab_provider_names "${p#provider-}"); do
				echo "update add $d. 300 NS $n."
			done
		done
		echo "send"
	} | knsupdate >"$LAB_DIR/knsupdate.log" 2>&1 || {
		sed 's/^/  /' "$LAB_DIR/knsupdate.log" >&2
		return 1
	}
}

# lab_parent_serial: the parent zone's SOA serial (it goes up once per
# UPDATE the parent accepts).
lab_parent_serial() {
	nsf_dig "$LAB_PARENT" "$LAB_ZONE" SOA | awk '{print $3}'
}

# ---------------------------------------------------------------------
# The EPP test registry (tests/epp-registry), publishing into the parent.

LAB_REGISTRY_BIN=${LAB_REGISTRY_BIN:-$LAB_ROOT/tests/epp-registry/registry.py}
LAB_EPP_SCHEMAS=${LAB_EPP_SCHEMAS:-$NSF_SHARED/epp/xsd/epp-all.xsd}

lab_registry_available() {
	[ -f "$LAB_REGISTRY_BIN" ]
}

_lab_registry_missing() {
	echo "lab: the EPP test registry ($LAB_REGISTRY_BIN) is not" \
	    "on this branch yet" >&2
	return 1
}

# lab_start_registry: the registry on $LAB_REGISTRY:$LAB_EPP_PORT over TLS
# with the lab's certificates, holding every EPP domain delegated to
# provider a (LAB_LOCKED domains with clientUpdateProhibited) and both
# providers' host objects, and sending each change to the parent by TSIG
# UPDATE.  It validates every frame against the EPP schemas.
lab_start_registry() {
	lab_registry_available || { _lab_registry_missing; return 1; }
	if [ ! -f "$LAB_EPP_SCHEMAS" ]; then
		echo "lab: the EPP schemas are not at $LAB_EPP_SCHEMAS; the" \
		    "test registry validates every frame against them (set" \
		    "NSF_SHARED or LAB_EPP_SCHEMAS)" >&2
		return 1
	fi
	lab_registry_config >"$LAB_DIR/registry.json"
	echo "$LAB_TSIG_REGISTRY" >"$LAB_DIR/registry.tsig"
	echo "$LAB_EPP_PASSWORD" >"$LAB_DIR/registry.pw"
	chmod 600 "$LAB_DIR/registry.tsig" "$LAB_DIR/registry.pw"
	echo "[]" >"$LAB_DIR/registry.faults"
	nsf_spawn registry /usr/bin/python3 "$LAB_REGISTRY_BIN" \
	    --config "$LAB_DIR/registry.json" \
	    --listen "$LAB_REGISTRY:$LAB_EPP_PORT" \
	    --cert "$LAB_DIR/tls/server.pem" --key "$LAB_DIR/tls/server.key" \
	    --ca "$LAB_DIR/tls/ca.pem" --schemas "$LAB_EPP_SCHEMAS" \
	    --frame-log "$LAB_DIR/registry.frames" \
	    --faults "$LAB_DIR/registry.faults" \
	    --dns-server "$LAB_PARENT" --dns-port "$NSF_DNS_PORT" \
	    --zone "$LAB_ZONE" --tsig-file "$LAB_DIR/registry.tsig"
	LAB_PID_registry=$NSF_LAST_PID
	wait_for 15 grep -q listening "$T/registry.log" || {
		echo "lab: the EPP test registry did not start:" >&2
		sed 's/^/  /' "$T/registry.log" >&2
		echo "lab: listening on $LAB_REGISTRY now:" >&2
		ss -Hltnp "src $LAB_REGISTRY" 2>&1 | sed 's/^/  /' >&2
		return 1
	}
}

# lab_registry_config: the registry's JSON configuration (see the
# registry's docs): one registrar (the controller), the lab's domains and
# the providers' host objects.
lab_registry_config() {
	/usr/bin/python3 - "$LAB_EPP_USER" "$LAB_EPP_PASSWORD" \
	    "${LAB_LOCKED:-}" "$(lab_provider_names a)" \
	    "$(lab_provider_addrs a)" "$(lab_provider_names b)" \
	    "$(lab_provider_addrs b)" $LAB_EPP_DOMAINS <<'PY'
import json, sys
user, pw, locked, na, aa, nb, ab = sys.argv[1:8]
hosts = {}
for names, addrs in ((na, aa), (nb, ab)):
    for n, a in zip(names.split(), addrs.split()):
        hosts[n] = {"sponsor": user, "addrs": [a]}
doms = {}
for d in sys.argv[8:]:
    doms[d] = {"sponsor": user, "ns": na.split(),
               "statuses": ["clientUpdateProhibited"]
               if d in locked.split(",") else []}
print(json.dumps({"registrars": {user: pw}, "host_model": "objects",
                  "min_ns": 2, "max_ns": 13, "max_sessions": 8,
                  "tlds": ["test"], "domains": doms, "hosts": hosts},
                 indent=1))
PY
}

# The registry's other handles, for scenarios.
#   lab_registry_fault KIND [domain=D] [count=N] [seconds=S]
#       the next domain:update (for D) is answered 2400 or 2502 without
#       being applied, applied and then the connection dropped
#       (drop-after-apply), accepted as pending (1001) and completed S
#       seconds later with a poll message, or delayed by S seconds
#   lab_registry_ns DOMAIN          the NS set it holds, sorted, one line
#   lab_registry_statuses DOMAIN    its statuses, one line
#   lab_registry_updates DOMAIN received|applied
#                                   domain:update commands it received for
#                                   DOMAIN, or those it carried out
lab_registry_fault() {
	local kind=$1 domain="" count=1 secs=2 kv
	shift
	for kv in "$@"; do
		case "$kv" in
		domain=*) domain=${kv#domain=} ;;
		count=*) count=${kv#count=} ;;
		seconds=*) secs=${kv#seconds=} ;;
		esac
	done
	/usr/bin/python3 - "$LAB_DIR/registry.faults" "$kind" "$domain" \
	    "$count" "$secs" <<'PY'
import json, os, sys
path, kind, domain, count, secs = sys.argv[1:6]
f = {"command": "domain:update"}
if domain:
    f["domain"] = domain
if kind in ("2400", "2502"):
    f.update(action="code", code=int(kind))
elif kind == "drop-after-apply":
    f.update(action="drop")
elif kind == "pending":
    f.update(action="pending", seconds=float(secs))
elif kind == "delay":
    f.update(delay=float(secs))
else:
    sys.exit("lab: unknown registry fault %s" % kind)
with open(path) as fh:
    text = fh.read().strip()
faults = json.loads(text) if text else []
faults += [dict(f) for _ in range(int(count))]
with open(path + ".lab", "w") as fh:
    json.dump(faults, fh)
os.replace(path + ".lab", path)
PY
}

# _lab_registry_info DOMAIN: the registry's view of DOMAIN as JSON, read
# with tests/lib/epp_info.py (not with nsfailover's driver).
_lab_registry_info() {
	/usr/bin/python3 "$LAB_ROOT/tests/lib/epp_info.py" \
	    --server "$LAB_REGISTRY:$LAB_EPP_PORT" --ca "$LAB_DIR/tls/ca.pem" \
	    --cert "$LAB_DIR/tls/client.pem" --key "$LAB_DIR/tls/client.key" \
	    --user "$LAB_EPP_USER" --password-file "$LAB_DIR/registry.pw" "$1"
}

lab_registry_ns() {
	_lab_registry_info "$1" | /usr/bin/python3 -c \
	    'import json,sys; print(" ".join(json.load(sys.stdin)["ns"]))'
}

lab_registry_statuses() {
	_lab_registry_info "$1" | /usr/bin/python3 -c \
	    'import json,sys; print(" ".join(json.load(sys.stdin)["statuses"]))'
}

# An awk function: true when the current frame line names domain d in a
# <domain:name> element, with or without attributes (hosts="all").
_LAB_AWK_NAME='
function names(d,    i, rest) {
	rest = $0
	while ((i = index(rest, "<domain:name")) > 0) {
		rest = substr(rest, i + 12)
		if (substr(rest, 1, 1) != ">" && substr(rest, 1, 1) != " ")
			continue
		rest = substr(rest, index(rest, ">") + 1)
		if (index(rest, d "</domain:name>") == 1)
			return 1
	}
	return 0
}'

# Counted from the registry's frame log: each command is a "=== session=
# ... command=domain:update ... result=R [fault=JSON]" line followed by
# the frame.  Applied: answered 1000 or 1001, or dropped by a
# drop-after-apply fault (the change was made before the drop).
lab_registry_updates() {
	awk -v d="$1" -v kind="$2" "$_LAB_AWK_NAME"'
	/^=== / { hdr = ""; if ($0 ~ /command=domain:update /) hdr = $0; next }
	hdr != "" && names(d) {
		received++
		if (hdr ~ /result=(1000|1001)( |$)/ ||
		    (hdr ~ /result=dropped/ && hdr ~ /"action": "drop"/))
			applied++
		hdr = ""
	}
	END { print (kind == "applied" ? applied : received) + 0 }
	' "$LAB_DIR/registry.frames" 2>/dev/null || echo 0
}

# lab_registry_readback DOMAIN: "ok" when every domain:update for DOMAIN
# that was refused (an error result) or lost (dropped connection) was
# followed by a domain:info for it before any further domain:update, i.e.
# the controller read the domain back instead of resending blindly;
# otherwise what went wrong.  The lab's own reads (epp_info.py, cltrid
# LAB-INFO-*) do not count.
lab_registry_readback() {
	awk -v d="$1" "$_LAB_AWK_NAME"'
	/^=== / { hdr = $0; next }
	!names(d) { next }
	hdr ~ /cltrid=LAB-INFO-/ { next }
	hdr ~ /command=domain:info / && need { need = 0; reads++ }
	hdr ~ /command=domain:update / {
		if (need) { bad = 1 }
		need = hdr !~ /result=(1000|1001)( |$)/
		if (need) failed++
	}
	END {
		if (bad) print "an update was sent again without a read back"
		else if (need)
			print "the last failed update was never read back"
		else print "ok (" failed + 0 " failed update(s), " reads + 0 \
		    " read back)"
	}' "$LAB_DIR/registry.frames" 2>/dev/null
}

# ---------------------------------------------------------------------
# The daemon's files: secrets, configuration, policy repository.

# lab_write_secrets: the secrets file (mode 0600) with the EPP login and
# the controller's TSIG key.
lab_write_secrets() {
	local kname kalg ksecret
	IFS=: read -r kname kalg ksecret <<<"$LAB_TSIG_CONTROLLER"
	(
		umask 077
		cat >"$LAB_SECRETS" <<YAML
# nsfailover lab secrets: made at run time, thrown away at exit.
lab-registry:
  username: $LAB_EPP_USER
  password: "$LAB_EPP_PASSWORD"
  client_cert: $LAB_DIR/tls/client.pem
  client_key: $LAB_DIR/tls/client.key
lab-parent:
  tsig_name: $kname
  tsig_algorithm: $kalg
  tsig_secret: "$ksecret"
YAML
	)
	chmod 600 "$LAB_SECRETS"
}

# lab_write_config: the daemon configuration.  The policy is re-read every
# second so a policy commit takes effect at once; the parent serves the
# provider hosts' addresses, so it is the only resolver.  The servers are
# the lab's own, on loopback: they may be probed faster than the default
# 50 queries a second that is polite to a real provider.
lab_write_config() {
	cat >"$LAB_CONFIG" <<YAML
# nsfailover lab daemon configuration (see docs/lab.md).
repository:
  url: $LAB_DIR/policy.git
  branch: main
  path: policy
  fetch_interval: 1s
  state_branch: nsfailover/state
  push: true
cache_dir: $LAB_DIR/cache
secrets: $LAB_SECRETS
resolvers: [ "$LAB_PARENT" ]
probe:
  max_rate_per_server: 1000
metrics:
  listen: "$LAB_METRICS"
log:
  format: plain
  level: info
YAML
}

# Policy settings, changed with lab_policy_set KEY=VALUE... before
# lab_policy_write.  Keys with a domain prefix (example.test.primary=b)
# apply to that domain only.
lab_policy_defaults() {
	declare -gA LAB_POL=(
		[primary]=a [backups]=b [interval]=1s [timeout]=500ms
		[fail_after]=3 [recover_after]=3 [hold_down]=10s
		[failback]=auto [flap_max]=4 [flap_window]=1h
		[readiness]=serial [mode]=failover
	)
}
lab_policy_defaults

lab_policy_set() {
	local kv
	for kv in "$@"; do
		LAB_POL[${kv%%=*}]=${kv#*=}
	done
}

# _lab_pol DOMAIN KEY: the domain's own value, else the default.
_lab_pol() {
	if [ -n "${LAB_POL[$1.$2]+x}" ]; then
		echo "${LAB_POL[$1.$2]}"
	else
		echo "${LAB_POL[$2]}"
	fi
}

# _lab_group "a" or "a+b": the policy's spelling of a provider group:
# one provider's name, or a list of names for providers serving together.
_lab_group() {
	local g=$1 out=() parts p
	IFS=+ read -r -a parts <<<"$g"
	for p in "${parts[@]}"; do
		out+=("provider-$p")
	done
	if [ ${#out[@]} -eq 1 ]; then
		echo "${out[0]}"
	else
		echo "[ $(IFS=,; echo "${out[*]}" | sed 's/,/, /g') ]"
	fi
}

# lab_policy_write DIR: the policy files (providers.yaml, registries.yaml,
# domains.yaml) for the lab's addresses and the current settings.
lab_policy_write() {
	mkdir -p "$1"
	_lab_policy_providers >"$1/providers.yaml"
	_lab_policy_registries >"$1/registries.yaml"
	_lab_policy_domains >"$1/domains.yaml"
}

_lab_policy_providers() {
	local p n a
	{
		echo "# Providers of the nsfailover lab (docs/lab.md)."
		echo "version: 1"
		echo "providers:"
		for p in a b; do
			echo "  provider-$p:"
			echo "    nameservers:"
			set -- $(lab_provider_addrs "$p")
			for n in 1 2; do
				a=${!n}
				echo "      - name: ns$n.provider-$p.test"
				echo "        addresses: [ $a ]"
			done
		done
		echo "# A server outside every provider: when it fails as well,"
		echo "# the controller's own network is at fault and it freezes."
		echo "canaries:"
		echo "  min_ok: 1"
		echo "  targets:"
		echo "    - address: $LAB_CANARY"
		echo "      name: ."
		echo "      type: SOA"
	}
}

_lab_policy_registries() {
	{
		echo "# Registries of the nsfailover lab (docs/lab.md)."
		echo "version: 1"
		echo "registries:"
		echo "  lab-registry:"
		echo "    type: epp"
		echo "    server: $LAB_REGISTRY:$LAB_EPP_PORT"
		echo "    credentials: lab-registry"
		echo "    ca_file: \"$LAB_DIR/tls/ca.pem\""
		echo "    timeout: 5s"
		echo "    verify: [ \"$LAB_PARENT\" ]"
		echo "  lab-parent:"
		echo "    type: dns-update"
		echo "    server: $LAB_PARENT"
		echo "    zone: $LAB_ZONE"
		echo "    credentials: lab-parent"
		echo "    timeout: 5s"
		echo "    verify: [ \"$LAB_PARENT\" ]"
	}
}

_lab_policy_domains() {
	local d b bl
	{
		echo "# Domains of the nsfailover lab: short intervals so an"
		echo "# outage and a failback show within a minute."
		echo "version: 1"
		echo "defaults:"
		echo "  mode: ${LAB_POL[mode]}"
		echo "  health:"
		echo "    interval: ${LAB_POL[interval]}"
		echo "    timeout: ${LAB_POL[timeout]}"
		echo "    fail_after: ${LAB_POL[fail_after]}"
		echo "    recover_after: ${LAB_POL[recover_after]}"
		echo "  readiness:"
		echo "    mode: ${LAB_POL[readiness]}"
		echo "  failback:"
		echo "    mode: ${LAB_POL[failback]}"
		echo "    hold_down: ${LAB_POL[hold_down]}"
		echo "  flap:"
		echo "    max_changes: ${LAB_POL[flap_max]}"
		echo "    window: ${LAB_POL[flap_window]}"
		echo "domains:"
		for d in $(lab_domains); do
			echo "  $d:"
			if [[ " $LAB_UPDATE_DOMAINS " == *" $d "* ]]; then
				echo "    registry: lab-parent"
			else
				echo "    registry: lab-registry"
			fi
			echo "    primary: $(_lab_group "$(_lab_pol "$d" primary)")"
			bl=()
			for b in $(_lab_pol "$d" backups | tr , ' '); do
				bl+=("$(_lab_group "$b")")
			done
			if [ ${#bl[@]} -gt 0 ]; then
				echo "    backups: [ $(IFS=,; echo "${bl[*]}" |
				    sed 's/,/, /g; s/,  /, /g') ]"
			fi
			_lab_domain_overrides "$d"
		done
	}
}

# lab_example_policy DIR: the policy examples/lab/policy holds, that is
# lab_policy_write's with the defaults on 127.0.60.0/24 and @LAB_DIR@ for
# the scratch directory (a test keeps the two in step).
lab_example_policy() {
	(
		LAB_NET=127.0.60 LAB_DIR=@LAB_DIR@ LAB_PARENT=127.0.60.1
		LAB_REGISTRY=127.0.60.2 LAB_EPP_PORT=700 LAB_CANARY=127.0.60.31
		LAB_ZONE=test LAB_EPP_DOMAINS="example.test shop.test"
		LAB_UPDATE_DOMAINS=""
		lab_policy_defaults
		lab_policy_write "$1"
	)
}

# _lab_domain_overrides DOMAIN: the settings given for DOMAIN alone,
# written under the domain's own keys, one map per section.
_lab_domain_overrides() {
	local d=$1 sec k parts
	[ -n "${LAB_POL[$d.mode]+x}" ] && echo "    mode: ${LAB_POL[$d.mode]}"
	for sec in "health interval:interval timeout:timeout
	    fail_after:fail_after recover_after:recover_after" \
	    "failback hold_down:hold_down failback:mode" \
	    "flap flap_max:max_changes flap_window:window" \
	    "readiness readiness:mode"; do
		set -- $sec
		parts=()
		for k in "${@:2}"; do
			[ -n "${LAB_POL[$d.${k%%:*}]+x}" ] &&
			    parts+=("${k#*:}: ${LAB_POL[$d.${k%%:*}]}")
		done
		[ ${#parts[@]} -gt 0 ] || continue
		echo "    $1: { $(IFS=,; echo "${parts[*]}" | sed 's/,/, /g') }"
	done
}

_lab_git() {
	git -c user.name="nsfailover lab" -c user.email=lab@nsfailover.invalid \
	    -c init.defaultBranch=main -c commit.gpgsign=false \
	    -c core.hooksPath=/dev/null "$@"
}

# lab_repo_init [SRC]: a bare repository (the remote the daemon reads) and
# a working clone where policy commits are made, with the first policy:
# the files of SRC (examples/lab/policy, moved to the lab's addresses and
# scratch directory), or lab_policy_write's.  Prints the commit id.
lab_repo_init() {
	local work=$LAB_DIR/policy-work f
	_lab_git init -q --bare "$LAB_DIR/policy.git" || return 1
	_lab_git init -q "$work" || return 1
	_lab_git -C "$work" remote add origin "$LAB_DIR/policy.git"
	if [ -n "${1:-}" ]; then
		mkdir -p "$work/policy"
		for f in "$1"/*.yaml; do
			lab_policy_localize <"$f" >"$work/policy/${f##*/}"
		done
	else
		lab_policy_write "$work/policy"
	fi
	lab_repo_commit "lab: first policy"
}

# lab_policy_localize: examples/lab/policy is written for 127.0.60.0/24
# with @LAB_DIR@ for the scratch directory; this filter moves it.
lab_policy_localize() {
	sed -e "s|127\.0\.60\.|$LAB_NET.|g" -e "s|@LAB_DIR@|$LAB_DIR|g"
}

# lab_repo_commit MESSAGE: commits the working clone's policy and pushes
# it; prints the new commit id.
lab_repo_commit() {
	local work=$LAB_DIR/policy-work
	_lab_git -C "$work" add -A policy &&
	_lab_git -C "$work" commit -q --allow-empty -m "$1" &&
	_lab_git -C "$work" push -q origin HEAD:main 2>"$LAB_DIR/push.log" ||
	    { cat "$LAB_DIR/push.log" >&2; return 1; }
	_lab_git -C "$work" rev-parse HEAD
}

# lab_policy_commit MESSAGE: writes the policy from the current settings
# and commits it.
lab_policy_commit() {
	lab_policy_write "$LAB_DIR/policy-work/policy"
	lab_repo_commit "$1"
}

# lab_policy_commit_invalid MESSAGE: commits a policy that fails
# validation (an unknown key in a domain) on top of the last good one.
lab_policy_commit_invalid() {
	local f=$LAB_DIR/policy-work/policy/domains.yaml
	lab_policy_write "$LAB_DIR/policy-work/policy"
	awk '/^domains:$/ { in_domains = 1 }
	    in_domains && /^  [a-z0-9.-]+:$/ && !done {
		print; print "    primay: provider-b"; done = 1; next }
	    { print }' "$f" >"$f.new" && mv "$f.new" "$f"
	lab_repo_commit "$1"
}

# _lab_trailers KEY...: `git log` of the remote's state branch, one line
# per record holding the values of those trailers separated by "|".
_lab_trailers() {
	local fmt="" k
	for k in "$@"; do
		fmt+="%(trailers:key=$k,valueonly,separator=%x20)|"
	done
	_lab_git --git-dir="$LAB_DIR/policy.git" log --reverse \
	    --format="${fmt%|}" nsfailover/state 2>/dev/null
}

# lab_history DOMAIN: the records for DOMAIN on the state branch of the
# remote the daemon pushes to, oldest first, one line each: "ACTION FROM
# -> TO", read with the git CLI.
lab_history() {
	_lab_trailers Domain Action From To |
	    awk -F'|' -v d="$1" '$1 == d { print $2 " " $3 " -> " $4 }'
}

# lab_history_open DOMAIN: how many intents for DOMAIN have no outcome
# (an intent and its outcome share their Intent: trailer).
lab_history_open() {
	_lab_trailers Domain Intent |
	    awk -F'|' -v d="$1" '$1 == d && $2 != "" { n[$2]++ }
		END { for (i in n) if (n[i] < 2) open++; print open + 0 }'
}

# lab_history_lost DOMAIN: how many intents the controller's log says it
# committed for DOMAIN ("[DOMAIN] intent ID committed") that are not on
# the remote's state branch: records lost in a crash or never pushed.
lab_history_lost() {
	local on_branch
	on_branch=$(_lab_trailers Domain Intent |
	    awk -F'|' -v d="$1" '$1 == d { print $2 }')
	grep -F "[$1] intent " "$LAB_CONTROLLER_LOG" 2>/dev/null |
	    sed -n 's/.*\] intent \([^ ]*\) committed$/\1/p' | sort -u |
	    while read -r id; do
		grep -qxF -- "$id" <<<"$on_branch" || echo "$id"
	    done | grep -c .
}

# ---------------------------------------------------------------------
# The controller.

# lab_start_controller [NAME=VALUE...]: runs `nsfailover run` with the lab
# configuration (the environment given on top), its output appended to
# $LAB_CONTROLLER_LOG.
lab_start_controller() {
	echo "=== controller started $(date -u +%FT%TZ) $*" \
	    >>"$LAB_CONTROLLER_LOG"
	env "$@" "$NSF" run --config "$LAB_CONFIG" \
	    >>"$LAB_CONTROLLER_LOG" 2>&1 &
	LAB_CONTROLLER_PID=$!
	nsf_track_pid "$LAB_CONTROLLER_PID"
}

lab_controller_running() {
	[ -n "$LAB_CONTROLLER_PID" ] &&
	    kill -0 "$LAB_CONTROLLER_PID" 2>/dev/null
}

# lab_stop_controller: SIGTERM (it finishes the change in flight), KILL
# after 5 s.
lab_stop_controller() {
	[ -n "$LAB_CONTROLLER_PID" ] && nsf_stop_pid "$LAB_CONTROLLER_PID"
	wait "$LAB_CONTROLLER_PID" 2>/dev/null
	LAB_CONTROLLER_PID=""
}

lab_kill_controller() {
	[ -n "$LAB_CONTROLLER_PID" ] &&
	    kill -KILL "$LAB_CONTROLLER_PID" 2>/dev/null
	wait "$LAB_CONTROLLER_PID" 2>/dev/null
	LAB_CONTROLLER_PID=""
}

# lab_nsf_has_run: true when the binary has a working `run` command.
lab_nsf_has_run() {
	"$NSF" run --help >/dev/null 2>&1
}

# lab_start_all: every part up to (not including) the controller.
lab_start_all() {
	lab_start_parent || return 1
	lab_start_provider a || return 1
	lab_start_provider b || return 1
	lab_start_canary || return 1
	if [ -n "$LAB_EPP_DOMAINS" ]; then
		lab_start_registry || return 1
	fi
	lab_write_secrets
	lab_write_config
	lab_repo_init >/dev/null
}
