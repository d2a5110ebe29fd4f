//! Statistics for evaluation runs that compare RAG configurations: means, percentiles,
//! bootstrap confidence intervals, paired bootstrap deltas and the exact McNemar test.

/// A small deterministic PRNG (SplitMix64) so that intervals are reproducible run to run.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform index in `0..n`; returns 0 when `n == 0` rather than panicking.
    pub fn below(&mut self, n: usize) -> usize {
        // Multiply-high maps 64 random bits onto 0..n; its bias (about n / 2^64) is far below
        // anything a resample count can show.
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }
}

/// Number of bootstrap resamples.
pub const RESAMPLES: usize = 2000;

/// Mean of values; None when empty.
pub fn mean(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    Some(values.iter().sum::<f64>() / values.len() as f64)
}

/// Nearest-rank percentile (p in 0..=100) of values (sorted copy inside); None when empty.
pub fn percentile(values: &[f64], p: f64) -> Option<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    nearest_rank(&sorted, p)
}

/// Nearest rank on an already sorted slice, so the bootstrap can sort once for both bounds.
pub fn nearest_rank(sorted: &[f64], p: f64) -> Option<f64> {
    let n = sorted.len();
    // `p * n / 100` (not `p / 100 * n`) keeps e.g. 95 * 100 / 100 exact, so rank 95 stays 95.
    let rank = (p.clamp(0.0, 100.0) * n as f64 / 100.0).ceil() as usize;
    sorted.get(rank.clamp(1, n.max(1)) - 1).copied()
}

/// 2.5th and 97.5th nearest-rank percentiles: nearest rank never invents a value that no
/// resample produced, which keeps intervals of discrete metrics (hit@k, 0/1 scores) honest.
fn interval(mut stats: Vec<f64>) -> Option<[f64; 2]> {
    stats.sort_by(f64::total_cmp);
    Some([nearest_rank(&stats, 2.5)?, nearest_rank(&stats, 97.5)?])
}

/// A 95% bootstrap interval of `stat(b) − stat(a)` for two independent samples (each
/// resampled on its own), e.g. the difference of two arms' p95 latencies.
pub fn two_sample_bootstrap(
    a: &[f64],
    b: &[f64],
    stat: impl Fn(&[f64]) -> Option<f64>,
    seed: u64,
) -> Option<[f64; 2]> {
    if a.is_empty() || b.is_empty() {
        return None;
    }
    let mut rng = Rng::new(seed);
    let mut draw = |values: &[f64]| -> Vec<f64> {
        (0..values.len())
            .map(|_| values[rng.below(values.len())])
            .collect()
    };
    let deltas: Vec<f64> = (0..RESAMPLES)
        .filter_map(|_| {
            let (ra, rb) = (draw(a), draw(b));
            Some(stat(&rb)? - stat(&ra)?)
        })
        .collect();
    interval(deltas)
}

/// Draws RESAMPLES sets of `n` item indices with replacement and collects `stat_of` on each.
/// Undefined statistics (e.g. a ratio with a zero denominator) carry no information: dropped.
fn resample(n: usize, seed: u64, mut stat_of: impl FnMut(&[usize]) -> Option<f64>) -> Vec<f64> {
    let mut rng = Rng::new(seed);
    let mut idx = Vec::with_capacity(n);
    (0..RESAMPLES)
        .filter_map(|_| {
            idx.clear();
            idx.extend((0..n).map(|_| rng.below(n)));
            stat_of(&idx)
        })
        .collect()
}

fn pick(values: &[f64], idx: &[usize]) -> Vec<f64> {
    idx.iter().map(|&i| values[i]).collect()
}

/// 95% percentile-bootstrap interval of `statistic` over `values` (resampling items with
/// replacement RESAMPLES times, seed fixed). None when empty. For n == 1 the interval is [v, v].
pub fn bootstrap_ci(
    values: &[f64],
    statistic: fn(&[f64]) -> Option<f64>,
    seed: u64,
) -> Option<[f64; 2]> {
    // Guarded here, not left to `statistic`, which might well define a value for no items.
    if values.is_empty() {
        return None;
    }
    interval(resample(values.len(), seed, |idx| {
        statistic(&pick(values, idx))
    }))
}

/// Result of a paired comparison: candidate minus baseline.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Paired {
    pub delta: f64,
    pub ci95: [f64; 2],
    pub p_value: f64,
}

