#!/usr/bin/env bash
# git_policy.sh - the policy source against real repositories: last known
# good over an invalid commit, refs of every kind, OpenPGP and SSH signed
# and unsigned commits with verification on, and a remote (git daemon on
# 127.0.40.2) that goes away and comes back.
. "$(dirname "$0")/../lib/common.sh"

GITCTL=${GITCTL:-$NSF_ROOT/build/t/tools/gitctl}
ADDR=127.0.40.2
PORT=9418
export HOME=$T GIT_CONFIG_NOSYSTEM=1
git config --global user.name "Policy Author"
git config --global user.email author@example.invalid
git config --global init.defaultBranch main

gpg_stop() {
	local h
	for h in "$T"/gpg1 "$T"/gpg2 "$T"/cache*/gnupg; do
		[ -d "$h" ] && gpgconf --homedir "$h" --kill gpg-agent \
		    >/dev/null 2>&1
	done
	return 0
}
trap 'gpg_stop; _nsf_cleanup' EXIT

cd "$T" || exit 1

write_policy() {        # write_policy DIR [typo]
	mkdir -p "$1/policy"
	cat >"$1/policy/providers.yaml" <<'EOF'
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
EOF
	cat >"$1/policy/domains.yaml" <<EOF
domains:
  example.com:
    registry: main
    ${2:-primary}: provider-a
    backups: [provider-b]
EOF
}

commit_all() {          # commit_all DIR MESSAGE [git -c options...]
	local dir=$1 msg=$2
	shift 2
	git -C "$dir" add -A &&
	    git -C "$dir" "$@" commit -q -m "$msg" &&
	    git -C "$dir" rev-parse HEAD
}

# field NAME FILE: a value from gitctl's status output.
field() {
	sed -n "s/^$1 //p" "$2"
}

policy() {              # policy OUT URL CACHE [options]
	local out=$1
	shift
	"$GITCTL" policy "$@" >"$out" 2>"$out.err"
}

git init -q pol
write_policy pol
good=$(commit_all pol "a good policy")
policy p1.out pol cache
if grep -q '^rejected-error this build has no policy loader' p1.out; then
	have_loader=0
	skip "this build has no policy loader (schema/ not merged yet):" \
	    "valid/invalid checks are skipped, signature checks still run"
else
	have_loader=1
	check_eq "a valid commit becomes the active policy" "$good" \
	    "$(field commit p1.out)"
	check_eq "its domains are loaded" 1 "$(field domains p1.out)"
fi

# --- last known good ------------------------------------------------------
if [ "$have_loader" = 1 ]; then
	write_policy pol primay
	bad=$(commit_all pol "a typo")
	policy p2.out pol cache
	check_eq "an invalid commit on top leaves the good one active" \
	    "$good" "$(field commit p2.out)"
	check_eq "the invalid commit is reported rejected" "$bad" \
	    "$(field rejected p2.out)"
	check_grep "with its first error, file, line and column" \
	    '^rejected-error policy/domains.yaml:[0-9]+:[0-9]+: .*primary' \
	    p2.out
	check_grep "the rejection is logged with what happens next" \
	    "rejected policy commit ${bad:0:12}: .*keeping the last known" \
	    p2.out.err
	write_policy pol
	fixed=$(commit_all pol "fix the typo")
	policy p3.out pol cache
	check_eq "the fix on top is loaded" "$fixed" "$(field commit p3.out)"
	check_eq "and clears the rejection" "-" "$(field rejected p3.out)"

	# Refs of every kind, and a single-file path.
	git -C pol tag -a -m "release 1" v1 "$good"
	policy r1.out pol cache-tag --ref v1
	check_eq "an annotated tag resolves to its commit" "$good" \
	    "$(field commit r1.out)"
	policy r2.out pol cache-ref --ref refs/tags/v1
	check_eq "a full ref name resolves" "$good" "$(field commit r2.out)"
	policy r3.out pol cache-id --ref "$good"
	check_eq "a commit id resolves" "$good" "$(field commit r3.out)"
	cat pol/policy/providers.yaml pol/policy/domains.yaml \
	    >pol/nsfailover.yaml
	one=$(commit_all pol "one file too")
	policy r4.out pol cache-file --path nsfailover.yaml
	check_eq "a path naming one file loads it" "$one" \
	    "$(field commit r4.out)"
