//! Unicode normalisation of article text.
//!
//! The steps, in order: NFKC (fullwidth forms, ligatures and compatibility
//! characters become their plain letters), case folding, unified quotes and
//! dashes, removal of control and invisible format characters, and runs of
//! white space collapsed to one ASCII space with the ends trimmed. Digits and
//! number separators are kept as they are: in news "3,200" and "3.2bn" carry
//! meaning.
//!
//! The function is idempotent (`normalize(normalize(x)) == normalize(x)`, a
//! property test checks it) and versioned by [`NORMALIZER_VERSION`], which every
//! signature records so that a changed normaliser is never silently mixed with
//! signatures made by an older one.

use unicode_normalization::{is_nfkc_quick, IsNormalized, UnicodeNormalization};

/// Version of the normalisation and tokenisation rules. Bump it whenever
/// [`normalize`] or [`tokenize`](crate::text::tokenize) changes its output for
/// any input.
pub const NORMALIZER_VERSION: u16 = 1;

/// Returns the normalised form of `text`.
///
/// # Example
/// ```
/// use storyhash::text::normalize;
/// assert_eq!(normalize("  “Straße”  —  ＧＡＴＥ\u{200B}WAY "), "\"strasse\" - gateway");
/// ```
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    normalize_into(text, &mut out);
    out
}

/// Writes the normalised form of `text` into `out`, replacing its contents.
///
/// This is [`normalize`] without the allocation, for hot loops.
pub fn normalize_into(text: &str, out: &mut String) {
    normalize_form(text, out, true);
}

/// Every step of [`normalize_into`] but case folding: the tokeniser segments
/// this form, so that it can tell capitalised words (names) apart, and folds
/// the case of each token with [`fold_case_into`].
pub(crate) fn normalize_cased_into(text: &str, out: &mut String) {
    normalize_form(text, out, false);
}

/// NFKC, then [`fold`] (with `lower`, case folding too), into `out`.
fn normalize_form(text: &str, out: &mut String, lower: bool) {
    if nfkc_but_for_white_space(text) {
        fold_str(text, out, lower);
    } else {
        fold(text.nfkc(), out, lower);
    }
    // Lower-casing can, for a handful of characters, produce a sequence that
    // is not in NFKC (and NFKC can reintroduce upper case compatibility
    // letters), and removing an invisible character can join a letter and a
    // combining mark that NFKC would compose. One more round makes the
    // function idempotent; it is a no-op on real text.
    if !quick_check_is_yes(out, |_| false) {
        let again: String = out.nfkc().collect();
        fold(again.chars(), out, lower);
    }
}

/// Whether NFKC leaves `text` as it is but for white space: then
/// `fold(text.chars())` is `fold(text.nfkc())`, and the slow NFKC pass is
/// skipped.
///
/// NFKC maps the fixed-width spaces (no-break space, thin space, ideographic
/// space) to a plain space, which [`fold`] makes of any white space anyway,
/// and a space composes with nothing. The quick check, run on the text's
/// other non-ASCII characters (see [`quick_check_is_yes`]), can only be
/// stricter than on the whole text. News text that is plain but for a
/// no-break space (875 of the 900 AllSides excerpts not already in NFKC)
/// takes this path.
fn nfkc_but_for_white_space(text: &str) -> bool {
    quick_check_is_yes(text, |c| c.is_whitespace())
}

/// Whether the NFKC quick check says yes to the non-ASCII characters of
/// `text` but those `skip` is true of. Leaving characters out can only make
/// the check stricter: each character keeps its own answer, and taking a
/// starter (any ASCII character, a space) away from between two marks can
/// put them out of order, never into it. A yes here is a yes on the whole
/// text; ASCII is skipped a byte at a time without decoding.
fn quick_check_is_yes(text: &str, skip: impl Fn(char) -> bool) -> bool {
    let bytes = text.as_bytes();
    let mut at = 0;
    let others = std::iter::from_fn(|| {
        at += ascii_run(&bytes[at..], false);
        let c = text[at..].chars().next()?;
        at += c.len_utf8();
        Some(c)
    });
    nfkc_quick_yes(others.filter(|&c| !skip(c)))
}

/// Characters below this have their [`QUICK_CHECK`] entry.
const QC_TABLED: u32 = 0xA000;

