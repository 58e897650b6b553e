//! Failures a stand-in is told to answer: "the next two `POST …/IncomingPhoneNumbers.json`
//! fail with 500". Every rollback path of provisioning is tested by failing one vendor request
//! at a time, so both REST stand-ins share this plan.
//!
//! A rule is written as `METHOD /path[=times[:status]]`: `*` stands for one path segment
//! (within a segment, as in `PN*.json`, for the rest of it),
//! `times` defaults to 1 and `status` to 500. Rules come from repeatable `--fail` flags, from
//! in-process tests through [`FailurePlan::add`], or at run time from `POST /sim/failures`
//! ([`control_router`]). A request matching a rule gets the stand-in's own error body for the
//! status (each vendor words its errors differently) and never reaches the handler.

use std::str::FromStr;
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde::Deserialize;

/// One kind of request to fail, and how many more times.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailureRule {
    method: Method,
    segments: Vec<String>,
    times: u32,
    status: StatusCode,
}

/// Why a rule's text was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadFailureRule {
    #[error(
        "a failure rule is `METHOD /path[=times[:status]]`, e.g. `POST /v1/convai/tools=2:503`; got {0:?}"
    )]
    Shape(String),
    #[error("{0:?} is not an HTTP method")]
    Method(String),
    #[error("the path must start with `/`; got {0:?}")]
    Path(String),
    #[error("times must be a whole number from 1; got {0:?}")]
    Times(String),
    #[error("status must be an HTTP error status (400-599); got {0:?}")]
    Status(String),
}

impl FailureRule {
    pub fn new(
        method: Method,
        pattern: &str,
        times: u32,
        status: StatusCode,
    ) -> Result<FailureRule, BadFailureRule> {
        if !pattern.starts_with('/') {
            return Err(BadFailureRule::Path(pattern.to_owned()));
        }
        if times == 0 {
            return Err(BadFailureRule::Times(times.to_string()));
        }
        if !(status.is_client_error() || status.is_server_error()) {
            return Err(BadFailureRule::Status(status.as_u16().to_string()));
        }
        Ok(FailureRule {
            method,
            segments: segments(pattern).map(str::to_owned).collect(),
            times,
            status,
        })
    }

    fn matches(&self, method: &Method, path: &str) -> bool {
        if self.method != method {
            return false;
        }
        let mut given = segments(path);
        let pattern_matches = self.segments.iter().all(|expected| {
            given
                .next()
                .is_some_and(|segment| segment_matches(expected, segment))
        });
        pattern_matches && given.next().is_none()
    }
}

/// `*` alone stands for any segment; within one (`*.json`, `PN*`) for any run of characters.
fn segment_matches(pattern: &str, segment: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == segment,
        Some((prefix, suffix)) => {
            segment.len() >= prefix.len() + suffix.len()
                && segment.starts_with(prefix)
                && segment.ends_with(suffix)
        }
    }
}

fn segments(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter(|segment| !segment.is_empty())
}

impl FromStr for FailureRule {
    type Err = BadFailureRule;

    fn from_str(text: &str) -> Result<FailureRule, BadFailureRule> {
        let (method, rest) = text
            .trim()
            .split_once(' ')
            .ok_or_else(|| BadFailureRule::Shape(text.to_owned()))?;
        let method = Method::from_str(&method.to_ascii_uppercase())
            .ok()
            .filter(|m| m.as_str().chars().all(|c| c.is_ascii_uppercase()))
            .ok_or_else(|| BadFailureRule::Method(method.to_owned()))?;
        let (path, count) = match rest.trim().split_once('=') {
            Some((path, count)) => (path, Some(count)),
            None => (rest.trim(), None),
        };
        let (times, status) = match count.map(|count| count.split_once(':').unwrap_or((count, ""))) {
            None => (1, StatusCode::INTERNAL_SERVER_ERROR),
            Some((times, status)) => {
                let times = times
                    .parse()
                    .map_err(|_| BadFailureRule::Times(times.to_owned()))?;
                let status = match status {
                    "" => StatusCode::INTERNAL_SERVER_ERROR,
                    code => code
                        .parse::<u16>()
                        .ok()
                        .and_then(|code| StatusCode::from_u16(code).ok())
                        .ok_or_else(|| BadFailureRule::Status(code.to_owned()))?,
                };
                (times, status)
            }
        };
        FailureRule::new(method, path, times, status)
    }
}