fi
# --- a shallow CI checkout with a detached HEAD, read in place ------------
git clone -q --depth 1 "file://$T/pol" ci 2>/dev/null
git -C ci checkout -q --detach
policy c1.out ci cache-ci --ref HEAD
check "the checkout is shallow" test -s ci/.git/shallow
if [ "$have_loader" = 1 ]; then
	check_eq "a shallow checkout with a detached HEAD loads at HEAD" \
	    "$(git -C ci rev-parse HEAD)" "$(field commit c1.out)"
fi
check_eq "reading it in place reaches it" yes "$(field reachable c1.out)"
check "and leaves its working tree and index alone" \
    test -z "$(git -C ci status --porcelain)"
policy c2.out "$T/no-such-checkout" cache-gone
check_eq "a path that is no repository is unreachable" no \
    "$(field reachable c2.out)"
check_grep "and the error names it" \
    "^error cannot fetch .*no-such-checkout \(cannot open repository" \
    c2.out

# --- a bare repository as remote over file:// -----------------------------
git clone -q --bare pol fileremote.git
policy f1.out "file://$T/fileremote.git" cache-file
if [ "$have_loader" = 1 ]; then
	check_eq "over file:// the branch tip loads" \
	    "$(git -C fileremote.git rev-parse main)" "$(field commit f1.out)"
	filegood=$(git -C fileremote.git rev-parse main)
	write_policy pol primay
	filebad=$(commit_all pol "another typo")
	git -C pol push -q "file://$T/fileremote.git" main
	policy f2.out "file://$T/fileremote.git" cache-file
	check_eq "over file:// an invalid tip leaves the good one active" \
	    "$filegood" "$(field commit f2.out)"
	check_eq "and is reported rejected" "$filebad" \
	    "$(field rejected f2.out)"
	write_policy pol
	commit_all pol "fix it again" >/dev/null
	git -C pol push -q "file://$T/fileremote.git" main
	# The checkout read in place goes away; its cache now fetches.
	rm -rf ci
	policy c3.out "file://$T/fileremote.git" cache-ci
	check_grep "a last good commit whose objects are gone is dropped" \
	    'forgetting last known good commit' c3.out.err
	check_eq "and the cache fetches and loads the remote's tip" \
	    "$(git -C fileremote.git rev-parse main)" "$(field commit c3.out)"
fi

policy r5.out pol cache-nopath --path nowhere
check_grep "a missing policy path is named in the rejection" \
    "^rejected-error no 'nowhere' in the commit" r5.out
policy r6.out pol cache-noref --ref no-such-branch
check_grep "a ref the remote lacks is reported, not guessed" \
    "^error ref 'no-such-branch' not found" r6.out
check_eq "and nothing is active" "-" "$(field commit r6.out)"

# --- signatures -----------------------------------------------------------
gen_gpg() {             # gen_gpg HOME NAME: prints the fingerprint
	mkdir -m 700 "$1"
	gpg --batch --homedir "$1" --passphrase '' --quick-gen-key \
	    "$2 <$2@example.invalid>" ed25519 sign never >/dev/null 2>&1
	gpg --batch --homedir "$1" --with-colons --list-keys |
	    awk -F: '/^fpr/ { print $10; exit }'
}
fpr1=$(gen_gpg "$T/gpg1" trusted)
fpr2=$(gen_gpg "$T/gpg2" stranger)
gpg --batch --homedir "$T/gpg1" --armor --export >trusted.asc
ssh-keygen -q -t ed25519 -N '' -C trusted -f ssh1
ssh-keygen -q -t ed25519 -N '' -C stranger -f ssh2
echo "trusted@example.invalid namespaces=\"git\" $(cat ssh1.pub)" \
    >allowed_signers

git init -q sig
write_policy sig
gpgsigned=$(GNUPGHOME=$T/gpg1 commit_all sig "signed with gpg" \
    -c user.signingkey="$fpr1" -c commit.gpgsign=true)
VERIFY=(--verify --gpg-key "$T/trusted.asc" --ssh-signers
    "$T/allowed_signers")
