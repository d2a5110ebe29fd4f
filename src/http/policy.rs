//! What each route needs: the scope of key that may call it, and whether it is expensive
//! (bounded by the load shedder). One table, read by the auth and limit middleware and by
//! `/openapi.json`, so the documented security of a route is the enforced one.

use axum::http::Method;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Anyone: health, the web app's files and the API's documentation.
    Public,
    /// A query key or the admin key.
    Query,
    /// The admin key only.
    Admin,
}

/// How a route is guarded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub scope: Scope,
    /// Costs seconds of CPU or a model call: counted against `limits.max_concurrent`.
    pub expensive: bool,
}

/// Routes that are not admin-only, or that are expensive; every other route is admin-only.
const ROUTES: &[(Method, &str, Scope, bool)] = &[
    (Method::GET, "/healthz", Scope::Public, false),
    (Method::GET, "/readyz", Scope::Public, false),
    (Method::GET, "/openapi.json", Scope::Public, false),
    (Method::GET, "/docs", Scope::Public, false),
    (Method::GET, "/", Scope::Public, false),
    (Method::GET, "/ui/{*path}", Scope::Public, false),
    (Method::GET, "/metrics", Scope::Query, false),
    (Method::GET, "/v1/collections", Scope::Query, false),
    (Method::GET, "/v1/collections/{name}", Scope::Query, false),
    (
        Method::GET,
        "/v1/collections/{name}/chunks/{chunk_id}",
        Scope::Query,
        false,
    ),
    (
        Method::POST,
        "/v1/collections/{name}/search",
        Scope::Query,
        false,
    ),
    (
        Method::POST,
        "/v1/collections/{name}/query",
        Scope::Query,
        true,
    ),
    (Method::POST, "/v1/grounding/check", Scope::Query, true),
    (
        Method::POST,
        "/v1/answers/{id}/feedback",
        Scope::Query,
        false,
    ),
    (Method::GET, "/v1/answers/{id}", Scope::Query, false),
    (Method::GET, "/v1/variants", Scope::Query, false),
    (
        Method::POST,
        "/v1/collections/{name}/documents",
        Scope::Admin,
        true,
    ),
    (Method::POST, "/v1/evals", Scope::Admin, true),
];

/// The policy of a route, by method and path template (`/v1/collections/{name}`). A request
/// that matched no route is public: it gets its 404 or 405 without learning more.
pub fn of(method: &Method, template: Option<&str>) -> Policy {
    let Some(template) = template else {
        return Policy {
            scope: Scope::Public,
            expensive: false,
        };
    };
    // HEAD is answered by the GET handler.
    let method = if method == Method::HEAD {
        &Method::GET
    } else {
        method
    };
    ROUTES
        .iter()
        .find(|(m, path, _, _)| m == method && *path == template)
        .map(|&(_, _, scope, expensive)| Policy { scope, expensive })
        .unwrap_or(Policy {
            scope: Scope::Admin,
            expensive: false,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unlisted_routes_are_admin_only_and_listed_ones_keep_their_scope() {
        assert_eq!(
            of(&Method::DELETE, Some("/v1/collections/{name}")).scope,
            Scope::Admin
        );
        assert_eq!(of(&Method::GET, Some("/v1/answers")).scope, Scope::Admin);
        let ask = of(&Method::POST, Some("/v1/collections/{name}/query"));
        assert_eq!(ask.scope, Scope::Query);
        assert!(ask.expensive);
        assert_eq!(of(&Method::HEAD, Some("/healthz")).scope, Scope::Public);
        assert_eq!(of(&Method::GET, None).scope, Scope::Public);
    }
}
