"""A brief run of the fuzz harness in the normal suite (`make fuzz` runs it longer): our ingest readers
give a one-line ParcelAuditError or rejects for every generated input, never a traceback. The readers
of other areas (tracing, reference lists, origin, audit) are held to the same property."""

from __future__ import annotations

import pytest

from tests.fuzz.harness import distinct_failures, fuzz_reader, readers

pytestmark = pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisWarning")

OURS = ("ingest csv", "ingest jsonl", "ingest parquet", "ingest xlsx")
OTHERS = ("tracing epcis", "reference lists", "origin lab csv", "audit results csv", "audit results xlsx")


def _run(name: str, tmp_path, examples: int = 25, target: str | None = None):
    reader = next(r for r in readers(tmp_path, target) if r.name == name)
    fuzz_reader(reader, tmp_path, seconds=60, max_examples=examples, derandomize=True)
    return reader


@pytest.mark.parametrize("name", OURS)
def test_ingest_readers_never_raise_a_traceback(name, store_target, tmp_path):
    reader = _run(name, tmp_path, target=store_target)
    assert reader.tried > 0
    assert not reader.tracebacks, "\n".join(distinct_failures(reader.tracebacks))


@pytest.mark.parametrize("name", OTHERS)
def test_other_readers_never_raise_a_traceback(name, tmp_path):
    reader = _run(name, tmp_path)
    assert reader.tried > 0
    assert not reader.tracebacks, "\n".join(distinct_failures(reader.tracebacks))
