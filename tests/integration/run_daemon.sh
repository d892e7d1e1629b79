# run_daemon.sh - `nsfailover run` as an operator meets it: refuses to
# start on a missing configuration or an unsafe secrets file, logs one
# JSON object a line, fails over through an exec registry (a hook that
# keeps the delegation in a file), reloads on SIGHUP and exits cleanly on
# SIGTERM.  Addresses 127.0.89.0/24.
source "$(dirname "$0")/../lib/common.sh"
source "$NSF_ROOT/tests/lib/dns.sh"

A=127.0.89.11 B=127.0.89.21
mkdir -p "$T/za" "$T/zb" "$T/held"
zones_a=() zones_b=()
for d in w x y z; do
	for z in za zb; do
		nsf_zone_file "$T/$z/$d.test" $d.test 2026120401 \
		    ns1.a.test ns1.b.test
	done
	zones_a+=("$d.test=$T/za/$d.test")
	zones_b+=("$d.test=$T/zb/$d.test")
done
nsf_start_nsd prov-a "$A" "${zones_a[@]}" ||
    { not_ok "NSD starts"; exit 1; }
nsf_start_knot prov-b "$B" "${zones_b[@]}" ||
    { not_ok "Knot starts"; exit 1; }

# The registry: a hook keeping each domain's NS set in $T/held/DOMAIN.
cat >"$T/hook.py" <<'PY'
import json, os, sys
req = json.load(sys.stdin)
path = os.path.join(sys.argv[1], req["domain"])
with open(path) as f:
    ns = f.read().split()
if req["operation"] == "apply":
    rem = set(req.get("rem", []))
    add = [a["name"] if isinstance(a, dict) else a
           for a in req.get("add", [])]
    ns = sorted((set(ns) - rem) | set(add))
    with open(path + ".tmp", "w") as f:
        f.write("\n".join(ns) + "\n")
    os.rename(path + ".tmp", path)
print(json.dumps({"result": "done", "nameservers": ns,
                  "statuses": ["ok"], "transaction_id": "HOOK-1"}))
PY
for d in w x y z; do
	echo ns1.a.test >"$T/held/$d.test"
done

git init -q --bare -b main "$T/repo.git"
git init -q -b main "$T/work"
mkdir -p "$T/work/policy"
cat >"$T/work/policy/policy.yaml" <<YAML
version: 1
defaults:
  health: { interval: 1s, timeout: 400ms, retries: 0, fail_after: 2,
            recover_after: 2 }
  failback: { hold_down: 1h }
providers:
  provider-a:
    nameservers: [ { name: ns1.a.test, addresses: [ $A ] } ]
  provider-b:
    nameservers: [ { name: ns1.b.test, addresses: [ $B ] } ]
registries:
  hook:
    type: exec
    command: [ /usr/bin/python3, "$T/hook.py", "$T/held" ]
    min_nameservers: 1
    timeout: 5s
domains:
  x.test: { registry: hook, primary: provider-a, backups: [ provider-b ] }
YAML
git -C "$T/work" add -A
git -C "$T/work" -c user.name=t -c user.email=t@t commit -qm policy
git -C "$T/work" push -q "$T/repo.git" main

printf 'unused:\n  note: nothing secret here\n' >"$T/secrets.yaml"
chmod 600 "$T/secrets.yaml"
cat >"$T/nsfailover.yaml" <<YAML
repository:
  url: $T/repo.git
  branch: main
  path: policy
  fetch_interval: 1s
cache_dir: $T/cache
secrets: $T/secrets.yaml
resolvers: [ "127.0.89.1" ]
metrics:
  listen: "127.0.89.3:9153"
log:
  format: plain
  level: info
YAML

"$NSF" run --config "$T/missing.yaml" >"$T/out" 2>&1
check_eq "missing configuration: exit 1" 1 "$?"
check_grep "... names the file" "missing.yaml" "$T/out"

sed "s|secrets: .*|secrets: $T/open-secrets.yaml|" "$T/nsfailover.yaml" \
    >"$T/open.yaml"
