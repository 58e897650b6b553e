//! The management REST API under `/api/v1`: JSON in and out, `Authorization: Bearer <key>`,
//! every row scoped to the key's account. Handlers extract, call a `manage` use case and render;
//! errors become `{"error": {...}}` in [`error`]; lists page with a cursor ([`page`]); every
//! POST honours `Idempotency-Key` ([`idempotency`]).
//!
//! The OpenAPI 3.1 document at `/api/v1/openapi.json` is generated from these handlers and their
//! types (utoipa), so it cannot drift from the code. Each resource file gives a `routes()` whose
//! handlers carry their `#[utoipa::path]`; the error answers every operation can give, the key
//! scheme and the `Idempotency-Key` header are added to the document here, once.

pub mod accounts;
pub mod agent_bodies;
pub mod agents;
pub mod analytics;
pub mod auth;
pub mod availability;
pub mod bookings;
pub mod calendar_sources;
pub mod calls;
pub mod client;
pub mod contacts;
pub mod email_settings;
pub mod email_templates;
pub mod error;
pub mod event_types;
pub mod extract;
pub mod host_feeds;
pub mod hosts;
pub mod idempotency;
pub mod keys;
pub mod menus;
pub mod page;
pub mod phone;
pub mod plans;
pub mod recordings;
pub mod schedules;
pub mod sms_templates;
pub mod usage;
pub mod webhook_endpoints;

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{any, get};
use utoipa::openapi::path::{Operation, Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::ObjectBuilder;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{
    ContentBuilder, Info, OpenApi, Ref, RefOr, Required, ResponseBuilder, Schema, ServerBuilder, Type,
};
use utoipa::{PartialSchema, ToSchema};
use utoipa_axum::router::OpenApiRouter;

pub use auth::{AccountKey, AuthFailures, OperatorKey};
pub use error::{ApiFailure, ApiResult, ErrorBody};
pub use extract::{ApiJson, ApiQuery, Created};
pub use page::{ListQuery, Listed};

use crate::manage::phone::Phones;
use crate::manage::{Accounts, Agents, Keys};
use crate::store::Store;

/// Where the API lives.
pub const BASE_PATH: &str = "/api/v1";
/// The largest request body the API reads.
const MAX_BODY_BYTES: usize = 256 * 1024;
const SECURITY_SCHEME: &str = "api_key";

/// What the API's handlers share: the store and the management services over it.
#[derive(Clone)]
pub struct ApiState {
    pub store: Store,
    pub accounts: Accounts,
    pub agents: Agents,
    pub keys: Keys,
    /// The agents' numbers at Twilio (not configured unless [`ApiState::with_phones`]).
    pub phones: Phones,
    pub auth_failures: Arc<AuthFailures>,
    /// Proxies whose `X-Forwarded-For` names the client (`[http] trusted_proxies`).
    pub trusted_proxies: Arc<[ipnet::IpNet]>,
    /// A call minute's price for the calls' cost estimates (`call.price_per_minute_usd`).
    pub price_per_minute_usd: f64,
    /// Bookings made, moved and cancelled, with their listeners told.
    pub bookings: crate::manage::bookings::Bookings,
    /// Which webhook endpoint URLs are accepted.
    pub webhook_urls: crate::manage::webhook_endpoints::UrlPolicy,
    /// The server's public base URL, for the addresses it hands out (a host's feed); empty
    /// unless [`ApiState::at_public_url`].
    pub public_url: Arc<str>,
    /// The hosts' calendar sources: their URLs' policy, the secrets key, "sync now".
    pub calendars: crate::calendar_sources::CalendarSources,
}

impl ApiState {
    pub fn new(store: Store) -> ApiState {
        ApiState {
            accounts: Accounts::new(store.clone()),
            agents: Agents::new(store.clone()),
            keys: Keys::new(store.clone()),
            phones: Phones::new(store.clone()),
            bookings: crate::manage::bookings::Bookings::new(store.clone(), Default::default()),
            webhook_urls: crate::manage::webhook_endpoints::UrlPolicy::default(),
            calendars: crate::calendar_sources::CalendarSources::new(store.clone(), &Default::default()),
            store,
            auth_failures: Arc::new(AuthFailures::default()),
            trusted_proxies: Arc::from([]),
            price_per_minute_usd: crate::config::CallConfig::default().price_per_minute_usd,
            public_url: Arc::from(""),
        }
    }

    /// The state handing out addresses under `public_url`.
    pub fn at_public_url(mut self, public_url: &str) -> ApiState {
        self.public_url = Arc::from(public_url);
        self
    }

    /// The state with the agents' numbers provisioned by `phones`.
    pub fn with_phones(mut self, phones: Phones) -> ApiState {
        self.phones = phones;
        self
    }

    /// The state with `agents` (provisioning at ElevenLabs, for one) in place of the plain ones.
    pub fn with_agents(mut self, agents: Agents) -> ApiState {
        self.agents = agents;
        self
    }

    /// The state with `proxies` trusted to name their clients.
    pub fn trusting(mut self, proxies: &[ipnet::IpNet]) -> ApiState {
        self.trusted_proxies = Arc::from(proxies);
        self
    }

    /// The state whose bookings changes are told to `listeners`.
    pub fn telling(mut self, listeners: crate::booking::BookingListeners) -> ApiState {
        self.bookings = crate::manage::bookings::Bookings::new(self.store.clone(), listeners);
        self
    }

    /// The state accepting webhook endpoint URLs by `policy`.
    pub fn webhook_urls(mut self, policy: crate::manage::webhook_endpoints::UrlPolicy) -> ApiState {
        self.webhook_urls = policy;
        self
    }

    /// The state reading calendar sources through `calendars`.
    pub fn calendars(mut self, calendars: crate::calendar_sources::CalendarSources) -> ApiState {
        self.calendars = calendars;
        self
    }

    /// Prices the calls' cost estimates at `per_minute_usd` a minute.
    pub fn pricing(mut self, per_minute_usd: f64) -> ApiState {
        self.price_per_minute_usd = per_minute_usd;
        self
    }
}

/// The API's routes with their documentation, before the prefix and the layers.
fn documented() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .merge(accounts::routes())
        .merge(agents::routes())
        .merge(keys::routes())
        .merge(plans::routes())
        .merge(hosts::routes())
        .merge(host_feeds::routes())
        .merge(schedules::routes())
        .merge(event_types::routes())
        .merge(availability::routes())
        .merge(bookings::routes())
        .merge(contacts::routes())
        .merge(calls::routes())
        .merge(usage::routes())
        .merge(analytics::routes())
        .merge(menus::routes())
        .merge(phone::routes())
        .merge(recordings::routes())
        .merge(sms_templates::routes())
        .merge(email_templates::routes())
        .merge(email_settings::routes())
        .merge(webhook_endpoints::routes())
        .merge(calendar_sources::routes())
}

