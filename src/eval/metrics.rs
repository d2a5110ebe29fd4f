//! The metrics of an evaluation run, defined once: how each is read off an item, aggregated,
//! compared between variants, and which way is better. Aggregates, comparisons, `--fail-under`,
//! the report and the docs all use this table.

use std::collections::BTreeMap;

use super::result::{Comparison, Delta, ItemResult, Metric, Test};
use super::stats::{self, mcnemar_exact};

/// Fewer paired items than this and a comparison says its result is unreliable.
pub const MIN_ITEMS: usize = 30;
const SEED: u64 = 0x00ca_1e7a;

pub struct MetricDef {
    pub name: &'static str,
    /// What the metric means, for the report and the docs.
    pub about: &'static str,
    /// The item's value, or `None` when the item does not count for this metric.
    pub value: fn(&ItemResult) -> Option<f64>,
    /// How the values aggregate (a mean for rates, a percentile for latency).
    pub statistic: fn(&[f64]) -> Option<f64>,
    /// A yes/no metric (values 0 or 1): compared with McNemar's exact test.
    pub binary: bool,
    pub higher_is_better: bool,
    /// Compared item by item between variants. Not for a metric whose items differ by variant
    /// (abstention precision counts the items each variant abstained on).
    pub paired: bool,
}

pub const METRICS: &[MetricDef] = &[
    MetricDef {
        name: "hit_at_1",
        about: "the best retrieved passage is from an expected source (answerable items with expected sources)",
        value: |i| answerable(i).and(i.hit_at_1).map(flag),
        statistic: stats::mean,
        binary: true,
        higher_is_better: true,
        paired: true,
    },
    MetricDef {
        name: "hit_at_5",
        about: "an expected source is among the first 5 retrieved passages",
        value: |i| answerable(i).and(i.hit_at_5).map(flag),
        statistic: stats::mean,
        binary: true,
        higher_is_better: true,
        paired: true,
    },
    MetricDef {
        name: "mrr",
        about: "mean reciprocal rank of the first passage from an expected source (0 when none)",
        value: |i| answerable(i).and(i.reciprocal_rank),
        statistic: stats::mean,
        binary: false,
        higher_is_better: true,
        paired: true,
    },
    MetricDef {
        name: "answer_rate",
        about: "share of answerable items answered rather than abstained",
        value: |i| answerable(i).map(|_| flag(!i.abstained)),
        statistic: stats::mean,
        binary: true,
        higher_is_better: true,
        paired: true,
    },
    MetricDef {
        name: "cites_expected_source",
        about: "the answer cites a passage from an expected source (an abstention cites none)",
        value: |i| answerable(i).and(i.cites_expected_source).map(flag),
        statistic: stats::mean,
        binary: true,
        higher_is_better: true,
        paired: true,
    },
    MetricDef {
        name: "fact_in_answer",
        about: "every keyword of the item (the expected fact) is in the answer text",
        value: |i| answerable(i).and(i.fact_in_answer).map(flag),
        statistic: stats::mean,
        binary: true,
        higher_is_better: true,
        paired: true,
    },
    MetricDef {
        name: "fact_in_cited_passages",
        about: "every keyword is in the passages the answer cites (the fact was there to quote)",
        value: |i| answerable(i).and(i.fact_in_cited_passages).map(flag),
        statistic: stats::mean,
        binary: true,
        higher_is_better: true,
        paired: true,
    },
    MetricDef {
        name: "abstain_rate_unanswerable",
        about: "share of unanswerable items (answerable: false) where it abstained",
        value: |i| (i.error.is_none() && !i.answerable).then(|| flag(i.abstained)),
        statistic: stats::mean,
        binary: true,
        higher_is_better: true,
        paired: true,
    },
    MetricDef {
        name: "abstain_precision",
        about: "share of abstentions that were on unanswerable items",
        value: |i| (i.error.is_none() && i.abstained).then(|| flag(!i.answerable)),
        statistic: stats::mean,
        binary: true,
        higher_is_better: true,
        paired: false,
    },
    MetricDef {
        name: "keyword_recall",
        about: "share of an answerable item's keywords found in the answer (case-insensitive)",
        value: |i| answerable(i).and(i.keyword_recall),
        statistic: stats::mean,
        binary: false,
        higher_is_better: true,
        paired: true,
    },
    MetricDef {
        name: "reference_similarity",
        about: "cosine similarity of the answer to the reference answer (the retrieval embedder)",
        value: |i| answerable(i).and(i.reference_similarity),
        statistic: stats::mean,
        binary: false,
        higher_is_better: true,
        paired: true,
    },
    MetricDef {
        name: "hallucination_rate",
        about: "share of answered items with an unsupported sentence (the groundedness check)",
        value: |i| i.hallucinated.map(flag),
        statistic: stats::mean,
        binary: true,
        higher_is_better: false,
        paired: true,
    },
    MetricDef {
        name: "latency_p50_ms",
        about: "median total answer latency in milliseconds",
        value: |i| i.error.is_none().then_some(i.latency_ms.total),
        statistic: |v| stats::percentile(v, 50.0),
        binary: false,
        higher_is_better: false,
        paired: true,
    },
    MetricDef {
        name: "latency_p95_ms",
        about: "95th percentile of total answer latency in milliseconds",
        value: |i| i.error.is_none().then_some(i.latency_ms.total),
        statistic: |v| stats::percentile(v, 95.0),
        binary: false,
        higher_is_better: false,
        paired: true,
    },
    MetricDef {
        name: "cost_per_answer",
        about: "mean LLM cost per item, from token usage and the configured prices",
        value: |i| i.error.is_none().then_some(i.cost),
        statistic: stats::mean,
        binary: false,
        higher_is_better: false,
        paired: true,
    },
];

