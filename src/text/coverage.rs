//! How much of a question a text covers: the question's content words, stemmed (Snowball), each
//! weighted by how rare it is among the texts it is fitted to (retrieved passages, or candidate
//! sentences), so that the specific word ("vacuum",
//! "checkpoint") counts for more than the topic word every passage shares ("database").
//! Reranking, sentence selection and abstention all read this one measure.

use std::collections::HashSet;
use std::sync::LazyLock;

use rust_stemmers::{Algorithm, Stemmer};

use super::words;

static STEMMER: LazyLock<Stemmer> = LazyLock::new(|| Stemmer::create(Algorithm::English));

/// Words that frame a question rather than say what it is about.
const FRAME: &[&str] = &[
    "anyone",
    "anything",
    "actually",
    "exactly",
    "happen",
    "happens",
    "know",
    "mean",
    "need",
    "please",
    "possible",
    "really",
    "someone",
    "something",
    "tell",
    "thing",
    "want",
    "way",
    "wonder",
    "wondering",
    "get",
    "getting",
    "got",
    "go",
    "going",
    "like",
    "ok",
    "okay",
    "sure",
];

/// The stemmed content words of a text, as a set.
pub fn stems(text: &str) -> HashSet<String> {
    words::content_words(text)
        .iter()
        .map(|w| STEMMER.stem(w).into_owned())
        .collect()
}

/// A question's terms with their weights, fitted to a set of passages.
#[derive(Debug, Clone)]
pub struct Terms {
    /// Each term: its stem, its weight, and the question's word it came from.
    terms: Vec<(String, f32, String)>,
    total: f32,
}

impl Terms {
    /// The question's content words, weighted by inverse document frequency among `passages`
    /// (a word in none of them gets the highest weight: nothing retrieved speaks of it).
    pub fn new(question: &str, passages: &[HashSet<String>]) -> Self {
        let mut seen = HashSet::new();
        let n = passages.len() as f32;
        let terms: Vec<(String, f32, String)> = words::content_words(question)
            .into_iter()
            // Contractions ("we're", "hasn't") frame the question too.
            .filter(|w| !FRAME.contains(&w.as_str()) && !w.contains(['\'', '\u{2019}']))
            .map(|w| (STEMMER.stem(&w).into_owned(), w))
            .filter(|(s, _)| seen.insert(s.clone()))
            .map(|(s, w)| {
                let df = passages.iter().filter(|p| p.contains(&s)).count() as f32;
                let weight = (1.0 + (n + 1.0) / (df + 0.5)).ln();
                (s, weight, w)
            })
            .collect();
        let total = terms.iter().map(|(_, w, _)| w).sum();
        Self { terms, total }
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// The weighted share (0..1) of the question's terms found in `stems`.
    pub fn coverage(&self, stems: &HashSet<String>) -> f32 {
        if self.total <= 0.0 {
            return 0.0;
        }
        let found: f32 = self
            .terms
            .iter()
            .filter(|(t, _, _)| stems.contains(t))
            .map(|(_, w, _)| w)
            .sum();
        found / self.total
    }

    /// The question's words whose stems are in none of `texts`, most specific first.
    pub fn missing(&self, texts: &[&HashSet<String>]) -> Vec<String> {
        let mut out: Vec<&(String, f32, String)> = self
            .terms
            .iter()
            .filter(|(t, _, _)| !texts.iter().any(|s| s.contains(t)))
            .collect();
        out.sort_by(|a, b| b.1.total_cmp(&a.1));
        out.into_iter().map(|(_, _, w)| w.clone()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rare_terms_weigh_more_and_stems_meet() {
        let passages = vec![
            stems("The database is vacuumed nightly."),
            stems("The database keeps a journal."),
            stems("Each database has pages."),
        ];
        let terms = Terms::new("When is my database vacuumed?", &passages);
        let vacuum = terms.coverage(&stems("Run VACUUM to rebuild it"));
        let database = terms.coverage(&stems("the database"));
        assert!(vacuum > database, "{vacuum} vs {database}");
        assert!((terms.coverage(&passages[0]) - 1.0).abs() < 1e-6);
    }
}
