//! Evaluation runs: every item of a dataset through the same answer flow as `/query`, under
//! each variant, scored, aggregated with intervals, compared with the baseline and stored.

use std::collections::BTreeMap;
use std::sync::Arc;

use cairn_ingest::domain::CollectionName;
use cairn_ingest::embed::cosine;
use cairn_ingest::store::SourceFilter;
use chrono::Utc;

use super::answers::Traced;
use super::{AppError, Cairn};
use crate::eval::dataset::{Dataset, Item};
use crate::eval::metrics;
use crate::eval::result::{EvalResult, ItemResult, RunInfo};
use crate::eval::store::RunRecord;
use crate::rag::answer::{Question, DEFAULT_VARIANT};

/// Most variants one run compares.
pub const MAX_VARIANTS: usize = 10;

/// What to evaluate.
#[derive(Debug, Clone)]
pub struct EvalRequest {
    pub collection: CollectionName,
    pub dataset: EvalDataset,
    /// In order; the first is the baseline. Empty: `default` alone.
    pub variants: Vec<String>,
}

#[derive(Debug, Clone)]
pub enum EvalDataset {
    /// A stored dataset, its newest version unless one is named.
    Stored {
        name: String,
        version: Option<String>,
    },
    /// Items from a file, not stored; `name` is the file's.
    Items { name: String, items: Vec<Item> },
}

impl Cairn {
    /// Runs the evaluation to the end and stores it.
    pub async fn evaluate(&self, request: EvalRequest) -> Result<EvalResult, AppError> {
        let (request, dataset) = self.check_eval(request).await?;
        let id = uuid::Uuid::new_v4().to_string();
        self.store_run_start(&id, &dataset, &request).await?;
        let outcome = self.run_eval(&id, &request, &dataset).await;
        self.store_run_end(&id, &outcome).await?;
        outcome
    }

    /// Starts the evaluation in the background and returns its record (status `running`).
    pub async fn start_eval(self: &Arc<Self>, request: EvalRequest) -> Result<RunRecord, AppError> {
        let (request, dataset) = self.check_eval(request).await?;
        let id = uuid::Uuid::new_v4().to_string();
        self.store_run_start(&id, &dataset, &request).await?;
        let this = self.clone();
        let run_id = id.clone();
        tokio::spawn(async move {
            let outcome = this.run_eval(&run_id, &request, &dataset).await;
            if let Err(e) = this.store_run_end(&run_id, &outcome).await {
                tracing::error!(error = %e, run = %run_id, "could not store the evaluation run");
            }
        });
        self.eval_run(&id).await
    }

    pub async fn eval_run(&self, id: &str) -> Result<RunRecord, AppError> {
        let key = id.to_owned();
        self.stored(move |evals| evals.run(&key))
            .await?
            .ok_or_else(|| AppError::EvalNotFound(id.to_owned()))
    }

    pub async fn eval_runs(&self) -> Result<Vec<RunRecord>, AppError> {
        self.stored(|evals| evals.runs()).await
    }

    /// Everything that can be refused is refused before the run starts.
    async fn check_eval(
        &self,
        mut request: EvalRequest,
    ) -> Result<(EvalRequest, Dataset), AppError> {
        if request.variants.is_empty() {
            request.variants.push(DEFAULT_VARIANT.to_owned());
        }
        if request.variants.len() > MAX_VARIANTS {
            return Err(AppError::InvalidVariants(format!(
                "{} variants given; at most {MAX_VARIANTS} can be compared in one run",
                request.variants.len()
            )));
        }
        for (i, name) in request.variants.iter().enumerate() {
            if request.variants[..i].contains(name) {
                return Err(AppError::InvalidVariants(format!(
                    "variant {name:?} is given twice; each variant runs once"
                )));
            }
        }
        for name in &request.variants {
            self.answerer.describe(Some(name))?;
        }
        self.collection(&request.collection).await?;
        let dataset = match &request.dataset {
            EvalDataset::Stored { name, version } => self.dataset(name, version.as_deref()).await?,
            EvalDataset::Items { name, items } => Dataset {
                name: name.clone(),
                version: crate::eval::dataset::version(items),
                created_at: Utc::now(),
                items: items.clone(),
            },
        };
        Ok((request, dataset))
    }

