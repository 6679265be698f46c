#!/usr/bin/env bash
# Executes every notebook with full settings (CORRKD_SMOKE unset) and saves executed copies, outputs included,
# into a new folder runs/notebooks-<UTC timestamp>/ (never overwrites). One runner process per notebook.
#   build/run-notebooks.sh [NOTEBOOK.ipynb ...]    (default: notebooks/*.ipynb)
# Exit status: 0 when all succeeded, 1 otherwise; the executed copy of a failing notebook is kept, with its error.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
unset CORRKD_SMOKE
set -e
"$root/build/pack-local.sh" >/dev/null
dotnet build "$root/tests/NotebookRunner/NotebookRunner.csproj" -c Release -nologo -v q -clp:ErrorsOnly >&2
set +e
runner="$root/tests/NotebookRunner/bin/Release/net10.0/CorrKD.NotebookRunner.dll"
out="$root/runs/notebooks-$(date -u +%Y%m%d-%H%M%S)"
while [[ -e "$out" ]]; do sleep 1; out="$root/runs/notebooks-$(date -u +%Y%m%d-%H%M%S)"; done
mkdir -p "$out"
if [[ $# -gt 0 ]]; then notebooks=("$@"); else notebooks=("$root"/notebooks/*.ipynb); fi
failed=0
for nb in "${notebooks[@]}"; do
  name="$(basename "$nb")"
  start=$(date +%s)
  dotnet "$runner" "$nb" --output "$out/$name" 2>&1 | tee "$out/${name%.ipynb}.log"
  rc=${PIPESTATUS[0]}
  echo "$name: exit $rc, $(( $(date +%s) - start )) s" | tee -a "$out/summary.txt"
  [[ $rc -eq 0 ]] || failed=1
done
echo "executed notebooks in $out"
exit $failed
