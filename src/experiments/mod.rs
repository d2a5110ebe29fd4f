//! Online A/B experiments: named splits of a collection's traffic between variants. A query
//! without an explicit variant gets an arm by a stable hash of its client id, so a person
//! keeps seeing the same arm; the arm is recorded on the answer, and [`report`] compares the
//! arms' ratings, hallucination, abstention, latency and cost.

pub mod report;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Most arms an experiment may have.
pub const MAX_ARMS: usize = 10;
/// Largest traffic weight of one arm.
pub const MAX_WEIGHT: u32 = 10_000;

/// Whether an experiment assigns arms.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum State {
    #[default]
    Running,
    Stopped,
}

/// One arm: a variant and its share of the traffic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Arm {
    /// `default` or a configured `[variants.NAME]`.
    pub variant: String,
    /// Relative traffic weight, 1–10000 (weights 1 and 3 send a quarter of clients to the first).
    #[serde(default = "one")]
    #[schema(minimum = 1, maximum = 10000)]
    pub weight: u32,
}

fn one() -> u32 {
    1
}

/// What defines an experiment, in `[experiments.NAME]` or `PUT /v1/experiments/{name}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExperimentSpec {
    /// The collection whose queries it splits; every collection when omitted.
    #[serde(default)]
    pub collection: Option<String>,
    #[serde(default)]
    pub state: State,
    /// The first arm is the control every other arm is compared with; each names a
    /// different variant.
    #[schema(min_items = 2, max_items = 10)]
    pub arms: Vec<Arm>,
}

/// Where an experiment is defined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// `cairn.toml`: read-only over the API.
    Config,
    Api,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Experiment {
    pub name: String,
    #[serde(flatten)]
    pub spec: ExperimentSpec,
    pub source: Origin,
    /// When it was last put over the API; absent for those of `cairn.toml`.
    pub updated_at: Option<DateTime<Utc>>,
}

/// The arm an answer was given, recorded on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Assignment {
    /// The experiment's name.
    pub name: String,
    /// The arm's variant.
    pub arm: String,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ExperimentError {
    #[error("invalid experiment {0:?}: {1}")]
    Invalid(String, String),
    #[error(
        "experiment {name:?} would run alongside {other:?} on the same collection; stop one first"
    )]
    Conflict { name: String, other: String },
    #[error("experiment {0:?} is defined in cairn.toml; change it there")]
    ReadOnly(String),
}

impl ExperimentSpec {
    /// Checks the spec against the variants the server knows.
    pub fn check(&self, name: &str, variants: &[String]) -> Result<(), ExperimentError> {
        let invalid = |why: String| Err(ExperimentError::Invalid(name.to_owned(), why));
        let name_ok = (1..=64).contains(&name.len())
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !name_ok {
            return invalid("use 1-64 letters, digits, '-' or '_' for its name".into());
        }
        if !(2..=MAX_ARMS).contains(&self.arms.len()) {
            return invalid(format!(
                "it has {} arms; give 2 to {MAX_ARMS}",
                self.arms.len()
            ));
        }
        for (i, arm) in self.arms.iter().enumerate() {
            if !variants.contains(&arm.variant) {
                return invalid(format!(
                    "arm {} uses unknown variant {:?}; configured: {}",
                    i + 1,
                    arm.variant,
                    variants.join(", ")
                ));
            }
            if self.arms[..i].iter().any(|a| a.variant == arm.variant) {
                return invalid(format!("variant {:?} is in two arms", arm.variant));
            }
            if !(1..=MAX_WEIGHT).contains(&arm.weight) {
                return invalid(format!(
                    "arm {} has weight {}; use 1 to {MAX_WEIGHT}",
                    i + 1,
                    arm.weight
                ));
            }
        }
        Ok(())
    }

    /// Whether this experiment splits queries to `collection`.
    pub fn covers(&self, collection: &str) -> bool {
        self.state == State::Running && self.collection.as_deref().is_none_or(|c| c == collection)
    }

    /// Whether two running experiments would both split some collection's queries.
    pub fn overlaps(&self, other: &ExperimentSpec) -> bool {
        self.state == State::Running
            && other.state == State::Running
            && match (&self.collection, &other.collection) {
                (Some(a), Some(b)) => a == b,
                _ => true,
            }
    }
}

/// The arm of `spec` that `client` gets in experiment `name`: a point on the weights drawn
/// from SHA-256 of the name and the client id. Stable across requests, restarts and replicas;
/// independent between experiments (the name is hashed too).
pub fn assign<'a>(name: &str, spec: &'a ExperimentSpec, client: &str) -> &'a Arm {
    let digest = Sha256::digest(format!("{name}\u{0}{client}").as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    let total: u64 = spec.arms.iter().map(|a| u64::from(a.weight)).sum();
    // The modulo's bias is below total / 2^64: nothing a traffic split can show.
    let mut point = u64::from_be_bytes(first) % total.max(1);
    for arm in &spec.arms {
        if point < u64::from(arm.weight) {
            return arm;
        }
        point -= u64::from(arm.weight);
    }
    // Unreachable for a checked spec (weights ≥ 1 sum to `total`); the control otherwise.
    &spec.arms[0]
}

