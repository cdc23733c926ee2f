//! The input record, and its date.

use std::borrow::Cow;
use std::sync::OnceLock;

use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

/// One news article: an id, its text and optional metadata.
///
/// In JSON input (see [`Fields`]) the id may be a string or an integer; it is
/// kept as written (`7` and `"7"` are both the id `7`, so two such articles in
/// one batch are refused as a [`DuplicateId`](crate::Error::DuplicateId), never
/// merged). The date may be a string in one of the formats [`Day::parse`]
/// accepts, or a number of Unix seconds (milliseconds when it is `10^11` or
/// more), which is read as its UTC date.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Article {
    /// The caller's id, unique within a batch.
    pub id: String,
    /// The body text (the copy tier signs this).
    pub text: String,
    /// Headline, if known.
    pub title: Option<String>,
    /// Publication date, as given; parsed once by [`Article::day`] when the
    /// article is signed (see [`Day::parse`] for the formats).
    pub date: Option<String>,
    /// Outlet name.
    pub source: Option<String>,
}

/// The names of the JSON fields that hold an article's parts. Other fields
/// are ignored.
///
/// # Example
/// ```
/// use storyhash::Fields;
/// let fields = Fields { text: "content".into(), ..Fields::default() };
/// let a = fields.parse(r#"{"id": 7, "content": "Rain in Lanmore.", "extra": [1]}"#)?;
/// assert_eq!((a.id.as_str(), a.text.as_str()), ("7", "Rain in Lanmore."));
/// # Ok::<(), String>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fields {
    /// The id (a string or an integer). Default `"id"`.
    pub id: String,
    /// The text. Default `"text"`.
    pub text: String,
    /// The headline (optional). Default `"title"`.
    pub title: String,
    /// The date (optional). Default `"date"`.
    pub date: String,
    /// The outlet (optional). Default `"source"`.
    pub source: String,
}

impl Default for Fields {
    fn default() -> Self {
        Fields {
            id: "id".into(),
            text: "text".into(),
            title: "title".into(),
            date: "date".into(),
            source: "source".into(),
        }
    }
}

impl Fields {
    /// Reads one JSON object as an article.
    ///
    /// # Errors
    /// Why the text is not an article record: not a JSON object, a missing
    /// id or text field (named), a field of the wrong type.
    pub fn parse(&self, json: &str) -> Result<Article, String> {
        let mut de = serde_json::Deserializer::from_str(json);
        let article = ArticleSeed(self)
            .deserialize(&mut de)
            .and_then(|a| de.end().map(|()| a))
            .map_err(|e| format!("not a valid article record: {e}"))?;
        Ok(article)
    }
}

impl<'de> Deserialize<'de> for Article {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        static DEFAULT: OnceLock<Fields> = OnceLock::new();
        ArticleSeed(DEFAULT.get_or_init(Fields::default)).deserialize(d)
    }
}

/// Deserialises an article whose fields are named by a [`Fields`].
struct ArticleSeed<'f>(&'f Fields);

impl<'de> DeserializeSeed<'de> for ArticleSeed<'_> {
    type Value = Article;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Article, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ArticleSeed<'_> {
    type Value = Article;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an article object")
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Article, M::Error> {
        use serde::de::Error as _;
        let f = self.0;
        let (mut id, mut text) = (None, None);
        let mut a = Article::default();
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            let key = key.as_ref();
            if key == f.id {
                if id.is_some() {
                    return Err(M::Error::custom(format!("duplicate field `{key}`")));
                }
                id = Some(map.next_value::<Id>()?.0);
            } else if key == f.text {
                if text.is_some() {
                    return Err(M::Error::custom(format!("duplicate field `{key}`")));
                }
                text = Some(map.next_value::<String>()?);
            } else if key == f.title {
                a.title = map.next_value()?;
            } else if key == f.date {
                a.date = map.next_value::<Option<Date>>()?.map(|d| d.0);
            } else if key == f.source {
                a.source = map.next_value()?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        let missing = |name: &str| M::Error::custom(format!("missing field `{name}`"));
        a.id = id.ok_or_else(|| missing(&f.id))?;
        a.text = text.ok_or_else(|| missing(&f.text))?;
        Ok(a)
    }
}

/// An id: a string, or an integer kept as its decimal digits.
struct Id(String);

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // A visitor rather than an untagged enum: that one buffers every
        // value before trying each variant, once per line of a large input.
        struct IdVisitor;
        impl Visitor<'_> for IdVisitor {
            type Value = Id;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("field `id` to be a string or an integer")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Id, E> {
                Ok(Id(v.to_owned()))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Id, E> {
                Ok(Id(v))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Id, E> {
                Ok(Id(v.to_string()))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Id, E> {
                Ok(Id(v.to_string()))
            }
        }
        d.deserialize_any(IdVisitor)
    }
}

