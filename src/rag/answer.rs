//! The answer flow: retrieve → abstain if nothing is relevant → prompt → generate → cite.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use cairn_ingest::domain::CollectionName;
use cairn_ingest::embed::EmbedError;
use cairn_ingest::store::SourceFilter;
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use super::citations::{self, Citation};
use super::extractive::{self, Extractive, Selection};
use super::intent::{self, Intent};
use super::prompt::{PromptTemplate, Prompts};
use crate::experiments::Assignment;
use crate::ground::{Check, GroundError, Grounder, Grounding};
use crate::llm::{ChatModel, ChatRequest, LlmError, StreamEvent, Usage};
use crate::retrieve::{Hit, Mode, RetrieveError, Retriever, SearchOptions};
use crate::text::coverage::Terms;

/// The name of the service's own configuration among variants.
pub const DEFAULT_VARIANT: &str = "default";

/// What an answer says when the documents do not hold the answer.
pub const ABSTAIN_TEXT: &str = "I couldn't find this in the documents.";

/// Answering settings (the `[answer]` table).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct AnswerSettings {
    pub top_k: usize,
    pub mode: Mode,
    pub per_source: usize,
    /// Abstain, without calling the model, when no passage is at least this similar (cosine)
    /// to the question (see docs/benchmarks.md for how it was chosen).
    pub min_similarity: f32,
    /// Abstain when the question names something (a capitalized word or acronym) that occurs
    /// nowhere in the collection: the documents cannot say anything about it.
    pub abstain_on_unknown_names: bool,
    /// Abstain when the best passage covers less than this weighted share of the question's
    /// terms (rare terms weigh more; see docs/benchmarks.md), unless its similarity reaches
    /// `confident_similarity`.
    pub min_coverage: f32,
    /// A passage this similar is relevant whatever its coverage.
    pub confident_similarity: f32,
    /// Abstain when the question asks for a figure (a duration, a number, a price, a date) and
    /// no retrieved sentence holds one.
    pub require_answer_shape: bool,
    /// Rerank retrieved passages by similarity plus coverage of the question.
    pub rerank: bool,
    /// Follow each retrieved passage with the rest of its document's next chunk. Off: on the
    /// handbooks tuning half it put the fact in more cited passages (+3.6 points) but not in
    /// more extractive answers, at 1.7–1.8 times the latency (docs/benchmarks.md).
    pub expand_passages: bool,
    /// How the extractive answerer picks sentences: `answer` or `similarity`.
    pub sentences: Selection,
    /// Prompt template name.
    pub prompt: String,
    pub max_tokens: u32,
    pub temperature: f32,
}

impl Default for AnswerSettings {
    fn default() -> Self {
        Self {
            top_k: 5,
            mode: Mode::Dense,
            per_source: 3,
            min_similarity: 0.30,
            abstain_on_unknown_names: true,
            // Off: on docs-sample it abstained on paraphrased answerable questions that share
            // no word with their passage (docs/benchmarks.md has the trade-off).
            min_coverage: 0.0,
            confident_similarity: 0.55,
            require_answer_shape: true,
            rerank: true,
            expand_passages: false,
            sentences: Selection::Answer,
            prompt: "support-v2".into(),
            max_tokens: 300,
            temperature: 0.1,
        }
    }
}

/// Which generator writes the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GeneratorKind {
    Llm,
    Extractive,
}

/// A named set of overrides, for A/B comparisons (`"variant"` in a query).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Variant {
    pub prompt: Option<String>,
    pub top_k: Option<usize>,
    pub mode: Option<Mode>,
    pub per_source: Option<usize>,
    pub min_similarity: Option<f32>,
    pub min_coverage: Option<f32>,
    pub confident_similarity: Option<f32>,
    pub require_answer_shape: Option<bool>,
    pub rerank: Option<bool>,
    pub expand_passages: Option<bool>,
    pub sentences: Option<Selection>,
    pub generator: Option<GeneratorKind>,
    /// The model name sent to the LLM server (one server can serve several).
    pub model: Option<String>,
}

/// What produced a variant's answers.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct VariantInfo {
    pub config_hash: String,
    pub prompt_version: String,
    pub model: String,
    pub embedder: String,
}

