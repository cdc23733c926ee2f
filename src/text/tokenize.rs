//! Tokenisation by Unicode word boundaries (UAX #29), with an ASCII fast path.
//!
//! Tokens are the words of the *normalised* text (see
//! [`normalize`](crate::text::normalize)): segments between UAX #29 word
//! boundaries that hold at least one letter or digit. So "obama's" and "3,200"
//! and "3.2bn" are one token each, and "$" or "—" are none.
//!
//! Scripts written without spaces (Han, Hiragana, Katakana, Thai, Lao, Khmer,
//! Myanmar) have no word boundaries that UAX #29 can find; a run of such
//! characters becomes overlapping character bigrams instead (one token for a
//! lone character), the usual choice for CJK retrieval.
//!
//! Most news text is plain ASCII. For it, a hand-written classifier applies the
//! same UAX #29 rules with no normalised copy of the text: bytes are classified
//! eight at a time with word operations into bit masks, and tokens are read off
//! the masks' run edges, with no branch per byte; tokens are lower-cased as
//! they are emitted, or, when only their hashes are wanted, read from one
//! lower-cased copy of the text (see [`token_hashes`]). Text that is ASCII but
//! for typographic quotes, dashes and no-break spaces (half of the AllSides
//! excerpts) is normalised first and then takes the same path. Text in
//! alphabetic scripts written with spaces (Latin with its accents, Greek,
//! Cyrillic, Arabic) is cut by a small segmenter that knows the word-break
//! class of each of their characters, checked one by one against UAX #29 in
//! every context its rules look at; any other character sends the text to
//! the general path. Property tests check that all of them yield exactly the
//! tokens and hashes of the general path.
//!
//! Each token also carries a *fact* flag: it holds a digit, or it was
//! capitalised in the original text without starting a sentence (a name, a
//! place, an organisation, a ticker). Copies of one article keep their facts;
//! templated reports about different events share their wording but not their
//! facts, which is what the copy tier's verification and the story tier's
//! features use the flag for.

use unicode_segmentation::UnicodeSegmentation;
use xxhash_rust::xxh3::xxh3_64_with_seed;

use crate::text::normalize::{fold_case_into, folds_plainly, normalize_cased_into};

/// Returns the normalised tokens of `text`, in order.
///
/// # Example
/// ```
/// use storyhash::text::tokenize;
/// assert_eq!(
///     tokenize("Obama's G20 talks: $3.2bn, 3,200 people."),
///     ["obama's", "g20", "talks", "3.2bn", "3,200", "people"]
/// );
/// assert_eq!(tokenize("习近平在杭州"), ["习近", "近平", "平在", "在杭", "杭州"]);
/// ```
pub fn tokenize(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut scratch = TokenScratch::default();
    for_each_token(text, &mut scratch, |t, _| {
        out.push(String::from_utf8_lossy(t).into_owned())
    });
    out
}

/// Returns the normalised tokens of `text` that are facts: numbers, and
/// capitalised words that do not start a sentence.
///
/// # Example
/// ```
/// use storyhash::text::facts;
/// assert_eq!(
///     facts("Barack Obama met Vladimir Putin in Hangzhou. They spoke for 90 minutes."),
///     ["obama", "vladimir", "putin", "hangzhou", "90"] // "Barack" starts the sentence
/// );
/// ```
pub fn facts(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut scratch = TokenScratch::default();
    for_each_token(text, &mut scratch, |t, fact| {
        if fact {
            out.push(String::from_utf8_lossy(t).into_owned())
        }
    });
    out
}

/// Reusable buffers for [`for_each_token`], one per thread in batch work.
#[derive(Default, Debug)]
pub(crate) struct TokenScratch {
    cased: String,
    token: Vec<u8>,
    units: Vec<Unit>,
    masks: Vec<Masks>,
    hash: HashScratch,
}

/// Calls `emit` with the UTF-8 bytes of each token of `text` and its fact
/// flag, in order.
pub(crate) fn for_each_token(
    text: &str,
    scratch: &mut TokenScratch,
    mut emit: impl FnMut(&[u8], bool),
) {
    let TokenScratch {
        cased,
        token,
        units,
        masks,
        ..
    } = scratch;
    let Some(b) = plain_ascii_form(text, cased) else {
        unicode_tokens(cased, token, units, emit);
        return;
    };
    ascii_spans(b, masks, |start, end, upper, fact, _| {
        if upper {
            token.clear();
            token.extend(b[start..end].iter().map(u8::to_ascii_lowercase));
            emit(token, fact);
        } else {
            emit(&b[start..end], fact);
        }
    });
}

/// The text the ASCII fast path can read for `text`: `text` itself when it
/// is plain ASCII, else its cased normal form (written into `cased`) when
/// that is. Typographic quotes and dashes, no-break spaces and ellipses
/// normalise to ASCII, and the fast path gives the general path's tokens for
/// any plain ASCII text, so for such text too. `None` (with `cased` written)
/// when the normal form is not ASCII either.
fn plain_ascii_form<'a>(text: &'a str, cased: &'a mut String) -> Option<&'a [u8]> {
    if is_plain_ascii(text.as_bytes()) {
        return Some(text.as_bytes());
    }
    normalize_cased_into(text, cased);
    is_plain_ascii(cased.as_bytes()).then_some(cased.as_bytes())
}

/// Buffers of [`ascii_tokens`].
#[derive(Default, Debug)]
pub(crate) struct HashScratch {
    /// The text, lower-cased.
    lower: Vec<u8>,
    /// Byte ranges of the tokens.
    spans: Vec<(u32, u32)>,
    /// Token numbers of the facts.
    facts: Vec<u32>,
    /// Token numbers of the tokens holding a digit.
    digits: Vec<u32>,
    by_length: ByLength,
}

