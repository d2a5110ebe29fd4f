//! A vector for each quotable part of a passage (its sentences, list items and table rows, as
//! [`sentences::parts`] reads them), stored in the chunk's payload so that extractive answers
//! rank a passage's sentences without running the model at query time.
//!
//! The vectors cost no extra inference: each is the mean of the chunk's own token states over
//! the tokens of the part, from the one model call that embeds the chunk ("late chunking").
//! A part is therefore seen in its passage's context, as its reader sees it.
//!
//! Stored as base64 of, per part, an f32 scale then one signed byte per dimension (a quarter
//! of f32, and well under the differences between sentences: see `quantization_keeps_cosines`).
//! A digest of the part texts guards against a later cairn splitting parts differently: when
//! it does not match, the answerer embeds the parts as before.

use std::ops::Range;

use base64::Engine;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::embed::normalize;
use crate::sentences;

/// Part of every document's fingerprint: bumping it (when parts or their vectors change)
/// re-embeds every document on its next ingest, as a new model would. Version 1 added them,
/// so collections stored before are re-embedded once.
pub const VERSION: u32 = 1;

const BASE64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD_NO_PAD;
/// Bytes of the per-part scale.
const SCALE: usize = 4;

/// The stored vectors of a chunk's parts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartVectors {
    /// sha256 (first 8 bytes, hex) of the part texts the vectors belong to.
    pub digest: String,
    /// base64: per part, f32 little-endian scale, then the quantized components.
    pub vectors: String,
}

/// The texts of the parts of a chunk's text, in order (an FAQ chunk's parts are its answer's).
pub fn texts(text: &str) -> Vec<String> {
    let (_, body) = sentences::faq_parts(text);
    sentences::parts(body).into_iter().map(|p| p.text).collect()
}

/// The parts of a chunk: their texts and their byte ranges in `embedded`, the text the model
/// reads (the chunk's text after its title and headings). Empty when `embedded` does not end
/// with `text`.
pub fn spans(text: &str, embedded: &str) -> (Vec<String>, Vec<Range<usize>>) {
    let (_, body) = sentences::faq_parts(text);
    if !embedded.ends_with(text) {
        return Default::default();
    }
    // `body` is a suffix of `text`, itself a suffix of `embedded`.
    let at = embedded.len() - body.len();
    sentences::parts(body)
        .into_iter()
        .map(|p| (p.text, at + p.span.start..at + p.span.end))
        .unzip()
}

/// The mean of the token states whose characters overlap `span`, normalized; `None` when no
/// token does (the model's input was cut before the part).
pub fn pool<'a>(
    states: impl Fn(usize) -> Option<&'a [f32]>,
    offsets: &[(usize, usize)],
    span: &Range<usize>,
) -> Option<Vec<f32>> {
    let mut sum: Option<Vec<f32>> = None;
    for (i, &(start, end)) in offsets.iter().enumerate() {
        // Special tokens ([CLS], [SEP], padding) have empty offsets.
        if start >= end || end <= span.start || start >= span.end {
            continue;
        }
        let Some(state) = states(i) else { continue };
        match &mut sum {
            None => sum = Some(state.to_vec()),
            Some(s) => s.iter_mut().zip(state).for_each(|(a, b)| *a += b),
        }
    }
    let mut v = sum?;
    normalize(&mut v);
    Some(v)
}

impl PartVectors {
    /// Packs the vectors of the parts `texts` (`None`: a part the model did not see).
    pub fn encode(texts: &[String], vectors: &[Option<Vec<f32>>], dimension: usize) -> Self {
        let mut bytes = Vec::with_capacity(texts.len() * (SCALE + dimension));
        for v in vectors {
            let v = v.as_deref().filter(|v| v.len() == dimension);
            let max = v.map_or(0.0, |v| v.iter().fold(0.0f32, |m, x| m.max(x.abs())));
            bytes.extend(max.to_le_bytes());
            for i in 0..dimension {
                let x = v.map_or(0.0, |v| v[i]);
                let q = if max > 0.0 { x / max * 127.0 } else { 0.0 };
                bytes.push(q.round().clamp(-127.0, 127.0) as i8 as u8);
            }
        }
        Self {
            digest: digest(texts),
            vectors: BASE64.encode(bytes),
        }
    }

