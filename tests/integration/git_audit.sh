#!/usr/bin/env bash
# git_audit.sh - the audit log against a bare repository over file:// and
# over git daemon on 127.0.40.1: what libgit2 writes is read back with the
# git CLI, two writers race, a crash leaves nothing half-done, an
# unreachable remote queues records, and history reads shallow clones.
. "$(dirname "$0")/../lib/common.sh"

GITCTL=$NSF_ROOT/build/t/tools/gitctl
ADDR=127.0.40.1
PORT=9418
export HOME=$T GIT_CONFIG_NOSYSTEM=1
git config --global user.name "Test Person"
git config --global user.email test@example.invalid
git config --global init.defaultBranch main

cd "$T" || exit 1
mkdir srv
git init -q --bare srv/remote.git
git clone -q "file://$T/srv/remote.git" a 2>/dev/null

# --- records over file:// read back with git ---------------------------
"$GITCTL" record a example.com failover --active provider-b \
    --from ns1.a.example,ns2.a.example --to ns1.b.example,ns2.b.example \
    --ns ns1.b.example,ns2.b.example \
    --reason "provider-a: 0/2 nameservers healthy for 3 rounds" \
    --policy-commit 0123abcd --client-trid nsf-1 --server-trid srv-42 \
    >rec.out 2>rec.err
check "a record is committed and pushed over file://" \
    grep -q '^queued 0$' rec.out
check_eq "git log on the remote shows the record" \
    "example.com: failover (active: provider-b)" \
    "$(git -C srv/remote.git log -1 --format=%s nsfailover/state)"
check "git fsck --strict finds the remote clean" \
    git -C srv/remote.git fsck --strict
git -C srv/remote.git log -1 --format=%B nsfailover/state |
    git interpret-trailers --parse >trailers.txt
check_grep "interpret-trailers reads Domain" '^Domain: example.com$' \
    trailers.txt
check_grep "interpret-trailers reads From and To" \
    '^To: ns1.b.example ns2.b.example$' trailers.txt
check_grep "interpret-trailers reads the reason" \
    '^Reason: provider-a: 0/2 nameservers healthy for 3 rounds$' \
    trailers.txt
check_grep "interpret-trailers reads the transaction ids" \
    '^Server-TRID: srv-42$' trailers.txt
git -C srv/remote.git show nsfailover/state:state/example.com.yaml \
    >state.yaml
check_grep "state/example.com.yaml holds the active group" \
    '^active: "provider-b"$' state.yaml
check "the clone's index and working tree are untouched" \
    test -z "$(git -C a status --porcelain)"

# --- nsfailover history -------------------------------------------------
"$NSF" history --repo srv/remote.git >hist.txt 2>&1
check_grep "history shows the record one line per commit" \
    '^[0-9a-f]{7} .* example.com: failover \(active: provider-b\)$' \
    hist.txt
check_grep "history shows the reason trailer" \
    '^ +Reason: provider-a: 0/2' hist.txt
"$NSF" history example.com --repo a --format json >hist.json 2>&1
check "history --format json is a JSON array of records" \
    /usr/bin/python3 -c 'import json,sys
r = json.load(open(sys.argv[1]))
assert r[0]["domain"] == "example.com", r
assert r[0]["to"] == ["ns1.b.example", "ns2.b.example"], r
assert r[0]["server_trid"] == "srv-42", r' hist.json
"$NSF" history other.example --repo a >hist2.txt 2>&1
check_grep "history of a domain with no records says so" \
    '^no records for other.example' hist2.txt
"$NSF" history --repo a --format yaml >bad.txt 2>&1
check_eq "history refuses an unknown format with exit 2" 2 "$?"
"$NSF" history --repo "$T/nowhere" >bad.txt 2>&1
check_grep "history on a missing repository names it" \
    'cannot open repository .*nowhere' bad.txt

# --- two writers racing on the state branch ------------------------------
git clone -q "file://$T/srv/remote.git" w1 2>/dev/null
git clone -q "file://$T/srv/remote.git" w2 2>/dev/null
"$GITCTL" record w1 w1.example converge --active g --count 15 \
    >w1.out 2>w1.err &
p1=$!
"$GITCTL" record w2 w2.example converge --active g --count 15 \
    >w2.out 2>w2.err &
p2=$!
wait "$p1" "$p2"
"$GITCTL" push w1 >/dev/null 2>&1
"$GITCTL" push w2 >/dev/null 2>&1
n1=$(git -C srv/remote.git log --format=%B nsfailover/state |
    grep -c '^Domain: w1.example$')
