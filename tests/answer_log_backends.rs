//! The PostgreSQL answer log against a real server (the one scripts/test.sh starts): the same
//! calls on it and on the SQLite log give the same results, replicas starting together
//! migrate the schema once, and two `cairn serve` replicas sharing it see each other's answers
//! and ratings; `sslmode` means what it means to libpq.

// Panicking on a broken fixture is what a test should do.
#![allow(clippy::unwrap_used)]

mod common;

use cairn::answer_log::{
    AnswerFilter, AnswerLog, Asker, AuditEntry, Feedback, PostgresLog, Preference, Preferred,
    Rating, Reason, Review, Side, SqliteLog, Verdict, MIGRATIONS,
};
use cairn::rag::answer::{Answer, Question};
use chrono::{TimeZone, Utc};
use serde_json::{json, Value};

/// Three real answers from the FAQ collection.
async fn answers() -> Vec<Answer> {
    let data = tempfile::tempdir().unwrap();
    let core = common::core_with_faq(&common::settings(data.path())).await;
    let docs = common::collection("docs");
    let mut out = Vec::new();
    for text in [
        "Is there a free trial?",
        "How do I reset my password?",
        "Can I pay by invoice?",
    ] {
        let question = Question {
            text: text.into(),
            top_k: None,
            filter: Default::default(),
            variant: None,
            client: None,
            experiment: None,
            key_id: None,
        };
        out.push(core.ask(&docs, question).await.unwrap());
    }
    out
}

