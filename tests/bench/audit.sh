#!/usr/bin/env bash
# audit.sh - the cost of one audit record (a commit on the state branch,
# objects and ref fsync'ed) on a fresh branch and with 100,000 commits of
# history, next to the same commit made with git's plumbing commands.
# Figures only; nothing here fails on a slow machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
make -s build/tools/gitctl >/dev/null
GITCTL=$PWD/build/tools/gitctl
HISTORY=${NSF_BENCH_AUDIT_HISTORY:-100000}
RECORDS=${NSF_BENCH_AUDIT_RECORDS:-300}
T=$(mktemp -d "${TMPDIR:-/tmp}/audit_bench.XXXXXX")
trap 'rm -rf "$T"' EXIT
export HOME=$T GIT_CONFIG_NOSYSTEM=1
git config --global user.name bench
git config --global user.email bench@example.invalid
# What nsfailover does too: objects and refs reach the disk.
git config --global core.fsync objects,reference
git config --global core.fsyncMethod fsync

# A state branch of $1 records over 50 domains, written by fast-import.
history() {
	/usr/bin/python3 - "$1" <<'EOF'
import sys
n = int(sys.argv[1])
w = sys.stdout.buffer.write
t = 1767225600
for i in range(n):
    d = "d%d.example" % (i % 50)
    body = ('domain: "%s"\nactive: "provider-a"\nnameservers:\n'
            '- "ns1.provider-a.example"\n- "ns2.provider-a.example"\n'
            'since: 2026-01-01T00:00:00Z\nlast_action: "converge"\n'
            'round: %d\n' % (d, i)).encode()
    msg = ("%s: converge\n\nDomain: %s\nAction: converge\n"
           "Reason: history %d\n" % (d, d, i)).encode()
    w(b"commit refs/heads/nsfailover/state\n")
    w(b"committer bench <bench@example.invalid> %d +0000\n" % (t + i))
    w(b"data %d\n%s\n" % (len(msg), msg))
    if i == 0:
        w(b"deleteall\n")
    w(b"M 100644 inline state/%s.yaml\ndata %d\n%s\n" %
      (d.encode(), len(body), body))
EOF
}

# One record the way a shell script would write it with git's plumbing:
# blob, state/ tree, top tree, commit, compare-and-swap of the ref.
git_record() {
	local repo=$1 d=$2 tip blob state top commit
	tip=$(git -C "$repo" rev-parse -q --verify nsfailover/state)
	blob=$(printf 'domain: "%s"\nactive: "provider-b"\n' "$d" |
	    git -C "$repo" hash-object -w --stdin)
	state=$( { git -C "$repo" ls-tree "$tip:state" |
	    grep -v "	$d.yaml\$"
	    printf '100644 blob %s\t%s.yaml\n' "$blob" "$d"; } |
	    git -C "$repo" mktree)
	top=$(printf '040000 tree %s\tstate\n' "$state" |
	    git -C "$repo" mktree)
	commit=$(printf '%s: converge\n\nDomain: %s\nAction: converge\n' \
	    "$d" "$d" | git -C "$repo" commit-tree "$top" -p "$tip")
	git -C "$repo" update-ref refs/heads/nsfailover/state "$commit" "$tip"
}

git_bench() {             # git_bench REPO N: mean ms per record
	local repo=$1 n=$2 i t0 t1
	t0=$(date +%s%N)
	for ((i = 0; i < n; i++)); do
		git_record "$repo" "d$((i % 50)).example"
	done
	t1=$(date +%s%N)
	awk -v ns=$((t1 - t0)) -v n="$n" \
	    'BEGIN { printf "%.3f\n", ns / n / 1e6 }'
}

git init -q --bare "$T/fresh.git"
git init -q --bare "$T/big.git"
t0=$(date +%s)
history "$HISTORY" | git -C "$T/big.git" fast-import --quiet
echo "state branch with $HISTORY commits written by git fast-import" \
    "in $(( $(date +%s) - t0 )) s"
read -r fresh_mean fresh_worst < <("$GITCTL" bench "$T/fresh.git" "$RECORDS")
read -r big_mean big_worst < <("$GITCTL" bench "$T/big.git" "$RECORDS")
git init -q --bare "$T/gitfresh.git"
"$GITCTL" bench "$T/gitfresh.git" 1 >/dev/null   # a branch to start from
git_n=$(( RECORDS < 50 ? RECORDS : 50 ))
git_fresh=$(git_bench "$T/gitfresh.git" "$git_n")
git_big=$(git_bench "$T/big.git" "$git_n")

printf '\none audit record (commit + fsync + ref update), 50 domains\n'
row() {
	printf '%-24s %-24s %s\n' "$@"
}
row "history on the branch" "nsfailover ms (max)" "git plumbing ms"
row "fresh branch" "$fresh_mean ($fresh_worst)" "$git_fresh"
row "$HISTORY commits" "$big_mean ($big_worst)" "$git_big"
printf '(nsfailover: mean of %s records in one process; git: mean of %s\n' \
    "$RECORDS" "$git_n"
printf ' records, 6 git processes each, core.fsync=objects,reference)\n'
