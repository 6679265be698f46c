#!/usr/bin/env bash
# Before/after for the malloc tuning (KitRuntime.ConfigureAllocator): alternates `bench --only a,b` runs with
# CORRKD_MALLOC=glibc (glibc's defaults on both sides) and CORRKD_MALLOC=tuned (both sides tuned), ROUNDS times,
# and prints every round plus per-mode medians of TorchSharp samples/s, PyTorch samples/s, the paired ratio and
# the full evaluation sweep. Figures, not a test. Usage: bench/allocator-compare.sh [ROUNDS] [bench options...]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}; shift || true
extra=("$@"); [[ ${#extra[@]} -gt 0 ]] || extra=(--shapes mosi,mosi-mmsa --threads 2 --repeats 3 --seconds 5)
./kit --help >/dev/null 2>&1 || true   # builds once
out=$(mktemp -d)
for r in $(seq 1 "$rounds"); do
  for mode in glibc tuned; do
    env -u GLIBC_TUNABLES CORRKD_MALLOC=$mode dotnet bin/Release/net10.0/CorrKD.Kit.dll bench --only a,b "${extra[@]}" > "$out/$mode-$r.txt" 2>&1
    echo "round $r $mode: $(grep -E '^\| [a-z-]+ \| [0-9]' "$out/$mode-$r.txt" | awk -F'|' '{printf "%s TS %s PT %s ratio %s; ", $2, $5, $6, $8}')$(grep -o 'full sweep [0-9.]* s' "$out/$mode-$r.txt")"
  done
done
/usr/bin/python3 - "$out" <<'PY'
import glob, re, statistics, sys
rows = {}
for f in sorted(glob.glob(sys.argv[1] + "/*.txt")):
    mode = f.rsplit("/", 1)[1].split("-")[0]
    text = open(f).read()
    for m in re.finditer(r"^\| ([a-z-]+) \| (\d+) \| \d+ \| ([\d.]+) \| ([\d.]+) \| [\d.na/]+ \| ([\d.]+) \|", text, re.M):
        rows.setdefault((m[1] + f" {m[2]} thr", mode), []).append(tuple(map(float, m.group(3, 4, 5))))
    s = re.search(r"full sweep ([\d.]+) s", text)
    if s: rows.setdefault(("eval sweep (s)", mode), []).append((float(s[1]),))
print("\n| measure | allocator | TorchSharp samples/s | PyTorch samples/s | paired ratio TS/PT | rounds |")
print("|---|---|---|---|---|---|")
for (name, mode), v in sorted(rows.items()):
    med = [statistics.median(c) for c in zip(*v)]
    print(f"| {name} | {mode} | " + " | ".join(f"{x:.2f}" for x in med) + (" | | | " if len(med) == 1 else " | ") + f"{len(v)} |")
PY
rm -rf "$out"
