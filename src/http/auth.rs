//! API keys and browser safety.
//!
//! - Keys come as `Authorization: Bearer KEY`. They are kept only as SHA-256 digests (the
//!   config may give `sha256:HEX` instead of the key) and compared in constant time.
//! - The admin key may call every route; query keys the routes [`policy`] marks `Query`.
//! - With no key configured cairn is open, and [`check_bind`] allows that only on a loopback
//!   address. Open or not, a write from a browser page of another origin is refused (a
//!   cross-site form needs no preflight), and in open mode a request whose `Host` is not a
//!   loopback name is refused too (DNS rebinding would otherwise reach a local cairn).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{header, HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::policy::{self, Scope};
use super::{ApiError, AppState, Code};
use crate::answer_log::AuditEntry;
use crate::config::AuthSettings;

/// Who is calling, as the middleware established it; handlers read it from the extensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// No keys are configured: everyone is admin (on loopback only).
    Open,
    Admin,
    /// A query key, by its id (the first 12 hex digits of its SHA-256).
    Query(String),
}

impl Caller {
    /// The id of the query key calling, if one is.
    pub fn query_key(&self) -> Option<&str> {
        match self {
            Caller::Query(id) => Some(id),
            _ => None,
        }
    }

    /// What the rate limiter counts by: the key, or the address when there is none.
    pub fn limit_key(&self, peer: Option<SocketAddr>) -> String {
        match self {
            Caller::Open => peer.map_or_else(|| "unknown".into(), |p| p.ip().to_string()),
            Caller::Admin => "admin".into(),
            Caller::Query(id) => format!("query:{id}"),
        }
    }
}

/// The configured keys, as digests.
#[derive(Debug, Clone, Default)]
pub struct Keys {
    admin: Option<[u8; 32]>,
    query: Vec<[u8; 32]>,
    metrics_public: bool,
    /// Origins allowed by CORS, which may also write.
    allowed_origins: Vec<String>,
}

impl Keys {
    pub fn new(settings: &AuthSettings, cors_origins: &[String]) -> anyhow::Result<Self> {
        let admin = settings.admin_key.as_deref().map(digest_of).transpose()?;
        let query = settings
            .query_keys
            .iter()
            .map(|k| digest_of(k))
            .collect::<anyhow::Result<Vec<_>>>()?;
        if admin.is_none() && !query.is_empty() {
            anyhow::bail!(
                "query keys are set but no admin key: set CAIRN_ADMIN_KEY (or auth.admin_key) too"
            );
        }
        Ok(Self {
            admin,
            query,
            metrics_public: settings.metrics_public,
            allowed_origins: cors_origins.to_vec(),
        })
    }

    /// True when no key is configured.
    pub fn open(&self) -> bool {
        self.admin.is_none()
    }

    fn caller(&self, headers: &HeaderMap) -> Result<Caller, ApiError> {
        if self.open() {
            return Ok(Caller::Open);
        }
        let Some(key) = bearer(headers) else {
            return Err(ApiError::new(Code::Unauthorized));
        };
        let digest: [u8; 32] = Sha256::digest(key.as_bytes()).into();
        if self.admin.is_some_and(|a| same(&a, &digest)) {
            return Ok(Caller::Admin);
        }
        // Every key is compared, so the time taken does not say which one nearly matched.
        let found = self
            .query
            .iter()
            .fold(false, |found, q| same(q, &digest) | found);
        if found {
            Ok(Caller::Query(hex(&digest[..6])))
        } else {
            Err(ApiError::new(Code::Unauthorized).message("the API key is not valid".to_owned()))
        }
    }
}

/// Refuses an open server on a non-loopback address, with how to fix it.
pub fn check_bind(keys: &Keys, bind: SocketAddr) -> anyhow::Result<()> {
    if keys.open() && !bind.ip().is_loopback() {
        anyhow::bail!(
            "refusing to serve on {bind} without an API key: anyone who can reach it could \
             read every logged question and delete collections. Set an admin key, e.g. \
             CAIRN_ADMIN_KEY=$(openssl rand -hex 32), or bind to 127.0.0.1"
        );
    }
    Ok(())
}

/// What the middleware needs: the keys, and the app for its audit log.
pub struct Guard {
    pub keys: Keys,
    pub app: AppState,
}

/// The middleware: checks the browser rules, then the key against the route's scope, and
/// leaves the [`Caller`] in the request's extensions. Admin actions are audited.
pub async fn guard(State(guard): State<Arc<Guard>>, mut request: Request, next: Next) -> Response {
    let keys = &guard.keys;
    let template = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned());
    let policy = policy::of(request.method(), template.as_deref());
    if let Err(e) = browser_rules(keys, request.method(), request.headers()) {
        return e.into_response();
    }
    let needed = match policy.scope {
        Scope::Public => None,
        Scope::Query if template.as_deref() == Some("/metrics") && keys.metrics_public => None,
        scope => Some(scope),
    };
    let caller = match keys.caller(request.headers()) {
        Ok(caller) => caller,
        Err(e) if needed.is_some() => return e.into_response(),
        // A public route with a wrong key is still served.
        Err(_) => Caller::Open,
    };
    if needed == Some(Scope::Admin) && matches!(caller, Caller::Query(_)) {
        return ApiError::new(Code::Forbidden).into_response();
    }
    let audited = needed == Some(Scope::Admin) && changes_or_exports(request.method(), &template);
    if !audited {
        request.extensions_mut().insert(caller);
        return next.run(request).await;
    }
    let action = format!(
        "{} {}",
        request.method(),
        template.as_deref().unwrap_or_default()
    );
    let target = request
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_default();
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    let actor = match &caller {
        // The same names the rate limits key by, with the open caller's address marked.
        Caller::Open => format!("open:{}", caller.limit_key(peer)),
        other => other.limit_key(peer),
    };
    request.extensions_mut().insert(caller);
    let response = next.run(request).await;
    let entry = AuditEntry {
        at: chrono::Utc::now(),
        actor,
        action,
        target,
        status: response.status().as_u16(),
    };
    // The action is done either way; a failed audit write is logged, not sent back.
    if let Err(e) = guard.app.audit(entry).await {
        tracing::error!(error = %e, "the audit log could not be written");
    }
    response
}

