//! The types both flows share: validated names, loaded documents, chunks and their payload.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A collection name, checked once on entry: 1–64 characters of `[A-Za-z0-9_-]`.
///
/// The embedded store uses it as a directory name, so anything else (slashes, dots) is refused.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct CollectionName(String);

#[derive(Debug, thiserror::Error)]
#[error("invalid collection name {0:?}: use 1 to 64 characters from A-Z, a-z, 0-9, '_' and '-'")]
pub struct InvalidCollectionName(pub String);

impl CollectionName {
    pub fn parse(name: &str) -> Result<Self, InvalidCollectionName> {
        let valid = (1..=64).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if valid {
            Ok(Self(name.to_owned()))
        } else {
            Err(InvalidCollectionName(name.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CollectionName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for CollectionName {
    type Err = InvalidCollectionName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl<'de> Deserialize<'de> for CollectionName {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// What kind of text a document holds; it decides how its sections are chunked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocKind {
    /// Markdown: split with the markdown-aware splitter.
    Markdown,
    /// Prose without markup (txt, rst, html, pdf after extraction).
    Plain,
    /// Question/answer pairs: one chunk per pair, never split.
    Faq,
}

/// A run of text under one heading path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// Headings from the outermost to the innermost, e.g. `["Sync", "Conflicts"]`.
    pub heading: Vec<String>,
    pub text: String,
}

/// A loaded file: its text split into sections by headings.
#[derive(Debug, Clone)]
pub struct Document {
    /// Path relative to the directory given to ingest, with `/` separators.
    pub source: String,
    pub title: String,
    pub kind: DocKind,
    pub sections: Vec<Section>,
}

/// The payload stored with every chunk's vector. Field names are part of the stored format.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChunkPayload {
    pub text: String,
    /// Deterministic id of the source document (a UUID derived from its source path).
    pub document_id: String,
    pub source: String,
    pub title: String,
    pub heading: Vec<String>,
    pub chunk_index: u32,
    /// How many chunks the document produced: lets a later run tell a complete document
    /// from one that an interrupted run left half-written.
    pub chunk_count: u32,
    /// sha256 of this chunk's text.
    pub content_hash: String,
    /// sha256 of the file's bytes and of the settings that shaped its chunks.
    pub doc_hash: String,
    /// RFC 3339 time of the ingest run that wrote the chunk.
    pub ingested_at: String,
    /// A vector for each quotable part of `text`, for extractive answers (absent from chunks
    /// stored before they existed, and from embedders without token states).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parts: Option<crate::parts::PartVectors>,
}

/// A chunk ready to embed: its id, the text given to the model, and its payload.
#[derive(Debug, Clone)]
pub struct Chunk {
    pub id: uuid::Uuid,
    /// Title and headings prepended to the text: the model sees where the passage sits.
    pub embed_text: String,
    pub payload: ChunkPayload,
}

/// A sparse vector: term ids and weights (BM25 term frequencies for keyword search).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SparseVector {
    pub indices: Vec<u32>,
    pub values: Vec<f32>,
}

/// A chunk with its vectors, as written to the store.
#[derive(Debug, Clone)]
pub struct EmbeddedChunk {
    pub id: uuid::Uuid,
    /// The embedding model's vector (semantic search).
    pub vector: Vec<f32>,
    /// BM25 term weights (keyword search).
    pub sparse: SparseVector,
    pub payload: ChunkPayload,
}

/// What a search compares against: a dense embedding or BM25 terms.
#[derive(Debug, Clone)]
pub enum QueryVector {
    Dense(Vec<f32>),
    Sparse(SparseVector),
}

/// A search hit.
#[derive(Debug, Clone, Serialize)]
pub struct ScoredChunk {
    pub id: uuid::Uuid,
    pub score: f32,
    pub payload: ChunkPayload,
}

impl ChunkPayload {
    /// The heading path joined for display, e.g. `Sync > Conflicts`.
    pub fn heading_text(&self) -> String {
        self.heading.join(" > ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collection_names_are_validated() {
        assert!(CollectionName::parse("docs-sample_2").is_ok());
        for bad in ["", "../x", "a/b", "a.b", &"x".repeat(65)] {
            assert!(CollectionName::parse(bad).is_err(), "{bad:?} accepted");
        }
    }
}
