#!/usr/bin/env bash
# exec_timeout: a hook that hangs is killed with its whole process group at
# the registry timeout and reaped; the outcome is unknown.
source "$(dirname "$0")/../lib/common.sh"

CLI=$NSF_ROOT/build/t/tools/registry_cli
cat >"$T/hang.sh" <<'HOOK'
#!/bin/sh
sleep 300 &
echo $! >"$0.child"
echo "working" >&2
sleep 300
HOOK
chmod 755 "$T/hang.sh"

start=$(date +%s)
"$CLI" --type exec --timeout 2s apply x.test --observed a.test \
    --add b.test -- "$T/hang.sh" >"$T/hang.json" 2>"$T/hang.log"
took=$(( $(date +%s) - start ))
check_eq "timed out: unknown" unknown "$(jq -r .result "$T/hang.json")"
check_grep "... saying it was killed at the timeout" \
    "did not finish within the registry timeout and was killed" \
    "$T/hang.json"
check_grep "... quoting stderr" "stderr: working" "$T/hang.json"
check "gave up within the timeout's bound (${took}s)" test "$took" -le 20
child=$(cat "$T/hang.sh.child")
if wait_for 5 sh -c "! kill -0 $child"; then
	ok "the hook's own child was killed with the process group"
else
	not_ok "process $child of the hook's group is still running"
	kill -KILL "$child" 2>/dev/null
fi

start=$(date +%s)
if "$CLI" --type exec --timeout 2s observe x.test -- "$T/hang.sh" \
    >"$T/obs.json" 2>"$T/obs.log"; then
	not_ok "observe of a hanging hook fails"
else
	check_grep "observe of a hanging hook fails with the timeout" \
	    "did not finish within the registry timeout" "$T/obs.log"
fi
child=$(cat "$T/hang.sh.child")
wait_for 5 sh -c "! kill -0 $child" || kill -KILL "$child" 2>/dev/null
