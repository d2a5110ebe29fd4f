//! Answering and the answer log: ask (whole or streamed), rate, read back, stats, insights, and
//! the groundedness check of any chatbot's answer.

use std::collections::HashSet;
use std::sync::Arc;

use cairn_ingest::domain::CollectionName;
use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio::sync::mpsc;

use super::{AppError, Cairn};
use crate::answer_log::stats::{self, Stats, Tally};
use crate::answer_log::{
    AnswerFilter, Asker, AuditEntry, Feedback, Forgotten, LogError, LoggedAnswer, Page, Preference,
    Rated, Rating, Reason, Review,
};
use crate::ground::{Check, GroundError, Grounding, Method};
use crate::insights::{self, Insights};
use crate::monitor;
use crate::rag::answer::{Answer, AnswerCost, AnswerEvent, Question};
use crate::rag::citations::Citation;

fn asker_of(q: &Question) -> Asker {
    Asker {
        client: q.client.clone(),
        key_id: q.key_id.clone(),
    }
}

/// Insights look at this many of the newest answers that went wrong.
const INSIGHT_ANSWERS: usize = 1000;

/// Events of a streamed answer, in order: one `Retrieval`, `Token`s, then `Done` (logged
/// before it is sent) or `Failed`.
#[derive(Debug)]
pub enum AskEvent {
    Retrieval(Vec<Citation>),
    Token(String),
    Done(Box<Answer>),
    Failed(AppError),
}

/// An answer from any chatbot, to check against the passages it was given.
#[derive(Debug, Clone)]
pub struct GroundingRequest {
    pub check: Check,
    /// The configured method when `None`.
    pub method: Option<Method>,
}

/// One exported rating: enough to turn into a regression question.
#[derive(Debug, Clone, Serialize)]
pub struct ExportRow {
    pub answer_id: String,
    pub collection: String,
    pub question: String,
    pub answer: String,
    pub sources: Vec<String>,
    pub rating: Rating,
    pub reason: Option<Reason>,
    pub comment: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// An answer with what retrieval gave it: every passage as a citation and its full text
/// (`passages[n - 1]` for citation `n`).
pub struct Traced {
    pub answer: Answer,
    pub retrieved: Vec<Citation>,
    pub passages: Vec<String>,
}

impl Cairn {
    /// Answers a question, logs the answer (on disk before this returns) and counts it. A
    /// question refused before answering (unknown variant or collection) is not counted.
    pub async fn ask(&self, collection: &CollectionName, q: Question) -> Result<Answer, AppError> {
        let q = self.assigned(collection.as_str(), q).await;
        let (question, asker) = (q.text.clone(), asker_of(&q));
        let prepared = self.answerer.prepare(collection, q).await?;
        let mut answer = match self.answerer.answer(prepared).await {
            Ok(answer) => answer,
            Err(e) => {
                monitor::answer_failed(collection.as_str());
                return Err(e.into());
            }
        };
        self.price(&mut answer);
        self.record(collection, &question, &answer, asker).await?;
        Ok(answer)
    }

    /// Sets the answer's cost from the configured prices (none when no price is set).
    fn price(&self, answer: &mut Answer) {
        let p = &self.pricing;
        if p.prompt_per_1k > 0.0 || p.completion_per_1k > 0.0 {
            answer.cost = Some(AnswerCost {
                amount: p.cost(answer.usage.prompt_tokens, answer.usage.completion_tokens),
                currency: p.currency.clone(),
            });
        }
    }

    /// The answer and every passage retrieved for it (cited or not), without logging or
    /// counting: what evaluation runs use, so that a run does not pollute the production
    /// answer log and its statistics.
    pub async fn answer_traced(
        &self,
        collection: &CollectionName,
        q: Question,
    ) -> Result<Traced, AppError> {
        let prepared = self.answerer.prepare(collection, q).await?;
        let retrieved = prepared.candidates();
        let passages = prepared.passages();
        let answer = self.answerer.answer(prepared).await?;
        Ok(Traced {
            answer,
            retrieved,
            passages,
        })
    }

