//! Load shedding and rate limits.
//!
//! - Expensive routes ([`super::policy`]) share `max_concurrent` slots and a queue of `queue`
//!   waiting requests; a request that finds the queue full, or waits longer than
//!   `queue_timeout_ms`, gets a fast 503 `overloaded` with `Retry-After`. A slot is held until
//!   the response body ends, so a streamed answer counts for as long as it streams.
//! - Every keyed route is rate-limited per caller (the API key, or the client's address when
//!   cairn runs without keys) with governor's GCRA: `requests_per_second`, bursts of `burst`;
//!   past it a 429 `rate_limited` with `Retry-After`.

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use serde::{Deserialize, Serialize};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::auth::Caller;
use super::policy::{self, Scope};
use super::{ApiError, Code};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitSettings {
    /// Expensive requests (questions, grounding checks, uploads, evaluation runs) at once.
    pub max_concurrent: usize,
    /// Expensive requests that may wait for a slot; one more gets a 503 at once.
    pub queue: usize,
    /// The longest wait for a slot before a 503.
    pub queue_timeout_ms: u64,
    /// Sustained requests per second per key (or per address without keys); 0 turns it off.
    pub requests_per_second: u32,
    /// Requests allowed at once above the sustained rate.
    pub burst: u32,
    /// How long an upload waits for its ingest before answering 202 with the job.
    pub upload_wait_ms: u64,
}

impl Default for LimitSettings {
    fn default() -> Self {
        Self {
            max_concurrent: 8,
            queue: 32,
            queue_timeout_ms: 10_000,
            requests_per_second: 50,
            burst: 100,
            upload_wait_ms: 10_000,
        }
    }
}

/// The shared state of both limits.
pub struct Limits {
    slots: Arc<Semaphore>,
    waiting: AtomicUsize,
    queue: usize,
    queue_timeout: Duration,
    rate: Option<DefaultKeyedRateLimiter<String>>,
}

impl Limits {
    pub fn new(settings: &LimitSettings) -> Self {
        let rate = NonZeroU32::new(settings.requests_per_second).map(|rps| {
            let burst = NonZeroU32::new(settings.burst).unwrap_or(rps);
            DefaultKeyedRateLimiter::keyed(Quota::per_second(rps).allow_burst(burst))
        });
        Self {
            slots: Arc::new(Semaphore::new(settings.max_concurrent.max(1))),
            waiting: AtomicUsize::new(0),
            queue: settings.queue,
            queue_timeout: Duration::from_millis(settings.queue_timeout_ms),
            rate,
        }
    }

    fn check_rate(&self, key: String) -> Result<(), ApiError> {
        let Some(limiter) = &self.rate else {
            return Ok(());
        };
        // Forget callers that have been idle long enough to be back at a full burst.
        if limiter.len() > 10_000 {
            limiter.retain_recent();
        }
        limiter.check_key(&key).map_err(|not_until| {
            crate::monitor::rejected("rate_limited");
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            ApiError::new(Code::RateLimited).retry_after(wait.as_secs_f64().ceil() as u64)
        })
    }

    async fn slot(&self) -> Result<OwnedSemaphorePermit, ApiError> {
        if let Ok(permit) = self.slots.clone().try_acquire_owned() {
            return Ok(permit);
        }
        let overloaded = || {
            crate::monitor::rejected("overloaded");
            ApiError::new(Code::Overloaded).retry_after(1)
        };
        if self.waiting.fetch_add(1, Ordering::SeqCst) >= self.queue {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            return Err(overloaded());
        }
        let waited = tokio::time::timeout(self.queue_timeout, self.slots.clone().acquire_owned());
        let permit = waited.await;
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        match permit {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(overloaded()),
        }
    }
}

/// The middleware; runs after [`super::auth::guard`], which leaves the [`Caller`].
pub async fn limit(State(limits): State<Arc<Limits>>, request: Request, next: Next) -> Response {
    let template = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned());
    let policy = policy::of(request.method(), template.as_deref());
    if policy.scope != Scope::Public {
        let peer = request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0);
        let caller = request
            .extensions()
            .get::<Caller>()
            .cloned()
            .unwrap_or(Caller::Open);
        if let Err(e) = limits.check_rate(caller.limit_key(peer)) {
            return e.into_response();
        }
    }
    if !policy.expensive {
        return next.run(request).await;
    }
    let permit = match limits.slot().await {
        Ok(permit) => permit,
        Err(e) => return e.into_response(),
    };
    let response = next.run(request).await;
    // The slot is free when the body is done (or dropped), not when the headers are sent.
    response.map(|body| {
        Body::from_stream(body.into_data_stream().map(move |chunk| {
            let _held = &permit;
            chunk
        }))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_queue_sheds_at_once_and_slots_come_back() {
        let limits = Limits::new(&LimitSettings {
            max_concurrent: 1,
            queue: 0,
            queue_timeout_ms: 50,
            ..LimitSettings::default()
        });
        let held = limits.slot().await.expect("first slot");
        let shed = limits.slot().await.expect_err("no slot, no queue");
        assert_eq!(shed.body().error.code, "overloaded");
        drop(held);
        let _slot = limits.slot().await.expect("slot freed");
    }

    #[test]
    fn past_the_burst_comes_a_429_with_retry_after() {
        let limits = Limits::new(&LimitSettings {
            requests_per_second: 1,
            burst: 2,
            ..LimitSettings::default()
        });
        assert!(limits.check_rate("k".into()).is_ok());
        assert!(limits.check_rate("k".into()).is_ok());
        let limited = limits.check_rate("k".into()).expect_err("over the burst");
        assert_eq!(limited.body().error.code, "rate_limited");
        assert!(
            limits.check_rate("other".into()).is_ok(),
            "keys are separate"
        );
    }
}
