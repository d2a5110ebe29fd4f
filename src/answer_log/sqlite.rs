//! The answer log in SQLite: WAL journal with `synchronous = FULL`, so a commit is on disk
//! before the call returns, and readers never wait for the writer.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{params, params_from_iter, Connection, OptionalExtension};

use super::{AnswerFilter, AnswerLog, Feedback, LogError, LoggedAnswer, Page, Rated};
use crate::rag::answer::Answer;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS answers (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    answer_id    TEXT NOT NULL UNIQUE,
    created_at   TEXT NOT NULL,
    collection   TEXT NOT NULL,
    variant      TEXT,
    question     TEXT NOT NULL,
    hallucinated INTEGER NOT NULL,
    answer_json  TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS answers_by_collection ON answers (collection, seq);
CREATE TABLE IF NOT EXISTS feedback (
    answer_id  TEXT NOT NULL REFERENCES answers (answer_id),
    client     TEXT NOT NULL,
    rating     TEXT NOT NULL,
    reason     TEXT,
    comment    TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (answer_id, client)
);";

pub struct SqliteLog {
    connection: Mutex<Connection>,
}

impl SqliteLog {
    /// Opens (or creates) `answers.sqlite3` in `data_dir`.
    pub fn open(data_dir: &Path) -> Result<Self, LogError> {
        std::fs::create_dir_all(data_dir)
            .map_err(|e| LogError::Storage(format!("cannot create {}: {e}", data_dir.display())))?;
        let path = data_dir.join("answers.sqlite3");
        let connection = Connection::open(&path)
            .map_err(|e| LogError::Storage(format!("cannot open {}: {e}", path.display())))?;
        connection
            .pragma_update(None, "journal_mode", "WAL")
            .and_then(|_| connection.pragma_update(None, "synchronous", "FULL"))
            .and_then(|_| connection.pragma_update(None, "foreign_keys", "ON"))
            .and_then(|_| connection.busy_timeout(std::time::Duration::from_secs(5)))
            .and_then(|_| connection.execute_batch(SCHEMA))
            .map_err(storage)?;
        Ok(Self {
            connection: Mutex::new(connection),
        })
    }

    fn connection(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite half-written (it has its own
        // transactions), so a poisoned lock is still usable.
        self.connection
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn feedback_of(&self, c: &Connection, answer_id: &str) -> Result<Vec<Feedback>, LogError> {
        let mut statement = c
            .prepare_cached(
                "SELECT client, rating, reason, comment, created_at FROM feedback
                 WHERE answer_id = ?1 ORDER BY created_at",
            )
            .map_err(storage)?;
        let rows = statement
            .query_map([answer_id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, String>(4)?,
                ))
            })
            .map_err(storage)?;
        let mut out = Vec::new();
        for row in rows {
            let (client, rating, reason, comment, created_at) = row.map_err(storage)?;
            out.push(Feedback {
                rating: from_text(&rating)?,
                reason: reason.as_deref().map(from_text).transpose()?,
                comment,
                client,
                created_at: parse_time(&created_at)?,
            });
        }
        Ok(out)
    }
}

impl AnswerLog for SqliteLog {
    fn append(&self, collection: &str, question: &str, answer: &Answer) -> Result<(), LogError> {
        let json = serde_json::to_string(answer).map_err(|e| LogError::Storage(e.to_string()))?;
        self.connection()
            .execute(
                "INSERT INTO answers
                 (answer_id, created_at, collection, variant, question, hallucinated, answer_json)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    answer.answer_id,
                    time_text(Utc::now()),
                    collection,
                    answer.variant,
                    question,
                    answer.grounding.hallucinated,
                    json
                ],
            )
            .map_err(storage)?;
        Ok(())
    }

    fn rate(&self, answer_id: &str, feedback: &Feedback) -> Result<Rated, LogError> {
        let mut c = self.connection();
        let tx = c.transaction().map_err(storage)?;
        let exists: Option<i64> = tx
            .query_row(
                "SELECT 1 FROM answers WHERE answer_id = ?1",
                [answer_id],
                |r| r.get(0),
            )
            .optional()
            .map_err(storage)?;
        if exists.is_none() {
            return Ok(Rated::UnknownAnswer);
        }
        let replaced = tx
            .execute(
                "DELETE FROM feedback WHERE answer_id = ?1 AND client = ?2",
                params![answer_id, feedback.client],
            )
            .map_err(storage)?
            > 0;
        tx.execute(
            "INSERT INTO feedback (answer_id, client, rating, reason, comment, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                answer_id,
                feedback.client,
                feedback.rating.as_str(),
                feedback.reason.map(to_text).transpose()?,
                feedback.comment,
                time_text(feedback.created_at)
            ],
        )
        .map_err(storage)?;
        tx.commit().map_err(storage)?;
        Ok(if replaced {
            Rated::Replaced
        } else {
            Rated::Created
        })
    }

    fn get(&self, answer_id: &str) -> Result<Option<LoggedAnswer>, LogError> {
        let c = self.connection();
        let row: Option<(String, String, String, String)> = c
            .query_row(
                "SELECT collection, question, created_at, answer_json FROM answers
                 WHERE answer_id = ?1",
                [answer_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()
            .map_err(storage)?;
        row.map(|(collection, question, created_at, json)| {
            self.logged(&c, answer_id, collection, question, &created_at, &json)
        })
        .transpose()
    }

    fn list(
        &self,
        filter: &AnswerFilter,
        limit: usize,
        cursor: Option<i64>,
    ) -> Result<Page, LogError> {
        let (mut clauses, mut values) = where_clauses(filter);
        if let Some(cursor) = cursor {
            clauses.push("seq < ?".into());
            values.push(rusqlite::types::Value::Integer(cursor));
        }
        let sql = format!(
            "SELECT seq, answer_id, collection, question, created_at, answer_json FROM answers
             {} ORDER BY seq DESC LIMIT {}",
            if clauses.is_empty() {
                String::new()
            } else {
                format!("WHERE {}", clauses.join(" AND "))
            },
            limit + 1
        );
        let c = self.connection();
        let mut statement = c.prepare(&sql).map_err(storage)?;
        let rows: Vec<(i64, String, String, String, String, String)> = statement
            .query_map(params_from_iter(values), |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ))
            })
            .map_err(storage)?
            .collect::<Result<_, _>>()
            .map_err(storage)?;
        let next_cursor = (rows.len() > limit).then(|| rows[limit - 1].0);
        let answers = rows
            .into_iter()
            .take(limit)
            .map(|(_, id, collection, question, created_at, json)| {
                self.logged(&c, &id, collection, question, &created_at, &json)
            })
            .collect::<Result<_, _>>()?;
        Ok(Page {
            answers,
            next_cursor,
        })
    }
}