    /// Like [`Self::ask`], as events. Dropping the receiver cancels generation.
    pub async fn ask_streaming(
        self: &Arc<Self>,
        collection: &CollectionName,
        q: Question,
    ) -> Result<mpsc::Receiver<AskEvent>, AppError> {
        let q = self.assigned(collection.as_str(), q).await;
        let (question, asker) = (q.text.clone(), asker_of(&q));
        let prepared = self.answerer.prepare(collection, q).await?;
        let mut events = self.answerer.stream(prepared);
        let (tx, rx) = mpsc::channel(32);
        let (this, collection) = (self.clone(), collection.clone());
        tokio::spawn(async move {
            while let Some(event) = events.recv().await {
                let out = match event {
                    AnswerEvent::Retrieval(c) => AskEvent::Retrieval(c),
                    AnswerEvent::Token(t) => AskEvent::Token(t),
                    AnswerEvent::Done(mut answer) => {
                        this.price(&mut answer);
                        let asker = asker.clone();
                        match this.record(&collection, &question, &answer, asker).await {
                            Ok(()) => AskEvent::Done(answer),
                            Err(e) => AskEvent::Failed(e),
                        }
                    }
                    AnswerEvent::Error(e) => {
                        monitor::answer_failed(collection.as_str());
                        AskEvent::Failed(e.into())
                    }
                };
                // The client went away: dropping `events` stops the generation.
                if tx.send(out).await.is_err() {
                    return;
                }
            }
        });
        Ok(rx)
    }

    async fn record(
        &self,
        collection: &CollectionName,
        question: &str,
        answer: &Answer,
        asker: Asker,
    ) -> Result<(), AppError> {
        let (c, a) = (collection.to_string(), answer.clone());
        // The log keeps the question as redacted (when configured): PMs read it, users paste.
        let q = self.redactor.questions(question);
        self.logged(move |log| log.append(&c, &q, &a, &asker))
            .await?;
        monitor::answer(collection.as_str(), answer);
        Ok(())
    }

    /// Records a client's rating (replacing that client's earlier one); true when replaced.
    pub async fn rate(&self, answer_id: &str, feedback: Feedback) -> Result<bool, AppError> {
        let (id, stored) = (answer_id.to_owned(), feedback.clone());
        let rated = self.logged(move |log| log.rate(&id, &stored)).await?;
        let replaced = match rated {
            Rated::UnknownAnswer => return Err(AppError::AnswerNotFound(answer_id.to_owned())),
            Rated::Created => false,
            Rated::Replaced => true,
        };
        monitor::feedback(feedback.rating);
        Ok(replaced)
    }

    /// Records a reviewer's verdict on an answer (replacing an earlier review).
    pub async fn review(&self, answer_id: &str, review: Review) -> Result<Review, AppError> {
        let (id, stored) = (answer_id.to_owned(), review.clone());
        if !self.logged(move |log| log.review(&id, &stored)).await? {
            return Err(AppError::AnswerNotFound(answer_id.to_owned()));
        }
        Ok(review)
    }

    /// Stores a person's choice between two logged answers to one question.
    /// Each side's variant is the one its logged answer records (not what the client says),
    /// so a tally cannot be skewed by a mislabelled side.
    pub async fn prefer(&self, mut preference: Preference) -> Result<Preference, AppError> {
        for side in [&mut preference.left, &mut preference.right] {
            let logged = self.logged_answer(&side.answer_id).await?;
            if logged.question != preference.question || logged.collection != preference.collection
            {
                return Err(AppError::InvalidPreference(format!(
                    "answer {:?} answers another question or collection",
                    side.answer_id
                )));
            }
            side.variant = logged
                .answer
                .variant
                .clone()
                .unwrap_or_else(|| crate::rag::answer::DEFAULT_VARIANT.to_owned());
        }
        if preference.left.answer_id == preference.right.answer_id {
            return Err(AppError::InvalidPreference(
                "left and right are the same answer".into(),
            ));
        }
        let stored = preference.clone();
        self.logged(move |log| log.prefer(&stored)).await?;
        Ok(preference)
    }

    /// Wins, losses and ties of each pair of variants compared side by side.
    pub async fn preferences(&self, collection: Option<String>) -> Result<Tally, AppError> {
        let all = self
            .logged(move |log| log.preferences(collection.as_deref()))
            .await?;
        Ok(stats::tally(&all))
    }

    /// Fails with "not found" unless `reader` (a query key's id) asked the question; `None`
    /// (the admin key, an open server) reads every answer. Not found rather than forbidden, so
    /// a query key learns nothing about answers that are not its own.
    pub async fn check_reader(
        &self,
        answer_id: &str,
        reader: Option<&str>,
    ) -> Result<(), AppError> {
        let Some(reader) = reader.map(str::to_owned) else {
            return Ok(());
        };
        let id = answer_id.to_owned();
        let asker = self.logged(move |log| log.asker(&id)).await?;
        match asker {
            Some(a) if a.key_id.as_deref() == Some(reader.as_str()) => Ok(()),
            _ => Err(AppError::AnswerNotFound(answer_id.to_owned())),
        }
    }