    /// The vectors of the parts `texts`, one per part (`None` where none was stored), or
    /// `None` when they were stored for other texts or cannot be read.
    pub fn decode(&self, texts: &[String], dimension: usize) -> Option<Vec<Option<Vec<f32>>>> {
        if self.digest != digest(texts) {
            return None;
        }
        let bytes = BASE64.decode(&self.vectors).ok()?;
        let size = SCALE + dimension;
        if bytes.len() != texts.len() * size {
            return None;
        }
        let vectors = bytes
            .chunks_exact(size)
            .map(|part| {
                let (scale, components) = part.split_at(SCALE);
                let max = f32::from_le_bytes(scale.try_into().ok()?);
                if !(max.is_finite() && max > 0.0) {
                    return None;
                }
                let mut v: Vec<f32> = components
                    .iter()
                    .map(|&b| f32::from(b as i8) * max / 127.0)
                    .collect();
                normalize(&mut v);
                Some(v)
            })
            .collect();
        Some(vectors)
    }
}

fn digest(texts: &[String]) -> String {
    let mut hash = Sha256::new();
    for t in texts {
        hash.update(t.as_bytes());
        hash.update([0x1f]);
    }
    hash.finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::embed::cosine;

    fn unit(seed: u32, dimension: usize) -> Vec<f32> {
        // A deterministic pseudo-random vector (xorshift), like a model's: small components.
        let mut x = seed.wrapping_mul(2_654_435_761).max(1);
        let mut v: Vec<f32> = (0..dimension)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                (x as f32 / u32::MAX as f32) - 0.5
            })
            .collect();
        normalize(&mut v);
        v
    }

    #[test]
    fn quantization_keeps_cosines() {
        let texts: Vec<String> = (0..6).map(|i| format!("part {i}")).collect();
        let vectors: Vec<Option<Vec<f32>>> = (0..6).map(|i| Some(unit(i + 1, 384))).collect();
        let stored = PartVectors::encode(&texts, &vectors, 384);
        let back = stored.decode(&texts, 384).expect("same texts");
        let query = unit(99, 384);
        for (a, b) in vectors.iter().zip(&back) {
            let (a, b) = (a.as_ref().unwrap(), b.as_ref().unwrap());
            assert!((cosine(a, &query) - cosine(b, &query)).abs() < 0.005);
        }
    }

    #[test]
    fn missing_parts_and_other_texts_decode_as_none() {
        let texts = vec!["one".to_owned(), "two".to_owned()];
        let stored = PartVectors::encode(&texts, &[Some(unit(1, 8)), None], 8);
        let back = stored.decode(&texts, 8).unwrap();
        assert!(back[0].is_some() && back[1].is_none());
        assert!(stored.decode(&["one".to_owned()], 8).is_none());
        assert!(stored.decode(&texts, 16).is_none());
        let broken = PartVectors {
            vectors: "not base64!".into(),
            ..stored
        };
        assert!(broken.decode(&texts, 8).is_none());
    }

    #[test]
    fn spans_point_into_the_embedded_text() {
        let text = "Q: How long is trash kept?\nA: Trash keeps notes for\n30 days. It is then emptied.\n- Ctrl+K cuts";
        let embedded = format!("Help > Trash\n{text}");
        let (texts, at) = spans(text, &embedded);
        assert_eq!(texts[0], "Trash keeps notes for 30 days.");
        assert_eq!(&embedded[at[0].clone()], "Trash keeps notes for\n30 days.");
        assert_eq!(&embedded[at[1].clone()], "It is then emptied.");
        assert_eq!(&embedded[at[2].clone()], "Ctrl+K cuts");
        assert_eq!(texts, super::texts(text));
        assert_eq!(spans(text, "something else").0.len(), 0);
    }

    #[test]
    fn pooling_averages_the_tokens_of_the_span() {
        let offsets = [(0, 0), (0, 5), (6, 10), (11, 15), (0, 0)];
        let rows: Vec<[f32; 2]> = (0..offsets.len()).map(|i| [i as f32, 1.0]).collect();
        let states = |i: usize| rows.get(i).map(|r| r.as_slice());
        let v = pool(states, &offsets, &(6..15)).unwrap();
        // tokens 2 and 3: mean (2.5, 1), normalized
        assert!((v[0] / v[1] - 2.5).abs() < 1e-5);
        assert!(pool(states, &offsets, &(20..30)).is_none());
    }
}