n2=$(git -C srv/remote.git log --format=%B nsfailover/state |
    grep -c '^Domain: w2.example$')
check_eq "two racing writers lose no record (writer 1)" 15 "$n1"
check_eq "two racing writers lose no record (writer 2)" 15 "$n2"
check "the raced branch is linear and clean" \
    test "$(git -C srv/remote.git rev-list --merges nsfailover/state |
        wc -l)" -eq 0
check "git fsck --strict after the race" git -C srv/remote.git fsck --strict

# --- a crash: kill -9 in the middle of recording ------------------------
# The writer commits open intents (as before a registry change) until it
# is killed; the next process must find the last one still open.
git clone -q "file://$T/srv/remote.git" k 2>/dev/null
"$GITCTL" record k crash.example intent --intent nsf-crash-1 \
    --active provider-b --from ns1.a.example --to ns1.b.example \
    --no-push --count 100000 >kill.out 2>kill.err &
kp=$!
wait_for 30 grep -q '^commit ' kill.out
sleep 0.3
kill -9 "$kp"
wait "$kp" 2>/dev/null
last=$(grep '^commit ' kill.out | tail -1 | cut -d' ' -f2)
check "every record reported written survives kill -9" \
    git -C k merge-base --is-ancestor "$last" nsfailover/state
check "git fsck --strict after kill -9" git -C k fsck --strict
"$GITCTL" state k crash.example >intent.yaml 2>intent.err
check_grep "after kill -9 the intent reads back open" \
    '^  id: "nsf-crash-1"$' intent.yaml
check_grep "with the set it wanted" '^  - "ns1.b.example"$' intent.yaml
"$GITCTL" record k crash.example failover --active after --intent \
    nsf-crash-1 >rec2.out 2>rec2.err
check "the next run records the outcome" grep -q '^queued 0$' rec2.out
"$GITCTL" state k crash.example >outcome.yaml 2>&1
check_no_grep "the outcome closes the intent" "^intent:" outcome.yaml
check_grep "and the state says what was done" '^active: "after"$' \
    outcome.yaml
if grep -q 'stale lock' rec2.err; then
	check_grep "a stale lock is named when it is removed" \
	    "removed stale lock .*nsfailover.lock left by pid $kp" rec2.err
fi

# --- locks: stale removed, live reported --------------------------------
sh -c 'exit 0' &
dead=$!
wait "$dead"
echo "$dead $(hostname) 1700000000" >a/.git/nsfailover.lock
"$GITCTL" record a lock.example pin --active x >lock1.out 2>lock1.err
check "a stale lock (this host, process gone) is removed" \
    grep -q '^commit ' lock1.out
check_grep "the stale lock's removal is logged" \
    "removed stale lock .* left by pid $dead" lock1.err
nsf_spawn holder sleep 60
holder=$NSF_LAST_PID
echo "$holder $(hostname) 1700000000" >a/.git/nsfailover.lock
"$GITCTL" record a lock.example pin --active y --lock-wait 300 \
    >lock2.out 2>lock2.err
check_eq "a live lock stops the writer (exit 3)" 3 "$?"
check_grep "a live lock is reported with its holder" \
    "nsfailover.lock is held by pid $holder on host .*is running" \
    lock2.err
check "a live lock is left in place" test -e a/.git/nsfailover.lock
nsf_stop_pid "$holder"
rm -f a/.git/nsfailover.lock

# --- unreachable, then reachable: queued records go out in order --------
mv srv/remote.git srv/remote.off
for i in 1 2 3; do
	"$GITCTL" record a queue.example converge --active "q$i" \
	    >"q$i.out" 2>"q$i.err"
done
check "records queue while the remote is unreachable" \
    grep -q '^queued 3$' q3.out
check "the writer reports the remote unreachable" \
    grep -q '^reachable no$' q3.out
check_grep "the unreachable remote is logged once with the queue" \
    'stay queued locally' q1.err
mv srv/remote.off srv/remote.git
"$GITCTL" push a >push.out 2>push.err
check "the queue is pushed when the remote is back" \
    grep -q '^queued 0$' push.out
check_eq "queued records reach the remote in order" \
    "queue.example: converge (active: q3)
queue.example: converge (active: q2)
queue.example: converge (active: q1)" \
    "$(git -C srv/remote.git log -3 --format=%s nsfailover/state)"

# --- history from a shallow clone ---------------------------------------
git clone -q --depth 3 --branch nsfailover/state \
    "file://$T/srv/remote.git" shallow 2>/dev/null
