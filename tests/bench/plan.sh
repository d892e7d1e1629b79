#!/usr/bin/env bash
# plan.sh - the planner's own cost at scale: plans 100,000 domains built in
# memory (no network, no policy files), prints time per plan and the peak
# memory, and how long the JSON and text reports take.  Figures only.
set -euo pipefail
cd "$(dirname "$0")/../.."
make -s nsfailover >/dev/null
pkgs="libgit2 yaml-0.1 ldns openssl libxml-2.0 libcurl libidn2 jansson"
pkgs="$pkgs libmicrohttpd"
shopt -s nullglob
objs=()
for o in build/reconciler/*.o build/providers/*.o build/schema/*.o; do
	src=${o#build/}
	# Objects of sources that no longer exist are left-overs.
	[ -f "${src%.o}.c" ] || continue
	[ "$o" = build/reconciler/main.o ] || objs+=("$o")
done
bin=$(mktemp "${TMPDIR:-/tmp}/plan_bench.XXXXXX")
trap 'rm -f "$bin"' EXIT
# shellcheck disable=SC2086
cc -std=gnu11 -O2 $(pkg-config --cflags $pkgs) -o "$bin" \
    tests/bench/plan_bench.c "${objs[@]}" $(pkg-config --libs $pkgs)
"$bin" "${NSF_BENCH_DOMAINS:-100000}"