/// The OpenAPI document of the API.
pub fn openapi() -> OpenApi {
    let (_, document) = OpenApiRouter::new()
        .nest(BASE_PATH, documented())
        .split_for_parts();
    finish(document)
}

/// Every route of the API, and its document at `/api/v1/openapi.json`, for any app state.
pub fn routes<S>(state: ApiState) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    let (router, document) = OpenApiRouter::new()
        .nest(BASE_PATH, documented())
        .split_for_parts();
    let document = Arc::new(finish(document));
    router
        .route(
            &format!("{BASE_PATH}/openapi.json"),
            get(move || {
                let document = document.clone();
                async move { Json(document.as_ref().clone()) }
            }),
        )
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            idempotency::layer,
        ))
        .route(&format!("{BASE_PATH}/{{*rest}}"), any(error::no_such_endpoint))
        .layer(axum::middleware::map_response(error::in_error_shape))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

/// The parts of the document no handler states: its info, the key scheme, the `Idempotency-Key`
/// header of every POST, and the error answers every operation can give.
fn finish(mut document: OpenApi) -> OpenApi {
    document.info = Info::builder()
        .title("switchboard")
        .version(env!("CARGO_PKG_VERSION"))
        .description(Some(
            "Manage a switchboard business: agents, calendar, bookings, contacts, calls and usage. \
             Every request needs `Authorization: Bearer <key>`; rows are those of the key's account.",
        ))
        .build();
    document.servers = Some(vec![ServerBuilder::new().url("/").build()]);
    let components = document.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        SECURITY_SCHEME,
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format("sbk_...")
                .build(),
        ),
    );
    components
        .schemas
        .insert("ErrorBody".to_owned(), ErrorBody::schema());
    let mut nested = Vec::new();
    ErrorBody::schemas(&mut nested);
    components.schemas.extend(nested);
    document.security = Some(vec![SecurityRequirement::new(
        SECURITY_SCHEME,
        Vec::<String>::new(),
    )]);
    for item in document.paths.paths.values_mut() {
        for (is_post, operation) in [
            (false, item.get.as_mut()),
            (false, item.put.as_mut()),
            (true, item.post.as_mut()),
            (false, item.delete.as_mut()),
            (false, item.patch.as_mut()),
        ]
        .into_iter()
        .filter_map(|(is_post, operation)| operation.map(|operation| (is_post, operation)))
        {
            add_error_answers(operation);
            if is_post {
                operation
                    .parameters
                    .get_or_insert_with(Vec::new)
                    .push(RefOr::T(idempotency_parameter()));
            }
        }
    }
    document
}

fn add_error_answers(operation: &mut Operation) {
    let answers = [
        (
            "400",
            "The request is malformed (a query parameter, the JSON, a header).",
        ),
        ("401", "No API key, or one that is not valid."),
        ("403", "The key may not do this, or the plan does not allow it."),
        ("404", "No such row in the key's account."),
        ("409", "The request clashes with what is stored."),
        ("413", "The body is too large."),
        ("415", "The body is not JSON."),
        ("422", "A field's value is not acceptable; `field` names it."),
        ("429", "Too many failed attempts from this address."),
        ("503", "The database is unavailable; try again shortly."),
    ];
    for (status, description) in answers {
        if operation.responses.responses.contains_key(status) {
            continue;
        }
        let response = ResponseBuilder::new()
            .description(description)
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ErrorBody")))
                    .build(),
            )
            .build();
        operation
            .responses
            .responses
            .insert(status.to_owned(), RefOr::T(response));
    }
}

fn idempotency_parameter() -> Parameter {
    ParameterBuilder::new()
        .name("Idempotency-Key")
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(
            "Carries the request out once: a repeat with the same key and request gets the first answer.",
        ))
        .schema(Some(RefOr::T(Schema::Object(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(1))
                .max_length(Some(255))
                // Visible ASCII, as `idempotency::layer` demands.
                .pattern(Some("^[!-~]+$"))
                .build(),
        ))))
        .build()
}

/// The document's `ErrorBody` schema as other crates' tests may want it.
pub fn error_schema() -> RefOr<Schema> {
    ErrorBody::schema()
}

/// An instant as the API writes it: RFC 3339 in UTC (`2026-11-30T09:00:00Z`).
pub fn rfc3339(instant: jiff::Timestamp) -> String {
    instant.to_string()
}

/// An instant on a zone's clock, as the API writes one shown in a time zone the client chose:
/// RFC 3339 with that zone's offset then (`2026-03-02T09:00:00+01:00`).
pub fn rfc3339_zoned(instant: &jiff::Zoned) -> String {
    instant.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string()
}
