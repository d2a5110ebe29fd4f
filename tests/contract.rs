//! The API contract, fuzzed by a real client: schemathesis (bench/contract.sh, pinned and cached
//! by scripts/fetch-schemathesis.sh) sends thousands of generated requests, valid and invalid,
//! including stateful sequences, to the real app and checks every response against
//! `/openapi.json`: no 5xx, documented statuses, content types and bodies.
// Panicking on a broken fixture is what a test should do.
#![allow(clippy::unwrap_used)]

mod common;

#[tokio::test(flavor = "multi_thread")]
async fn schemathesis_finds_no_failure_in_at_least_1000_cases() {
    // schemathesis sends faster than the default rate limit; a 429 is documented, but it would
    // stand in the way of the checks that valid requests are accepted.
    let app = common::spawn_app_with_faq(|s| s.limits.requests_per_second = 0).await;
    let out = tempfile::tempdir().unwrap();
    let result = tokio::process::Command::new(common::repo().join("bench/contract.sh"))
        .env("CAIRN_URL", &app.url)
        .env("CONTRACT_OUT", out.path())
        .env("CONTRACT_MIN_CASES", "1000")
        .output()
        .await
        .expect("run bench/contract.sh");
    let stdout = String::from_utf8_lossy(&result.stdout);
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(
        result.status.success(),
        "schemathesis found failures:\n{stdout}\n{stderr}"
    );
    assert!(stderr.contains("contract: passed"), "{stderr}");
}
