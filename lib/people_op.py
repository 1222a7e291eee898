"""The TensorFlow op PosecutPeople (lib/people_op.cc): network outputs in, people out.

``load()`` compiles the op against the installed TensorFlow the first time (about 10 s; `make`
and compile.sh do it at install) and registers it in this process; a SavedModel whose signature
uses it loads only after that. ``python -m lib.people_op`` builds it.
"""
import functools
import os
import subprocess
import sys

from lib.compile_flags import CXXFLAGS
from lib.errors import PosecutError

__all__ = ["OpBuildError", "build", "library_path", "load"]

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCES = ("people_op.cc", "nl_lmp.cpp")
# What the build depends on besides SOURCES: every header here, and the flags.
DEPENDS = tuple(sorted(f for f in os.listdir(HERE) if f.endswith(".hpp"))) + ("compile_flags.py",)


class OpBuildError(PosecutError, RuntimeError):
    """The op could not be compiled (no C++ compiler, or TensorFlow's headers missing)."""


def library_path() -> str:
    """Where the compiled op lives: next to its sources, or in the user's cache if lib/ is not
    writable (an installed package)."""
    if os.access(HERE, os.W_OK):
        return os.path.join(HERE, "_people_op.so")
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(cache, "posecut", "_people_op.so")


def _stale(path: str) -> bool:
    if not os.path.isfile(path):
        return True
    built = os.path.getmtime(path)
    return any(os.path.getmtime(os.path.join(HERE, f)) > built for f in SOURCES + DEPENDS)


def build(force: bool = False) -> str:
    """Compile the op if it is missing or older than its sources; return the library's path."""
    import tensorflow as tf

    path = library_path()
    if not force and not _stale(path):
        return path
    os.makedirs(os.path.dirname(path), exist_ok=True)
    compiler = os.environ.get("CXX", "g++")
    tmp = f"{path}.{os.getpid()}.tmp"
    command = [compiler, "-shared", "-fPIC", *CXXFLAGS, "-w", "-fvisibility=hidden",
               *[os.path.join(HERE, f) for f in SOURCES], "-o", tmp,
               *tf.sysconfig.get_compile_flags(), *tf.sysconfig.get_link_flags()]
    try:
        done = subprocess.run(command, capture_output=True, text=True)
    except OSError as err:
        raise OpBuildError(f"lib/people_op.cc: cannot run the C++ compiler {compiler!r} ({err}); "
                           f"install g++ or set CXX") from None
    if done.returncode != 0:
        raise OpBuildError(f"lib/people_op.cc: compiling failed ({' '.join(command)}):\n"
                           f"{done.stderr[-4000:]}")
    os.replace(tmp, path)
    return path


@functools.cache
def load():
    """The op's module (``.posecut_people``), compiled if needed and registered once."""
    import tensorflow as tf

    return tf.load_op_library(build())


if __name__ == "__main__":
    from posecut.logs import start_tensorflow

    start_tensorflow("--verbose" in sys.argv[1:])
    print(build(force="--force" in sys.argv[1:]))
