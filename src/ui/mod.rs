//! The web app (playground, compare, dashboard): static files compiled into the binary and
//! served at `/` and `/ui/…`, so `cairn serve` needs no Node build, CDN or network. The app
//! talks to the same JSON API as any client. Third-party code is vendored under `vendor/`
//! with its version, hashes and licence (vendor/VENDOR.md).

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::http::{ApiError, AppState, Code};

/// Scripts, styles and data only from this server. No inline styles either: the charts set
/// theirs through the CSSOM (element.style), which a CSP does not restrict.
const CSP: &str = "default-src 'self'; style-src 'self'; img-src 'self' data:; \
                   base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

struct Asset {
    /// Under `/ui/`; `index.html` is also `/`.
    path: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

/// Every file the app has: one list, so the routes and the files cannot disagree.
const ASSETS: &[Asset] = &[
    Asset {
        path: "index.html",
        content_type: "text/html; charset=utf-8",
        body: include_bytes!("assets/index.html"),
    },
    Asset {
        path: "app.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("assets/app.js"),
    },
    Asset {
        path: "app.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("assets/app.css"),
    },
    Asset {
        path: "vendor/uPlot.iife.min.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("vendor/uPlot.iife.min.js"),
    },
    Asset {
        path: "vendor/uPlot.min.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("vendor/uPlot.min.css"),
    },
];

/// A strong validator per asset, so a browser revalidates cheaply (304) after an upgrade.
static ETAGS: LazyLock<Vec<String>> = LazyLock::new(|| {
    ASSETS
        .iter()
        .map(|a| format!("\"{}\"", crate::fingerprint::short_hash_bytes(a.body)))
        .collect()
});

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(index))
        .route("/ui/{*path}", get(asset))
}

async fn index(headers: HeaderMap) -> Response {
    serve("index.html", &headers)
}

async fn asset(Path(path): Path<String>, headers: HeaderMap) -> Response {
    serve(&path, &headers)
}

fn serve(path: &str, headers: &HeaderMap) -> Response {
    let Some(i) = ASSETS.iter().position(|a| a.path == path) else {
        return ApiError::new(Code::RouteNotFound)
            .message(format!("the web app has no file {path:?}"))
            .into_response();
    };
    let (asset, etag) = (&ASSETS[i], &ETAGS[i]);
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let common = [
        (header::ETAG, etag.clone()),
        // Always revalidate: the binary may have been upgraded under the same URL.
        (header::CACHE_CONTROL, "no-cache".to_owned()),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
        (header::CONTENT_SECURITY_POLICY, CSP.to_owned()),
    ];
    if fresh {
        return (StatusCode::NOT_MODIFIED, common).into_response();
    }
    (
        common,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static(asset.content_type),
        )],
        asset.body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The contract checks outside the repository rely on: each value must stay in the app.
    const TEST_IDS: &[&str] = &[
        "collection-select",
        "upload-input",
        "question-input",
        "ask-button",
        "answer",
        "citation",
        "source-panel",
        "sentence-supported",
        "sentence-unsupported",
        "retrieved-passage",
        "latency",
        "thumbs-up",
        "thumbs-down",
        "feedback-reason",
        "feedback-comment",
        "feedback-saved",
        "compare-toggle",
        "compare-left",
        "compare-right",
        "dashboard",
        "chart-thumbs",
        "chart-hallucination",
        "chart-latency",
        "insights",
        "review-queue",
        "experiments",
    ];

    #[test]
    fn every_contract_test_id_is_in_the_app() {
        let app: String = ASSETS
            .iter()
            .filter(|a| a.path == "index.html" || a.path == "app.js")
            .map(|a| String::from_utf8_lossy(a.body).into_owned())
            .collect();
        let missing: Vec<&str> = TEST_IDS
            .iter()
            .copied()
            .filter(|id| {
                !app.contains(&format!("data-testid=\"{id}\""))
                    && !app.contains(&format!("'{id}'"))
                    && !app.contains(&format!("\"{id}\""))
            })
            .collect();
        assert!(
            missing.is_empty(),
            "missing data-testid values: {missing:?}"
        );
    }

    #[test]
    fn the_vendored_files_match_their_recorded_hashes() {
        let sums = include_str!("vendor/SHA256SUMS");
        for asset in ASSETS.iter().filter(|a| a.path.starts_with("vendor/")) {
            let name = asset.path.trim_start_matches("vendor/");
            let line = sums
                .lines()
                .find(|l| l.ends_with(name))
                .unwrap_or_else(|| panic!("{name} is not in vendor/SHA256SUMS"));
            let expected = line.split_whitespace().next().unwrap_or_default();
            let actual = crate::fingerprint::sha256_hex(asset.body);
            assert_eq!(actual, expected, "{name} differs from vendor/SHA256SUMS");
        }
    }
}
