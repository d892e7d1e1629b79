#!/usr/bin/env bash
# git_transports.sh - the policy source and the audit log over https://
# (git http-backend behind a TLS server with a certificate made here, on
# 127.0.40.3) and ssh:// (OpenSSH's sshd on 127.0.40.4 with its own host
# key and one authorised client key): fetch, push, and the refusals a
# user must see (unknown CA, unknown host key, key not authorised).
. "$(dirname "$0")/../lib/common.sh"
. "$NSF_ROOT/tests/lib/certs.sh"

GITCTL=$NSF_ROOT/build/t/tools/gitctl
HTTPS_ADDR=127.0.40.3
HTTPS_PORT=8443
SSH_ADDR=127.0.40.4
SSH_PORT=2222
export HOME=$T GIT_CONFIG_NOSYSTEM=1
# libgit2's ssh transport leaks a little per connection (suppressed in
# gitutil.c by function name, which needs the slow unwinder to be seen).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}:fast_unwind_on_malloc=0
git config --global user.name "Transport Test"
git config --global user.email transport@example.invalid
git config --global init.defaultBranch main

cd "$T" || exit 1
field() {
	sed -n "s/^$1 //p" "$2"
}

mkdir -p pol/policy srv
cat >pol/policy/policy.yaml <<'EOF'
version: 1
providers:
  provider-a:
    nameservers: [ns1.provider-a.example, ns2.provider-a.example]
  provider-b:
    nameservers: [ns1.provider-b.example, ns2.provider-b.example]
registries:
  main:
    type: epp
    server: 127.0.40.9:700
    credentials: main
domains:
  example.com:
    registry: main
    primary: provider-a
    backups: [provider-b]
EOF
git -C pol init -q
git -C pol add -A
git -C pol commit -q -m "a policy"
tip=$(git -C pol rev-parse HEAD)
git clone -q --bare pol srv/pol.git
git init -q --bare srv/state.git

# --- https:// ---------------------------------------------------------------
# mbedTLS (libgit2's TLS here) matches an address only against DNS names
# and the CN, so the address is written there too.
nsf_cert_ca pki ca
_nsf_cert_issue pki srv ca "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=DNS:$HTTPS_ADDR,IP:$HTTPS_ADDR" "/CN=$HTTPS_ADDR"
nsf_spawn https /usr/bin/python3 "$NSF_ROOT/tests/tools/git_https.py" \
    "$HTTPS_ADDR" "$HTTPS_PORT" srv pki/srv.pem pki/srv.key
if ! wait_for 20 env SSL_CERT_FILE="$T/pki/ca.pem" \
    GIT_SSL_CAINFO="$T/pki/ca.pem" \
    git ls-remote "https://$HTTPS_ADDR:$HTTPS_PORT/pol.git"; then
	not_ok "the https server did not start on $HTTPS_ADDR:$HTTPS_PORT"
	sed 's/^/#   /' "$T/https.log"
	exit 1
fi
URL=https://$HTTPS_ADDR:$HTTPS_PORT
SSL_CERT_FILE=$T/pki/ca.pem "$GITCTL" policy "$URL/pol.git" cache-https \
    >h1.out 2>h1.err
check_eq "the policy is fetched over https://" "$tip" "$(field commit h1.out)"
"$GITCTL" policy "$URL/pol.git" cache-https2 >h2.out 2>h2.err
check_eq "a server certificate from an unknown CA is refused" no \
    "$(field reachable h2.out)"
check_grep "with the reason" 'SSL certificate is invalid' h2.out
git init -q ha
git -C ha remote add origin "$URL/state.git"
SSL_CERT_FILE=$T/pki/ca.pem "$GITCTL" record ha https.example failover \
    --active provider-b >h3.out 2>h3.err
check "an audit record is pushed over https://" grep -q '^queued 0$' h3.out
check_eq "and is on the remote" "https.example: failover (active: provider-b)" \
    "$(git -C srv/state.git log -1 --format=%s nsfailover/state)"

# --- ssh:// -----------------------------------------------------------------
SSHD=$(command -v sshd || echo /usr/sbin/sshd)
if [ ! -x "$SSHD" ]; then
	skip "ssh:// is not tested: sshd is missing (Debian package" \
	    "openssh-server, in ci/install-deps)"
	exit 0
fi
if [ "$(id -u)" = 0 ] && [ ! -d /run/sshd ]; then
	mkdir -p /run/sshd      # sshd's privilege separation directory
fi
mkdir -m 700 .ssh
ssh-keygen -q -t ed25519 -N '' -C host -f hostkey
ssh-keygen -q -t ed25519 -N '' -C client -f .ssh/id_ed25519
ssh-keygen -q -t ed25519 -N '' -C stranger -f stranger
cp .ssh/id_ed25519.pub authorized_keys
cat >sshd_config <<EOF
ListenAddress $SSH_ADDR:$SSH_PORT
HostKey $T/hostkey
PidFile $T/sshd.pid
AuthorizedKeysFile $T/authorized_keys
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
EOF
nsf_spawn sshd "$SSHD" -D -e -f "$T/sshd_config"
USER_NAME=$(id -un)
SSH_URL=ssh://$USER_NAME@$SSH_ADDR:$SSH_PORT$T/srv
SSH_OPTS="-o BatchMode=yes -o UserKnownHostsFile=$T/.ssh/known_hosts"
SSH_OPTS="$SSH_OPTS -o StrictHostKeyChecking=no -i $T/.ssh/id_ed25519"
if ! wait_for 20 env GIT_SSH_COMMAND="ssh $SSH_OPTS" \
    git ls-remote "$SSH_URL/pol.git"; then
	not_ok "sshd did not start on $SSH_ADDR:$SSH_PORT"
	sed 's/^/#   /' "$T/sshd.log"
	exit 1
fi
# libgit2 checks the host key against ~/.ssh/known_hosts.
echo "[$SSH_ADDR]:$SSH_PORT $(cut -d' ' -f1,2 hostkey.pub)" \
    >.ssh/known_hosts
"$GITCTL" policy "$SSH_URL/pol.git" cache-ssh >s1.out 2>s1.err
check_eq "the policy is fetched over ssh:// with the key in ~/.ssh" \
    "$tip" "$(field commit s1.out)"
git init -q sa
git -C sa remote add origin "$SSH_URL/state.git"
"$GITCTL" record sa ssh.example failover --active provider-b \
    >s2.out 2>s2.err
check "an audit record is pushed over ssh://" grep -q '^queued 0$' s2.out
check_eq "and is on the remote" "ssh.example: failover (active: provider-b)" \
    "$(git -C srv/state.git log -1 --format=%s nsfailover/state)"
mv .ssh/known_hosts known_hosts.saved
"$GITCTL" policy "$SSH_URL/pol.git" cache-ssh2 >s3.out 2>s3.err
check_grep "a host key not in known_hosts is refused" \
    '^error .*unknown remote ssh hostkey' s3.out
mv known_hosts.saved .ssh/known_hosts
cp stranger.pub authorized_keys
"$GITCTL" policy "$SSH_URL/pol.git" cache-ssh3 >s4.out 2>s4.err
check_grep "a key the server does not accept is reported as such" \
    '^error .*no SSH key was accepted' s4.out
check_eq "and the remote counts as unreachable" no \
    "$(field reachable s4.out)"
