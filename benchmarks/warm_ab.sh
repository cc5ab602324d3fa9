#!/bin/bash
# Side-by-side warm refits of two trees (issue 23, warmfix): benchmarks/warm_parts.py of each
# ROW in tree A then tree B, twice, each line with the load beside it.
#   benchmarks/warm_ab.sh OLD_TREE NEW_TREE N ROW [ROW ...]
# (run from a tree whose benchmarks/ has warm_parts.py; PYTHON defaults to main's venv)
set -u
A="$1"; B="$2"; N="$3"; shift 3
PY="${PYTHON:-/work/main/.venv/bin/python}"
for row in "$@"; do
  for r in 1 2; do
    for tree in "$A" "$B"; do
      echo "## $row round $r tree $tree load: $(uptime | sed 's/.*average: //')"
      PYTHONPATH="$tree" "$PY" benchmarks/warm_parts.py "$row" "$N" 2>&1 \
        | grep -E "trace|build|patch_idata|loglik|logprior|rhat|data_hash|fit_id|total|nuts|rest|cpu"
    done
  done
done