/// The tokens of a plain ASCII text, as [`ascii_tokens`] finds them.
#[derive(Clone, Copy, Debug)]
pub(crate) struct AsciiTokens<'s> {
    /// The text, lower-cased.
    pub(crate) lower: &'s [u8],
    /// Each token's byte range in `lower`, in order.
    pub(crate) spans: &'s [(u32, u32)],
    /// The numbers of the tokens that are facts, ascending.
    pub(crate) facts: &'s [u32],
    /// The numbers of the tokens that hold a digit, ascending (all of them
    /// facts).
    pub(crate) digits: &'s [u32],
}

/// A text whose normal form is not plain ASCII: its tokens come from the
/// general path, [`for_each`](Self::for_each).
#[derive(Debug)]
pub(crate) struct OtherTokens<'s> {
    text: &'s str,
    /// The cased normal form, when it has been written.
    cased: Option<&'s str>,
    token: &'s mut Vec<u8>,
    units: &'s mut Vec<Unit>,
}

impl OtherTokens<'_> {
    /// Calls `emit` as [`for_each_token`] does.
    pub(crate) fn for_each(self, emit: impl FnMut(&[u8], bool)) {
        match self.cased {
            Some(cased) => unicode_tokens(cased, self.token, self.units, emit),
            None => for_each_token(self.text, &mut TokenScratch::default(), emit),
        }
    }
}

/// The tokens [`for_each_token`] gives, found in one pass and kept as byte
/// ranges of one lower-cased copy of the text, so that a caller can hash
/// them in any order (see [`ByLength`]) with no token copied. For a text
/// whose normal form is not plain ASCII, or too long for `u32` positions,
/// the general path instead.
pub(crate) fn ascii_tokens<'s>(
    text: &'s str,
    scratch: &'s mut TokenScratch,
) -> Result<AsciiTokens<'s>, OtherTokens<'s>> {
    let TokenScratch {
        cased,
        token,
        units,
        masks,
        hash: h,
    } = scratch;
    let b = match plain_ascii_form(text, cased) {
        Some(b) if b.len() <= u32::MAX as usize => b,
        Some(_) => {
            return Err(OtherTokens {
                text,
                cased: None,
                token,
                units,
            })
        }
        None => {
            return Err(OtherTokens {
                text,
                cased: Some(cased.as_str()),
                token,
                units,
            })
        }
    };
    lower_ascii_into(b, &mut h.lower);
    h.spans.clear();
    h.facts.clear();
    h.digits.clear();
    ascii_spans(b, masks, |start, end, _, fact, digit| {
        let i = h.spans.len() as u32;
        h.spans.push((start as u32, end as u32));
        if fact {
            h.facts.push(i);
        }
        if digit {
            h.digits.push(i);
        }
    });
    Ok(AsciiTokens {
        lower: &h.lower,
        spans: &h.spans,
        facts: &h.facts,
        digits: &h.digits,
    })
}

/// Token numbers bucketed by length class (1-3, 4-8, 9-16, more bytes), to
/// hash many short byte strings quickly.
///
/// xxh3 takes a different path for inputs of 1-3, 4-8 and 9-16 bytes; word
/// lengths in running text follow no pattern, so hashing in text order
/// mispredicts that choice for about every second word. Grouped, each loop
/// takes one path throughout.
#[derive(Default, Debug)]
struct ByLength([Vec<u32>; 4]);

impl ByLength {
    /// Sets `hashes[i]` to the xxh3 hash (with `seed`) of `text[spans[i]]`
    /// for every span.
    fn hash(&mut self, text: &[u8], spans: &[(u32, u32)], seed: u64, hashes: &mut Vec<u64>) {
        let n = spans.len();
        // Each token number goes to the next free place of its class,
        // without a branch.
        let mut count = [0usize; 4];
        for list in &mut self.0 {
            list.clear();
            list.resize(n, 0);
        }
        for (i, &(start, end)) in spans.iter().enumerate() {
            let len = end - start;
            let class = usize::from(len > 3) + usize::from(len > 8) + usize::from(len > 16);
            self.0[class][count[class]] = i as u32;
            count[class] += 1;
        }
        hashes.clear();
        hashes.resize(n, 0);
        for (list, &count) in self.0.iter().zip(&count) {
            for &i in &list[..count] {
                let (start, end) = spans[i as usize];
                hashes[i as usize] = xxh3_64_with_seed(&text[start as usize..end as usize], seed);
            }
        }
    }
}

/// The xxh3 hashes (with `seed`) of the tokens of `text` into `words`, in
/// order, and the high 32 bits of those of its facts into `facts`: what
/// hashing each token [`for_each_token`] gives would produce.
///
/// For plain ASCII text the tokens are found first ([`ascii_tokens`]) and
/// hashed afterwards, grouped by length ([`ByLength`]).
pub(crate) fn token_hashes(
    text: &str,
    seed: u64,
    scratch: &mut TokenScratch,
    words: &mut Vec<u64>,
    facts: &mut Vec<u32>,
) {
    words.clear();
    facts.clear();
    // Taken out for the while the tokens borrow the rest of the scratch.
    let mut by_length = std::mem::take(&mut scratch.hash.by_length);
    match ascii_tokens(text, scratch) {
        Ok(t) => {
            by_length.hash(t.lower, t.spans, seed, words);
            facts.extend(t.facts.iter().map(|&i| (words[i as usize] >> 32) as u32));
        }
        Err(other) => other.for_each(|t, fact| {
            let h = xxh3_64_with_seed(t, seed);
            words.push(h);
            if fact {
                facts.push((h >> 32) as u32);
            }
        }),
    }
    scratch.hash.by_length = by_length;
}

/// `b` (plain ASCII) with `A`-`Z` lower-cased into `out`, eight bytes at a time.
fn lower_ascii_into(b: &[u8], out: &mut Vec<u8>) {
    out.clear();
    out.reserve(b.len());
    let chunks = b.chunks_exact(8);
    let tail = chunks.remainder();
    for c in chunks {
        let x = u64::from_le_bytes(c.try_into().expect("8 bytes"));
        // The high bit of each upper-case byte, moved to the case bit (0x20).
        out.extend_from_slice(&(x | (bytes_in(x, b'A', b'Z') >> 2)).to_le_bytes());
    }
    out.extend(tail.iter().map(u8::to_ascii_lowercase));
}

