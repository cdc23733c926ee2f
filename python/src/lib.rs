//! `storyhash._native`: the Python module. Arrow in and out through the
//! Arrow C data interface; every decision is the library's (this crate only
//! moves columns); the GIL is released while a kernel runs.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BinaryArray, BinaryBuilder, BooleanArray, FixedSizeBinaryArray,
    FixedSizeBinaryBuilder, Float32Array, Float64Array, Int32Array, ListArray, ListBuilder,
    StringArray, UInt32Array, UInt64Array, UInt64Builder, UInt8Array,
};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Field, Schema};
use arrow::ffi_stream::RecordBatchStreamReader;
use arrow::pyarrow::PyArrowType;
use arrow::record_batch::RecordBatch;
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use storyhash::stages::{self, BandRow, Doc, Posting, Stages as Kernels};
use storyhash::{Clusterer, Config, Day, Error, Record, Sketch};

create_exception!(
    _native,
    StoryhashError,
    PyException,
    "An error of storyhash."
);
create_exception!(
    _native,
    ConfigError,
    StoryhashError,
    "An invalid configuration value."
);
create_exception!(
    _native,
    InputError,
    StoryhashError,
    "Input storyhash cannot use: a column, an id, a row."
);

/// A library error as the Python exception of its kind, message kept.
fn py_err(e: Error) -> PyErr {
    match e {
        Error::InvalidConfig { .. } => ConfigError::new_err(e.to_string()),
        _ => InputError::new_err(e.to_string()),
    }
}

fn input_err(msg: impl Into<String>) -> PyErr {
    InputError::new_err(msg.into())
}

fn parse_config(json: Option<&str>) -> PyResult<Config> {
    let config: Config = match json {
        None => Config::default(),
        Some(j) => serde_json::from_str(j)
            .map_err(|e| ConfigError::new_err(format!("configuration: {e}")))?,
    };
    config.validate().map_err(py_err)?;
    Ok(config)
}

/// The default configuration, as JSON.
#[pyfunction]
fn default_config() -> String {
    serde_json::to_string(&Config::default()).expect("a Config always serialises")
}

/// Checks a configuration (JSON); raises `ConfigError` naming the bad field.
#[pyfunction]
fn validate_config(config: &str) -> PyResult<()> {
    parse_config(Some(config)).map(|_| ())
}

// ---- columns -------------------------------------------------------------

fn column<'b>(batch: &'b RecordBatch, name: &str) -> PyResult<&'b ArrayRef> {
    batch
        .column_by_name(name)
        .ok_or_else(|| input_err(format!("no column {name:?} (columns: {:?})", names(batch))))
}

fn names(batch: &RecordBatch) -> Vec<String> {
    batch
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect()
}

/// A column as UTF-8 strings (ids may be integers: their decimal digits).
fn strings(batch: &RecordBatch, name: &str) -> PyResult<StringArray> {
    let c = column(batch, name)?;
    let utf8 = cast(c, &DataType::Utf8)
        .map_err(|e| input_err(format!("column {name:?} is not text: {e}")))?;
    Ok(utf8.as_string::<i32>().clone())
}

/// A column of document ids as u64.
fn docs(batch: &RecordBatch, name: &str) -> PyResult<UInt64Array> {
    let c = column(batch, name)?;
    let u = cast(c, &DataType::UInt64)
        .map_err(|e| input_err(format!("column {name:?} is not document numbers: {e}")))?;
    let u = u.as_primitive::<arrow::datatypes::UInt64Type>().clone();
    if u.null_count() > 0 {
        return Err(input_err(format!("column {name:?} has nulls")));
    }
    Ok(u)
}

fn binary(batch: &RecordBatch, name: &str) -> PyResult<BinaryArray> {
    let c = column(batch, name)?;
    let b = cast(c, &DataType::Binary)
        .map_err(|e| input_err(format!("column {name:?} is not binary: {e}")))?;
    Ok(b.as_binary::<i32>().clone())
}

/// A date column as strings: text as given, a date or timestamp as its ISO day.
fn dates(batch: &RecordBatch, name: Option<&str>) -> PyResult<Option<StringArray>> {
    let Some(name) = name else { return Ok(None) };
    let c = column(batch, name)?;
    let as_text = match c.data_type() {
        DataType::Timestamp(..) => cast(
            &cast(c, &DataType::Date32).map_err(|e| input_err(e.to_string()))?,
            &DataType::Utf8,
        ),
        _ => cast(c, &DataType::Utf8),
    }
    .map_err(|e| input_err(format!("column {name:?} is not a date: {e}")))?;
    Ok(Some(as_text.as_string::<i32>().clone()))
}