    async fn store_run_start(
        &self,
        id: &str,
        dataset: &Dataset,
        request: &EvalRequest,
    ) -> Result<(), AppError> {
        let (id, name, collection) = (
            id.to_owned(),
            dataset.name.clone(),
            request.collection.to_string(),
        );
        self.stored(move |evals| evals.start_run(&id, &name, &collection))
            .await
    }

    async fn store_run_end(
        &self,
        id: &str,
        outcome: &Result<EvalResult, AppError>,
    ) -> Result<(), AppError> {
        let stored = match outcome {
            Ok(result) => Ok(result.clone()),
            Err(e) => {
                tracing::error!(error = %e, run = %id, "evaluation run failed");
                Err(e.public_message())
            }
        };
        let id = id.to_owned();
        self.stored(move |evals| evals.finish_run(&id, stored.as_ref().map_err(String::as_str)))
            .await
    }

    async fn run_eval(
        &self,
        id: &str,
        request: &EvalRequest,
        dataset: &Dataset,
    ) -> Result<EvalResult, AppError> {
        let started = Utc::now();
        let points = self.collection(&request.collection).await?.points;
        let mut variants = BTreeMap::new();
        for name in &request.variants {
            variants.insert(name.clone(), self.answerer.describe(Some(name))?);
        }
        // Item by item, every variant in turn: a drift of the machine's speed during the run
        // then affects every variant alike, not the ones that happened to run last.
        let mut items = Vec::new();
        for item in &dataset.items {
            for name in &request.variants {
                items.push(self.eval_item(&request.collection, name, item).await?);
            }
        }
        // Thousands of resamples per metric: CPU work, off the async workers.
        let order = request.variants.clone();
        let (items, metrics_by_variant, comparisons) = crate::blocking::run(move || {
            let (metrics, comparisons) = metrics::summarise(&order, &items);
            (items, metrics, comparisons)
        })
        .await?;
        let failed = items.iter().filter(|i| i.error.is_some()).count();
        let mut warnings = Vec::new();
        if failed > 0 {
            warnings.push(format!(
                "{failed} item answers failed (see each item's error); their metrics are left out"
            ));
        }
        if dataset.items.len() < metrics::MIN_ITEMS {
            warnings.push(format!(
                "the dataset has {} items, fewer than {}: intervals are wide and only large differences are significant",
                dataset.items.len(),
                metrics::MIN_ITEMS
            ));
        }
        Ok(EvalResult {
            run: RunInfo {
                id: id.to_owned(),
                dataset: dataset.name.clone(),
                dataset_version: dataset.version.clone(),
                collection: request.collection.to_string(),
                points,
                started,
                finished: Utc::now(),
                cairn_version: env!("CARGO_PKG_VERSION").to_owned(),
                variant_order: request.variants.clone(),
                variants,
            },
            metrics: metrics_by_variant,
            comparisons,
            items,
            warnings,
        })
    }

    /// One item under one variant. A failed answer (the LLM, say) is recorded on the item;
    /// a failure of cairn itself (the store, the embedder) stops the run.
    async fn eval_item(
        &self,
        collection: &CollectionName,
        variant: &str,
        item: &Item,
    ) -> Result<ItemResult, AppError> {
        let question = Question {
            text: item.question.clone(),
            top_k: None,
            filter: SourceFilter::default(),
            variant: Some(variant.to_owned()),
            client: None,
            experiment: None,
            key_id: None,
        };
        match self.answer_traced(collection, question).await {
            Ok(traced) => self.score(variant, item, traced).await,
            Err(AppError::Answer(crate::rag::answer::AnswerError::Llm { error, .. })) => {
                tracing::warn!(error = %error, item = %item.id, "evaluation: the language model failed");
                Ok(ItemResult::unanswered(
                    &item.id,
                    variant,
                    &item.question,
                    item.answerable,
                    Some(error.public_message().to_owned()),
                ))
            }
            Err(e) => Err(e),
        }
    }

