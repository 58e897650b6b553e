//! Wiring: every service is built here, once, from the configuration and the store; the HTTP
//! routers get the narrow states they need from [`AppState`]; [`Server`] serves them and
//! drains on shutdown.

pub mod calendar_writeback;
mod config_agents;
mod connection_clock;
mod connection_limits;
pub mod email;
pub mod follow_ups;
mod listener;
mod overload_probe;
pub mod provisioning;
mod server;
pub mod webhooks;

use std::sync::Arc;

use axum::Router;
use axum::extract::FromRef;

use crate::manage::phone::Phones;
use crate::provision::{Provisioner, Undoers, number_holds};

use crate::call::SessionConfig;
use crate::call::driver::DriverDeps;
use crate::config::{Config, DatabaseConfig};
use crate::http::{self, ElevenLabsWebhookState, OpsState, StreamState, ToolsState, TwilioAuth, TwilioState};
use crate::shutdown::Shutdown;
use crate::store::{Store, StoreOptions};
use crate::telephony::{
    Admission, AgentConnections, Attacher, CallRecorder, Directory, LiveFeed, LogLines, Metrics, Observers,
    Reception, StreamTokens, Streams, recovery,
};
use crate::telephony::{MinutePools, minute_pool};
use crate::tools::Toolbox;
use crate::upstream::{ElevenLabsClient, Prewarm};
use crate::wire::signature::RequestValidator;

pub use config_agents::{SyncedAgents, sync_config_agents};
pub use server::{Server, start};

/// Live events kept for a live view that falls behind.
const LIVE_FEED_CAPACITY: usize = 1024;

/// The store's pools and timeouts as configured (`[database]`); `create` also by the caller.
pub fn store_options(database: &DatabaseConfig) -> StoreOptions {
    StoreOptions {
        max_connections: database.max_connections,
        record_connections: database.record_connections,
        acquire_timeout: database.acquire_timeout(),
        connect_timeout: database.connect_timeout(),
        sqlite_busy_timeout: database.busy_timeout(),
        max_lifetime: database.max_lifetime(),
        create_missing: database.create,
        probe_interval: database.probe_interval(),
    }
}

/// Every service of a running switchboard.
pub struct App {
    pub config: Arc<Config>,
    pub store: Store,
    pub metrics: Arc<Metrics>,
    pub reception: Arc<Reception>,
    pub streams: Arc<Streams>,
    pub recorder: Arc<CallRecorder>,
    /// Every call's events as they happen (the demo's transcript).
    pub live: LiveFeed,
    pub tokens: Arc<StreamTokens>,
    pub connections: AgentConnections,
    pub admission: Arc<Admission>,
    /// The booking tools, also served over HTTP for ElevenLabs webhook tools.
    pub toolbox: Toolbox,
    /// The agents' use cases, provisioning their ElevenLabs agents when that is on.
    pub agents: crate::manage::Agents,
    /// Runs the vendor requests that create an agent or put a number on it.
    pub provisioner: Provisioner,
    /// The agents' numbers at Twilio (provisioned only with Twilio credentials).
    pub phones: Phones,
    /// ElevenLabs' post-call reports: the webhook's receiver (its secrets).
    pub post_call: crate::telephony::post_call::PostCallWebhooks,
    /// Publishes the accounts' webhook events.
    pub webhooks: crate::webhooks::Publisher,
    /// Reads the hosts' own calendars in the background.
    pub calendars: crate::calendar_sources::CalendarSources,
    /// The calls in flight and the agent connections held for them: drained first.
    pub calls: Shutdown,
    /// Background workers (the call recorder, the calls' recording encoders, the lost calls'
    /// recovery): stopped once the calls are over.
    pub workers: Shutdown,
}

/// The state the HTTP routers take their narrow states from.
#[derive(Clone, FromRef)]
pub struct AppState {
    twilio: TwilioState,
    auth: TwilioAuth,
    stream: StreamState,
    tools: ToolsState,
    ops: OpsState,
    elevenlabs_webhook: ElevenLabsWebhookState,
    sms: http::SmsState,
}