policy s1.out sig cache-sig "${VERIFY[@]}"
if [ "$have_loader" = 1 ]; then
	check_eq "a commit signed by a trusted OpenPGP key is accepted" \
	    "$gpgsigned" "$(field commit s1.out)"
else
	check_grep "a trusted OpenPGP signature passes the check" \
	    '^rejected-error this build has no policy loader' s1.out
fi
echo "# unsigned" >>sig/policy/domains.yaml
unsigned=$(commit_all sig "not signed")
policy s2.out sig cache-sig "${VERIFY[@]}"
check_grep "an unsigned commit is rejected with verification on" \
    "^rejected-error commit ${unsigned:0:12} is not signed" s2.out
if [ "$have_loader" = 1 ]; then
	check_eq "and the signed commit stays active" "$gpgsigned" \
	    "$(field commit s2.out)"
fi
echo "# stranger" >>sig/policy/domains.yaml
GNUPGHOME=$T/gpg2 commit_all sig "signed by a stranger" \
    -c user.signingkey="$fpr2" -c commit.gpgsign=true >/dev/null
policy s3.out sig cache-sig "${VERIFY[@]}"
check_grep "an OpenPGP key not trusted is rejected, by fingerprint" \
    "is signed by key $fpr2, which is not trusted" s3.out
echo "# ssh" >>sig/policy/domains.yaml
sshsigned=$(commit_all sig "signed with ssh" -c gpg.format=ssh \
    -c user.signingkey="$T/ssh1" -c commit.gpgsign=true)
policy s4.out sig cache-sig "${VERIFY[@]}"
if [ "$have_loader" = 1 ]; then
	check_eq "a commit signed by an allowed SSH key is accepted" \
	    "$sshsigned" "$(field commit s4.out)"
else
	check_grep "an allowed SSH signature passes the check" \
	    '^rejected-error this build has no policy loader' s4.out
fi
echo "# ssh stranger" >>sig/policy/domains.yaml
commit_all sig "signed by another ssh key" -c gpg.format=ssh \
    -c user.signingkey="$T/ssh2" -c commit.gpgsign=true >/dev/null
policy s5.out sig cache-sig "${VERIFY[@]}"
check_grep "an SSH key not in allowed_signers is rejected" \
    "is signed by an SSH key that is not in .*allowed_signers" s5.out
policy s6.out sig cache-fpr --verify --gpg-key "$T/trusted.asc" \
    --gpg-fpr 0000000000000000000000000000000000000000 --ref "$gpgsigned"
check_grep "trusting a fingerprint narrows the key file's keys" \
    "^rejected-error commit ${gpgsigned:0:12} is signed by key $fpr1, which" \
    s6.out
policy s6b.out sig cache-fpr2 --verify --gpg-key "$T/trusted.asc" \
    --gpg-fpr "$fpr1" --ref "$gpgsigned"
check_no_grep "the fingerprint named is trusted" 'not trusted|not good' \
    s6b.out
if [ "$have_loader" = 1 ]; then
	check_eq "and its commit is loaded" "$gpgsigned" \
	    "$(field commit s6b.out)"
fi

# A commit that carries a good signature made for other content.
forge() {               # forge SIGNED_COMMIT OTHER_COMMIT: prints the id
	git -C sig cat-file commit "$1" |
	    sed "s/^tree .*/tree $(git -C sig rev-parse "$2^{tree}")/" |
	    git -C sig hash-object -t commit -w --stdin
}
forged=$(forge "$gpgsigned" "$unsigned")
policy s8.out sig cache-forged "${VERIFY[@]}" --ref "$forged"
check_grep "an OpenPGP signature copied onto other content is refused" \
    "^rejected-error commit ${forged:0:12}: OpenPGP signature is not good" \
    s8.out
forged=$(forge "$sshsigned" "$unsigned")
policy s9.out sig cache-forged2 "${VERIFY[@]}" --ref "$forged"
check_grep "an SSH signature copied onto other content is refused" \
    "^rejected-error commit ${forged:0:12}: SSH signature by .* is not good" \
    s9.out
"$GITCTL" policy sig cache-nokeys --verify >s7.out 2>&1
check_grep "verification without any trusted key refuses to start" \
    "no trusted key is configured" s7.out

# --- an unreachable remote ------------------------------------------------
mkdir srv
git clone -q --bare pol srv/pol.git
nsf_spawn daemon git daemon --base-path="$T/srv" --export-all \
    --reuseaddr --listen=$ADDR --port=$PORT "$T/srv"
