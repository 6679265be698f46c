#!/usr/bin/env bash
# The README's test command: restores, builds and runs the whole test suite (unit, end-to-end, notebooks).
# Needs only the .NET SDK pinned in global.json; NuGet restore fetches everything else.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
log=$(mktemp)
set +e
dotnet test tests/CorrKD.Kit.Tests/CorrKD.Kit.Tests.csproj -c Release --logger "console;verbosity=normal" "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e
# Repeat every failure (name, message, top of the stack) just before the summary, so a log's tail shows it.
awk '/^  (Passed|Skipped) /{on=0} /^  Failed /{on=1; n=0; print "FAILED:"} on && n++ < 30' "$log"
# One plain closing line: "N passed, N failed, N skipped" (from the runner's summary block).
num() { { grep -E "^ +$1: +[0-9]+" "$log" || true; } | tail -1 | sed -E 's/[^0-9]*([0-9]+).*/\1/'; }
p=$(num Passed); f=$(num Failed); s=$(num Skipped)
if [[ -n "$p$f$s" ]]; then
  echo "tests: ${p:-0} passed, ${f:-0} failed, ${s:-0} skipped"
fi
rm -f "$log"
exit $rc