impl App {
    /// Builds every service. Starts the background workers, so it runs inside the runtime.
    pub fn new(config: Config, store: Store) -> App {
        let config = Arc::new(config);
        let calls = Shutdown::new();
        let workers = Shutdown::new();
        let metrics = Arc::new(Metrics::new());
        let admission = Arc::new(Admission::default());
        let toolbox = Toolbox::new(store.clone());
        let tokens = Arc::new(StreamTokens::new(
            config.twilio.auth_token.expose(),
            config.call.stream_token_ttl(),
        ));
        let elevenlabs = ElevenLabsClient::new(
            &config.elevenlabs.api_base,
            config.elevenlabs.api_key.as_ref().map(|k| k.expose().to_owned()),
            config.call.upstream_timeout(),
        );
        let connections = AgentConnections::new(
            elevenlabs,
            Prewarm::new(calls.clone()),
            config.call.stream_token_ttl(),
        );
        overload_probe::start(&config.call, &store, admission.clone(), &workers);
        let recorder = CallRecorder::start(store.clone(), metrics.clone(), &workers);
        let progress_every = config.call.progress_every();
        crate::manage::idempotency::start_purge(store.clone(), &workers);
        crate::manage::transcript_retention::start_purge(store.clone(), &workers);
        crate::telephony::redemptions::start_purge(store.clone(), &workers);
        crate::telephony::recordings::start_purge(store.clone(), &workers);
        follow_ups::start(&config, &store, &recorder, &workers);
        let webhooks = webhooks::start(&config.webhooks, &store, &recorder, &toolbox, &workers);
        let calendars = crate::calendar_sources::CalendarSources::new(store.clone(), &config.calendars);
        crate::calendar_sources::poller::start(calendars.clone(), &config.calendars, &workers);
        email::start(&config.email, &store, &toolbox, &recorder, &workers);
        calendar_writeback::start(&store, &calendars, &toolbox, &workers);
        recovery::start(
            store.clone(),
            metrics.clone(),
            recovery::silent_limit(progress_every, config.call.upstream_timeout()),
            progress_every,
            &workers,
        );
        let provisioner = Provisioner::new(
            store.clone(),
            provisioning::with_vendor_undos(Undoers::default(), &config, &store),
        );
        if let Some(numbers) = provisioning::twilio_numbers(&config, &store) {
            number_holds::start(
                store.clone(),
                numbers.twilio.clone(),
                number_holds::ROUND_EVERY,
                &workers,
            );
        }
        let phones = provisioning::phones(&config, &store, &provisioner);
        crate::provision::recovery::start(provisioner.clone(), &workers);
        let post_call_secret = provisioning::post_call_secret(&config, &store);
        let post_call = crate::telephony::post_call::PostCallWebhooks::new(
            store.clone(),
            config
                .elevenlabs
                .webhook_secret
                .iter()
                .map(|s| s.expose().to_owned()),
        )
        .with_provisioned_secret(post_call_secret.clone());
        if let Some((reconciler, every)) = provisioning::reconciler(&config, &store, post_call.clone()) {
            crate::telephony::post_call_reconciler::start(reconciler, every, &workers);
        }
        let agents = provisioning::agents_reporting_to(&config, &store, &provisioner, &post_call_secret);
        let live = LiveFeed::new(LIVE_FEED_CAPACITY);
        let directory = Directory::with_cache(
            store.clone(),
            config.database.agent_cache_ttl(),
            config.database.agent_cache_capacity,
        );
        let observers = Observers::new(vec![Arc::new(LogLines), recorder.clone(), Arc::new(live.clone())]);
        let reception = Arc::new(Reception {
            call_config: config.call.clone(),
            store: store.clone(),
            directory: directory.clone(),
            tokens: tokens.clone(),
            connections: connections.clone(),
            recorder: recorder.clone(),
            metrics: metrics.clone(),
            admission: admission.clone(),
            recording_host: api_host(&config.twilio.api_base),
            minute_pools: Arc::new(MinutePools::new(store.clone(), minute_pool::DEFAULT_TTL)),
        });
        let streams = Arc::new(Streams {
            driver: DriverDeps {
                config: SessionConfig {
                    tool_timeout: config.call.tool_timeout(),
                    max_duration: config.call.max_call(),
                    metering_interval: progress_every,
                    agent_metadata_timeout: config.call.agent_metadata_timeout(),
                    agent_inactivity_timeout: config.call.agent_inactivity_timeout(),
                    ..SessionConfig::default()
                },
                write_timeout: config.call.write_timeout(),
                tools: Arc::new(toolbox.clone()),
                metrics: metrics.calls.clone(),
                observer: Arc::new(observers),
            },
            attacher: Attacher {
                directory,
                tokens: tokens.clone(),
                connections: connections.clone(),
                metrics: metrics.clone(),
                redemptions: crate::telephony::redemptions::SharedRedemptions::new(store.clone()),
                recordings: crate::telephony::recording_encoders::RecordingEncoders::new(
                    store.clone(),
                    &workers,
                ),
            },
            calls: calls.clone(),
        });
        App {
            config,
            store,
            metrics,
            reception,
            streams,
            recorder,
            live,
            tokens,
            connections,
            admission,
            toolbox,
            agents,
            provisioner,
            phones,
            post_call,
            webhooks,
            calendars,
            calls,
            workers,
        }
    }

