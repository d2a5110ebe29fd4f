//! An [`Embedder`] that remembers: a bounded cache of vectors by text, in front of the model.
//!
//! Answering embeds the question and every candidate sentence of the retrieved passages, and
//! the grounding check embeds passage sentences again; support questions keep retrieving the
//! same passages, so most of those texts were embedded by an earlier query. The model is
//! deterministic, so a remembered vector is the vector the model would give.

use std::collections::HashMap;
use std::sync::Arc;

use quick_cache::sync::Cache;

use super::{EmbedError, Embedder};

pub struct CachedEmbedder {
    inner: Arc<dyn Embedder>,
    cache: Cache<String, Arc<[f32]>>,
}

impl CachedEmbedder {
    /// Remembers up to `capacity` texts (least recently used go first); 0 turns caching off.
    pub fn new(inner: Arc<dyn Embedder>, capacity: usize) -> Self {
        Self {
            inner,
            cache: Cache::new(capacity.max(1)),
        }
    }
}

impl Embedder for CachedEmbedder {
    fn model_id(&self) -> &str {
        self.inner.model_id()
    }

    fn dimension(&self) -> usize {
        self.inner.dimension()
    }

    fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let mut out: Vec<Option<Vec<f32>>> = texts
            .iter()
            .map(|t| self.cache.get(t).map(|v| v.to_vec()))
            .collect();
        // Each text the cache lacks is embedded once, however often it repeats in `texts`.
        let mut missing: Vec<&String> = Vec::new();
        let mut slot_of: HashMap<&str, usize> = HashMap::new();
        for (text, found) in texts.iter().zip(&out) {
            if found.is_none() && !slot_of.contains_key(text.as_str()) {
                slot_of.insert(text, missing.len());
                missing.push(text);
            }
        }
        if !missing.is_empty() {
            let owned: Vec<String> = missing.iter().map(|t| t.to_string()).collect();
            let vectors = self.inner.embed(&owned)?;
            if vectors.len() != owned.len() {
                return Err(EmbedError::Inference(
                    "the model returned too few vectors".into(),
                ));
            }
            for (t, slot) in texts.iter().zip(out.iter_mut()) {
                if slot.is_none() {
                    *slot = slot_of.get(t.as_str()).map(|&i| vectors[i].clone());
                }
            }
            for (text, vector) in owned.into_iter().zip(vectors) {
                self.cache.insert(text, vector.into());
            }
        }
        out.into_iter()
            .map(|v| {
                v.ok_or_else(|| EmbedError::Inference("the model returned too few vectors".into()))
            })
            .collect()
    }

    fn release(&self) {
        self.inner.release();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// Counts the texts it is asked to embed; the vector is the text's length.
    struct Counting(AtomicUsize);

    impl Embedder for Counting {
        fn model_id(&self) -> &str {
            "counting"
        }
        fn dimension(&self) -> usize {
            1
        }
        fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbedError> {
            self.0.fetch_add(texts.len(), Ordering::SeqCst);
            Ok(texts.iter().map(|t| vec![t.len() as f32]).collect())
        }
    }

    #[test]
    fn each_text_reaches_the_model_once_and_results_keep_their_order() {
        let model = Arc::new(Counting(AtomicUsize::new(0)));
        let cached = CachedEmbedder::new(model.clone(), 100);
        let texts = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let got = cached.embed(&texts(&["a", "bbb", "a"])).unwrap();
        assert_eq!(got, vec![vec![1.0], vec![3.0], vec![1.0]]);
        assert_eq!(
            model.0.load(Ordering::SeqCst),
            2,
            "a repeated text is embedded once"
        );
        let got = cached.embed(&texts(&["bbb", "cc", "a"])).unwrap();
        assert_eq!(got, vec![vec![3.0], vec![2.0], vec![1.0]]);
        assert_eq!(
            model.0.load(Ordering::SeqCst),
            3,
            "only the new text reached the model"
        );
    }
}
