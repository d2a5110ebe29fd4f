//! The web app in a real headless Chromium (WebDriver), against the real server on a real
//! port with the real embedder and store: upload, a streamed answer with citations and
//! grounding marks, feedback into the review queue and the dashboard, compare mode, and no
//! console problems on any page. Screenshots of each page at 1280×800 and 390×844 go to
//! `target/ui-screenshots/`.

// Panicking on a broken fixture is what a test should do.
#![allow(clippy::unwrap_used)]

mod common;
mod webdriver;

use std::convert::Infallible;
use std::time::Duration;

use axum::response::IntoResponse;
use axum::routing::{get, post};
use cairn::experiments::{Arm, ExperimentSpec, State};
use serde_json::json;
use webdriver::Browser;

const DESKTOP: (u32, u32) = (1280, 800);
const PHONE: (u32, u32) = (390, 844);

/// Shows the page at both sizes, writes both screenshots, and checks the console.
async fn look(browser: &Browser, page: &str) {
    for (label, (w, h)) in [("desktop", DESKTOP), ("phone", PHONE)] {
        browser.size(w, h).await;
        browser
            .client
            .execute("window.scrollTo(0, 0)", vec![])
            .await
            .unwrap();
        // Let charts re-size to the new width.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let overflow = browser
            .client
            .execute(
                "return document.documentElement.scrollWidth - innerWidth",
                vec![],
            )
            .await
            .unwrap();
        assert!(
            overflow.as_i64().unwrap_or(0) <= 0,
            "{page} scrolls sideways at {w} px: {overflow}"
        );
        browser.screenshot(&format!("{page}-{label}")).await;
    }
    browser.size(DESKTOP.0, DESKTOP.1).await;
    let problems = browser.console_problems().await;
    assert!(problems.is_empty(), "console on {page}: {problems:#?}");
}

