"""Files written whole or not at all: a writer writes a temporary file beside the target and
renames it over the target when it is complete, so a killed writer leaves no half file."""
import contextlib
import json
import os
import pickle
import tempfile

__all__ = ["TEMPORARY_MARK", "atomic_path", "read_pickle", "remove_leftovers", "write_json",
           "write_pickle"]

TEMPORARY_MARK = ".part-"
"""In the name of a file still being written (removed when its writer fails)."""

_UMASK = os.umask(0)
os.umask(_UMASK)


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path beside ``path`` (same folder, same extension, so that writers that
    pick a format by extension still do); on leaving without an error it replaces ``path``,
    after an error it is removed."""
    folder, name = os.path.split(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    stem, ext = os.path.splitext(name)
    handle, temporary = tempfile.mkstemp(prefix=f".{stem}{TEMPORARY_MARK}", suffix=ext, dir=folder)
    os.close(handle)
    try:
        yield temporary
        os.chmod(temporary, 0o666 & ~_UMASK)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def write_json(path, value) -> str:
    """``value`` as JSON at ``path``, atomically; the path."""
    with atomic_path(path) as temporary:
        with open(temporary, "w", encoding="utf-8") as f:
            json.dump(value, f)
    return path


def write_pickle(path, value) -> str:
    """``value`` pickled at ``path``, atomically (the run's own intermediate files); the path."""
    with atomic_path(path) as temporary:
        with open(temporary, "wb") as f:
            pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
    return path


def read_pickle(path):
    """What write_pickle wrote at ``path``."""
    with open(path, "rb") as f:
        return pickle.load(f)


def remove_leftovers(folder) -> list:
    """Remove the temporary files that writers killed in the middle left in ``folder`` (not its
    subfolders); the paths removed. A rerun calls it before it writes anything."""
    removed = []
    if not os.path.isdir(folder):
        return removed
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        if name.startswith(".") and TEMPORARY_MARK in name and os.path.isfile(path):
            os.remove(path)
            removed.append(path)
    return removed