/// Of each character below [`QC_TABLED`] (Latin to CJK), its canonical
/// combining class (low byte) and whether the NFKC quick check says yes to
/// it alone (bit 8), worked out once: the quick check looks both up in
/// tables searched character by character, and text in other scripts than
/// Latin is checked at every character, twice (before and after folding).
static QUICK_CHECK: std::sync::OnceLock<Box<[u16]>> = std::sync::OnceLock::new();

/// The combining class of `c` and whether the NFKC quick check says yes
/// to it alone.
fn quick_check_entry(c: char) -> (u8, bool) {
    (
        unicode_normalization::char::canonical_combining_class(c),
        is_nfkc_quick(std::iter::once(c)) == IsNormalized::Yes,
    )
}

/// Whether the NFKC quick check says yes to `chars`: as `is_nfkc_quick`,
/// with each character's entries from [`QUICK_CHECK`]. Yes when every
/// character (but ASCII, which is always yes) is yes alone and no mark
/// follows one of a higher combining class.
fn nfkc_quick_yes(chars: impl Iterator<Item = char>) -> bool {
    let table = QUICK_CHECK.get_or_init(|| {
        (0..QC_TABLED)
            .map(|u| {
                char::from_u32(u).map_or(0, |c| {
                    let (class, yes) = quick_check_entry(c);
                    u16::from(class) | u16::from(yes) << 8
                })
            })
            .collect()
    });
    let mut last = 0u8;
    for c in chars {
        if c.is_ascii() {
            last = 0;
            continue;
        }
        let (class, yes) = match table.get(c as usize) {
            Some(&e) => (e as u8, e >> 8 == 1),
            None => quick_check_entry(c),
        };
        if !yes || (last > class && class != 0) {
            return false;
        }
        last = class;
    }
    true
}

/// The length of the longest prefix of `b` that is ASCII, or with
/// `printable` printable ASCII and spaces (`b' '..=b'~'`): eight bytes at a
/// time, where a search byte by byte takes a branch a byte.
fn ascii_run(b: &[u8], printable: bool) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    let belongs = |c: &u8| {
        if printable {
            (b' '..=b'~').contains(c)
        } else {
            c.is_ascii()
        }
    };
    // In other scripts than Latin a run is mostly empty: told by one byte.
    if !b.first().is_some_and(belongs) {
        return 0;
    }
    let words = b.chunks_exact(8);
    let tail = words.remainder();
    for (i, w) in words.enumerate() {
        let x = u64::from_le_bytes(w.try_into().expect("8 bytes"));
        // The high bit of a byte set when it is not ASCII, or, adding 1 or
        // taking 0x20, when it is DEL or a control character. A carry or a
        // borrow crosses into the next byte only from such a byte, so the
        // lowest one flagged is the first that does not belong.
        let other = if printable {
            x | x.wrapping_add(ONES) | x.wrapping_sub(ONES * 0x20)
        } else {
            x
        };
        let flagged = other & (ONES * 0x80);
        if flagged != 0 {
            return 8 * i + (flagged.trailing_zeros() / 8) as usize;
        }
    }
    let at = b.len() - tail.len();
    at + tail.iter().position(|c| !belongs(c)).unwrap_or(tail.len())
}

