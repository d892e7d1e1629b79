#!/usr/bin/env bash
# ci_examples.sh - the example CI jobs for a policy repository
# (examples/ci): the workflow files are well formed and safe with forks,
# the daemon configuration they write checks clean, the validate step
# reports problems with positions (and GitHub annotations), and the plan
# comment is posted once and then updated, against a stand-in of the
# GitHub and GitLab APIs on 127.0.50.40.
. "$(dirname "$0")/../lib/common.sh"

CI=$NSF_ROOT/examples/ci
SCRIPT="/usr/bin/python3 $CI/nsfailover-ci.py"
export NSFAILOVER=$NSF

# --- the workflow files --------------------------------------------------
/usr/bin/python3 - "$CI/github/nsfailover.yml" \
    "$CI/gitlab/.gitlab-ci.yml" >"$T/wf.out" 2>&1 <<'PY'
import sys, yaml
gh = yaml.safe_load(open(sys.argv[1]))
jobs = gh["jobs"]
assert gh[True] == {"pull_request": {"paths": ["policy/**",
        ".github/workflows/nsfailover.yml"]}}, gh[True]
assert gh["permissions"] == {"contents": "read"}, gh["permissions"]
assert set(jobs) == {"validate", "plan"}, jobs
assert "head.repo.full_name == github.repository" in jobs["plan"]["if"]
assert jobs["plan"]["permissions"]["pull-requests"] == "write"
assert "permissions" not in jobs["validate"]
runs = [s.get("run", "") for j in jobs.values() for s in j["steps"]]
assert any("nsfailover-ci.py validate" in r for r in runs)
assert any("nsfailover-ci.py plan" in r for r in runs)
assert any("nsfailover-ci.py comment github" in r for r in runs)
assert not any("${{ secrets" in r for r in runs), "secrets only via env"
gl = yaml.safe_load(open(sys.argv[2]))
assert gl["workflow"]["rules"][0]["if"] == \
    '$CI_PIPELINE_SOURCE == "merge_request_event"'
assert "nsfailover-ci.py validate" in " ".join(
    gl["nsfailover-validate"]["script"])
plan = gl["nsfailover-plan"]
assert "$NSFAILOVER_SECRETS" in plan["rules"][0]["if"]
assert "comment gitlab" in " ".join(plan["after_script"])
print("ok")
PY
check_grep "both workflows parse; plan runs only where secrets are safe" \
    '^ok$' "$T/wf.out"

# The daemon configuration each plan job writes passes config check.
for wf in github/nsfailover.yml gitlab/.gitlab-ci.yml; do
	awk '/<<YAML/ { on = 1; next } /^ *YAML$/ { on = 0 } on' \
	    "$CI/$wf" | sed 's/^          //; s/^      //' |
	    sed -e "s#/tmp/#$T/#" -e "s#\$RUNNER_TEMP#$T#g" \
	    -e "s#\$GITHUB_WORKSPACE\|\$CI_PROJECT_DIR#$T/repo#" \
	    -e "s#\${{ github.base_ref }}#main#" \
	    -e "s#\$CI_MERGE_REQUEST_TARGET_BRANCH_NAME#main#" \
	    -e "s#\$POLICY#policy#" \
	    -e "s#\$NSFAILOVER_SECRETS#$T/secrets.yaml#" \
	    >"$T/${wf%%/*}.yaml"
	"$NSF" config check --syntax-only "$T/${wf%%/*}.yaml" \
	    >"$T/cc.out" 2>&1
	check_eq "the configuration the ${wf%%/*} plan job writes is valid" \
	    0 "$?"
done

# --- validate -----------------------------------------------------------
$SCRIPT validate "$NSF_ROOT/examples/small/policy" >"$T/v.out" 2>&1
check_eq "validate passes the example policy" 0 "$?"
cp -r "$NSF_ROOT/examples/small/policy" "$T/policy"
sed -i '0,/primary:/s/primary:/primay:/' "$T/policy/domains.yaml"
line=$(grep -n 'primay:' "$T/policy/domains.yaml" | cut -d: -f1)
(cd "$T" && GITHUB_ACTIONS=true $SCRIPT validate policy) \
    >"$T/bad.out" 2>&1
check_eq "validate fails a broken policy with exit 1" 1 "$?"
check_grep "and prints each problem as file:line:col" \
    "^policy/domains.yaml:$line:5: error: unknown key 'primay'" \
    "$T/bad.out"
want="^::error file=policy/domains.yaml,line=$line,col=5,"
want+="title=nsfailover unknown-key::unknown key 'primay' in domain "
want+="\(did you mean 'primary'\?\)$"
check_grep "and, on GitHub, as an annotation on that line" "$want" \
    "$T/bad.out"