/// Whether the word starting at byte `start` of `text` begins a sentence:
/// only spaces, quotes and brackets stand between it and the start of the
/// text, a line break, or a sentence-ending mark.
fn starts_sentence(text: &[u8], start: usize) -> bool {
    // A table lookup per byte rather than a `match`, which compiles to an
    // indirect jump per byte.
    text[..start]
        .iter()
        .rev()
        .map(|&c| FLAGS[c as usize] & (SKIP | STOP))
        .find(|&f| f != SKIP)
        .map_or(true, |f| f == STOP)
}

/// Printable ASCII plus tab, line feed and carriage return: the input for which
/// normalisation is only lower-casing and white space folding, neither of which
/// moves a word boundary.
fn is_plain_ascii(b: &[u8]) -> bool {
    // Chunks without an early exit inside, so the compiler vectorises the test.
    b.chunks(64).all(|chunk| {
        chunk.iter().fold(true, |ok, &c| {
            ok & ((0x20..0x7f).contains(&c) | (c == b'\n') | (c == b'\t') | (c == b'\r'))
        })
    })
}

/// The word-break class of an ASCII byte (line breaks, which the fast path
/// never sees but as white space, are [`Wb::Other`] here).
const fn class_of(b: u8) -> Wb {
    match b {
        b'a'..=b'z' | b'A'..=b'Z' => Wb::Letter,
        b'0'..=b'9' => Wb::Digit,
        b'_' => Wb::ExtendNumLet,
        b':' => Wb::MidLetter,
        b',' | b';' => Wb::MidNum,
        b'.' | b'\'' => Wb::MidNumLetQ,
        b' ' => Wb::Space,
        _ => Wb::Other,
    }
}

/// Byte flags for the fast path: [`WORD`] bytes always join each other
/// (WB5, WB8-WB10, WB13a/b), the `MID_*` ones join two letters or two digits
/// around them (WB6/7, WB11/12).
const WORD: u8 = 1;
const LETTER: u8 = 2;
const DIGIT: u8 = 4;
const MID_LETTER: u8 = 8;
const MID_NUM: u8 = 16;
/// Bytes [`starts_sentence`] looks through, and those that end a sentence.
const SKIP: u8 = 32;
const STOP: u8 = 64;

static FLAGS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 128 {
        t[i] = match class_of(i as u8) {
            Wb::Letter => WORD | LETTER,
            Wb::Digit => WORD | DIGIT,
            Wb::ExtendNumLet => WORD,
            Wb::MidLetter => MID_LETTER,
            Wb::MidNum => MID_NUM,
            Wb::MidNumLetQ => MID_LETTER | MID_NUM,
            Wb::Extend | Wb::Newline | Wb::Space | Wb::Other => 0,
        } | match i as u8 {
            b' ' | b'\t' | b'"' | b'\'' | b'(' | b'[' => SKIP,
            b'.' | b'!' | b'?' | b':' | b'\n' | b'\r' | b'|' | b'-' => STOP,
            _ => 0,
        };
        i += 1;
    }
    t
};

/// Bit masks of 64 bytes of plain ASCII text, byte `i` of the block in bit
/// `i`: word bytes (letters, digits, `_`), upper-case letters, digits.
#[derive(Clone, Copy, Debug, Default)]
struct Masks {
    word: u64,
    upper: u64,
    digit: u64,
    /// First bytes of runs of word bytes.
    first: u64,
    /// Last bytes of runs of word bytes.
    last: u64,
}

const ONES: u64 = 0x0101_0101_0101_0101;

/// The high bit of each byte of `x` set where `lo <= byte <= hi`. Every byte
/// is below 0x80 (plain ASCII), so the additions never carry into the next
/// byte: eight bytes are classified in a few word operations.
#[inline(always)]
fn bytes_in(x: u64, lo: u8, hi: u8) -> u64 {
    let at_least_lo = x.wrapping_add(ONES * u64::from(0x80 - lo));
    let above_hi = x.wrapping_add(ONES * u64::from(0x7f - hi));
    at_least_lo & !above_hi & (ONES * 0x80)
}

/// The high bits of the eight bytes of `flags`, packed: byte `i` to bit `i`.
/// (The multiplier's terms land every flag on a distinct bit of the top byte,
/// so no two products carry into each other.)
#[inline(always)]
fn pack(flags: u64) -> u64 {
    ((flags >> 7).wrapping_mul(0x0102_0408_1020_4080)) >> 56
}

fn block_masks(block: &[u8; 64]) -> Masks {
    let mut m = Masks::default();
    for (j, bytes) in block.chunks_exact(8).enumerate() {
        let x = u64::from_le_bytes(bytes.try_into().expect("8 bytes"));
        let letter = bytes_in(x | (ONES * 0x20), b'a', b'z');
        let digit = bytes_in(x, b'0', b'9');
        let underscore = bytes_in(x, b'_', b'_');
        m.word |= pack(letter | digit | underscore) << (8 * j);
        m.upper |= pack(bytes_in(x, b'A', b'Z')) << (8 * j);
        m.digit |= pack(digit) << (8 * j);
    }
    m
}

/// The masks of every 64-byte block of `b` (the last one padded with zero
/// bytes, which are not word bytes).
fn class_masks(b: &[u8], out: &mut Vec<Masks>) {
    out.clear();
    let blocks = b.chunks_exact(64);
    let tail = blocks.remainder();
    out.extend(blocks.map(|blk| block_masks(blk.try_into().expect("64 bytes"))));
    if !tail.is_empty() {
        let mut last = [0u8; 64];
        last[..tail.len()].copy_from_slice(tail);
        out.push(block_masks(&last));
    }
    // Run edges, with the neighbouring blocks' bits shifted in.
    let mut before = 0u64;
    for k in 0..out.len() {
        let after = out.get(k + 1).map_or(0, |m| m.word);
        let m = &mut out[k];
        m.first = m.word & !((m.word << 1) | (before >> 63));
        m.last = m.word & !((m.word >> 1) | (after << 63));
        before = m.word;
    }
}