fn list_u64(batch: &RecordBatch, name: &str) -> PyResult<ListArray> {
    let c = column(batch, name)?;
    let l = cast(
        c,
        &DataType::List(Arc::new(Field::new("item", DataType::UInt64, true))),
    )
    .map_err(|e| input_err(format!("column {name:?} is not a list of u64: {e}")))?;
    Ok(l.as_list::<i32>().clone())
}

fn list_f(batch: &RecordBatch, name: &str, ty: DataType) -> PyResult<ListArray> {
    let c = column(batch, name)?;
    let l = cast(c, &DataType::List(Arc::new(Field::new("item", ty, true))))
        .map_err(|e| input_err(format!("column {name:?} is not a list of numbers: {e}")))?;
    Ok(l.as_list::<i32>().clone())
}

fn u64s(list: &ListArray, i: usize) -> Vec<u64> {
    let v = list.value(i);
    v.as_primitive::<arrow::datatypes::UInt64Type>()
        .values()
        .to_vec()
}

/// A named column of `values`, as an Arrow array of type `A`.
fn new_column<A, T>(
    name: &'static str,
    values: impl IntoIterator<Item = T>,
) -> (&'static str, ArrayRef)
where
    A: From<Vec<T>> + Array + 'static,
{
    (
        name,
        Arc::new(A::from(values.into_iter().collect::<Vec<T>>())),
    )
}

fn batch_of(columns: Vec<(&str, ArrayRef)>) -> PyResult<PyArrowType<RecordBatch>> {
    let schema = Schema::new(
        columns
            .iter()
            .map(|(n, a)| Field::new(*n, a.data_type().clone(), a.null_count() > 0))
            .collect::<Vec<_>>(),
    );
    let arrays = columns.into_iter().map(|(_, a)| a).collect();
    RecordBatch::try_new(Arc::new(schema), arrays)
        .map(PyArrowType)
        .map_err(|e| input_err(e.to_string()))
}

fn vectors_column(vectors: &[Vec<(u64, f32)>]) -> (ArrayRef, ArrayRef) {
    let mut keys = ListBuilder::new(UInt64Builder::new());
    let mut weights = ListBuilder::new(arrow::array::Float32Builder::new());
    for v in vectors {
        keys.values()
            .append_slice(&v.iter().map(|e| e.0).collect::<Vec<_>>());
        keys.append(true);
        weights
            .values()
            .append_slice(&v.iter().map(|e| e.1).collect::<Vec<_>>());
        weights.append(true);
    }
    (Arc::new(keys.finish()), Arc::new(weights.finish()))
}

fn vector_of(keys: &ListArray, weights: &ListArray, i: usize) -> Vec<(u64, f32)> {
    let k = u64s(keys, i);
    let w = weights.value(i);
    let w = w.as_primitive::<arrow::datatypes::Float32Type>();
    k.into_iter().zip(w.values().iter().copied()).collect()
}

// ---- the whole pipeline ------------------------------------------------------

/// One row of an Arrow table as the batch reads it, texts borrowed.
struct Row<'a> {
    id: Cow<'a, str>,
    text: &'a str,
    title: Option<&'a str>,
    date: Option<&'a str>,
}

impl Record for Row<'_> {
    fn id(&self) -> &str {
        &self.id
    }
    fn text(&self) -> &str {
        self.text
    }
    fn title(&self) -> Option<&str> {
        self.title
    }
    fn date(&self) -> Option<&str> {
        self.date
    }
}

