"""Build of the compiled kernels under lib/ (Cython bindings over C++)."""
import glob
import os
import sys

from setuptools import Extension, setup

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib.compile_flags import CXXFLAGS  # noqa: E402

# One entry per compiled module in lib/: name, sources. Every module is rebuilt when a header
# changes: they include each other (people.hpp -> pairwise.hpp -> vector_math.hpp, threads.hpp).
HEADERS = sorted(glob.glob(os.path.join("lib", "*.hpp")))
EXTENSIONS = [
    ("lib.multicut_cy", ["lib/multicut_cy.pyx", "lib/nl_lmp.cpp"]),
    ("lib.nms_cy", ["lib/nms_cy.pyx"]),
    ("lib.pairwise_cy", ["lib/pairwise_cy.pyx"]),
    ("lib.people_cy", ["lib/people_cy.pyx", "lib/nl_lmp.cpp"]),
]

if EXTENSIONS:
    from Cython.Build import cythonize

    ext_modules = cythonize(
        [
            Extension(
                name,
                sources,
                language="c++",
                depends=HEADERS,
                extra_compile_args=list(CXXFLAGS),
                extra_link_args=["-pthread"],
            )
            for name, sources in EXTENSIONS
        ],
        compiler_directives={"language_level": 3},
        quiet=True,
    )
else:
    ext_modules = []

setup(ext_modules=ext_modules)
