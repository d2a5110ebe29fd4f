//! The answer log in PostgreSQL, chosen by `database_url` (`CAIRN_DATABASE_URL`): one log
//! that several `cairn serve` replicas share. Same records and the same promises as
//! [`super::SqliteLog`]: a call returns once its transaction has committed (PostgreSQL's
//! default `synchronous_commit = on`, so a 2xx survives a kill -9 of cairn or of the
//! database). The schema is created and upgraded by numbered [`MIGRATIONS`], applied at open
//! under an advisory lock, so replicas starting together apply each one once.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use postgres::types::{Json, ToSql};
use postgres::Client;

use super::{
    AnswerFilter, AnswerLog, Asker, AuditEntry, Feedback, Forgotten, LogError, LoggedAnswer, Page,
    Preference, Rated, Review,
};
use crate::db::{from_text, to_text};
use crate::rag::answer::Answer;

mod tls;

/// The schema, one step per entry: step `n` (1-based) runs once, recorded in
/// `cairn_migrations`. Append new steps; never edit a released one.
pub const MIGRATIONS: &[&str] = &["
CREATE TABLE cairn_answers (
    seq          BIGSERIAL PRIMARY KEY,
    answer_id    TEXT NOT NULL UNIQUE,
    created_at   TIMESTAMPTZ NOT NULL,
    collection   TEXT NOT NULL,
    variant      TEXT,
    question     TEXT NOT NULL,
    hallucinated BOOLEAN NOT NULL,
    answer_json  JSONB NOT NULL,
    client       TEXT,
    key_id       TEXT
);
CREATE INDEX cairn_answers_by_collection ON cairn_answers (collection, seq);
CREATE INDEX cairn_answers_by_client ON cairn_answers (client);
CREATE TABLE cairn_feedback (
    answer_id  TEXT NOT NULL REFERENCES cairn_answers (answer_id),
    client     TEXT NOT NULL,
    rating     TEXT NOT NULL,
    reason     TEXT,
    comment    TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (answer_id, client)
);
CREATE TABLE cairn_reviews (
    answer_id   TEXT PRIMARY KEY REFERENCES cairn_answers (answer_id),
    review_json JSONB NOT NULL
);
CREATE TABLE cairn_preferences (
    seq             BIGSERIAL PRIMARY KEY,
    collection      TEXT NOT NULL,
    preference_json JSONB NOT NULL
);
CREATE TABLE cairn_audit (
    seq    BIGSERIAL PRIMARY KEY,
    at     TIMESTAMPTZ NOT NULL,
    actor  TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    status INTEGER NOT NULL
);"];

/// The advisory lock key migrations run under (any constant unique to cairn).
const MIGRATION_LOCK: i64 = 0x6361_6972_6e00;

pub struct PostgresLog {
    url: String,
    /// One connection, reopened when the server closed it (a restart, a failover).
    client: Mutex<Option<Client>>,
}

impl PostgresLog {
    /// Connects to `url` (`postgres://user:password@host:port/db`) and brings the schema up
    /// to date.
    pub fn open(url: &str) -> Result<Self, LogError> {
        let log = Self {
            url: url.to_owned(),
            client: Mutex::new(None),
        };
        // The client blocks on a runtime of its own, which tokio forbids on an async worker:
        // open runs on a thread of its own (every later call comes from the blocking pool).
        std::thread::scope(|s| {
            s.spawn(|| log.with(migrate))
                .join()
                .unwrap_or_else(|_| Err(LogError::Storage("opening the log panicked".into())))
        })?;
        Ok(log)
    }

    /// Runs `f` on the connection, connecting first when there is none or it was closed.
    fn with<T>(&self, f: impl FnOnce(&mut Client) -> Result<T, LogError>) -> Result<T, LogError> {
        let mut slot = self.slot();
        if slot.as_ref().is_none_or(Client::is_closed) {
            *slot = Some(connect(&self.url)?);
        }
        let client = slot
            .as_mut()
            .ok_or_else(|| LogError::Storage("no connection".into()))?;
        let result = f(client);
        if client.is_closed() {
            // The next call reconnects; this one reports the failure.
            *slot = None;
        }
        result
    }

    fn slot(&self) -> MutexGuard<'_, Option<Client>> {
        // A panic cannot leave PostgreSQL half-written (it has its own transactions).
        self.client.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Drop for PostgresLog {
    /// Closing the connection blocks as well: off the (possibly async) thread that drops.
    fn drop(&mut self) {
        if let Some(client) = self.slot().take() {
            let _ = std::thread::spawn(move || drop(client)).join();
        }
    }
}

fn connect(url: &str) -> Result<Client, LogError> {
    tls::connect(url).map_err(|e| {
        LogError::Storage(format!(
            "cannot connect to the PostgreSQL answer log ({}): {e}",
            redact_password(url)
        ))
    })
}

/// The URL with its password replaced, for error messages and logs.
pub fn redact_password(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let user_info = &url[scheme + 3..at];
            match user_info.split_once(':') {
                Some((user, _)) => format!("{}{user}:<redacted>{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

fn migrate(c: &mut Client) -> Result<(), LogError> {
    let mut tx = c.transaction().map_err(pg)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .map_err(pg)?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS cairn_migrations (
             version    INTEGER PRIMARY KEY,
             applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
         )",
    )
    .map_err(pg)?;
    let applied: i32 = tx
        .query_one(
            "SELECT COALESCE(MAX(version), 0) FROM cairn_migrations",
            &[],
        )
        .map_err(pg)?
        .get(0);
    let known = MIGRATIONS.len() as i32;
    if applied > known {
        return Err(LogError::Storage(format!(
            "the PostgreSQL answer log is at schema version {applied}, newer than this cairn \
             knows ({known}): upgrade cairn"
        )));
    }
    for (version, sql) in (1..).zip(MIGRATIONS).skip(applied as usize) {
        tx.batch_execute(sql).map_err(pg)?;
        tx.execute(
            "INSERT INTO cairn_migrations (version) VALUES ($1)",
            &[&version],
        )
        .map_err(pg)?;
    }
    tx.commit().map_err(pg)
}

fn pg(e: postgres::Error) -> LogError {
    LogError::Storage(format!("PostgreSQL: {e}"))
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<serde_json::Value, LogError> {
    serde_json::to_value(value).map_err(|e| LogError::Storage(e.to_string()))
}

fn from_json<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> Result<T, LogError> {
    serde_json::from_value(value).map_err(|e| LogError::Storage(format!("unreadable record: {e}")))
}

impl AnswerLog for PostgresLog {
    fn append(
        &self,
        collection: &str,
        question: &str,
        answer: &Answer,
        asker: &Asker,
    ) -> Result<(), LogError> {
        let json = Json(to_json(answer)?);
        self.with(|c| {
            c.execute(
                "INSERT INTO cairn_answers
                 (answer_id, created_at, collection, variant, question, hallucinated, answer_json,
                  client, key_id)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                &[
                    &answer.answer_id,
                    &Utc::now(),
                    &collection,
                    &answer.variant,
                    &question,
                    &answer.grounding.hallucinated,
                    &json,
                    &asker.client,
                    &asker.key_id,
                ],
            )
            .map_err(pg)?;
            Ok(())
        })
    }

    fn asker(&self, answer_id: &str) -> Result<Option<Asker>, LogError> {
        self.with(|c| {
            let row = c
                .query_opt(
                    "SELECT client, key_id FROM cairn_answers WHERE answer_id = $1",
                    &[&answer_id],
                )
                .map_err(pg)?;
            Ok(row.map(|r| Asker {
                client: r.get(0),
                key_id: r.get(1),
            }))
        })
    }

    fn forget_client(&self, client: &str) -> Result<Forgotten, LogError> {
        self.with(|c| {
            let mut tx = c.transaction().map_err(pg)?;
            let theirs = "SELECT answer_id FROM cairn_answers WHERE client = $1";
            let ratings = tx
                .execute(
                    &format!(
                        "DELETE FROM cairn_feedback WHERE client = $1 AND answer_id NOT IN ({theirs})"
                    ),
                    &[&client],
                )
                .map_err(pg)?;
            for table in ["cairn_feedback", "cairn_reviews"] {
                tx.execute(
                    &format!("DELETE FROM {table} WHERE answer_id IN ({theirs})"),
                    &[&client],
                )
                .map_err(pg)?;
            }
            // A preference is the client's own, or compares one of their answers.
            let preferences = tx
                .execute(
                    &format!(
                        "DELETE FROM cairn_preferences WHERE preference_json->>'client' = $1
                         OR preference_json->'left'->>'answer_id' IN ({theirs})
                         OR preference_json->'right'->>'answer_id' IN ({theirs})"
                    ),
                    &[&client],
                )
                .map_err(pg)?;
            let answers = tx
                .execute("DELETE FROM cairn_answers WHERE client = $1", &[&client])
                .map_err(pg)?;
            tx.commit().map_err(pg)?;
            Ok(Forgotten {
                client_id: client.to_owned(),
                answers: answers as usize,
                ratings: ratings as usize,
                preferences: preferences as usize,
            })
        })
    }

    fn audit(&self, entry: &AuditEntry) -> Result<(), LogError> {
        self.with(|c| {
            c.execute(
                "INSERT INTO cairn_audit (at, actor, action, target, status)
                 VALUES ($1, $2, $3, $4, $5)",
                &[
                    &entry.at,
                    &entry.actor,
                    &entry.action,
                    &entry.target,
                    &i32::from(entry.status),
                ],
            )
            .map_err(pg)?;
            Ok(())
        })
    }

    fn audit_log(&self, limit: usize) -> Result<Vec<AuditEntry>, LogError> {
        self.with(|c| {
            let rows = c
                .query(
                    "SELECT at, actor, action, target, status FROM cairn_audit
                     ORDER BY seq DESC LIMIT $1",
                    &[&(limit as i64)],
                )
                .map_err(pg)?;
            rows.iter()
                .map(|r| {
                    Ok(AuditEntry {
                        at: r.get(0),
                        actor: r.get(1),
                        action: r.get(2),
                        target: r.get(3),
                        status: u16::try_from(r.get::<_, i32>(4))
                            .map_err(|e| LogError::Storage(e.to_string()))?,
                    })
                })
                .collect()
        })
    }

    fn rate(&self, answer_id: &str, feedback: &Feedback) -> Result<Rated, LogError> {
        let reason = feedback.reason.map(to_text).transpose()?;
        self.with(|c| {
            let mut tx = c.transaction().map_err(pg)?;
            let exists = tx
                .query_opt(
                    "SELECT 1 FROM cairn_answers WHERE answer_id = $1",
                    &[&answer_id],
                )
                .map_err(pg)?;
            if exists.is_none() {
                return Ok(Rated::UnknownAnswer);
            }
            // One statement, so two replicas rating at once cannot both insert.
            let row = tx
                .query_one(
                    "INSERT INTO cairn_feedback
                     (answer_id, client, rating, reason, comment, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6)
                     ON CONFLICT (answer_id, client) DO UPDATE SET
                       rating = excluded.rating, reason = excluded.reason,
                       comment = excluded.comment, created_at = excluded.created_at
                     RETURNING (xmax <> 0)",
                    &[
                        &answer_id,
                        &feedback.client,
                        &feedback.rating.as_str(),
                        &reason,
                        &feedback.comment,
                        &feedback.created_at,
                    ],
                )
                .map_err(pg)?;
            let replaced: bool = row.get(0);
            tx.commit().map_err(pg)?;
            Ok(if replaced {
                Rated::Replaced
            } else {
                Rated::Created
            })
        })
    }

    fn get(&self, answer_id: &str) -> Result<Option<LoggedAnswer>, LogError> {
        self.with(|c| {
            let rows = c
                .query(
                    "SELECT seq, answer_id, collection, question, created_at, answer_json
                     FROM cairn_answers WHERE answer_id = $1",
                    &[&answer_id],
                )
                .map_err(pg)?;
            Ok(logged(c, rows)?.pop())
        })
    }

    fn review(&self, answer_id: &str, review: &Review) -> Result<bool, LogError> {
        let json = Json(to_json(review)?);
        self.with(|c| {
            let changed = c
                .execute(
                    "INSERT INTO cairn_reviews (answer_id, review_json)
                     SELECT answer_id, $2 FROM cairn_answers WHERE answer_id = $1
                     ON CONFLICT (answer_id) DO UPDATE SET review_json = excluded.review_json",
                    &[&answer_id, &json],
                )
                .map_err(pg)?;
            Ok(changed > 0)
        })
    }

    fn prefer(&self, preference: &Preference) -> Result<(), LogError> {
        let json = Json(to_json(preference)?);
        self.with(|c| {
            c.execute(
                "INSERT INTO cairn_preferences (collection, preference_json) VALUES ($1, $2)",
                &[&preference.collection, &json],
            )
            .map_err(pg)?;
            Ok(())
        })
    }

    fn preferences(&self, collection: Option<&str>) -> Result<Vec<Preference>, LogError> {
        self.with(|c| {
            let rows = c
                .query(
                    "SELECT preference_json FROM cairn_preferences
                     WHERE $1::TEXT IS NULL OR collection = $1 ORDER BY seq",
                    &[&collection],
                )
                .map_err(pg)?;
            rows.into_iter()
                .map(|r| from_json(r.get::<_, Json<serde_json::Value>>(0).0))
                .collect()
        })
    }

    fn list(
        &self,
        filter: &AnswerFilter,
        limit: usize,
        cursor: Option<i64>,
    ) -> Result<Page, LogError> {
        let mut query = Where::default();
        query.filter(filter);
        if let Some(cursor) = cursor {
            query.add("seq <", Box::new(cursor));
        }
        let sql = format!(
            "SELECT seq, answer_id, collection, question, created_at, answer_json
             FROM cairn_answers {} ORDER BY seq DESC LIMIT {}",
            query.sql(),
            limit + 1
        );
        self.with(|c| {
            let params: Vec<&(dyn ToSql + Sync)> = query.values.iter().map(|v| &**v).collect();
            let rows = c.query(&sql, &params).map_err(pg)?;
            let next_cursor = (rows.len() > limit).then(|| rows[limit - 1].get::<_, i64>(0));
            let rows = rows.into_iter().take(limit).collect();
            Ok(Page {
                answers: logged(c, rows)?,
                next_cursor,
            })
        })
    }
}

/// Reads answer rows (seq, answer_id, collection, question, created_at, answer_json) with
/// their feedback and reviews, two queries for the whole page.
fn logged(c: &mut Client, rows: Vec<postgres::Row>) -> Result<Vec<LoggedAnswer>, LogError> {
    let ids: Vec<String> = rows.iter().map(|r| r.get(1)).collect();
    let mut feedback: HashMap<String, Vec<Feedback>> = HashMap::new();
    for r in c
        .query(
            "SELECT answer_id, client, rating, reason, comment, created_at FROM cairn_feedback
             WHERE answer_id = ANY($1) ORDER BY created_at",
            &[&ids],
        )
        .map_err(pg)?
    {
        let reason: Option<String> = r.get(3);
        feedback.entry(r.get(0)).or_default().push(Feedback {
            rating: from_text(&r.get::<_, String>(2))?,
            reason: reason.as_deref().map(from_text).transpose()?,
            comment: r.get(4),
            client: r.get(1),
            created_at: r.get(5),
        });
    }
    let mut reviews: HashMap<String, Review> = HashMap::new();
    for r in c
        .query(
            "SELECT answer_id, review_json FROM cairn_reviews WHERE answer_id = ANY($1)",
            &[&ids],
        )
        .map_err(pg)?
    {
        reviews.insert(
            r.get(0),
            from_json(r.get::<_, Json<serde_json::Value>>(1).0)?,
        );
    }
    rows.into_iter()
        .map(|r| {
            let id: String = r.get(1);
            let created_at: DateTime<Utc> = r.get(4);
            Ok(LoggedAnswer {
                collection: r.get(2),
                question: r.get(3),
                created_at,
                answer: from_json(r.get::<_, Json<serde_json::Value>>(5).0)?,
                feedback: feedback.remove(&id).unwrap_or_default(),
                review: reviews.remove(&id),
            })
        })
        .collect()
}

/// A WHERE clause with numbered parameters.
#[derive(Default)]
struct Where {
    clauses: Vec<String>,
    values: Vec<Box<dyn ToSql + Sync>>,
}

impl Where {
    /// Adds `"<lhs> $n"` with `value` as parameter `n`.
    fn add(&mut self, lhs: &str, value: Box<dyn ToSql + Sync>) {
        self.values.push(value);
        self.clauses.push(format!("{lhs} ${}", self.values.len()));
    }

    fn filter(&mut self, filter: &AnswerFilter) {
        if let Some(c) = &filter.collection {
            self.add("collection =", Box::new(c.clone()));
        }
        if let Some(v) = &filter.variant {
            self.add("variant =", Box::new(v.clone()));
        }
        if let Some(h) = filter.hallucinated {
            self.add("hallucinated =", Box::new(h));
        }
        if let Some(t) = filter.since {
            self.add("created_at >=", Box::new(t));
        }
        if let Some(t) = filter.until {
            self.add("created_at <", Box::new(t));
        }
        if let Some(e) = &filter.experiment {
            self.add("answer_json->'experiment'->>'name' =", Box::new(e.clone()));
        }
        if let Some(r) = filter.rating {
            self.values.push(Box::new(r.as_str()));
            self.clauses.push(format!(
                "EXISTS (SELECT 1 FROM cairn_feedback f
                 WHERE f.answer_id = cairn_answers.answer_id AND f.rating = ${})",
                self.values.len()
            ));
        }
        if let Some(wanted) = filter.needs_review {
            let queue = "((hallucinated OR EXISTS (SELECT 1 FROM cairn_feedback f
                 WHERE f.answer_id = cairn_answers.answer_id AND f.rating = 'down'))
                 AND NOT EXISTS (SELECT 1 FROM cairn_reviews r
                                 WHERE r.answer_id = cairn_answers.answer_id))";
            self.clauses.push(if wanted {
                queue.to_owned()
            } else {
                format!("NOT {queue}")
            });
        }
    }

    fn sql(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", self.clauses.join(" AND "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::redact_password;

    #[test]
    fn passwords_are_kept_out_of_messages() {
        assert_eq!(
            redact_password("postgres://cairn:s3cret@db:5432/cairn"),
            "postgres://cairn:<redacted>@db:5432/cairn"
        );
        assert_eq!(
            redact_password("postgres://cairn@db/cairn"),
            "postgres://cairn@db/cairn"
        );
        assert_eq!(redact_password("host=db user=x"), "host=db user=x");
    }
}