/// Clusters every row of an Arrow table (or stream); see `storyhash.cluster`.
#[pyfunction]
#[pyo3(signature = (data, id, text, title=None, date=None, config=None))]
fn cluster(
    py: Python<'_>,
    data: PyArrowType<RecordBatchStreamReader>,
    id: &str,
    text: &str,
    title: Option<&str>,
    date: Option<&str>,
    config: Option<&str>,
) -> PyResult<PyArrowType<RecordBatch>> {
    let clusterer = Clusterer::new(parse_config(config)?).map_err(py_err)?;
    let batches: Vec<RecordBatch> = data
        .0
        .collect::<Result<_, _>>()
        .map_err(|e| input_err(e.to_string()))?;
    type Columns = (
        StringArray,
        StringArray,
        Option<StringArray>,
        Option<StringArray>,
    );
    let mut columns: Vec<Columns> = Vec::with_capacity(batches.len());
    for b in &batches {
        let ids = strings(b, id)?;
        let texts = strings(b, text)?;
        if ids.null_count() > 0 {
            return Err(input_err(format!("column {id:?} has nulls")));
        }
        let titles = title.map(|t| strings(b, t)).transpose()?;
        columns.push((ids, texts, titles, dates(b, date)?));
    }
    let rows: Vec<Row<'_>> = columns
        .iter()
        .flat_map(|(ids, texts, titles, days)| {
            (0..ids.len()).map(move |i| Row {
                id: Cow::Borrowed(ids.value(i)),
                text: if texts.is_null(i) { "" } else { texts.value(i) },
                title: titles
                    .as_ref()
                    .filter(|t| !t.is_null(i))
                    .map(|t| t.value(i)),
                date: days.as_ref().filter(|d| !d.is_null(i)).map(|d| d.value(i)),
            })
        })
        .collect();
    let result = py.detach(|| clusterer.cluster(&rows)).map_err(py_err)?;
    let n = rows.len();
    let mut ids = Vec::with_capacity(n);
    let (mut copy, mut story, mut basis) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let (mut copy_sim, mut story_sim) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for (i, r) in rows.iter().enumerate() {
        let g = result.copy_group_of(i);
        let m = result.member(i);
        ids.push(r.id.as_ref());
        copy.push(g.id());
        story.push(result.story_of(i).id());
        basis.push(m.basis.label());
        copy_sim.push(m.similarity);
        story_sim.push(g.story_similarity());
    }
    batch_of(vec![
        ("id", Arc::new(StringArray::from(ids))),
        ("copy", Arc::new(StringArray::from(copy))),
        ("story", Arc::new(StringArray::from(story))),
        ("basis", Arc::new(StringArray::from(basis))),
        ("copy_similarity", Arc::new(Float32Array::from(copy_sim))),
        ("story_similarity", Arc::new(Float32Array::from(story_sim))),
    ])
}

// ---- the stage kernels -----------------------------------------------------------

/// The stage kernels of one configuration (see `storyhash.Stages`).
#[pyclass(module = "storyhash._native", frozen)]
struct Stages {
    kernels: Kernels,
    json: String,
}

#[pymethods]
impl Stages {
    #[new]
    #[pyo3(signature = (config=None))]
    fn new(config: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        // A `storyhash.Config`, its JSON, or nothing for the defaults.
        let json: Option<String> = match config {
            None => None,
            Some(c) if c.is_none() => None,
            Some(c) => Some(match c.extract::<String>() {
                Ok(s) => s,
                Err(_) => c.call_method0("to_json")?.extract::<String>()?,
            }),
        };
        let config = parse_config(json.as_deref())?;
        Ok(Stages {
            kernels: Kernels::new(&config).map_err(py_err)?,
            json: serde_json::to_string(&config).expect("a Config always serialises"),
        })
    }

    /// The configuration, as JSON.
    #[getter]
    fn config(&self) -> &str {
        &self.json
    }

    /// Pickling: executors rebuild the kernels from the configuration.
    fn __reduce__(slf: &Bound<'_, Self>) -> PyResult<(Py<PyAny>, (String,))> {
        let cls = slf.get_type().into_any().unbind();
        Ok((cls, (slf.get().json.clone(),)))
    }

    /// Stage 1: `{doc, text[, date]}` to `{doc, sketch, content, day, shingles}`.
    #[pyo3(signature = (batch, doc="doc", text="text", date=None))]
    fn sign(
        &self,
        py: Python<'_>,
        batch: PyArrowType<RecordBatch>,
        doc: &str,
        text: &str,
        date: Option<&str>,
    ) -> PyResult<PyArrowType<RecordBatch>> {
        let b = batch.0;
        let (ids, texts, days) = (docs(&b, doc)?, strings(&b, text)?, dates(&b, date)?);
        let rows: Vec<Doc<'_>> = (0..ids.len())
            .map(|i| Doc {
                doc: ids.value(i),
                text: if texts.is_null(i) { "" } else { texts.value(i) },
                date: days.as_ref().filter(|d| !d.is_null(i)).map(|d| d.value(i)),
            })
            .collect();
        let signed = py.detach(|| self.kernels.sign(&rows)).map_err(py_err)?;
        let mut sketch = BinaryBuilder::new();
        let mut content = FixedSizeBinaryBuilder::new(16);
        for i in 0..signed.len() {
            sketch.append_value(signed.sketches.get(i).to_bytes());
            content
                .append_value(signed.content[i].to_le_bytes())
                .expect("16 bytes");
        }
        batch_of(vec![
            ("doc", Arc::new(UInt64Array::from(signed.docs.clone()))),
            ("sketch", Arc::new(sketch.finish())),
            ("content", Arc::new(content.finish())),
            new_column::<Int32Array, _>("day", signed.days.iter().map(|d| d.map(Day::days))),
            (
                "shingles",
                Arc::new(UInt32Array::from(signed.sketches.shingle_counts().to_vec())),
            ),
        ])
    }

