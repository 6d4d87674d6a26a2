#!/usr/bin/env bash
# The test suite, as `make test` and CI run it. pytest's exit code 5 ("no tests collected")
# is a failure here: a suite that runs nothing proves nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
UV="${UV:-.tools/bin/uv}"
[ -x "$UV" ] || UV=uv
"$UV" run pytest "$@"
