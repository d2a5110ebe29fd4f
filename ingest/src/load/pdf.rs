//! PDF: the text layer, extracted with pdf-extract. A broken file is reported, never fatal.

use crate::domain::{DocKind, Document, Section};

use super::{find, LoadError};

/// Arrays and dictionaries nested deeper than this are refused before parsing: lopdf parses
/// them recursively, and a 100 KB file of 50,000 nested arrays would overflow the stack.
/// Real PDFs nest a handful of levels.
const MAX_NESTING: usize = 64;

pub fn load(bytes: &[u8], fallback_title: String) -> Result<Document, LoadError> {
    let depth = nesting_depth(bytes, MAX_NESTING);
    if depth > MAX_NESTING {
        return Err(LoadError::TooDeep(depth, MAX_NESTING));
    }
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

/// The deepest nesting of `[` arrays and `<<` dictionaries in the file's objects, stopping
/// once it passes `limit`. Literal strings, hex strings, comments and stream bodies are
/// skipped, as a PDF lexer would, so binary stream data does not count.
fn nesting_depth(bytes: &[u8], limit: usize) -> usize {
    let (mut depth, mut deepest, mut i) = (0usize, 0usize, 0usize);
    while i < bytes.len() && deepest <= limit {
        match bytes[i] {
            b'%' => i = skip_until(bytes, i, |b| b == b'\n' || b == b'\r'),
            b'(' => i = skip_literal_string(bytes, i),
            b'[' => {
                depth += 1;
                i += 1;
            }
            b'<' if bytes.get(i + 1) == Some(&b'<') => {
                depth += 1;
                i += 2;
            }
            b'<' => i = skip_until(bytes, i, |b| b == b'>') + 1,
            b']' => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            b'>' if bytes.get(i + 1) == Some(&b'>') => {
                depth = depth.saturating_sub(1);
                i += 2;
            }
            b's' if bytes[i..].starts_with(b"stream")
                && !is_word_byte(bytes, i.wrapping_sub(1)) =>
            {
                i = find(bytes, i + 6, b"endstream").map_or(bytes.len(), |at| at + 9);
            }
            _ => i += 1,
        }
        deepest = deepest.max(depth);
    }
    deepest
}

fn is_word_byte(bytes: &[u8], i: usize) -> bool {
    bytes.get(i).is_some_and(u8::is_ascii_alphanumeric)
}

fn skip_until(bytes: &[u8], from: usize, stop: impl Fn(u8) -> bool) -> usize {
    bytes[from..]
        .iter()
        .position(|&b| stop(b))
        .map_or(bytes.len(), |at| from + at)
}

/// Past the `)` that closes the literal string opening at `from` (balanced, with `\` escapes).
fn skip_literal_string(bytes: &[u8], from: usize) -> usize {
    let (mut open, mut i) = (0usize, from);
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 1,
            b'(' => open += 1,
            b')' => {
                open -= 1;
                if open == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nesting_counts_arrays_and_dictionaries_but_not_strings_or_streams() {
        assert_eq!(nesting_depth(b"<< /A [1 [2]] >>", 64), 3);
        assert_eq!(nesting_depth(b"(a [[ (b) \\) c) <5b5b> [1]", 64), 1);
        assert_eq!(nesting_depth(b"% [[[[\n[1]", 64), 1);
        assert_eq!(
            nesting_depth(b"<< /Length 4 >>\nstream\n[[[[\nendstream [", 64),
            1
        );
        let hostile = "[".repeat(50_000);
        assert_eq!(nesting_depth(hostile.as_bytes(), 64), 65);
    }
}
