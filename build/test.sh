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
# One plain closing line: "N passed, N failed, N skipped".
line=$(grep -E "^(Passed!|Failed!) +- +Failed: +[0-9]+, +Passed: +[0-9]+, +Skipped: +[0-9]+" "$log" | tail -1 || true)
if [[ -n "$line" ]]; then
  f=$(sed -E 's/.*Failed: +([0-9]+).*/\1/' <<<"$line"); p=$(sed -E 's/.*Passed: +([0-9]+).*/\1/' <<<"$line"); s=$(sed -E 's/.*Skipped: +([0-9]+).*/\1/' <<<"$line")
  echo "tests: $p passed, $f failed, $s skipped"
fi
rm -f "$log"
exit $rc
