"""The fuzz suite's table: every case of tests/fuzz_corpus.py run once, counted per area and
outcome (error, skipped, read right, FAILED), with each FAILED case and what went wrong.

    .venv/bin/python bench/fuzz_table.py [--cases]

``--cases`` also lists every case with its outcome and the first line of its message.
"""
import argparse
import logging
import os
import sys
import tempfile
import time
from collections import Counter

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
for folder in (ROOT, os.path.join(ROOT, "tests")):
    if folder not in sys.path:
        sys.path.insert(0, folder)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from fuzz_corpus import AREAS, CASES, ERROR, FAILED, READ_RIGHT, SKIPPED, observe  # noqa: E402

COLUMNS = (ERROR, SKIPPED, READ_RIGHT, FAILED)


def run_all(cases, folder):
    """(case, observed outcome) of every case, each in a folder of its own under ``folder``;
    a case whose outcome is not the one it expects counts as FAILED."""
    results = []
    for k, case in enumerate(cases):
        got = observe(case, os.path.join(folder, f"{k:03d}"))
        if got.outcome != case.expected and got.outcome != FAILED:
            got = got._replace(outcome=FAILED, detail=f"expected {case.expected}, got {got.outcome}: "
                                                      f"{got.detail}")
        results.append((case, got))
    return results


def table(results) -> str:
    """The Markdown table: per area, the cases and the count of each outcome, and a total row."""
    lines = ["| area | cases | " + " | ".join(COLUMNS) + " |",
             "|---|---:|" + "---:|" * len(COLUMNS)]
    total = Counter()
    for area in AREAS:
        counts = Counter(got.outcome for case, got in results if case.area == area)
        cases = sum(counts.values())
        total.update(counts)
        lines.append(f"| {area} | {cases} | " + " | ".join(str(counts[c]) for c in COLUMNS) + " |")
    lines.append(f"| **total** | **{sum(total.values())}** | "
                 + " | ".join(f"**{total[c]}**" for c in COLUMNS) + " |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", action="store_true", help="list every case and its outcome")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.CRITICAL)  # the skip warnings are the cases' business
    from posecut.logs import start_tensorflow

    start_tensorflow()  # now, with its start-up lines kept off stderr (the checkpoint cases need it)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="posecut-fuzz-") as folder:
        results = run_all(CASES, folder)
    print(table(results))
    print(f"\n{len(results)} cases in {time.perf_counter() - start:.0f} s")
    if args.cases:
        print()
        for case, got in results:
            print(f"- {case.id}: {got.outcome}: {got.detail[:160]}")
    failed = [(case, got) for case, got in results if got.outcome == FAILED]
    if failed:
        print("\nFAILED:")
        for case, got in failed:
            print(f"- {case.id} (expected {case.expected}): {got.detail}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
