"""Reading and writing configuration files: YAML over the defaults, guarded against hostile files
(size, depth, aliases, keys given twice), and written back so that they load equal."""

from __future__ import annotations

import os

import yaml

from dataset.dlc_project import looks_like_dlc_config
from lib.errors import ConfigError
from posecut.config.pose_config import PoseConfig, config_from_dict

__all__ = ["MAX_COMPARED_NODES", "MAX_CONFIG_BYTES",
           "deeplabcut_project_problem", "load_config", "save_config"]

MAX_CONFIG_BYTES = 1 << 20
"""Largest configuration file read (1 MiB); DeeperCut's own are about 2 KB."""
MAX_COMPARED_NODES = 10_000
"""Most values (aliases expanded) of a key given twice that are compared with each other; two
larger values (a few hundred bytes of nested aliases, "billion laughs", expand to billions)
count as different rather than being expanded."""


def _expanded_size(root, limit: int) -> int:
    """How many values the node tree under ``root`` holds with every alias expanded (a node
    reached twice counts twice), counted without expanding; above ``limit`` (or a value that
    holds itself) it is ``limit + 1``."""
    sizes, entered, stack = {}, set(), [(root, False)]
    while stack:
        node, children_sized = stack.pop()
        if id(node) in sizes:
            continue
        if isinstance(node, yaml.ScalarNode):
            sizes[id(node)] = 1
            continue
        children = ([n for pair in node.value for n in pair] if isinstance(node, yaml.MappingNode)
                    else list(node.value))
        if children_sized:
            sizes[id(node)] = min(limit + 1, 1 + sum(sizes[id(c)] for c in children))
        elif id(node) in entered:  # reached again below itself: a recursive alias
            return limit + 1
        else:
            entered.add(id(node))
            stack.append((node, True))
            stack.extend((c, False) for c in children)
    return sizes[id(root)]


def deeplabcut_project_problem(data, source: str) -> str | None:
    """The one message for a DeepLabCut project file (several of its own keys together) given
    where a pose_cfg.yaml is expected: what it is and how to import it; else None."""
    if not looks_like_dlc_config(data):
        return None
    return (f"{source} is a DeepLabCut project file (config.yaml), not a posecut pose_cfg.yaml; "
            f"import it with `posecut import-dlc {source} OUT` and train on OUT/pose_cfg.yaml")


class _UniqueKeyLoader(yaml.SafeLoader):
    """yaml's safe loader, except that a key given twice in one mapping with different values is
    an error (yaml would keep the last value silently)."""

    def construct_mapping(self, node, deep=False):
        seen = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=deep)
            line = key_node.start_mark.line + 1
            try:
                if key in seen:
                    first_line, first_node = seen[key]
                    if self._same(first_node, value_node):
                        continue  # said twice alike, as DeeperCut's pose_cfg_multi.yaml does
                    raise yaml.constructor.ConstructorError(
                        None, None, f"{key}: given twice with different values (lines "
                                    f"{first_line} and {line}); keep one", key_node.start_mark)
                seen[key] = (line, value_node)
            except TypeError:
                continue  # an unhashable key: the constructor below reports it
        return super().construct_mapping(node, deep=deep)

    def _same(self, a, b) -> bool:
        """Whether two value nodes hold the same value; values of more than MAX_COMPARED_NODES
        values (aliases expanded) are not compared, and count as different."""
        if max(_expanded_size(a, MAX_COMPARED_NODES), _expanded_size(b, MAX_COMPARED_NODES)) \
                > MAX_COMPARED_NODES:
            return False
        try:
            return self.construct_object(a, deep=True) == self.construct_object(b, deep=True)
        except yaml.YAMLError:
            return False


def load_config(path: str | os.PathLike) -> PoseConfig:
    """Read a pose_cfg.yaml, merge it over the defaults and validate it; an empty file gives the defaults."""
    source = os.fspath(path)
    try:
        with open(source, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size > MAX_CONFIG_BYTES:
                raise ConfigError(f"{source}: not a configuration: {size} bytes, above the "
                                  f"{MAX_CONFIG_BYTES} a configuration may have")
            data = yaml.load(f, Loader=_UniqueKeyLoader)
    except FileNotFoundError:
        raise ConfigError(f"{source}: no such configuration file") from None
    except IsADirectoryError:
        raise ConfigError(f"{source}: a folder, not a configuration file") from None
    except OSError as e:
        raise ConfigError(f"{source}: cannot read the configuration file: {e.strerror}") from None
    except yaml.YAMLError as e:
        raise ConfigError(f"{source}: not valid YAML: {' '.join(str(e).split())}") from None
    except RecursionError:
        raise ConfigError(f"{source}: not a configuration: nested too deeply to read") from None
    problem = deeplabcut_project_problem(data, source)
    if problem:
        raise ConfigError(problem)
    return config_from_dict({} if data is None else data, source=source,
                            config_dir=os.path.dirname(os.path.abspath(source)))


def save_config(cfg: PoseConfig, path: str | os.PathLike) -> None:
    """Write every key of ``cfg`` as YAML that loads back equal; relative paths are written unchanged."""
    with open(path, "w", encoding="utf-8") as f:
        yaml.safe_dump(cfg.to_dict(), f, sort_keys=False, default_flow_style=None)