"$NSF" history --repo shallow >shallow.txt 2>&1
check_eq "a shallow clone shows the records it has" 3 \
    "$(grep -c '^[0-9a-f]\{7\} ' shallow.txt)"
check_grep "history says where a shallow clone cuts it off" \
    '^-- history is cut off here: this is a shallow clone' shallow.txt

"$NSF" history --repo shallow --format json >shallow.json 2>shallow.err
check "in JSON a shallow clone still gives a valid array" \
    /usr/bin/python3 -c 'import json,sys
assert len(json.load(open(sys.argv[1]))) == 3' shallow.json
check_grep "and says on stderr where it is cut off" \
    '^-- history is cut off here' shallow.err

# --- history from a plain clone: only origin's remote-tracking branch ----
git clone -q "file://$T/srv/remote.git" plain 2>/dev/null
"$NSF" history queue.example --repo plain >plain.txt 2>&1
check_eq "a plain clone reads origin/nsfailover/state" 3 \
    "$(grep -c 'queue.example: converge' plain.txt)"

# --- history --since, on records with known commit times -----------------
git init -q dated
for day in 01 02 03 04 05; do
	GIT_COMMITTER_DATE="2026-01-${day}T12:00:00Z" \
	GIT_AUTHOR_DATE="2026-01-${day}T12:00:00Z" \
	    git -C dated commit -q --allow-empty -m "d.example: pin $day

Domain: d.example
Action: pin
Reason: day $day"
done
git -C dated branch -q -m nsfailover/state
"$NSF" history --repo dated --since 2026-01-03 >since.txt 2>&1
check_eq "--since DATE keeps the records from that day on" \
    "03 04 05" "$(sed -n 's/^ *Reason: day //p' since.txt | sort |
        tr '\n' ' ' | sed 's/ $//')"
"$NSF" history --repo dated --since 2026-01-04T12:00:00Z --format json \
    >since.json 2>&1
check "--since TIME with --format json" /usr/bin/python3 -c '
import json,sys
r = json.load(open(sys.argv[1]))
assert [x["reason"] for x in r] == ["day 05", "day 04"], r' since.json
"$NSF" history --repo dated --since 2027-01-01 >since2.txt 2>&1
check_grep "--since after every record says there are none" \
    '^no records on refs/heads/nsfailover/state' since2.txt
"$NSF" history --repo a --since 1h queue.example >since3.txt 2>&1
check_eq "--since AGE keeps recent records" 3 \
    "$(grep -c 'queue.example: converge' since3.txt)"
"$NSF" history --repo dated --branch nope >nobranch.txt 2>&1
check_grep "a repository without the state branch says how to fetch it" \
    '^nsfailover history: no branch nope in dated .*fetch origin nope:nope' \
    nobranch.txt
"$NSF" history --repo dated --since yesterday >since4.txt 2>&1
check_eq "a bad --since exits 2" 2 "$?"
check_grep "and says what a time looks like" \
    "'yesterday' is not a time: use 2026-12-04" since4.txt

# --- over git daemon on 127.0.40.1 --------------------------------------
nsf_spawn daemon git daemon --base-path="$T/srv" --export-all \
    --enable=receive-pack --reuseaddr --listen=$ADDR --port=$PORT \
    "$T/srv"
daemon=$NSF_LAST_PID
if ! wait_for 20 git ls-remote "git://$ADDR:$PORT/remote.git"; then
	not_ok "git daemon did not start on $ADDR:$PORT"
	sed 's/^/#   /' "$T/daemon.log"
	exit 1
fi
git clone -q "git://$ADDR:$PORT/remote.git" d1 2>/dev/null
git clone -q "git://$ADDR:$PORT/remote.git" d2 2>/dev/null
"$GITCTL" record d1 daemon.example failover --active b >d.out 2>d.err
check "a record is pushed over git://" grep -q '^queued 0$' d.out
"$GITCTL" record d1 d1.example converge --count 10 >d1.out 2>d1.err &
p1=$!
"$GITCTL" record d2 d2.example converge --count 10 >d2.out 2>d2.err &
p2=$!
wait "$p1" "$p2"
"$GITCTL" push d1 >/dev/null 2>&1
"$GITCTL" push d2 >/dev/null 2>&1
n1=$(git -C srv/remote.git log --format=%B nsfailover/state |
    grep -c '^Domain: d1.example$')
n2=$(git -C srv/remote.git log --format=%B nsfailover/state |
    grep -c '^Domain: d2.example$')
check_eq "racing writers over git:// lose no record" "10 10" "$n1 $n2"
check "git fsck --strict after the git:// race" \
    git -C srv/remote.git fsck --strict

