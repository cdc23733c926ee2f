"""storyhash on Spark: the stage kernels of :class:`storyhash.Stages`
driven over DataFrames, for archives past one machine. The result is the
single-process answer, exactly: every decision is a kernel's, the engine only
moves rows between them.

Stages (see the README's "Past one machine" for what each shuffle carries):

1. number documents by id (a global sort) and sign them (``mapInArrow``);
2. collapse identical texts (the smallest number per content hash);
3. band rows (``mapInArrow``);
4. range-partition rows by ``(band, key)``, sort them, and stream each
   partition through a :class:`storyhash.BucketPairer` (a giant bucket is
   never held whole: memory is the pairer's window); keep distinct pairs;
5. join each pair with both sketches and verify it (``mapInArrow``);
6. connected components by alternating large-star and small-star steps
   (Kiveris et al. 2014) in DataFrame operations with checkpoints, finished
   in the driver with the Rust union-find once the edges are few;
7. the copy groups of each component (``applyInArrow``);
8-14. the story tier the same way over the copy groups' representatives:
   features, document frequencies (by feature and by language), weights and
   key terms, postings grouped by ``(term, time bucket)``, pairs counted and
   scored, densities, components of the strong pairs, average linkage of
   each with its leftovers joined (``applyInArrow``).

Spark has no unsigned 64-bit type: band keys and terms (uniform 64-bit
hashes) travel as ``long`` with the top bit flipped, which keeps their
unsigned order under Spark's signed sort.
"""

from __future__ import annotations

from typing import Any, Dict, Optional

import pyarrow as pa
import pyarrow.compute as pc

from . import Config, InputError, Stages, components as _local_components

__all__ = ["cluster_dataframe"]

_FLIP = pa.scalar(1 << 63, pa.uint64())


def _to_spark_u64(a: pa.Array) -> pa.Array:
    """Unsigned 64-bit values as order-preserving signed ones."""
    return pc.bit_wise_xor(a.cast(pa.uint64()), _FLIP).view(pa.int64())


def _from_spark_u64(a: pa.Array) -> pa.Array:
    return pc.bit_wise_xor(a.cast(pa.int64()).view(pa.uint64()), _FLIP)


def _cut(df, checkpoint: bool):
    """Materialises a stage and cuts the lineage there, so that plans stay
    small however many stages come after: a reliable checkpoint, or a local
    one kept by the executors."""
    return df.checkpoint() if checkpoint else df.localCheckpoint()


def _components(spark, edges, local_threshold: int, checkpoint: bool, report: Dict[str, Any], what: str):
    """``(doc, component)`` of the graph ``edges(a, b)``: large-star and
    small-star rounds until the edges are few, then the Rust union-find in
    the driver."""
    from pyspark.sql import functions as F

    e = _cut(edges.select(F.col("a").alias("u"), F.col("b").alias("v")).where("u != v").distinct(), checkpoint)
    rounds = 0
    while e.count() > local_threshold and rounds < 64:
        rounds += 1
        # Large star: each node's larger neighbours attach to its smallest
        # neighbour (or itself).
        both = e.union(e.select(F.col("v").alias("u"), F.col("u").alias("v")))
        m = both.groupBy("u").agg(F.least(F.min("v"), F.col("u")).alias("m"))
        large = (
            both.join(m, "u")
            .where(F.col("v") > F.col("u"))
            .select(F.col("v").alias("u"), F.col("m").alias("v"))
            .where("u != v")
            .distinct()
        )
        # Small star: each node and its smaller neighbours attach to the
        # smallest of them.
        both = large.union(large.select(F.col("v").alias("u"), F.col("u").alias("v")))
        smaller = both.where(F.col("v") < F.col("u"))
        m = smaller.groupBy("u").agg(F.min("v").alias("m"))
        small = (
            smaller.join(m, "u")
            .select(F.col("v").alias("u"), F.col("m").alias("v"))
            .union(m.select("u", F.col("m").alias("v")))
            .where("u != v")
            .distinct()
        )
        previous = e
        e = _cut(small, checkpoint)
        if e.exceptAll(previous).count() == 0 and previous.exceptAll(e).count() == 0:
            break
    report[f"{what}_star_rounds"] = rounds
    pairs = e.collect()
    local = pa.record_batch(
        [pa.array([r["u"] for r in pairs], pa.int64()), pa.array([r["v"] for r in pairs], pa.int64())],
        names=["a", "b"],
    )
    found = _local_components(local)
    rows = list(zip(found.column("doc").to_pylist(), found.column("component").to_pylist()))
    return spark.createDataFrame(rows, "doc long, component long")


