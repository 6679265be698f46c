#!/usr/bin/env bash
# Packs the kit into notebooks/.feed with a fresh prerelease version (0.1.0-local.<UTC timestamp>), so a
# notebook's `#r "nuget: CorrKD.Kit, *-*"` always resolves the newest build and never a stale NuGet-cache copy.
# Keeps only the newest package in the feed and the three newest local versions in the NuGet cache.
# The pack's restore/build also runs build/TorchSharpGlibcxxFix.targets, which patches the NuGet-cache
# libLibTorchSharp.so that the notebook kernel loads (Debian 12).
# Prints the packed version on stdout (last line); build output goes to stderr.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
feed="$root/notebooks/.feed"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
version="0.1.0-local.$(date -u +%Y%m%d%H%M%S)"
mkdir -p "$feed"
# A separate intermediate folder: packing with another Version must not disturb bin/obj of a normal build.
dotnet pack "$root/CorrKD.Kit.csproj" -c Release -nologo -v q -clp:ErrorsOnly \
  -p:Version="$version" -p:BaseIntermediateOutputPath="$root/artifacts/pack/obj/" \
  -p:OutputPath="$root/artifacts/pack/bin/" -o "$feed" >&2
[[ -f "$feed/CorrKD.Kit.$version.nupkg" ]] || { echo "pack-local: $feed/CorrKD.Kit.$version.nupkg was not produced" >&2; exit 1; }
find "$feed" -maxdepth 1 -name 'CorrKD.Kit.*.nupkg' ! -name "CorrKD.Kit.$version.nupkg" -delete
# The NuGet cache gets one folder per local version; drop all but the newest three (the kernel of an open
# notebook may still hold one of them).
cache="${NUGET_PACKAGES:-$HOME/.nuget/packages}/corrkd.kit"
if [[ -d "$cache" ]]; then
  ls -1d "$cache"/0.1.0-local.* 2>/dev/null | sort | head -n -3 | xargs -r rm -rf
fi
echo "$version"