/// A date: a string as given, or Unix seconds (milliseconds from `10^11`),
/// kept as `@seconds` for [`Day::parse`].
struct Date(String);

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            S(String),
            I(i64),
            F(f64),
        }
        let seconds = |t: i64| {
            if t.abs() >= MILLIS_FROM {
                t / 1000
            } else {
                t
            }
        };
        Ok(Date(
            match Raw::deserialize(d).map_err(|_| {
                serde::de::Error::custom(
                    "field `date` must be a string, a number of Unix seconds or null",
                )
            })? {
                Raw::S(s) => s,
                Raw::I(t) => format!("@{}", seconds(t)),
                Raw::F(t) => format!("@{}", seconds(t.floor() as i64)),
            },
        ))
    }
}

impl Article {
    /// An article with an id and text and no metadata.
    pub fn new(id: impl Into<String>, text: impl Into<String>) -> Self {
        Article {
            id: id.into(),
            text: text.into(),
            ..Default::default()
        }
    }

    /// Sets the headline.
    pub fn with_title(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }

    /// Sets the date (see [`Day::parse`] for the formats).
    pub fn with_date(mut self, date: impl Into<String>) -> Self {
        self.date = Some(date.into());
        self
    }

    /// Sets the outlet.
    pub fn with_source(mut self, source: impl Into<String>) -> Self {
        self.source = Some(source.into());
        self
    }

    /// The article's day: `Ok(None)` when it has no date, `Err` when its date
    /// is not one [`Day::parse`] reads (the batch and stream count those and
    /// treat the article as undated).
    pub fn day(&self) -> Result<Option<Day>, BadDate> {
        self.date.as_deref().map(Day::parse).transpose()
    }
}

/// A calendar day: days since 1970-01-01 (negative before).
///
/// # Example
/// ```
/// use storyhash::Day;
/// assert_eq!(Day::parse("1970-01-02")?.days(), 1);
/// assert_eq!(Day::parse("Tue, 1 Jul 2003 23:52:37 -0700")?, Day::parse("2003-07-01")?);
/// assert!(Day::parse("2024-02-30").is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Day(i32);

/// A date that [`Day::parse`] does not read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unreadable date {date:?}: {reason}")]
pub struct BadDate {
    /// The date as given (cut to 64 bytes).
    pub date: String,
    /// Why it was refused.
    pub reason: String,
}

impl Day {
    /// The day `days` after 1970-01-01.
    pub const fn from_days(days: i32) -> Self {
        Day(days)
    }

    /// Days since 1970-01-01.
    pub const fn days(self) -> i32 {
        self.0
    }

    /// Reads a date. Accepted, in this order (leading and trailing white
    /// space ignored):
    ///
    /// - ISO 8601 / RFC 3339 dates and date-times: `2024-03-01`,
    ///   `2024-03-01T09:30:00`, `2024-03-01 09:30`, `2024-03-01T09:30:00+02:00`,
    ///   `2024-03-01T09:30:00Z`; the day is the civil date as written (a
    ///   time zone offset does not move it);
    /// - RFC 2822 (e-mail and RSS): `Fri, 1 Mar 2024 09:30:00 +0100`, the
    ///   date as written;
    /// - `2024/03/01`;
    /// - `@1709285400`: Unix seconds, read as the UTC date (integer dates in
    ///   JSON input become this form).
    ///
    /// Parsing is done by the `jiff` crate. Years before 1900 or after 2199
    /// are refused: no news article is dated so, and one misdated far ahead
    /// would otherwise move a time window past every other.
    ///
    /// # Errors
    /// [`BadDate`] for anything else, including impossible dates such as
    /// `2024-02-30`.
    pub fn parse(date: &str) -> Result<Day, BadDate> {
        use jiff::civil::Date;
        let s = date.trim();
        let bad = |reason: String| BadDate {
            date: crate::text::truncate_to_boundary(date, 64).to_owned(),
            reason,
        };
        let utc = |t: jiff::Timestamp| t.to_zoned(jiff::tz::TimeZone::UTC).date();
        let rfc2822 = || {
            jiff::fmt::rfc2822::DateTimeParser::new()
                .parse_zoned(s)
                .map(|z| z.date())
        };
        let parsed: Result<Date, String> = if let Some(secs) = s.strip_prefix('@') {
            secs.parse::<i64>()
                .map_err(|e| e.to_string())
                .and_then(|n| jiff::Timestamp::from_second(n).map_err(|e| e.to_string()))
                .map(utc)
        } else if s.contains(|c: char| c.is_ascii_alphabetic() && c != 'T' && c != 'Z') {
            // Month or weekday names: RFC 2822.
            rfc2822().map_err(|e| e.to_string())
        } else {
            s.parse::<Date>()
                .or_else(|first| s.parse::<jiff::Timestamp>().map(utc).map_err(|_| first))
                .or_else(|first| Date::strptime("%Y/%m/%d", s).map_err(|_| first))
                .map_err(|e| e.to_string())
        };
        let date = parsed.map_err(bad)?;
        if !(1900..=2199).contains(&date.year()) {
            return Err(bad(format!("year {} is outside 1900..=2199", date.year())));
        }
        let days = (date - Date::constant(1970, 1, 1)).get_days();
        Ok(Day(days))
    }
}

