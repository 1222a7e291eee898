"""The library packages import only downward: lib <- nnet <- dataset <- multiperson <- posecut.

lib holds the compiled kernels and the error types (a leaf); nnet the network and its head layout;
dataset reads annotations and encodes targets for the heads; multiperson groups the outputs;
posecut composes them (CLI, building from a config, export).
"""
import ast
import os
import subprocess
import sys
import tomllib

import pytest
from conftest import ROOT

ORDER = ("lib", "nnet", "dataset", "multiperson", "posecut")
# Lower packages a package may import; where only some of a package's modules are allowed,
# they are named (the TensorFlow-free ones, so that data and grouping never start TensorFlow).
ALLOWED = {
    "lib": {},
    "nnet": {"lib": None},
    "dataset": {"lib": None, "nnet": {"nnet.heads"}},
    "multiperson": {"lib": None, "nnet": {"nnet.heads", "nnet.outputs"}, "dataset": None},
    "posecut": {"lib": None, "nnet": None, "dataset": None, "multiperson": None},
}


def _is_main_guard(node):
    """True for ``if __name__ == "__main__":``, a script's edge."""
    return (isinstance(node, ast.If) and isinstance(node.test, ast.Compare)
            and isinstance(node.test.left, ast.Name) and node.test.left.id == "__name__")


def project_imports(path):
    """(module imported, line, inside a function) for each project import of a file, leaving out
    those under a ``__main__`` guard."""
    found = []

    def visit(node, in_function):
        for child in ast.iter_child_nodes(node):
            if _is_main_guard(child):
                continue
            inner = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
            if isinstance(child, ast.Import):
                names = [alias.name for alias in child.names]
            elif isinstance(child, ast.ImportFrom) and child.level == 0 and child.module:
                names = [child.module]
            else:
                names = []
            found.extend((name, child.lineno, inner) for name in names
                         if name.split(".")[0] in ORDER)
            visit(child, inner)

    with open(path, encoding="utf-8") as f:
        visit(ast.parse(f.read(), path), False)
    return found


def library_files():
    for package in ORDER:
        for folder, _, files in os.walk(os.path.join(ROOT, package)):
            for name in sorted(files):
                if name.endswith(".py"):
                    yield package, os.path.join(folder, name)


def test_the_walk_sees_every_package():
    packages = {package for package, _ in library_files()}
    assert packages == set(ORDER)
    assert sum(1 for _ in library_files()) > 40


def test_library_packages_import_only_downward():
    wrong = []
    for package, path in library_files():
        for module, line, _ in project_imports(path):
            top = module.split(".")[0]
            if top == package:
                continue
            allowed = ALLOWED[package]
            if top not in allowed or (allowed[top] is not None and module not in allowed[top]):
                wrong.append(f"{os.path.relpath(path, ROOT)}:{line} imports {module}")
    assert not wrong, "\n".join(wrong)


def test_library_packages_import_the_project_at_the_top_of_their_files():
    """Hidden imports hide the graph; only the edges that start TensorFlow defer theirs: the
    command modules (to answer before TensorFlow has loaded), the Python entry point (to
    choose TensorFlow's settings for this CPU before it loads), which `posecut` re-exports lazily,
    and posecut.build, whose grouping assets and trackers a distributed run's CPU workers build
    without loading TensorFlow."""
    edges = (os.path.join(ROOT, "posecut", "cli") + os.sep, os.path.join(ROOT, "posecut", "api.py"),
             os.path.join(ROOT, "posecut", "__init__.py"), os.path.join(ROOT, "posecut", "build.py"))
    hidden = [f"{os.path.relpath(path, ROOT)}:{line} {module}"
              for package, path in library_files()
              if not path.startswith(edges)
              for module, line, inside in project_imports(path) if inside]
    assert not hidden, "\n".join(hidden)


def test_errors_are_a_leaf():
    assert project_imports(os.path.join(ROOT, "lib", "errors.py")) == []


def test_the_checks_catch_an_upward_import(tmp_path):
    source = tmp_path / "bad.py"
    source.write_text("import numpy\nfrom posecut.config import load_config\n\n"
                      "def f():\n    from dataset.targets import compute_targets\n\n"
                      "if __name__ == '__main__':\n    from posecut.logs import setup_logging\n")
    assert project_imports(source) == [("posecut.config", 2, False),
                                       ("dataset.targets", 5, True)]


@pytest.mark.parametrize("modules", [
    "dataset.targets, dataset.loaders, dataset.augment",
    "multiperson.predict, multiperson.evaluation, multiperson.fit_pairwise",
    "nnet.heads, nnet.outputs, posecut.config",
    "posecut.build, posecut.corpus.stages, posecut.corpus.run, posecut.video_chunks",
])
def test_data_and_grouping_do_not_start_tensorflow(modules):
    probe = f"import sys; import {modules}; print('tensorflow' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def test_every_library_package_is_installed():
    """pyproject.toml lists the packages; a new subpackage left out of it would be missing from
    an install (dataset.synthetic once was)."""
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as handle:
        listed = set(tomllib.load(handle)["tool"]["setuptools"]["packages"])
    found = {os.path.relpath(folder, ROOT).replace(os.sep, ".")
             for package in ORDER for folder, _, files in os.walk(os.path.join(ROOT, package))
             if "__init__.py" in files}
    assert found == listed
