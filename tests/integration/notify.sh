#!/usr/bin/env bash
# notify.sh - webhooks against real HTTP receivers on 127.0.50.x: body and
# HMAC signature, Slack format, retries, and receivers that hang or refuse
# delaying neither the sender nor the other receivers.
. "$(dirname "$0")/../lib/common.sh"

DEMO=$NSF_ROOT/build/t/tools/notify_demo
RECV=$NSF_ROOT/tests/tools/webhook_receiver.py
KEY='k3y-for-hmac'

# receiver NAME ADDRESS MODE: starts one; its port ends up in $T/NAME.port.
receiver() {
	nsf_spawn "recv-$1" /usr/bin/python3 "$RECV" "$2" "$T/$1.port" \
	    "$T/$1.jsonl" "$3"
	wait_for 10 test -s "$T/$1.port" || { not_ok "receiver $1 started"; exit 1; }
	touch "$T/$1.jsonl"
}

# count NAME: requests the receiver has seen.
count() {
	wc -l <"$T/$1.jsonl" | tr -d ' '
}

# demo_cmd LINE: sends one command, reads one answer line into $REPLY.
demo_cmd() {
	echo "$1" >&"${D[1]}"
	read -r -t 60 REPLY <&"${D[0]}" || REPLY="(no answer)"
}

receiver good 127.0.50.10 ok
receiver hang 127.0.50.11 hang
receiver flaky 127.0.50.12 flaky:2
receiver slack 127.0.50.14 ok
receiver reject 127.0.50.15 status:400
good=$(cat "$T/good.port") hang=$(cat "$T/hang.port")
flaky=$(cat "$T/flaky.port") slack=$(cat "$T/slack.port")
reject=$(cat "$T/reject.port")

R=http://127.0.50
QUICK=backoff=100
coproc D { exec "$DEMO" -q 4 \
    "good=$R.10:$good/hook,key=$KEY,retries=0" \
    "hang=$R.11:$hang/hook,timeout=300000,retries=0" \
    "refused=$R.13:9/hook,timeout=2000,retries=3,backoff=200" \
    "flaky=$R.12:$flaky/hook,retries=3,$QUICK,events=failover" \
    "slack=$R.14:$slack/hook,format=slack,events=failback" \
    "reject=$R.15:$reject/hook,retries=5,$QUICK,events=drift" \
    2>"$T/demo.err"; }
nsf_track_pid "$D_PID"
read -r -t 30 REPLY <&"${D[0]}"
check_eq "notifier started" "ready" "$REPLY"

why="provider-a down: 0/2 addresses answer"
demo_cmd "send failover example.test provider-a provider-b $why"
ms=${REPLY#sent }
what="nsf_notify_send returned at once (${ms} ms)"
check "$what with a hanging and a refusing receiver" test "$ms" -lt 500

wait_for 20 test "$(count good)" -ge 1
check_eq "the healthy receiver got the event" 1 "$(count good)"

/usr/bin/python3 - "$T/good.jsonl" "$KEY" >"$T/verify.out" 2>&1 <<'PY'
import hashlib, hmac, json, sys
rec = json.loads(open(sys.argv[1]).readline())
body = rec["body"].encode()
h = {k.lower(): v for k, v in rec["headers"].items()}
want = "sha256=" + hmac.new(sys.argv[2].encode(), body,
                            hashlib.sha256).hexdigest()
assert h["x-nsfailover-signature"] == want, (h, want)
assert h["content-type"] == "application/json"
assert h["x-nsfailover-event"] == "failover"
doc = json.loads(body)
assert doc["event"] == "failover", doc
assert doc["domain"] == "example.test", doc
assert doc["from"] == "provider-a" and doc["to"] == "provider-b", doc
assert doc["reason"] == "provider-a down: 0/2 addresses answer", doc
assert doc["policy_commit"] == "0123456789abcdef0123456789abcdef01234567"
assert doc["time"].endswith("Z") and len(doc["time"]) == 20, doc
print("ok")
PY
what="body has event, domain, from, to, reason, time, policy commit"
check_grep "$what; HMAC-SHA256 signature verifies" \
    '^ok$' "$T/verify.out"

wait_for 10 test "$(count hang)" -ge 1
check_eq "the hanging receiver holds the first request" 1 "$(count hang)"

why="provider-a healthy for 15m"
demo_cmd "send failback example.test provider-b provider-a $why"
ms=${REPLY#sent }
check "a second send returned at once too (${ms} ms)" test "$ms" -lt 500
wait_for 20 test "$(count good)" -ge 2
check_eq "a later event still reached the healthy receiver" 2 "$(count good)"
check_eq "the hanging receiver still holds only the first request" 1 \
    "$(count hang)"

wait_for 20 test "$(count flaky)" -ge 3
check_eq "a receiver answering 503 twice got the event on the third try" \
    3 "$(count flaky)"
/usr/bin/python3 - "$T/flaky.jsonl" >"$T/ids.out" <<'PY'
import json, sys
ids = {json.loads(l)["headers"].get("X-Nsfailover-Delivery")
       for l in open(sys.argv[1])}
print(len(ids))
PY
check_eq "retries carry the same delivery id" 1 "$(cat "$T/ids.out")"
what="the flaky receiver, subscribed to failover only,"
check_eq "$what missed the failback" \
    3 "$(count flaky)"

wait_for 10 test "$(count slack)" -ge 1
/usr/bin/python3 - "$T/slack.jsonl" >"$T/slack.out" 2>&1 <<'PY'
import json, sys
rec = json.loads(open(sys.argv[1]).readline())
doc = json.loads(rec["body"])
assert list(doc) == ["text"], doc
assert doc["text"].startswith("nsfailover: failback of example.test"), doc
assert "X-Nsfailover-Signature" not in rec["headers"], rec["headers"]
print("ok")
PY
check_grep "slack format posts {\"text\": ...} for the failback only" \
    '^ok$' "$T/slack.out"

demo_cmd "send drift example.test - - live NS set differs"
wait_for 10 test "$(count reject)" -ge 1
sleep 1
check_eq "a receiver answering 400 is not retried" 1 "$(count reject)"

# The hanging receiver's queue holds 4: six more events drop the oldest.
for i in 1 2 3 4 5 6; do
	demo_cmd "send refused d$i.test a b flap budget spent"
done
echo metrics >&"${D[1]}"
N=nsfailover_notifications_total
: >"$T/metrics.out"
while read -r -t 10 line <&"${D[0]}" && [ "$line" != end ]; do
	echo "$line" >>"$T/metrics.out"
done
check_grep "a full queue drops the oldest event and counts it" \
    "$N\{webhook=\"hang\",result=\"dropped\"\} [1-9]" \
    "$T/metrics.out"
check_grep "delivered notifications are counted" \
    "$N\{webhook=\"good\",result=\"delivered\"\} [1-9]" \
    "$T/metrics.out"
check_grep "the refused receiver's failures are counted" \
    "$N\{webhook=\"refused\",result=\"failed\"\} [1-9]" \
    "$T/metrics.out"

demo_cmd "quit 0"
ms=${REPLY#stopped }
check "stopping aborts the hung transfer promptly (${ms} ms)" \
    test "$ms" -lt 10000
check_no_grep "the HMAC key never appears in the log" "$KEY" "$T/demo.err"
check_grep "failures are logged with the webhook name" \
    "webhook 'refused'" "$T/demo.err"