daemon=$NSF_LAST_PID
if ! wait_for 20 git ls-remote "git://$ADDR:$PORT/pol.git"; then
	not_ok "git daemon did not start on $ADDR:$PORT"
	sed 's/^/#   /' "$T/daemon.log"
	exit 1
fi
URL=git://$ADDR:$PORT/pol.git
policy u1.out "$URL" cache-remote
check_eq "the remote over git:// is reachable" yes \
    "$(field reachable u1.out)"
tip=$(git -C srv/pol.git rev-parse main)
nsf_stop_pid "$daemon"
policy u2.out "$URL" cache-remote
check_eq "a stopped remote is reported unreachable" no \
    "$(field reachable u2.out)"
check_grep "the failure is logged with what happens next" \
    "cannot fetch the policy from $URL: .*running on the cached policy" \
    u2.out.err
if [ "$have_loader" = 1 ]; then
	check_eq "the cached policy stays active" "$tip" \
	    "$(field commit u2.out)"
	check_eq "the result says unreachable (NSF_EUNREACHABLE)" -8 \
	    "$(field result u2.out)"
fi
nsf_spawn daemon2 git daemon --base-path="$T/srv" --export-all \
    --reuseaddr --listen=$ADDR --port=$PORT "$T/srv"
wait_for 20 git ls-remote "$URL"
policy u3.out "$URL" cache-remote
check_eq "the remote is reachable again" yes "$(field reachable u3.out)"

# --- a remote that accepts the connection and never answers ---------------
# libgit2 1.5 has no timeout of its own; nsfailover's deadline
# (NSF_GIT_TIMEOUT seconds) must end the fetch.
nsf_spawn silent /usr/bin/python3 "$NSF_ROOT/tests/lib/blackhole.py" \
    127.0.40.5:9418
listening() {
	/usr/bin/python3 -c 'import socket, sys
socket.create_connection((sys.argv[1], int(sys.argv[2])), 1)' "$@"
}
wait_for 10 listening 127.0.40.5 9418
NSF_GIT_TIMEOUT=1 timeout 60 "$GITCTL" policy git://127.0.40.5:9418/pol.git \
    cache-remote >h1.out 2>h1.err
check_eq "a silent remote does not block the fetch for ever" 0 "$?"
check_grep "it is reported with the time allowed" \
    'from git://127.0.40.5:9418/pol.git: no answer within 1 s; running' \
    h1.err
if [ "$have_loader" = 1 ]; then
	check_eq "and the cached policy stays active" "$tip" \
	    "$(field commit h1.out)"
fi

# --- a commit whose policy files are too large together -----------------
# Five files of 15 MiB each pass the per-file limit (16 MiB) but not the
# 64 MiB for the whole policy: the commit is rejected without the rest
# being read, and the last good policy stays in force.
git init -q big
write_policy big
commit_all big "a good policy" >/dev/null
policy b1.out big cache-big
bigtip=$(field commit b1.out)
for i in 1 2 3 4 5; do
	head -c $((15 * 1024 * 1024)) /dev/zero | tr '\0' '#' |
	    fold -w 79 >"big/policy/zz-filler-$i.yaml"
done
commit_all big "five large files" >/dev/null
policy b2.out big cache-big
check_grep "files larger than 64 MiB together are refused" \
    "more than 67108864 bytes together" b2.out
check_eq "and the last good policy stays in force" "$bigtip" \
    "$(field commit b2.out)"

# --- a symbolic link among the policy files -------------------------------
# validate refuses it on disk; the daemon must refuse it from git too
# (git stores the link's target name, not the file it points at).
git init -q lnk
write_policy lnk
commit_all lnk "a good policy" >/dev/null
policy l1.out lnk cache-lnk
lnktip=$(field commit l1.out)
ln -s ../elsewhere.yaml lnk/policy/more.yaml
commit_all lnk "a link" >/dev/null
policy l2.out lnk cache-lnk
check_grep "a symbolic link in the policy is refused" \
    "policy/more.yaml: a symbolic link" l2.out
check_eq "and the last good policy stays in force" "$lnktip" \
    "$(field commit l2.out)"
