//! The answer log in SQLite: WAL journal with `synchronous = FULL`, so a commit is on disk
//! before the call returns, and readers never wait for the writer.

use std::path::Path;
use std::sync::MutexGuard;

use chrono::Utc;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension};

use crate::db::{from_json, from_text, json, parse_time, storage, time_text, to_text, Db};

use super::{
    AnswerFilter, AnswerLog, Asker, AuditEntry, Feedback, Forgotten, LogError, LoggedAnswer, Page,
    Preference, Rated, Review,
};
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
);
CREATE TABLE IF NOT EXISTS reviews (
    answer_id  TEXT PRIMARY KEY REFERENCES answers (answer_id),
    review_json TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS preferences (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    collection      TEXT NOT NULL,
    preference_json TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS audit (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    at      TEXT NOT NULL,
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL,
    target  TEXT NOT NULL,
    status  INTEGER NOT NULL
);";

/// Columns added after the first release, with their type: added to an older file on open.
const ADDED_COLUMNS: &[(&str, &str, &str)] =
    &[("answers", "client", "TEXT"), ("answers", "key_id", "TEXT")];

pub struct SqliteLog {
    db: Db,
}

impl SqliteLog {
    /// Opens (or creates) `answers.sqlite3` in `data_dir`.
    pub fn open(data_dir: &Path) -> Result<Self, LogError> {
        let db = Db::open(data_dir, "answers.sqlite3", SCHEMA)?;
        {
            let c = db.lock();
            for (table, column, kind) in ADDED_COLUMNS {
                add_column(&c, table, column, kind)?;
            }
            c.execute_batch("CREATE INDEX IF NOT EXISTS answers_by_client ON answers (client);")
                .map_err(storage)?;
        }
        Ok(Self { db })
    }

    fn connection(&self) -> MutexGuard<'_, Connection> {
        self.db.lock()
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

    fn review_of(&self, c: &Connection, answer_id: &str) -> Result<Option<Review>, LogError> {
        let json: Option<String> = c
            .prepare_cached("SELECT review_json FROM reviews WHERE answer_id = ?1")
            .map_err(storage)?
            .query_row([answer_id], |r| r.get(0))
            .optional()
            .map_err(storage)?;
        Ok(json.as_deref().map(from_json).transpose()?)
    }
}

impl AnswerLog for SqliteLog {
    fn append(
        &self,
        collection: &str,
        question: &str,
        answer: &Answer,
        asker: &Asker,
    ) -> Result<(), LogError> {
        let json = json(answer)?;
        self.connection()
            .execute(
                "INSERT INTO answers
                 (answer_id, created_at, collection, variant, question, hallucinated, answer_json,
                  client, key_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    answer.answer_id,
                    time_text(Utc::now()),
                    collection,
                    answer.variant,
                    question,
                    answer.grounding.hallucinated,
                    json,
                    asker.client,
                    asker.key_id
                ],
            )
            .map_err(storage)?;
        Ok(())
    }

    fn asker(&self, answer_id: &str) -> Result<Option<Asker>, LogError> {
        self.connection()
            .query_row(
                "SELECT client, key_id FROM answers WHERE answer_id = ?1",
                [answer_id],
                |r| {
                    Ok(Asker {
                        client: r.get(0)?,
                        key_id: r.get(1)?,
                    })
                },
            )
            .optional()
            .map_err(storage)
            .map_err(LogError::from)
    }

    fn forget_client(&self, client: &str) -> Result<Forgotten, LogError> {
        let mut c = self.connection();
        let tx = c.transaction().map_err(storage)?;
        let theirs = "SELECT answer_id FROM answers WHERE client = ?1";
        let ratings = tx
            .execute(
                "DELETE FROM feedback WHERE client = ?1
                 AND answer_id NOT IN (SELECT answer_id FROM answers WHERE client = ?1)",
                [client],
            )
            .map_err(storage)?;
        tx.execute(
            &format!("DELETE FROM feedback WHERE answer_id IN ({theirs})"),
            [client],
        )
        .map_err(storage)?;
        tx.execute(
            &format!("DELETE FROM reviews WHERE answer_id IN ({theirs})"),
            [client],
        )
        .map_err(storage)?;
        // A preference is the client's own, or compares one of their answers.
        let preferences = tx
            .execute(
                &format!(
                    "DELETE FROM preferences WHERE json_extract(preference_json, '$.client') = ?1
                     OR json_extract(preference_json, '$.left.answer_id') IN ({theirs})
                     OR json_extract(preference_json, '$.right.answer_id') IN ({theirs})"
                ),
                [client],
            )
            .map_err(storage)?;
        let answers = tx
            .execute("DELETE FROM answers WHERE client = ?1", [client])
            .map_err(storage)?;
        tx.commit().map_err(storage)?;
        Ok(Forgotten {
            client_id: client.to_owned(),
            answers,
            ratings,
            preferences,
        })
    }

    fn audit(&self, entry: &AuditEntry) -> Result<(), LogError> {
        self.connection()
            .execute(
                "INSERT INTO audit (at, actor, action, target, status) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    time_text(entry.at),
                    entry.actor,
                    entry.action,
                    entry.target,
                    entry.status
                ],
            )
            .map_err(storage)?;
        Ok(())
    }

    fn audit_log(&self, limit: usize) -> Result<Vec<AuditEntry>, LogError> {
        let c = self.connection();
        let mut statement = c
            .prepare_cached(
                "SELECT at, actor, action, target, status FROM audit ORDER BY seq DESC LIMIT ?1",
            )
            .map_err(storage)?;
        let rows = statement
            .query_map([limit as i64], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                ))
            })
            .map_err(storage)?;
        let mut out = Vec::new();
        for row in rows {
            let (at, actor, action, target, status) = row.map_err(storage)?;
            out.push(AuditEntry {
                at: parse_time(&at)?,
                actor,
                action,
                target,
                status,
            });
        }
        Ok(out)
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

    fn review(&self, answer_id: &str, review: &Review) -> Result<bool, LogError> {
        let json = json(review)?;
        let c = self.connection();
        let changed = c
            .execute(
                "INSERT INTO reviews (answer_id, review_json)
                 SELECT answer_id, ?2 FROM answers WHERE answer_id = ?1
                 ON CONFLICT (answer_id) DO UPDATE SET review_json = excluded.review_json",
                params![answer_id, json],
            )
            .map_err(storage)?;
        Ok(changed > 0)
    }

    fn prefer(&self, preference: &Preference) -> Result<(), LogError> {
        let json = json(preference)?;
        self.connection()
            .execute(
                "INSERT INTO preferences (collection, preference_json) VALUES (?1, ?2)",
                params![preference.collection, json],
            )
            .map_err(storage)?;
        Ok(())
    }

    fn preferences(&self, collection: Option<&str>) -> Result<Vec<Preference>, LogError> {
        let c = self.connection();
        let mut statement = c
            .prepare(
                "SELECT preference_json FROM preferences
                 WHERE ?1 IS NULL OR collection = ?1 ORDER BY seq",
            )
            .map_err(storage)?;
        let rows: Vec<String> = statement
            .query_map([collection], |r| r.get(0))
            .map_err(storage)?
            .collect::<Result<_, _>>()
            .map_err(storage)?;
        Ok(rows
            .iter()
            .map(|j| from_json(j))
            .collect::<Result<_, _>>()?)
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
            answer: from_json(json)?,
            feedback: self.feedback_of(c, answer_id)?,
            review: self.review_of(c, answer_id)?,
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
    if let Some(e) = &filter.experiment {
        // Read from the stored answer: no column, so logs written before experiments work.
        add(
            "json_extract(answer_json, '$.experiment.name') = ?",
            Value::Text(e.clone()),
        );
    }
    if let Some(r) = filter.rating {
        add(
            "EXISTS (SELECT 1 FROM feedback f WHERE f.answer_id = answers.answer_id AND f.rating = ?)",
            Value::Text(r.as_str().into()),
        );
    }
    if let Some(wanted) = filter.needs_review {
        let queue = "((hallucinated = 1 OR EXISTS (SELECT 1 FROM feedback f
             WHERE f.answer_id = answers.answer_id AND f.rating = 'down'))
             AND NOT EXISTS (SELECT 1 FROM reviews r WHERE r.answer_id = answers.answer_id))";
        clauses.push(if wanted {
            queue.to_owned()
        } else {
            format!("NOT {queue}")
        });
    }
    (clauses, values)
}

/// Adds `column` to `table` unless it is there (SQLite has no ADD COLUMN IF NOT EXISTS).
fn add_column(c: &Connection, table: &str, column: &str, kind: &str) -> Result<(), LogError> {
    let mut statement = c
        .prepare(&format!("SELECT name FROM pragma_table_info('{table}')"))
        .map_err(storage)?;
    let names = statement
        .query_map([], |r| r.get::<_, String>(0))
        .map_err(storage)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(storage)?;
    if !names.iter().any(|n| n == column) {
        c.execute_batch(&format!("ALTER TABLE {table} ADD COLUMN {column} {kind};"))
            .map_err(storage)?;
    }
    Ok(())
}