    /// Stage 2: `{doc, content, shingles}` of one content hash (or more) to
    /// `{doc, first}`: the document each one's text repeats.
    fn first_of_each_text(
        &self,
        batch: PyArrowType<RecordBatch>,
    ) -> PyResult<PyArrowType<RecordBatch>> {
        let b = batch.0;
        let ids = docs(&b, "doc")?;
        let content = column(&b, "content")?;
        let content: &FixedSizeBinaryArray = content
            .as_fixed_size_binary_opt()
            .ok_or_else(|| input_err("column \"content\" is not 16-byte binary"))?;
        let shingles = cast(column(&b, "shingles")?, &DataType::UInt32)
            .map_err(|e| input_err(e.to_string()))?;
        let shingles = shingles.as_primitive::<arrow::datatypes::UInt32Type>();
        let hashes: Vec<u128> = (0..content.len())
            .map(|i| u128::from_le_bytes(content.value(i).try_into().unwrap_or([0; 16])))
            .collect();
        let out = stages::first_of_each_text(ids.values(), &hashes, shingles.values());
        batch_of(vec![
            new_column::<UInt64Array, _>("doc", out.iter().map(|e| e.0)),
            new_column::<UInt64Array, _>("first", out.iter().map(|e| e.1)),
        ])
    }

    /// Stage 3: `{doc, sketch}` to band rows `{band, key, next, doc}`.
    fn band_rows(&self, batch: PyArrowType<RecordBatch>) -> PyResult<PyArrowType<RecordBatch>> {
        let b = batch.0;
        let (ids, sketches) = (docs(&b, "doc")?, read_sketches(&b, "sketch")?);
        let mut store = storyhash::sketch::Sketches::new(self.kernels.config().sketch.num_perm);
        for s in &sketches {
            if s.slots.len() != store.num_perm() {
                return Err(input_err("a sketch of another signature length"));
            }
            store.push(s.as_ref());
        }
        let mut rows = Vec::new();
        self.kernels.band_rows(ids.values(), &store, &mut rows);
        rows_batch(&rows)
    }

    /// Stage 4: a pairer for band rows sorted by `(band, key, next, doc)`.
    fn bucket_pairer(&self) -> BucketPairer {
        BucketPairer {
            inner: std::sync::Mutex::new(Some(self.kernels.bucket_pairer())),
        }
    }

    /// Stage 5: `{a, b, sketch_a, sketch_b}` to the pairs that are copies, `{a, b, score}`.
    fn verify(
        &self,
        py: Python<'_>,
        batch: PyArrowType<RecordBatch>,
    ) -> PyResult<PyArrowType<RecordBatch>> {
        let b = batch.0;
        let (a_ids, b_ids) = (docs(&b, "a")?, docs(&b, "b")?);
        let (sa, sb) = (
            read_sketches(&b, "sketch_a")?,
            read_sketches(&b, "sketch_b")?,
        );
        let kept: Vec<(u64, u64, f32)> = py.detach(|| {
            (0..a_ids.len())
                .filter_map(|i| {
                    let v = self.kernels.verify(sa[i].as_ref(), sb[i].as_ref());
                    v.score.map(|s| (a_ids.value(i), b_ids.value(i), s))
                })
                .collect()
        });
        batch_of(vec![
            new_column::<UInt64Array, _>("a", kept.iter().map(|e| e.0)),
            new_column::<UInt64Array, _>("b", kept.iter().map(|e| e.1)),
            new_column::<Float32Array, _>("score", kept.iter().map(|e| e.2)),
        ])
    }

    /// Stage 7: the copy groups of one component: members `{doc, sketch}`
    /// and its verified pairs `{a, b}` to `{doc, representative, score}`.
    fn copy_groups(
        &self,
        py: Python<'_>,
        members: PyArrowType<RecordBatch>,
        edges: PyArrowType<RecordBatch>,
    ) -> PyResult<PyArrowType<RecordBatch>> {
        let (m, e) = (members.0, edges.0);
        let ids = docs(&m, "doc")?;
        let mut store = storyhash::sketch::Sketches::new(self.kernels.config().sketch.num_perm);
        for s in read_sketches(&m, "sketch")? {
            store.push(s.as_ref());
        }
        let (a, b) = (docs(&e, "a")?, docs(&e, "b")?);
        let pairs: Vec<(u64, u64)> = a
            .values()
            .iter()
            .copied()
            .zip(b.values().iter().copied())
            .collect();
        let out = py
            .detach(|| self.kernels.copy_groups(ids.values(), &store, &pairs))
            .map_err(py_err)?;
        batch_of(vec![
            new_column::<UInt64Array, _>("doc", out.iter().map(|e| e.0)),
            new_column::<UInt64Array, _>("representative", out.iter().map(|e| e.1)),
            new_column::<Float32Array, _>("score", out.iter().map(|e| e.2)),
        ])
    }