/// A question as the API receives it (already validated).
#[derive(Debug, Clone)]
pub struct Question {
    pub text: String,
    pub top_k: Option<usize>,
    pub filter: SourceFilter,
    pub variant: Option<String>,
    /// Who asks (the `X-Client-Id` header or the caller's address): a running experiment
    /// assigns its arm by this. `None` (the CLI, evaluation runs) is never assigned.
    pub client: Option<String>,
    /// The experiment arm this question was assigned (set by the application core).
    pub experiment: Option<Assignment>,
    /// The query key that asks (its id): such a key reads back only its own answers.
    pub key_id: Option<String>,
}

/// Milliseconds spent in each stage.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = AnswerLatency)]
pub struct Latency {
    pub embed: f64,
    pub retrieve: f64,
    pub generate: f64,
    /// The groundedness check of the answer.
    pub ground: f64,
    pub total: f64,
}

impl Latency {
    /// The stage names, as in `/v1/stats` and the `stage` label of the metrics.
    pub const STAGES: [&'static str; 5] = ["embed", "retrieve", "generate", "ground", "total"];

    /// Each stage with its milliseconds, in the order of [`Self::STAGES`].
    pub fn stages(&self) -> [(&'static str, f64); 5] {
        let s = Self::STAGES;
        [
            (s[0], self.embed),
            (s[1], self.retrieve),
            (s[2], self.generate),
            (s[3], self.ground),
            (s[4], self.total),
        ]
    }
}

/// The estimated price of one answer's tokens.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct AnswerCost {
    pub amount: f64,
    pub currency: String,
}

/// What the answerability decision saw in the retrieved passages.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[serde(default)]
pub struct Evidence {
    /// The best passage's cosine similarity to the question.
    pub similarity: f32,
    /// The weighted share (0..1) of the question's terms the best-covering passage holds.
    pub coverage: f32,
    /// The question's words that the best-covering passage lacks, most specific first.
    pub missing: Vec<String>,
    /// The answer shape the question asks for (`duration`, `quantity`, `price`, `when`,
    /// `reason`, `procedure`, `yes_no`, `other`).
    #[schema(value_type = String)]
    pub intent: Intent,
    /// Whether a retrieved sentence has that shape.
    pub shape_found: bool,
}

/// The names of a question checked against the collection (one keyword search each); a
/// question naming more is judged on its first ones.
pub const MAX_NAMES_CHECKED: usize = 8;

/// The answer object of the API, and the record the answer log keeps.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Answer {
    pub answer_id: String,
    pub answer: String,
    pub abstained: bool,
    /// Why it abstained: `no_relevant_passage`, `unknown_names: …`, `not_covered: …`,
    /// `no_answer_shape: …` or `model_found_nothing`.
    pub abstain_reason: Option<String>,
    /// What the answerability decision saw (absent from answers logged before it existed).
    #[serde(default)]
    pub evidence: Evidence,
    /// The passages the answer's `[n]` markers use, in order of first use.
    pub citations: Vec<Citation>,
    /// True when the answer had no `[n]` markers and citations were matched by word overlap.
    pub citations_inferred: bool,
    /// When abstaining: the nearest passages, so a person can look.
    pub nearest: Vec<Citation>,
    pub usage: Usage,
    /// What `usage` costs at the configured `[pricing]`; absent when no prices are set.
    #[serde(default)]
    pub cost: Option<AnswerCost>,
    pub latency_ms: Latency,
    pub model: String,
    pub prompt_version: String,
    pub embedder: String,
    pub(crate) config_hash: String,
    pub variant: Option<String>,
    /// The experiment arm that chose `variant`, when an experiment did.
    #[serde(default)]
    pub experiment: Option<Assignment>,
    pub disclaimer: Option<String>,
    /// How well each sentence is supported by the retrieved passages (the hallucination check).
    pub grounding: Grounding,
}

