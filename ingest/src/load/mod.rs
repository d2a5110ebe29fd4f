//! One loader per file format: each turns a file's bytes into a [`Document`] of sections.

mod faq;
mod html;
mod markdown;
mod pdf;
mod rst;
mod sections;
mod text;

use std::borrow::Cow;
use std::path::Path;

use crate::domain::Document;

/// Files larger than this are skipped, not read: a 200 MB single line is not a document, and
/// reading it whole would cost memory the server shares with every request.
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// Each file is parsed on a thread of its own with this much stack. The parsers cairn uses
/// recurse (lopdf on nested PDF arrays and dictionaries, including those inside compressed
/// streams a scan cannot see); a stack overflow aborts the process and cannot be caught, so
/// depth limits come first and a deep stack is the second line.
const LOADER_STACK_BYTES: usize = 256 * 1024 * 1024;

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
    fn name(self) -> &'static str {
        match self {
            Self::Markdown => "Markdown",
            Self::Text => "text",
            Self::Rst => "reStructuredText",
            Self::Html => "HTML",
            Self::Pdf => "PDF",
            Self::FaqJsonl => "FAQ JSONL",
            Self::FaqCsv => "FAQ CSV",
        }
    }

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
    #[error("no text found: an empty file is not stored (an earlier version stays; remove the file and ingest with --prune to delete it)")]
    Empty,
    #[error("file is larger than {} MiB: split it into smaller files", MAX_FILE_BYTES / (1024 * 1024))]
    TooLarge,
    #[error("contains NUL bytes (byte {0}): a binary file, not text")]
    Binary(usize),
    #[error("not valid UTF-16 text (character {0}): convert the file to UTF-8")]
    InvalidUtf16(usize),
    #[error("nested {0} levels deep (cairn reads up to {1}): the file is malformed or hostile")]
    TooDeep(usize, usize),
    #[error("the {0} parser failed on this file")]
    ParserFailed(&'static str),
}

/// Loads one file. `source` is its path relative to the ingested directory. A file that is
/// too large, binary, malformed or hostile gives a [`LoadError`]; a parser panic does too.
pub fn load(source: &str, path: &Path, bytes: &[u8]) -> Result<Document, LoadError> {
    let format = Format::of(path).ok_or(LoadError::Unsupported)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(LoadError::TooLarge);
    }
    let fallback_title = file_stem(path);
    // The thread also turns a parser panic into an error (join returns it).
    let doc = std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("cairn-loader".into())
            .stack_size(LOADER_STACK_BYTES)
            .spawn_scoped(scope, || parse(format, bytes, fallback_title))
            .map_err(|_| LoadError::ParserFailed(format.name()))?
            .join()
            .unwrap_or(Err(LoadError::ParserFailed(format.name())))
    })?;
    let doc = Document {
        source: source.to_owned(),
        ..doc
    };
    if doc.sections.iter().all(|s| s.text.trim().is_empty()) {
        return Err(LoadError::Empty);
    }
    Ok(doc)
}

fn parse(format: Format, bytes: &[u8], title: String) -> Result<Document, LoadError> {
    Ok(match format {
        Format::Pdf => pdf::load(bytes, title)?,
        Format::Markdown => markdown::load(&decode(bytes)?, title),
        Format::Text => text::load(&decode(bytes)?, title),
        Format::Rst => rst::load(&decode(bytes)?, title),
        Format::Html => html::load(&decode(bytes)?, title)?,
        Format::FaqJsonl => faq::load_jsonl(&decode(bytes)?, title)?,
        Format::FaqCsv => faq::load_csv(&decode(bytes)?, title)?,
    })
}

/// The text of a file: UTF-8, or UTF-16 when it starts with a UTF-16 byte-order mark.
fn decode(bytes: &[u8]) -> Result<Cow<'_, str>, LoadError> {
    let text = match bytes {
        [0xFF, 0xFE, rest @ ..] => Cow::Owned(utf16(rest, u16::from_le_bytes)?),
        [0xFE, 0xFF, rest @ ..] => Cow::Owned(utf16(rest, u16::from_be_bytes)?),
        _ => {
            let text =
                std::str::from_utf8(bytes).map_err(|e| LoadError::InvalidUtf8(e.valid_up_to()))?;
            // A byte-order mark is not text.
            Cow::Borrowed(text.strip_prefix('\u{feff}').unwrap_or(text))
        }
    };
    match text.find('\0') {
        Some(at) => Err(LoadError::Binary(at)),
        None => Ok(text),
    }
}

fn utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16) -> Result<String, LoadError> {
    if bytes.len() % 2 == 1 {
        return Err(LoadError::InvalidUtf16(bytes.len() / 2));
    }
    let units = bytes.chunks_exact(2).map(|b| unit([b[0], b[1]]));
    let mut out = String::with_capacity(bytes.len() / 2);
    for (i, c) in char::decode_utf16(units).enumerate() {
        out.push(c.map_err(|_| LoadError::InvalidUtf16(i))?);
    }
    Ok(out)
}

/// Where `needle` first occurs in `bytes` at or after `from` (the depth scans of PDF and HTML).
fn find(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    bytes
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|at| from + at)
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
