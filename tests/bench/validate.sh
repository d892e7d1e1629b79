#!/usr/bin/env bash
# validate.sh - how long 'nsfailover validate' takes on 10,000 domains
# (target: well under 0.5 s) and its peak memory on 100,000, side by side
# with reference tools reading the same files:
#   - PyYAML with its libyaml loader (CSafeLoader): parsing alone, with
#     the same C parser nsfailover uses, and no checks at all;
#   - python3-jsonschema checking each file against the editor schema
#     (schema/nsfailover-policy.schema.json): what a CI check built on
#     the JSON Schema would cost, though it sees less (no cross-file
#     references, no duplicates, no name rules).
# Prints figures; never fails on a slow machine.
set -uo pipefail
cd "$(dirname "$0")/../.."
NSF=${NSF_BENCH_BIN:-./nsfailover}
PY=/usr/bin/python3
RUNS=${NSF_BENCH_RUNS:-20}
T=$(mktemp -d "${TMPDIR:-/tmp}/nsfb.XXXXXX")
trap 'rm -rf "$T"' EXIT

$PY examples/gen-policy -n 10000 "$T/p10k" >/dev/null
$PY examples/gen-policy -n 100000 "$T/p100k" >/dev/null
if ! "$NSF" validate --quiet "$T/p10k"; then
	echo "validate: the generated policy is not valid"
	exit 1
fi

cat >"$T/parse_yaml.py" <<'EOF'
import glob, sys, yaml
docs = []       # all kept, as a loader that merges files must
for f in sorted(glob.glob(sys.argv[1] + "/*.yaml")):
    with open(f, encoding="utf-8") as fh:
        docs.append(yaml.load(fh, Loader=yaml.CSafeLoader))
EOF
cat >"$T/check_schema.py" <<'EOF'
import glob, json, sys, yaml, jsonschema
v = jsonschema.Draft202012Validator(json.load(open(sys.argv[2])))
bad = 0
for f in sorted(glob.glob(sys.argv[1] + "/*.yaml")):
    with open(f, encoding="utf-8") as fh:
        bad += len(list(v.iter_errors(yaml.load(fh,
                                                Loader=yaml.CSafeLoader))))
sys.exit(1 if bad else 0)
EOF
have_pyyaml=0 have_jsonschema=0
$PY -c 'import yaml; yaml.CSafeLoader' 2>/dev/null && have_pyyaml=1
$PY -c 'import jsonschema' 2>/dev/null && have_jsonschema=1

# time_runs N command...: prints "MEAN BEST" in milliseconds, or
# "failed" when the command fails.
time_runs() {
	local runs=$1 i start ms best=0 total=0
	shift
	for i in $(seq "$runs"); do
		start=$(date +%s%N)
		if ! "$@" >/dev/null 2>"$T/run.err"; then
			sed 's/^/  | /' "$T/run.err" >&2
			echo failed
			return
		fi
		ms=$(( ($(date +%s%N) - start) / 1000000 ))
		total=$((total + ms))
		if [ "$best" -eq 0 ] || [ "$ms" -lt "$best" ]; then
			best=$ms
		fi
	done
	echo "$((total / runs)) $best"
}

# row LABEL RUNS "MEAN BEST": one line of the table.
row() {
	local label=$1 runs=$2 mean best
	read -r mean best <<<"$3"
	if [ "$mean" = failed ]; then
		printf '  %-44s %s\n' "$label" "failed"
		return
	fi
	printf '  %-44s %6s ms %6s ms %5s\n' "$label" "$mean" "$best" "$runs"
}

echo "validate, 10,000 domains in $(du -sk "$T/p10k" | cut -f1) KiB of" \
    "YAML (target: nsfailover well under 500 ms)"
printf '  %-44s %9s %9s %5s\n' "tool" "mean" "best" "runs"
row "nsfailover validate (every check)" "$RUNS" \
    "$(time_runs "$RUNS" "$NSF" validate --quiet "$T/p10k")"
if [ "$have_pyyaml" = 1 ]; then
	row "PyYAML CSafeLoader (libyaml parse only)" 5 \
	    "$(time_runs 5 $PY "$T/parse_yaml.py" "$T/p10k")"
else
	echo "  PyYAML with libyaml missing (ci/install-deps: python3-yaml)"
fi
if [ "$have_pyyaml$have_jsonschema" = 11 ]; then
	row "jsonschema, the editor JSON Schema" 3 \
	    "$(time_runs 3 $PY "$T/check_schema.py" "$T/p10k" \
	    schema/nsfailover-policy.schema.json)"
else
	echo "  python3-jsonschema missing (ci/install-deps installs it)"
fi

# peak LABEL SET command...: peak resident memory and wall time.
peak() {
	local label=$1 set=$2 kb wall
	shift 2
	/usr/bin/time -v "$@" 2>"$T/time" >/dev/null
	kb=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$T/time")
	wall=$(sed -n 's/.*Elapsed (wall clock) time.*: //p' "$T/time")
	printf '  %-44s %6s MiB  %s\n' "$label ($set)" "$((kb / 1024))" \
	    "$wall"
}

if [ ! -x /usr/bin/time ]; then
	echo "peak memory not measured (/usr/bin/time missing:" \
	    "ci/install-deps installs 'time')"
	exit 0
fi
echo "peak memory (RSS) and wall time; 100,000 domains are" \
    "$(du -sk "$T/p100k" | cut -f1) KiB of YAML"
for set in p10k p100k; do
	peak "nsfailover validate" "$set" "$NSF" validate --quiet "$T/$set"
	if [ "$have_pyyaml" = 1 ]; then
		peak "PyYAML CSafeLoader" "$set" $PY "$T/parse_yaml.py" "$T/$set"
	fi
done