/// Paired comparison of two variants on the same items: `pairs[i] = (baseline_i, candidate_i)`.
/// Returns delta = statistic(candidate) - statistic(baseline), its 95% paired-bootstrap interval
/// and a two-sided bootstrap p-value for "delta == 0". None when pairs is empty.
pub fn paired_bootstrap(
    pairs: &[(f64, f64)],
    statistic: fn(&[f64]) -> Option<f64>,
    seed: u64,
) -> Option<Paired> {
    if pairs.is_empty() {
        return None;
    }
    let (base, cand): (Vec<f64>, Vec<f64>) = pairs.iter().copied().unzip();
    let delta = statistic(&cand)? - statistic(&base)?;
    // The same indices for both sides: pairing is what cancels per-item difficulty.
    let deltas = resample(pairs.len(), seed, |idx| {
        Some(statistic(&pick(&cand, idx))? - statistic(&pick(&base, idx))?)
    });
    Some(Paired {
        delta,
        ci95: interval(deltas)?,
        p_value: paired_permutation_p(&base, &cand, delta, statistic, seed),
    })
}

/// Two-sided paired permutation test of "no difference": under it, which variant produced
/// which value of a pair is a coin flip, so each resample swaps every pair with probability
/// 1/2 and recomputes the delta. p = (1 + resamples at least as extreme) / (1 + resamples).
/// Unlike a p-value read off the bootstrap, it cannot call one or two items significant: with
/// one pair, swapping gives ±delta, both as extreme as the observed one, so p = 1.
fn paired_permutation_p(
    base: &[f64],
    cand: &[f64],
    observed: f64,
    statistic: fn(&[f64]) -> Option<f64>,
    seed: u64,
) -> f64 {
    if observed == 0.0 {
        return 1.0;
    }
    let mut rng = Rng::new(seed ^ 0x005e_ed0f_f11b);
    let (mut b, mut c) = (base.to_vec(), cand.to_vec());
    let mut extreme = 0usize;
    for _ in 0..RESAMPLES {
        for i in 0..base.len() {
            let swap = rng.next_u64() & 1 == 1;
            (b[i], c[i]) = if swap {
                (cand[i], base[i])
            } else {
                (base[i], cand[i])
            };
        }
        let delta = match (statistic(&c), statistic(&b)) {
            (Some(x), Some(y)) => x - y,
            _ => continue,
        };
        // A tolerance, so that a delta equal to the observed one counts despite rounding.
        if delta.abs() >= observed.abs() - 1e-12 {
            extreme += 1;
        }
    }
    ((extreme + 1) as f64 / (RESAMPLES + 1) as f64).min(1.0)
}

/// Exact McNemar test (two-sided) for paired yes/no outcomes: b = baseline yes / candidate no,
/// c = baseline no / candidate yes. p = min(1, 2 * P(X <= min(b,c))), X ~ Binomial(b + c, 0.5);
/// 1.0 when b + c == 0.
pub fn mcnemar_exact(b: usize, c: usize) -> f64 {
    let n = b + c;
    if n == 0 {
        return 1.0;
    }
    let tail = (ln_binomial_lower_tail(n, b.min(c)) + std::f64::consts::LN_2).exp();
    tail.min(1.0)
}

/// ln P(X <= k) for X ~ Binomial(n, 0.5). Binomial coefficients overflow f64 past n ≈ 1030,
/// so both the coefficients and their sum stay in log space.
fn ln_binomial_lower_tail(n: usize, k: usize) -> f64 {
    let mut ln_coef = 0.0_f64; // ln C(n, 0)
    let mut ln_sum = 0.0_f64;
    for i in 0..k {
        ln_coef += ((n - i) as f64).ln() - ((i + 1) as f64).ln();
        ln_sum = ln_add_exp(ln_sum, ln_coef);
    }
    ln_sum - n as f64 * std::f64::consts::LN_2
}

