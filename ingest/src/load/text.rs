//! Plain text: one section; the title is the first line when it looks like one.

use crate::domain::{DocKind, Document, Section};

pub fn load(text: &str, fallback_title: String) -> Document {
    let first = text.lines().map(str::trim).find(|l| !l.is_empty());
    let title = match first {
        Some(line) if line.len() <= 120 => line.to_owned(),
        _ => fallback_title,
    };
    Document {
        source: String::new(),
        title,
        kind: DocKind::Plain,
        sections: vec![Section {
            heading: Vec::new(),
            text: super::tidy(text),
        }],
    }
}