/// The failures still to answer, shared by a stand-in's handlers and whoever adds rules.
#[derive(Debug, Clone, Default)]
pub struct FailurePlan {
    rules: Arc<Mutex<Vec<FailureRule>>>,
}

impl FailurePlan {
    pub fn add(&self, rule: FailureRule) {
        self.lock().push(rule);
    }

    /// The status to fail this request with, using up one time of the first rule that matches
    /// (a rule used up is dropped).
    pub fn take(&self, method: &Method, path: &str) -> Option<StatusCode> {
        let mut rules = self.lock();
        let index = rules.iter().position(|rule| rule.matches(method, path))?;
        let rule = &mut rules[index];
        let status = rule.status;
        rule.times -= 1;
        if rule.times == 0 {
            rules.remove(index);
        }
        Some(status)
    }

    /// How many failures are still to be answered, over every rule.
    pub fn pending(&self) -> u32 {
        self.lock().iter().map(|rule| rule.times).sum()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<FailureRule>> {
        // A panic while holding this lock cannot leave the rules half-changed.
        self.rules.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The plan and the vendor's error body, as a middleware's state.
#[derive(Clone)]
pub struct Injector {
    plan: FailurePlan,
    render: fn(StatusCode) -> Response,
}

impl Injector {
    pub fn new(plan: FailurePlan, render: fn(StatusCode) -> Response) -> Injector {
        Injector { plan, render }
    }
}

/// The middleware: `router.layer(axum::middleware::from_fn_with_state(injector, failures::layer))`.
pub async fn layer(State(injector): State<Injector>, request: Request, next: Next) -> Response {
    match injector.plan.take(request.method(), request.uri().path()) {
        Some(status) => {
            tracing::info!(method = %request.method(), path = request.uri().path(), status = status.as_u16(), "failing a request as told");
            (injector.render)(status)
        }
        None => next.run(request).await,
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleBody {
    method: String,
    path: String,
    #[serde(default = "one")]
    times: u32,
    #[serde(default = "server_error")]
    status: u16,
}

fn one() -> u32 {
    1
}

fn server_error() -> u16 {
    500
}

/// `POST /sim/failures` `{"method", "path", "times"?, "status"?}`: adds a rule at run time.
/// Answers 201 with the failures still pending, or 400 saying what was wrong.
pub fn control_router(plan: FailurePlan) -> Router {
    Router::new()
        .route("/sim/failures", post(add_rule))
        .with_state(plan)
}

async fn add_rule(
    State(plan): State<FailurePlan>,
    body: Result<Json<RuleBody>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let rule = body
        .map_err(|rejection| rejection.body_text())
        .and_then(|Json(body)| {
            let method = Method::from_str(&body.method.to_ascii_uppercase())
                .map_err(|_| BadFailureRule::Method(body.method.clone()).to_string())?;
            let status = StatusCode::from_u16(body.status)
                .map_err(|_| BadFailureRule::Status(body.status.to_string()).to_string())?;
            FailureRule::new(method, &body.path, body.times, status).map_err(|error| error.to_string())
        });
    match rule {
        Ok(rule) => {
            plan.add(rule);
            (
                StatusCode::CREATED,
                Json(serde_json::json!({"pending": plan.pending()})),
            )
                .into_response()
        }
        Err(message) => (
            StatusCode::BAD_REQUEST,
            Json(serde_json::json!({"error": message})),
        )
            .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rule_reads_its_method_path_times_and_status() {
        let rule: FailureRule = "POST /2010-04-01/Accounts/*/IncomingPhoneNumbers.json=2:503"
            .parse()
            .unwrap();
        assert_eq!(rule.method, Method::POST);
        assert_eq!(rule.times, 2);
        assert_eq!(rule.status, StatusCode::SERVICE_UNAVAILABLE);
        let once: FailureRule = "delete /v1/convai/agents/*".parse().unwrap();
        assert_eq!(
            (once.method, once.times, once.status),
            (Method::DELETE, 1, StatusCode::INTERNAL_SERVER_ERROR)
        );
    }

    #[test]
    fn bad_rules_say_what_is_wrong() {
        assert!(matches!(
            "POST".parse::<FailureRule>(),
            Err(BadFailureRule::Shape(_))
        ));
        assert!(matches!(
            "P0ST /x".parse::<FailureRule>(),
            Err(BadFailureRule::Method(_))
        ));
        assert!(matches!(
            "POST x".parse::<FailureRule>(),
            Err(BadFailureRule::Path(_))
        ));
        assert!(matches!(
            "POST /x=0".parse::<FailureRule>(),
            Err(BadFailureRule::Times(_))
        ));
        assert!(matches!(
            "POST /x=two".parse::<FailureRule>(),
            Err(BadFailureRule::Times(_))
        ));
        assert!(matches!(
            "POST /x=1:200".parse::<FailureRule>(),
            Err(BadFailureRule::Status(_))
        ));
        assert!(matches!(
            "POST /x=1:99999".parse::<FailureRule>(),
            Err(BadFailureRule::Status(_))
        ));
    }

    #[test]
    fn a_star_stands_for_exactly_one_segment() {
        let rule: FailureRule = "DELETE /v1/convai/agents/*".parse().unwrap();
        assert!(rule.matches(&Method::DELETE, "/v1/convai/agents/agent_1"));
        assert!(!rule.matches(&Method::DELETE, "/v1/convai/agents"));
        assert!(!rule.matches(&Method::DELETE, "/v1/convai/agents/agent_1/link"));
        assert!(!rule.matches(&Method::GET, "/v1/convai/agents/agent_1"));
        let number: FailureRule = "DELETE /2010-04-01/Accounts/*/IncomingPhoneNumbers/PN*.json"
            .parse()
            .unwrap();
        assert!(number.matches(
            &Method::DELETE,
            "/2010-04-01/Accounts/AC1/IncomingPhoneNumbers/PN42.json"
        ));
        assert!(!number.matches(
            &Method::DELETE,
            "/2010-04-01/Accounts/AC1/IncomingPhoneNumbers/PN42"
        ));
        assert!(!number.matches(
            &Method::DELETE,
            "/2010-04-01/Accounts/AC1/IncomingPhoneNumbers/.json"
        ));
    }

    #[test]
    fn a_rule_is_used_up_after_its_times() {
        let plan = FailurePlan::default();
        plan.add("POST /v1/convai/tools=2".parse().unwrap());
        plan.add("POST /v1/convai/tools=1:503".parse().unwrap());
        let path = "/v1/convai/tools";
        assert_eq!(plan.take(&Method::GET, path), None);
        assert_eq!(
            plan.take(&Method::POST, path),
            Some(StatusCode::INTERNAL_SERVER_ERROR)
        );
        assert_eq!(
            plan.take(&Method::POST, path),
            Some(StatusCode::INTERNAL_SERVER_ERROR)
        );
        assert_eq!(plan.pending(), 1);
        assert_eq!(
            plan.take(&Method::POST, path),
            Some(StatusCode::SERVICE_UNAVAILABLE)
        );
        assert_eq!(plan.take(&Method::POST, path), None);
        assert_eq!(plan.pending(), 0);
    }

    #[tokio::test]
    async fn a_matching_request_gets_the_vendors_error_and_never_reaches_the_handler() {
        use tower::ServiceExt;
        let plan = FailurePlan::default();
        let reached = Arc::new(std::sync::atomic::AtomicU32::new(0));
        let counter = reached.clone();
        let render: fn(StatusCode) -> Response = |status| (status, "vendor says no").into_response();
        let app = Router::new()
            .route(
                "/v1/convai/tools",
                post(move || {
                    counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    async { "made" }
                }),
            )
            .layer(axum::middleware::from_fn_with_state(
                Injector::new(plan.clone(), render),
                layer,
            ))
            .merge(control_router(plan.clone()));
        let send = |request: Request| app.clone().oneshot(request);
        let tool = || {
            Request::post("/v1/convai/tools")
                .body(axum::body::Body::empty())
                .unwrap()
        };

        let added = send(
            Request::post("/sim/failures")
                .header("content-type", "application/json")
                .body(r#"{"method":"post","path":"/v1/convai/tools","status":503}"#.into())
                .unwrap(),
        )
        .await
        .unwrap();
        assert_eq!(added.status(), StatusCode::CREATED);
        assert_eq!(
            send(tool()).await.unwrap().status(),
            StatusCode::SERVICE_UNAVAILABLE
        );
        assert_eq!(reached.load(std::sync::atomic::Ordering::SeqCst), 0);
        assert_eq!(send(tool()).await.unwrap().status(), StatusCode::OK);
        assert_eq!(reached.load(std::sync::atomic::Ordering::SeqCst), 1);

        let refused = send(
            Request::post("/sim/failures")
                .header("content-type", "application/json")
                .body(r#"{"method":"POST","path":"v1","times":1}"#.into())
                .unwrap(),
        )
        .await
        .unwrap();
        assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    }
}
