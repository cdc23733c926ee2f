//! The snapshot format of a [`Stream`], inside the shared envelope of
//! [`persist`](crate::persist): the body of a copy index snapshot followed
//! by the stream state.

/* Body, format version 8. Version 7 has the same bytes, but its stories
were built without the evidence discount (`StoryConfig::evidence`), and it
loads with the discount off, so it goes on as it was built (as do the older
versions). Version 6 has the same bytes too, but its story
vectors (centroids, members' term frequencies) were extracted with entity
runs at a name's full weight, and its members' top numbers counted decades:
it loads and continues, mixing the two, so its stories may differ from a
fresh stream's. Version 5 lacked the stories' members and the split
counter, and is read with every story settled; version 4 also lacked
the window key each feature was last seen at and is read as if every feature
had been seen last when it was saved; version 2 lacked the index's exact
sets and is refused): the copy
index body (see src/index/format.rs), then a u64 length L and L bytes of
stream state, all integers little-endian (n documents, G groups, S stories,
C centroid entries, T story terms, D document frequencies):

4               length P of the postcard `StateHeader` that follows
P               StateHeader: window, latest day, weighed count, counters,
                G, S, C, T, D
n*4 n*8 n*8     per document: copy group, window key, day
G*16            per group: first, representative, story, parent (u32 each)
S*37            per story: first, parent, size (u32), last day, last key
                (i64), frozen (u8), centroid entries, terms (u32)
C*8 C*4         centroid keys (u64) then weights (f32), story after story
T*8             story terms (u64), story after story
D*8 D*4 D*8     feature keys (u64, ascending), their document frequencies (u32),
                the window key each was last seen at (i64; version 5 on); the
                features forgotten by the window are left out
S*13            per story (version 6 on): settled (u8), members M (u32),
                copy groups started before its last join (u64)
then each member, story after story (version 6 on): its copy group (u32),
                day, last window key, last day (i64), B bag entries (u32),
                the bag's keys (B*8, u64) and term frequencies (B*4, f32), K key
                terms (u32) and their keys (K*8), L (u32) and L bytes of
                `Numbers::to_bytes`

The postings and the window heaps are rebuilt from this on load. */

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::df::{DocFrequencies, Entry};
use super::story::{Centroid, Member, StoryState, MAX_MEMBERS};
use super::{Group, Stream, StreamStats, Window, NO_DAY};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::index::CopyIndex;
use crate::index::{read_body, write_body};
use crate::persist::{
    decode_bytes, decode_file, encode, le_words, put_le as put, require_config, write_atomic,
    Source,
};
use crate::stories::Numbers;

const MAX_STATE_HEADER: usize = 4 << 10;
const STORY_BYTES: usize = 4 * 3 + 8 * 2 + 1 + 4 * 2;

/// The state header; versions 4 and 5 wrote counters without
/// `story_splits` ([`StatsV5`]).
#[derive(Serialize, Deserialize)]
struct StateHeader<Stats = StreamStats> {
    window: Window,
    latest_day: i64,
    weighed: u64,
    stats: Stats,
    groups: u64,
    stories: u64,
    centroid_entries: u64,
    terms: u64,
    df: u64,
}

/// The counters of versions 4 and 5.
#[derive(Serialize, Deserialize)]
struct StatsV5 {
    added: u64,
    evicted: u64,
    removed: u64,
    copy_groups: u64,
    stories: u64,
    copy_merges: u64,
    story_merges: u64,
    frozen: u64,
    bad_dates: u64,
    future_dates: u64,
}

impl From<StateHeader<StatsV5>> for StateHeader {
    fn from(h: StateHeader<StatsV5>) -> Self {
        let s = h.stats;
        StateHeader {
            window: h.window,
            latest_day: h.latest_day,
            weighed: h.weighed,
            stats: StreamStats {
                added: s.added,
                evicted: s.evicted,
                removed: s.removed,
                copy_groups: s.copy_groups,
                stories: s.stories,
                copy_merges: s.copy_merges,
                story_merges: s.story_merges,
                story_splits: 0,
                frozen: s.frozen,
                bad_dates: s.bad_dates,
                future_dates: s.future_dates,
            },
            groups: h.groups,
            stories: h.stories,
            centroid_entries: h.centroid_entries,
            terms: h.terms,
            df: h.df,
        }
    }
}

fn corrupt(reason: impl Into<String>) -> Error {
    Error::CorruptSnapshot(format!("stream state: {}", reason.into()))
}