/// Runs one fixed sequence of calls and records every result (times of appends left out:
/// each backend stamps its own).
fn exercise(log: &dyn AnswerLog, answers: &[Answer]) -> Vec<Value> {
    let at = |minute| Utc.with_ymd_and_hms(2026, 12, 2, 10, minute, 0).unwrap();
    let asker = |client: &str, key: Option<&str>| Asker {
        client: Some(client.into()),
        key_id: key.map(str::to_owned),
    };
    let feedback = |client: &str, rating, minute| Feedback {
        rating,
        reason: (rating == Rating::Down).then_some(Reason::Wrong),
        comment: Some(format!("from {client}")),
        client: client.into(),
        created_at: at(minute),
    };
    let ids: Vec<&str> = answers.iter().map(|a| a.answer_id.as_str()).collect();
    let mut out = Vec::new();
    let mut record = |v: Value| out.push(v);
    let page = |log: &dyn AnswerLog, filter: &AnswerFilter, limit, cursor| {
        let mut page = serde_json::to_value(log.list(filter, limit, cursor).unwrap()).unwrap();
        for a in page["answers"].as_array_mut().unwrap() {
            a["created_at"] = Value::Null;
        }
        page
    };

    log.append(
        "docs",
        "Is there a free trial?",
        &answers[0],
        &asker("ana", Some("k1")),
    )
    .unwrap();
    log.append("docs", "Reset?", &answers[1], &asker("ben", None))
        .unwrap();
    log.append("other", "Invoice?", &answers[2], &asker("ana", None))
        .unwrap();
    for id in [ids[0], ids[1], "missing"] {
        let asked = log.asker(id).unwrap();
        record(json!([
            asked.as_ref().map(|a| &a.client),
            asked.and_then(|a| a.key_id)
        ]));
    }
    for (id, f) in [
        (ids[0], feedback("ben", Rating::Up, 1)),
        (ids[0], feedback("ben", Rating::Down, 2)),
        (ids[1], feedback("ana", Rating::Up, 3)),
        (ids[2], feedback("cy", Rating::Down, 4)),
        ("missing", feedback("ana", Rating::Up, 5)),
    ] {
        record(json!(format!("{:?}", log.rate(id, &f).unwrap())));
    }
    let review = Review {
        verdict: Verdict::Incorrect,
        corrected_answer: Some("Yes, 14 days.".into()),
        note: None,
        reviewer: "pm".into(),
        created_at: at(6),
    };
    record(json!([
        log.review(ids[0], &review).unwrap(),
        log.review("missing", &review).unwrap()
    ]));
    let side = |i: usize| Side {
        answer_id: ids[i].into(),
        variant: format!("v{i}"),
    };
    log.prefer(&Preference {
        collection: "docs".into(),
        question: "Q".into(),
        left: side(0),
        right: side(1),
        preferred: Preferred::Left,
        blind: true,
        client: "cy".into(),
        created_at: at(7),
    })
    .unwrap();
    record(serde_json::to_value(log.preferences(Some("docs")).unwrap()).unwrap());
    record(serde_json::to_value(log.preferences(Some("none")).unwrap()).unwrap());

    let all = AnswerFilter::default();
    let first = page(log, &all, 2, None);
    let cursor = first["next_cursor"].as_i64();
    record(first);
    record(page(log, &all, 2, cursor));
    for filter in [
        AnswerFilter {
            collection: Some("docs".into()),
            ..Default::default()
        },
        AnswerFilter {
            rating: Some(Rating::Down),
            ..Default::default()
        },
        AnswerFilter {
            needs_review: Some(true),
            ..Default::default()
        },
        AnswerFilter {
            needs_review: Some(false),
            ..Default::default()
        },
        AnswerFilter {
            since: Some(Utc::now() + chrono::Duration::hours(1)),
            ..Default::default()
        },
        AnswerFilter {
            hallucinated: Some(false),
            ..Default::default()
        },
    ] {
        record(page(log, &filter, 10, None));
    }
    let mut got = serde_json::to_value(log.get(ids[0]).unwrap()).unwrap();
    got["created_at"] = Value::Null;
    record(got);

    for (minute, action) in [(8, "create collection"), (9, "delete collection")] {
        log.audit(&AuditEntry {
            at: at(minute),
            actor: "admin".into(),
            action: action.into(),
            target: "docs".into(),
            status: 200,
        })
        .unwrap();
    }
    record(serde_json::to_value(log.audit_log(1).unwrap()).unwrap());

    record(serde_json::to_value(log.forget_client("ana").unwrap()).unwrap());
    record(page(log, &all, 10, None));
    record(serde_json::to_value(log.preferences(None).unwrap()).unwrap());
    out
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "skipped: no PostgreSQL server (scripts/test.sh starts one)"]
async fn postgres_log_gives_the_same_results_as_the_sqlite_log() {
    let answers = answers().await;
    let url = common::postgres::fresh_database();
    let data = tempfile::tempdir().unwrap();
    let path = data.path().to_path_buf();
    let (from_sqlite, from_postgres) = tokio::task::spawn_blocking(move || {
        let sqlite = SqliteLog::open(&path).unwrap();
        let postgres = PostgresLog::open(&url).unwrap();
        (exercise(&sqlite, &answers), exercise(&postgres, &answers))
    })
    .await
    .unwrap();
    assert_eq!(from_sqlite.len(), from_postgres.len());
    for (i, (s, p)) in from_sqlite.iter().zip(&from_postgres).enumerate() {
        assert_eq!(s, p, "result {i} differs");
    }
    // The fixture really exercises something: ratings were replaced, pages were paged.
    assert_eq!(from_postgres[4], json!("Replaced"));
    assert!(
        from_postgres[11]["next_cursor"].is_i64(),
        "{}",
        from_postgres[11]
    );
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "skipped: no PostgreSQL server (scripts/test.sh starts one)"]
async fn postgres_log_migrates_once_when_replicas_start_together() {
    let url = common::postgres::fresh_database();
    let opened: Vec<_> = (0..4)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || PostgresLog::open(&url).map(drop))
        })
        .collect();
    for o in opened {
        o.join().unwrap().unwrap();
    }
    let versions = common::postgres::query_texts(
        &url,
        "SELECT version::TEXT FROM cairn_migrations ORDER BY version",
    );
    let expected: Vec<String> = (1..=MIGRATIONS.len()).map(|v| v.to_string()).collect();
    assert_eq!(versions, expected);

    // A schema newer than this cairn is refused with a message that says what to do.
    common::postgres::query_texts(
        &url,
        "INSERT INTO cairn_migrations (version) VALUES (999) RETURNING version::TEXT",
    );
    let url2 = url.clone();
    let err = std::thread::spawn(move || PostgresLog::open(&url2).map(drop))
        .join()
        .unwrap()
        .unwrap_err();
    assert!(err.to_string().contains("upgrade cairn"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "skipped: no PostgreSQL server (scripts/test.sh starts one)"]
async fn postgres_log_is_shared_by_two_serve_replicas() {
    let url = common::postgres::fresh_database();
    let faq = common::corpus().join("faq.jsonl");
    let mut replicas = Vec::new();
    for _ in 0..2 {
        let data = tempfile::tempdir().unwrap();
        let out = common::cairn(
            data.path(),
            &["ingest", faq.to_str().unwrap(), "--collection", "docs"],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let server = common::serve_process(data.path(), &[("CAIRN_DATABASE_URL", &url)]).await;
        replicas.push((server, data));
    }
    let (a, b) = (&replicas[0].0.url, &replicas[1].0.url);
    let http = reqwest::Client::new();
    let question = json!({"question": "Is there a free trial?"});
    let (_, answer) =
        common::post_json(&http, &format!("{a}/v1/collections/docs/query"), &question).await;
    let id = answer["answer_id"].as_str().unwrap();
    // Asked on one replica, rated on the other, read back on the first.
    let rated = http
        .post(format!("{b}/v1/answers/{id}/feedback"))
        .header("x-client-id", "ana")
        .json(&json!({"rating": "down", "reason": "wrong"}))
        .send()
        .await
        .unwrap();
    assert_eq!(rated.status(), 201);
    let (_, logged) = common::get_json(&http, &format!("{a}/v1/answers/{id}")).await;
    assert_eq!(logged["feedback"][0]["rating"], "down", "{logged}");
    let (_, stats) = common::get_json(&http, &format!("{b}/v1/stats")).await;
    assert_eq!(stats["answers"], 1, "{stats}");
    for (mut server, _) in replicas {
        server.child.kill().unwrap();
    }
}

/// What `sslmode` means on the test server, whose certificate (from a throwaway CA) names
/// `localhost` only: libpq's meanings, so a URL that works with psql works with cairn.
#[test]
#[ignore = "skipped: no PostgreSQL server with TLS (scripts/test.sh starts one)"]
fn postgres_tls_modes_mean_what_they_mean_to_libpq() {
    let url = common::postgres::fresh_database();
    let ca = common::postgres::test_ca();
    let by_name = url.replace("127.0.0.1", "localhost");
    // Opens the log on `url`; `Ok(encrypted)` says whether its connection is encrypted. Each
    // opening names its connection, as the one before may not have ended on the server yet.
    let open = |url: String| -> Result<bool, String> {
        std::thread::spawn(move || {
            let name = format!("cairn_{}", uuid::Uuid::new_v4().simple());
            let separator = if url.contains('?') { '&' } else { '?' };
            let url = format!("{url}{separator}application_name={name}");
            let log = PostgresLog::open(&url).map_err(|e| e.to_string())?;
            let ssl = common::postgres::connections_encrypted(&name);
            drop(log);
            Ok(ssl)
        })
        .join()
        .unwrap()
    };

    // Encrypted whenever the server can, unless turned off.
    assert_eq!(open(url.clone()), Ok(true), "the default (prefer)");
    assert_eq!(open(format!("{url}?sslmode=disable")), Ok(false));
    assert_eq!(open(format!("{url}?sslmode=require")), Ok(true));
    // Checked against the CA: by the name in the certificate ...
    let full = format!("{by_name}?sslmode=verify-full&sslrootcert={ca}");
    assert_eq!(open(full), Ok(true));
    // ... and, by IP address, only with verify-ca (require with a CA file is verify-ca).
    assert_eq!(
        open(format!("{url}?sslmode=verify-ca&sslrootcert={ca}")),
        Ok(true)
    );
    assert_eq!(
        open(format!("{url}?sslmode=require&sslrootcert={ca}")),
        Ok(true)
    );
    let wrong_name = open(format!("{url}?sslmode=verify-full&sslrootcert={ca}")).unwrap_err();
    assert!(
        wrong_name.contains("not valid for name") && wrong_name.contains("sslmode=verify-ca"),
        "{wrong_name}"
    );
    // A CA that did not sign it (the system's store) is refused, saying what to set.
    let wrong_ca = open(format!("{by_name}?sslmode=verify-full&sslrootcert=system")).unwrap_err();
    assert!(
        wrong_ca.contains("UnknownIssuer") && wrong_ca.contains("sslrootcert"),
        "{wrong_ca}"
    );
}
