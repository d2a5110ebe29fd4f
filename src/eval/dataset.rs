//! Datasets (golden sets): named, versioned lists of questions with what a right answer needs.
//! Imported from JSON Lines or CSV; a bad row rejects the whole file, naming its line.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

/// Longest question accepted, as for `/query`.
pub const MAX_QUESTION_CHARS: usize = 2000;
/// Largest dataset accepted, in items.
pub const MAX_ITEMS: usize = 10_000;
/// Longest reference answer, as for grounding checks.
pub const MAX_REFERENCE_CHARS: usize = 20_000;
/// Most expected sources or keywords per item.
pub const MAX_LIST: usize = 100;

/// One question of a dataset. Only `question` is required.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Item {
    /// Unique within the dataset; the 1-based line (or row) number when omitted.
    #[serde(default)]
    pub id: String,
    pub question: String,
    /// Sources a right answer uses; a retrieved source matches when equal or when one ends
    /// with the other (`faq/design.rst` matches `python/faq/design.rst`).
    #[serde(default)]
    pub expected_sources: Vec<String>,
    #[serde(default)]
    pub reference_answer: Option<String>,
    /// Words or phrases a right answer contains (case-insensitive).
    #[serde(default)]
    pub keywords: Vec<String>,
    /// False: the documents do not answer it, and the right behaviour is to abstain.
    #[serde(default = "yes")]
    pub answerable: bool,
}

/// Whether `short` is `long` or its last path components ("b/c.md" of "a/b/c.md", not "c.md"
/// of "abc.md").
fn path_suffix(long: &str, short: &str) -> bool {
    !short.is_empty()
        && long
            .strip_suffix(short)
            .is_some_and(|rest| rest.is_empty() || rest.ends_with('/'))
}

fn yes() -> bool {
    true
}

impl Item {
    /// Whether a retrieved `source` is one of the expected ones.
    pub fn expects(&self, source: &str) -> bool {
        self.expected_sources
            .iter()
            .any(|e| path_suffix(source, e) || path_suffix(e, source))
    }
}

/// A dataset as stored: its name, version (a hash of its items) and items.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Dataset {
    pub name: String,
    pub version: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub items: Vec<Item>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DatasetError {
    #[error("line {line}: {message}")]
    Row { line: usize, message: String },
    #[error("the file has no items")]
    Empty,
    #[error("the file has {0} items; the limit is {MAX_ITEMS}")]
    TooLarge(usize),
    #[error("{0:?} is not a dataset file: use .jsonl or .csv")]
    Format(String),
    #[error("invalid dataset name {0:?}: use 1-64 letters, digits, '-' or '_'")]
    Name(String),
}

/// Which format a file is in, from its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Jsonl,
    Csv,
}

impl Format {
    pub fn of(path: &std::path::Path) -> Result<Self, DatasetError> {
        match path.extension().and_then(|e| e.to_str()) {
            Some("jsonl" | "ndjson") => Ok(Self::Jsonl),
            Some("csv") => Ok(Self::Csv),
            _ => Err(DatasetError::Format(path.display().to_string())),
        }
    }
}

pub fn check_name(name: &str) -> Result<(), DatasetError> {
    let ok = (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(DatasetError::Name(name.to_owned()))
    }
}

/// Parses and checks a whole file; nothing is returned unless every row is valid.
pub fn parse(text: &str, format: Format) -> Result<Vec<Item>, DatasetError> {
    let rows = match format {
        Format::Jsonl => jsonl(text)?,
        Format::Csv => csv_rows(text)?,
    };
    if rows.is_empty() {
        return Err(DatasetError::Empty);
    }
    if rows.len() > MAX_ITEMS {
        return Err(DatasetError::TooLarge(rows.len()));
    }
    let mut seen = HashSet::new();
    let mut items = Vec::with_capacity(rows.len());
    for (line, item) in rows {
        let item = checked(item, line)?;
        if !seen.insert(item.id.clone()) {
            return Err(row(line, format!("id {:?} is used twice", item.id)));
        }
        items.push(item);
    }
    Ok(items)
}

/// Checks one item (from a file or the API); `line` names it in errors and is its default id.
pub fn checked(mut item: Item, line: usize) -> Result<Item, DatasetError> {
    item.question = item.question.trim().to_owned();
    item.id = item.id.trim().to_owned();
    if item.id.is_empty() {
        item.id = line.to_string();
    }
    let chars = item.question.chars().count();
    if crate::text::is_blank(&item.question) {
        return Err(row(line, "question is empty".into()));
    }
    if chars > MAX_QUESTION_CHARS {
        return Err(row(
            line,
            format!("question has {chars} characters; the limit is {MAX_QUESTION_CHARS}"),
        ));
    }
    if item.id.chars().count() > 200 {
        return Err(row(line, "id is longer than 200 characters".into()));
    }
    let reference = item
        .reference_answer
        .as_deref()
        .map_or(0, |r| r.chars().count());
    if reference > MAX_REFERENCE_CHARS {
        return Err(row(
            line,
            format!(
                "reference_answer has {reference} characters; the limit is {MAX_REFERENCE_CHARS}"
            ),
        ));
    }
    if item.expected_sources.len() > MAX_LIST || item.keywords.len() > MAX_LIST {
        return Err(row(
            line,
            format!("at most {MAX_LIST} expected_sources and {MAX_LIST} keywords per item"),
        ));
    }
    item.expected_sources.retain(|s| !s.trim().is_empty());
    item.keywords.retain(|k| !k.trim().is_empty());
    item.reference_answer = item.reference_answer.filter(|r| !r.trim().is_empty());
    Ok(item)
}