/// ln(e^a + e^b) without overflowing either exponential.
fn ln_add_exp(a: f64, b: f64) -> f64 {
    let (hi, lo) = if a >= b { (a, b) } else { (b, a) };
    hi + (lo - hi).exp().ln_1p()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn mcnemar_hand_values() {
        assert_eq!(mcnemar_exact(0, 0), 1.0);
        assert!(close(mcnemar_exact(10, 0), 0.001953125));
        assert!(close(mcnemar_exact(0, 10), 0.001953125));
        assert_eq!(mcnemar_exact(5, 5), 1.0);
        assert!(close(mcnemar_exact(3, 7), 0.34375));
    }

    #[test]
    fn mcnemar_large_counts_stay_finite() {
        let p = mcnemar_exact(5000, 5200);
        assert!(p.is_finite() && p > 0.0 && p <= 1.0, "p = {p}");
        // Normal approximation: z ≈ 1.98, so p should be near 0.05.
        assert!(p > 0.03 && p < 0.07, "p = {p}");
        assert_eq!(mcnemar_exact(50_000, 50_000), 1.0);
        assert!(mcnemar_exact(0, 100_000) < 1e-300);
    }

    #[test]
    fn mean_and_percentile() {
        assert_eq!(mean(&[]), None);
        assert_eq!(mean(&[1.0, 2.0, 3.0]), Some(2.0));
        let v: Vec<f64> = (1..=100).rev().map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), Some(50.0));
        assert_eq!(percentile(&v, 95.0), Some(95.0));
        assert_eq!(percentile(&v, 0.0), Some(1.0));
        assert_eq!(percentile(&v, 100.0), Some(100.0));
        assert_eq!(percentile(&[], 50.0), None);
    }

    #[test]
    fn bootstrap_ci_cases() {
        assert_eq!(bootstrap_ci(&[], mean, 1), None);
        assert_eq!(bootstrap_ci(&[], |_| Some(1.0), 1), None);
        // Summing 30 × 0.7 is not exact in f64, so compare with a tolerance.
        let [lo, hi] = bootstrap_ci(&[0.7; 30], mean, 1).unwrap();
        assert!(close(lo, 0.7) && close(hi, 0.7) && lo == hi, "[{lo}, {hi}]");
        assert_eq!(bootstrap_ci(&[0.25], mean, 1), Some([0.25, 0.25]));
        let v: Vec<f64> = (0..100).map(|i| f64::from(i % 2)).collect();
        let [lo, hi] = bootstrap_ci(&v, mean, 42).unwrap();
        assert!(lo <= 0.5 && 0.5 <= hi, "[{lo}, {hi}]");
        assert!(lo >= 0.3 && hi <= 0.7, "[{lo}, {hi}]");
        assert_eq!(bootstrap_ci(&v, mean, 42), bootstrap_ci(&v, mean, 42));
    }

    #[test]
    fn one_or_two_items_are_never_significant() {
        let one = paired_bootstrap(&[(1.0, 0.0)], mean, 7).unwrap();
        assert_eq!(one.delta, -1.0);
        assert_eq!(one.p_value, 1.0);
        // Two pairs both worse by 1: a swap pattern as extreme arises in half of the flips.
        let two = paired_bootstrap(&[(1.0, 0.0), (1.0, 0.0)], mean, 7).unwrap();
        assert!(two.p_value > 0.4, "p = {}", two.p_value);
    }

    #[test]
    fn paired_identical_variants() {
        assert!(paired_bootstrap(&[], mean, 1).is_none());
        assert!(paired_bootstrap(&[], |_| Some(1.0), 1).is_none());
        let pairs: Vec<(f64, f64)> = (0..40).map(|i| (i % 3) as f64).map(|v| (v, v)).collect();
        let r = paired_bootstrap(&pairs, mean, 7).unwrap();
        assert_eq!(r.delta, 0.0);
        assert_eq!(r.ci95, [0.0, 0.0]);
        assert_eq!(r.p_value, 1.0);
    }

    #[test]
    fn paired_candidate_worse() {
        // 20 items flip 1 → 0, the other 20 agree (half pass, half fail).
        let mut pairs = vec![(1.0, 0.0); 20];
        pairs.extend([(1.0, 1.0); 10].iter().chain(&[(0.0, 0.0); 10]));
        let r = paired_bootstrap(&pairs, mean, 7).unwrap();
        assert!(close(r.delta, -0.5));
        assert!(r.ci95[1] < 0.0, "{:?}", r.ci95);
        assert!(r.p_value < 0.05, "p = {}", r.p_value);
        assert_eq!(paired_bootstrap(&pairs, mean, 7), Some(r));
    }

    #[test]
    fn rng_is_deterministic_and_bounded() {
        let (mut a, mut b) = (Rng::new(9), Rng::new(9));
        assert!((0..100).all(|_| a.next_u64() == b.next_u64()));
        assert!((0..1000).all(|_| a.below(7) < 7));
        assert_eq!(a.below(0), 0);
    }
}