def cluster_dataframe(
    df,
    id_col: str = "id",
    text_col: str = "text",
    title_col: Optional[str] = None,
    date_col: Optional[str] = None,
    config: Optional[Config] = None,
    local_threshold: int = 1_000_000,
    checkpoint: bool = False,
    report: Optional[Dict[str, Any]] = None,
):
    """Copy groups and stories of every row of ``df``: a DataFrame
    ``(id, copy, story)``, ids as strings, exactly the single-process result.

    ``id_col`` names unique ids (strings or integers), ``text_col`` the
    texts, ``title_col`` and ``date_col`` optional columns. Connected
    components are finished in the driver once at most ``local_threshold``
    edges are left (``checkpoint``: checkpoint each star round, which needs
    ``spark.sparkContext.setCheckpointDir``). ``report``, when given, is
    filled with counts: rows per stage, the largest bucket and the largest
    component of each tier.
    """
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    spark = df.sparkSession
    stages = Stages(config)
    report = report if report is not None else {}
    cols = [F.col(id_col).cast("string").alias("id"), F.col(text_col).cast("string").alias("text")]
    cols.append((F.col(title_col).cast("string") if title_col else F.lit(None).cast("string")).alias("title"))
    cols.append((F.col(date_col).cast("string") if date_col else F.lit(None).cast("string")).alias("date"))
    articles = df.select(*cols)
    dup = articles.groupBy("id").count().where("count > 1").limit(1).collect()
    if dup:
        raise InputError(f"duplicate article id {dup[0]['id']!r}")

    # 1. Numbers in id order (a global sort, then increasing ids), then sketches.
    numbered = _cut(articles.orderBy("id").withColumn("doc", F.monotonically_increasing_id()), checkpoint)
    sign_schema = "doc long, sketch binary, content binary, day int, shingles long"

    def sign(batches):
        for b in batches:
            out = stages.sign(b, doc="doc", text="text", date="date")
            yield pa.record_batch(
                [out.column("doc").cast(pa.int64()), out.column("sketch"),
                 out.column("content").cast(pa.binary()), out.column("day"),
                 out.column("shingles").cast(pa.int64())],
                names=["doc", "sketch", "content", "day", "shingles"],
            )

    signed = _cut(numbered.select("doc", "text", "date").mapInArrow(sign, sign_schema), checkpoint)
    report["documents"] = signed.count()

    # 2. Identical texts: the smallest number per content hash stands for all.
    firsts = signed.where("shingles > 0").groupBy("content").agg(F.min("doc").alias("first"))
    placed = _cut(
        signed.join(firsts, "content", "left")
        .withColumn("first", F.when(F.col("shingles") > 0, F.col("first")).otherwise(F.col("doc"))),
        checkpoint,
    )
    kept = placed.where("doc = first and shingles > 0").select("doc", "sketch")

    # 3. Band rows.
    def band_rows(batches):
        for b in batches:
            r = stages.band_rows(b)
            yield pa.record_batch(
                [r.column("band").cast(pa.int64()), _to_spark_u64(r.column("key")),
                 r.column("next").cast(pa.int64()), r.column("doc").cast(pa.int64())],
                names=["band", "key", "next", "doc"],
            )

    rows = kept.mapInArrow(band_rows, "band long, key long, next long, doc long")

    # 4. Buckets paired in a streaming pass over sorted range partitions.
    def pair(batches):
        pairer = stages.bucket_pairer()
        for b in batches:
            native = pa.record_batch(
                [b.column("band").cast(pa.uint32()), _from_spark_u64(b.column("key")),
                 b.column("next").cast(pa.uint32()), b.column("doc").cast(pa.uint64())],
                names=["band", "key", "next", "doc"],
            )
            p = pairer.push(native)
            yield pa.record_batch([p.column("a").cast(pa.int64()), p.column("b").cast(pa.int64())], names=["a", "b"])
        pairer.finish()

    parts = int(spark.conf.get("spark.sql.shuffle.partitions"))
    sorted_rows = rows.repartitionByRange(parts, "band", "key").sortWithinPartitions("band", "key", "next", "doc")
    pairs = _cut(sorted_rows.mapInArrow(pair, "a long, b long").distinct(), checkpoint)
    report["candidate_pairs"] = pairs.count()
    report["largest_bucket"] = (rows.groupBy("band", "key").count().agg(F.max("count")).collect()[0][0]) or 0

    # 5. Verified pairs.
    sk = kept.select(F.col("doc").alias("d"), F.col("sketch"))
    joined = (
        pairs.join(sk.withColumnRenamed("sketch", "sketch_a"), F.col("a") == F.col("d")).drop("d")
        .join(sk.withColumnRenamed("sketch", "sketch_b"), F.col("b") == F.col("d")).drop("d")
    )

    def verify(batches):
        for b in batches:
            v = stages.verify(b)
            yield pa.record_batch([v.column("a").cast(pa.int64()), v.column("b").cast(pa.int64())], names=["a", "b"])

    edges = _cut(joined.mapInArrow(verify, "a long, b long"), checkpoint)
    report["verified_pairs"] = edges.count()

    # 6. Components; 7. copy groups of each.
    comp = _components(spark, edges, local_threshold, checkpoint, report, "copy")
    report["largest_copy_component"] = comp.groupBy("component").count().agg(F.max("count")).collect()[0][0] or 0
    members = comp.join(kept, "doc").select("component", "doc", "sketch", F.lit(None).cast("long").alias("a"), F.lit(None).cast("long").alias("b"))
    comp_edges = edges.join(comp.withColumnRenamed("doc", "a"), "a").select(
        "component", F.lit(None).cast("long").alias("doc"), F.lit(None).cast("binary").alias("sketch"), "a", "b"
    )

    def copy_groups(table: pa.Table) -> pa.Table:
        is_member = pc.is_valid(table.column("doc"))
        m = table.filter(is_member)
        e = table.filter(pc.invert(is_member))
        out = stages.copy_groups(
            pa.record_batch([m.column("doc").combine_chunks().cast(pa.uint64()), m.column("sketch").combine_chunks()], names=["doc", "sketch"]),
            pa.record_batch([e.column("a").combine_chunks().cast(pa.uint64()), e.column("b").combine_chunks().cast(pa.uint64())], names=["a", "b"]),
        )
        return pa.table({"doc": out.column("doc").cast(pa.int64()), "rep": out.column("representative").cast(pa.int64())})

    reps = _cut(members.unionByName(comp_edges).groupBy("component").applyInArrow(copy_groups, "doc long, rep long"), checkpoint)
    # Every document's representative: its text's first, and that one's group.
    first_rep = _cut(
        placed.select("doc", "first")
        .join(reps.withColumnRenamed("doc", "first"), "first", "left")
        .select("doc", F.coalesce("rep", "first").alias("rep")),
        checkpoint,
    )

    # 8-14. Stories over the representatives.
    story_of = first_rep.select(F.col("rep").alias("doc")).distinct().withColumn("story", F.col("doc"))
    if stages.stories_enabled():
        story_of = _stories(spark, stages, numbered, first_rep, signed, local_threshold, checkpoint, report)

    # Names: the smallest id among each group's and each story's members.
    ids = numbered.select("doc", "id")
    docs = first_rep.join(ids, "doc").join(story_of.withColumnRenamed("doc", "rep"), "rep")
    copy_name = docs.groupBy("rep").agg(F.min("id").alias("copy"))
    story_name = docs.groupBy("story").agg(F.min("id").alias("story_id"))
    return (
        docs.join(copy_name, "rep")
        .join(story_name, "story")
        .select("id", "copy", F.col("story_id").alias("story"))
    )