pub fn find(name: &str) -> Option<&'static MetricDef> {
    METRICS.iter().find(|m| m.name == name)
}

fn answerable(i: &ItemResult) -> Option<()> {
    (i.error.is_none() && i.answerable).then_some(())
}

fn flag(b: bool) -> f64 {
    if b {
        1.0
    } else {
        0.0
    }
}

/// Every variant's metrics, and each variant after the first compared with the first.
pub fn summarise(
    variants: &[String],
    items: &[ItemResult],
) -> (BTreeMap<String, BTreeMap<String, Metric>>, Vec<Comparison>) {
    let of = |v: &str| -> Vec<&ItemResult> { items.iter().filter(|i| i.variant == v).collect() };
    let metrics = variants
        .iter()
        .map(|v| (v.clone(), aggregate(&of(v))))
        .collect();
    let comparisons = match variants.split_first() {
        Some((baseline, others)) => others
            .iter()
            .map(|c| compare((baseline, &of(baseline)), (c, &of(c))))
            .collect(),
        None => Vec::new(),
    };
    (metrics, comparisons)
}

/// Every metric of one variant's items.
pub fn aggregate(items: &[&ItemResult]) -> BTreeMap<String, Metric> {
    METRICS
        .iter()
        .map(|m| {
            let values: Vec<f64> = items.iter().filter_map(|i| (m.value)(i)).collect();
            let metric = Metric {
                value: (m.statistic)(&values),
                ci95: stats::bootstrap_ci(&values, m.statistic, SEED),
                n: values.len(),
            };
            (m.name.to_owned(), metric)
        })
        .collect()
}

/// The candidate against the baseline, item by item (matched by id).
pub fn compare(baseline: (&str, &[&ItemResult]), candidate: (&str, &[&ItemResult])) -> Comparison {
    let pairs: Vec<(&ItemResult, &ItemResult)> = baseline
        .1
        .iter()
        .filter_map(|b| candidate.1.iter().find(|c| c.id == b.id).map(|c| (*b, *c)))
        .collect();
    let mut metrics = BTreeMap::new();
    let mut summary = Vec::new();
    for m in METRICS.iter().filter(|m| m.paired) {
        let values: Vec<(f64, f64)> = pairs
            .iter()
            .filter_map(|(b, c)| Some(((m.value)(b)?, (m.value)(c)?)))
            .collect();
        let delta = delta(m, &values);
        if let (Some(d), Some(p)) = (delta.delta, delta.p_value) {
            if p < 0.05 {
                summary.push(significant(m, d, &delta, p));
            }
        }
        metrics.insert(m.name.to_owned(), delta);
    }
    if summary.is_empty() {
        summary.push(format!(
            "No metric differs significantly at the 5% level: on these {} items the differences are within noise.",
            pairs.len()
        ));
    }
    if pairs.len() < MIN_ITEMS {
        summary.push(format!(
            "Only {} items were compared (fewer than {MIN_ITEMS}): only large differences can show as significant.",
            pairs.len()
        ));
    }
    let (regressed, improved) = changed_items(&pairs);
    Comparison {
        baseline: baseline.0.to_owned(),
        candidate: candidate.0.to_owned(),
        metrics,
        regressed,
        improved,
        summary,
    }
}

