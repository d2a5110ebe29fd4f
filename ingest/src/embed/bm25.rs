//! BM25 term vectors for keyword search, with Qdrant's own BM25 (tokenizer, English stemming
//! and stopwords), so vectors match what a Qdrant server computes for the same text. Document
//! frequencies (IDF) are applied by the store at query time.

use qdrant_edge::bm25_embed::{EdgeBm25, EdgeBm25Config};

use super::EmbedError;
use crate::domain::SparseVector;

pub struct Bm25 {
    model: EdgeBm25,
}

impl Bm25 {
    pub fn new() -> Result<Self, EmbedError> {
        let model = EdgeBm25::new(EdgeBm25Config::default())
            .map_err(|e| EmbedError::Setup(format!("BM25: {e}")))?;
        Ok(Self { model })
    }

    pub fn document(&self, text: &str) -> SparseVector {
        let v = self.model.embed_document(text);
        SparseVector {
            indices: v.indices,
            values: v.values,
        }
    }

    pub fn query(&self, text: &str) -> SparseVector {
        let v = self.model.embed_query(text);
        SparseVector {
            indices: v.indices,
            values: v.values,
        }
    }
}
