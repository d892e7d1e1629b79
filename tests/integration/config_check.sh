#!/usr/bin/env bash
# config_check.sh - 'nsfailover config check' and 'config show' on good
# and broken configurations, through the binary.
. "$(dirname "$0")/../lib/common.sh"

mkdir -p "$T/etc" "$T/policy.git"
cd "$T/etc" || exit 1
cat >secrets.yaml <<'YAML'
ops-hook:
  hmac_key: "not-a-real-key-0123"
chat:
  url: "https://chat.example/T0/B0/tok3n"
YAML
chmod 600 secrets.yaml

cat >good.yaml <<'YAML'
# a complete configuration
repository:
  url: ../policy.git
  branch: main
  fetch_interval: 30s
cache_dir: cache
secrets: secrets.yaml
resolvers: [ "127.0.50.53" ]
metrics: { listen: "127.0.50.1:9153" }
log:
  format: json
  sources: { registry: debug }
notifications:
  webhooks:
    - name: ops
      url: "https://hooks.example/nsf?token=q5ecret"
      secret: ops-hook
      events: [failover, failback, blocked]
    - name: chat
      url_credential: chat
      format: slack
YAML

"$NSF" config check good.yaml >"$T/good.out" 2>"$T/good.err"
check_eq "a good configuration exits 0" 0 "$?"
check_grep "and says ok" '^good.yaml: ok \(0 warnings\)$' "$T/good.out"

"$NSF" config show good.yaml >"$T/show.out" 2>&1
check_eq "config show exits 0" 0 "$?"
check_grep "show fills in defaults" 'state_branch: "nsfailover/state"' \
    "$T/show.out"
check_grep "show makes paths absolute" "cache_dir: \"$T/etc/cache\"" \
    "$T/show.out"
check_grep "show lists the per-source levels" '^    registry: debug$' \
    "$T/show.out"
check_no_grep "show prints no secret from the secrets file" \
    'not-a-real-key|tok3n' "$T/show.out"
check_no_grep "show masks a token in a URL's query" 'q5ecret' "$T/show.out"

cat >broken.yaml <<'YAML'
repository:
  url: ../policy.git
  brnch: main
  fetch_interval: 30 s
cache_dir: cache
cache_dir: other
secrets: secrets.yaml
resolvers: [ "resolver.example" ]
log: { level: verbose }
notifications:
  webhooks:
    - name: ops
      url: "https://hooks.example/nsf"
      secret: no-such-credential
      timeout: 5
YAML

"$NSF" config check broken.yaml >"$T/broken.out" 2>"$T/broken.err"
check_eq "a broken configuration exits 1" 1 "$?"
want="unknown key 'brnch' in repository \(did you mean 'branch'\?\)$"
check_grep "unknown key, with position and suggestion" \
    "^broken.yaml:3:3: error: $want" "$T/broken.err"
want="'repository.fetch_interval' is not a duration: '30 s'"
check_grep "bad duration" "^broken.yaml:4:19: error: $want" "$T/broken.err"
want="duplicate key 'cache_dir' \(first set at line 5\)$"
check_grep "duplicate key" "^broken.yaml:6:1: error: $want" "$T/broken.err"
check_grep "resolver must be an address" \
    "^broken.yaml:8:14: error: resolver 'resolver.example'" "$T/broken.err"
check_grep "bad log level" \
    "^broken.yaml:9:15: error: 'log.level' is 'verbose'" "$T/broken.err"
want="'notifications.webhooks\[0\].timeout' is not a duration: '5'"
check_grep "a timeout without a unit" "^broken.yaml:15:16: error: $want" \
    "$T/broken.err"
check_grep "summary on stdout" '^broken.yaml: 6 errors, 0 warnings$' \
    "$T/broken.out"

"$NSF" config check broken.yaml --format json >"$T/broken.json" 2>&1
check_eq "json format exits 1 too" 1 "$?"
/usr/bin/python3 - "$T/broken.json" >"$T/json.out" 2>&1 <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["errors"] == 6, doc
d = doc["diagnostics"][0]
assert (d["line"], d["col"], d["code"]) == (3, 3, "unknown-key"), d
print("ok")
PY
check_grep "json output parses and carries positions and codes" '^ok$' \
    "$T/json.out"

# What the file points at: the credential and the secrets file's mode.
sed -e 's/no-such-credential/ops-hook/; s/timeout: 5$/timeout: 5s/' \
    -e 's/brnch/branch/; s/30 s/30s/; s/^cache_dir: other$//' \
    -e 's/resolver.example/127.0.50.53/; s/verbose/debug/' \
    broken.yaml >fixed.yaml
"$NSF" config check fixed.yaml >"$T/fixed.out" 2>&1
check_eq "the fixed configuration passes" 0 "$?"

sed 's/secret: ops-hook/secret: no-such-credential/' fixed.yaml >cred.yaml
"$NSF" config check cred.yaml >"$T/cred.out" 2>"$T/cred.err"
check_eq "an unknown webhook credential exits 1" 1 "$?"
want="webhook 'ops': the secrets file $T/etc/secrets.yaml has no"
want+=" credential 'no-such-credential'"
check_grep "and is reported at the secret key" \
    "^cred.yaml:14:15: error: $want" "$T/cred.err"