/// Set bits of one mask field over all blocks, in order.
struct Bits<'a, F> {
    masks: &'a [Masks],
    field: F,
    block: usize,
    bits: u64,
}

impl<'a, F: Fn(&Masks) -> u64> Bits<'a, F> {
    fn new(masks: &'a [Masks], field: F) -> Self {
        let bits = masks.first().map_or(0, &field);
        Bits {
            masks,
            field,
            block: 0,
            bits,
        }
    }

    #[inline]
    fn next(&mut self) -> Option<usize> {
        while self.bits == 0 {
            self.block += 1;
            self.bits = (self.field)(self.masks.get(self.block)?);
        }
        let at = self.block * 64 + self.bits.trailing_zeros() as usize;
        self.bits &= self.bits - 1;
        Some(at)
    }
}

/// Whether positions `start..end` hold an upper-case letter, and a digit.
#[inline(always)]
fn upper_and_digit(masks: &[Masks], start: usize, end: usize) -> (bool, bool) {
    let (first, last) = (start / 64, (end - 1) / 64);
    if first == last {
        // The usual case: the token lies in one block.
        let range = (!0u64 >> (64 - (end - start))) << (start % 64);
        let m = &masks[first];
        return (m.upper & range != 0, m.digit & range != 0);
    }
    (first..=last).fold((false, false), |(upper, digit), block| {
        let lo = if block == first { start % 64 } else { 0 };
        let hi = if block == last { (end - 1) % 64 } else { 63 };
        let range = (!0u64 << lo) & (!0u64 >> (63 - hi));
        let m = &masks[block];
        (
            upper | (m.upper & range != 0),
            digit | (m.digit & range != 0),
        )
    })
}

/// The tokens of plain ASCII text, as `emit(start, end, upper, fact, digit)`:
/// byte range, whether it holds an upper-case letter, the fact flag, and
/// whether it holds a digit. Tokens
/// are runs of word bytes, found 64 at a time from bit masks (see
/// [`bytes_in`]) with no branch per byte, joined across middle characters.
#[inline(always)]
fn ascii_spans(
    b: &[u8],
    masks: &mut Vec<Masks>,
    mut emit: impl FnMut(usize, usize, bool, bool, bool),
) {
    class_masks(b, masks);
    let masks = masks.as_slice();
    let n = b.len();
    // Runs' first and last bytes come from two independent bit streams, so
    // finding one token does not wait for the previous one.
    let mut firsts = Bits::new(masks, |m| m.first);
    let mut lasts = Bits::new(masks, |m| m.last);
    while let Some(start) = firsts.next() {
        let mut last = lasts.next().expect("every run has a last byte");
        // A middle character (`.` `'` `:` `,` `;`) joins the next run when
        // the same kind (letter or digit) stands on both sides of it (UAX #29
        // WB6/7, WB11/12).
        while last + 2 < n {
            let m = FLAGS[b[last + 1] as usize];
            if m & (MID_LETTER | MID_NUM) == 0 {
                break;
            }
            let both = FLAGS[b[last] as usize] & FLAGS[b[last + 2] as usize];
            if (m & MID_LETTER != 0 && both & LETTER != 0)
                || (m & MID_NUM != 0 && both & DIGIT != 0)
            {
                firsts.next();
                last = lasts.next().expect("every run has a last byte");
            } else {
                break;
            }
        }
        let end = last + 1;
        // A run of underscores alone is not a word.
        if b[start] == b'_' && !b[start..end].iter().any(u8::is_ascii_alphanumeric) {
            continue;
        }
        let (upper, digit) = upper_and_digit(masks, start, end);
        let fact = digit
            || (upper
                && b[start].is_ascii_uppercase()
                && end - start > 1
                && !starts_sentence(b, start));
        emit(start, end, upper, fact, digit);
    }
}

/// Characters of scripts written without spaces between words.
fn is_unspaced(c: char) -> bool {
    matches!(c,
        '\u{0E00}'..='\u{0EFF}'   // Thai, Lao
        | '\u{1000}'..='\u{109F}' // Myanmar
        | '\u{1780}'..='\u{17FF}' // Khmer
        | '\u{3005}'              // ideographic iteration mark
        | '\u{3040}'..='\u{30FF}' // Hiragana, Katakana
        | '\u{31F0}'..='\u{31FF}'
        | '\u{3400}'..='\u{4DBF}' // CJK extension A
        | '\u{4E00}'..='\u{9FFF}' // CJK unified ideographs
        | '\u{F900}'..='\u{FAFF}'
        | '\u{20000}'..='\u{3FFFF}')
}

/// The tokens of `cased` (a cased normal form that is not plain ASCII),
/// as [`uax29_tokens`] finds them: by [`alphabetic_tokens`] when every
/// character is one whose word-break class it knows, else by UAX #29.
fn unicode_tokens(
    cased: &str,
    token: &mut Vec<u8>,
    units: &mut Vec<Unit>,
    emit: impl FnMut(&[u8], bool),
) {
    if units_of(cased, units) {
        alphabetic_tokens(cased, units, token, emit);
    } else {
        uax29_tokens(cased, token, emit);
    }
}

/// The word-break classes of UAX #29 that occur in ASCII and in
/// [`wb_class`]'s repertoire: alphabetic scripts written with spaces
/// (Latin, Greek, Cyrillic, Arabic) and their marks, digits and
/// punctuation.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Wb {
    /// ALetter.
    Letter,
    /// Numeric.
    Digit,
    ExtendNumLet,
    MidLetter,
    MidNum,
    /// MidNumLet and Single_Quote, which the rules treat alike.
    MidNumLetQ,
    /// Extend and Format: part of the character before them (WB4).
    Extend,
    /// The space (WSegSpace): spaces side by side are one segment (WB3d),
    /// which a mark after it can make a word.
    Space,
    /// A line break (the cased form keeps them, as `\n`).
    Newline,
    /// Anything else: a boundary on both sides.
    Other,
}