$SCRIPT validate "$T/policy" >"$T/plain.out" 2>&1
check_no_grep "no annotations outside GitHub Actions" '^::' \
    "$T/plain.out"
$SCRIPT validate "$T/no-such-dir" >/dev/null 2>&1
check_eq "an unreadable policy exits 2" 2 "$?"

# --- plan ---------------------------------------------------------------
if "$NSF" plan --help >/dev/null 2>&1; then
	$SCRIPT plan "$NSF_ROOT/examples/small/policy" "$T/github.yaml" \
	    "$T/plan.md" >"$T/plan.out" 2>&1
	check "plan writes a comment" test -s "$T/plan.md"
	check_grep "the comment carries the marker that finds it again" \
	    '^<!-- nsfailover-plan -->$' "$T/plan.md"
else
	skip "nsfailover plan is not built on this branch"
fi

# --- posting the comment ------------------------------------------------
nsf_spawn forge /usr/bin/python3 "$NSF_ROOT/tests/tools/forge_api.py" \
    127.0.50.40 "$T/forge.port" "$T/forge.jsonl"
wait_for 10 test -s "$T/forge.port" || { not_ok "API stand-in"; exit 1; }
API=http://127.0.50.40:$(cat "$T/forge.port")
printf '<!-- nsfailover-plan -->\n**1 change pending**\n' >"$T/one.md"
printf '<!-- nsfailover-plan -->\n**no change**\n' >"$T/two.md"

gh() {
	env GITHUB_API_URL="$API" GITHUB_REPOSITORY=dns/policy PR_NUMBER=7 \
	    GITHUB_TOKEN=ghs_t0ken $SCRIPT comment github "$1"
}
gh "$T/one.md" >"$T/gh1.out" 2>&1
check_eq "GitHub: the first plan is posted" 0 "$?"
gh "$T/two.md" >"$T/gh2.out" 2>&1
check_eq "GitHub: the second push updates it" 0 "$?"
/usr/bin/python3 - "$T/forge.jsonl" >"$T/gh.out" 2>&1 <<'PY'
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1])]
calls = [(r["method"], r["path"]) for r in reqs]
assert calls == [
    ("GET", "/repos/dns/policy/issues/7/comments?per_page=100"),
    ("POST", "/repos/dns/policy/issues/7/comments"),
    ("GET", "/repos/dns/policy/issues/7/comments?per_page=100"),
    ("PATCH", "/repos/dns/policy/issues/comments/101")], calls
assert all(r["authorization"] == "Bearer ghs_t0ken" for r in reqs)
assert reqs[1]["body"]["body"].endswith("**1 change pending**\n")
assert reqs[3]["body"]["body"].endswith("**no change**\n")
print("ok")
PY
check_grep "GitHub: one comment, found by its marker and edited" '^ok$' \
    "$T/gh.out"

: >"$T/forge.jsonl"
gl() {
	env CI_API_V4_URL="$API/api/v4" CI_PROJECT_ID=dns/policy \
	    CI_MERGE_REQUEST_IID=12 GITLAB_TOKEN=glpat-t0ken \
	    $SCRIPT comment gitlab "$1"
}
gl "$T/one.md" >"$T/gl1.out" 2>&1
check_eq "GitLab: the first plan is posted" 0 "$?"
gl "$T/two.md" >"$T/gl2.out" 2>&1
check_eq "GitLab: the second push updates it" 0 "$?"
/usr/bin/python3 - "$T/forge.jsonl" >"$T/gl.out" 2>&1 <<'PY'
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1])]
calls = [(r["method"], r["path"]) for r in reqs]
base = "/api/v4/projects/dns%2Fpolicy/merge_requests/12/notes"
assert calls == [("GET", base + "?per_page=100"), ("POST", base),
                 ("GET", base + "?per_page=100"),
                 ("PUT", base + "/102")], calls
assert all(r["private_token"] == "glpat-t0ken" for r in reqs)
assert reqs[3]["body"]["body"].endswith("**no change**\n")
print("ok")
PY
check_grep "GitLab: one note, found by its marker and edited" '^ok$' \
    "$T/gl.out"

env -u GITHUB_TOKEN GITHUB_API_URL="$API" GITHUB_REPOSITORY=dns/policy \
    PR_NUMBER=7 $SCRIPT comment github "$T/one.md" >"$T/nokey.out" 2>&1
check_eq "a missing token is an error" 1 "$?"
check_grep "that names the variable" "'GITHUB_TOKEN' is not set" \
    "$T/nokey.out"