/// Every experiment: those of `cairn.toml` and those created over the API.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    experiments: BTreeMap<String, Experiment>,
}

impl Registry {
    pub fn new(experiments: impl IntoIterator<Item = Experiment>) -> Self {
        Self {
            experiments: experiments
                .into_iter()
                .map(|e| (e.name.clone(), e))
                .collect(),
        }
    }

    pub fn list(&self) -> Vec<Experiment> {
        self.experiments.values().cloned().collect()
    }

    pub fn get(&self, name: &str) -> Option<&Experiment> {
        self.experiments.get(name)
    }

    /// The running experiment that splits `collection`'s queries, if any.
    pub fn running_for(&self, collection: &str) -> Option<&Experiment> {
        self.experiments
            .values()
            .find(|e| e.spec.covers(collection))
    }

    /// Checks that `spec` may replace (or create) experiment `name`.
    pub fn check_put(&self, name: &str, spec: &ExperimentSpec) -> Result<(), ExperimentError> {
        if self.get(name).is_some_and(|e| e.source == Origin::Config) {
            return Err(ExperimentError::ReadOnly(name.to_owned()));
        }
        match self
            .experiments
            .values()
            .find(|e| e.name != name && e.spec.overlaps(spec))
        {
            Some(other) => Err(ExperimentError::Conflict {
                name: name.to_owned(),
                other: other.name.clone(),
            }),
            None => Ok(()),
        }
    }

    pub fn put(&mut self, experiment: Experiment) {
        self.experiments.insert(experiment.name.clone(), experiment);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(weights: &[u32]) -> ExperimentSpec {
        ExperimentSpec {
            collection: None,
            state: State::Running,
            arms: weights
                .iter()
                .enumerate()
                .map(|(i, &weight)| Arm {
                    variant: format!("v{i}"),
                    weight,
                })
                .collect(),
        }
    }

    #[test]
    fn assignment_is_sticky_and_follows_the_weights() {
        let s = spec(&[1, 3]);
        let mut counts = [0usize; 2];
        for client in 0..1000 {
            let id = format!("client-{client}");
            let arm = assign("checkout", &s, &id);
            // The same client gets the same arm every time.
            for _ in 0..3 {
                assert_eq!(assign("checkout", &s, &id), arm);
            }
            counts[usize::from(arm.variant == "v1")] += 1;
        }
        // Expected 250 / 750; a binomial standard deviation is 13.7, so ±50 is over 3.6 sd.
        assert!((200..=300).contains(&counts[0]), "{counts:?}");
    }

    #[test]
    fn experiments_assign_independently() {
        let s = spec(&[1, 1]);
        let same = (0..1000)
            .filter(|c| {
                let id = format!("c{c}");
                assign("a", &s, &id) == assign("b", &s, &id)
            })
            .count();
        // Independent halves agree about half the time.
        assert!((430..=570).contains(&same), "{same}");
    }

    #[test]
    fn specs_are_checked_with_reasons() {
        let variants = vec!["v0".to_owned(), "v1".to_owned()];
        assert!(spec(&[1, 1]).check("ok", &variants).is_ok());
        let err = |s: ExperimentSpec, name: &str| s.check(name, &variants).unwrap_err().to_string();
        assert!(err(spec(&[1]), "one").contains("1 arms"));
        assert!(err(spec(&[1, 0]), "zero").contains("weight 0"));
        assert!(err(spec(&[1, 1, 1]), "three").contains("unknown variant \"v2\""));
        assert!(err(spec(&[1, 1]), "bad name!").contains("its name"));
    }

    #[test]
    fn two_running_experiments_may_not_share_a_collection() {
        let at = |collection: Option<&str>, state| ExperimentSpec {
            collection: collection.map(str::to_owned),
            state,
            ..spec(&[1, 1])
        };
        let mut r = Registry::default();
        r.put(Experiment {
            name: "a".into(),
            spec: at(Some("faq"), State::Running),
            source: Origin::Api,
            updated_at: Some(Utc::now()),
        });
        assert!(r.check_put("b", &at(Some("docs"), State::Running)).is_ok());
        assert!(r.check_put("b", &at(Some("faq"), State::Stopped)).is_ok());
        assert!(matches!(
            r.check_put("b", &at(None, State::Running)),
            Err(ExperimentError::Conflict { .. })
        ));
        assert!(r.check_put("a", &at(None, State::Running)).is_ok());
        assert_eq!(r.running_for("faq").map(|e| e.name.as_str()), Some("a"));
        assert!(r.running_for("docs").is_none());
    }
}
