#!/usr/bin/env bash
# Builds the Cython/C++ kernels of lib/ in place (what `pip install -e .` also does).
set -euo pipefail
cd "$(dirname "$0")"
PYTHON="${PYTHON:-.venv/bin/python}"
[ -x "$PYTHON" ] || PYTHON=python3
"$PYTHON" setup.py build_ext --inplace
