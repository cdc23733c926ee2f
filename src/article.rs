//! The input record, and its date.

use serde::{Deserialize, Deserializer, Serialize};

/// One news article: an id, its text and optional metadata.
///
/// In JSON Lines input the id may be a string or an integer; it is kept as
/// written (`7` and `"7"` are both the id `7`, so two such articles in one
/// batch are refused as a [`DuplicateId`](crate::Error::DuplicateId), never
/// merged). The date may be a string in one of the formats [`Day::parse`]
/// accepts, or an integer count of Unix seconds (milliseconds when it is
/// `10^11` or more), which is read as its UTC date.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Article {
    /// The caller's id, unique within a batch.
    #[serde(deserialize_with = "string_or_number")]
    pub id: String,
    /// The body text (the copy tier signs this).
    pub text: String,
    /// Headline, if known.
    #[serde(default)]
    pub title: Option<String>,
    /// Publication date, as given; parsed once by [`Article::day`] when the
    /// article is signed (see [`Day::parse`] for the formats).
    #[serde(default, deserialize_with = "date_or_timestamp")]
    pub date: Option<String>,
    /// Outlet name.
    #[serde(default)]
    pub source: Option<String>,
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
    /// Parsing is done by the `jiff` crate; years 1 to 9999.
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

fn string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Id {
        S(String),
        I(i64),
        U(u64),
    }
    Ok(
        match Id::deserialize(d)
            .map_err(|_| serde::de::Error::custom("field `id` must be a string or an integer"))?
        {
            Id::S(s) => s,
            Id::I(i) => i.to_string(),
            Id::U(u) => u.to_string(),
        },
    )
}

/// Unix times of `10^11` and more are read as milliseconds: as seconds they
/// would be past the year 5000.
const MILLIS_FROM: i64 = 100_000_000_000;

fn date_or_timestamp<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Date {
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
    Ok(
        match Option::<Date>::deserialize(d).map_err(|_| {
            serde::de::Error::custom(
                "field `date` must be a string, a number of Unix seconds or null",
            )
        })? {
            None => None,
            Some(Date::S(s)) => Some(s),
            Some(Date::I(t)) => Some(format!("@{}", seconds(t))),
            Some(Date::F(t)) => Some(format!("@{}", seconds(t.floor() as i64))),
        },
    )
}

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
}
