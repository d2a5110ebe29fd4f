//! FAQ files: question/answer pairs from JSON Lines or CSV. Each pair is one section, and the
//! chunker keeps it whole, so a hit always carries both the question and its answer.

use crate::domain::{DocKind, Document, Section};

use super::LoadError;

#[derive(serde::Deserialize)]
struct Pair {
    #[serde(alias = "q", alias = "Question")]
    question: String,
    #[serde(alias = "a", alias = "Answer")]
    answer: String,
}

pub fn load_jsonl(text: &str, title: String) -> Result<Document, LoadError> {
    let mut pairs = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let pair: Pair = serde_json::from_str(line).map_err(|e| {
            LoadError::Faq(format!(
                "line {}: {e}; each line must be a JSON object with \"question\" and \"answer\"",
                n + 1
            ))
        })?;
        pairs.push(pair);
    }
    Ok(document(pairs, title))
}

pub fn load_csv(text: &str, title: String) -> Result<Document, LoadError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| LoadError::Faq(e.to_string()))?
        .clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
    };
    let (Some(q), Some(a)) = (column("question"), column("answer")) else {
        return Err(LoadError::Faq(format!(
            "no \"question\" and \"answer\" columns in the header ({})",
            headers.iter().collect::<Vec<_>>().join(", ")
        )));
    };
    let mut pairs = Vec::new();
    for (n, record) in reader.records().enumerate() {
        let record = record.map_err(|e| LoadError::Faq(format!("row {}: {e}", n + 2)))?;
        let field = |i: usize| record.get(i).unwrap_or_default().trim().to_owned();
        pairs.push(Pair {
            question: field(q),
            answer: field(a),
        });
    }
    Ok(document(pairs, title))
}

fn document(pairs: Vec<Pair>, title: String) -> Document {
    let sections = pairs
        .into_iter()
        .filter(|p| !p.question.trim().is_empty() && !p.answer.trim().is_empty())
        .map(|p| Section {
            text: format!("Q: {}\nA: {}", p.question.trim(), p.answer.trim()),
            heading: vec![p.question.trim().to_owned()],
        })
        .collect();
    Document {
        source: String::new(),
        title,
        kind: DocKind::Faq,
        sections,
    }
}