impl std::fmt::Display for Day {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let date = jiff::civil::Date::constant(1970, 1, 1)
            .checked_add(jiff::Span::new().days(i64::from(self.0)))
            .map_err(|_| std::fmt::Error)?;
        write!(f, "{date}")
    }
}

/// Unix times of `10^11` and more are read as milliseconds: as seconds they
/// would be past the year 5000.
const MILLIS_FROM: i64 = 100_000_000_000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_and_refused_dates() {
        let day = |s: &str| Day::parse(s).map(|d| d.to_string());
        let cases: &[(&str, &str)] = &[
            ("1970-01-01", "1970-01-01"),
            ("2024-02-29", "2024-02-29"),
            ("2024-02-29T10:00:00Z", "2024-02-29"),
            ("2024-02-29T23:30:00-05:00", "2024-02-29"),
            ("2024-02-29 23:30", "2024-02-29"),
            (" 2024-03-01 ", "2024-03-01"),
            ("Tue, 1 Jul 2003 23:52:37 -0700", "2003-07-01"),
            ("1 Jul 2003 10:52:37 GMT", "2003-07-01"),
            ("2024/01/31", "2024-01-31"),
            ("@0", "1970-01-01"),
            ("@1700000000", "2023-11-14"),
        ];
        for &(input, want) in cases {
            assert_eq!(day(input).as_deref(), Ok(want), "{input}");
        }
        for bad in [
            "2024-02-30",
            "2023-02-29",
            "2024-13-01",
            "2024-1-01",
            "yesterday",
            "",
            "2024-00-10",
            "@x",
            "31/01/2024",
            "9999-12-31",
            "1066-10-14",
        ] {
            let e = Day::parse(bad).unwrap_err();
            assert!(e.to_string().contains("unreadable date"), "{bad}: {e}");
        }
        assert_eq!(Day::parse("2000-03-01").unwrap().days(), 11_017);
        assert_eq!(Day::parse("1969-12-31").unwrap().days(), -1);
    }

    #[test]
    fn integer_dates_are_unix_times() {
        let a: Article = serde_json::from_str(r#"{"id":1,"text":"x","date":1700000000}"#).unwrap();
        assert_eq!(a.day().unwrap().unwrap().to_string(), "2023-11-14");
        let ms: Article =
            serde_json::from_str(r#"{"id":1,"text":"x","date":1700000000123}"#).unwrap();
        assert_eq!(ms.day().unwrap(), a.day().unwrap());
        let none: Article = serde_json::from_str(r#"{"id":1,"text":"x","date":null}"#).unwrap();
        assert_eq!(none.day(), Ok(None));
        assert!(serde_json::from_str::<Article>(r#"{"id":1,"text":"x","date":[1]}"#).is_err());
    }

    #[test]
    fn fields_name_the_parts() {
        let f = Fields {
            text: "body".into(),
            id: "uid".into(),
            ..Fields::default()
        };
        let a = f
            .parse(r#"{"uid":"a","body":"x","text":"ignored","title":"T","date":null}"#)
            .unwrap();
        assert_eq!(
            (a.id.as_str(), a.text.as_str(), a.title.as_deref()),
            ("a", "x", Some("T"))
        );
        for (line, needle) in [
            (r#"{"uid":"a"}"#, "missing field `body`"),
            (r#"{"body":"x"}"#, "missing field `uid`"),
            (
                r#"{"uid":"a","body":"x","uid":"b"}"#,
                "duplicate field `uid`",
            ),
            (r#"{"uid":null,"body":"x"}"#, "string or an integer"),
            (r#"[1]"#, "not a valid article"),
            (r#"{"uid":"a","body":"x"} trailing"#, "trailing"),
        ] {
            let e = f.parse(line).unwrap_err();
            assert!(e.contains(needle), "{line}: {e}");
        }
    }
}
