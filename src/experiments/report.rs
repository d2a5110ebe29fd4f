//! An experiment's results: per arm the answers, ratings and rates with Wilson intervals;
//! each arm against the first (the control) with a difference, its interval and a p-value;
//! guardrails; and a verdict in plain words.
//!
//! The design is fixed-horizon: the verdict on thumbs-up waits until every arm has the ratings
//! a 5-point difference needs (80% power, 5% two-sided), because reading p-values as data
//! comes in inflates false positives. With several arms the significance level is split
//! between the comparisons (Bonferroni). Guardrails are checked at any size.

use serde::Serialize;

use super::ExperimentSpec;
use crate::answer_log::stats::{Pricing, Rates};
use crate::answer_log::LoggedAnswer;
use crate::eval::stats::{percentile, two_sample_bootstrap};
use crate::proportions::{compare, sample_size, Difference};

/// The smallest thumbs-up difference the sample-size advice aims to see.
pub const DETECTABLE: f64 = 0.05;
/// Significance level of the whole family of comparisons.
pub const ALPHA: f64 = 0.05;
/// Answers each arm needs before its latency can count as worse.
pub const MIN_LATENCY_ANSWERS: usize = 20;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ArmResult {
    pub variant: String,
    pub weight: u32,
    #[serde(flatten)]
    pub rates: Rates,
}

/// An arm against the control.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ArmComparison {
    pub arm: String,
    pub control: String,
    pub thumbs_up: Difference,
    pub hallucination: Difference,
    pub abstention: Difference,
    /// p95(arm) − p95(control), milliseconds, with a bootstrap interval.
    pub latency_p95_ms: LatencyDifference,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LatencyDifference {
    pub difference: Option<f64>,
    pub interval_95: Option<[f64; 2]>,
}

/// A metric that must not get worse, for one arm.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Guardrail {
    pub arm: String,
    /// `hallucination_rate` or `latency_p95`.
    pub metric: String,
    /// Significantly worse than the control.
    pub worse: bool,
    pub detail: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Results {
    pub arms: Vec<ArmResult>,
    pub comparisons: Vec<ArmComparison>,
    pub guardrails: Vec<Guardrail>,
    /// Ratings each arm needs to see a 5-point thumbs-up difference; none without arms.
    pub needed_per_arm: Option<usize>,
    pub verdict: String,
}

/// The results of `spec` over its logged answers (those with an assignment of the
/// experiment; answers of arms no longer in the spec are left out).
pub fn results(spec: &ExperimentSpec, answers: &[LoggedAnswer], pricing: &Pricing) -> Results {
    let groups: Vec<Vec<&LoggedAnswer>> = spec
        .arms
        .iter()
        .map(|arm| {
            answers
                .iter()
                .filter(|a| {
                    a.answer
                        .experiment
                        .as_ref()
                        .is_some_and(|e| e.arm == arm.variant)
                })
                .collect()
        })
        .collect();
    let arms: Vec<ArmResult> = spec
        .arms
        .iter()
        .zip(&groups)
        .map(|(arm, group)| ArmResult {
            variant: arm.variant.clone(),
            weight: arm.weight,
            rates: Rates::of(group, pricing),
        })
        .collect();
    let Some((control, others)) = arms.split_first() else {
        return Results {
            arms,
            comparisons: Vec::new(),
            guardrails: Vec::new(),
            needed_per_arm: None,
            verdict: "the experiment has no arms".into(),
        };
    };
    let totals: Vec<Vec<f64>> = groups
        .iter()
        .map(|g| g.iter().map(|a| a.answer.latency_ms.total).collect())
        .collect();
    let alpha = ALPHA / others.len().max(1) as f64;
    let mut comparisons = Vec::new();
    let mut guardrails = Vec::new();
    for (i, arm) in others.iter().enumerate() {
        let (control_ms, arm_ms) = (&totals[0], &totals[i + 1]);
        let comparison = ArmComparison {
            arm: arm.variant.clone(),
            control: control.variant.clone(),
            thumbs_up: compare(control.rates.thumbs(), arm.rates.thumbs()),
            hallucination: compare(control.rates.hallucination(), arm.rates.hallucination()),
            abstention: compare(control.rates.abstention(), arm.rates.abstention()),
            latency_p95_ms: LatencyDifference {
                difference: arm
                    .rates
                    .latency_p95_ms
                    .zip(control.rates.latency_p95_ms)
                    .map(|(a, c)| a - c),
                interval_95: two_sample_bootstrap(
                    control_ms,
                    arm_ms,
                    |v| percentile(v, 95.0),
                    0xCA1E + i as u64,
                ),
            },
        };
        guardrails.push(hallucination_guardrail(&comparison, alpha));
        guardrails.push(latency_guardrail(
            &comparison,
            control_ms.len().min(arm_ms.len()),
        ));
        comparisons.push(comparison);
    }
    let baseline = control.rates.thumbs_up_rate.unwrap_or(0.5);
    let needed = sample_size(baseline, DETECTABLE);
    let verdict = verdict(&arms, &comparisons, &guardrails, needed, alpha);
    Results {
        arms,
        comparisons,
        guardrails,
        needed_per_arm: Some(needed),
        verdict,
    }
}