/// A bounds-checked reader over the section: every length is checked against
/// the bytes present before anything is allocated.
struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, count: u64, width: usize, what: &str) -> Result<&'a [u8]> {
        let len = usize::try_from(count)
            .ok()
            .and_then(|c| c.checked_mul(width))
            .filter(|&l| l <= self.bytes.len())
            .ok_or_else(|| corrupt(format!("{what}: {count} entries do not fit the file")))?;
        let (head, rest) = self.bytes.split_at(len);
        self.bytes = rest;
        Ok(head)
    }

    /// One little-endian `u32`.
    fn u32(&mut self, what: &str) -> Result<u32> {
        let b = self.take(1, 4, what)?;
        Ok(u32::from_le_bytes(b.try_into().expect("4 bytes")))
    }

    /// `count` little-endian words of `N` bytes.
    fn words<T, const N: usize>(
        &mut self,
        count: u64,
        what: &str,
        from: fn([u8; N]) -> T,
    ) -> Result<Vec<T>> {
        Ok(le_words(self.take(count, N, what)?, from).collect())
    }
}

impl Stream {
    fn encode_state(&self) -> Vec<u8> {
        let centroid_entries: usize = self.stories.iter().map(|s| s.centroid.0.len()).sum();
        let terms: usize = self.stories.iter().map(|s| s.terms.len()).sum();
        let df = self.df.entries(self.cutoff().unwrap_or(i64::MIN));
        let header = StateHeader {
            window: self.window,
            latest_day: self.latest_day,
            weighed: self.df.n,
            stats: self.stats,
            groups: self.groups.len() as u64,
            stories: self.stories.len() as u64,
            centroid_entries: centroid_entries as u64,
            terms: terms as u64,
            df: df.len() as u64,
        };
        let header = postcard::to_allocvec(&header).expect("the state header always serialises");
        let n = self.doc_group.len();
        let mut out = Vec::with_capacity(
            4 + header.len()
                + n * 20
                + self.groups.len() * 16
                + self.stories.len() * STORY_BYTES
                + centroid_entries * 12
                + terms * 8
                + df.len() * 20,
        );
        out.extend_from_slice(&(header.len() as u32).to_le_bytes());
        out.extend_from_slice(&header);
        put(&mut out, self.doc_group.iter().copied(), u32::to_le_bytes);
        put(&mut out, self.doc_key.iter().copied(), i64::to_le_bytes);
        put(&mut out, self.doc_day.iter().copied(), i64::to_le_bytes);
        for g in &self.groups {
            put(
                &mut out,
                [g.first, g.representative, g.story, g.parent],
                u32::to_le_bytes,
            );
        }
        for s in &self.stories {
            put(&mut out, [s.first, s.parent, s.size], u32::to_le_bytes);
            put(&mut out, [s.last_day, s.last_key], i64::to_le_bytes);
            out.push(u8::from(s.frozen));
            put(
                &mut out,
                [s.centroid.0.len() as u32, s.terms.len() as u32],
                u32::to_le_bytes,
            );
        }
        for s in &self.stories {
            put(&mut out, s.centroid.0.iter().map(|e| e.0), u64::to_le_bytes);
        }
        for s in &self.stories {
            put(&mut out, s.centroid.0.iter().map(|e| e.1), f32::to_le_bytes);
        }
        for s in &self.stories {
            put(&mut out, s.terms.iter().copied(), u64::to_le_bytes);
        }
        put(&mut out, df.iter().map(|e| e.0), u64::to_le_bytes);
        put(&mut out, df.iter().map(|e| e.1.count), u32::to_le_bytes);
        put(&mut out, df.iter().map(|e| e.1.last), i64::to_le_bytes);
        out.extend(self.stories.iter().map(|s| u8::from(s.settled)));
        put(
            &mut out,
            self.stories.iter().map(|s| s.members.len() as u32),
            u32::to_le_bytes,
        );
        put(
            &mut out,
            self.stories.iter().map(|s| s.joined),
            u64::to_le_bytes,
        );
        for m in self.stories.iter().flat_map(|s| &s.members) {
            out.extend_from_slice(&m.group.to_le_bytes());
            put(&mut out, [m.day, m.last_key, m.last_day], i64::to_le_bytes);
            out.extend_from_slice(&(m.tf.len() as u32).to_le_bytes());
            put(&mut out, m.tf.iter().map(|e| e.0), u64::to_le_bytes);
            put(&mut out, m.tf.iter().map(|e| e.1), f32::to_le_bytes);
            out.extend_from_slice(&(m.top.len() as u32).to_le_bytes());
            put(&mut out, m.top.iter().copied(), u64::to_le_bytes);
            let numbers = m.numbers.to_bytes();
            out.extend_from_slice(&(numbers.len() as u32).to_le_bytes());
            out.extend_from_slice(&numbers);
        }
        out
    }

