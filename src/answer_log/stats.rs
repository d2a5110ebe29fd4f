//! Figures over logged answers for `/v1/stats`: rates with counts, a 95% interval for the
//! thumbs-up rate, latency percentiles per stage, tokens and cost, answers per day.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{LoggedAnswer, Preference, Preferred, Rating};
use crate::llm::Usage;
use crate::proportions::{wilson, Count};
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
    /// The rates of each day (UTC) with answers, oldest first.
    pub daily: Vec<Day>,
}

/// One day (UTC) of answers.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Day {
    /// `YYYY-MM-DD`.
    pub day: String,
    #[serde(flatten)]
    pub rates: Rates,
}

/// Counts and rates of a group of answers (a day, an experiment arm), each rate with its 95%
/// Wilson interval. Hallucination is counted among answers that did not abstain.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Rates {
    pub answers: usize,
    pub ratings: usize,
    pub up: usize,
    pub down: usize,
    pub thumbs_up_rate: Option<f64>,
    pub thumbs_up_interval_95: Option<[f64; 2]>,
    pub hallucinated: usize,
    pub hallucination_rate: Option<f64>,
    pub hallucination_interval_95: Option<[f64; 2]>,
    pub abstained: usize,
    pub abstention_rate: Option<f64>,
    pub abstention_interval_95: Option<[f64; 2]>,
    /// Total latency, nearest rank.
    pub latency_p50_ms: Option<f64>,
    pub latency_p95_ms: Option<f64>,
    pub cost_per_answer: Option<f64>,
}

impl Rates {
    pub fn of(answers: &[&LoggedAnswer], pricing: &Pricing) -> Self {
        let n = answers.len();
        let abstained = answers.iter().filter(|a| a.answer.abstained).count();
        let hallucinated = answers
            .iter()
            .filter(|a| !a.answer.abstained && a.answer.grounding.hallucinated)
            .count();
        let (mut up, mut down) = (0, 0);
        for f in answers.iter().flat_map(|a| &a.feedback) {
            match f.rating {
                Rating::Up => up += 1,
                Rating::Down => down += 1,
            }
        }
        let mut totals: Vec<f64> = answers.iter().map(|a| a.answer.latency_ms.total).collect();
        let latency = percentiles(&mut totals);
        let cost: f64 = answers.iter().map(|a| answer_cost(a, pricing)).sum();
        let thumbs = Count::new(up, up + down);
        let hallucination = Count::new(hallucinated, n - abstained);
        let abstention = Count::new(abstained, n);
        Self {
            answers: n,
            ratings: up + down,
            up,
            down,
            thumbs_up_rate: thumbs.rate(),
            thumbs_up_interval_95: wilson(thumbs),
            hallucinated,
            hallucination_rate: hallucination.rate(),
            hallucination_interval_95: wilson(hallucination),
            abstained,
            abstention_rate: abstention.rate(),
            abstention_interval_95: wilson(abstention),
            latency_p50_ms: latency.as_ref().map(|p| p.p50),
            latency_p95_ms: latency.as_ref().map(|p| p.p95),
            cost_per_answer: (n > 0).then(|| cost / n as f64),
        }
    }

    /// Thumbs-up among ratings.
    pub fn thumbs(&self) -> Count {
        Count::new(self.up, self.ratings)
    }

    /// Hallucinated among answers that did not abstain.
    pub fn hallucination(&self) -> Count {
        Count::new(self.hallucinated, self.answers - self.abstained)
    }

    pub fn abstention(&self) -> Count {
        Count::new(self.abstained, self.answers)
    }
}

/// What an answer cost: as priced when it was given, or at today's prices for answers logged
/// before cairn recorded a cost.
fn answer_cost(a: &LoggedAnswer, pricing: &Pricing) -> f64 {
    match &a.answer.cost {
        Some(cost) => cost.amount,
        None => pricing.cost(
            a.answer.usage.prompt_tokens,
            a.answer.usage.completion_tokens,
        ),
    }
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
    let all: Vec<&LoggedAnswer> = answers.iter().collect();
    let rates = Rates::of(&all, pricing);
    let n = rates.answers;

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
    let total_cost: f64 = answers.iter().map(|a| answer_cost(a, pricing)).sum();
    let mut by_day: BTreeMap<String, Vec<&LoggedAnswer>> = BTreeMap::new();
    for a in answers {
        by_day
            .entry(a.created_at.format("%Y-%m-%d").to_string())
            .or_default()
            .push(a);
    }
    Stats {
        answers: n,
        abstained: rates.abstained,
        abstention_rate: rates.abstention_rate,
        hallucinated: rates.hallucinated,
        hallucination_rate: rates.hallucination_rate,
        feedback: FeedbackStats {
            up: rates.up,
            down: rates.down,
            thumbs_up_rate: rates.thumbs_up_rate,
            thumbs_up_interval_95: rates.thumbs_up_interval_95,
        },
        latency_ms: latency,
        tokens: Tokens {
            prompt,
            completion,
            per_answer: ratio((prompt + completion) as usize, n),
        },
        cost: Cost {
            total: total_cost,
            per_answer: rates.cost_per_answer,
            currency: pricing.currency.clone(),
        },
        answers_per_day: by_day.iter().map(|(d, a)| (d.clone(), a.len())).collect(),
        daily: by_day
            .into_iter()
            .map(|(day, group)| Day {
                day,
                rates: Rates::of(&group, pricing),
            })
            .collect(),
    }
}

/// Pairwise preferences per pair of variants (`a` before `b` alphabetically).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Tally {
    pub pairs: Vec<PairTally>,
    /// Preferences recorded, blind or not.
    pub total: usize,
    pub blind: usize,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PairTally {
    pub a: String,
    pub b: String,
    pub a_wins: usize,
    pub b_wins: usize,
    pub ties: usize,
    pub n: usize,
}

pub fn tally(preferences: &[Preference]) -> Tally {
    let mut pairs: BTreeMap<(String, String), PairTally> = BTreeMap::new();
    for p in preferences {
        let (left, right) = (&p.left.variant, &p.right.variant);
        let swapped = left > right;
        let (a, b) = if swapped {
            (right, left)
        } else {
            (left, right)
        };
        let t = pairs
            .entry((a.clone(), b.clone()))
            .or_insert_with(|| PairTally {
                a: a.clone(),
                b: b.clone(),
                a_wins: 0,
                b_wins: 0,
                ties: 0,
                n: 0,
            });
        t.n += 1;
        match (p.preferred, swapped) {
            (Preferred::Tie, _) => t.ties += 1,
            (Preferred::Left, false) | (Preferred::Right, true) => t.a_wins += 1,
            (Preferred::Left, true) | (Preferred::Right, false) => t.b_wins += 1,
        }
    }
    Tally {
        pairs: pairs.into_values().collect(),
        total: preferences.len(),
        blind: preferences.iter().filter(|p| p.blind).count(),
    }
}

fn ratio(part: usize, whole: usize) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// Nearest-rank percentiles (the one definition in `eval::stats`): the smallest value with at
/// least p% of values at or below it. Sorts `values` once for the three.
pub fn percentiles(values: &mut [f64]) -> Option<Percentiles> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let rank = |p: f64| crate::eval::stats::nearest_rank(values, p);
    Some(Percentiles {
        p50: rank(50.0)?,
        p95: rank(95.0)?,
        p99: rank(99.0)?,
    })
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
}
