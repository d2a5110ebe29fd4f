//! Figures over logged answers for `/v1/stats`: rates with counts, a 95% interval for the
//! thumbs-up rate, latency percentiles per stage, tokens and cost, answers per day.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{LoggedAnswer, Rating};
use crate::llm::Usage;
use crate::rag::answer::Latency;

/// Prices of the configured model, per 1000 tokens, for the cost estimate.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Pricing {
    pub prompt_per_1k: f64,
    pub completion_per_1k: f64,
    pub currency: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Stats {
    pub answers: usize,
    pub abstained: usize,
    pub abstention_rate: Option<f64>,
    /// Among answers that did not abstain.
    pub hallucinated: usize,
    pub hallucination_rate: Option<f64>,
    pub feedback: FeedbackStats,
    /// Milliseconds per stage: p50, p95, p99 (nearest rank).
    pub latency_ms: BTreeMap<String, Percentiles>,
    pub tokens: Tokens,
    pub cost: Cost,
    pub answers_per_day: BTreeMap<String, usize>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FeedbackStats {
    pub up: usize,
    pub down: usize,
    /// up / (up + down), over ratings.
    pub thumbs_up_rate: Option<f64>,
    /// Wilson score interval at 95% for the thumbs-up rate.
    pub thumbs_up_interval_95: Option<[f64; 2]>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Percentiles {
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Tokens {
    pub prompt: u64,
    pub completion: u64,
    pub per_answer: Option<f64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Cost {
    pub total: f64,
    pub per_answer: Option<f64>,
    pub currency: String,
}

impl Pricing {
    /// What `prompt` and `completion` tokens cost.
    pub fn cost(&self, prompt: u32, completion: u32) -> f64 {
        f64::from(prompt) / 1000.0 * self.prompt_per_1k
            + f64::from(completion) / 1000.0 * self.completion_per_1k
    }
}

pub fn compute(answers: &[LoggedAnswer], pricing: &Pricing) -> Stats {
    let n = answers.len();
    let abstained = answers.iter().filter(|a| a.answer.abstained).count();
    let hallucinated = answers
        .iter()
        .filter(|a| !a.answer.abstained && a.answer.grounding.hallucinated)
        .count();
    let ratings: Vec<Rating> = answers
        .iter()
        .flat_map(|a| a.feedback.iter().map(|f| f.rating))
        .collect();
    let up = ratings.iter().filter(|r| **r == Rating::Up).count();
    let down = ratings.len() - up;

    let mut latency = BTreeMap::new();
    for (i, stage) in Latency::STAGES.iter().enumerate() {
        let mut values: Vec<f64> = answers
            .iter()
            .map(|a| a.answer.latency_ms.stages()[i].1)
            .collect();
        if let Some(p) = percentiles(&mut values) {
            latency.insert((*stage).to_owned(), p);
        }
    }
    let tokens = |kind: fn(&Usage) -> u32| -> u64 {
        answers
            .iter()
            .map(|a| u64::from(kind(&a.answer.usage)))
            .sum()
    };
    let (prompt, completion) = (tokens(|u| u.prompt_tokens), tokens(|u| u.completion_tokens));
    let total_cost: f64 = answers
        .iter()
        .map(|a| {
            pricing.cost(
                a.answer.usage.prompt_tokens,
                a.answer.usage.completion_tokens,
            )
        })
        .sum();
    let mut per_day = BTreeMap::new();
    for a in answers {
        *per_day
            .entry(a.created_at.format("%Y-%m-%d").to_string())
            .or_insert(0) += 1;
    }
    Stats {
        answers: n,
        abstained,
        abstention_rate: ratio(abstained, n),
        hallucinated,
        hallucination_rate: ratio(hallucinated, n - abstained),
        feedback: FeedbackStats {
            up,
            down,
            thumbs_up_rate: ratio(up, up + down),
            thumbs_up_interval_95: wilson(up, up + down),
        },
        latency_ms: latency,
        tokens: Tokens {
            prompt,
            completion,
            per_answer: ratio((prompt + completion) as usize, n),
        },
        cost: Cost {
            total: total_cost,
            per_answer: (n > 0).then(|| total_cost / n as f64),
            currency: pricing.currency.clone(),
        },
        answers_per_day: per_day,
    }
}

fn ratio(part: usize, whole: usize) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// Nearest-rank percentiles: the smallest value with at least p% of values at or below it.
fn percentiles(values: &mut [f64]) -> Option<Percentiles> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let rank = |p: f64| {
        let r = (p / 100.0 * values.len() as f64).ceil() as usize;
        values[r.clamp(1, values.len()) - 1]
    };
    Some(Percentiles {
        p50: rank(50.0),
        p95: rank(95.0),
        p99: rank(99.0),
    })
}

/// The Wilson score interval (z = 1.96) for `successes` out of `n`: unlike the normal
/// approximation it stays inside [0, 1] and behaves with few ratings.
fn wilson(successes: usize, n: usize) -> Option<[f64; 2]> {
    if n == 0 {
        return None;
    }
    const Z: f64 = 1.959_963_984_540_054;
    let (n, p) = (n as f64, successes as f64 / n as f64);
    let centre = p + Z * Z / (2.0 * n);
    let spread = Z * (p * (1.0 - p) / n + Z * Z / (4.0 * n * n)).sqrt();
    let denominator = 1.0 + Z * Z / n;
    Some([
        (centre - spread) / denominator,
        (centre + spread) / denominator,
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let mut v: Vec<f64> = (1..=100).map(f64::from).collect();
        let p = percentiles(&mut v).unwrap();
        assert_eq!((p.p50, p.p95, p.p99), (50.0, 95.0, 99.0));
        let p = percentiles(&mut [7.0]).unwrap();
        assert_eq!((p.p50, p.p99), (7.0, 7.0));
    }

    #[test]
    fn wilson_interval_matches_the_textbook_value() {
        // 8 of 10: Wilson 95% interval is [0.4902, 0.9433] (Newcombe 1998, method 3).
        let [lo, hi] = wilson(8, 10).unwrap();
        assert!(
            (lo - 0.4902).abs() < 1e-4 && (hi - 0.9433).abs() < 1e-4,
            "{lo} {hi}"
        );
    }
}
