"""The Python package: `storyhash.cluster` equals the command, schemas,
nulls, empty input, errors, the kernels batch by batch."""

from __future__ import annotations

import pickle

import pyarrow as pa
import pytest

import storyhash
from conftest import command_output, corpora, read_jsonl, SAMPLE


def triples(t: pa.Table) -> list:
    return sorted(zip(t.column("id").to_pylist(), t.column("copy").to_pylist(), t.column("story").to_pylist()))


@pytest.mark.parametrize("name,table", corpora(), ids=lambda x: x if isinstance(x, str) else "")
def test_cluster_equals_the_command(name, table, storyhash_bin, tmp_path):
    got = storyhash.cluster(table, title="title", date="date")
    assert triples(got) == command_output(storyhash_bin, table, tmp_path), name


def test_schema_order_and_scores():
    table = read_jsonl(SAMPLE)
    out = storyhash.cluster(table, title="title", date="date")
    assert out.schema.names == ["id", "copy", "story", "basis", "copy_similarity", "story_similarity"]
    assert out.column("id").to_pylist() == table.column("id").to_pylist(), "input order"
    assert set(out.column("basis").to_pylist()) <= {"representative", "identical", "jaccard", "containment"}
    assert out.num_rows == 56 and len(set(out.column("story").to_pylist())) == 11


def test_row_order_does_not_matter():
    table = read_jsonl(SAMPLE)
    shuffled = table.take(list(reversed(range(table.num_rows))))
    a = storyhash.cluster(table, title="title", date="date")
    b = storyhash.cluster(shuffled, title="title", date="date")
    assert triples(a) == triples(b)


def test_integer_ids_batches_and_streams():
    t = pa.table({"n": [1, 2, 3], "body": ["Rain in Lanmore on Monday.", "Rain in Lanmore on Monday!", "Snow."]})
    out = storyhash.cluster(t, id="n", text="body")
    assert out.column("copy").to_pylist() == ["1", "1", "3"]
    # A record batch and a stream of several batches give the same.
    assert storyhash.cluster(t.to_batches()[0], id="n", text="body").equals(out)
    reader = pa.RecordBatchReader.from_batches(t.schema, t.to_batches(max_chunksize=1))
    assert triples(storyhash.cluster(reader, id="n", text="body")) == triples(out)


def test_nulls_and_empty_input():
    t = pa.table({"id": ["a", "b", "c"], "text": ["Some words here.", None, ""], "date": [None, "2024-01-01", "not a date"]})
    out = storyhash.cluster(t, date="date")
    assert out.column("copy").to_pylist() == ["a", "b", "c"], "texts without words stand alone"
    empty = pa.table({"id": pa.array([], pa.string()), "text": pa.array([], pa.string())})
    assert storyhash.cluster(empty).num_rows == 0


def test_errors_are_typed_and_name_the_problem():
    t = pa.table({"id": ["a", "a"], "text": ["x y z", "x y"]})
    with pytest.raises(storyhash.InputError, match="duplicate article id"):
        storyhash.cluster(t)
    with pytest.raises(storyhash.InputError, match='no column "body"'):
        storyhash.cluster(t, text="body")
    with pytest.raises(storyhash.InputError, match="has nulls"):
        storyhash.cluster(pa.table({"id": ["a", None], "text": ["x", "y"]}))
    with pytest.raises(storyhash.ConfigError, match="stories.threshold"):
        storyhash.Config(stories={"threshold": 2.0})
    with pytest.raises(storyhash.ConfigError, match="no such field"):
        storyhash.Config(stories={"treshold": 0.3})
    assert issubclass(storyhash.InputError, storyhash.StoryhashError)


def test_config_defaults_and_changes():
    c = storyhash.Config()
    assert c["stories"]["threshold"] == 0.17 and c["copies"]["jaccard"] == 0.3
    stricter = storyhash.Config(stories={"threshold": 0.5})
    out = storyhash.cluster(read_jsonl(SAMPLE), title="title", date="date", config=stricter)
    assert len(set(out.column("story").to_pylist())) > 11


def _rows(band, keys, docs):
    return pa.record_batch(
        [pa.array([band] * len(docs), pa.uint32()), pa.array(keys, pa.uint64()),
         pa.array([0] * len(docs), pa.uint32()), pa.array(docs, pa.uint64())],
        names=["band", "key", "next", "doc"],
    )


def test_a_bucket_split_across_batches_pairs_as_one():
    stages = storyhash.Stages()
    whole = stages.bucket_pairer().push(_rows(0, [7, 7, 7, 7, 9], [1, 2, 3, 4, 5]))
    pairer = stages.bucket_pairer()
    first = pairer.push(_rows(0, [7, 7], [1, 2]))
    second = pairer.push(_rows(0, [7, 7, 9], [3, 4, 5]))
    assert pairer.finish()["largest_bucket"] == 4
    split = pa.Table.from_batches([first, second])
    assert sorted(zip(*split.to_pydict().values())) == sorted(zip(*whole.to_pydict().values()))
    with pytest.raises(storyhash.InputError, match="not sorted"):
        stages.bucket_pairer().push(_rows(0, [9, 7], [1, 2]))


def test_kernels_sign_band_verify_and_pickle():
    stages = pickle.loads(pickle.dumps(storyhash.Stages(storyhash.Config(stories={"threshold": 0.3}))))
    assert stages.story_threshold() == 0.3
    wire = "Rescue teams searched through the night after a strong earthquake struck Port Elling on Tuesday."
    batch = pa.record_batch([pa.array([0, 1, 2], pa.uint64()), pa.array([wire, "By Staff. " + wire, "Budget approved."])], names=["doc", "text"])
    signed = stages.sign(batch)
    assert signed.schema.names == ["doc", "sketch", "content", "day", "shingles"]
    rows = stages.band_rows(signed.select(["doc", "sketch"]))
    assert rows.num_rows == 3 * 56
    sk = signed.column("sketch")
    pairs = pa.record_batch([pa.array([0, 0], pa.uint64()), pa.array([1, 2], pa.uint64()), pa.array([sk[0], sk[0]]), pa.array([sk[1], sk[2]])], names=["a", "b", "sketch_a", "sketch_b"])
    edges = stages.verify(pairs)
    assert edges.column("a").to_pylist() == [0] and edges.column("b").to_pylist() == [1]
    empty = stages.sign(batch.slice(0, 0))
    assert empty.num_rows == 0