/// Admin actions worth an audit entry: every change, and reading the feedback export.
fn changes_or_exports(method: &Method, template: &Option<String>) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
        || template.as_deref() == Some("/v1/feedback/export")
}

fn browser_rules(keys: &Keys, method: &Method, headers: &HeaderMap) -> Result<(), ApiError> {
    if keys.open() {
        if let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) {
            if !is_loopback_host(host) {
                return Err(ApiError::new(Code::HostNotAllowed).message(format!(
                    "cairn runs without API keys and answers only to a loopback host name, not {host:?}"
                )));
            }
        }
    }
    let safe = matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
    if safe {
        return Ok(());
    }
    // Browsers send Origin with every cross-origin write, and Sec-Fetch-Site where they
    // support it; clients that are not browsers send neither.
    if let Some(site) = headers.get("sec-fetch-site").and_then(|h| h.to_str().ok()) {
        if site == "cross-site" && !origin_allowed(keys, headers) {
            return Err(ApiError::new(Code::CrossOriginWrite));
        }
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|h| h.to_str().ok()) else {
        return Ok(());
    };
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let same_origin = host.is_some_and(|host| {
        origin
            .split_once("://")
            .is_some_and(|(_, authority)| authority.eq_ignore_ascii_case(host))
    });
    if same_origin || origin_allowed(keys, headers) {
        Ok(())
    } else {
        Err(ApiError::new(Code::CrossOriginWrite))
    }
}

fn origin_allowed(keys: &Keys, headers: &HeaderMap) -> bool {
    let origin = headers.get(header::ORIGIN).and_then(|h| h.to_str().ok());
    keys.allowed_origins
        .iter()
        .any(|o| o == "*" || Some(o.as_str()) == origin)
}

fn is_loopback_host(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(rest),
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    };
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, key) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| key.trim())
        .filter(|k| !k.is_empty())
}

fn digest_of(key: &str) -> anyhow::Result<[u8; 32]> {
    if let Some(hex_digest) = key.strip_prefix("sha256:") {
        return parse_hex(hex_digest)
            .ok_or_else(|| anyhow::anyhow!("an API key given as sha256:HEX needs 64 hex digits"));
    }
    if key.len() < 16 {
        anyhow::bail!(
            "an API key must have at least 16 characters (e.g. from `openssl rand -hex 32`)"
        );
    }
    Ok(Sha256::digest(key.as_bytes()).into())
}

fn parse_hex(text: &str) -> Option<[u8; 32]> {
    if text.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

/// Constant-time equality of two digests.
fn same(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> Keys {
        let settings = AuthSettings {
            admin_key: Some("admin-key-0123456789".into()),
            query_keys: vec![format!(
                "sha256:{}",
                hex(&Sha256::digest(b"query-key-0123456789"))
            )],
            metrics_public: false,
        };
        Keys::new(&settings, &[]).expect("keys")
    }

    fn with(name: header::HeaderName, value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(name, value.parse().expect("header"));
        h
    }

    #[test]
    fn keys_are_told_apart_and_a_digest_stands_for_its_key() {
        let k = keys();
        let auth = |v: &str| k.caller(&with(header::AUTHORIZATION, v));
        assert_eq!(
            auth("Bearer admin-key-0123456789").ok(),
            Some(Caller::Admin)
        );
        assert!(matches!(
            auth("bearer query-key-0123456789"),
            Ok(Caller::Query(_))
        ));
        assert!(auth("Bearer nope-nope-nope-nope").is_err());
        assert!(k.caller(&HeaderMap::new()).is_err());
        assert!(Keys::new(
            &AuthSettings {
                admin_key: Some("short".into()),
                ..AuthSettings::default()
            },
            &[]
        )
        .is_err());
    }

    #[test]
    fn an_open_server_needs_a_loopback_bind_and_host() {
        let open = Keys::default();
        assert!(check_bind(&open, "127.0.0.1:8080".parse().expect("addr")).is_ok());
        let err = check_bind(&open, "0.0.0.0:8080".parse().expect("addr")).unwrap_err();
        assert!(err.to_string().contains("CAIRN_ADMIN_KEY"), "{err}");
        assert!(check_bind(&keys(), "0.0.0.0:8080".parse().expect("addr")).is_ok());
        for host in ["localhost:8080", "127.0.0.1:9", "[::1]:8080", "localhost"] {
            assert!(is_loopback_host(host), "{host}");
        }
        assert!(!is_loopback_host("evil.example:8080"));
    }

    #[test]
    fn cross_origin_writes_are_refused() {
        let k = keys();
        let mut h = with(header::HOST, "127.0.0.1:8080");
        h.insert(header::ORIGIN, "http://127.0.0.1:8080".parse().expect("o"));
        assert!(browser_rules(&k, &Method::POST, &h).is_ok());
        h.insert(header::ORIGIN, "https://evil.example".parse().expect("o"));
        assert!(browser_rules(&k, &Method::POST, &h).is_err());
        assert!(browser_rules(&k, &Method::GET, &h).is_ok());
        let h = with(header::HOST, "127.0.0.1:8080");
        assert!(
            browser_rules(&k, &Method::DELETE, &h).is_ok(),
            "curl sends no Origin"
        );
    }
}
