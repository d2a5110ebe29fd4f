//! The extractive answerer, used when no language model is configured: it answers with the
//! retrieved passages' own sentences, each cited `[n]`. It cannot invent anything, which is
//! what a support team wants from a default.
//!
//! Two ways to pick the sentences (`[answer] sentences`):
//! - `answer` (the default) scores each sentence, list item and table row on how much of the
//!   question it covers (rare terms weigh more), whether it has the shape the question asks for
//!   (a duration for "how long", a price for "how much does it cost"), its similarity, and its
//!   passage's rank; it quotes what a sentence needs to stand alone (the sentence before a "This
//!   …", a list's lead-in line) and reads table rows as sentences.
//! - `similarity`, the first version: the sentences most similar to the question.

use std::collections::HashSet;
use std::sync::Arc;

use cairn_ingest::embed::{cosine, EmbedError, Embedder};
use serde::{Deserialize, Serialize};

use super::intent;
use crate::retrieve::Hit;
use crate::text::coverage::{self, Terms};
use crate::text::sentences::{self, faq_parts, Part, PartKind};
use crate::text::words;

/// At most this many sentences in an answer.
const MAX_SENTENCES: usize = 3;
/// `similarity`: a further sentence must score within this margin of the best one.
const MARGIN: f32 = 0.08;
/// Sentences shorter than this are fragments (headings, table cells) rather than answers.
const MIN_CHARS: usize = 20;
/// `similarity`: weight of lexical overlap (share of the question's content words).
const LEXICAL_WEIGHT: f32 = 0.3;

/// `answer`: the weights of a candidate's score (chosen on the handbooks tuning half, see
/// docs/benchmarks.md).
const W_COVER: f32 = 0.47;
const W_COVER_CONTEXT: f32 = 0.59;
const W_FIT: f32 = 0.41;
/// Taken off a sentence without a figure when the question asks for one.
const W_NO_FIGURE: f32 = 0.4;
const W_RANK: f32 = 0.73;
const W_POSITION: f32 = 0.29;
/// Longer sentences carry more (the log of the length in hundreds of characters).
const W_LENGTH: f32 = 0.12;
/// `answer`: further parts must score within this of the best one.
const ANSWER_MARGIN: f32 = 0.5;
/// `answer`: only this many parts, the best on every score but similarity, are compared with
/// the question. Most chunks carry their parts' vectors (stored at ingest); for the others
/// embedding is most of an extractive answer's time. The parts left out score low on
/// coverage, shape, rank and position, which similarity alone seldom makes up for. On the
/// handbooks tuning half 8 and 4 answered as embedding every part did, 2 lost facts; 8 keeps a
/// margin (docs/benchmarks.md has both halves).
const SHORTLIST: usize = 8;
/// A sentence of at most this many characters, or one opening with a word that points back
/// ("This", "It"), is quoted with the sentence before it.
const SHORT_CHARS: usize = 60;
const POINTS_BACK: &[&str] = &[
    "this",
    "that",
    "these",
    "those",
    "it",
    "its",
    "they",
    "them",
    "such",
    "there",
    "so",
    "then",
    "however",
    "but",
    "also",
    "otherwise",
    "instead",
    "here",
];

pub const MODEL_NAME: &str = "extractive";
pub const DISCLAIMER: &str =
    "Extractive answer: sentences quoted from the documents; no language model was used.";

/// How the extractive answerer picks sentences.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Selection {
    /// Coverage of the question, answer shape, similarity and rank, with context.
    #[default]
    Answer,
    /// Similarity to the question (and word overlap) only.
    Similarity,
}

pub struct Extractive {
    embedder: Arc<dyn Embedder>,
}

/// A candidate: what to quote, the passage it came from (1-based), where in it, its score,
/// and its vector when ingest stored one.
struct Candidate {
    part: Part,
    n: usize,
    index: usize,
    context: HashSet<String>,
    score: f32,
    vector: Option<Vec<f32>>,
}

impl Extractive {
    pub fn new(embedder: Arc<dyn Embedder>) -> Self {
        Self { embedder }
    }

