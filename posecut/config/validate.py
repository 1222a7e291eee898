"""Validation of a whole config: every value parsed by its key's type and checked, the joint keys
filled from each other (and from a keypoint format), and every problem collected, so that one
``ConfigError`` lists them all, each naming the file and the key."""

from __future__ import annotations

import difflib
import math
import os
from typing import Any, Optional

from dataset.keypoint_formats import DEFAULT_FORMAT, get_format, is_format_file
from lib.errors import ConfigError, FormatError
from posecut.config.keys import CONFIG_KEYS, KEYS, ConfigKey
from posecut.config.types import Mismatch, show, yaml_text

__all__ = ["DEFAULTS", "parse_key", "raise_problems", "unknown_keys", "validate"]

Problems = list[tuple[str, str]]


def parse_key(key: ConfigKey, value: Any) -> tuple[Any, Optional[str]]:
    """Normalise one value; return (value, None) or (None, what was expected)."""
    try:
        value = key.type.parse(value)
    except Mismatch as e:
        where = f"; {key.name}{e.path} is" if e.path else "; got"
        finite = " (finite)" if isinstance(e.value, float) and not math.isfinite(e.value) else ""
        return None, f"expected {key.type.name}{finite}{where} {show(e.value)}"
    problem = key.check(value) if key.check else None
    return (None, problem) if problem else (value, None)


def _default(key: ConfigKey) -> Any:
    """The normalised default of a key; a row whose default fails its own check is a bug in the table."""
    value, problem = parse_key(key, key.default)
    if problem:
        raise ConfigError(f"posecut.config: {key.name}: default {key.default!r} is invalid: {problem}")
    return value


DEFAULTS: dict[str, Any] = {key.name: _default(key) for key in CONFIG_KEYS}
"""Each key's default, normalised (tuples for lists)."""


def _unimplemented(key: ConfigKey, value: Any) -> Optional[str]:
    """The refusal of a value of a DeeperCut key posecut does not implement, other than DeeperCut's
    default: what the value did in DeeperCut and what to do here; None where it loads."""
    note = key.unimplemented
    if note is None or note.any_value or value == DEFAULTS[key.name]:
        return None
    default = yaml_text(DEFAULTS[key.name])
    return (f"{yaml_text(value)} is not supported: posecut does not implement this DeeperCut key and accepts "
            f"only its default, {default}. In DeeperCut, {note.meaning}; {note.advice}. Remove the "
            f"key or set it to {default}")


def _format_joints(v: dict, config_dir: Optional[str]) -> Problems:
    """With a keypoint_format (a registered name, or a format YAML file relative to the config's
    folder, made absolute here), fill num_joints and the all_joints groups (its left/right flip
    pairs, which mirroring swaps) and their names from the format, and check that what the config
    gives itself agrees with it."""
    if not v["keypoint_format"]:
        return []
    if is_format_file(v["keypoint_format"]):
        v["keypoint_format"] = os.path.normpath(os.path.join(
            config_dir or os.getcwd(), os.path.expanduser(v["keypoint_format"])))
    try:
        fmt = get_format(v["keypoint_format"])
    except FormatError as e:
        return [("keypoint_format", str(e))]
    if v["num_joints"] is None and not v["all_joints"]:
        v["num_joints"] = fmt.num_joints
    if v["num_joints"] is not None and v["num_joints"] != fmt.num_joints:
        return [("num_joints", f"expected {fmt.num_joints}, the joints of keypoint_format "
                               f"{fmt.name}, got {v['num_joints']}")]
    groups, names = fmt.all_joints()
    if not v["all_joints"]:
        v["all_joints"] = tuple(tuple(g) for g in groups)
        v["all_joints_names"] = v["all_joints_names"] or tuple(names)
        return []
    given = sorted(sorted(g) for g in v["all_joints"] if len(g) == 2)
    expected = sorted(sorted(g) for g in groups if len(g) == 2)
    if given != expected:
        return [("all_joints", f"expected the left/right pairs of keypoint_format {fmt.name} "
                               f"({expected}), which mirroring swaps; got {given}")]
    return []


def _check_joints(v: dict, config_dir: Optional[str] = None) -> Problems:
    """Fill num_joints, all_joints and its names in ``v`` from each other, and check they agree."""
    problems = _format_joints(v, config_dir)
    n, groups, names = v["num_joints"], v["all_joints"], v["all_joints_names"]
    ids = sorted(j for g in groups for j in g)
    if n is None and groups:
        n = v["num_joints"] = len(ids)
    if n is None:
        if names:
            problems.append(("all_joints_names", "given without num_joints or all_joints"))
        if v["sparse_graph"]:
            problems.append(("sparse_graph", "given without num_joints or all_joints"))
        return problems
    if not groups:
        groups = v["all_joints"] = tuple((j,) for j in range(n))
    elif ids != list(range(n)):
        problems.append(("all_joints", f"expected the groups to hold each joint id 0..{n - 1} "
                                       f"(num_joints={n}) exactly once, got ids {ids}"))
    if not names:
        names = v["all_joints_names"] = tuple(f"joint{g[0]}" for g in groups)
    elif len(names) != len(groups):
        problems.append(("all_joints_names", f"expected one name per group of all_joints "
                                             f"({len(groups)}), got {len(names)}"))
    bad = [list(e) for e in v["sparse_graph"] if max(e) >= n]
    if bad:
        problems.append(("sparse_graph", f"expected joint ids < num_joints={n}, got {bad}"))
    return problems


def validate(values: dict, config_dir: Optional[str] = None) -> tuple[dict, Problems]:
    """Normalise and check every key, then the keys that depend on each other; collect all problems."""
    out, problems = {}, []
    for name, value in values.items():
        out[name], problem = parse_key(KEYS[name], value)
        problem = problem or _unimplemented(KEYS[name], out[name])
        if problem:
            problems.append((name, problem))
    failed = {name for name, _ in problems}
    jitter = {"scale_jitter_lo", "scale_jitter_up"}
    if not failed & jitter and out["scale_jitter_lo"] > out["scale_jitter_up"]:
        problems.append(("scale_jitter_lo", f"expected <= scale_jitter_up={out['scale_jitter_up']}, "
                                            f"got {out['scale_jitter_lo']}"))
    if not failed & {"num_joints", "all_joints", "keypoint_format", "dataset_type"}:
        out.update({k: () for k in failed & {"all_joints_names", "sparse_graph"}})
        if (out["dataset_type"] == "coco" and out["keypoint_format"] is None
                and out["num_joints"] is None and not out["all_joints"]):
            out["keypoint_format"] = DEFAULT_FORMAT  # DeeperCut's MSCOCO data fixed COCO's joints
        problems += _check_joints(out, config_dir)
    return out, problems


def raise_problems(source: str, problems: Problems) -> None:
    """One ConfigError listing every problem, one line each, each naming the file and the key."""
    if problems:
        raise ConfigError("\n".join(f"{source}: {key}: {what}" for key, what in problems))


def unknown_keys(keys) -> Problems:
    """A problem per unknown key, suggesting the nearest known key."""
    problems = []
    for key in keys:
        close = difflib.get_close_matches(str(key), KEYS, n=1)
        hint = f"did you mean '{close[0]}'?" if close else "see docs/config.md for the known keys"
        problems.append((str(key), f"unknown key; {hint}"))
    return problems
