"""Reading annotation JSON files and checking their values, with errors naming file, record and field."""
from __future__ import annotations

import json
import math
from typing import Any

import numpy as np

from lib.errors import DatasetError

__all__ = ["is_integer", "numbers", "pixel_size", "read_json", "require"]

_NUMBER_TYPES = {int, float}


def read_json(path: str) -> Any:
    """The parsed JSON of ``path``; DatasetError naming the file when it cannot be read or parsed."""
    try:
        with open(path, "rb") as f:
            return json.load(f)
    except OSError as err:
        raise DatasetError(f"{path}: cannot read the annotation file: {err.strerror or err}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise DatasetError(f"{path}: not valid JSON: {err}") from None


def require(obj: Any, key: str, kind: type | tuple, where: str, expected: str) -> Any:
    """``obj[key]`` checked to be of ``kind``; ``where`` names file and record in the error."""
    if not isinstance(obj, dict):
        raise DatasetError(f"{where}: expected an object with field {key!r}, got {type(obj).__name__}")
    if key not in obj:
        raise DatasetError(f"{where}: {key}: missing; expected {expected}")
    value = obj[key]
    if not isinstance(value, kind) or isinstance(value, bool) and bool not in _as_tuple(kind):
        raise DatasetError(f"{where}: {key}: expected {expected}, got {_show(value)}")
    return value


def numbers(values: Any, where: str, field: str, count: int | None = None, expected: str = "") -> np.ndarray:
    """``values`` as a float64 array after checking it is a list of finite numbers (of ``count``)."""
    what = expected or (f"a list of {count} numbers" if count is not None else "a list of numbers")
    if not isinstance(values, list):
        raise DatasetError(f"{where}: {field}: expected {what}, got {_show(values)}")
    if count is not None and len(values) != count:
        raise DatasetError(f"{where}: {field}: expected {what}, got {len(values)} values")
    if not set(map(type, values)) <= _NUMBER_TYPES:
        bad = next(i for i, v in enumerate(values) if type(v) not in _NUMBER_TYPES)
        raise DatasetError(f"{where}: {field}[{bad}]: expected a number, got {_show(values[bad])}")
    array = np.asarray(values, dtype=np.float64)
    if not np.isfinite(array).all():
        bad = int(np.flatnonzero(~np.isfinite(array))[0])
        raise DatasetError(f"{where}: {field}[{bad}]: expected a finite number, got {values[bad]!r}")
    return array


def _as_tuple(kind):
    return kind if isinstance(kind, tuple) else (kind,)


def _show(value: Any) -> str:
    """Short repr with the JSON-ish type name, for messages."""
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} ({type(value).__name__})"


def is_integer(value: Any) -> bool:
    """True for an int (not bool) or an integral finite float."""
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or isinstance(value, float) and math.isfinite(value) and value.is_integer()


def pixel_size(entry, where: str) -> tuple[int, int]:
    """(height, width) of an image entry's ``height`` and ``width``: positive whole numbers of
    pixels (COCO's and OCHuman's image entries alike)."""
    size = []
    for key in ("height", "width"):
        value = require(entry, key, (int, float), where, "a positive integer number of pixels")
        if not is_integer(value) or value < 1:
            raise DatasetError(f"{where}: {key}: expected a positive integer number of pixels, got {value!r}")
        size.append(int(value))
    return size[0], size[1]
