//! One loader per file format: each turns a file's bytes into a [`Document`] of sections.

mod faq;
mod html;
mod markdown;
mod pdf;
mod rst;
mod sections;
mod text;

use std::path::Path;

use crate::domain::Document;

/// The formats cairn reads, chosen by file extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Markdown,
    Text,
    Rst,
    Html,
    Pdf,
    FaqJsonl,
    FaqCsv,
}

impl Format {
    /// The format for a path, or `None` when cairn does not read that kind of file.
    pub fn of(path: &Path) -> Option<Self> {
        let name = path.file_name()?.to_str()?.to_ascii_lowercase();
        // Sphinx publishes its sources as `_sources/*.rst.txt`.
        if name.ends_with(".rst.txt") {
            return Some(Self::Rst);
        }
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        Some(match ext.as_str() {
            "md" | "markdown" => Self::Markdown,
            "txt" => Self::Text,
            "rst" => Self::Rst,
            "html" | "htm" => Self::Html,
            "pdf" => Self::Pdf,
            "jsonl" => Self::FaqJsonl,
            "csv" => Self::FaqCsv,
            _ => return None,
        })
    }
}

/// Why a file could not be loaded. The run reports it and goes on with the other files.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("unsupported file type (cairn reads .md .txt .rst .html .pdf .jsonl .csv)")]
    Unsupported,
    #[error("not valid UTF-8 text (byte {0}): convert the file to UTF-8")]
    InvalidUtf8(usize),
    #[error("unreadable PDF: {0}")]
    Pdf(String),
    #[error("FAQ file: {0}")]
    Faq(String),
    #[error("no text found")]
    Empty,
}

/// Loads one file. `source` is its path relative to the ingested directory.
pub fn load(source: &str, path: &Path, bytes: &[u8]) -> Result<Document, LoadError> {
    let format = Format::of(path).ok_or(LoadError::Unsupported)?;
    let fallback_title = file_stem(path);
    let doc = match format {
        Format::Pdf => pdf::load(bytes, fallback_title)?,
        Format::Markdown => markdown::load(utf8(bytes)?, fallback_title),
        Format::Text => text::load(utf8(bytes)?, fallback_title),
        Format::Rst => rst::load(utf8(bytes)?, fallback_title),
        Format::Html => html::load(utf8(bytes)?, fallback_title),
        Format::FaqJsonl => faq::load_jsonl(utf8(bytes)?, fallback_title)?,
        Format::FaqCsv => faq::load_csv(utf8(bytes)?, fallback_title)?,
    };
    let doc = Document {
        source: source.to_owned(),
        ..doc
    };
    if doc.sections.iter().all(|s| s.text.trim().is_empty()) {
        return Err(LoadError::Empty);
    }
    Ok(doc)
}

fn utf8(bytes: &[u8]) -> Result<&str, LoadError> {
    let text = std::str::from_utf8(bytes).map_err(|e| LoadError::InvalidUtf8(e.valid_up_to()))?;
    // A byte-order mark is not text.
    Ok(text.strip_prefix('\u{feff}').unwrap_or(text))
}

fn file_stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Collapses runs of blank lines and trims, so extracted text chunks cleanly.
fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank = 0;
    for line in text.lines() {
        let line = line.trim();
        if line.trim().is_empty() {
            blank += 1;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank > 0 { "\n\n" } else { "\n" });
        }
        out.push_str(line);
        blank = 0;
    }
    out
}
