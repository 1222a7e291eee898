"""The fuzz suite: every malformed input of tests/fuzz_corpus.py gets its expected outcome (a
project error naming file and field, a skipped record with the rest written, or the right
result), never a bare traceback, a hang or a wrong answer. bench/fuzz_table.py tabulates it."""
import time

import pytest

from fuzz_corpus import AREAS, CASES, ERROR, FAILED, OUTCOMES, READ_RIGHT, Case, observe
from lib.errors import DatasetError


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input_gets_its_outcome(case, tmp_path):
    got = observe(case, tmp_path)
    assert got.outcome == case.expected, f"{case.id}: expected {case.expected}, got {got.outcome}: {got.detail}"


def test_the_corpus_covers_every_area_and_outcome_and_names_each_case_once():
    assert {case.area for case in CASES} == set(AREAS)
    assert {case.expected for case in CASES} == set(OUTCOMES)
    assert len({case.id for case in CASES}) == len(CASES)


def _raises(error):
    def run(folder):
        raise error
    return run


def _sleeps(folder):
    time.sleep(5)
    return READ_RIGHT, "woke"


def _wrong(folder):
    assert 0 == 3, "0 people, expected 3"
    return READ_RIGHT, "3 people"


@pytest.mark.parametrize("run, says, budget, outcome, detail", [
    (_raises(DatasetError("a.json: keypoints: bad")), ("keypoints",), 5, ERROR, "keypoints: bad"),
    (_raises(DatasetError("a.json: bad")), ("{dir}/a.json",), 5, FAILED, "does not name"),
    (_raises(IndexError("tuple index out of range")), (), 5, FAILED, "bare IndexError"),
    (_sleeps, (), 1, FAILED, "hung: still running after 1 s"),
    (_wrong, (), 5, FAILED, "wrong result: 0 people, expected 3"),
])
def test_observe_tells_errors_from_tracebacks_hangs_and_wrong_answers(tmp_path, run, says, budget,
                                                                      outcome, detail):
    got = observe(Case("api", "probe", ERROR, run, says, budget), tmp_path)
    assert got.outcome == outcome and detail in got.detail, got
