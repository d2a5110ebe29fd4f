//! The extractive answerer, used when no language model is configured: it answers with the
//! retrieved passages' own sentences that best match the question, each cited `[n]`. It cannot
//! invent anything, which is what a support team wants from a default.

use std::sync::Arc;

use cairn_ingest::embed::{cosine, EmbedError, Embedder};

use crate::retrieve::Hit;
use crate::text::{sentences, words};

/// At most this many sentences in an answer.
const MAX_SENTENCES: usize = 3;
/// A further sentence must score within this margin of the best one.
const MARGIN: f32 = 0.08;
/// Weight of lexical overlap (share of the question's content words) next to cosine similarity.
const LEXICAL_WEIGHT: f32 = 0.3;
/// Sentences shorter than this are fragments (headings, table cells) rather than answers.
const MIN_CHARS: usize = 20;

pub const MODEL_NAME: &str = "extractive";
pub const DISCLAIMER: &str =
    "Extractive answer: sentences quoted from the documents, chosen by similarity; no language model was used.";

pub struct Extractive {
    embedder: Arc<dyn Embedder>,
}

/// A candidate sentence: its text, the passage it came from (1-based) and its score.
struct Candidate {
    text: String,
    n: usize,
    score: f32,
}

impl Extractive {
    pub fn new(embedder: Arc<dyn Embedder>) -> Self {
        Self { embedder }
    }

    /// The answer text, or `None` when no passage has a usable sentence. Blocking: embeds.
    pub fn answer(&self, question: &str, hits: &[Hit]) -> Result<Option<String>, EmbedError> {
        let mut candidates = candidates(hits);
        if candidates.is_empty() {
            return Ok(None);
        }
        let mut texts = vec![question.to_owned()];
        texts.extend(candidates.iter().map(|c| c.text.clone()));
        let vectors = self.embedder.embed(&texts)?;
        let (q, rest) = vectors
            .split_first()
            .ok_or_else(|| EmbedError::Inference("no vectors".into()))?;
        let q_words = words::content_words(question);
        for (c, v) in candidates.iter_mut().zip(rest) {
            c.score = cosine(q, v) + LEXICAL_WEIGHT * overlap(&q_words, &c.text);
        }
        candidates.sort_by(|a, b| b.score.total_cmp(&a.score));
        let best = candidates[0].score;
        let chosen: Vec<&Candidate> = candidates
            .iter()
            .filter(|c| c.score >= best - MARGIN)
            .take(MAX_SENTENCES)
            .collect();
        let answer = chosen
            .iter()
            .map(|c| format!("{} [{}]", c.text, c.n))
            .collect::<Vec<_>>()
            .join(" ");
        Ok(Some(answer))
    }
}

/// The answerable sentences of every passage, without repeats (overlapping chunks share some).
fn candidates(hits: &[Hit]) -> Vec<Candidate> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for (i, hit) in hits.iter().enumerate() {
        for sentence in sentences::units(answer_part(&hit.chunk.payload.text)) {
            if sentence.chars().count() >= MIN_CHARS && seen.insert(sentence.clone()) {
                out.push(Candidate {
                    text: sentence,
                    n: i + 1,
                    score: 0.0,
                });
            }
        }
    }
    out
}

/// An FAQ chunk ("Q: …\nA: …") answers with its answer, not by repeating the question.
fn answer_part(text: &str) -> &str {
    match (text.strip_prefix("Q: "), text.find("\nA: ")) {
        (Some(_), Some(i)) => &text[i + 4..],
        _ => text,
    }
}

/// Share of the question's content words found in the sentence.
fn overlap(question: &[String], sentence: &str) -> f32 {
    if question.is_empty() {
        return 0.0;
    }
    let words: std::collections::HashSet<String> =
        words::content_words(sentence).into_iter().collect();
    let found = question.iter().filter(|w| words.contains(*w)).count();
    found as f32 / question.len() as f32
}
