# `make demo` and `make test` install whatever is missing first (a virtual
# environment in .venv with the pinned dependencies and the compiled lib/).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
STAMP := $(VENV)/.installed
LIB_SOURCES := $(filter-out lib/%_cy.cpp,$(wildcard lib/*.pyx lib/*.pxd lib/*.cpp lib/*.cc lib/*.hpp lib/*.h)) lib/compile_flags.py

.PHONY: install demo test bench clean

install: $(STAMP)

$(STAMP): pyproject.toml setup.py $(LIB_SOURCES)
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install -q --disable-pip-version-check --no-binary xtcocotools -e '.[test]'
	$(VENV)/bin/python -m lib.people_op --force > /dev/null
	touch $@

demo: $(STAMP)
	$(VENV)/bin/python demo/demo_multiperson.py

test: $(STAMP)
	$(VENV)/bin/python -m pytest -q tests

bench: $(STAMP)
	$(VENV)/bin/python bench/bench_forward.py

clean:
	rm -rf $(VENV) build *.egg-info lib/*.so lib/*.cpp.gen
