#!/usr/bin/env bash
# Collapse probe: no-kd students on synthetic-mosi data seed 1 (the teacher is irrelevant for no-kd: 1 epoch), each seed
# with the default selection (mean validation cross-entropy over the seven sets) and with selection=metric (mean
# validation headline over the seven sets, which also drives early stopping). The committed folders beside this script
# are the text artefacts of such a run (results, histories, metrics); a rerun writes to $OUT (default runs/collapse-probe).
set -e
cd "$(dirname "$0")/../.."   # the repository root
T=${OUT:-runs/collapse-probe}/teacher-d1
[ -f $T/results.csv ] || ./kit teacher --dataset synthetic-mosi --data-seed 1 --epochs 1 --threads 1 --no-intra --out $T
one() {  # one run: folder, seed, extra args
  local d=$1 s=$2; shift 2
  [ -f $d/results.csv ] && return 0
  if [ -f $d/run.json ]; then ./kit distill --resume $d --threads 1; else ./kit distill --teacher $T --variant no-kd --seed $s --threads 1 --no-intra "$@" --out $d; fi
}
for s in 0 1 2 3 4 5; do
  one ${OUT:-runs/collapse-probe}/nokd-d1-s$s $s
  one ${OUT:-runs/collapse-probe}/metric-d1-s$s $s --config results/collapse-probe/metric.json
done