/// Appends the case-folded form of `word` to `out`, as [`normalize`] folds
/// it. `check`: whether the folded word may need NFKC again; it may be
/// false only when every character of `word` [`folds_plainly`].
pub(crate) fn fold_case_into(word: &str, out: &mut Vec<u8>, check: bool) {
    let start = out.len();
    let mut buf = [0u8; 4];
    let table = lower_table();
    for c in word.chars() {
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase() as u8);
        } else if let Some(l) = tabled_lower(table, c) {
            out.extend_from_slice(l.encode_utf8(&mut buf).as_bytes());
        } else {
            for l in lower_case(c) {
                out.extend_from_slice(l.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
    // As in `normalize_into`: a folded letter can compose with a following mark.
    if check && !word.is_ascii() {
        if let Ok(folded) = std::str::from_utf8(&out[start..]) {
            if !nfkc_quick_yes(folded.chars()) {
                let composed: String = folded.nfkc().collect();
                out.truncate(start);
                out.extend_from_slice(composed.as_bytes());
            }
        }
    }
}

/// Characters below this have their [`LOWER`] entry.
const LOWER_TABLED: u32 = 0x2600;

/// The case folding of each character below [`LOWER_TABLED`] (the alphabetic
/// scripts written with spaces) that folds to one character, `'\0'` for
/// the others, worked out once: [`lower_case`] searches the standard
/// library's tables at every character.
static LOWER: std::sync::OnceLock<Box<[char]>> = std::sync::OnceLock::new();

/// [`LOWER`], worked out at the first call.
fn lower_table() -> &'static [char] {
    LOWER.get_or_init(|| {
        (0..LOWER_TABLED)
            .map(|u| char::from_u32(u).and_then(one_lower).unwrap_or('\0'))
            .collect()
    })
}

/// The one-character case folding of `c` when `table` ([`lower_table`])
/// holds it.
#[inline]
fn tabled_lower(table: &[char], c: char) -> Option<char> {
    table.get(c as usize).copied().filter(|&l| l != '\0')
}

/// The case folding of `c` when it is one character.
fn one_lower(c: char) -> Option<char> {
    let mut l = lower_case(c);
    l.next().filter(|_| l.next().is_none())
}

/// The case folding of one character (full folding where plain lower-casing
/// keeps a distinct letter).
fn lower_case(c: char) -> impl Iterator<Item = char> {
    let special = match c {
        'ß' | 'ẞ' => Some("ss"),
        'ς' => Some("σ"),
        _ => None,
    };
    let plain = special.is_none().then(|| c.to_lowercase());
    special
        .into_iter()
        .flat_map(str::chars)
        .chain(plain.into_iter().flatten())
}

/// Whether `c` folds to characters that each pass the NFKC quick check
/// alone and combine with nothing (canonical combining class 0). A word of
/// such characters folds to a word the quick check passes whole, so
/// [`fold_case_into`]'s NFKC step would leave it as it is.
pub(crate) fn folds_plainly(c: char) -> bool {
    lower_case(c).all(|l| quick_check_entry(l) == (0, true))
}

/// NFKC'd characters to `out`: invisible characters removed, quotes and
/// dashes unified, white space collapsed, and, with `lower`, case folded.
fn fold(chars: impl Iterator<Item = char>, out: &mut String, lower: bool) {
    let mut folder = Folder::new(out, lower);
    for c in chars {
        folder.push(c);
    }
}

/// [`fold`] of `text.chars()`, with each run of printable ASCII (most of
/// any news text) copied whole instead of a character at a time.
fn fold_str(text: &str, out: &mut String, lower: bool) {
    let mut folder = Folder::new(out, lower);
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        // Printable ASCII and spaces: most of a text that is not plain
        // ASCII is, and single spaces between printable characters fold to
        // themselves, so a run of words is written at once, not word by word.
        let run = ascii_run(&bytes[i..], true);
        if run > 0 {
            // A run ends at an ASCII byte or a character's first byte.
            folder.push_spaced(&text[i..i + run]);
            i += run;
            continue;
        }
        // Not printable ASCII: a character starts here.
        let Some(c) = text[i..].chars().next() else {
            break;
        };
        folder.push(c);
        i += c.len_utf8();
    }
}

/// The state of [`fold`]: the output and the white space seen since the
/// last character written.
struct Folder<'a> {
    out: &'a mut String,
    lower: bool,
    /// 0: no pending white space, 1: a space, 2: a line break (kept as such
    /// in the cased form, where it marks where sentences may start).
    pending: u8,
}

impl<'a> Folder<'a> {
    fn new(out: &'a mut String, lower: bool) -> Self {
        out.clear();
        Folder {
            out,
            lower,
            pending: 0,
        }
    }

    /// Writes the white space pending before the next character.
    #[inline]
    fn flush(&mut self) {
        if self.pending > 0 {
            if !self.out.is_empty() {
                self.out.push(if self.pending == 2 { '\n' } else { ' ' });
            }
            self.pending = 0;
        }
    }

    /// Printable ASCII characters (no white space, no controls), which fold
    /// to themselves or their lower case.
    #[inline]
    fn push_graphic(&mut self, run: &str) {
        self.flush();
        let start = self.out.len();
        self.out.push_str(run);
        if self.lower {
            self.out[start..].make_ascii_lowercase();
        }
    }

    /// Printable ASCII characters and spaces: spaces at either end pend,
    /// and the characters between go out with each run of spaces among
    /// them made one.
    fn push_spaced(&mut self, run: &str) {
        let start = run.trim_start_matches(' ');
        if start.len() < run.len() {
            self.pending = self.pending.max(1);
        }
        let words = start.trim_end_matches(' ');
        if words.contains("  ") {
            for word in words.split(' ').filter(|w| !w.is_empty()) {
                self.push_graphic(word);
                self.pending = 1;
            }
            self.pending = 0;
        } else if !words.is_empty() {
            self.push_graphic(words);
        }
        if words.len() < start.len() {
            self.pending = 1;
        }
    }