fn significant(d: &Difference, alpha: f64) -> bool {
    d.p_value.is_some_and(|p| p < alpha)
}

fn hallucination_guardrail(c: &ArmComparison, alpha: f64) -> Guardrail {
    let d = &c.hallucination;
    let worse = significant(d, alpha) && d.difference.is_some_and(|x| x > 0.0);
    let detail = match (d.difference, d.p_value) {
        (Some(x), Some(p)) => format!(
            "hallucination rate {} points against {} (p={})",
            points(x),
            c.control,
            p_text(p)
        ),
        _ => "no answers to compare yet".into(),
    };
    Guardrail {
        arm: c.arm.clone(),
        metric: "hallucination_rate".into(),
        worse,
        detail,
    }
}

fn latency_guardrail(c: &ArmComparison, answers: usize) -> Guardrail {
    let l = &c.latency_p95_ms;
    let (worse, detail) = match (l.difference, l.interval_95) {
        _ if answers < MIN_LATENCY_ANSWERS => (
            false,
            format!(
                "too few answers to judge latency ({answers} in the smaller arm, need {MIN_LATENCY_ANSWERS})"
            ),
        ),
        (Some(x), Some([lo, hi])) => (
            lo > 0.0,
            format!(
                "p95 latency {x:+.0} ms against {} (95% CI {lo:+.0} to {hi:+.0} ms)",
                c.control
            ),
        ),
        _ => (false, "no answers to compare yet".into()),
    };
    Guardrail {
        arm: c.arm.clone(),
        metric: "latency_p95".into(),
        worse,
        detail,
    }
}

/// A rate difference in percentage points, signed.
fn points(x: f64) -> String {
    format!("{:+.1}", x * 100.0)
}

fn p_text(p: f64) -> String {
    if p < 0.001 {
        "<0.001".into()
    } else {
        format!("{p:.3}")
    }
}

fn verdict(
    arms: &[ArmResult],
    comparisons: &[ArmComparison],
    guardrails: &[Guardrail],
    needed: usize,
    alpha: f64,
) -> String {
    let fewest = arms.iter().map(|a| a.rates.ratings).min().unwrap_or(0);
    if comparisons.is_empty() {
        return "no arm to compare with the control yet".to_owned();
    }
    let mut sentence = if fewest < needed {
        format!(
            "not enough data yet: n={fewest} ratings per arm, need about {needed} to see a 5-point difference in thumbs-up rate"
        )
    } else {
        comparisons
            .iter()
            .map(|c| thumbs_sentence(c, alpha))
            .collect::<Vec<_>>()
            .join("; ")
    };
    let worse: Vec<String> = guardrails
        .iter()
        .filter(|g| g.worse)
        .map(|g| format!("{} is worse on {}", g.arm, g.metric.replace('_', " ")))
        .collect();
    if worse.is_empty() {
        if fewest >= needed {
            sentence.push_str(", no guardrail worse");
        }
    } else {
        sentence.push_str(&format!("; guardrail: {}", worse.join(", ")));
    }
    sentence
}

