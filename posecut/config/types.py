"""The vocabulary of the key table: a row's record, value types and range checks. Each type parses
a YAML value into the one form the config keeps (lists become tuples, ints floats where due)."""

from __future__ import annotations

import json
import math
import reprlib
from typing import Any, Callable, NamedTuple, Optional

__all__ = [
    "BOOL", "FLOAT", "INT", "STR", "ConfigKey", "Mismatch", "Unimplemented", "ValueType",
    "at_least", "check_graph", "check_groups", "check_multi_step", "fixed", "list_of", "non_empty",
    "one_of", "open_unit", "optional", "optional_at_least", "optional_non_empty",
    "optional_positive", "plain", "positive", "show", "unit", "yaml_text",
]


class Mismatch(TypeError):
    """A value (or an element at ``path`` inside it) does not have the expected type."""

    def __init__(self, value: Any, path: str = ""):
        super().__init__(path, value)
        self.value = value
        self.path = path


_SHORT = reprlib.Repr()
_SHORT.maxlevel, _SHORT.maxlist, _SHORT.maxdict, _SHORT.maxstring, _SHORT.maxother = 3, 6, 6, 50, 50


def show(value: Any) -> str:
    """Short ``repr`` of a value with its Python type, for error messages; bounded however large
    or deeply shared the value is (YAML aliases can make a small file a huge tree)."""
    text = _SHORT.repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} ({type(value).__name__})"


def plain(value: Any) -> Any:
    """Tuples to lists, recursively, so that values dump to YAML and JSON."""
    return [plain(v) for v in value] if isinstance(value, tuple) else value


def yaml_text(value: Any) -> str:
    """A value as a config file writes it: null, true, "text", [1, 2]."""
    return json.dumps(plain(value))


class ValueType(NamedTuple):
    """A value type: its name in messages and docs, its annotation, and a parser that normalises."""

    name: str
    annotation: Any
    parse: Callable[[Any], Any]


def _scalar(name: str, annotation: Any, accepts: Callable[[Any], bool], convert=lambda v: v) -> ValueType:
    def parse(value):
        if not accepts(value):
            raise Mismatch(value)
        return convert(value)

    return ValueType(name, annotation, parse)


INT = _scalar("int", int, lambda v: isinstance(v, int) and not isinstance(v, bool))
FLOAT = _scalar("float", float, lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)
                and math.isfinite(v), float)
BOOL = _scalar("bool", bool, lambda v: isinstance(v, bool))
STR = _scalar("str", str, lambda v: isinstance(v, str))


def optional(inner: ValueType) -> ValueType:
    """``inner`` or null."""
    return ValueType(f"{inner.name} or null", Optional[inner.annotation],
                     lambda v: None if v is None else inner.parse(v))


def _elements(value: Any, parsers: list[Callable[[Any], Any]]) -> tuple:
    """Parse each element of a list with its parser; a mismatch deep inside names its index path."""
    out = []
    for i, (element, parse) in enumerate(zip(value, parsers)):
        try:
            out.append(parse(element))
        except Mismatch as e:
            raise Mismatch(e.value, f"[{i}]{e.path}") from None
    return tuple(out)


def list_of(inner: ValueType) -> ValueType:
    """A list of any length; stored as a tuple so the config stays immutable."""
    def parse(value):
        if not isinstance(value, (list, tuple)):
            raise Mismatch(value)
        return _elements(value, [inner.parse] * len(value))

    return ValueType(f"list of {inner.name}", tuple[inner.annotation, ...], parse)


def fixed(*inners: ValueType) -> ValueType:
    """A list of exactly ``len(inners)`` elements, each of its own type."""
    def parse(value):
        if not isinstance(value, (list, tuple)) or len(value) != len(inners):
            raise Mismatch(value)
        return _elements(value, [t.parse for t in inners])

    name = "[" + ", ".join(t.name for t in inners) + "]"
    return ValueType(name, tuple[tuple(t.annotation for t in inners)], parse)


class Unimplemented(NamedTuple):
    """Why a DeeperCut key has no effect here: what a value other than its default did in
    DeeperCut, and what to do instead. ``any_value``: no DeeperCut code read it either, so every
    value means what it meant there (nothing) and loads."""

    meaning: str
    advice: str
    any_value: bool = False


class ConfigKey(NamedTuple):
    """One configuration key: its name, type, default, range check, meaning and section; ``ours``
    for posecut's own keys, ``unimplemented`` for DeeperCut's that posecut does not implement."""

    name: str
    type: ValueType
    default: Any
    check: Optional[Callable[[Any], Optional[str]]]
    description: str
    section: str = ""
    ours: bool = False
    unimplemented: Optional[Unimplemented] = None


# Checks: value -> None when fine, else what was expected.
def at_least(low):
    """Values >= ``low``."""
    return lambda v: None if v >= low else f"expected >= {low}, got {v!r}"


def positive(v):
    """Values > 0."""
    return None if v > 0 else f"expected > 0, got {v!r}"


def optional_positive(v):
    """null or a value > 0."""
    return None if v is None else positive(v)


def optional_at_least(low):
    """null or a value >= ``low``."""
    return lambda v: None if v is None or v >= low else f"expected >= {low} or null, got {v!r}"


def open_unit(v):
    """Values in (0, 1)."""
    return None if 0 < v < 1 else f"expected a value in (0, 1), got {v!r}"


def unit(v):
    """Values in [0, 1]."""
    return None if 0 <= v <= 1 else f"expected a value in [0, 1], got {v!r}"


def one_of(*choices):
    """One of ``choices``."""
    return lambda v: None if v in choices else f"expected one of {', '.join(map(repr, choices))}, got {v!r}"


def non_empty(v):
    """A non-empty string."""
    return None if v else "expected a non-empty string"


def optional_non_empty(v):
    """null or a non-empty string."""
    return None if v is None or v else "expected null or a non-empty string"


def check_multi_step(steps):
    """At least one [learning_rate, until_iteration] step, rates > 0, iterations increasing."""
    if not steps:
        return "expected at least one [learning_rate, until_iteration] step"
    if any(lr <= 0 for lr, _ in steps):
        return f"expected every learning rate > 0, got {[lr for lr, _ in steps]}"
    iters = [it for _, it in steps]
    if iters[0] <= 0 or any(b <= a for a, b in zip(iters, iters[1:])):
        return f"expected positive, strictly increasing iterations, got {iters}"
    return None


def check_groups(groups):
    """Non-empty groups of joint ids >= 0."""
    if any(not g for g in groups):
        return "expected every group of joint ids to be non-empty"
    if any(j < 0 for g in groups for j in g):
        return "expected joint ids >= 0"
    return None


def check_graph(edges):
    """Pairs of two different joint ids >= 0."""
    bad = [list(e) for e in edges if e[0] < 0 or e[1] < 0 or e[0] == e[1]]
    return f"expected pairs of two different joint ids >= 0, got {bad}" if bad else None