    /// The answer, or `None` when no passage has a usable sentence. Blocking: embeds.
    pub fn answer(
        &self,
        question: &str,
        hits: &[Hit],
        selection: Selection,
    ) -> Result<Option<String>, EmbedError> {
        let mut candidates = match selection {
            Selection::Answer => candidates(hits, self.embedder.dimension()),
            Selection::Similarity => unit_candidates(hits),
        };
        if candidates.is_empty() {
            return Ok(None);
        }
        if selection == Selection::Answer {
            score_without_similarity(question, &mut candidates);
            candidates.sort_by(|a, b| b.score.total_cmp(&a.score));
            candidates.truncate(SHORTLIST);
        }
        // Only the question and the parts stored without a vector go to the model.
        let mut texts = vec![question.to_owned()];
        texts.extend(
            candidates
                .iter()
                .filter(|c| c.vector.is_none())
                .map(|c| embed_text(&c.part)),
        );
        let mut vectors = self.embedder.embed(&texts)?.into_iter();
        let q = vectors
            .next()
            .ok_or_else(|| EmbedError::Inference("no vectors".into()))?;
        let q = &q;
        let mut rest: Vec<Vec<f32>> = Vec::with_capacity(candidates.len());
        for c in &mut candidates {
            match c.vector.take().or_else(|| vectors.next()) {
                Some(v) => rest.push(v),
                None => return Err(EmbedError::Inference("too few vectors".into())),
            }
        }
        let rest = &rest;
        let text = match selection {
            Selection::Answer => {
                for (c, v) in candidates.iter_mut().zip(rest) {
                    c.score += cosine(q, v);
                }
                // A wide margin: on the tuning half the fact was often in the second or third
                // best part.
                render(&choose(candidates, ANSWER_MARGIN))
            }
            Selection::Similarity => {
                let q_words = words::content_words(question);
                for (c, v) in candidates.iter_mut().zip(rest) {
                    c.score = cosine(q, v) + LEXICAL_WEIGHT * overlap(&q_words, &c.part.text);
                }
                choose(candidates, MARGIN)
                    .iter()
                    .map(|c| format!("{} [{}]", c.part.text, c.n))
                    .collect::<Vec<_>>()
                    .join(" ")
            }
        };
        Ok(Some(text))
    }
}

/// Every quotable part of every passage, without repeats (overlapping chunks share some),
/// with the vectors stored for them.
fn candidates(hits: &[Hit], dimension: usize) -> Vec<Candidate> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for (i, hit) in hits.iter().enumerate() {
        let p = &hit.chunk.payload;
        let (question_line, body) = faq_parts(&p.text);
        let context = coverage::stems(&format!(
            "{} {} {}",
            p.title,
            p.heading.join(" "),
            question_line.unwrap_or_default()
        ));
        let parts = sentences::parts(body);
        let mut stored = p
            .parts
            .as_ref()
            .and_then(|stored| {
                let texts: Vec<String> = parts.iter().map(|p| p.text.clone()).collect();
                stored.decode(&texts, dimension)
            })
            .unwrap_or_default();
        for (index, mut part) in parts.into_iter().enumerate() {
            let vector = stored.get_mut(index).and_then(Option::take);
            let long_enough = part.text.chars().count() >= MIN_CHARS;
            let answers = !part.text.ends_with([':', '?']);
            if part.section.is_none() {
                part.section = question_line
                    .map(str::to_owned)
                    .or(p.heading.last().cloned());
            }
            if long_enough && answers && seen.insert(part.text.clone()) {
                let mut context = context.clone();
                if let Some(section) = &part.section {
                    context.extend(coverage::stems(section));
                }
                out.push(Candidate {
                    part,
                    n: i + 1,
                    index,
                    context,
                    score: 0.0,
                    vector,
                });
            }
        }
    }
    out
}

/// `similarity`: the sentences of every passage, tables and introduced lists kept whole.
fn unit_candidates(hits: &[Hit]) -> Vec<Candidate> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for (i, hit) in hits.iter().enumerate() {
        let (_, body) = faq_parts(&hit.chunk.payload.text);
        for (index, text) in sentences::units(body).into_iter().enumerate() {
            if text.chars().count() >= MIN_CHARS && seen.insert(text.clone()) {
                out.push(Candidate {
                    part: Part {
                        text,
                        kind: PartKind::Sentence,
                        lead: None,
                        section: None,
                        offset: index,
                        span: 0..0,
                    },
                    n: i + 1,
                    index,
                    context: HashSet::new(),
                    score: 0.0,
                    vector: None,
                });
            }
        }
    }
    out
}