impl Answer {
    /// The distinct sources it cites (or, when it abstained, the nearest ones).
    pub fn sources(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for c in self.citations.iter().chain(&self.nearest) {
            if !out.contains(&c.source) {
                out.push(c.source.clone());
            }
        }
        out
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AnswerError {
    #[error(transparent)]
    Retrieve(#[from] RetrieveError),
    #[error("unknown variant {name:?}; configured: {known}")]
    UnknownVariant { name: String, known: String },
    #[error("{error}")]
    Llm {
        error: LlmError,
        citations: Vec<Citation>,
    },
    #[error(transparent)]
    Embed(#[from] EmbedError),
    #[error("prompt template {0:?} is not configured")]
    UnknownPrompt(String),
    #[error(transparent)]
    Ground(#[from] GroundError),
    #[error(transparent)]
    Panicked(#[from] crate::blocking::Panicked),
}

/// Events of a streamed answer, in order: one `Retrieval`, `Token`s, then `Done` or `Error`.
#[derive(Debug)]
pub enum AnswerEvent {
    Retrieval(Vec<Citation>),
    Token(String),
    Done(Box<Answer>),
    Error(AnswerError),
}

/// Everything decided before generation starts.
pub struct Prepared {
    question: String,
    hits: Vec<Hit>,
    abstain: Option<String>,
    evidence: Evidence,
    selection: Selection,
    generator: GeneratorKind,
    prompt: PromptTemplate,
    variant: Option<String>,
    experiment: Option<Assignment>,
    /// The variant's LLM model name, when it names one.
    model: Option<String>,
    latency: Latency,
    started: Instant,
}

impl Prepared {
    /// Every retrieved passage as a numbered citation candidate.
    pub fn candidates(&self) -> Vec<Citation> {
        self.hits
            .iter()
            .enumerate()
            .map(|(i, h)| citations::citation(i + 1, h))
            .collect()
    }

    /// The full text of every retrieved passage, in citation order.
    pub fn passages(&self) -> Vec<String> {
        self.hits
            .iter()
            .map(|h| h.chunk.payload.text.clone())
            .collect()
    }
}

#[derive(Clone)]
pub struct Answerer {
    pub(crate) retriever: Retriever,
    pub(crate) extractive: Arc<Extractive>,
    pub(crate) llm: Option<Arc<dyn ChatModel>>,
    pub(crate) prompts: Arc<Prompts>,
    pub(crate) settings: AnswerSettings,
    pub(crate) variants: Arc<BTreeMap<String, Variant>>,
    /// Hash of every setting that shapes answers, recorded with each one.
    pub(crate) config_hash: String,
    pub(crate) grounder: Grounder,
}

impl Answerer {
    /// Retrieves and decides: abstain, or which generator and prompt.
    pub async fn prepare(
        &self,
        collection: &CollectionName,
        q: Question,
    ) -> Result<Prepared, AnswerError> {
        let started = Instant::now();
        let variant = self.variant(q.variant.as_deref())?;
        let prompt = self.prompt(&variant)?;
        let options = SearchOptions {
            top_k: q.top_k.or(variant.top_k).unwrap_or(self.settings.top_k),
            filter: q.filter,
            mode: variant.mode.unwrap_or(self.settings.mode),
            per_source: variant.per_source.unwrap_or(self.settings.per_source),
            rerank: variant.rerank.unwrap_or(self.settings.rerank),
        };
        let mut retrieved = self
            .retriever
            .retrieve(collection, &q.text, &options)
            .await?;
        if variant
            .expand_passages
            .unwrap_or(self.settings.expand_passages)
        {
            let expanding = Instant::now();
            self.retriever
                .expand(collection, &mut retrieved.hits)
                .await?;
            retrieved.search += expanding.elapsed();
        }
        let min = variant
            .min_similarity
            .unwrap_or(self.settings.min_similarity);
        let min_coverage = variant.min_coverage.unwrap_or(self.settings.min_coverage);
        let confident = variant
            .confident_similarity
            .unwrap_or(self.settings.confident_similarity);
        let require_shape = variant
            .require_answer_shape
            .unwrap_or(self.settings.require_answer_shape);
        let evidence = weigh(&q.text, &retrieved.hits);
        let best = evidence.similarity;
        let unknown = if self.settings.abstain_on_unknown_names {
            let mut names = crate::text::words::names(&q.text);
            // One keyword search per name: a question of 2000 characters could hold hundreds.
            names.truncate(MAX_NAMES_CHECKED);
            self.retriever.unknown_terms(collection, &names).await?
        } else {
            Vec::new()
        };
        let intent = evidence.intent;
        let abstain = if retrieved.hits.is_empty() || best < min {
            Some("no_relevant_passage".to_owned())
        } else if !unknown.is_empty() {
            Some(format!("unknown_names: {}", unknown.join(", ")))
        } else if evidence.coverage < min_coverage && best < confident {
            Some(format!("not_covered: {}", evidence.missing.join(", ")))
        } else if require_shape && intent.wants_figure() && !evidence.shape_found {
            Some(format!("no_answer_shape: {}", intent_name(intent)))
        } else {
            None
        };
        let generator = self.generator(&variant);
        Ok(Prepared {
            question: q.text,
            abstain,
            evidence,
            selection: variant.sentences.unwrap_or(self.settings.sentences),
            hits: retrieved.hits,
            generator,
            prompt,
            variant: q.variant,
            experiment: q.experiment,
            model: variant.model,
            latency: Latency {
                embed: ms(retrieved.embed),
                retrieve: ms(retrieved.search),
                ..Latency::default()
            },
            started,
        })
    }

    /// A variant by name; `None`, or `default` when no variant has that name, is the
    /// configuration itself.
    pub fn variant(&self, name: Option<&str>) -> Result<Variant, AnswerError> {
        match name {
            None => Ok(Variant::default()),
            Some(name) => match self.variants.get(name) {
                Some(v) => Ok(v.clone()),
                None if name == DEFAULT_VARIANT => Ok(Variant::default()),
                None => Err(AnswerError::UnknownVariant {
                    name: name.to_owned(),
                    known: self.variants.keys().cloned().collect::<Vec<_>>().join(", "),
                }),
            },
        }
    }

    fn prompt(&self, variant: &Variant) -> Result<PromptTemplate, AnswerError> {
        let name = variant.prompt.as_ref().unwrap_or(&self.settings.prompt);
        self.prompts
            .get(name)
            .cloned()
            .ok_or_else(|| AnswerError::UnknownPrompt(name.clone()))
    }

    fn generator(&self, variant: &Variant) -> GeneratorKind {
        match (variant.generator, &self.llm) {
            (Some(GeneratorKind::Extractive), _) | (None | Some(GeneratorKind::Llm), None) => {
                GeneratorKind::Extractive
            }
            (None | Some(GeneratorKind::Llm), Some(_)) => GeneratorKind::Llm,
        }
    }

    /// What produces a variant's answers, with a hash of every setting that shapes them.
    pub fn describe(&self, name: Option<&str>) -> Result<VariantInfo, AnswerError> {
        let variant = self.variant(name)?;
        let prompt = self.prompt(&variant)?;
        let model = match (self.generator(&variant), &self.llm) {
            (GeneratorKind::Llm, Some(llm)) => variant
                .model
                .clone()
                .unwrap_or_else(|| llm.name().to_owned()),
            _ => extractive::MODEL_NAME.to_owned(),
        };
        let embedder = self.retriever.embedder.model_id().to_owned();
        let shaping = serde_json::json!({
            "answer": self.settings, "variant": variant, "prompt": prompt.version,
            "model": model, "embedder": embedder, "service": self.config_hash,
        });
        Ok(VariantInfo {
            config_hash: crate::fingerprint::short_hash(&shaping.to_string()),
            prompt_version: prompt.version,
            model,
            embedder,
        })
    }

    /// The whole answer at once.
    pub async fn answer(&self, p: Prepared) -> Result<Answer, AnswerError> {
        let generating = Instant::now();
        let (text, usage) = match (p.abstain.is_some(), p.generator, &self.llm) {
            (true, _, _) => (ABSTAIN_TEXT.to_owned(), Usage::default()),
            (false, GeneratorKind::Llm, Some(llm)) => {
                let request = self.chat_request(&p);
                let completion =
                    llm.complete(&request)
                        .await
                        .map_err(|error| AnswerError::Llm {
                            error,
                            citations: p.candidates(),
                        })?;
                (completion.text, completion.usage)
            }
            (false, _, _) => (self.extract(&p).await?, Usage::default()),
        };
        self.finish(p, text, usage, generating.elapsed()).await
    }

    /// The answer as events; dropping the receiver cancels generation.
    pub fn stream(&self, p: Prepared) -> mpsc::Receiver<AnswerEvent> {
        let (tx, rx) = mpsc::channel(32);
        let this = self.clone();
        tokio::spawn(async move {
            let _ = tx.send(AnswerEvent::Retrieval(p.candidates())).await;
            let finished = match this.generate_streaming(&p, &tx).await {
                Ok((text, usage, spent)) => this.finish(p, text, usage, spent).await,
                Err(e) => Err(e),
            };
            let event = match finished {
                Ok(answer) => AnswerEvent::Done(Box::new(answer)),
                Err(e) => AnswerEvent::Error(e),
            };
            let _ = tx.send(event).await;
        });
        rx
    }

    async fn generate_streaming(
        &self,
        p: &Prepared,
        tx: &mpsc::Sender<AnswerEvent>,
    ) -> Result<(String, Usage, Duration), AnswerError> {
        let generating = Instant::now();
        let llm = match (p.abstain.is_some(), p.generator, &self.llm) {
            (false, GeneratorKind::Llm, Some(llm)) => llm.clone(),
            _ => {
                let text = if p.abstain.is_some() {
                    ABSTAIN_TEXT.to_owned()
                } else {
                    self.extract(p).await?
                };
                let _ = tx.send(AnswerEvent::Token(text.clone())).await;
                return Ok((text, Usage::default(), generating.elapsed()));
            }
        };
        let llm_error = |error| AnswerError::Llm {
            error,
            citations: p.candidates(),
        };
        let mut events = llm.stream(&self.chat_request(p)).await.map_err(llm_error)?;
        let (mut text, mut usage) = (String::new(), Usage::default());
        while let Some(event) = events.next().await {
            match event.map_err(llm_error)? {
                StreamEvent::Delta(delta) => {
                    text.push_str(&delta);
                    if tx.send(AnswerEvent::Token(delta)).await.is_err() {
                        // The client went away: stop generating (dropping `events` closes the
                        // connection to the model).
                        return Err(llm_error(LlmError::Unavailable(
                            "client disconnected".into(),
                        )));
                    }
                }
                StreamEvent::Usage(u) => usage = u,
            }
        }
        Ok((text, usage, generating.elapsed()))
    }

    async fn extract(&self, p: &Prepared) -> Result<String, AnswerError> {
        let (extractive, question, hits, selection) = (
            self.extractive.clone(),
            p.question.clone(),
            p.hits.clone(),
            p.selection,
        );
        let extract =
            crate::blocking::run(move || extractive.answer(&question, &hits, selection)).await??;
        Ok(extract.unwrap_or_else(|| ABSTAIN_TEXT.to_owned()))
    }

    fn chat_request(&self, p: &Prepared) -> ChatRequest {
        ChatRequest {
            messages: p.prompt.messages(&p.question, &p.hits),
            max_tokens: self.settings.max_tokens,
            temperature: self.settings.temperature,
            model: p.model.clone(),
        }
    }

    async fn finish(
        &self,
        p: Prepared,
        text: String,
        usage: Usage,
        generate: Duration,
    ) -> Result<Answer, AnswerError> {
        let text = text.trim().to_owned();
        let reason = p
            .abstain
            .clone()
            .or_else(|| says_not_found(&text).then(|| "model_found_nothing".to_owned()));
        let abstained = reason.is_some();
        let (mut cited, nearest) = if abstained {
            (Vec::new(), p.candidates())
        } else {
            (citations::cited(&text, &p.hits), Vec::new())
        };
        let citations_inferred = !abstained && cited.is_empty();
        if citations_inferred {
            cited = citations::inferred(&text, &p.hits);
        }
        let llm_used = p.abstain.is_none() && p.generator == GeneratorKind::Llm;
        let model = match (&self.llm, llm_used) {
            (Some(llm), true) => p.model.clone().unwrap_or_else(|| llm.name().to_owned()),
            _ => extractive::MODEL_NAME.to_owned(),
        };
        let grounding_started = Instant::now();
        let grounding = if abstained {
            Grounding::empty(self.grounder.answer_profile())
        } else {
            self.ground(&p, &text).await?
        };
        let latency = Latency {
            generate: ms(generate),
            ground: ms(grounding_started.elapsed()),
            total: ms(p.started.elapsed()),
            ..p.latency
        };
        Ok(Answer {
            answer_id: uuid::Uuid::new_v4().to_string(),
            answer: text,
            abstained,
            abstain_reason: reason,
            evidence: p.evidence,
            citations: cited,
            citations_inferred,
            nearest,
            usage,
            cost: None,
            latency_ms: latency,
            disclaimer: (model == extractive::MODEL_NAME)
                .then(|| extractive::DISCLAIMER.to_owned()),
            model,
            prompt_version: p.prompt.version,
            embedder: self.retriever.embedder.model_id().to_owned(),
            config_hash: self.config_hash.clone(),
            variant: p.variant,
            experiment: p.experiment,
            grounding,
        })
    }

    /// The answer checked against every retrieved passage (numbered as in the prompt).
    async fn ground(&self, p: &Prepared, text: &str) -> Result<Grounding, AnswerError> {
        let check = Check {
            context: p
                .hits
                .iter()
                .map(|h| h.chunk.payload.text.clone())
                .collect(),
            answer: text.to_owned(),
            question: Some(p.question.clone()),
            profile: self.grounder.answer_profile(),
        };
        let method = self.grounder.method();
        match self.grounder.verify(check, method, self.llm.as_ref()).await {
            Ok(grounding) => Ok(grounding),
            Err(GroundError::Judge { error, lexical }) => {
                // The answer stands; its grounding keeps the lexical verdicts.
                tracing::warn!(error = %error, "the LLM judge failed; keeping the lexical check");
                Ok(*lexical)
            }
            Err(e) => Err(e.into()),
        }
    }
}

/// The answerability evidence of the retrieved passages: similarity, coverage of the question,
/// and whether any sentence has the shape the question asks for.
fn weigh(question: &str, hits: &[Hit]) -> Evidence {
    let passages: Vec<std::collections::HashSet<String>> =
        hits.iter().map(crate::retrieve::passage_stems).collect();
    let terms = Terms::new(question, &passages);
    let best = passages
        .iter()
        .max_by(|a, b| terms.coverage(a).total_cmp(&terms.coverage(b)));
    let coverage = match best {
        _ if terms.is_empty() => 1.0,
        Some(p) => terms.coverage(p),
        None => 0.0,
    };
    let intent = intent::of(question);
    // Parts, not lines: a hard-wrapped "30\nminutes" is one duration.
    let shape_found = hits.iter().any(|h| {
        crate::text::sentences::parts(&h.chunk.payload.text)
            .iter()
            .flat_map(|p| std::iter::once(&p.text).chain(&p.section))
            .any(|t| intent::fits(intent, t) >= 1.0)
    });
    Evidence {
        similarity: hits
            .iter()
            .filter_map(|h| h.similarity)
            .fold(f32::MIN, f32::max)
            .max(0.0),
        coverage,
        missing: terms.missing(&best.into_iter().collect::<Vec<_>>()),
        intent,
        shape_found,
    }
}

fn intent_name(intent: Intent) -> String {
    serde_json::to_value(intent)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Whether a generated answer is the template's "not in the documents" reply.
fn says_not_found(text: &str) -> bool {
    let t = text.to_lowercase();
    t.starts_with("i couldn't find")
        || t.starts_with("i could not find")
        || t.starts_with("i couldn’t find")
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_logged_before_evidence_existed_still_read() {
        let old = serde_json::json!({
            "answer_id": "a", "answer": "Kept 30 days [1].", "abstained": false,
            "abstain_reason": null, "citations": [], "citations_inferred": false, "nearest": [],
            "usage": {"prompt_tokens": 0, "completion_tokens": 0},
            "latency_ms": {"embed": 1.0, "retrieve": 1.0, "generate": 1.0, "ground": 1.0, "total": 4.0},
            "model": "extractive", "prompt_version": "support-v1", "embedder": "m",
            "config_hash": "h", "variant": null, "disclaimer": null,
            "grounding": {"score": 1.0, "hallucinated": false, "profile": "strict",
                          "method": "lexical", "sentences": []}
        });
        let answer: Answer = serde_json::from_value(old).unwrap();
        assert_eq!(answer.evidence, Evidence::default());
        assert!(!answer.grounding.profile_auto);
    }
}
