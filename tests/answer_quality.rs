//! The extractive default on real public documents it was not written for: the borg, SQLite
//! and nano manuals Debian ships (bench/handbooks/corpus), and a Markdown table. Each test pins
//! one behaviour a support team relies on, end to end over HTTP.

// Panicking on a broken fixture is what a test should do.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::PathBuf;

use serde_json::{json, Value};

fn handbook(set: &str) -> PathBuf {
    common::repo().join("bench/handbooks/corpus").join(set)
}

async fn ask(app: &common::TestApp, question: &str) -> Value {
    let (status, answer) = app.query(json!({ "question": question })).await;
    assert_eq!(status, 200, "{answer}");
    answer
}

#[tokio::test]
async fn a_duration_question_quotes_the_sentence_with_the_duration() {
    let app = common::spawn_app_on(&handbook("borg"), |_| {}).await;
    let answer = ask(
        &app,
        "How long is the interval between checkpoints when borg backs up?",
    )
    .await;
    assert_eq!(answer["evidence"]["intent"], "duration", "{answer}");
    let text = answer["answer"].as_str().unwrap();
    // The first quoted sentence holds the duration, not merely the words of the question.
    let first = text.split(" [").next().unwrap();
    assert!(first.contains("30 minutes"), "{text}");
    assert!(
        common::cited_sources(&answer)[0].ends_with("faq.rst"),
        "{answer}"
    );
}

#[tokio::test]
async fn a_table_row_answer_reads_as_a_sentence() {
    let docs = tempfile::tempdir().unwrap();
    let table = common::corpus().join("guides/api-tokens.md");
    std::fs::copy(&table, docs.path().join("api-tokens.md")).unwrap();
    let app = common::spawn_app_on(docs.path(), |_| {}).await;
    let answer = ask(
        &app,
        "Which token scope does my script need to be able to create notebooks?",
    )
    .await;
    let text = answer["answer"].as_str().unwrap();
    assert!(text.contains("notebooks:write"), "{text}");
    // The row is read with its header ("…: Allows Create, rename, …"), not quoted with pipes.
    assert!(!text.contains('|'), "{text}");
    assert!(
        text.contains("Allows Create, rename, move, and delete notebooks"),
        "{text}"
    );
}

#[tokio::test]
async fn an_on_topic_question_the_documents_do_not_answer_abstains() {
    let app = common::spawn_app_on(&handbook("sqlite"), |_| {}).await;
    // SQLite's pages discuss licensing and checkpoints, but give no price and no duration: the
    // passages are on topic (similar), yet none holds an answer of the asked shape.
    for (question, shape) in [
        ("How much does a commercial SQLite license cost?", "price"),
        ("How long does a WAL checkpoint take to run?", "duration"),
    ] {
        let answer = ask(&app, question).await;
        assert_eq!(answer["abstained"], true, "{question}: {answer}");
        assert_eq!(
            answer["abstain_reason"],
            format!("no_answer_shape: {shape}"),
            "{answer}"
        );
        assert!(
            answer["evidence"]["similarity"].as_f64().unwrap() > 0.5,
            "{answer}"
        );
        // It still shows where it looked.
        assert!(
            !answer["nearest"].as_array().unwrap().is_empty(),
            "{answer}"
        );
        assert!(
            answer["citations"].as_array().unwrap().is_empty(),
            "{answer}"
        );
    }
}

#[tokio::test]
async fn an_answerable_question_with_a_weak_cosine_still_answers() {
    let app = common::spawn_app_on(&handbook("nano"), |_| {}).await;
    let answer = ask(
        &app,
        "I never use the built-in spell check. Which configure flag leaves it out of the build?",
    )
    .await;
    let similarity = answer["evidence"]["similarity"].as_f64().unwrap();
    assert!(
        similarity < 0.4,
        "the premise: a weak cosine ({similarity})"
    );
    assert_eq!(answer["abstained"], false, "{answer}");
    assert!(
        answer["answer"]
            .as_str()
            .unwrap()
            .contains("disable-speller"),
        "{answer}"
    );
    assert_eq!(common::cited_sources(&answer)[0], "faq.html", "{answer}");
}
