"""The Spark driver at local[2] gives exactly the in-process result (which
test_package holds equal to the command), with 4 and 16 shuffle partitions,
and with the components found by star rounds as well as in the driver."""

from __future__ import annotations

import os
import sys

import pytest

import storyhash
from conftest import corpora

pyspark = pytest.importorskip("pyspark")


@pytest.fixture(scope="module")
def spark():
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    s = (
        SparkSession.builder.master("local[2]")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", "2g")
        .getOrCreate()
    )
    s.sparkContext.setLogLevel("ERROR")
    yield s
    s.stop()


def spark_triples(spark, table, partitions, **kwargs):
    import storyhash.spark as ss

    spark.conf.set("spark.sql.shuffle.partitions", str(partitions))
    df = spark.createDataFrame(table.to_pylist(), "id string, text string, title string, date string")
    report = {}
    out = ss.cluster_dataframe(df, title_col="title", date_col="date", report=report, **kwargs)
    return sorted((r["id"], r["copy"], r["story"]) for r in out.collect()), report


def local_triples(table):
    t = storyhash.cluster(table, title="title", date="date")
    return sorted(zip(t.column("id").to_pylist(), t.column("copy").to_pylist(), t.column("story").to_pylist()))


@pytest.mark.parametrize("partitions", [4, 16])
@pytest.mark.parametrize("name,table", corpora(), ids=lambda x: x if isinstance(x, str) else "")
def test_spark_gives_the_single_process_answer(spark, name, table, partitions):
    got, report = spark_triples(spark, table, partitions)
    assert got == local_triples(table), f"{name} at {partitions} partitions"
    assert report["documents"] == table.num_rows and report["largest_bucket"] >= 2


def test_star_rounds_find_the_same_components(spark):
    name, table = corpora()[1]
    got, report = spark_triples(spark, table, 4, local_threshold=0)
    assert got == local_triples(table)
    assert report["copy_star_rounds"] >= 1
