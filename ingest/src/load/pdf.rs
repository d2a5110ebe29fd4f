//! PDF: the text layer, extracted with pdf-extract. A broken file is reported, never fatal.

use crate::domain::{DocKind, Document, Section};

use super::LoadError;

pub fn load(bytes: &[u8], fallback_title: String) -> Result<Document, LoadError> {
    // pdf-extract can panic on malformed input; a bad file must not stop the run.
    let extracted = std::panic::catch_unwind(|| pdf_extract::extract_text_from_mem(bytes))
        .map_err(|_| LoadError::Pdf("the PDF parser failed on this file".into()))?
        .map_err(|e| LoadError::Pdf(e.to_string()))?;
    let text = super::tidy(&extracted);
    Ok(Document {
        source: String::new(),
        title: fallback_title,
        kind: DocKind::Plain,
        sections: vec![Section {
            heading: Vec::new(),
            text,
        }],
    })
}