"$NSF" config check cred.yaml --syntax-only >/dev/null 2>&1
check_eq "--syntax-only skips the files it points at" 0 "$?"

chmod 644 secrets.yaml
"$NSF" config check fixed.yaml >"$T/mode.out" 2>"$T/mode.err"
check_eq "a secrets file others can read exits 1" 1 "$?"
want="secrets file $T/etc/secrets.yaml: mode 644 lets others read it;"
want+=" run 'chmod 600"
check_grep "and says how to fix it" "^fixed.yaml:7:10: error: $want" \
    "$T/mode.err"
chmod 600 secrets.yaml

rm secrets.yaml
"$NSF" config check fixed.yaml >"$T/gone.out" 2>"$T/gone.err"
check_eq "a missing secrets file exits 1" 1 "$?"
check_grep "and names it" "secrets file $T/etc/secrets.yaml: No such file" \
    "$T/gone.err"

"$NSF" config check "$T/none.yaml" >"$T/nofile.out" 2>&1
check_eq "a configuration that cannot be read exits 2" 2 "$?"
"$NSF" config frobnicate good.yaml >"$T/usage.out" 2>&1
check_eq "an unknown action exits 2" 2 "$?"
"$NSF" config check good.yaml --format xml >"$T/usage.out" 2>&1
check_eq "an unknown format exits 2" 2 "$?"
"$NSF" config --help >"$T/help.out" 2>&1
check_eq "--help exits 0" 0 "$?"
check_grep "--help explains exit codes" '^Exit status: 0 usable' \
    "$T/help.out"

# The shipped example: it checks clean, with its own secrets example in
# place of the real file (mode 0600, as the daemon demands).
EX=$NSF_ROOT/examples/etc/nsfailover
mkdir -p "$T/example"
sed "s|/etc/nsfailover/secrets.yaml|$T/example/secrets.yaml|" \
    "$EX/nsfailover.yaml" >"$T/example/nsfailover.yaml"
install -m 600 "$EX/secrets.yaml.example" "$T/example/secrets.yaml"
"$NSF" config check "$EX/nsfailover.yaml" --syntax-only \
    >"$T/ex.out" 2>"$T/ex.err"
check_eq "the example configuration checks clean on its own" 0 "$?"
check_grep "without a single warning" 'ok \(0 warnings\)$' "$T/ex.out"
printf 'x\n' >"$T/example/allowed_signers"
sed -i "s|/etc/nsfailover/allowed_signers|$T/example/allowed_signers|" \
    "$T/example/nsfailover.yaml"
"$NSF" config check "$T/example/nsfailover.yaml" >"$T/ex2.out" 2>&1
check_eq "with the example secrets file every credential is found" 0 "$?"

# docs/configuration.md documents every key 'config show' prints.
"$NSF" config show "$EX/nsfailover.yaml" 2>/dev/null |
    sed -n 's/^ *-\{0,1\} *\([a-z_]*\):.*/\1/p' | sort -u >"$T/keys"
missing=""
while read -r k; do
	grep -q "\`[a-z_.]*$k\`\|\`$k\` (" "$NSF_ROOT/docs/configuration.md" ||
	    grep -q "| \`[a-z_.]*$k\` |" "$NSF_ROOT/docs/configuration.md" ||
	    missing+=" $k"
done <"$T/keys"
check_eq "docs/configuration.md names every key ($(wc -l <"$T/keys"))" \
    "" "$missing"

# What the configuration points at is reported where it is named.
cat >points.yaml <<'YAML'
repository:
  url: ../no-such-repo.git
  trusted_keys:
    gpg: [ keys/ops.asc ]
secrets: secrets.yaml
YAML
printf 'x: { y: z }\n' >secrets.yaml
chmod 600 secrets.yaml
"$NSF" config check points.yaml >/dev/null 2>"$T/points.err"
check_eq "missing repository and key file exit 1" 1 "$?"
check_grep "a missing local repository, at its url" \
    "^points.yaml:2:8: error: repository $T/etc/../no-such-repo.git: No" \
    "$T/points.err"
check_eq "problems come in file order" "2 4" \
    "$(cut -d: -f2 "$T/points.err" | tr '\n' ' ' | sed 's/ $//')"
check_grep "a missing trusted key, at its list item" \
    "^points.yaml:4:12: error: trusted GPG key $T/etc/keys/ops.asc" \
    "$T/points.err"

# A hostile configuration: deep flow nesting is refused before libyaml
# builds it (its time grows with the square of the depth).
{
	cat good.yaml
	printf 'zz: '
	head -c 150000 /dev/zero | tr '\0' '['
	head -c 150000 /dev/zero | tr '\0' ']'
	echo
} >deep.yaml
timeout 20 "$NSF" config check deep.yaml >"$T/deep.out" 2>"$T/deep.err"
check_eq "deeply nested configuration: exit 1, at once" 1 "$?"
check_grep "... with the position and the limit" \
    "^deep.yaml:[0-9]+:[0-9]+: error: nested more than 32 levels deep" \
    "$T/deep.err"
