//! The result of an evaluation run: what `cairn eval --json` prints, `GET /v1/evals/{id}`
//! returns and the HTML report shows (docs/evaluation.md documents every field).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ground::Grounding;
use crate::rag::answer::Evidence;
use crate::rag::answer::Latency;
pub use crate::rag::answer::VariantInfo;
use crate::rag::citations::Citation;

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EvalResult {
    pub run: RunInfo,
    /// `metrics[variant][metric]`.
    pub metrics: BTreeMap<String, BTreeMap<String, Metric>>,
    /// Each variant after the first against the first (the baseline).
    pub comparisons: Vec<Comparison>,
    pub items: Vec<ItemResult>,
    /// Plain-language cautions (few items, failed items).
    pub warnings: Vec<String>,
}

/// Everything needed to reproduce the run.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RunInfo {
    pub id: String,
    pub dataset: String,
    pub dataset_version: String,
    pub collection: String,
    /// Chunks in the collection when the run started.
    pub points: usize,
    pub started: DateTime<Utc>,
    pub finished: DateTime<Utc>,
    pub cairn_version: String,
    /// In run order; the first is the baseline.
    pub variant_order: Vec<String>,
    pub variants: BTreeMap<String, VariantInfo>,
}

/// An aggregate with its 95% bootstrap interval over `n` items; `value` is null without data.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct Metric {
    pub value: Option<f64>,
    pub ci95: Option<[f64; 2]>,
    pub n: usize,
}

/// A candidate against the baseline on the items both answered.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Comparison {
    pub baseline: String,
    pub candidate: String,
    pub metrics: BTreeMap<String, Delta>,
    /// Items the candidate did worse on (see docs/evaluation.md for what counts).
    pub regressed: Vec<String>,
    pub improved: Vec<String>,
    /// One sentence per metric whose difference is significant at 5%, or that none is.
    pub summary: Vec<String>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct Delta {
    /// candidate − baseline.
    pub delta: Option<f64>,
    /// Paired bootstrap interval of the delta.
    pub ci95: Option<[f64; 2]>,
    /// Exact McNemar for yes/no metrics, paired bootstrap otherwise.
    pub p_value: Option<f64>,
    /// Items with a value under both variants.
    pub n: usize,
    pub test: Test,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Test {
    McnemarExact,
    PairedBootstrap,
}

impl Test {
    /// The name in JSON and reports.
    pub fn name(self) -> &'static str {
        match self {
            Test::McnemarExact => "McNemar exact",
            Test::PairedBootstrap => "paired bootstrap",
        }
    }
}

impl ItemResult {
    /// An item with no answer yet: every metric null. `error` says why, if it failed.
    pub fn unanswered(
        id: &str,
        variant: &str,
        question: &str,
        answerable: bool,
        error: Option<String>,
    ) -> Self {
        Self {
            id: id.to_owned(),
            variant: variant.to_owned(),
            question: question.to_owned(),
            answerable,
            abstained: false,
            behaved: false,
            hit_at_1: None,
            hit_at_5: None,
            reciprocal_rank: None,
            keyword_recall: None,
            fact_in_answer: None,
            fact_in_cited_passages: None,
            cites_expected_source: None,
            reference_similarity: None,
            hallucinated: None,
            grounding_score: None,
            latency_ms: Latency::default(),
            prompt_tokens: 0,
            completion_tokens: 0,
            cost: 0.0,
            answer: String::new(),
            citations: Vec::new(),
            retrieved: Vec::new(),
            grounding: None,
            evidence: None,
            error,
        }
    }
}

/// One item under one variant.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ItemResult {
    pub id: String,
    pub variant: String,
    pub question: String,
    pub answerable: bool,
    pub abstained: bool,
    /// Answered an answerable item, or abstained on an unanswerable one.
    pub behaved: bool,
    /// Null without expected sources.
    pub hit_at_1: Option<bool>,
    pub hit_at_5: Option<bool>,
    pub reciprocal_rank: Option<f64>,
    /// Share of the keywords found in the answer; null without keywords.
    pub keyword_recall: Option<f64>,
    /// Every keyword (the expected fact) is in the answer; null without keywords.
    #[serde(default)]
    pub fact_in_answer: Option<bool>,
    /// Every keyword is in the passages the answer cites (the fact was there to quote).
    #[serde(default)]
    pub fact_in_cited_passages: Option<bool>,
    /// The answer cites a passage from an expected source; null without expected sources.
    #[serde(default)]
    pub cites_expected_source: Option<bool>,
    /// Cosine similarity of the answer to the reference answer; null without one.
    pub reference_similarity: Option<f64>,
    /// Null when it abstained (nothing was claimed).
    pub hallucinated: Option<bool>,
    pub grounding_score: Option<f64>,
    pub latency_ms: Latency,
    pub prompt_tokens: u32,
    pub completion_tokens: u32,
    pub cost: f64,
    pub answer: String,
    pub citations: Vec<Citation>,
    /// Sources of the retrieved passages, best first.
    pub retrieved: Vec<String>,
    pub grounding: Option<Grounding>,
    /// What the answerability decision saw.
    #[serde(default)]
    pub evidence: Option<Evidence>,
    /// Why the item has no answer (the answer flow failed); its metrics are then null.
    pub error: Option<String>,
}
