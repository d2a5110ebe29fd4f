//! Online experiments: define (config or API), list, assign arms to questions, and report.

use std::sync::Arc;

use chrono::Utc;
use serde::Serialize;

use super::{AppError, Cairn};
use crate::answer_log::AnswerFilter;
use crate::experiments::report::{self, Results};
use crate::experiments::{assign, Assignment, Experiment, ExperimentSpec, Origin, Registry, State};
use crate::rag::answer::Question;

/// An experiment with its results so far.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ExperimentReport {
    #[serde(flatten)]
    pub experiment: Experiment,
    pub results: Results,
}

/// The experiments of the configuration, checked against the variants, with those stored.
/// A stored running experiment that no longer fits (a variant was removed from the config, or
/// a configured experiment now splits its collection) is stopped with a warning rather than
/// failing the start or every question: the configuration, which has no API to fix it, wins.
pub(super) fn registry(
    configured: &std::collections::BTreeMap<String, ExperimentSpec>,
    stored: Vec<Experiment>,
    variants: &[String],
) -> Result<Registry, AppError> {
    let stored = stored.into_iter().map(|mut e| {
        if e.spec.state != State::Running || configured.contains_key(&e.name) {
            return e;
        }
        let why = match e.spec.check(&e.name, variants) {
            Err(err) => Some(err.to_string()),
            Ok(()) => configured
                .iter()
                .find(|(_, spec)| spec.overlaps(&e.spec))
                .map(|(name, _)| format!("the configured experiment {name:?} splits the same collection")),
        };
        if let Some(why) = why {
            tracing::warn!(experiment = %e.name, reason = %why, "stopping a stored experiment that no longer fits the configuration");
            e.spec.state = State::Stopped;
        }
        e
    });
    let mut registry = Registry::new(stored);
    for (name, spec) in configured {
        spec.check(name, variants)?;
        registry.check_put(name, spec)?;
        registry.put(Experiment {
            name: name.clone(),
            spec: spec.clone(),
            source: Origin::Config,
            updated_at: None,
        });
    }
    Ok(registry)
}

impl Cairn {
    pub async fn experiments(&self) -> Vec<Experiment> {
        self.experiments.read().await.list()
    }

    /// Creates or replaces an experiment defined over the API; true when it was created.
    /// Runs as a task of its own: a client that goes away mid-request cannot leave the row
    /// saved but the registry unchanged.
    pub async fn put_experiment(
        self: &Arc<Self>,
        name: &str,
        spec: ExperimentSpec,
    ) -> Result<(Experiment, bool), AppError> {
        let (this, name) = (self.clone(), name.to_owned());
        tokio::spawn(async move { this.put_experiment_whole(&name, spec).await })
            .await
            .map_err(|e| AppError::Internal(format!("putting an experiment failed: {e}")))?
    }

    async fn put_experiment_whole(
        &self,
        name: &str,
        spec: ExperimentSpec,
    ) -> Result<(Experiment, bool), AppError> {
        spec.check(name, &self.variant_names())?;
        let experiment = Experiment {
            name: name.to_owned(),
            spec,
            source: Origin::Api,
            updated_at: Some(Utc::now()),
        };
        // Held across the write, so that two concurrent puts cannot both pass the conflict
        // check; questions wait for it only while one experiment row is written.
        let mut registry = self.experiments.write().await;
        registry.check_put(name, &experiment.spec)?;
        let saved = experiment.clone();
        self.stored(move |evals| evals.save_experiment(&saved))
            .await?;
        let created = registry.get(name).is_none();
        registry.put(experiment.clone());
        Ok((experiment, created))
    }

    pub async fn experiment_report(&self, name: &str) -> Result<ExperimentReport, AppError> {
        let experiment = self
            .experiments
            .read()
            .await
            .get(name)
            .cloned()
            .ok_or_else(|| AppError::ExperimentNotFound(name.to_owned()))?;
        let filter = AnswerFilter {
            experiment: Some(name.to_owned()),
            ..AnswerFilter::default()
        };
        let answers = self.logged(move |log| log.for_statistics(&filter)).await?;
        let spec = experiment.spec.clone();
        let pricing = self.pricing.clone();
        let results =
            crate::blocking::run(move || report::results(&spec, &answers, &pricing)).await?;
        Ok(ExperimentReport {
            experiment,
            results,
        })
    }

    /// Gives a question without a variant the arm of the running experiment on `collection`
    /// (by its client), so that the answer is made and logged with that arm.
    pub(super) async fn assigned(&self, collection: &str, mut q: Question) -> Question {
        if q.variant.is_some() {
            return q;
        }
        let Some(client) = q.client.as_deref() else {
            return q;
        };
        let registry = self.experiments.read().await;
        if let Some(e) = registry.running_for(collection) {
            let arm = assign(&e.name, &e.spec, client);
            q.variant = Some(arm.variant.clone());
            q.experiment = Some(Assignment {
                name: e.name.clone(),
                arm: arm.variant.clone(),
            });
        }
        q
    }
}