fn thumbs_sentence(c: &ArmComparison, alpha: f64) -> String {
    let d = &c.thumbs_up;
    let (Some(x), Some([lo, hi]), Some(p)) = (d.difference, d.interval_95, d.p_value) else {
        return format!("{} has no ratings to compare with {}", c.arm, c.control);
    };
    let figures = format!(
        "{} points, 95% CI {} to {}, p={}",
        points(x),
        points(lo),
        points(hi),
        p_text(p)
    );
    if significant(d, alpha) {
        let direction = if x > 0.0 { "better" } else { "worse" };
        format!(
            "{} is {direction} than {} on thumbs-up ({figures})",
            c.arm, c.control
        )
    } else {
        format!(
            "no significant thumbs-up difference between {} and {} ({figures})",
            c.arm, c.control
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answer_log::{Feedback, Rating};
    use crate::experiments::{Arm, Assignment, State};
    use crate::rag::answer::Answer;

    /// A logged answer of `arm`, rated `up` or not, `hallucinated` or not, taking `ms`.
    fn logged(arm: &str, rating: Option<Rating>, hallucinated: bool, ms: f64) -> LoggedAnswer {
        let mut answer: Answer = serde_json::from_value(serde_json::json!({
            "answer_id": "x", "answer": "a", "abstained": false, "abstain_reason": null,
            "citations": [], "citations_inferred": false, "nearest": [],
            "usage": {"prompt_tokens": 0, "completion_tokens": 0},
            "latency_ms": {"embed": 0.0, "retrieve": 0.0, "generate": 0.0, "ground": 0.0, "total": ms},
            "model": "m", "prompt_version": "p", "embedder": "e", "config_hash": "h",
            "variant": arm, "disclaimer": null,
            "grounding": {"score": 1.0, "hallucinated": hallucinated, "profile": "strict",
                          "profile_auto": false, "method": "lexical", "sentences": []}
        }))
        .unwrap_or_else(|e| panic!("fixture: {e}"));
        answer.experiment = Some(Assignment {
            name: "e".into(),
            arm: arm.into(),
        });
        LoggedAnswer {
            collection: "c".into(),
            question: "q".into(),
            created_at: chrono::Utc::now(),
            answer,
            feedback: rating
                .map(|rating| Feedback {
                    rating,
                    reason: None,
                    comment: None,
                    client: "u".into(),
                    created_at: chrono::Utc::now(),
                })
                .into_iter()
                .collect(),
            review: None,
        }
    }

    fn spec() -> ExperimentSpec {
        ExperimentSpec {
            collection: None,
            state: State::Running,
            arms: ["a", "b"]
                .map(|v| Arm {
                    variant: v.into(),
                    weight: 1,
                })
                .to_vec(),
        }
    }

    /// `up` thumbs-up and `down` thumbs-down answers of `arm`.
    fn rated(arm: &str, up: usize, down: usize) -> Vec<LoggedAnswer> {
        let mut out: Vec<_> = (0..up)
            .map(|_| logged(arm, Some(Rating::Up), false, 100.0))
            .collect();
        out.extend((0..down).map(|_| logged(arm, Some(Rating::Down), false, 100.0)));
        out
    }

    #[test]
    fn small_counts_use_fisher_and_say_not_enough_data() {
        // a: 1 up of 4; b: 3 up of 4. Fisher's two-sided p = 34/70 (the tea-tasting table).
        let mut answers = rated("a", 1, 3);
        answers.extend(rated("b", 3, 1));
        let r = results(&spec(), &answers, &Pricing::default());
        assert_eq!(r.arms[0].rates.ratings, 4);
        assert_eq!(r.arms[1].rates.thumbs_up_rate, Some(0.75));
        let d = &r.comparisons[0].thumbs_up;
        assert_eq!(d.test, crate::proportions::Test::FisherExact);
        assert!((d.p_value.unwrap_or_default() - 34.0 / 70.0).abs() < 1e-9);
        assert!((d.difference.unwrap_or_default() - 0.5).abs() < 1e-12);
        // Baseline 0.25: (1.96·sqrt(2·0.275·0.725) + 0.8416·sqrt(0.1875 + 0.2475))² / 0.05²
        // = 1250.7 → 1251.
        assert_eq!(r.needed_per_arm, Some(1251));
        assert!(
            r.verdict.starts_with(
                "not enough data yet: n=4 ratings per arm, need about 1251 to see a 5-point"
            ),
            "{}",
            r.verdict
        );
    }

    #[test]
    fn large_counts_use_the_z_test_and_name_the_winner() {
        // a: 1200 of 2000 (60%); b: 1300 of 2000 (65%). Pooled 0.625, se = 0.015 309,
        // z = 3.266, p = 0.001 09; Newcombe interval of +5 points ≈ [+2.0, +8.0].
        let mut answers = rated("a", 1200, 800);
        answers.extend(rated("b", 1300, 700));
        let r = results(&spec(), &answers, &Pricing::default());
        let d = &r.comparisons[0].thumbs_up;
        assert_eq!(d.test, crate::proportions::Test::TwoProportionZ);
        assert!(
            (d.p_value.unwrap_or_default() - 0.00109).abs() < 2e-5,
            "{d:?}"
        );
        let [lo, hi] = d.interval_95.unwrap_or_default();
        assert!(
            (lo - 0.0199).abs() < 1e-3 && (hi - 0.0797).abs() < 1e-3,
            "{lo} {hi}"
        );
        assert_eq!(
            r.verdict,
            "b is better than a on thumbs-up (+5.0 points, 95% CI +2.0 to +8.0, p=0.001), no guardrail worse"
        );
    }

    #[test]
    fn a_worse_hallucination_rate_trips_its_guardrail() {
        let mut answers: Vec<_> = (0..40).map(|_| logged("a", None, false, 100.0)).collect();
        answers.extend((0..40).map(|i| logged("b", None, i < 20, 300.0 + f64::from(i))));
        let r = results(&spec(), &answers, &Pricing::default());
        let g: Vec<(&str, bool)> = r
            .guardrails
            .iter()
            .map(|g| (g.metric.as_str(), g.worse))
            .collect();
        assert_eq!(g, [("hallucination_rate", true), ("latency_p95", true)]);
        assert!(
            r.verdict.ends_with(
                "; guardrail: b is worse on hallucination rate, b is worse on latency p95"
            ),
            "{}",
            r.verdict
        );
        assert_eq!(r.comparisons[0].latency_p95_ms.difference, Some(237.0));
    }
}
