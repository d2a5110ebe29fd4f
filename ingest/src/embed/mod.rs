//! Turning text into vectors: the [`Embedder`] seam and its fastembed implementation.

use std::ops::Range;

mod bm25;
mod cached;
mod fastembed;

pub use self::bm25::Bm25;
pub use self::cached::CachedEmbedder;
pub use self::fastembed::{FastEmbedder, ModelFiles};

/// Why embedding failed.
#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    /// Model files or the ONNX Runtime library are missing or unusable: fix the set-up.
    #[error("{0}")]
    Setup(String),
    /// The model failed on an input.
    #[error("embedding failed: {0}")]
    Inference(String),
}

/// A text embedding model. Batch-shaped and synchronous: the model keeps every core busy,
/// so async callers run it on a blocking thread.
pub trait Embedder: Send + Sync {
    /// A stable name for the model, recorded with every chunk and answer.
    fn model_id(&self) -> &str;
    /// Length of the vectors it returns.
    fn dimension(&self) -> usize;
    /// One unit-length vector per input text, in order.
    fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbedError>;
    /// [`Embedder::embed`], with how many tokens the model read when it counts them.
    fn embed_counted(&self, texts: &[String]) -> Result<Embedded, EmbedError> {
        Ok(Embedded {
            vectors: self.embed(texts)?,
            tokens: None,
            parts: Vec::new(),
        })
    }
    /// [`Embedder::embed_counted`], and a vector for each byte range `spans[i]` of `texts[i]`,
    /// pooled from the token states of that one call (see [`crate::parts`]). An embedder
    /// without token states returns no part vectors.
    fn embed_parts(
        &self,
        texts: &[String],
        spans: &[Vec<Range<usize>>],
    ) -> Result<Embedded, EmbedError> {
        let _ = spans;
        self.embed_counted(texts)
    }
    /// Frees what the model holds in memory (its weights, its runtime's buffers) until it is
    /// next needed, which loads it again. For a one-shot ingest whose last step, building the
    /// index, needs memory more than the model.
    fn release(&self) {}
}

/// Vectors, and the number of tokens the model read for them (padding not counted), when the
/// embedder counts them.
#[derive(Debug)]
pub struct Embedded {
    pub vectors: Vec<Vec<f32>>,
    pub tokens: Option<usize>,
    /// Per text, a vector for each span asked for (`None`: beyond what the model read); empty
    /// when none were asked for or the embedder cannot pool spans.
    pub parts: Vec<Vec<Option<Vec<f32>>>>,
}

/// Cosine similarity of two unit-length vectors (as [`Embedder::embed`] returns): their dot
/// product.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Scales a vector to unit length so that dot product and cosine agree.
pub fn normalize(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
}
