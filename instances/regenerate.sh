#!/bin/sh
# Regenerate the committed hospital instances. Same seed -> byte-identical files (for the same package and numpy
# versions; tests/test_generators.py checks the committed files against a fresh generation).
# Usage (from anywhere): sh instances/regenerate.sh        [HOSPITAL_OR=/path/to/hospital-or to choose the binary]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
if [ -n "${HOSPITAL_OR:-}" ]; then
    cmd=$HOSPITAL_OR
elif [ -x "$here/../.venv/bin/hospital-or" ]; then
    cmd=$here/../.venv/bin/hospital-or
else
    cmd=hospital-or
fi
for size in small medium large; do
    "$cmd" instances generate hospital --size "$size" --seed 1 --out "$here/hospital_$size.json"
done
