//! Statistics of proportions (thumbs-up, hallucination and abstention rates): the Wilson
//! interval of one rate, Newcombe's interval of a difference, the two-proportion z test with
//! Fisher's exact test for small counts, and the sample size a difference needs.

use serde::Serialize;
use statrs::distribution::{ContinuousCDF, Normal};
use statrs::function::factorial::ln_binomial;

/// z for a two-sided 95% interval.
const Z95: f64 = 1.959_963_984_540_054;

/// `successes` of `n` trials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Count {
    pub successes: usize,
    pub n: usize,
}

impl Count {
    pub fn new(successes: usize, n: usize) -> Self {
        Self { successes, n }
    }

    pub fn rate(self) -> Option<f64> {
        (self.n > 0).then(|| self.successes as f64 / self.n as f64)
    }
}

/// The Wilson score interval at 95%: unlike the normal approximation it stays inside [0, 1]
/// and behaves with few trials.
pub fn wilson(c: Count) -> Option<[f64; 2]> {
    let p = c.rate()?;
    let n = c.n as f64;
    let centre = p + Z95 * Z95 / (2.0 * n);
    let spread = Z95 * (p * (1.0 - p) / n + Z95 * Z95 / (4.0 * n * n)).sqrt();
    let denominator = 1.0 + Z95 * Z95 / n;
    Some([
        ((centre - spread) / denominator).max(0.0),
        ((centre + spread) / denominator).min(1.0),
    ])
}

/// Which test gave a p-value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Test {
    TwoProportionZ,
    FisherExact,
    /// Too little data for any test.
    None,
}

/// `b` against `a`: the difference of rates, its 95% interval and a two-sided p-value.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Difference {
    /// rate(b) − rate(a).
    pub difference: Option<f64>,
    pub interval_95: Option<[f64; 2]>,
    pub p_value: Option<f64>,
    pub test: Test,
}

/// Compares two rates. The interval is Newcombe's hybrid score interval (method 10 of
/// Newcombe 1998), built from the two Wilson intervals. The p-value is the pooled
/// two-proportion z test, or Fisher's exact test when an expected cell count is under 5
/// (where the normal approximation is poor).
pub fn compare(a: Count, b: Count) -> Difference {
    let (Some(pa), Some(pb), Some([la, ua]), Some([lb, ub])) =
        (a.rate(), b.rate(), wilson(a), wilson(b))
    else {
        return Difference {
            difference: None,
            interval_95: None,
            p_value: None,
            test: Test::None,
        };
    };
    let d = pb - pa;
    let interval = [
        d - ((pb - lb).powi(2) + (ua - pa).powi(2)).sqrt(),
        d + ((ub - pb).powi(2) + (pa - la).powi(2)).sqrt(),
    ];
    let (p_value, test) = if min_expected(a, b) < 5.0 {
        (fisher_exact(a, b), Test::FisherExact)
    } else {
        (two_proportion_z(a, b), Test::TwoProportionZ)
    };
    Difference {
        difference: Some(d),
        interval_95: Some(interval),
        p_value: Some(p_value),
        test,
    }
}

/// The smallest expected count of the 2×2 table under the null hypothesis.
fn min_expected(a: Count, b: Count) -> f64 {
    let total = (a.n + b.n) as f64;
    let successes = (a.successes + b.successes) as f64;
    let failures = total - successes;
    [a.n as f64, b.n as f64]
        .into_iter()
        .flat_map(|row| [row * successes / total, row * failures / total])
        .fold(f64::INFINITY, f64::min)
}

fn standard_normal() -> Normal {
    // Mean 0 and standard deviation 1 are valid parameters.
    Normal::standard()
}

/// The pooled two-proportion z test, two-sided.
pub fn two_proportion_z(a: Count, b: Count) -> f64 {
    let pooled = (a.successes + b.successes) as f64 / (a.n + b.n) as f64;
    let se = (pooled * (1.0 - pooled) * (1.0 / a.n as f64 + 1.0 / b.n as f64)).sqrt();
    if se == 0.0 {
        // Both rates are 0 or both are 1: no evidence of a difference.
        return 1.0;
    }
    let z = (b.successes as f64 / b.n as f64 - a.successes as f64 / a.n as f64) / se;
    (2.0 * standard_normal().sf(z.abs())).min(1.0)
}

