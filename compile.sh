#!/usr/bin/env bash
# Builds the Cython/C++ kernels of lib/ in place (what `pip install -e .` also does), then the
# TensorFlow op of the exported models (lib/people_op.cc) against the installed TensorFlow.
set -euo pipefail
cd "$(dirname "$0")"
PYTHON="${PYTHON:-.venv/bin/python}"
[ -x "$PYTHON" ] || PYTHON=python3
"$PYTHON" setup.py build_ext --inplace
"$PYTHON" -m lib.people_op --force > /dev/null