    /// The snapshot format version this build writes and reads.
    pub const FORMAT_VERSION: u32 = 8;

    /// Versions it recognises: its own, the four before, and a copy
    /// index's (refused with a clear error: it holds no stream state).
    const READS: [u32; 6] = [Self::FORMAT_VERSION, 7, 6, 5, 4, CopyIndex::FORMAT_VERSION];

    /// The stream as snapshot bytes (the copy index, then the stream state).
    pub fn to_bytes(&self) -> Vec<u8> {
        let state = self.encode_state();
        encode(Vec::new(), Self::FORMAT_VERSION, |out| {
            write_body(out, &self.index.parts())?;
            out.bytes(&(state.len() as u64).to_le_bytes())?;
            out.bytes(&state)
        })
        .expect("writing to memory cannot fail")
    }

    /// Saves a snapshot to `path`, atomically (a temporary file beside it,
    /// synced, then renamed over it).
    ///
    /// # Errors
    /// [`Error::Io`] naming the file when it cannot be written.
    pub fn save(&self, path: &Path) -> Result<()> {
        let state = self.encode_state();
        write_atomic(path, |w| {
            encode(w, Self::FORMAT_VERSION, |out| {
                write_body(out, &self.index.parts())?;
                out.bytes(&(state.len() as u64).to_le_bytes())?;
                out.bytes(&state)
            })
        })
    }

    /// Loads a snapshot from `path`.
    ///
    /// # Errors
    /// [`Error::Io`] naming the file, or any error of [`from_bytes`](Self::from_bytes).
    pub fn load(path: &Path) -> Result<Self> {
        decode_file(path, &Self::READS, read_stream)
    }

    /// Loads a snapshot that must have been made with `config`.
    ///
    /// # Errors
    /// [`Error::SnapshotMismatch`] when the stored configuration differs, or
    /// any error of [`load`](Self::load).
    pub fn load_with_config(path: &Path, config: &Config) -> Result<Self> {
        let stream = Self::load(path)?;
        require_config(stream.config(), config)?;
        Ok(stream)
    }

    /// A stream from snapshot bytes, with the configuration stored in them.
    ///
    /// # Errors
    /// [`Error::BadMagic`], [`Error::UnsupportedVersion`],
    /// [`Error::CorruptSnapshot`], or [`Error::SnapshotMismatch`] (also for
    /// a [`CopyIndex`] snapshot, which holds no stream state).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        decode_bytes(bytes, &Self::READS, read_stream)
    }
}

/// The index body, then the stream state.
fn read_stream<R: std::io::Read>(src: &mut Source<'_, R>, version: u32) -> Result<Stream> {
    if version == CopyIndex::FORMAT_VERSION {
        return Err(Error::SnapshotMismatch(
            "a copy index snapshot holds no stream state".to_owned(),
        ));
    }
    let mut body = read_body(src)?;
    if version <= 7 {
        // Made before the evidence discount: its stories were built without
        // it, and go on so.
        body.config.stories.evidence = 0.0;
    }
    let index = CopyIndex::from_parts(body)?;
    let len = u64::from_le_bytes(src.read(8)?.try_into().expect("8 bytes"));
    if len != src.left() {
        return Err(corrupt(format!(
            "stream section of {len} bytes does not fit the {} bytes left",
            src.left()
        )));
    }
    let section = src.bytes(len as usize)?;
    decode_state(index, &section, version)
}