async fn text_of(browser: &Browser, testid: &str) -> String {
    browser.wait(testid).await.text().await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_playground_uploads_answers_cites_and_takes_feedback() {
    // A running experiment on the collection: the browser's questions get an arm.
    let app = common::spawn_app_with_faq(|s| {
        s.variants.insert(
            "two-passages".into(),
            cairn::rag::answer::Variant {
                top_k: Some(2),
                ..Default::default()
            },
        );
        s.experiments.insert(
            "pilot".into(),
            ExperimentSpec {
                collection: Some("docs".into()),
                state: State::Running,
                arms: ["default", "two-passages"]
                    .map(|variant| Arm {
                        variant: variant.into(),
                        weight: 1,
                    })
                    .to_vec(),
            },
        );
    })
    .await;
    let browser = Browser::start(DESKTOP.0, DESKTOP.1).await;
    let started = std::time::Instant::now();
    browser.goto(&format!("{}/", app.url)).await;
    let timing = browser
        .until(
            "the page has loaded",
            "const t = performance.getEntriesByType('navigation')[0]; \
             return t && t.loadEventEnd > 0 ? t.loadEventEnd : 0",
        )
        .await;
    // Reported, not asserted: speed is measured by bench/, not by timed tests.
    eprintln!(
        "first page load: {:.0} ms (navigation timing), {:?} wall",
        timing.as_f64().unwrap_or(0.0),
        started.elapsed()
    );

    // Pick the collection, upload a document and an unsupported file: the summary says both.
    browser
        .until(
            "the collection list is loaded",
            "return [...document.querySelectorAll('[data-testid=collection-select] option')]\
             .some(o => o.value === 'docs')",
        )
        .await;
    browser
        .wait("collection-select")
        .await
        .select_by_value("docs")
        .await
        .unwrap();
    let files = tempfile::tempdir().unwrap();
    let doc = files.path().join("kiln.md");
    std::fs::write(
        &doc,
        "# Kiln firing\n\nA bisque firing in the studio kiln takes 9 hours, then the kiln cools for 12 hours before its door may be opened.\n",
    )
    .unwrap();
    let junk = files.path().join("photo.xyz");
    std::fs::write(&junk, b"\x00\x01 not a document").unwrap();
    let upload = browser.wait("upload-input").await;
    upload
        .send_keys(&format!("{}\n{}", doc.display(), junk.display()))
        .await
        .unwrap();
    let summary = browser
        .until(
            "the ingest summary is shown",
            "const s = document.querySelector('[data-testid=upload-summary]'); \
             return s && /chunk/i.test(s.innerText) ? s.innerText : ''",
        )
        .await;
    let summary = summary.as_str().unwrap();
    assert!(
        summary.contains("photo.xyz"),
        "skipped file not listed: {summary}"
    );
    let (_, answers) = app.get("/v1/collections/docs").await;
    assert!(answers["points"].as_u64().unwrap() > 1);

    // Ask: the streamed answer arrives with citations and sentence marks.
    let question = "How long does a bisque firing take in the studio kiln?";
    browser
        .wait("question-input")
        .await
        .send_keys(question)
        .await
        .unwrap();
    browser.wait("ask-button").await.click().await.unwrap();
    browser.wait("citation").await;
    let answer = text_of(&browser, "answer").await;
    assert!(answer.contains("9 hours"), "{answer}");
    assert!(!browser.all("sentence-supported").await.is_empty());
    assert!(!browser.all("retrieved-passage").await.is_empty());
    let latency = text_of(&browser, "latency").await;
    assert!(
        latency.contains("embed") && latency.contains("ms"),
        "{latency}"
    );

    // A citation opens its passage with the supporting span highlighted.
    browser.all("citation").await[0].click().await.unwrap();
    let marked = browser
        .until(
            "the source panel highlights the span",
            "const p = document.querySelector('[data-testid=source-panel]'); \
             const m = p && p.getClientRects().length > 0 && p.querySelector('mark'); \
             return m ? m.innerText : ''",
        )
        .await;
    assert!(marked.as_str().unwrap().contains("9 hours"), "{marked}");
    let panel = text_of(&browser, "source-panel").await;
    assert!(
        panel.contains("kiln.md") && panel.contains("Kiln firing"),
        "{panel}"
    );
    look(&browser, "playground").await;

    // Thumbs down with a reason and a comment is saved...
    browser.wait("thumbs-down").await.click().await.unwrap();
    browser
        .wait("feedback-reason")
        .await
        .select_by_value("incomplete")
        .await
        .unwrap();
    browser
        .wait("feedback-comment")
        .await
        .send_keys("Does not say how long glaze firing takes.")
        .await
        .unwrap();
    browser.wait("feedback-send").await.click().await.unwrap();
    browser.wait("feedback-saved").await;
    let (_, page) = app.get("/v1/answers?rating=down").await;
    let feedback = &page["answers"][0]["feedback"][0];
    assert_eq!(feedback["reason"], "incomplete", "{page}");
    assert_eq!(
        feedback["comment"],
        "Does not say how long glaze firing takes."
    );

    // ...and appears in the dashboard's review queue and counts, with charts drawn.
    browser.goto(&format!("{}/#/dashboard", app.url)).await;
    browser.wait("dashboard").await;
    browser
        .until(
            "the review queue lists the answer",
            &format!(
                "const q = document.querySelector('[data-testid=review-queue]'); \
                 return q && q.innerText.includes({}) && q.querySelectorAll('[data-testid=review-item]').length",
                json!(question)
            ),
        )
        .await;
    // The reviewer marks it incorrect with a correction: it is stored and leaves the queue.
    browser
        .wait("review-incorrect")
        .await
        .click()
        .await
        .unwrap();
    browser
        .wait("review-corrected")
        .await
        .send_keys("9 hours for the bisque firing.")
        .await
        .unwrap();
    browser.wait("review-save").await.click().await.unwrap();
    browser.wait("review-saved").await;
    let (_, queue) = app.get("/v1/answers?needs_review=true").await;
    assert!(queue["answers"].as_array().unwrap().is_empty(), "{queue}");
    let (_, reviewed) = app.get("/v1/answers?rating=down").await;
    let review = &reviewed["answers"][0]["review"];
    assert_eq!(review["verdict"], "incorrect", "{reviewed}");
    assert_eq!(review["corrected_answer"], "9 hours for the bisque firing.");

    for chart in ["chart-thumbs", "chart-hallucination", "chart-latency"] {
        browser
            .until(
                &format!("{chart} is drawn"),
                &format!(
                    "const c = document.querySelector('[data-testid={chart}] canvas'); \
                     return c && c.width > 0"
                ),
            )
            .await;
    }
    let headline = text_of(&browser, "dashboard").await;
    assert!(
        headline.contains("Thumbs-up") || headline.contains("thumbs-up"),
        "{headline}"
    );
    browser.wait("insights").await;
    let verdict = browser
        .until(
            "the experiment's verdict is shown",
            "const v = document.querySelector('[data-testid=experiments] [data-testid=experiment-verdict]'); \
             return v ? v.innerText : ''",
        )
        .await;
    assert!(
        verdict
            .as_str()
            .unwrap()
            .contains("not enough data yet: n=0"),
        "{verdict}"
    );
    let (_, logged) = app.get("/v1/answers?experiment=pilot").await;
    assert_eq!(
        logged["answers"].as_array().unwrap().len(),
        1,
        "the answer has its arm"
    );
    look(&browser, "dashboard").await;
    browser.close().await;
}

/// An OpenAI-compatible chat server that streams one answer slowly (so the browser shows it
/// growing), with a sentence no passage supports: a hallucination on demand, which no real
/// model gives reliably.
async fn slow_hallucinating_llm() -> String {
    const DELTAS: &[&str] = &[
        "Refunds are paid back to the original card within 14 days of the request [1]. ",
        "Every refund also comes with ",
        "a free laptop for the customer [1].",
    ];
    async fn chat() -> impl IntoResponse {
        let chunks = futures::stream::iter(DELTAS.iter().enumerate()).then(|(i, d)| async move {
            if i > 0 {
                tokio::time::sleep(Duration::from_millis(700)).await;
            }
            let data = json!({"choices": [{"delta": {"content": d}}]});
            let mut event = format!("data: {data}\n\n");
            if i + 1 == DELTAS.len() {
                let usage = json!({"choices": [], "usage": {"prompt_tokens": 210, "completion_tokens": 24}});
                event += &format!("data: {usage}\n\ndata: [DONE]\n\n");
            }
            Ok::<_, Infallible>(event)
        });
        (
            [("content-type", "text/event-stream")],
            axum::body::Body::from_stream(chunks),
        )
    }
    use futures::StreamExt;
    let app = axum::Router::new()
        .route("/v1/chat/completions", post(chat))
        .route(
            "/v1/models",
            get(|| async { axum::Json(json!({"data": []})) }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

#[tokio::test(flavor = "multi_thread")]
async fn a_streamed_answer_grows_and_its_unsupported_sentence_is_marked() {
    let llm = slow_hallucinating_llm().await;
    let docs = tempfile::tempdir().unwrap();
    std::fs::write(
        docs.path().join("refunds.md"),
        "# Refunds\n\nRefunds are paid back to the original card within 14 days of the request.\n",
    )
    .unwrap();
    let app = common::spawn_app_on(docs.path(), |s| {
        s.llm.base_url = llm;
        s.llm.model = "scripted".into();
        s.pricing.prompt_per_1k = 0.5;
        s.pricing.completion_per_1k = 1.5;
        s.pricing.currency = "USD".into();
    })
    .await;
    let browser = Browser::start(DESKTOP.0, DESKTOP.1).await;
    browser.goto(&format!("{}/#/playground", app.url)).await;
    browser
        .until(
            "docs is selected",
            "return document.querySelector('[data-testid=collection-select]').value === 'docs'",
        )
        .await;
    let input = browser.wait("question-input").await;
    // From the keyboard: Enter in the question box asks.
    input
        .send_keys("How long do refunds take?\u{E007}")
        .await
        .unwrap();
    // Part of the answer is on screen before the rest has been generated.
    let partial = browser
        .until(
            "the first tokens are shown",
            "const a = document.querySelector('[data-testid=answer]'); \
             return a && a.innerText.includes('14 days') ? a.innerText : ''",
        )
        .await;
    assert!(!partial.as_str().unwrap().contains("laptop"), "{partial}");

    browser.wait("sentence-unsupported").await;
    let unsupported = browser.all("sentence-unsupported").await;
    assert_eq!(unsupported.len(), 1);
    let text = unsupported[0].text().await.unwrap();
    assert!(text.contains("laptop"), "{text}");
    let answer = text_of(&browser, "answer").await;
    assert!(
        answer.contains("laptop"),
        "the missing terms are shown: {answer}"
    );
    assert_eq!(browser.all("sentence-supported").await.len(), 1);
    // One button per marker: [1] twice.
    assert_eq!(browser.all("citation").await.len(), 2);
    let usage = text_of(&browser, "playground").await;
    assert!(usage.contains("210"), "prompt tokens shown: {usage}");
    // 210 / 1000 × 0.5 + 24 / 1000 × 1.5
    assert!(usage.contains("Cost: $0.141"), "cost shown: {usage}");
    look(&browser, "playground-unsupported").await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn compare_mode_shows_two_answers_and_records_a_blind_preference() {
    let app = common::spawn_app_with_faq(|s| {
        s.variants.insert(
            "one-passage".into(),
            cairn::rag::answer::Variant {
                top_k: Some(1),
                ..Default::default()
            },
        );
    })
    .await;
    let browser = Browser::start(DESKTOP.0, DESKTOP.1).await;
    browser.goto(&format!("{}/#/compare", app.url)).await;
    browser
        .until(
            "variants are listed",
            "return [...document.querySelectorAll('[data-testid=compare-right-variant] option')]\
             .some(o => o.value === 'one-passage')",
        )
        .await;
    browser
        .wait("compare-right-variant")
        .await
        .select_by_value("one-passage")
        .await
        .unwrap();
    let toggle = browser.wait("compare-toggle").await;
    if !toggle.is_selected().await.unwrap() {
        toggle.click().await.unwrap();
    }
    browser
        .wait("compare-question")
        .await
        .send_keys("How much does the Team plan cost?")
        .await
        .unwrap();
    browser.wait("compare-ask").await.click().await.unwrap();
    browser
        .until(
            "both answers are in",
            "return document.getElementById('compare-status').innerText.includes('Both')",
        )
        .await;
    for side in ["compare-left", "compare-right"] {
        let column = text_of(&browser, side).await;
        assert!(column.contains('$'), "{side}: {column}");
        // Blind: the variant names are hidden until the choice is made.
        assert!(
            !column.contains("one-passage"),
            "{side} shows its variant: {column}"
        );
    }
    look(&browser, "compare").await;
    browser.wait("prefer-left").await.click().await.unwrap();
    browser.wait("preference-saved").await;
    let (_, tally) = app.get("/v1/preferences?collection=docs").await;
    assert_eq!(tally["total"], 1, "{tally}");
    assert_eq!(tally["blind"], 1);
    let revealed = text_of(&browser, "compare").await;
    assert!(revealed.contains("one-passage"), "{revealed}");

    // The collection is deleted under the page: the API's refusal is shown in words.
    let deleted = app
        .http
        .delete(format!("{}/v1/collections/docs", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    browser.wait("compare-ask").await.click().await.unwrap();
    let error = browser
        .until(
            "the API error is shown",
            "const e = document.querySelector('[data-testid=error]'); \
             return e && e.offsetHeight > 0 ? e.innerText : ''",
        )
        .await;
    assert!(
        error.as_str().unwrap().contains("does not exist"),
        "{error}"
    );
    let problems = browser.console_problems().await;
    // The browser itself logs the failed request (404); nothing else may appear.
    assert!(
        problems.iter().all(|p| p.contains("404")),
        "console: {problems:#?}"
    );
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn with_keys_on_the_app_asks_for_a_key_and_a_query_key_cannot_open_the_dashboard() {
    const ADMIN: &str = "admin-key-for-the-browser-0123456789";
    const QUERY: &str = "query-key-for-the-browser-0123456789";
    let app = common::spawn_app_with_faq(|s| {
        s.auth.admin_key = Some(ADMIN.into());
        s.auth.query_keys = vec![QUERY.into()];
    })
    .await;
    let browser = Browser::start(DESKTOP.0, DESKTOP.1).await;
    browser.goto(&format!("{}/#/playground", app.url)).await;
    browser
        .until(
            "the key dialog is open",
            "return document.querySelector('[data-testid=key-dialog]').open",
        )
        .await;
    browser.screenshot("key-dialog").await;
    browser
        .wait("key-input")
        .await
        .send_keys(QUERY)
        .await
        .unwrap();
    browser.wait("key-save").await.click().await.unwrap();
    browser
        .until(
            "docs is selected",
            "return document.querySelector('[data-testid=collection-select]').value === 'docs'",
        )
        .await;
    let stored = browser
        .client
        .execute(
            "return [sessionStorage.getItem('cairn.key'), localStorage.getItem('cairn.key')]",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        stored,
        json!([QUERY, null]),
        "the key lives in the tab only"
    );
    browser
        .wait("question-input")
        .await
        .send_keys("Is there a free trial?\u{E007}")
        .await
        .unwrap();
    browser
        .until(
            "the answer is shown",
            "const a = document.querySelector('[data-testid=answer]'); \
             return a && a.innerText.includes('21 days') ? a.innerText : ''",
        )
        .await;

    // The dashboard reads the answer log: a query key is refused, in words.
    browser.goto(&format!("{}/#/dashboard", app.url)).await;
    let error = browser
        .until(
            "the refusal is shown",
            "const e = document.querySelector('[data-testid=error]'); \
             return e && e.offsetHeight > 0 ? e.innerText : ''",
        )
        .await;
    assert!(
        error.as_str().unwrap().contains("may not call this route"),
        "{error}"
    );
    // With the admin key, the dashboard loads.
    browser.wait("key-button").await.click().await.unwrap();
    browser
        .wait("key-input")
        .await
        .send_keys(ADMIN)
        .await
        .unwrap();
    browser.wait("key-save").await.click().await.unwrap();
    browser.goto(&format!("{}/#/dashboard", app.url)).await;
    browser.client.refresh().await.unwrap();
    browser
        .until(
            "the stats are shown",
            "const s = document.querySelector('[data-testid=stat-answers]'); \
             return s && /[0-9]/.test(s.innerText) ? s.innerText : ''",
        )
        .await;
    let problems = browser.console_problems().await;
    // The browser logs the refused requests (401 before the key, 403 for the query key).
    assert!(
        problems
            .iter()
            .all(|p| p.contains("401") || p.contains("403")),
        "console: {problems:#?}"
    );
    browser.close().await;
}
