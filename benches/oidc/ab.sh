#!/usr/bin/env bash
# Two builds of tobira side by side in one run: token issuance and introspection (benches/oidc/run.sh
# --tobira-only), alternating A B A B … so that drift in the machine's load falls on both.
#
#   benches/oidc/ab.sh A_CHECKOUT A_BIN B_CHECKOUT B_BIN [--rounds N] [run.sh options, e.g. --pg URL --conns 64 --duration 10s]
#
# Each side runs its own checkout's run.sh and policies (an older build refuses newer policy keys),
# e.g. A = a `git worktree add --detach` of the older commit and its release build.
# Prints, per backend and test, each round's req/s of A and B, their medians and the ratio B/A of
# the medians. Raw results stay in one directory per run under $AB_DIR (default a new /tmp dir).
set -euo pipefail
usage="usage: ab.sh A_CHECKOUT A_BIN B_CHECKOUT B_BIN [--rounds N] [run.sh options]"
a_dir=${1:?$usage}; a_bin=${2:?$usage}; b_dir=${3:?$usage}; b_bin=${4:?$usage}
shift 4
rounds=3
if [ "${1:-}" = --rounds ]; then rounds=${2:?}; shift 2; fi
AB_DIR=${AB_DIR:-$(mktemp -d /tmp/tobira-oidc-ab.XXXXXX)}
mkdir -p "$AB_DIR"
for r in $(seq 1 "$rounds"); do
  for side in A B; do
    bin=$a_bin dir=$a_dir
    [ "$side" = B ] && bin=$b_bin dir=$b_dir
    echo "round $r, $side: $bin" >&2
    RESULTS_DIR="$AB_DIR/$side-$r" TOBIRA_BIN="$bin" "$dir/benches/oidc/run.sh" --tobira-only "$@" > "$AB_DIR/$side-$r.log" 2>&1 \
      || { echo "ab.sh: run $side-$r failed (exit $?), see $AB_DIR/$side-$r.log" >&2; exit 1; }
  done
done
python3 - "$AB_DIR" "$rounds" <<'PY'
import sys, csv, statistics, collections
d, rounds = sys.argv[1], int(sys.argv[2])
runs = collections.defaultdict(lambda: {"A": [], "B": []})
for side in "AB":
    for r in range(1, rounds + 1):
        for row in csv.reader(open(f"{d}/{side}-{r}/results.tsv"), delimiter="\t"):
            provider, test, c, rest = row[0], row[1], row[2], row[3]
            rps = float(dict(kv.split("=", 1) for kv in rest.split())["rps"])
            runs[(provider, test, c)][side].append(rps)
print(f"{'provider':<20} {'test':<12} {'c':>3}  {'A req/s (each round)':<28} {'B req/s (each round)':<28} {'A med':>8} {'B med':>8}  B/A")
for k, v in runs.items():
    a, b = statistics.median(v["A"]), statistics.median(v["B"])
    fa = " ".join(f"{x:,.0f}" for x in v["A"]); fb = " ".join(f"{x:,.0f}" for x in v["B"])
    print(f"{k[0]:<20} {k[1]:<12} {k[2]:>3}  {fa:<28} {fb:<28} {a:>8,.0f} {b:>8,.0f}  {b / a:.3f}")
print(f"raw: {d}")
PY