def _stories(spark, stages, numbered, first_rep, signed, local_threshold, checkpoint, report):
    from pyspark.sql import functions as F

    reps = first_rep.select(F.col("rep").alias("doc")).distinct()
    docs = reps.join(numbered.select("doc", "title", "text"), "doc").join(signed.select("doc", "day"), "doc")

    # 8. Features.
    def features(batches):
        for b in batches:
            f = stages.story_features(b, text="text", title="title")
            yield pa.record_batch(
                [f.column("doc").cast(pa.int64()), f.column("language").cast(pa.int32()),
                 _list_to_spark(f.column("keys")),
                 f.column("weights"), f.column("numbers")],
                names=["doc", "language", "keys", "weights", "numbers"],
            )

    feats = docs.select("doc", "title", "text").mapInArrow(
        features, "doc long, language int, keys array<long>, weights array<float>, numbers binary"
    ).join(docs.select("doc", "day"), "doc")
    feats = _cut(feats, checkpoint)
    n = feats.count()
    report["story_documents"] = n
    # 9. Document frequencies, by feature and by (language, feature).
    exploded = feats.select("doc", "language", F.posexplode("keys").alias("pos", "key"))
    df_all = exploded.groupBy("key").agg(F.count("*").alias("df"))
    df_lang = exploded.where(F.col("language") < 26).groupBy("language", "key").agg(F.count("*").alias("dfl"))
    by_language = {int(r["language"]): int(r["count"]) for r in feats.groupBy("language").count().collect()}
    with_df = (
        exploded.join(df_all, "key").join(df_lang, ["language", "key"], "left")
        .withColumn("dfl", F.coalesce("dfl", F.lit(0)))
        .groupBy("doc")
        .agg(F.array_sort(F.collect_list(F.struct("pos", "df", "dfl"))).alias("f"))
        .select("doc", F.col("f.df").alias("df"), F.col("f.dfl").alias("df_language"))
    )
    to_weigh = feats.select("doc", "language", "keys", "weights").join(with_df, "doc", "left")

    # 10. Weights and key terms.
    def weigh(batches):
        for b in batches:
            native = pa.record_batch(
                [b.column("doc").cast(pa.uint64()), b.column("language").cast(pa.uint8()),
                 _list_from_spark(b.column("keys")), b.column("weights"),
                 _fill_lists(b.column("df_language"), b.column("keys")), _fill_lists(b.column("df"), b.column("keys"))],
                names=["doc", "language", "keys", "weights", "df_language", "df"],
            )
            w = stages.weigh(native, by_language, n)
            yield pa.record_batch(
                [w.column("doc").cast(pa.int64()), _list_to_spark(w.column("keys")), w.column("weights"), _list_to_spark(w.column("terms"))],
                names=["doc", "vkeys", "vweights", "terms"],
            )

    vectors = _cut(
        to_weigh.mapInArrow(weigh, "doc long, vkeys array<long>, vweights array<float>, terms array<long>").join(
            feats.select("doc", "day", "numbers"), "doc"
        ),
        checkpoint,
    )

    # 11. Postings grouped by key; the pairs of keys not too common.
    def postings(batches):
        for b in batches:
            native = pa.record_batch([b.column("doc").cast(pa.uint64()), _list_from_spark(b.column("terms")), b.column("day")], names=["doc", "terms", "day"])
            p = stages.postings(native)
            yield pa.record_batch(
                [_to_spark_u64(p.column("term")), p.column("bucket"), p.column("doc").cast(pa.int64()), p.column("home")],
                names=["term", "bucket", "doc", "home"],
            )

    post = vectors.select("doc", "terms", "day").mapInArrow(postings, "term long, bucket int, doc long, home boolean")
    cap = int(__import__("json").loads(stages.config)["stories"]["max_posting"])
    sizes = post.groupBy("term", "bucket").count().where(F.col("count").between(2, cap))
    small = post.join(sizes.drop("count"), ["term", "bucket"])

    def key_pairs(table: pa.Table) -> pa.Table:
        native = pa.record_batch(
            [_from_spark_u64(table.column("term").combine_chunks()), table.column("bucket").combine_chunks(),
             table.column("doc").combine_chunks().cast(pa.uint64()), table.column("home").combine_chunks()],
            names=["term", "bucket", "doc", "home"],
        )
        p = stages.key_pairs(native)
        return pa.table({"a": p.column("a").cast(pa.int64()), "b": p.column("b").cast(pa.int64())})

    met = small.groupBy("term", "bucket").applyInArrow(key_pairs, "a long, b long")
    # 12. Pairs meeting under enough keys, scored, rescaled by density.
    cands = met.groupBy("a", "b").count().where(F.col("count") >= stages.min_shared_terms()).select("a", "b")
    v = vectors.select("doc", "vkeys", "vweights", "day", "numbers")
    side = lambda s: v.select(  # noqa: E731
        F.col("doc").alias(s), F.col("vkeys").alias(f"keys_{s}"), F.col("vweights").alias(f"weights_{s}"),
        F.col("day").alias(f"day_{s}"), F.col("numbers").alias(f"numbers_{s}"))
    scored_in = cands.join(side("a"), "a").join(side("b"), "b")

    def similarity(batches):
        for b in batches:
            cols = {n: b.column(n) for n in b.schema.names}
            native = pa.record_batch(
                [cols["a"].cast(pa.uint64()), cols["b"].cast(pa.uint64()),
                 _list_from_spark(cols["keys_a"]), cols["weights_a"], cols["day_a"], cols["numbers_a"],
                 _list_from_spark(cols["keys_b"]), cols["weights_b"], cols["day_b"], cols["numbers_b"]],
                names=["a", "b", "keys_a", "weights_a", "day_a", "numbers_a", "keys_b", "weights_b", "day_b", "numbers_b"],
            )
            s = stages.similarity(native)
            yield pa.record_batch([s.column("a").cast(pa.int64()), s.column("b").cast(pa.int64()), s.column("similarity")], names=["a", "b", "similarity"])

    scored = _cut(scored_in.mapInArrow(similarity, "a long, b long, similarity double"), checkpoint)
    ends = scored.select(F.col("a").alias("doc"), "similarity").union(scored.select(F.col("b").alias("doc"), "similarity"))

    def density(batches):
        for b in batches:
            d = stages.density(pa.record_batch([b.column("doc").cast(pa.uint64()), b.column("similarities")], names=["doc", "similarities"]))
            yield pa.record_batch([d.column("doc").cast(pa.int64()), d.column("density")], names=["doc", "density"])

    dens = ends.groupBy("doc").agg(F.collect_list("similarity").alias("similarities")).mapInArrow(density, "doc long, density double")
    to_scale = scored.join(dens.withColumnRenamed("doc", "a").withColumnRenamed("density", "density_a"), "a").join(
        dens.withColumnRenamed("doc", "b").withColumnRenamed("density", "density_b"), "b")

    def scale(batches):
        for b in batches:
            s = stages.locally_scaled(b)
            yield pa.record_batch([s.column("a").cast(pa.int64()), s.column("b").cast(pa.int64()), s.column("similarity")], names=["a", "b", "similarity"])

    sims = _cut(
        to_scale.select("a", "b", "similarity", "density_a", "density_b").mapInArrow(scale, "a long, b long, similarity double"),
        checkpoint,
    )
    report["story_pairs"] = sims.count()
    # 13. Components of the strong pairs; 14. average linkage of each (leftovers joined).
    strong = sims.where(F.col("similarity") >= stages.story_threshold()).select("a", "b")
    comp = _components(spark, strong, local_threshold, checkpoint, report, "story")
    report["largest_story_component"] = comp.groupBy("component").count().agg(F.max("count")).collect()[0][0] or 0
    inside = (
        sims.join(comp.withColumnRenamed("doc", "a").withColumnRenamed("component", "ca"), "a")
        .join(comp.withColumnRenamed("doc", "b").withColumnRenamed("component", "cb"), "b")
        .where("ca = cb")
        .select(F.col("ca").alias("component"), F.lit(None).cast("long").alias("doc"), "a", "b", "similarity")
    )
    members = comp.select("component", "doc", F.lit(None).cast("long").alias("a"), F.lit(None).cast("long").alias("b"), F.lit(None).cast("double").alias("similarity"))

    def link(table: pa.Table) -> pa.Table:
        is_member = pc.is_valid(table.column("doc"))
        m = table.filter(is_member)
        s = table.filter(pc.invert(is_member))
        out = stages.stories(
            pa.record_batch([m.column("doc").combine_chunks().cast(pa.uint64())], names=["doc"]),
            pa.record_batch([s.column("a").combine_chunks().cast(pa.uint64()), s.column("b").combine_chunks().cast(pa.uint64()), s.column("similarity").combine_chunks()], names=["a", "b", "similarity"]),
        )
        return pa.table({"doc": out.column("doc").cast(pa.int64()), "story": out.column("story").cast(pa.int64())})

    linked = _cut(members.unionByName(inside).groupBy("component").applyInArrow(link, "doc long, story long"), checkpoint)
    return reps.join(linked, "doc", "left").select("doc", F.coalesce("story", "doc").alias("story"))


def _list_to_spark(a: pa.Array) -> pa.Array:
    """A list of u64 hashes as a list of order-preserving longs."""
    a = a.combine_chunks() if isinstance(a, pa.ChunkedArray) else a
    return pa.ListArray.from_arrays(a.offsets, _to_spark_u64(a.values))


def _list_from_spark(a: pa.Array) -> pa.Array:
    a = a.combine_chunks() if isinstance(a, pa.ChunkedArray) else a
    return pa.ListArray.from_arrays(a.offsets, _from_spark_u64(a.values))


def _fill_lists(lists: pa.Array, like: pa.Array) -> pa.Array:
    """Null lists (documents without features) as empty lists of counts."""
    out = [x if x is not None else [] for x in lists.to_pylist()]
    return pa.array(out, pa.list_(pa.uint32()))