fn decode_state(index: CopyIndex, section: &[u8], version: u32) -> Result<Stream> {
    let mut r = Reader { bytes: section };
    let len = r.u32("header length")? as usize;
    if len > MAX_STATE_HEADER {
        return Err(corrupt(format!("header length {len} is out of bounds")));
    }
    let header = r.take(len as u64, 1, "header")?;
    let h: StateHeader = if version >= 6 {
        postcard::from_bytes(header)
    } else {
        postcard::from_bytes::<StateHeader<StatsV5>>(header).map(StateHeader::from)
    }
    .map_err(|e| corrupt(format!("header: {e}")))?;
    let mut s = Stream::with_index(index, h.window).map_err(|e| corrupt(format!("window: {e}")))?;
    let n = s.index.docs_ever() as u64;
    s.doc_group = r.words(n, "copy groups of documents", u32::from_le_bytes)?;
    s.doc_key = r.words(n, "window keys", i64::from_le_bytes)?;
    s.doc_day = r.words(n, "days", i64::from_le_bytes)?;
    let g = r.words(
        h.groups.saturating_mul(4),
        "copy groups",
        u32::from_le_bytes,
    )?;
    s.groups = g
        .chunks_exact(4)
        .map(|c| Group {
            first: c[0],
            representative: c[1],
            story: c[2],
            parent: c[3],
        })
        .collect();
    let meta = r.take(h.stories, STORY_BYTES, "stories")?;
    let mut sizes = Vec::with_capacity(h.stories as usize);
    for m in meta.chunks_exact(STORY_BYTES) {
        let u = |at: usize| u32::from_le_bytes(m[at..at + 4].try_into().expect("4 bytes"));
        let i = |at: usize| i64::from_le_bytes(m[at..at + 8].try_into().expect("8 bytes"));
        let frozen = match m[28] {
            0 => false,
            1 => true,
            b => return Err(corrupt(format!("frozen flag {b} is neither 0 nor 1"))),
        };
        s.stories.push(StoryState {
            first: u(0),
            parent: u(4),
            size: u(8),
            last_day: i(12),
            last_key: i(20),
            frozen,
            centroid: Centroid::default(),
            terms: Vec::new(),
            members: Vec::new(),
            // Versions before 6 kept no members: their stories only grow.
            settled: true,
            joined: 0,
        });
        sizes.push((u(29) as u64, u(33) as u64));
    }
    let c_total: u64 = sizes.iter().map(|e| e.0).sum();
    let t_total: u64 = sizes.iter().map(|e| e.1).sum();
    if c_total != h.centroid_entries || t_total != h.terms {
        return Err(corrupt("story entry counts disagree with the header"));
    }
    let keys = r.words(c_total, "centroid keys", u64::from_le_bytes)?;
    let weights = r.words(c_total, "centroid weights", u32::from_le_bytes)?;
    let terms = r.words(t_total, "story terms", u64::from_le_bytes)?;
    let (mut at_c, mut at_t) = (0usize, 0usize);
    for (st, &(c, t)) in s.stories.iter_mut().zip(&sizes) {
        let (c, t) = (c as usize, t as usize);
        st.centroid = Centroid(
            keys[at_c..at_c + c]
                .iter()
                .zip(&weights[at_c..at_c + c])
                .map(|(&k, &w)| (k, f32::from_bits(w)))
                .collect(),
        );
        st.terms = terms[at_t..at_t + t].to_vec();
        at_c += c;
        at_t += t;
    }
    let df_keys = r.words(h.df, "feature keys", u64::from_le_bytes)?;
    let df_counts = r.words(h.df, "document frequencies", u32::from_le_bytes)?;
    s.latest_day = h.latest_day;
    s.stats = h.stats;
    let lasts = if version >= 5 {
        r.words(h.df, "feature last keys", i64::from_le_bytes)?
    } else {
        vec![s.key_for(NO_DAY); df_keys.len()]
    };
    if version >= 6 {
        read_members(&mut r, &mut s.stories)?;
    }
    if !r.bytes.is_empty() {
        return Err(corrupt(format!(
            "{} unread bytes at the end",
            r.bytes.len()
        )));
    }
    if df_keys.windows(2).any(|w| w[0] >= w[1]) {
        return Err(corrupt("feature keys are not ascending"));
    }
    s.df = DocFrequencies::from_entries(
        df_keys
            .into_iter()
            .zip(df_counts.into_iter().zip(lasts))
            .map(|(k, (count, last))| (k, Entry { count, last })),
        h.weighed,
    );
    validate(&s)?;
    s.rebuild();
    Ok(s)
}

