//! Token-sized, heading-aware chunking with text-splitter, measured in the embedding model's
//! own tokens so that no chunk is silently truncated by the model.

use text_splitter::{ChunkConfig, MarkdownSplitter, TextSplitter};
use tokenizers::Tokenizer;

use crate::domain::{DocKind, Document};

/// How big chunks are, in tokens of the embedding model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ChunkSettings {
    pub max_tokens: usize,
    pub overlap_tokens: usize,
}

impl Default for ChunkSettings {
    fn default() -> Self {
        // all-MiniLM-L6-v2 was trained on sequences of up to 128 tokens, and passages of that
        // size retrieve best with it (docs/benchmarks.md); the model's 256-token window leaves
        // room for the title and headings prepended to each chunk before embedding.
        Self {
            max_tokens: 128,
            overlap_tokens: 16,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ChunkSettingsError {
    #[error("chunk max_tokens must be between 16 and 512, got {0}")]
    Size(usize),
    #[error("chunk overlap_tokens ({overlap}) must be smaller than max_tokens ({max})")]
    Overlap { overlap: usize, max: usize },
}

impl ChunkSettings {
    pub fn validate(self) -> Result<Self, ChunkSettingsError> {
        if !(16..=512).contains(&self.max_tokens) {
            return Err(ChunkSettingsError::Size(self.max_tokens));
        }
        if self.overlap_tokens >= self.max_tokens {
            return Err(ChunkSettingsError::Overlap {
                overlap: self.overlap_tokens,
                max: self.max_tokens,
            });
        }
        Ok(self)
    }
}

/// A piece of a document, before it gets an id and a payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    pub heading: Vec<String>,
    pub text: String,
}

/// Splits documents into pieces of at most `max_tokens` tokens.
pub struct Chunker {
    tokenizer: Tokenizer,
    settings: ChunkSettings,
}

impl Chunker {
    pub fn new(tokenizer: Tokenizer, settings: ChunkSettings) -> Result<Self, ChunkSettingsError> {
        Ok(Self {
            tokenizer,
            settings: settings.validate()?,
        })
    }

    pub fn settings(&self) -> ChunkSettings {
        self.settings
    }

    /// Number of model tokens in `text`, without special tokens.
    pub fn count_tokens(&self, text: &str) -> usize {
        self.tokenizer
            .encode_fast(text, false)
            .map_or(0, |e| e.get_ids().len())
    }

    fn config(&self) -> ChunkConfig<&Tokenizer> {
        ChunkConfig::new(self.settings.max_tokens)
            .with_overlap(self.settings.overlap_tokens)
            // validate() has already checked overlap < max, so this cannot fail.
            .unwrap_or_else(|_| ChunkConfig::new(self.settings.max_tokens))
            .with_sizer(&self.tokenizer)
    }

    /// The document's pieces in reading order. FAQ pairs stay whole, one piece each.
    pub fn split(&self, doc: &Document) -> Vec<Piece> {
        let markdown = MarkdownSplitter::new(self.config());
        let plain = TextSplitter::new(self.config());
        let mut pieces = Vec::new();
        for section in &doc.sections {
            let texts: Vec<String> = match doc.kind {
                DocKind::Faq => vec![section.text.clone()],
                DocKind::Markdown => markdown.chunks(&section.text).map(str::to_owned).collect(),
                DocKind::Plain => plain.chunks(&section.text).map(str::to_owned).collect(),
            };
            pieces.extend(texts.into_iter().map(|text| Piece {
                heading: section.heading.clone(),
                text,
            }));
        }
        pieces
    }
}

/// The text given to the model: title and heading path first, so the vector knows where
/// the passage sits ("Sync > Conflicts" matters for a paragraph that never names them).
pub fn embed_text(title: &str, heading: &[String], text: &str) -> String {
    let mut context: Vec<&str> = Vec::new();
    if !title.is_empty() && heading.first().map(String::as_str) != Some(title) {
        context.push(title);
    }
    context.extend(heading.iter().map(String::as_str));
    if context.is_empty() {
        text.to_owned()
    } else {
        format!("{}\n{text}", context.join(" > "))
    }
}
