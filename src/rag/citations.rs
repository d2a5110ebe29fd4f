//! Citation markers `[n]` in an answer, and the citations they point to.

use serde::{Deserialize, Serialize};

use crate::retrieve::Hit;
use crate::text::markers;
use crate::text::sentences;
use crate::text::words::content_words;

/// A cited (or, when abstaining, nearby) passage.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct Citation {
    /// The passage's number in the prompt, as used in the answer's `[n]` markers.
    pub n: usize,
    pub chunk_id: String,
    pub source: String,
    pub title: String,
    pub heading: String,
    pub snippet: String,
    pub score: f32,
}

pub fn citation(n: usize, hit: &Hit) -> Citation {
    let p = &hit.chunk.payload;
    Citation {
        n,
        chunk_id: hit.chunk.id.to_string(),
        source: p.source.clone(),
        title: p.title.clone(),
        heading: p.heading.join(" > "),
        snippet: snippet(&p.text),
        score: hit.similarity.unwrap_or(hit.score),
    }
}

/// A short excerpt for display: the first 240 characters, cut at a word boundary.
pub fn snippet(text: &str) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= 240 {
        return flat;
    }
    let cut: String = flat.chars().take(240).collect();
    let end = cut.rfind(' ').unwrap_or(cut.len());
    format!("{}…", &cut[..end])
}

/// The citations an answer's markers use, in order of first use.
pub fn cited(answer: &str, hits: &[Hit]) -> Vec<Citation> {
    markers::cited(answer, hits.len())
        .into_iter()
        .filter_map(|n| hits.get(n - 1).map(|h| citation(n, h)))
        .collect()
}

/// For an answer without `[n]` markers (small models often drop them): each sentence cites the
/// passage holding most of its content words, when that passage holds at least half of them.
pub fn inferred(answer: &str, hits: &[Hit]) -> Vec<Citation> {
    let passages: Vec<std::collections::HashSet<String>> = hits
        .iter()
        .map(|h| content_words(&h.chunk.payload.text).into_iter().collect())
        .collect();
    let mut used: Vec<usize> = Vec::new();
    for sentence in sentences::split(answer) {
        let words = content_words(&sentence);
        if words.is_empty() {
            continue;
        }
        let share = |p: &std::collections::HashSet<String>| {
            words.iter().filter(|w| p.contains(*w)).count() as f32 / words.len() as f32
        };
        let best = passages
            .iter()
            .enumerate()
            .map(|(i, p)| (i, share(p)))
            .max_by(|a, b| a.1.total_cmp(&b.1));
        if let Some((i, s)) = best {
            if s >= 0.5 && !used.contains(&(i + 1)) {
                used.push(i + 1);
            }
        }
    }
    used.into_iter()
        .filter_map(|n| hits.get(n - 1).map(|h| citation(n, h)))
        .collect()
}
