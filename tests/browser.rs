//! The reference page in a real browser: Debian's headless Chromium loads `/docs` from the real
//! app, runs its script, and the rendered DOM must list every operation of `/openapi.json`.
//! scripts/fetch-browser.sh installs Chromium (scripts/test.sh runs it).

// Panicking on a broken fixture is what a test should do.
#![allow(clippy::unwrap_used)]

mod common;

use std::process::Command;

/// The DOM of `url` after its scripts ran, as Chromium serialises it.
fn rendered_dom(url: &str) -> String {
    let chromium = std::env::var("CAIRN_CHROMIUM")
        .expect("CAIRN_CHROMIUM is not set: run scripts/fetch-browser.sh (scripts/test.sh does)");
    let profile = tempfile::tempdir().unwrap();
    let output = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            // Lets the page's fetch of /openapi.json finish before the DOM is dumped.
            "--virtual-time-budget=10000",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(url)
        .output()
        .expect("start chromium");
    assert!(
        output.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_reference_page_renders_every_operation_in_a_browser() {
    let app = common::spawn_app_with_faq(|_| {}).await;
    let (_, doc) = common::get_json(&app.http, &format!("{}/openapi.json", app.url)).await;
    let url = format!("{}/docs", app.url);
    let dom = tokio::task::spawn_blocking(move || rendered_dom(&url))
        .await
        .unwrap();

    // The script replaces the placeholder with the operations, or with an error it reports.
    let placeholder = dom.split(r#"<div id="api">"#).nth(1).unwrap_or_default();
    assert!(
        !placeholder.starts_with("Loading"),
        "the script did not run"
    );
    assert!(!placeholder.starts_with("Could not"), "{placeholder:.300}");
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() >= 6, "{doc}");
    for path in paths.keys() {
        // The page renders each path in a <code> element (braces are not escaped in HTML).
        assert!(
            dom.contains(&format!("<code>{path}</code>")),
            "{path} not rendered"
        );
    }
    assert!(
        dom.contains("<h3>QueryRequest</h3>"),
        "schemas not rendered"
    );
}