/// What is embedded for a candidate: a list item or table row with its lead (its lead-in line,
/// or the part before it).
fn embed_text(part: &Part) -> String {
    match (&part.kind, &part.lead) {
        (PartKind::ListItem | PartKind::TableRow, Some(lead)) => format!("{lead} {}", part.text),
        _ => part.text.clone(),
    }
}

/// `answer`: every term of a candidate's score but its similarity to the question.
fn score_without_similarity(question: &str, candidates: &mut [Candidate]) {
    let want = intent::of(question);
    let own: Vec<HashSet<String>> = candidates
        .iter()
        .map(|c| coverage::stems(&c.part.text))
        .collect();
    let terms = Terms::new(question, &own);
    for (c, stems) in candidates.iter_mut().zip(&own) {
        let mut around = stems.clone();
        around.extend(c.context.iter().cloned());
        if let Some(lead) = &c.part.lead {
            around.extend(coverage::stems(lead));
        }
        let fit = intent::fits(want, &c.part.text);
        let rank = 1.0 / c.n as f32;
        // The first sentences under a title (an FAQ's question, a heading) usually answer it.
        let position = 1.0 / (1.0 + c.part.offset as f32);
        c.score = W_COVER * terms.coverage(stems)
            + W_COVER_CONTEXT * terms.coverage(&around)
            + W_FIT * fit
            + W_RANK * rank
            + W_POSITION * position
            + W_LENGTH * (c.part.text.chars().count() as f32 / 100.0).ln();
        // A figure question is not answered by a sentence without a figure.
        if want.wants_figure() && fit == 0.0 {
            c.score -= W_NO_FIGURE;
        }
    }
}

/// The best candidate and up to two more within `margin` of it.
fn choose(mut candidates: Vec<Candidate>, margin: f32) -> Vec<Candidate> {
    candidates.sort_by(|a, b| b.score.total_cmp(&a.score));
    let best = candidates.first().map_or(0.0, |c| c.score);
    candidates
        .into_iter()
        .filter(|c| c.score >= best - margin)
        .take(MAX_SENTENCES)
        .collect()
}

/// The chosen parts grouped by passage (best passage first), in document order within each,
/// each group ending with its `[n]`; a part that cannot stand alone is quoted with its lead.
fn render(chosen: &[Candidate]) -> String {
    let mut passages: Vec<usize> = Vec::new();
    for c in chosen {
        if !passages.contains(&c.n) {
            passages.push(c.n);
        }
    }
    let mut out = Vec::new();
    for n in passages {
        let mut group: Vec<&Candidate> = chosen.iter().filter(|c| c.n == n).collect();
        group.sort_by_key(|c| c.index);
        let mut quoted: Vec<String> = Vec::new();
        for c in group {
            if let Some(lead) = needs_lead(&c.part) {
                if !quoted.iter().any(|q| q == lead) {
                    quoted.push(lead.to_owned());
                }
            }
            if !quoted.contains(&c.part.text) {
                quoted.push(c.part.text.clone());
            }
        }
        out.push(format!("{} [{n}]", with_stops(&quoted)));
    }
    out.join(" ")
}

/// The lead a part is quoted with: a list item's or table row's lead-in, or the sentence
/// before a short one or one that points back.
fn needs_lead(part: &Part) -> Option<&str> {
    let lead = part.lead.as_deref()?;
    let first = part
        .text
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .trim_matches(|c: char| !c.is_alphanumeric())
        .to_lowercase();
    let wants = match part.kind {
        PartKind::ListItem | PartKind::TableRow => lead.ends_with(':'),
        PartKind::Sentence => {
            part.text.chars().count() <= SHORT_CHARS || POINTS_BACK.contains(&first.as_str())
        }
    };
    wants.then_some(lead)
}

/// Quoted parts joined into one text; list items and rows end with a full stop.
fn with_stops(parts: &[String]) -> String {
    parts
        .iter()
        .map(|p| {
            if p.ends_with(['.', '!', '?', ':']) {
                p.clone()
            } else {
                format!("{p}.")
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Share of the question's content words found in the sentence.
fn overlap(question: &[String], sentence: &str) -> f32 {
    if question.is_empty() {
        return 0.0;
    }
    let words: HashSet<String> = words::content_words(sentence).into_iter().collect();
    let found = question.iter().filter(|w| words.contains(*w)).count();
    found as f32 / question.len() as f32
}
