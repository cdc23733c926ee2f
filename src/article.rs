//! The input record.

use serde::{Deserialize, Deserializer, Serialize};

/// One news article: an id, its text and optional metadata.
///
/// In JSON Lines input the id may be a string or a number; it is kept as a string.
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
    /// Publication date as `YYYY-MM-DD` (a longer ISO 8601 timestamp is accepted and its date used).
    #[serde(default)]
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

    /// Sets the date (`YYYY-MM-DD`).
    pub fn with_date(mut self, date: impl Into<String>) -> Self {
        self.date = Some(date.into());
        self
    }

    /// Sets the outlet.
    pub fn with_source(mut self, source: impl Into<String>) -> Self {
        self.source = Some(source.into());
        self
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
