#!/usr/bin/env python3
"""nsfailover-ci.py - the steps a policy repository's CI runs on a pull
(or merge) request, shared by the GitHub Actions and GitLab CI examples.

  nsfailover-ci.py validate POLICY
      runs `nsfailover validate POLICY --format json`, prints each
      problem as FILE:LINE:COL, and on GitHub Actions also as an
      annotation on the changed line.  Exits 1 when the policy is invalid.

  nsfailover-ci.py plan POLICY CONFIG OUT.md
      runs `nsfailover plan --config CONFIG --policy POLICY --format
      markdown` and writes the comment to OUT.md.  A pending change (exit
      2) is what a pull request is for, not a failure: exits 0 then, 1
      when plan itself failed (the comment says so).

  nsfailover-ci.py comment github|gitlab OUT.md
      posts OUT.md on the request, replacing the comment this script
      posted before, so a request keeps one plan comment however often it
      is pushed.  GitHub: GITHUB_TOKEN, GITHUB_REPOSITORY, PR_NUMBER
      (GITHUB_API_URL is set by Actions).  GitLab: GITLAB_TOKEN (a project
      access token with the api scope), CI_API_V4_URL, CI_PROJECT_ID,
      CI_MERGE_REQUEST_IID (set by GitLab CI).

NSFAILOVER names the binary (default: nsfailover on PATH).
"""
import json
import os
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request

MARKER = "<!-- nsfailover-plan -->"
NSF = os.environ.get("NSFAILOVER", "nsfailover")


def annotate(d):
    """A GitHub Actions workflow command for one diagnostic."""
    def esc(s):
        return (str(s).replace("%", "%25").replace("\r", "%0D")
                .replace("\n", "%0A"))
    level = "error" if d.get("severity") == "error" else "warning"
    msg = d["message"] + (" (%s)" % d["hint"] if d.get("hint") else "")
    path = os.path.relpath(d["file"]) if d.get("file") else ""
    return "::%s file=%s,line=%s,col=%s,title=nsfailover %s::%s" % (
        level, esc(path).replace(",", "%2C").replace(":", "%3A"),
        d.get("line") or 1, d.get("col") or 1, d.get("code", level),
        esc(msg))


def validate(policy):
    run = subprocess.run([NSF, "validate", policy, "--format", "json"],
                         capture_output=True, text=True)
    if run.returncode not in (0, 1):
        sys.stderr.write(run.stderr or run.stdout)
        return 2
    doc = json.loads(run.stdout)
    on_github = os.environ.get("GITHUB_ACTIONS") == "true"
    for d in doc["diagnostics"]:
        where = "%s:%s:%s" % (d.get("file"), d.get("line"), d.get("col"))
        hint = " (%s)" % d["hint"] if d.get("hint") else ""
        print("%s: %s: %s%s" % (where, d["severity"], d["message"], hint))
        if on_github:
            print(annotate(d))
    print("%s: %s: %d errors, %d warnings" % (
        policy, "valid" if doc["valid"] else "invalid", doc["errors"],
        doc["warnings"]))
    return 0 if doc["valid"] else 1


def plan(policy, config, out):
    run = subprocess.run([NSF, "plan", "--config", config, "--policy",
                          policy, "--format", "markdown"],
                         capture_output=True, text=True)
    if run.returncode in (0, 2):
        body = run.stdout
        rc = 0
    else:
        body = ("**nsfailover plan failed** (exit %d):\n\n```\n%s\n```\n"
                % (run.returncode, (run.stderr or run.stdout).strip()))
        rc = 1
    with open(out, "w") as f:
        f.write(MARKER + "\n" + body)
    sys.stdout.write(body)
    return rc


def api(method, url, token_header, data=None):
    req = urllib.request.Request(url, method=method)
    req.add_header(*token_header)
    req.add_header("Accept", "application/json")
    body = None
    if data is not None:
        body = json.dumps(data).encode()
        req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, body, timeout=30) as r:
        text = r.read().decode()
    return json.loads(text) if text else None


def comment_github(body):
    api_url = os.environ.get("GITHUB_API_URL", "https://api.github.com")
    repo = os.environ["GITHUB_REPOSITORY"]
    pr = os.environ["PR_NUMBER"]
    auth = ("Authorization", "Bearer " + os.environ["GITHUB_TOKEN"])
    base = "%s/repos/%s/issues" % (api_url, repo)
    old = [c for c in api("GET", "%s/%s/comments?per_page=100"
                          % (base, pr), auth)
           if MARKER in (c.get("body") or "")]
    if old:
        api("PATCH", "%s/comments/%s" % (base, old[-1]["id"]), auth,
            {"body": body})
    else:
        api("POST", "%s/%s/comments" % (base, pr), auth, {"body": body})


def comment_gitlab(body):
    url = "%s/projects/%s/merge_requests/%s/notes" % (
        os.environ["CI_API_V4_URL"],
        urllib.parse.quote(os.environ["CI_PROJECT_ID"], safe=""),
        os.environ["CI_MERGE_REQUEST_IID"])
    auth = ("PRIVATE-TOKEN", os.environ["GITLAB_TOKEN"])
    old = [n for n in api("GET", url + "?per_page=100", auth)
           if MARKER in (n.get("body") or "")]
    if old:
        api("PUT", "%s/%s" % (url, old[-1]["id"]), auth, {"body": body})
    else:
        api("POST", url, auth, {"body": body})


def main(argv):
    if len(argv) == 3 and argv[1] == "validate":
        return validate(argv[2])
    if len(argv) == 5 and argv[1] == "plan":
        return plan(argv[2], argv[3], argv[4])
    if len(argv) == 4 and argv[1] == "comment" and \
            argv[2] in ("github", "gitlab"):
        with open(argv[3]) as f:
            body = f.read()
        try:
            (comment_github if argv[2] == "github" else
             comment_gitlab)(body)
        except KeyError as e:
            sys.exit("nsfailover-ci: %s is not set" % e)
        except urllib.error.HTTPError as e:
            sys.exit("nsfailover-ci: the %s API answered %d %s"
                     % (argv[2], e.code, e.reason))
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