    fn push(&mut self, c: char) {
        if c.is_whitespace() {
            let brk = !self.lower
                && matches!(
                    c,
                    '\n' | '\r' | '\u{2028}' | '\u{2029}' | '\u{0B}' | '\u{0C}' | '\u{85}'
                );
            self.pending = self.pending.max(if brk { 2 } else { 1 });
            return;
        }
        if is_invisible(c) {
            return;
        }
        self.flush();
        if c.is_ascii() {
            self.out.push(if self.lower {
                c.to_ascii_lowercase()
            } else {
                c
            });
        } else if let Some(p) = fold_punctuation(c) {
            self.out.push(p);
        } else if !self.lower {
            self.out.push(c);
        } else if let Some(l) = tabled_lower(lower_table(), c) {
            self.out.push(l);
        } else {
            self.out.extend(lower_case(c));
        }
    }
}

/// Control characters and invisible format characters that carry no text:
/// zero-width space and joiners, soft hyphen, byte order mark, bidi controls.
fn is_invisible(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{00AD}'
                | '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{2069}'
                | '\u{FEFF}'
        )
}

/// Typographic quotes and dashes mapped to their ASCII forms.
fn fold_punctuation(c: char) -> Option<char> {
    Some(match c {
        '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' | '\u{2032}' | '\u{00B4}'
        | '\u{02BC}' => '\'',
        '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{201F}' | '\u{2033}' | '\u{00AB}'
        | '\u{00BB}' | '\u{301D}' | '\u{301E}' => '"',
        '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{FE58}' | '\u{FE63}' => '-',
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn ascii_runs_end_at_the_first_byte_outside(
            // Mostly printable, so that runs cross several words of eight.
            b in proptest::collection::vec(
                proptest::prop_oneof![8 => 0x20u8..0x7f, 1 => proptest::prelude::any::<u8>()],
                0..40,
            ),
            printable: bool,
        ) {
            let belongs = |c: &u8| if printable { (b' '..=b'~').contains(c) } else { c.is_ascii() };
            let expected = b.iter().position(|c| !belongs(c)).unwrap_or(b.len());
            proptest::prop_assert_eq!(ascii_run(&b, printable), expected);
        }

        #[test]
        fn the_tabled_quick_check_answers_as_the_crate_does(
            s in "[a \u{300}-\u{36f}\u{591}-\u{5c7}\u{610}-\u{65f}\u{93c}-\u{94d}éÅﬁＧ\u{2126}\u{212b}\u{3099}\u{309a}\u{f900}-\u{f910}\u{ac00}-\u{ac10}\u{1100}-\u{1112}\u{1161}-\u{1175}\u{1d15e}-\u{1d165}\u{4e00}-\u{4e10}\u{2f800}-\u{2f810}]{0,12}"
        ) {
            // Marks of many combining classes in any order, compatibility
            // characters, Hangul syllables and jamo, CJK ideographs (tabled)
            // and those past the table.
            proptest::prop_assert_eq!(
                nfkc_quick_yes(s.chars()),
                is_nfkc_quick(s.chars()) == IsNormalized::Yes
            );
        }

        #[test]
        fn runs_of_words_and_spaces_fold_as_characters_do(s in "[aB. \u{a0}\n\t“—]{0,40}") {
            // Few characters, so that runs of spaces inside, before and after
            // the runs of printable ASCII are common.
            for lower in [false, true] {
                let (mut runs, mut chars) = (String::new(), String::new());
                fold_str(&s, &mut runs, lower);
                fold(s.chars(), &mut chars, lower);
                proptest::prop_assert_eq!(runs, chars);
            }
        }

        #[test]
        fn white_space_nfkc_leaves_alone_is_folded_as_nfkc_makes_it(
            s in "[a-zA-Z0-9 .'\n\t\r\u{7}\u{7f}~\u{a0}\u{2000}-\u{200b}\u{202f}\u{205f}\u{3000}\u{2028}\u{85}\u{1680}\u{301}\u{316}\u{308}éÅ\u{b4}\u{2026}ﬁＧ“”—-]{0,24}"
        ) {
            for lower in [false, true] {
                let mut fast = String::new();
                if lower {
                    normalize_into(&s, &mut fast);
                } else {
                    normalize_cased_into(&s, &mut fast);
                }
                let mut slow = String::new();
                fold(s.nfkc(), &mut slow, lower);
                if is_nfkc_quick(slow.chars()) != IsNormalized::Yes {
                    let again: String = slow.nfkc().collect();
                    fold(again.chars(), &mut slow, lower);
                }
                proptest::prop_assert_eq!(fast, slow);
                let (mut runs, mut chars) = (String::new(), String::new());
                fold_str(&s, &mut runs, lower);
                fold(s.chars(), &mut chars, lower);
                proptest::prop_assert_eq!(runs, chars);
            }
        }
    }

    #[test]
    fn the_tabled_case_folding_is_the_folding_of_each_character() {
        let mut out = Vec::new();
        for c in (0..LOWER_TABLED + 0x100).filter_map(char::from_u32) {
            out.clear();
            let word = c.to_string();
            fold_case_into(&word, &mut out, false);
            let expected: String = lower_case(c).collect();
            assert_eq!(out, expected.as_bytes(), "{c:?}");
            // The folder lower-cases the characters it keeps as they are.
            if !c.is_ascii()
                && !c.is_whitespace()
                && !is_invisible(c)
                && fold_punctuation(c).is_none()
            {
                let mut folded = String::new();
                fold(word.chars(), &mut folded, true);
                assert_eq!(folded, expected, "{c:?}");
            }
        }
    }

    #[test]
    fn the_tabled_quick_check_orders_marks_as_the_crate_does() {
        // Hebrew points of classes 21 and 10, each yes alone, either side of
        // a letter (ASCII or not) and side by side.
        for s in [
            "\u{5b4}a\u{5b0}",
            "\u{5b4}\u{5d0}\u{5b0}",
            "\u{5b4}\u{5b0}",
            "\u{5b0}\u{5b4}",
        ] {
            let crate_says = is_nfkc_quick(s.chars()) == IsNormalized::Yes;
            assert_eq!(nfkc_quick_yes(s.chars()), crate_says, "{s:?}");
        }
        assert!(!nfkc_quick_yes("\u{5b4}\u{5b0}".chars()));
    }

    #[test]
    fn table() {
        let cases: &[(&str, &str, &str)] = &[
            ("empty", "", ""),
            ("whitespace only", " \t\n\u{00A0}\u{3000} ", ""),
            ("ascii case", "Obama MET Putin", "obama met putin"),
            ("collapse spaces", "a  \t b\n\nc", "a b c"),
            ("trim", "  a b  ", "a b"),
            ("accents kept", "Café Zürich", "café zürich"),
            ("combining marks composed", "Cafe\u{0301}", "café"),
            (
                "curly quotes",
                "\u{2018}a\u{2019} \u{201C}b\u{201D}",
                "'a' \"b\"",
            ),
            ("guillemets", "«oui»", "\"oui\""),
            ("dashes", "a\u{2013}b\u{2014}c\u{2212}1", "a-b-c-1"),
            ("fullwidth", "ＧＡＴＥ１２", "gate12"),
            ("ligature", "ﬁnance", "finance"),
            ("ellipsis", "wait…", "wait..."),
            ("sharp s", "Straße STRASSE", "strasse strasse"),
            ("final sigma", "ΟΔΟΣ", "οδοσ"),
            ("zero width", "gate\u{200B}way\u{00AD}s", "gateways"),
            ("bom and controls", "\u{FEFF}a\u{0007}b", "ab"),
            (
                "numbers kept",
                "3,200 people, $3.2bn",
                "3,200 people, $3.2bn",
            ),
            ("emoji kept", "fire 🔥 alarm", "fire 🔥 alarm"),
            ("right to left", "السلام عليكم", "السلام عليكم"),
            ("hebrew", "שָׁלוֹם", "שָׁלוֹם"),
            ("chinese", "习近平在杭州", "习近平在杭州"),
            ("halfwidth katakana", "ｶﾀｶﾅ", "カタカナ"),
            ("mixed scripts", "G20峰会 Hangzhou", "g20峰会 hangzhou"),
            ("turkish dotted I", "İstanbul", "i\u{307}stanbul"),
        ];
        for (name, input, expected) in cases {
            assert_eq!(normalize(input), *expected, "case {name:?}");
            assert_eq!(
                normalize(expected),
                *expected,
                "case {name:?} not idempotent"
            );
        }
    }
}