    /// Stage 8: `{doc, text[, title]}` to `{doc, language, keys, weights, numbers}`.
    #[pyo3(signature = (batch, text="text", title=None))]
    fn story_features(
        &self,
        py: Python<'_>,
        batch: PyArrowType<RecordBatch>,
        text: &str,
        title: Option<&str>,
    ) -> PyResult<PyArrowType<RecordBatch>> {
        let b = batch.0;
        let (ids, texts) = (docs(&b, "doc")?, strings(&b, text)?);
        let titles = title.map(|t| strings(&b, t)).transpose()?;
        let features: Vec<stages::StoryFeatures> = py.detach(|| {
            (0..ids.len())
                .map(|i| {
                    let title = titles
                        .as_ref()
                        .filter(|t| !t.is_null(i))
                        .map(|t| t.value(i));
                    let text = if texts.is_null(i) { "" } else { texts.value(i) };
                    self.kernels.features(title, text)
                })
                .collect()
        });
        let bags: Vec<Vec<(u64, f32)>> = features.iter().map(|f| f.bag.clone()).collect();
        let (keys, weights) = vectors_column(&bags);
        let mut numbers = BinaryBuilder::new();
        for f in &features {
            numbers.append_value(f.numbers.to_bytes());
        }
        batch_of(vec![
            ("doc", Arc::new(ids.clone())),
            new_column::<UInt8Array, _>("language", features.iter().map(|f| f.language)),
            ("keys", keys),
            ("weights", weights),
            ("numbers", Arc::new(numbers.finish())),
        ])
    }

    /// Stage 10: `{doc, language, keys, weights, df_language, df}` (the
    /// document frequencies of each key, in its language and overall), the
    /// documents per language and in all, to `{doc, keys, weights, terms}`:
    /// the unit vector and its key terms.
    fn weigh(
        &self,
        batch: PyArrowType<RecordBatch>,
        documents_by_language: HashMap<u8, u64>,
        documents: u64,
    ) -> PyResult<PyArrowType<RecordBatch>> {
        let b = batch.0;
        let ids = docs(&b, "doc")?;
        let lang = cast(column(&b, "language")?, &DataType::UInt8)
            .map_err(|e| input_err(e.to_string()))?;
        let lang = lang.as_primitive::<arrow::datatypes::UInt8Type>();
        let (keys, weights) = (
            list_u64(&b, "keys")?,
            list_f(&b, "weights", DataType::Float32)?,
        );
        let (dfl, df) = (
            list_f(&b, "df_language", DataType::UInt32)?,
            list_f(&b, "df", DataType::UInt32)?,
        );
        let mut vectors = Vec::with_capacity(ids.len());
        let mut terms = ListBuilder::new(UInt64Builder::new());
        for i in 0..ids.len() {
            let bag = vector_of(&keys, &weights, i);
            let (l, d) = (dfl.value(i), df.value(i));
            let (l, d) = (
                l.as_primitive::<arrow::datatypes::UInt32Type>(),
                d.as_primitive::<arrow::datatypes::UInt32Type>(),
            );
            if l.len() != bag.len() || d.len() != bag.len() {
                return Err(input_err(format!(
                    "document {}: frequencies do not match its keys",
                    ids.value(i)
                )));
            }
            let at: HashMap<u64, usize> = bag.iter().enumerate().map(|(j, e)| (e.0, j)).collect();
            let language = lang.value(i);
            let n_language = documents_by_language.get(&language).copied().unwrap_or(0);
            let v = self.kernels.weigh(
                &bag,
                |k| l.value(at[&k]),
                n_language,
                |k| d.value(at[&k]),
                documents,
            );
            terms.values().append_slice(&self.kernels.key_terms(&v));
            terms.append(true);
            vectors.push(v);
        }
        let (vk, vw) = vectors_column(&vectors);
        batch_of(vec![
            ("doc", Arc::new(ids.clone())),
            ("keys", vk),
            ("weights", vw),
            ("terms", Arc::new(terms.finish())),
        ])
    }