/// Every character [`wb_class`] knows is below this (a test holds it), so
/// [`CLASSES`] answers for every character.
const TABLED: u32 = 0x2600;

/// [`wb_class`] of every character below [`TABLED`], and whether it
/// [`folds_plainly`], worked out once: whether a character of those blocks
/// is a letter is a binary search in the standard library's tables, and
/// the NFKC quick check another, too slow to do for every character. A
/// character past the table is outside the repertoire.
static CLASSES: std::sync::OnceLock<Box<[Known]>> = std::sync::OnceLock::new();

/// A character's word-break class and whether it folds plainly; `None` for
/// a character outside the repertoire.
type Known = Option<(Wb, bool)>;

/// The class of `c` and whether it folds plainly, as [`CLASSES`] holds them.
fn known(c: char) -> Known {
    wb_class(c).map(|class| (class, class != Wb::Extend && folds_plainly(c)))
}

/// The word-break class of `c`, for the characters whose class is known
/// here (every one of them checked against UAX #29 by a test); `None` for
/// any other, which sends the text to the general path.
fn wb_class(c: char) -> Option<Wb> {
    if c.is_ascii() {
        return match c as u8 {
            b'\n' => Some(Wb::Newline),
            b @ b' '..=b'~' => Some(class_of(b)),
            _ => None,
        };
    }
    Some(match c {
        '\u{00B7}' | '\u{0387}' => Wb::MidLetter,
        '\u{037E}' | '\u{060C}' | '\u{060D}' | '\u{066C}' => Wb::MidNum,
        '\u{0300}'..='\u{036F}'
        | '\u{0483}'..='\u{0489}'
        | '\u{0610}'..='\u{061A}'
        | '\u{064B}'..='\u{065F}'
        | '\u{0670}'
        | '\u{06D6}'..='\u{06DC}'
        | '\u{06DF}'..='\u{06E4}'
        | '\u{06E7}'..='\u{06E8}'
        | '\u{06EA}'..='\u{06ED}' => Wb::Extend,
        '\u{0660}'..='\u{0669}' | '\u{066B}' | '\u{06F0}'..='\u{06F9}' => Wb::Digit,
        '\u{00C0}'..='\u{024F}'
        | '\u{0370}'..='\u{03FF}'
        | '\u{0400}'..='\u{052F}'
        | '\u{0620}'..='\u{064A}'
        | '\u{066E}'..='\u{06D3}'
        | '\u{1E00}'..='\u{1EFF}'
            if c.is_alphabetic() =>
        {
            Wb::Letter
        }
        '\u{00AD}' => Wb::Extend,
        '\u{00AA}' | '\u{00B5}' | '\u{00BA}' => Wb::Letter,
        // The cedilla joins the letter before it in UAX #29 (NFKC makes it
        // a space and a combining cedilla in any case).
        '\u{00B8}' => return None,
        '\u{00A1}'..='\u{00BF}'
        | '\u{00D7}'
        | '\u{00F7}'
        | '\u{0482}'
        | '\u{061B}'
        | '\u{061F}'
        | '\u{066A}'
        | '\u{06D4}'
        | '\u{2016}'..='\u{2017}'
        | '\u{2020}'..='\u{2023}'
        | '\u{2030}'..='\u{2031}'
        | '\u{20A0}'..='\u{20BF}'
        | '\u{2190}'..='\u{21FF}'
        | '\u{25A0}'..='\u{25FF}' => Wb::Other,
        _ => return None,
    })
}

/// One character of a text with the marks after it (WB4): its byte range,
/// its class, and whether it folds plainly (see [`folds_plainly`]; a unit
/// with a mark does not).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Unit {
    start: u32,
    end: u32,
    class: Wb,
    plain: bool,
}

/// The units of `text` into `units`; false when a character has no known
/// class (or the text is too long for `u32` offsets).
fn units_of(text: &str, units: &mut Vec<Unit>) -> bool {
    units.clear();
    if text.len() > u32::MAX as usize {
        return false;
    }
    let table = CLASSES.get_or_init(|| {
        (0..TABLED)
            .map(|c| char::from_u32(c).and_then(known))
            .collect()
    });
    for (i, c) in text.char_indices() {
        let Some(&Some((class, plain))) = table.get(c as usize) else {
            return false;
        };
        let end = (i + c.len_utf8()) as u32;
        match units.last_mut() {
            // WB4: a mark belongs to the character before it, but not to a
            // line break (nor, at the start, to nothing).
            Some(last) if class == Wb::Extend && last.class != Wb::Newline => {
                last.end = end;
                last.plain = false;
            }
            _ => units.push(Unit {
                start: i as u32,
                end,
                class,
                plain,
            }),
        }
    }
    true
}

/// Whether UAX #29 keeps units `i` and `i + 1` of `u` in one segment
/// (WB3d, WB5-WB13b; everything else, line breaks included, is a boundary).
fn joins(u: &[Unit], i: usize) -> bool {
    use Wb::{Digit, ExtendNumLet, Letter, MidLetter, MidNum, MidNumLetQ, Space};
    let after = u.get(i + 2).map(|x| x.class);
    let before = i.checked_sub(1).map(|j| u[j].class);
    match (u[i].class, u[i + 1].class) {
        (Letter | Digit, Letter | Digit)
        | (Letter | Digit | ExtendNumLet, ExtendNumLet)
        | (ExtendNumLet, Letter | Digit) => true,
        // WB3d joins two spaces side by side; it comes before WB4, so not a
        // space whose unit took a mark.
        (Space, Space) => u[i].end - u[i].start == 1,
        // WB6, WB11: a letter (digit) and a middle mark before a letter (digit).
        (Letter, MidLetter | MidNumLetQ) => after == Some(Letter),
        (Digit, MidNum | MidNumLetQ) => after == Some(Digit),
        // WB7, WB12: the middle mark after a letter (digit), before one.
        (MidLetter | MidNumLetQ, Letter) if before == Some(Letter) => true,
        (MidNum | MidNumLetQ, Digit) => before == Some(Digit),
        _ => false,
    }
}

