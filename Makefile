# `make demo` and `make test` install whatever is missing first (a virtual
# environment in .venv with the pinned dependencies and the compiled lib/).
# xtcocotools is built from source before the rest, without pip's build isolation: its setup.py
# imports numpy (and needs Cython and setuptools' bdist_wheel) without declaring them, so it is
# built against the numpy, Cython and setuptools installed just before it.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
STAMP := $(VENV)/.installed
PIP := $(VENV)/bin/python -m pip install -q --disable-pip-version-check
# The requirements named in $(1) as pyproject.toml pins them (its one list of versions).
pinned = $(shell $(PYTHON) -c 'import sys, tomllib; t = tomllib.load(open("pyproject.toml", "rb")); print(" ".join(dict.fromkeys(r for r in t["build-system"]["requires"] + t["project"]["dependencies"] if r.split("=")[0] in sys.argv[1:])))' $(1))
LIB_SOURCES := $(filter-out lib/%_cy.cpp,$(wildcard lib/*.pyx lib/*.pxd lib/*.cpp lib/*.cc lib/*.hpp lib/*.h)) lib/compile_flags.py

.PHONY: install demo test bench clean

install: $(STAMP)

$(STAMP): pyproject.toml setup.py $(LIB_SOURCES)
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(PIP) $(call pinned,setuptools cython numpy)
	$(PIP) --no-build-isolation --no-binary xtcocotools $(call pinned,xtcocotools)
	$(PIP) -e '.[test,cluster]'
	$(VENV)/bin/python -m lib.people_op --force > /dev/null
	touch $@

demo: $(STAMP)
	$(VENV)/bin/python demo/demo_multiperson.py

test: $(STAMP)
	$(VENV)/bin/python -m pytest -q -n auto --maxprocesses 4 --dist worksteal tests

bench: $(STAMP)
	$(VENV)/bin/python bench/bench_forward.py

clean:
	rm -rf $(VENV) build *.egg-info lib/*.so lib/*.cpp.gen