    /// Stage 11: `{doc, terms, day}` to postings `{term, bucket, doc, home}`.
    fn postings(&self, batch: PyArrowType<RecordBatch>) -> PyResult<PyArrowType<RecordBatch>> {
        let b = batch.0;
        let (ids, terms) = (docs(&b, "doc")?, list_u64(&b, "terms")?);
        let days = days_of(&b, "day")?;
        let mut out: Vec<Posting> = Vec::new();
        for (i, &day) in days.iter().enumerate() {
            self.kernels
                .postings(ids.value(i), &u64s(&terms, i), day, &mut out);
        }
        batch_of(vec![
            new_column::<UInt64Array, _>("term", out.iter().map(|p| p.term)),
            new_column::<Int32Array, _>("bucket", out.iter().map(|p| p.bucket)),
            new_column::<UInt64Array, _>("doc", out.iter().map(|p| p.doc)),
            new_column::<BooleanArray, _>("home", out.iter().map(|p| p.home)),
        ])
    }

    /// Stage 11: the postings of one key `{term, bucket, doc, home}` to the
    /// pairs it gives, `{a, b}` (none when the key is too common).
    fn key_pairs(&self, batch: PyArrowType<RecordBatch>) -> PyResult<PyArrowType<RecordBatch>> {
        let b = batch.0;
        let terms = docs(&b, "term")?;
        let bucket =
            cast(column(&b, "bucket")?, &DataType::Int32).map_err(|e| input_err(e.to_string()))?;
        let bucket = bucket.as_primitive::<arrow::datatypes::Int32Type>();
        let ids = docs(&b, "doc")?;
        let home = column(&b, "home")?
            .as_boolean_opt()
            .ok_or_else(|| input_err("column \"home\" is not boolean"))?
            .clone();
        let members: Vec<Posting> = (0..ids.len())
            .map(|i| Posting {
                term: terms.value(i),
                bucket: bucket.value(i),
                doc: ids.value(i),
                home: home.value(i),
            })
            .collect();
        if members.windows(2).any(|w| w[0].key() != w[1].key()) {
            return Err(input_err("key_pairs takes the postings of one key"));
        }
        let mut pairs = Vec::new();
        self.kernels.key_pairs(&members, |a, b| pairs.push((a, b)));
        pairs_batch(&pairs)
    }

    /// Stage 12: `{a, b, keys_a, weights_a, day_a, numbers_a, keys_b, ...}`
    /// to `{a, b, similarity}`, pairs of positive similarity only.
    fn similarity(
        &self,
        py: Python<'_>,
        batch: PyArrowType<RecordBatch>,
    ) -> PyResult<PyArrowType<RecordBatch>> {
        let b = batch.0;
        let (a_ids, b_ids) = (docs(&b, "a")?, docs(&b, "b")?);
        let side = |s: &str| -> PyResult<_> {
            Ok((
                list_u64(&b, &format!("keys_{s}"))?,
                list_f(&b, &format!("weights_{s}"), DataType::Float32)?,
                days_of(&b, &format!("day_{s}"))?,
                binary(&b, &format!("numbers_{s}"))?
                    .iter()
                    .map(|n| stages::Numbers::from_bytes(n.unwrap_or_default()))
                    .collect::<storyhash::Result<Vec<_>>>()
                    .map_err(py_err)?,
            ))
        };
        let (sa, sb) = (side("a")?, side("b")?);
        let out: Vec<(u64, u64, f64)> = py.detach(|| {
            (0..a_ids.len())
                .filter_map(|i| {
                    let (va, vb) = (vector_of(&sa.0, &sa.1, i), vector_of(&sb.0, &sb.1, i));
                    let s = self
                        .kernels
                        .similarity((&va, sa.2[i], &sa.3[i]), (&vb, sb.2[i], &sb.3[i]));
                    (s > 0.0).then_some((a_ids.value(i), b_ids.value(i), s))
                })
                .collect()
        });
        sims_batch(&out)
    }

    /// Stage 12: `{doc, similarities}` (all of a document's scored pairs) to `{doc, density}`.
    fn density(&self, batch: PyArrowType<RecordBatch>) -> PyResult<PyArrowType<RecordBatch>> {
        let b = batch.0;
        let ids = docs(&b, "doc")?;
        let sims = list_f(&b, "similarities", DataType::Float64)?;
        let density: Vec<f64> = (0..ids.len())
            .map(|i| {
                let v = sims.value(i);
                let mut v = v
                    .as_primitive::<arrow::datatypes::Float64Type>()
                    .values()
                    .to_vec();
                self.kernels.density(&mut v)
            })
            .collect();
        batch_of(vec![
            ("doc", Arc::new(ids.clone())),
            ("density", Arc::new(Float64Array::from(density))),
        ])
    }

