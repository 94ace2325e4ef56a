#!/usr/bin/env bash
# Build the documentation offline into docs/_build/html.
#
#   bash docs/build.sh                # HTML; the gallery runs examples/ at small size
#   bash docs/build.sh --no-gallery   # skip running the examples (pages only)
#   bash docs/build.sh --strict       # warnings are errors (what CI runs)
#   bash docs/build.sh --clean        # remove previous output first
#
# PYTHON selects the interpreter (default: .venv/bin/python when present). It
# needs the package's `docs` extra; nothing is downloaded. Warnings are also
# written to docs/_build/warnings.log, and the count is printed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ -z "${PYTHON:-}" ]]; then
    if [[ -x .venv/bin/python ]]; then PYTHON=.venv/bin/python; else PYTHON=python3; fi
fi

opts=()
for arg in "$@"; do
    case "$arg" in
        --no-gallery) opts+=(-D plot_gallery=0) ;;
        --strict) opts+=(-W --keep-going) ;;
        --clean) rm -rf docs/_build docs/generated docs/auto_examples docs/sg_execution_times.rst ;;
        *) echo "unknown option: $arg" >&2; exit 2 ;;
    esac
done

mkdir -p docs/_build
log=docs/_build/warnings.log
status=0
"$PYTHON" -m sphinx -b html -q -w "$log" -d docs/_build/doctrees ${opts[@]+"${opts[@]}"} \
    docs docs/_build/html || status=$?
count=$(grep -c -E "(WARNING|ERROR|CRITICAL)" "$log" || true)
echo "docs: $count warning(s), see $log; HTML in docs/_build/html/index.html"
exit "$status"