    /// Every route, with its state.
    pub fn router(&self) -> Router {
        let public_url: Arc<str> = Arc::from(self.config.public_url.as_str());
        let tool_secret = self.config.tool_secret.as_ref().map(|s| s.expose());
        let state = AppState {
            twilio: TwilioState {
                reception: self.reception.clone(),
                public_url: public_url.clone(),
            },
            auth: TwilioAuth {
                validator: Arc::new(RequestValidator::new(self.config.twilio.auth_token.expose())),
                public_url,
                metrics: self.metrics.clone(),
            },
            stream: StreamState {
                streams: self.streams.clone(),
            },
            tools: ToolsState::new(self.toolbox.clone(), tool_secret),
            ops: OpsState {
                admission: self.admission.clone(),
                store: self.store.clone(),
                metrics: self.metrics.clone(),
                connections: self.connections.clone(),
            },
            sms: http::SmsState {
                texts: crate::messaging::InboundTexts::new(self.store.clone())
                    .publishing(self.webhooks.clone()),
                store: self.store.clone(),
            },
            elevenlabs_webhook: ElevenLabsWebhookState {
                webhooks: self.post_call.clone(),
            },
        };
        http::router()
            .merge(http::api::routes(
                http::api::ApiState::new(self.store.clone())
                    .with_agents(self.agents.clone())
                    .with_phones(self.phones.clone())
                    .trusting(&self.config.http.trusted_proxies)
                    .pricing(self.config.call.price_per_minute_usd)
                    .telling(self.toolbox.booking_listeners().clone())
                    .webhook_urls(crate::manage::webhook_endpoints::UrlPolicy {
                        allow_http_loopback: self.config.webhooks.allow_http_loopback,
                    })
                    .at_public_url(&self.config.public_url)
                    .calendars(self.calendars.clone()),
            ))
            .merge(http::feed::routes(http::feed::FeedState {
                store: self.store.clone(),
                public_url: Arc::from(self.config.public_url.as_str()),
            }))
            .with_state(state)
    }
}

/// The host of Twilio's API base URL (`api.twilio.com` unless configured otherwise).
fn api_host(api_base: &str) -> String {
    url::Url::parse(api_base)
        .ok()
        .and_then(|url| url.host_str().map(str::to_owned))
        .unwrap_or_else(|| "api.twilio.com".to_owned())
}
