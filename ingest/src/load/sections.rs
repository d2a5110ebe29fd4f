//! Builds a document's sections from a stream of headings and text, keeping the heading path.

use crate::domain::{DocKind, Document, Section};

#[derive(Default)]
pub struct SectionBuilder {
    /// Open headings, outermost first, with their levels.
    path: Vec<(usize, String)>,
    text: String,
    sections: Vec<Section>,
    title: Option<String>,
}

impl SectionBuilder {
    pub fn push_text(&mut self, text: &str) {
        self.text.push_str(text);
    }

    /// Closes the current section and opens one under `title` at `level` (1 = outermost).
    pub fn heading(&mut self, level: usize, title: &str) {
        self.flush();
        if title.is_empty() {
            return;
        }
        if self.title.is_none() && level == 1 {
            self.title = Some(title.to_owned());
        }
        while self.path.last().is_some_and(|(l, _)| *l >= level) {
            self.path.pop();
        }
        self.path.push((level, title.to_owned()));
    }

    pub fn finish(mut self, kind: DocKind, fallback_title: String) -> Document {
        self.flush();
        let title = self
            .title
            .or_else(|| {
                self.sections
                    .iter()
                    .find_map(|s| s.heading.first().cloned())
            })
            .unwrap_or(fallback_title);
        Document {
            source: String::new(),
            title,
            kind,
            sections: self.sections,
        }
    }

    fn flush(&mut self) {
        let text = super::tidy(&std::mem::take(&mut self.text));
        if !text.is_empty() {
            self.sections.push(Section {
                heading: self.path.iter().map(|(_, h)| h.clone()).collect(),
                text,
            });
        }
    }
}