    /// Stage 12: `{a, b, similarity, density_a, density_b}` to `{a, b, similarity}` rescaled.
    fn locally_scaled(
        &self,
        batch: PyArrowType<RecordBatch>,
    ) -> PyResult<PyArrowType<RecordBatch>> {
        let b = batch.0;
        let (a_ids, b_ids) = (docs(&b, "a")?, docs(&b, "b")?);
        let f = |n: &str| -> PyResult<Float64Array> {
            let c =
                cast(column(&b, n)?, &DataType::Float64).map_err(|e| input_err(e.to_string()))?;
            Ok(c.as_primitive::<arrow::datatypes::Float64Type>().clone())
        };
        let (s, da, db) = (f("similarity")?, f("density_a")?, f("density_b")?);
        let out: Vec<(u64, u64, f64)> = (0..a_ids.len())
            .map(|i| {
                (
                    a_ids.value(i),
                    b_ids.value(i),
                    self.kernels
                        .locally_scaled(s.value(i), da.value(i), db.value(i)),
                )
            })
            .collect();
        sims_batch(&out)
    }

    /// Stage 14: average linkage of one component, then the documents it
    /// leaves alone joined to the story of their clear strongest link:
    /// members `{doc}` and its pairs `{a, b, similarity}` to `{doc, story}`.
    fn stories(
        &self,
        py: Python<'_>,
        members: PyArrowType<RecordBatch>,
        sims: PyArrowType<RecordBatch>,
    ) -> PyResult<PyArrowType<RecordBatch>> {
        let (m, s) = (members.0, sims.0);
        let ids = docs(&m, "doc")?;
        let (a, b) = (docs(&s, "a")?, docs(&s, "b")?);
        let sim = cast(column(&s, "similarity")?, &DataType::Float64)
            .map_err(|e| input_err(e.to_string()))?;
        let sim = sim.as_primitive::<arrow::datatypes::Float64Type>();
        let triples: Vec<(u64, u64, f64)> = (0..a.len())
            .map(|i| (a.value(i), b.value(i), sim.value(i)))
            .collect();
        let out = py
            .detach(|| self.kernels.stories(ids.values(), &triples))
            .map_err(py_err)?;
        batch_of(vec![
            new_column::<UInt64Array, _>("doc", out.iter().map(|e| e.0)),
            new_column::<UInt64Array, _>("story", out.iter().map(|e| e.1)),
        ])
    }

    /// Shared key terms a pair needs (stage 12).
    fn min_shared_terms(&self) -> usize {
        self.kernels.min_shared_terms()
    }

    /// The story threshold (stage 13).
    fn story_threshold(&self) -> f64 {
        self.kernels.story_threshold()
    }

    /// Whether stories are built at all.
    fn stories_enabled(&self) -> bool {
        self.kernels.config().stories.enabled
    }
}

fn read_sketches(batch: &RecordBatch, name: &str) -> PyResult<Vec<Sketch>> {
    binary(batch, name)?
        .iter()
        .map(|b| Sketch::from_bytes(b.unwrap_or_default()).map_err(py_err))
        .collect()
}

fn days_of(batch: &RecordBatch, name: &str) -> PyResult<Vec<Option<Day>>> {
    let c = cast(column(batch, name)?, &DataType::Int32).map_err(|e| input_err(e.to_string()))?;
    let c = c.as_primitive::<arrow::datatypes::Int32Type>();
    Ok((0..c.len())
        .map(|i| (!c.is_null(i)).then(|| Day::from_days(c.value(i))))
        .collect())
}

fn rows_batch(rows: &[BandRow]) -> PyResult<PyArrowType<RecordBatch>> {
    batch_of(vec![
        new_column::<UInt32Array, _>("band", rows.iter().map(|r| r.band)),
        new_column::<UInt64Array, _>("key", rows.iter().map(|r| r.key)),
        new_column::<UInt32Array, _>("next", rows.iter().map(|r| r.next)),
        new_column::<UInt64Array, _>("doc", rows.iter().map(|r| r.doc)),
    ])
}

fn pairs_batch(pairs: &[(u64, u64)]) -> PyResult<PyArrowType<RecordBatch>> {
    batch_of(vec![
        new_column::<UInt64Array, _>("a", pairs.iter().map(|e| e.0)),
        new_column::<UInt64Array, _>("b", pairs.iter().map(|e| e.1)),
    ])
}