/// A dataset's version: a short hash of its items, so the same items give the same version.
pub fn version(items: &[Item]) -> String {
    crate::fingerprint::short_hash(&serde_json::to_string(items).unwrap_or_default())
}

fn row(line: usize, message: String) -> DatasetError {
    DatasetError::Row { line, message }
}

fn jsonl(text: &str) -> Result<Vec<(usize, Item)>, DatasetError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let item: Item = serde_json::from_str(line).map_err(|e| row(i + 1, e.to_string()))?;
        out.push((i + 1, item));
    }
    Ok(out)
}

/// CSV with a header row; list columns (`expected_sources`, `keywords`) separate values with
/// `;`; `answerable` is true/false, yes/no or 1/0 (empty: true).
fn csv_rows(text: &str) -> Result<Vec<(usize, Item)>, DatasetError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| row(1, e.to_string()))?.clone();
    let known = [
        "id",
        "question",
        "expected_sources",
        "reference_answer",
        "keywords",
        "answerable",
    ];
    if let Some(unknown) = headers.iter().find(|h| !known.contains(&h.trim())) {
        return Err(row(
            1,
            format!(
                "unknown column {unknown:?}; columns are {}",
                known.join(", ")
            ),
        ));
    }
    if !headers.iter().any(|h| h.trim() == "question") {
        return Err(row(1, "no question column".into()));
    }
    let mut out = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line() as usize);
            row(line, e.to_string())
        })?;
        let line = record.position().map_or(0, |p| p.line() as usize);
        let field = |name: &str| {
            headers
                .iter()
                .position(|h| h.trim() == name)
                .and_then(|i| record.get(i))
                .unwrap_or_default()
                .trim()
                .to_owned()
        };
        let list = |name: &str| -> Vec<String> {
            field(name)
                .split(';')
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect()
        };
        let answerable = match field("answerable").to_ascii_lowercase().as_str() {
            "" | "true" | "yes" | "1" => true,
            "false" | "no" | "0" => false,
            other => {
                return Err(row(
                    line,
                    format!("answerable is {other:?}; use true or false"),
                ))
            }
        };
        let reference = field("reference_answer");
        out.push((
            line,
            Item {
                id: field("id"),
                question: field("question"),
                expected_sources: list("expected_sources"),
                reference_answer: (!reference.is_empty()).then_some(reference),
                keywords: list("keywords"),
                answerable,
            },
        ));
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn jsonl_defaults_and_line_numbers() {
        let items = parse(
            "{\"question\": \"How long?\"}\n\n{\"id\": \"b\", \"question\": \"x\", \"answerable\": false}\n",
            Format::Jsonl,
        )
        .unwrap();
        assert_eq!(items[0].id, "1");
        assert!(items[0].answerable);
        assert!(!items[1].answerable);
        let err = parse(
            "{\"question\": \"ok\"}\n{\"question\": \"\"}\n",
            Format::Jsonl,
        );
        assert_eq!(
            err,
            Err(DatasetError::Row {
                line: 2,
                message: "question is empty".into()
            })
        );
        let err = parse("{\"question\": \"ok\", \"extra\": 1}", Format::Jsonl).unwrap_err();
        assert!(
            err.to_string().starts_with("line 1: unknown field `extra`"),
            "{err}"
        );
    }

    #[test]
    fn csv_lists_and_booleans() {
        let text = "id,question,expected_sources,keywords,answerable\nq1,How much?,a.md;b.md,$10;month,yes\nq2,Who?,,,no\n";
        let items = parse(text, Format::Csv).unwrap();
        assert_eq!(items[0].expected_sources, ["a.md", "b.md"]);
        assert_eq!(items[0].keywords, ["$10", "month"]);
        assert!(!items[1].answerable);
        let bad = "question,answerable\nfine,true\nbad,maybe\n";
        assert!(matches!(
            parse(bad, Format::Csv),
            Err(DatasetError::Row { line: 3, .. })
        ));
    }

    #[test]
    fn sources_match_by_suffix_either_way() {
        let item = Item {
            expected_sources: vec!["faq/design.rst".into()],
            ..checked(
                Item {
                    id: String::new(),
                    question: "q".into(),
                    expected_sources: vec![],
                    reference_answer: None,
                    keywords: vec![],
                    answerable: true,
                },
                1,
            )
            .unwrap()
        };
        assert!(item.expects("python/faq/design.rst"));
        assert!(item.expects("design.rst"));
        assert!(!item.expects("faq/general.rst"));
        assert!(!item.expects("sign.rst"));
    }
}