/// Fisher's exact test, two-sided: the probability, under fixed margins, of every table at
/// most as likely as the observed one.
pub fn fisher_exact(a: Count, b: Count) -> f64 {
    let successes = a.successes + b.successes;
    let total = a.n + b.n;
    let ln_p = |x: usize| {
        ln_binomial(a.n as u64, x as u64) + ln_binomial(b.n as u64, (successes - x) as u64)
            - ln_binomial(total as u64, successes as u64)
    };
    let low = successes.saturating_sub(b.n);
    let high = successes.min(a.n);
    let observed = ln_p(a.successes);
    // A relative tolerance, so that tables exactly as likely are not lost to rounding.
    let cutoff = observed + 1e-7;
    let p: f64 = (low..=high)
        .map(ln_p)
        .filter(|&l| l <= cutoff)
        .map(f64::exp)
        .sum();
    p.min(1.0)
}

/// Trials per arm that a two-sided test at 5% needs to detect, with 80% power, a change of
/// `delta` from the rate `baseline` (the usual normal-approximation formula).
pub fn sample_size(baseline: f64, delta: f64) -> usize {
    let p1 = baseline.clamp(0.0, 1.0);
    let p2 = if p1 + delta <= 1.0 {
        p1 + delta
    } else {
        p1 - delta
    };
    let mean = (p1 + p2) / 2.0;
    let z_power = standard_normal().inverse_cdf(0.8);
    let root = Z95 * (2.0 * mean * (1.0 - mean)).sqrt()
        + z_power * (p1 * (1.0 - p1) + p2 * (1.0 - p2)).sqrt();
    ((root / delta).powi(2)).ceil() as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tolerance: f64) -> bool {
        (a - b).abs() < tolerance
    }

    #[test]
    fn wilson_matches_newcombe() {
        // 81 of 263: [0.2553, 0.3662] (Newcombe 1998, table I).
        let [lo, hi] = wilson(Count::new(81, 263)).unwrap_or_default();
        assert!(
            close(lo, 0.2553, 1e-4) && close(hi, 0.3662, 1e-4),
            "{lo} {hi}"
        );
        assert_eq!(wilson(Count::new(0, 0)), None);
        let [lo, _] = wilson(Count::new(0, 10)).unwrap_or_default();
        assert_eq!(lo, 0.0);
    }

    #[test]
    fn newcombe_difference_matches_the_paper() {
        // Newcombe 1998 (Stat Med 17:873), example (a): 56/70 vs 48/80, method 10 gives
        // 0.0524 to 0.3339 for p1 − p2.
        let d = compare(Count::new(48, 80), Count::new(56, 70));
        let [lo, hi] = d.interval_95.unwrap_or_default();
        assert!(
            close(lo, 0.0524, 1e-4) && close(hi, 0.3339, 1e-4),
            "{lo} {hi}"
        );
        assert!(close(d.difference.unwrap_or_default(), 0.2, 1e-12));
    }

    #[test]
    fn z_test_matches_a_hand_computation() {
        // 48/80 vs 56/70: pooled 104/150; se = sqrt(p(1-p)(1/80+1/70)) = 0.075 467;
        // z = 0.2 / se = 2.6502; two-sided p = erfc(z/√2) = 0.008 045.
        let d = compare(Count::new(48, 80), Count::new(56, 70));
        assert_eq!(d.test, Test::TwoProportionZ);
        assert!(
            close(d.p_value.unwrap_or_default(), 0.008045, 1e-6),
            "{d:?}"
        );
    }

    #[test]
    fn small_counts_use_fisher() {
        // The tea-tasting table 3/4 vs 1/4: two-sided Fisher p = 0.4857 (Fisher 1935).
        let d = compare(Count::new(1, 4), Count::new(3, 4));
        assert_eq!(d.test, Test::FisherExact);
        assert!(close(d.p_value.unwrap_or_default(), 0.4857, 1e-4), "{d:?}");
        // 0/5 vs 5/5: p = 2 / C(10, 5) = 0.007 94.
        assert!(close(
            fisher_exact(Count::new(0, 5), Count::new(5, 5)),
            2.0 / 252.0,
            1e-9
        ));
    }

    #[test]
    fn no_data_gives_no_test() {
        let d = compare(Count::new(0, 0), Count::new(3, 4));
        assert_eq!(d.test, Test::None);
        assert!(d.p_value.is_none() && d.difference.is_none());
    }

    #[test]
    fn sample_size_for_five_points_at_one_half() {
        // (1.96·sqrt(2·0.525·0.475) + 0.8416·sqrt(0.25 + 0.2475))² / 0.05² = 1564.67
        assert_eq!(sample_size(0.5, 0.05), 1565);
        assert!(sample_size(0.9, 0.05) < sample_size(0.5, 0.05));
    }
}
