//! The answer log: every answer, with its feedback, kept durably. SQLite in the data directory
//! by default ([`SqliteLog`]); PostgreSQL ([`PostgresLog`]) when several replicas share one log.

mod postgresql;
mod sqlite;
pub mod stats;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use postgresql::{redact_password, PostgresLog, MIGRATIONS};
pub use sqlite::SqliteLog;

use crate::rag::answer::Answer;

#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error("answer log: {0}")]
    Storage(String),
}

impl From<crate::db::StorageError> for LogError {
    fn from(e: crate::db::StorageError) -> Self {
        Self::Storage(e.0)
    }
}

/// A thumbs-up or thumbs-down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Rating {
    Up,
    Down,
}

impl Rating {
    pub fn as_str(self) -> &'static str {
        match self {
            Rating::Up => "up",
            Rating::Down => "down",
        }
    }
}

/// Why an answer was rated down (or up with a remark).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    Wrong,
    Incomplete,
    NotGrounded,
    IrrelevantSources,
    Other,
}

/// One client's rating of one answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Feedback {
    pub rating: Rating,
    pub reason: Option<Reason>,
    pub comment: Option<String>,
    /// Who rated: the `X-Client-Id` header, or the client's IP address.
    pub client: String,
    pub created_at: DateTime<Utc>,
}

/// An answer as logged: the answer object, what it answered, and its feedback.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LoggedAnswer {
    pub collection: String,
    pub question: String,
    pub created_at: DateTime<Utc>,
    pub answer: Answer,
    pub feedback: Vec<Feedback>,
    /// A reviewer's verdict, once the answer has been reviewed.
    pub review: Option<Review>,
}

/// A reviewer's verdict on an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Correct,
    Incorrect,
}

/// What a reviewer of the review queue decided about an answer (the latest review counts).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Review {
    pub verdict: Verdict,
    /// What the answer should have said.
    pub corrected_answer: Option<String>,
    pub note: Option<String>,
    /// Who reviewed: the `X-Client-Id` header, or the client's IP address.
    pub reviewer: String,
    pub created_at: DateTime<Utc>,
}

/// Which side of a pairwise comparison a person preferred.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Preferred {
    Left,
    Right,
    Tie,
}

/// One side of a pairwise comparison: a logged answer and the variant that gave it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Side {
    pub answer_id: String,
    pub variant: String,
}

/// A person's preference between two answers to one question (blind when they could not see
/// which variant gave which).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Preference {
    pub collection: String,
    pub question: String,
    pub left: Side,
    pub right: Side,
    pub preferred: Preferred,
    pub blind: bool,
    pub client: String,
    pub created_at: DateTime<Utc>,
}

impl LoggedAnswer {
    pub fn answer_id(&self) -> &str {
        &self.answer.answer_id
    }

    /// The answer with only what statistics read (outcome, grounding verdict, latency, usage,
    /// cost, versions, ratings): texts, passages and per-sentence grounding are dropped, so
    /// that statistics over 200,000 answers hold a few hundred bytes per answer, not kilobytes.
    pub fn for_statistics(mut self) -> Self {
        let a = &mut self.answer;
        a.answer = String::new();
        a.citations = Vec::new();
        a.nearest = Vec::new();
        a.evidence = Default::default();
        a.abstain_reason = None;
        a.disclaimer = None;
        a.grounding.sentences = Vec::new();
        self.question = String::new();
        self.review = None;
        for f in &mut self.feedback {
            f.comment = None;
        }
        self
    }
}

/// Which answers to list; every field narrows the result.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AnswerFilter {
    pub collection: Option<String>,
    pub variant: Option<String>,
    /// Answers with at least one rating of this kind.
    pub rating: Option<Rating>,
    pub hallucinated: Option<bool>,
    /// Answers created at or after this time (RFC 3339).
    pub since: Option<DateTime<Utc>>,
    /// Answers created before this time (RFC 3339).
    pub until: Option<DateTime<Utc>>,
    /// Answers assigned an arm of this experiment.
    pub experiment: Option<String>,
    /// True: answers rated down or flagged as hallucinated that no one has reviewed yet (the
    /// review queue); false: every other answer.
    pub needs_review: Option<bool>,
}

