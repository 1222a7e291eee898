"""The manifest of a run's output folder: which inputs are finished, written by the one process
that drives the run, a JSON line per finished input appended and flushed to disk once all its
files are in place. A rerun reads it and skips those inputs; a line cut short by a kill is
ignored (its input is done again)."""
import json
import os
from typing import Optional

from lib.errors import PosecutError

__all__ = ["MANIFEST", "Manifest"]

MANIFEST = "manifest.jsonl"


class Manifest:
    """The finished inputs of the run writing to ``folder`` with ``settings`` (a dict naming
    what decides the results: command, config, weights...). A folder whose manifest was written
    with other settings is refused, so that one folder never mixes two runs' results."""

    def __init__(self, folder: str, settings: dict):
        self.path = os.path.join(folder, MANIFEST)
        self.settings = dict(settings)
        self.done: dict = {}
        os.makedirs(folder, exist_ok=True)
        if os.path.isfile(self.path):
            self._read()
        else:
            self._append({"settings": self.settings})

    def _read(self):
        with open(self.path, "rb+") as f:
            text = f.read()
            whole = text.rfind(b"\n") + 1
            if whole < len(text):  # a line cut short by a kill: drop it, so the next append starts clean
                f.truncate(whole)
        lines = text[:whole].decode("utf-8").split("\n")
        entries = []
        for line in lines:
            try:
                entries.append(json.loads(line))
            except ValueError:
                continue
        first = entries[0] if entries else {}
        if first.get("settings") != self.settings:
            raise PosecutError(
                f"{self.path}: written by a run with other settings ({_differ(first.get('settings'), self.settings)}); "
                f"give another --output, or remove the folder to start again")
        for entry in entries[1:]:
            if "input" in entry:
                self.done[entry["input"]] = entry

    def _append(self, entry: dict):
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps(entry) + "\n")
            f.flush()
            os.fsync(f.fileno())

    def finished(self, key: str) -> Optional[dict]:
        """The entry of a finished input, else None."""
        return self.done.get(key)

    def record(self, key: str, **values) -> dict:
        """Mark the input ``key`` finished, with ``values`` (its files, its frames...); an input
        already finished is not written again."""
        if key in self.done:
            return self.done[key]
        entry = {"input": key, **values}
        self._append(entry)
        self.done[key] = entry
        return entry


def _differ(old, new) -> str:
    """Which settings changed, as "key: old -> new"."""
    if not isinstance(old, dict):
        return "no settings line"
    keys = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
    return "; ".join(f"{k}: {old.get(k)!r} -> {new.get(k)!r}" for k in keys) or "none"