/// The tokens of `cased` from its units (see [`units_of`]): the segments
/// UAX #29 finds, those holding a letter or digit, as [`uax29_tokens`]
/// emits them. The repertoire has no script written without spaces.
fn alphabetic_tokens(
    cased: &str,
    units: &[Unit],
    token: &mut Vec<u8>,
    mut emit: impl FnMut(&[u8], bool),
) {
    let mut first = 0;
    for i in 0..units.len() {
        if i + 1 < units.len() && joins(units, i) {
            continue;
        }
        let word = &cased[units[first].start as usize..units[i].end as usize];
        // A letter makes it a word; else (digits, or marks that are letters
        // after a line break) the characters tell.
        let letter = units[first..=i].iter().any(|u| u.class == Wb::Letter);
        if letter || word.chars().any(char::is_alphanumeric) {
            let check = !units[first..=i].iter().all(|u| u.plain);
            // No letter of the repertoire, nor its marks, is numeric (the
            // test of every known character in every context holds it): only
            // the other units are looked up.
            let numeric = units[first..=i]
                .iter()
                .filter(|u| u.class != Wb::Letter)
                .any(|u| {
                    cased[u.start as usize..u.end as usize]
                        .chars()
                        .any(char::is_numeric)
                });
            emit_word(
                cased,
                units[first].start as usize,
                word,
                numeric,
                check,
                token,
                &mut emit,
            );
        }
        first = i + 1;
    }
}

/// Emits the lower-cased `word` found at byte `start` of `cased`, with its
/// fact flag; `numeric`: whether it holds a numeric character (a number is a
/// fact); `check`: whether its folded form may need NFKC again (see
/// [`fold_case_into`]).
fn emit_word(
    cased: &str,
    start: usize,
    word: &str,
    numeric: bool,
    check: bool,
    token: &mut Vec<u8>,
    emit: &mut impl FnMut(&[u8], bool),
) {
    token.clear();
    fold_case_into(word, token, check);
    let mut chars = word.chars();
    let first = chars.next().is_some_and(char::is_uppercase);
    let fact =
        numeric || (first && chars.next().is_some() && !starts_sentence(cased.as_bytes(), start));
    emit(token, fact);
}