/// What became of a rating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rated {
    Created,
    Replaced,
    UnknownAnswer,
}

/// Who asked a question: kept with the answer so a user's data can be deleted, and so a query
/// key reads only its own answers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Asker {
    /// The `X-Client-Id` header or the caller's address.
    pub client: Option<String>,
    /// The query key's id, when one asked.
    pub key_id: Option<String>,
}

/// What deleting a client's data removed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Forgotten {
    pub client_id: String,
    /// Their answers (with every rating and review of them).
    pub answers: usize,
    /// Their ratings of other answers.
    pub ratings: usize,
    pub preferences: usize,
}

/// One admin action, as the audit log keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    /// `admin` (the admin key), or `open:ADDRESS` on a server without keys.
    pub actor: String,
    /// The method and route, e.g. `DELETE /v1/collections/{name}`.
    pub action: String,
    /// The concrete path with its query, e.g. `/v1/collections/support`.
    pub target: String,
    pub status: u16,
}

pub trait AnswerLog: Send + Sync {
    /// Appends an answer; on return it is on disk.
    fn append(
        &self,
        collection: &str,
        question: &str,
        answer: &Answer,
        asker: &Asker,
    ) -> Result<(), LogError>;
    /// Who asked the question an answer answers; `None` when the answer is unknown.
    fn asker(&self, answer_id: &str) -> Result<Option<Asker>, LogError>;
    /// Deletes everything a client left: their answers (with their ratings and reviews),
    /// their ratings of other answers and their preferences. One transaction.
    fn forget_client(&self, client: &str) -> Result<Forgotten, LogError>;
    /// Records an admin action; on disk on return.
    fn audit(&self, entry: &AuditEntry) -> Result<(), LogError>;
    /// The newest admin actions first, at most `limit`.
    fn audit_log(&self, limit: usize) -> Result<Vec<AuditEntry>, LogError>;
    /// Records a client's rating, replacing that client's earlier one; on disk on return.
    fn rate(&self, answer_id: &str, feedback: &Feedback) -> Result<Rated, LogError>;
    fn get(&self, answer_id: &str) -> Result<Option<LoggedAnswer>, LogError>;
    /// Records a review, replacing an earlier one; false when the answer is unknown.
    fn review(&self, answer_id: &str, review: &Review) -> Result<bool, LogError>;
    /// Stores a pairwise preference; on disk on return.
    fn prefer(&self, preference: &Preference) -> Result<(), LogError>;
    /// Every preference recorded for `collection` (every collection when `None`), oldest first.
    fn preferences(&self, collection: Option<&str>) -> Result<Vec<Preference>, LogError>;
    /// Newest first, at most `limit`, continuing after `cursor` (a page's `next_cursor`).
    fn list(
        &self,
        filter: &AnswerFilter,
        limit: usize,
        cursor: Option<i64>,
    ) -> Result<Page, LogError>;

    /// Calls `f` with every answer the filter selects, newest first, reading a page at a
    /// time: memory holds one page, plus whatever `f` keeps.
    fn each(
        &self,
        filter: &AnswerFilter,
        f: &mut dyn FnMut(LoggedAnswer) -> Result<(), LogError>,
    ) -> Result<(), LogError> {
        let mut cursor = None;
        loop {
            let page = self.list(filter, 500, cursor)?;
            for answer in page.answers {
                f(answer)?;
            }
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => return Ok(()),
            }
        }
    }

    /// Every answer the filter selects, trimmed to what statistics read
    /// ([`LoggedAnswer::for_statistics`]).
    fn for_statistics(&self, filter: &AnswerFilter) -> Result<Vec<LoggedAnswer>, LogError> {
        let mut out = Vec::new();
        self.each(filter, &mut |a| {
            out.push(a.for_statistics());
            Ok(())
        })?;
        Ok(out)
    }
}

/// One page of answers.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Page {
    pub answers: Vec<LoggedAnswer>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<i64>,
}
