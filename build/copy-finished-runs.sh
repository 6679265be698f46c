#!/usr/bin/env bash
# Copies the finished runs of a grid folder that is still training (a study over several sittings) into a results
# folder: grid.json, configs/, POOLED-WITH if any and, for every run with a results.csv, its text artefacts (results.csv, metrics.json,
# history.csv, run.json, config.json, standardization.json). Checkpoints, predictions, locks, logs and unfinished
# runs stay behind, so the copy is what `./kit study --resume DST --report-only` analyses and what a later sitting
# extends. Usage: build/copy-finished-runs.sh /work/runs/study results/study
set -euo pipefail
src=${1:?usage: copy-finished-runs.sh GRID_DIR DEST}; dst=${2:?usage: copy-finished-runs.sh GRID_DIR DEST}
[ -f "$src/grid.json" ] || { echo "copy-finished-runs: $src/grid.json not found: not a grid folder" >&2; exit 1; }
mkdir -p "$dst/configs"
cp "$src/grid.json" "$dst/"
cp "$src"/configs/*.json "$dst/configs/"
[ -f "$src/POOLED-WITH" ] && cp "$src/POOLED-WITH" "$dst/"   # the study folders its analysis pools (Study.PoolFile)
n=0
while IFS= read -r -d '' f; do
  d=$(dirname "${f#"$src"/}")
  [ -f "$src/$d/run.json" ] || continue
  mkdir -p "$dst/$d"
  for x in results.csv metrics.json history.csv run.json config.json standardization.json; do
    [ -f "$src/$d/$x" ] && cp -p "$src/$d/$x" "$dst/$d/$x"   # -p: the report's wall time reads file times
  done
  n=$((n + 1))
done < <(find "$src/teachers" "$src/runs" -name results.csv -print0 2>/dev/null)
echo "copied $n finished runs from $src to $dst"