fn delta(m: &MetricDef, values: &[(f64, f64)]) -> Delta {
    let paired = stats::paired_bootstrap(values, m.statistic, SEED);
    let p_value = if m.binary && !values.is_empty() {
        let b = values.iter().filter(|(x, y)| *x > *y).count();
        let c = values.iter().filter(|(x, y)| *x < *y).count();
        Some(mcnemar_exact(b, c))
    } else {
        paired.as_ref().map(|p| p.p_value)
    };
    Delta {
        delta: paired.as_ref().map(|p| p.delta),
        ci95: paired.as_ref().map(|p| p.ci95),
        p_value,
        n: values.len(),
        test: if m.binary {
            Test::McnemarExact
        } else {
            Test::PairedBootstrap
        },
    }
}

/// A p-value as people read it: four decimals, or "< 0.0001".
pub fn p_text(p: f64) -> String {
    if p < 0.0001 {
        "< 0.0001".to_owned()
    } else {
        format!("= {p:.4}")
    }
}

fn significant(m: &MetricDef, d: f64, delta: &Delta, p: f64) -> String {
    let better = (d > 0.0) == m.higher_is_better;
    let [lo, hi] = delta.ci95.unwrap_or([d, d]);
    format!(
        "{}: {} by {d:+.3} (95% CI [{lo:+.3}, {hi:+.3}], p {}, n = {}): a real difference, not noise.",
        m.name,
        if better { "better" } else { "worse" },
        p_text(p),
        delta.n
    )
}

/// An item regressed when the candidate lost something the baseline had: the right
/// behaviour (answer or abstain), an expected source in the top 5, a grounded answer, or
/// keywords. It improved when it gained one of those and lost none.
fn changed_items(pairs: &[(&ItemResult, &ItemResult)]) -> (Vec<String>, Vec<String>) {
    let (mut regressed, mut improved) = (Vec::new(), Vec::new());
    for (b, c) in pairs {
        let outcomes = |i: &ItemResult| {
            [
                Some(flag(i.error.is_none() && i.behaved)),
                i.hit_at_5.map(flag),
                i.hallucinated.map(|h| flag(!h)),
                i.keyword_recall,
            ]
        };
        let (before, after) = (outcomes(b), outcomes(c));
        let pairs = before
            .iter()
            .zip(&after)
            .filter_map(|(x, y)| Some(((*x)?, (*y)?)));
        let (mut worse, mut better) = (false, false);
        for (x, y) in pairs {
            worse |= y < x;
            better |= y > x;
        }
        if worse {
            regressed.push(b.id.clone());
        } else if better {
            improved.push(b.id.clone());
        }
    }
    (regressed, improved)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn item(id: &str, variant: &str, hit: bool, abstained: bool) -> ItemResult {
        ItemResult {
            abstained,
            behaved: !abstained,
            hit_at_1: Some(hit),
            hit_at_5: Some(hit),
            reciprocal_rank: Some(if hit { 1.0 } else { 0.0 }),
            hallucinated: (!abstained).then_some(false),
            ..ItemResult::unanswered(id, variant, "q", true, None)
        }
    }

    #[test]
    fn aggregates_and_comparison_by_hand() {
        let base: Vec<ItemResult> = [(true, false), (true, false), (true, false), (false, true)]
            .iter()
            .enumerate()
            .map(|(i, (h, a))| item(&i.to_string(), "a", *h, *a))
            .collect();
        let cand: Vec<ItemResult> = [(false, false), (false, false), (true, false), (false, true)]
            .iter()
            .enumerate()
            .map(|(i, (h, a))| item(&i.to_string(), "b", *h, *a))
            .collect();
        let (b, c): (Vec<&ItemResult>, Vec<&ItemResult>) =
            (base.iter().collect(), cand.iter().collect());
        let m = aggregate(&b);
        assert_eq!(m["hit_at_5"].value, Some(0.75));
        assert_eq!(m["answer_rate"].value, Some(0.75));
        // Only answered items count for hallucination; none is answerable: false.
        assert_eq!(m["hallucination_rate"].n, 3);
        assert_eq!(m["abstain_rate_unanswerable"].value, None);
        assert_eq!(m["abstain_rate_unanswerable"].n, 0);
        let cmp = compare(("a", &b), ("b", &c));
        let hit = cmp.metrics["hit_at_5"];
        assert_eq!(hit.delta, Some(-0.5));
        // Two discordant pairs, both the same way: 2 × 0.5² = 0.5.
        assert_eq!(hit.p_value, Some(0.5));
        assert_eq!(hit.test, Test::McnemarExact);
        assert_eq!(cmp.regressed, ["0", "1"]);
        assert!(cmp.improved.is_empty());
        assert!(cmp.summary[0].starts_with("No metric differs significantly"));
        assert!(cmp.summary[1].contains("fewer than 30"));
    }
}
