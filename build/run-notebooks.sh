#!/usr/bin/env bash
# Executes notebooks with full settings (CORRKD_SMOKE unset) into a new folder runs/notebooks-<UTC timestamp>/:
# executed .ipynb, offline .html and log per notebook, summary.txt with wall times. Same as `./kit notebooks run`.
#   build/run-notebooks.sh [NOTEBOOK.ipynb ...]    (default: notebooks/*.ipynb)
# Exit status: 0 when all succeeded, 1 otherwise; the executed copy of a failing notebook is kept, with its error.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
unset CORRKD_SMOKE
exec "$root/kit" notebooks run "$@"