/// The tokens of `cased` by UAX #29 word boundaries, with runs of unspaced
/// scripts cut into bigrams: the general path, and the reference the
/// faster ones are held to.
fn uax29_tokens(cased: &str, token: &mut Vec<u8>, mut emit: impl FnMut(&[u8], bool)) {
    // A run of unspaced-script characters, as (start, end) byte offsets of its
    // characters in `normalized`; bigrams are cut from it when it ends.
    let mut run: Vec<(usize, usize)> = Vec::new();
    let mut run_end = usize::MAX;
    let flush =
        |run: &mut Vec<(usize, usize)>, token: &mut Vec<u8>, emit: &mut dyn FnMut(&[u8], bool)| {
            match run.len() {
                0 => {}
                1 => emit(&cased.as_bytes()[run[0].0..run[0].1], false),
                _ => {
                    for w in run.windows(2) {
                        token.clear();
                        token.extend_from_slice(&cased.as_bytes()[w[0].0..w[1].1]);
                        emit(token, false);
                    }
                }
            }
            run.clear();
        };
    for (start, word) in cased.unicode_word_indices() {
        let unspaced = word.chars().next().is_some_and(is_unspaced);
        if unspaced {
            if start != run_end {
                flush(&mut run, token, &mut emit);
            }
            for (o, c) in word.char_indices() {
                run.push((start + o, start + o + c.len_utf8()));
            }
            run_end = start + word.len();
        } else {
            flush(&mut run, token, &mut emit);
            let numeric = word.chars().any(char::is_numeric);
            emit_word(cased, start, word, numeric, true, token, &mut emit);
        }
    }
    flush(&mut run, token, &mut emit);
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::text::normalize::normalize_into;

    /// The general path, used as the oracle for the ASCII fast path.
    fn slow(text: &str) -> Vec<(String, bool)> {
        let mut cased = String::new();
        normalize_cased_into(text, &mut cased);
        uax29(&cased)
    }

    /// The tokens [`for_each_token`] gives, whichever path it takes.
    fn tokens_of(text: &str) -> Vec<(String, bool)> {
        let mut out = Vec::new();
        for_each_token(text, &mut TokenScratch::default(), |t, f| {
            out.push((String::from_utf8(t.to_vec()).unwrap(), f));
        });
        out
    }

    fn fast(text: &str) -> Vec<(String, bool)> {
        let mut out = Vec::new();
        ascii_spans(text.as_bytes(), &mut Vec::new(), |start, end, _, f, _| {
            out.push((text[start..end].to_ascii_lowercase(), f))
        });
        out
    }

    /// Words of the normalised text, by UAX #29 alone: what the tokeniser
    /// promises for text without unspaced scripts.
    fn words_of_normalized(text: &str) -> Vec<String> {
        let mut norm = String::new();
        normalize_into(text, &mut norm);
        norm.unicode_words().map(str::to_owned).collect()
    }

    /// The tokens of `cased` by [`unicode_tokens`], and whether the
    /// alphabetic segmenter took them.
    fn alphabetic(cased: &str) -> (Vec<(String, bool)>, bool) {
        let mut out = Vec::new();
        let mut units = Vec::new();
        let taken = units_of(cased, &mut units);
        unicode_tokens(cased, &mut Vec::new(), &mut units, |t, f| {
            out.push((String::from_utf8(t.to_vec()).unwrap(), f))
        });
        (out, taken)
    }

    fn uax29(cased: &str) -> Vec<(String, bool)> {
        let mut out = Vec::new();
        uax29_tokens(cased, &mut Vec::new(), |t, f| {
            out.push((String::from_utf8(t.to_vec()).unwrap(), f))
        });
        out
    }

    /// Every character [`wb_class`] knows, in every context the rules look
    /// at (letters, digits, marks, middle marks, `_`, spaces and line
    /// breaks on either side, of three scripts): the alphabetic segmenter
    /// gives the tokens and facts of UAX #29.
    #[test]
    fn every_character_of_the_repertoire_segments_as_uax29_does() {
        let contexts = [
            "{}",
            "a{}",
            "{}a",
            "a{}a",
            "1{}1",
            "a{}1",
            "1{}a",
            "_{}_",
            "{}_",
            "_{}",
            "a:{}",
            "{}:a",
            "a.{}",
            "{}.a",
            "1,{}",
            "{},1",
            "1.{}",
            "{}.1",
            "a'{}",
            "{}'a",
            "{}\u{301}a",
            "a\u{301}{}",
            "{}\u{301}",
            " {}",
            "  {}",
            " {} ",
            "{} ",
            "\n{}",
            "{}\n",
            "\n{}\u{301}",
            "{}{}",
            "a{}{}a",
            "1{}{}1",
            "б{}б",
            "ب{}ب",
            "١{}١",
            "Xy {}Z",
            "Ab. {}Cd",
            "{}Ab {}",
            "{}·a",
            "a·{}",
            "{}؍١",
        ];
        assert!(
            (TABLED..=u32::from(char::MAX))
                .filter_map(char::from_u32)
                .all(|c| wb_class(c).is_none()),
            "a known character past the table"
        );
        let mut checked = 0;
        for c in (0..TABLED).filter_map(char::from_u32) {
            if wb_class(c).is_none() {
                continue;
            }
            for context in contexts {
                let text = context.replace("{}", c.encode_utf8(&mut [0; 4]));
                let (got, taken) = alphabetic(&text);
                assert!(taken, "{c:?} in {text:?}");
                assert_eq!(
                    got,
                    uax29(&text),
                    "{:?} (U+{:04X}) in {text:?}",
                    c,
                    c as u32
                );
                checked += 1;
            }
        }
        assert!(checked > 70_000, "{checked}");
    }

    proptest::proptest! {
        #[test]
        fn alphabetic_text_segments_as_uax29_does(
            s in "[a-zA-Z0-9 .,:;'_\n\u{b7}à-ÿĀ-žΑ-ΡΣ-Ωα-ωά-ώА-яЁёЇїІіЄєҐґ\u{483}\u{301}\u{308}ابتثجحخدذرزسشصضطظعغفقكلمنهوي\u{64b}-\u{652}\u{660}-\u{669}\u{60c}\u{66b}\u{66c}ạảấầẩẫậ€°«»-]{0,60}"
        ) {
            let (got, taken) = alphabetic(&s);
            proptest::prop_assert!(taken);
            proptest::prop_assert_eq!(got, uax29(&s));
        }

        #[test]
        fn non_ascii_text_is_tokenised_as_the_general_path_does(
            s in "[a-zA-Z0-9 .,:;'\n\u{a0}’“”—à-ÿΑ-ωА-яابت\u{301}\u{200b}ß中国東京שלום🔥]{0,60}"
        ) {
            proptest::prop_assert_eq!(tokens_of(&s), slow(&s));
        }
    }

    #[test]
    fn table() {
        let cases: &[(&str, &str, &[&str])] = &[
            ("empty", "", &[]),
            ("whitespace only", " \t\n ", &[]),
            ("punctuation only", "-- ... !!", &[]),
            ("simple", "The cat sat.", &["the", "cat", "sat"]),
            (
                "apostrophe",
                "Obama's aides can't",
                &["obama's", "aides", "can't"],
            ),
            ("curly apostrophe", "Obama’s", &["obama's"]),
            ("thousands", "3,200 people", &["3,200", "people"]),
            ("decimal and unit", "$3.2bn deal", &["3.2bn", "deal"]),
            ("percent", "up 4.5%", &["up", "4.5"]),
            ("alnum", "G20 summit", &["g20", "summit"]),
            ("hyphen splits", "war-torn", &["war", "torn"]),
            ("abbreviation", "U.S. troops", &["u.s", "troops"]),
            ("colon joins letters", "a:b 10:30", &["a:b", "10", "30"]),
            ("trailing separators", "end. 5, 6", &["end", "5", "6"]),
            ("underscore", "snake_case __x _", &["snake_case", "__x"]),
            ("accents", "Café Zürich", &["café", "zürich"]),
            ("combining marks", "Cafe\u{0301}", &["café"]),
            ("emoji dropped", "fire 🔥 alarm", &["fire", "alarm"]),
            ("arabic", "السلام عليكم", &["السلام", "عليكم"]),
            ("hebrew", "שלום עולם", &["שלום", "עולם"]),
            ("chinese bigrams", "杭州峰会", &["杭州", "州峰", "峰会"]),
            ("lone ideograph", "中 国", &["中", "国"]),
            ("japanese", "東京で会談", &["東京", "京で", "で会", "会談"]),
            ("thai", "สวัสดี", &["สว", "วั", "ัส", "สด", "ดี"]),
            (
                "mixed scripts",
                "G20峰会 in Hangzhou",
                &["g20", "峰会", "in", "hangzhou"],
            ),
            ("russian", "Путин и Обама", &["путин", "и", "обама"]),
            ("fullwidth digits", "１２３ ｋｍ", &["123", "km"]),
        ];
        for (name, input, expected) in cases {
            assert_eq!(tokenize(input), *expected, "case {name:?}");
        }
    }

    #[test]
    fn fast_path_matches_general_path_on_tricky_ascii() {
        let cases = [
            "a.b.c",
            "1.a",
            "a.1",
            "1,2,3",
            "1,,2",
            "a''b",
            "a'.b",
            "x_1_y",
            "_",
            "__a",
            "a:",
            ":a",
            "'a'",
            "3.2bn",
            "a\r\nb",
            "x.y.",
            "e.g. i.e.",
            "1;2",
            "a;b",
            "1:2",
            "a_.b",
            "'tis",
            "o'neill's",
            "10.5.6",
            "a1.b2",
            "1a.2b",
        ];
        for case in cases {
            assert_eq!(fast(case), slow(case), "input {case:?}");
        }
    }

    #[test]
    fn masks_match_the_byte_classes() {
        let bytes: Vec<u8> = (0u8..128).collect();
        let mut masks = Vec::new();
        class_masks(&bytes, &mut masks);
        for c in 0u8..128 {
            let m = masks[c as usize / 64];
            let bit = |word: u64| word >> (c % 64) & 1 == 1;
            assert_eq!(bit(m.word), FLAGS[c as usize] & WORD != 0, "byte {c}");
            assert_eq!(bit(m.upper), c.is_ascii_uppercase(), "byte {c}");
            assert_eq!(bit(m.digit), c.is_ascii_digit(), "byte {c}");
        }
    }

    #[test]
    fn fact_flags() {
        let cases: &[(&str, &str, &[&str])] = &[
            ("sentence start is not a fact", "The cat. The Dog", &["dog"]),
            (
                "names mid-sentence",
                "talks with Vladimir Putin",
                &["vladimir", "putin"],
            ),
            (
                "numbers",
                "killed 300,000 people in 2016",
                &["300,000", "2016"],
            ),
            (
                "quoted start",
                "He said: \"Yes\" and \"No Way\"",
                &["no", "way"],
            ),
            ("single letters skipped", "and I went to A", &[]),
            ("accented name", "met Éric Zemmour", &["éric", "zemmour"]),
            ("cyrillic", "встреча с Путиным", &["путиным"]),
            ("line start", "first\nSecond word Here", &["here"]),
        ];
        for (name, input, expected) in cases {
            assert_eq!(super::facts(input), *expected, "case {name:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn fast_path_matches_general_path(s in "[a-zA-Z0-9 .,:;'_\"$%\t\n-]{0,40}|[ -~\t\n\r]{60,300}") {
            proptest::prop_assume!(is_plain_ascii(s.as_bytes()));
            proptest::prop_assert_eq!(fast(&s), slow(&s));
        }

        #[test]
        fn typographic_text_takes_the_fast_path_with_the_general_paths_tokens(
            s in "[a-zA-Z0-9 .,:;'_\"\n\u{a0}’‘“”—–…-]{0,60}"
        ) {
            proptest::prop_assert_eq!(tokens_of(&s), slow(&s));
        }

        #[test]
        fn tokens_are_the_words_of_the_normalized_text(
            s in "[a-zA-Zà-ÿÀ-ÖΑ-Ωα-ωА-я0-9 .,:;'_\"’“”—\u{0301}\u{200B}ßİ-]{0,40}"
        ) {
            proptest::prop_assert_eq!(tokenize(&s), words_of_normalized(&s));
        }

        #[test]
        fn token_hashes_are_the_hashes_of_the_tokens(
            s in "[ -~\t\n]{0,300}|([a-zA-Z0-9]{1,24}[ .,']{1,2}){0,30}|[a-zA-Zà-ÿ0-9 .,'’—-]{0,60}|[a-zA-Z0-9 .,'\u{a0}’“”—]{0,60}",
            seed: u64,
        ) {
            let (mut words, mut facts) = (Vec::new(), Vec::new());
            let mut expected = (Vec::new(), Vec::new());
            for_each_token(&s, &mut TokenScratch::default(), |t, fact| {
                let h = xxh3_64_with_seed(t, seed);
                expected.0.push(h);
                if fact {
                    expected.1.push((h >> 32) as u32);
                }
            });
            // One scratch for two texts: nothing of the first may leak into the second.
            let mut scratch = TokenScratch::default();
            token_hashes("Some Earlier Text, with 12 words of Various lengths", seed, &mut scratch, &mut words, &mut facts);
            token_hashes(&s, seed, &mut scratch, &mut words, &mut facts);
            proptest::prop_assert_eq!((words, facts), expected);
        }

        #[test]
        fn ascii_tokens_are_the_tokens_with_their_fact_and_digit_flags(
            s in "[ -~\t\n]{0,300}|[a-zA-Z0-9 .,:;'_\"\n\u{a0}’‘“”—–…-]{0,60}|[a-zA-Zà-ÿ0-9 .,'’—-]{0,60}",
        ) {
            let mut expected = Vec::new();
            for_each_token(&s, &mut TokenScratch::default(), |t, fact| {
                expected.push((t.to_vec(), fact, t.iter().any(u8::is_ascii_digit)));
            });
            // One scratch for two texts: nothing of the first may leak into the second.
            let mut scratch = TokenScratch::default();
            let _ = ascii_tokens("Earlier Text: 12 words, 3.5 of them Names", &mut scratch);
            let mut got = Vec::new();
            match ascii_tokens(&s, &mut scratch) {
                Ok(t) => {
                    for (i, &(start, end)) in t.spans.iter().enumerate() {
                        let i = i as u32;
                        let token = t.lower[start as usize..end as usize].to_vec();
                        got.push((token, t.facts.contains(&i), t.digits.contains(&i)));
                    }
                    proptest::prop_assert!(t.facts.windows(2).all(|w| w[0] < w[1]));
                    proptest::prop_assert!(t.digits.windows(2).all(|w| w[0] < w[1]));
                }
                Err(other) => other.for_each(|t, fact| {
                    got.push((t.to_vec(), fact, t.iter().any(u8::is_ascii_digit)));
                }),
            }
            proptest::prop_assert_eq!(got, expected);
        }
    }
}
