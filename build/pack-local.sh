#!/usr/bin/env bash
# Packs the kit into notebooks/.feed now, with a fresh prerelease version (0.1.0-local.<UTC timestamp>), so a
# notebook's `#r "nuget: CorrKD.Kit, *-*"` resolves the newest build and never a stale NuGet-cache copy.
# Every build of CorrKD.Kit.csproj already does this when lib/ changed (build/LocalFeed.targets); this script
# forces it. Keeps only the newest package in the feed and the three newest local versions in the NuGet cache.
# The build also runs build/TorchSharpGlibcxxFix.targets, which patches the NuGet-cache libLibTorchSharp.so
# that the notebook kernel loads (Debian 12).
# Prints the packed version on stdout (last line); build output goes to stderr.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! dotnet build "$root/CorrKD.Kit.csproj" -c Release -nologo -v m -t:PackLocalFeed -p:CorrKDPackFeed=false >"$log" 2>&1; then
  cat "$log" >&2; echo "pack-local: build failed" >&2; exit 1
fi
version=$(sed -n 's/.*CORRKD_PACKED_VERSION=\([^ ]*\).*/\1/p' "$log" | tail -1)
[[ -n "$version" && -f "$root/notebooks/.feed/CorrKD.Kit.$version.nupkg" ]] || { cat "$log" >&2; echo "pack-local: no package was produced" >&2; exit 1; }
echo "$version"