    async fn score(
        &self,
        variant: &str,
        item: &Item,
        traced: Traced,
    ) -> Result<ItemResult, AppError> {
        let Traced {
            answer,
            retrieved,
            passages,
        } = traced;
        let sources: Vec<String> = retrieved.iter().map(|c| c.source.clone()).collect();
        let rank = sources.iter().position(|s| item.expects(s)).map(|r| r + 1);
        let has_sources = !item.expected_sources.is_empty();
        let has_keywords = !item.keywords.is_empty();
        let in_answer = keywords_in(&item.keywords, &answer.answer);
        let cited_text: String = answer
            .citations
            .iter()
            .filter_map(|c| passages.get(c.n.wrapping_sub(1)))
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join("\n");
        let in_cited = keywords_in(&item.keywords, &cited_text);
        let cites_expected = answer.citations.iter().any(|c| item.expects(&c.source));
        let reference_similarity = match &item.reference_answer {
            Some(reference) => Some(self.similarity(&answer.answer, reference).await?),
            None => None,
        };
        let usage = answer.usage;
        Ok(ItemResult {
            id: item.id.clone(),
            variant: variant.to_owned(),
            question: item.question.clone(),
            answerable: item.answerable,
            abstained: answer.abstained,
            behaved: answer.abstained != item.answerable,
            hit_at_1: has_sources.then(|| rank == Some(1)),
            hit_at_5: has_sources.then(|| rank.is_some_and(|r| r <= 5)),
            reciprocal_rank: has_sources.then(|| rank.map_or(0.0, |r| 1.0 / r as f64)),
            keyword_recall: has_keywords.then(|| in_answer as f64 / item.keywords.len() as f64),
            fact_in_answer: has_keywords.then_some(in_answer == item.keywords.len()),
            fact_in_cited_passages: has_keywords.then_some(in_cited == item.keywords.len()),
            cites_expected_source: has_sources.then_some(cites_expected),
            reference_similarity,
            hallucinated: (!answer.abstained).then_some(answer.grounding.hallucinated),
            grounding_score: (!answer.abstained).then_some(f64::from(answer.grounding.score)),
            latency_ms: answer.latency_ms,
            prompt_tokens: usage.prompt_tokens,
            completion_tokens: usage.completion_tokens,
            cost: self
                .pricing
                .cost(usage.prompt_tokens, usage.completion_tokens),
            answer: answer.answer,
            citations: answer.citations,
            retrieved: sources,
            grounding: Some(answer.grounding),
            evidence: Some(answer.evidence),
            error: None,
        })
    }

    /// Cosine similarity of two texts under the retrieval embedder.
    async fn similarity(&self, a: &str, b: &str) -> Result<f64, AppError> {
        let embedder = self.retriever.embedder.clone();
        let texts = [a.to_owned(), b.to_owned()];
        let vectors = crate::blocking::run(move || embedder.embed(&texts)).await??;
        match vectors.as_slice() {
            [x, y] => Ok(f64::from(cosine(x, y))),
            _ => Err(AppError::Internal(
                "the embedder returned the wrong number of vectors".into(),
            )),
        }
    }
}

/// How many of the keywords occur in the text: case-insensitive, whitespace collapsed, and
/// markup quotes (`code`) ignored, so a keyword matches the fact however the loader rendered it.
fn keywords_in(keywords: &[String], text: &str) -> usize {
    let text = normalized(text);
    keywords
        .iter()
        .map(|k| normalized(k))
        .filter(|k| !k.is_empty() && text.contains(k.as_str()))
        .count()
}

fn normalized(text: &str) -> String {
    text.replace('`', "")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}