# --- a ref the remote refuses while the push itself succeeds ------------
# receive-pack's update hook declines the ref: the push "works" and only
# the per-ref status says no.
cat >srv/remote.git/hooks/update <<EOF
#!/bin/sh
if [ -e "$T/refuse-once" ]; then
	rm -f "$T/refuse-once"
	echo "test hook: refusing \$1 once" >&2
	exit 1
fi
[ ! -e "$T/refuse-always" ]
EOF
chmod +x srv/remote.git/hooks/update
touch refuse-once
"$GITCTL" record d1 refused.example failover --active b >r1.out 2>r1.err
check_grep "a refused ref is detected although the push returned" \
    "remote origin refused refs/heads/nsfailover/state" r1.err
check_grep "and the record is fetched, replayed and pushed again" \
    'attempt 1 of 6' r1.err
check "the retry lands it on the remote" grep -q '^queued 0$' r1.out
check_eq "the remote's tip is that record" \
    "refused.example: failover (active: b)" \
    "$(git -C srv/remote.git log -1 --format=%s nsfailover/state)"
before=$(git -C srv/remote.git rev-parse nsfailover/state)
touch refuse-always
"$GITCTL" record d1 refused.example failback --active a >r2.out 2>r2.err
check_eq "a remote that keeps refusing leaves the record committed" 0 "$?"
check "and queued locally" grep -q '^queued 1$' r2.out
check_grep "after the bounded retries, said once" \
    'kept refusing nsfailover/state after 6 attempts; records stay queued' \
    r2.err
check_eq "nothing on the remote was forced or lost" "$before" \
    "$(git -C srv/remote.git rev-parse nsfailover/state)"
rm -f refuse-always
"$GITCTL" push d1 >r3.out 2>r3.err
check "once the remote accepts, the queue goes out" \
    grep -q '^queued 0$' r3.out
check "as a fast-forward of what the remote had" \
    git -C srv/remote.git merge-base --is-ancestor "$before" \
    nsfailover/state
rm -f srv/remote.git/hooks/update

nsf_stop_pid "$daemon"
"$GITCTL" record d1 daemon.example failback --active a >dd.out 2>dd.err
check "with git daemon stopped the record queues" \
    grep -q '^queued 1$' dd.out
check_grep "the refused connection is logged" \
    "cannot fetch nsfailover/state from remote origin .*$ADDR" dd.err
nsf_spawn daemon2 git daemon --base-path="$T/srv" --export-all \
    --enable=receive-pack --reuseaddr --listen=$ADDR --port=$PORT \
    "$T/srv"
wait_for 20 git ls-remote "git://$ADDR:$PORT/remote.git"
"$GITCTL" push d1 >dp.out 2>dp.err
check "with git daemon back the queue is pushed" grep -q '^queued 0$' dp.out
check_eq "the remote's tip is the queued record" \
    "daemon.example: failback (active: a)" \
    "$(git -C srv/remote.git log -1 --format=%s nsfailover/state)"

# --- a remote that accepts the connection and never answers ---------------
nsf_spawn silent /usr/bin/python3 "$NSF_ROOT/tests/lib/blackhole.py" \
    127.0.40.5:9418
listening() {
	/usr/bin/python3 -c 'import socket, sys
socket.create_connection((sys.argv[1], int(sys.argv[2])), 1)' "$@"
}
wait_for 10 listening 127.0.40.5 9418
git init -q sil
git -C sil remote add origin git://127.0.40.5:9418/remote.git
NSF_GIT_TIMEOUT=1 timeout 60 "$GITCTL" record sil silent.example failover \
    --active b >sil.out 2>sil.err
check_eq "a silent remote does not block the record for ever" 0 "$?"
check "the record is committed and queued" grep -q '^queued 2$' sil.out
check_grep "the silence is reported with the time allowed" \
    'cannot fetch nsfailover/state .*: no answer within 1 s' sil.err

# A record whose text carries a terminal escape sequence (anyone who can
# push to the branch can write one): history shows it defanged.
git init -q --bare esc.git
"$GITCTL" record esc.git esc.example failover --active b --ns ns1.b \
    --reason "$(printf 'x \033[31mred\033[0m y')" --no-push >/dev/null 2>&1
"$NSF" history --repo esc.git >esc.txt 2>&1
check_grep "history prints the record" "Reason: x \?\[31mred\?\[0m y" \
    esc.txt
esc=$(printf '\033')
check "... without the escape character" sh -c "! grep -q '$esc' esc.txt"