/// The stories' settled flags and members (version 6 on).
fn read_members(r: &mut Reader<'_>, stories: &mut [StoryState]) -> Result<()> {
    let count = stories.len() as u64;
    let settled = r.take(count, 1, "settled flags")?;
    let sizes = r.words(count, "member counts", u32::from_le_bytes)?;
    let joined = r.words(count, "last joins", u64::from_le_bytes)?;
    for (((st, &flag), &size), &at) in stories.iter_mut().zip(settled).zip(&sizes).zip(&joined) {
        st.joined = at;
        st.settled = match flag {
            0 => false,
            1 => true,
            b => return Err(corrupt(format!("settled flag {b} is neither 0 nor 1"))),
        };
        if size as usize > MAX_MEMBERS {
            return Err(corrupt(format!("a story keeps {size} members")));
        }
        for _ in 0..size {
            let group = r.u32("member group")?;
            let days = r.words(3, "member days", i64::from_le_bytes)?;
            let b = r.u32("bag length")?;
            let keys = r.words(u64::from(b), "bag keys", u64::from_le_bytes)?;
            let weights = r.words(u64::from(b), "bag weights", u32::from_le_bytes)?;
            let k = r.u32("key term count")?;
            let top = r.words(u64::from(k), "key terms", u64::from_le_bytes)?;
            let l = r.u32("numbers length")?;
            let numbers = Numbers::from_bytes(r.take(u64::from(l), 1, "numbers")?)
                .map_err(|e| corrupt(format!("member numbers: {e}")))?;
            if keys.windows(2).any(|w| w[0] >= w[1]) || top.windows(2).any(|w| w[0] >= w[1]) {
                return Err(corrupt("member keys are not ascending"));
            }
            st.members.push(Member {
                group,
                day: days[0],
                last_key: days[1],
                last_day: days[2],
                tf: keys
                    .into_iter()
                    .zip(weights)
                    .map(|(k, w)| (k, f32::from_bits(w)))
                    .collect(),
                top,
                numbers,
            });
        }
    }
    Ok(())
}

/// Every reference points inside its array and every merge points to an
/// older entry, so no lookup can go out of bounds or loop.
fn validate(s: &Stream) -> Result<()> {
    let (n, groups, stories) = (s.doc_group.len(), s.groups.len(), s.stories.len());
    if let Some(d) = s.doc_group.iter().position(|&g| g as usize >= groups) {
        return Err(corrupt(format!("document {d} names a missing copy group")));
    }
    for (i, g) in s.groups.iter().enumerate() {
        if g.first as usize >= n || g.representative as usize >= n {
            return Err(corrupt(format!("copy group {i} names a missing document")));
        }
        if g.story as usize >= stories || g.parent as usize > i {
            return Err(corrupt(format!("copy group {i} has a bad story or parent")));
        }
    }
    for (i, st) in s.stories.iter().enumerate() {
        if st.first as usize >= n || st.parent as usize >= stories {
            return Err(corrupt(format!(
                "story {i} has a bad first article or parent"
            )));
        }
        if st.centroid.0.windows(2).any(|w| w[0].0 >= w[1].0)
            || st.terms.windows(2).any(|w| w[0] >= w[1])
        {
            return Err(corrupt(format!("story {i} has unsorted entries")));
        }
    }
    // A story takes part in a re-cut while active and not settled: then its
    // members are its copy groups, each once, its first article's among them.
    let mut member_of = vec![false; groups];
    for (i, st) in s.stories.iter().enumerate() {
        let active = st.parent as usize == i && !st.frozen && !st.settled;
        let bad = if active {
            !st.members.iter().any(|m| {
                s.groups
                    .get(m.group as usize)
                    .is_some_and(|g| g.first == st.first)
            })
        } else {
            !st.members.is_empty()
        };
        if bad {
            return Err(corrupt(format!("story {i} has bad members")));
        }
        for m in &st.members {
            let g = m.group as usize;
            if g >= groups || member_of[g] || s.groups[g].parent as usize != g {
                return Err(corrupt(format!("story {i} has a bad member group")));
            }
            member_of[g] = true;
        }
    }
    // A split story is newer than the story it may later be merged into:
    // merges point either way, so check that following them ends.
    let mut done = vec![false; stories];
    let mut path = Vec::new();
    for i in 0..stories {
        let mut at = i;
        while !done[at] && s.stories[at].parent as usize != at {
            if path.len() > stories {
                return Err(corrupt(format!("story {i} is merged into itself")));
            }
            path.push(at);
            at = s.stories[at].parent as usize;
        }
        done[at] = true;
        for p in path.drain(..) {
            done[p] = true;
        }
    }
    Ok(())
}