    /// Deletes what one client left in the answer log (answers, ratings, preferences).
    pub async fn forget_client(&self, client: &str) -> Result<Forgotten, AppError> {
        let client = client.to_owned();
        self.logged(move |log| log.forget_client(&client)).await
    }

    /// Records an admin action in the audit log.
    pub async fn audit(&self, entry: AuditEntry) -> Result<(), AppError> {
        self.logged(move |log| log.audit(&entry)).await
    }

    /// The newest admin actions first.
    pub async fn audit_log(&self, limit: usize) -> Result<Vec<AuditEntry>, AppError> {
        self.logged(move |log| log.audit_log(limit)).await
    }

    pub async fn logged_answer(&self, answer_id: &str) -> Result<LoggedAnswer, AppError> {
        let id = answer_id.to_owned();
        self.logged(move |log| log.get(&id))
            .await?
            .ok_or_else(|| AppError::AnswerNotFound(answer_id.to_owned()))
    }

    /// Newest first, a page at a time.
    pub async fn answers(
        &self,
        filter: AnswerFilter,
        limit: usize,
        cursor: Option<i64>,
    ) -> Result<Page, AppError> {
        self.logged(move |log| log.list(&filter, limit, cursor))
            .await
    }

    /// One row per rating of the filter's `rating` kind (every rating when it is `None`).
    /// The export's rows as they are read, a page of answers at a time: the body streams,
    /// so exporting a large log never holds it in memory. A read error ends the stream early
    /// (and is logged); the rows sent are whole lines.
    pub fn feedback_export(&self, filter: AnswerFilter) -> mpsc::Receiver<ExportRow> {
        let (tx, rx) = mpsc::channel(256);
        let log = self.log.clone();
        tokio::task::spawn_blocking(move || {
            let wanted = filter.rating;
            let sent = log.each(&filter, &mut |a| {
                for f in a
                    .feedback
                    .iter()
                    .filter(|f| wanted.is_none_or(|r| r == f.rating))
                {
                    let row = ExportRow {
                        answer_id: a.answer.answer_id.clone(),
                        collection: a.collection.clone(),
                        question: a.question.clone(),
                        answer: a.answer.answer.clone(),
                        sources: a.answer.sources(),
                        rating: f.rating,
                        reason: f.reason,
                        comment: f.comment.clone(),
                        created_at: f.created_at,
                    };
                    // The client went away: stop reading.
                    if tx.blocking_send(row).is_err() {
                        return Err(LogError::Storage("the export was cancelled".into()));
                    }
                }
                Ok(())
            });
            if let Err(e) = sent {
                tracing::warn!(error = %e, "the feedback export ended early");
            }
        });
        rx
    }

    pub async fn stats(&self, filter: AnswerFilter) -> Result<Stats, AppError> {
        let answers = self.logged(move |log| log.for_statistics(&filter)).await?;
        Ok(stats::compute(&answers, &self.pricing))
    }

    /// Recurring topics among the questions of answers rated down or flagged as hallucinated.
    pub async fn insights(&self, filter: AnswerFilter) -> Result<Insights, AppError> {
        let down = AnswerFilter {
            rating: Some(Rating::Down),
            ..filter.clone()
        };
        let flagged = AnswerFilter {
            hallucinated: Some(true),
            ..filter
        };
        let answers = self
            .logged(move |log| {
                // The union of two filters, each answer once.
                let mut answers = log.list(&down, INSIGHT_ANSWERS, None)?.answers;
                let mut seen: HashSet<String> =
                    answers.iter().map(|a| a.answer_id().to_owned()).collect();
                for a in log.list(&flagged, INSIGHT_ANSWERS, None)?.answers {
                    if seen.insert(a.answer_id().to_owned()) {
                        answers.push(a);
                    }
                }
                Ok(answers)
            })
            .await?;
        let embedder = self.retriever.embedder.clone();
        Ok(crate::blocking::run(move || insights::topics(embedder.as_ref(), &answers)).await??)
    }

    /// The groundedness check every answer gets, for an answer from any chatbot. Unlike the
    /// answer flow, a failed LLM judge is an error here: the caller asked for its verdict.
    pub async fn check_grounding(&self, request: GroundingRequest) -> Result<Grounding, AppError> {
        let method = request.method.unwrap_or(self.answerer.grounder.method());
        let llm = self.answerer.llm.as_ref();
        if method == Method::LlmJudge && llm.is_none() {
            return Err(AppError::NoLlm);
        }
        match self
            .answerer
            .grounder
            .verify(request.check, method, llm)
            .await
        {
            Ok(g) => Ok(g),
            Err(GroundError::Judge { error, .. }) => Err(AppError::Judge(error)),
            Err(e) => Err(e.into()),
        }
    }
}
