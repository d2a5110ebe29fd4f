//! Text analysis shared by answering (`rag`) and the groundedness check (`ground`): sentences,
//! citation markers, stopwords, content words, names, and how much of a question a text covers.
//! It depends on nothing else in cairn.

pub mod coverage;
pub mod delimit;
pub mod markers;
// Shared with ingest, which stores a vector for each part of a passage.
pub use cairn_ingest::sentences;
pub mod words;

/// Whether `text` has nothing but whitespace. Besides Unicode whitespace this counts the ASCII
/// separators U+001C–U+001F, which Python (and so the JSON Schema `\S` patterns of
/// `/openapi.json` as schemathesis evaluates them) also treats as space: the API refuses exactly
/// the texts its schema calls empty.
pub fn is_blank(text: &str) -> bool {
    text.chars()
        .all(|c| c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c))
}