fn sims_batch(sims: &[(u64, u64, f64)]) -> PyResult<PyArrowType<RecordBatch>> {
    batch_of(vec![
        new_column::<UInt64Array, _>("a", sims.iter().map(|e| e.0)),
        new_column::<UInt64Array, _>("b", sims.iter().map(|e| e.1)),
        new_column::<Float64Array, _>("similarity", sims.iter().map(|e| e.2)),
    ])
}

/// Stage 4 over sorted band rows, batch after batch (see `storyhash.Stages.bucket_pairer`).
#[pyclass(module = "storyhash._native")]
struct BucketPairer {
    inner: std::sync::Mutex<Option<storyhash::lsh::BucketPairer>>,
}

#[pymethods]
impl BucketPairer {
    /// The pairs that the next rows `{band, key, next, doc}` (sorted,
    /// continuing the previous batch) give, `{a, b}`. A pair two bands give
    /// comes twice: keep distinct pairs.
    fn push(&self, batch: PyArrowType<RecordBatch>) -> PyResult<PyArrowType<RecordBatch>> {
        let b = batch.0;
        let band =
            cast(column(&b, "band")?, &DataType::UInt32).map_err(|e| input_err(e.to_string()))?;
        let band = band.as_primitive::<arrow::datatypes::UInt32Type>();
        let next =
            cast(column(&b, "next")?, &DataType::UInt32).map_err(|e| input_err(e.to_string()))?;
        let next = next.as_primitive::<arrow::datatypes::UInt32Type>();
        let (key, doc) = (docs(&b, "key")?, docs(&b, "doc")?);
        let rows: Vec<BandRow> = (0..doc.len())
            .map(|i| BandRow {
                band: band.value(i),
                key: key.value(i),
                next: next.value(i),
                doc: doc.value(i),
            })
            .collect();
        let mut pairs = Vec::new();
        let mut guard = self
            .inner
            .lock()
            .map_err(|_| input_err("pairer poisoned"))?;
        let pairer = guard
            .as_mut()
            .ok_or_else(|| input_err("the pairer was finished"))?;
        pairer
            .push(&rows, |a, b| pairs.push((a, b)))
            .map_err(py_err)?;
        pairs_batch(&pairs)
    }

    /// Ends the last bucket; the counters: candidates, largest bucket, capped buckets.
    fn finish(&self) -> PyResult<HashMap<String, u64>> {
        let mut guard = self
            .inner
            .lock()
            .map_err(|_| input_err("pairer poisoned"))?;
        let st = guard
            .take()
            .ok_or_else(|| input_err("the pairer was finished"))?
            .finish();
        Ok(HashMap::from([
            ("largest_bucket".to_owned(), st.largest_bucket),
            ("capped_buckets".to_owned(), st.capped_buckets),
            ("capped_members".to_owned(), st.capped_members),
        ]))
    }
}

/// Stages 6 and 13: connected components of `{a, b}` to `{doc, component}`
/// (a component named by its smallest document), finished in one process.
#[pyfunction]
fn components(
    py: Python<'_>,
    edges: PyArrowType<RecordBatch>,
) -> PyResult<PyArrowType<RecordBatch>> {
    let e = edges.0;
    let (a, b) = (docs(&e, "a")?, docs(&e, "b")?);
    let pairs: Vec<(u64, u64)> = a
        .values()
        .iter()
        .copied()
        .zip(b.values().iter().copied())
        .collect();
    let out = py.detach(|| stages::components(&pairs));
    batch_of(vec![
        new_column::<UInt64Array, _>("doc", out.iter().map(|e| e.0)),
        new_column::<UInt64Array, _>("component", out.iter().map(|e| e.1)),
    ])
}

/// The ISO 639-1 code of a language number of stage 8 (`und` when unknown).
#[pyfunction]
fn language_code(language: u8) -> &'static str {
    stages::language_code(language)
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("StoryhashError", m.py().get_type::<StoryhashError>())?;
    m.add("ConfigError", m.py().get_type::<ConfigError>())?;
    m.add("InputError", m.py().get_type::<InputError>())?;
    m.add_function(wrap_pyfunction!(default_config, m)?)?;
    m.add_function(wrap_pyfunction!(validate_config, m)?)?;
    m.add_function(wrap_pyfunction!(cluster, m)?)?;
    m.add_function(wrap_pyfunction!(components, m)?)?;
    m.add_function(wrap_pyfunction!(language_code, m)?)?;
    m.add_class::<Stages>()?;
    m.add_class::<BucketPairer>()?;
    Ok(())
}