impl SqliteLog {
    fn logged(
        &self,
        c: &Connection,
        answer_id: &str,
        collection: String,
        question: String,
        created_at: &str,
        json: &str,
    ) -> Result<LoggedAnswer, LogError> {
        Ok(LoggedAnswer {
            collection,
            question,
            created_at: parse_time(created_at)?,
            answer: serde_json::from_str(json).map_err(|e| LogError::Storage(e.to_string()))?,
            feedback: self.feedback_of(c, answer_id)?,
        })
    }
}

fn where_clauses(filter: &AnswerFilter) -> (Vec<String>, Vec<rusqlite::types::Value>) {
    use rusqlite::types::Value;
    let mut clauses = Vec::new();
    let mut values = Vec::new();
    let mut add = |clause: &str, value: Value| {
        clauses.push(clause.to_owned());
        values.push(value);
    };
    if let Some(c) = &filter.collection {
        add("collection = ?", Value::Text(c.clone()));
    }
    if let Some(v) = &filter.variant {
        add("variant = ?", Value::Text(v.clone()));
    }
    if let Some(h) = filter.hallucinated {
        add("hallucinated = ?", Value::Integer(i64::from(h)));
    }
    if let Some(t) = filter.since {
        add("created_at >= ?", Value::Text(time_text(t)));
    }
    if let Some(t) = filter.until {
        add("created_at < ?", Value::Text(time_text(t)));
    }
    if let Some(r) = filter.rating {
        add(
            "EXISTS (SELECT 1 FROM feedback f WHERE f.answer_id = answers.answer_id AND f.rating = ?)",
            Value::Text(r.as_str().into()),
        );
    }
    (clauses, values)
}

/// Fixed-width UTC text, so that text order is time order in SQL.
fn time_text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn parse_time(text: &str) -> Result<DateTime<Utc>, LogError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| LogError::Storage(format!("bad time {text:?} in the log: {e}")))
}

fn to_text<T: serde::Serialize>(value: T) -> Result<String, LogError> {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => Ok(s),
        other => Err(LogError::Storage(format!("cannot store {other:?}"))),
    }
}

fn from_text<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, LogError> {
    serde_json::from_value(serde_json::Value::String(text.to_owned()))
        .map_err(|e| LogError::Storage(format!("bad value {text:?} in the log: {e}")))
}

fn storage(e: rusqlite::Error) -> LogError {
    LogError::Storage(e.to_string())
}
