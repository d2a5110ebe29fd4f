//! Citation markers `[n]` in an answer, and the citations they point to.

use serde::Serialize;

use super::sentences::content_words;
use crate::retrieve::Hit;

/// A cited (or, when abstaining, nearby) passage.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
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

/// The passage numbers the answer's `[n]` markers use, in order of first use, ignoring numbers
/// outside `1..=passages`. `[1][3]` and `[1, 3]` are both understood.
pub fn markers(answer: &str, passages: usize) -> Vec<usize> {
    let mut used = Vec::new();
    let mut rest = answer;
    while let Some(open) = rest.find('[') {
        let after = &rest[open + 1..];
        let Some(close) = after.find(']') else { break };
        for part in after[..close].split(',') {
            if let Ok(n) = part.trim().parse::<usize>() {
                if (1..=passages).contains(&n) && !used.contains(&n) {
                    used.push(n);
                }
            }
        }
        rest = &after[close..];
    }
    used
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
    markers(answer, hits.len())
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
    for sentence in super::sentences::split(answer) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_in_order_of_first_use_within_range() {
        assert_eq!(
            markers("A [2]. B [1][2]. C [1, 3]. D [9] [x]", 3),
            [2, 1, 3]
        );
        assert!(markers("no markers", 3).is_empty());
        assert!(markers("unclosed [1", 3).is_empty());
    }
}