cp "$T/secrets.yaml" "$T/open-secrets.yaml"
chmod 644 "$T/open-secrets.yaml"
"$NSF" run --config "$T/open.yaml" >"$T/out" 2>&1
check_eq "secrets readable by others: exit 1" 1 "$?"
check_grep "... says why" "0600|mode" "$T/out"

"$NSF" run --config "$T/nsfailover.yaml" --log-format json 2>"$T/log" &
pid=$!
nsf_track_pid "$pid"
check "starts and reconciles" wait_for 20 grep -q "reconciling 1 domain" \
    "$T/log"
check "every log line is one JSON object with the fields" python3 -c '
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    assert {"ts", "level", "source", "msg"} <= set(e), line
' "$T/log"
check "the domain is a field of its events" wait_for 20 grep -q \
    '"domain":"x.test"' "$T/log"

nsf_stop_pid "$NSD_PID_prov_a"
check "provider A down: the hook now holds provider B" \
    wait_for 30 grep -qx ns1.b.test "$T/held/x.test"
state_log() {
	git --git-dir="$T/repo.git" log nsfailover/state 2>/dev/null
}
check "the failover is on the remote's state branch" wait_for 15 sh -c \
    "$(declare -f state_log); T='$T'; state_log | grep -q 'Action: failover'"
check "... with the hook's transaction id" \
    grep -q 'Server-TRID: HOOK-1' <(state_log)
check "git fsck --strict is clean" git --git-dir="$T/repo.git" fsck \
    --strict --no-progress

# A policy commit that adds domains and changes a setting of the one
# there is: the daemon takes it while running.
cat >>"$T/work/policy/policy.yaml" <<YAML
  w.test: { registry: hook, primary: provider-a, backups: [ provider-b ] }
  y.test: { registry: hook, primary: provider-b, backups: [ provider-a ] }
  z.test: { registry: hook, primary: provider-b, backups: [ provider-a ] }
YAML
sed -i 's/hold_down: 1h/hold_down: 2h/' "$T/work/policy/policy.yaml"
git -C "$T/work" -c user.name=t -c user.email=t@t commit -qam "more domains"
git -C "$T/work" push -q "$T/repo.git" main
check "a policy commit adding domains is taken while running" \
    wait_for 20 grep -q "reconciling 4 domain" "$T/log"
check "... and the new primary is applied (z.test to provider-b)" \
    wait_for 30 grep -qx ns1.b.test "$T/held/z.test"
check "... with the daemon still running" kill -0 "$pid"

kill -HUP "$pid"
check "SIGHUP reloads" wait_for 10 \
    grep -q "configuration and secrets reloaded" "$T/log"
check "... and the daemon keeps running" kill -0 "$pid"

# An invalid commit on the branch: the daemon keeps its last good policy,
# and status shows that one, with a warning, instead of giving up.
sed -i 's/hook, primary: provider-a/hook, primay: provider-a/' \
    "$T/work/policy/policy.yaml"
git -C "$T/work" -c user.name=t -c user.email=t@t commit -qam "a typo"
git -C "$T/work" push -q "$T/repo.git" main
check "the daemon rejects the commit" wait_for 20 grep -q \
    "rejected policy commit" "$T/log"
"$NSF" status --config "$T/nsfailover.yaml" >"$T/st.out" 2>"$T/st.err"
check_eq "status with a rejected tip: exit 0" 0 "$?"
check_grep "... warns that the tip is rejected" \
    "the policy at the tip .* is rejected: .*x.test" "$T/st.err"
check_grep "... and reports the last good policy's domains" \
    "^z.test: " "$T/st.out"

kill -TERM "$pid"
for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
wait "$pid"
check_eq "SIGTERM: exit 0" 0 "$?"
check_grep "... after saying so" "stopping on a signal" "$T/log"
check "every line of the whole run is one JSON object" python3 -c '
import json, sys
n = 0
for line in open(sys.argv[1]):
    if not line.strip() or line.startswith(("=", "-", " ", "Supp")):
        continue        # a sanitizer summary of the test build
    json.loads(line)
    n += 1
assert n > 20, n
' "$T/log"
