# certs.sh - makes a throw-away PKI for TLS tests with openssl: a CA, server
# certificates for names and loopback addresses, and client certificates.
# Source it (after common.sh) or run it:
#   certs.sh DIR ca NAME                      -> DIR/NAME.pem, DIR/NAME.key
#   certs.sh DIR server NAME CA SAN[,SAN..]   (SAN: DNS:x or IP:a.b.c.d)
#   certs.sh DIR client NAME CA CN
# Keys are EC P-256, valid for one day, written with mode 0600.

nsf_cert_ca() {
	local dir=$1 name=$2
	mkdir -p "$dir"
	openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
	    -nodes -keyout "$dir/$name.key" -out "$dir/$name.pem" -days 1 \
	    -subj "/CN=$name test CA" \
	    -addext "basicConstraints=critical,CA:TRUE" \
	    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
	chmod 600 "$dir/$name.key"
}

# nsf_cert_issue DIR NAME CA EXTFILE-LINES SUBJECT
_nsf_cert_issue() {
	local dir=$1 name=$2 ca=$3 ext=$4 subj=$5
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$dir/$name.key" -out "$dir/$name.csr" -subj "$subj" \
	    2>/dev/null || return 1
	printf '%s\n' "$ext" >"$dir/$name.ext"
	openssl x509 -req -in "$dir/$name.csr" -CA "$dir/$ca.pem" \
	    -CAkey "$dir/$ca.key" -CAcreateserial -out "$dir/$name.pem" \
	    -days 1 -extfile "$dir/$name.ext" 2>/dev/null || return 1
	chmod 600 "$dir/$name.key"
	rm -f "$dir/$name.csr" "$dir/$name.ext"
}

nsf_cert_server() {
	local dir=$1 name=$2 ca=$3 san=$4
	_nsf_cert_issue "$dir" "$name" "$ca" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=$san" "/CN=$name"
}

nsf_cert_client() {
	local dir=$1 name=$2 ca=$3 cn=$4
	_nsf_cert_issue "$dir" "$name" "$ca" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth" "/CN=$cn"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -eu
	dir=$1 kind=$2
	shift 2
	case $kind in
	ca) nsf_cert_ca "$dir" "$@" ;;
	server) nsf_cert_server "$dir" "$@" ;;
	client) nsf_cert_client "$dir" "$@" ;;
	*) echo "certs.sh: unknown kind $kind" >&2; exit 2 ;;
	esac
fi
