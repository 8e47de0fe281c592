//! Shared application state.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock};

use hejie_domain::division::{Division, DivisionCode, DivisionTree};
use hejie_domain::org::{Organisation, OrganisationId};
use hejie_domain::personal::PiiSealer;
use hejie_domain::user::User;
use hejie_intake::{Classifier, RoutingRules};
use hejie_store::Store;
use hejie_store::models::SettingChange;

use crate::workflow::Flow;
use crate::workflow::settings::{self, SettingsError, TIME_LIMITS};

use crate::error::AppError;
use crate::metrics::Metrics;
use crate::sms::SmsSender;

/// Settings of a running server.
#[derive(Debug, Clone)]
pub struct Config {
    /// Add `Secure` to cookies (behind TLS).
    pub secure_cookies: bool,
    /// A session unused for this long is over.
    pub idle_timeout_secs: i64,
    /// Failed sign-ins before the account is locked, and for how long.
    pub max_failed_logins: i64,
    pub lockout_secs: i64,
    /// Open cases older than this many days count as overdue until time limits are configured.
    pub overdue_days: i64,
    /// How often the scheduler looks for due jobs, in milliseconds; 0 disables it (tests drive
    /// it by hand).
    pub scheduler_poll_ms: u64,
    /// How long a claimed job is leased before another node may take it over.
    pub job_lease_secs: i64,
    /// Where uploaded evidence files are kept, by content hash (outside any web root); `None`
    /// refuses uploads.
    pub files_dir: Option<std::path::PathBuf>,
    /// The largest evidence file accepted, in bytes.
    pub evidence_max_bytes: usize,
    /// STUN/TURN servers handed to browsers for the online room's video (empty: direct
    /// connections only, enough on one network).
    pub ice_servers: Vec<IceServer>,
    /// Where filing packages are delivered (`http://host:port/path`; behind the deployment's
    /// TLS gateway); `None` keeps them waiting, retried, until one is configured.
    pub court_endpoint: Option<String>,
    /// The address residents reach the platform at (e.g. `https://hejie.example.gov.cn`), for
    /// links in text messages; without it a message names the page instead.
    pub public_url: Option<String>,
}

/// One STUN or TURN server, as `RTCPeerConnection` takes it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct IceServer {
    pub urls: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            secure_cookies: false,
            idle_timeout_secs: 30 * 60,
            max_failed_logins: 5,
            lockout_secs: 15 * 60,
            overdue_days: 30,
            scheduler_poll_ms: 2_000,
            job_lease_secs: 60,
            files_dir: None,
            evidence_max_bytes: 20 * 1024 * 1024,
            ice_servers: Vec::new(),
            court_endpoint: None,
            public_url: None,
        }
    }
}

/// Divisions and organisations, cached because every page needs them and they rarely change.
#[derive(Debug, Default)]
pub struct Reference {
    pub tree: DivisionTree,
    pub orgs: HashMap<OrganisationId, Organisation>,
    /// Staff accounts, for addressing notifications.
    pub users: Vec<hejie_domain::user::User>,
}

impl Reference {
    pub fn division(&self, code: &DivisionCode) -> Option<&Division> {
        self.tree.get(code)
    }

    pub fn full_name(&self, code: &DivisionCode) -> String {
        let name = self.tree.full_name(code);
        if name.is_empty() {
            code.to_string()
        } else {
            name
        }
    }
}

/// Everything a request may need. Not `Debug`-printed in full: it holds the key.
pub struct Inner {
    pub store: Arc<dyn Store>,
    pub sealer: Arc<dyn PiiSealer>,
    /// The same key holder as `sealer`, for what personal-data sealing does not cover: the
    /// signing keys the platform holds for signers of agreements (ADR 0012).
    pub keys: Arc<hejie_crypto::KeyedSealer>,
    pub sms: Arc<dyn SmsSender>,
    pub config: Config,
    pub reference: RwLock<Arc<Reference>>,
    pub metrics: Metrics,
    /// The intake classifier, learned online from clerks' corrections and kept in the store
    /// under [`CLASSIFIER_MODEL`].
    pub classifier: RwLock<Classifier>,
    /// The routing rules, edited by administrators and kept in the store under
    /// [`ROUTING_RULES`] as TOML text (the built-in default set until then).
    pub routing: RwLock<RoutingRules>,
    /// Held while a correction is learned and persisted, so the stored model is always the
    /// latest (two corrections never write their snapshots out of order).
    pub model_writes: tokio::sync::Mutex<()>,
    /// The time-limit policy and working calendar in force.
    pub flow: RwLock<Arc<Flow>>,
    /// Delivers SMS and e-mail notifications from the outbox.
    pub sender: Arc<dyn crate::workflow::delivery::Sender>,
    /// The one clock every use case reads (the system clock unless a test fixed it).
    pub clock: crate::clock::AppClock,
    /// The online mediation rooms open in this process.
    pub rooms: crate::room::Rooms,
    /// The CJK fonts for PDF documents, loaded on first use (see `report::fonts`).
    pub fonts: tokio::sync::Mutex<Option<Arc<hejie_pdf::Fonts>>>,
    /// When the routing rules and the time limits in force were stored (microseconds; 0 = the
    /// built-in defaults), so [`AppState::refresh_settings`] only re-reads what changed.
    routing_stamp: AtomicI64,
    flow_stamp: AtomicI64,
}

/// The name under which the intake classifier is stored.
pub const CLASSIFIER_MODEL: &str = "classifier";

/// The name under which the routing rules' TOML text is stored.
pub const ROUTING_RULES: &str = "routing_rules";

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inner")
            .field("store", &self.store)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// Cheap to clone; handed to every handler.
#[derive(Clone)]
pub struct AppState(pub Arc<Inner>);

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AppState({:?})", self.0.store)
    }
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    pub async fn new(
        store: Arc<dyn Store>,
        keys: Arc<hejie_crypto::KeyedSealer>,
        sms: Arc<dyn SmsSender>,
        config: Config,
    ) -> Result<Self, AppError> {
        let sealer: Arc<dyn PiiSealer> = keys.clone();
        let classifier = load_classifier(store.as_ref()).await?;
        let (routing, routing_stamp) = load_routing(store.as_ref()).await?;
        let (flow, flow_stamp) = load_flow(store.as_ref()).await?;
        let state = AppState(Arc::new(Inner {
            store,
            sealer,
            keys,
            sms,
            config,
            reference: RwLock::new(Arc::new(Reference::default())),
            metrics: Metrics::default(),
            classifier: RwLock::new(classifier),
            routing: RwLock::new(routing),
            model_writes: tokio::sync::Mutex::new(()),
            flow: RwLock::new(Arc::new(flow)),
            sender: Arc::new(crate::workflow::delivery::LogSender::from_env()),
            clock: crate::clock::AppClock::default(),
            fonts: tokio::sync::Mutex::new(None),
            rooms: crate::room::Rooms::default(),
            routing_stamp: AtomicI64::new(routing_stamp),
            flow_stamp: AtomicI64::new(flow_stamp),
        }));
        state.reload_reference().await?;
        Ok(state)
    }

    /// Re-reads divisions and organisations from the store.
    pub async fn reload_reference(&self) -> Result<(), AppError> {
        let divisions = self.store.divisions().await?;
        let tree = DivisionTree::build(divisions).map_err(AppError::internal)?;
        let orgs = self
            .store
            .organisations()
            .await?
            .into_iter()
            .map(|o| (o.id, o))
            .collect();
        let users = self.store.users().await?;
        if let Ok(mut r) = self.reference.write() {
            *r = Arc::new(Reference { tree, orgs, users });
        }
        Ok(())
    }

    /// The current instant: the system clock, or the fixed time a test set.
    pub fn now(&self) -> hejie_domain::timestamp::Timestamp {
        use crate::clock::Clock;
        self.clock.now()
    }

    /// Fixes "now" (tests only: a fake clock for time limits).
    pub fn set_now(&self, at: hejie_domain::timestamp::Timestamp) {
        self.clock.set(at);
    }

    pub fn flow(&self) -> Arc<Flow> {
        self.flow.read().map(|f| f.clone()).unwrap_or_default()
    }

    pub fn set_flow(&self, flow: Flow) {
        match self.flow.write() {
            Ok(mut f) => *f = Arc::new(flow),
            Err(poisoned) => *poisoned.into_inner() = Arc::new(flow),
        }
    }

    fn set_routing_rules(&self, rules: RoutingRules) {
        match self.routing.write() {
            Ok(mut r) => *r = rules,
            Err(poisoned) => *poisoned.into_inner() = rules,
        }
    }

    pub fn reference(&self) -> Arc<Reference> {
        self.reference.read().map(|r| r.clone()).unwrap_or_default()
    }

    /// A copy of the routing rules in force (cloned so no lock is held across an await).
    pub fn routing_rules(&self) -> RoutingRules {
        self.routing
            .read()
            .map(|r| r.clone())
            .unwrap_or_else(|poisoned| poisoned.into_inner().clone())
    }

    /// The TOML text of the routing rules in force: the stored text, or the default set.
    pub async fn routing_text(&self) -> Result<String, AppError> {
        Ok(match self.store.model(ROUTING_RULES).await? {
            Some((body, _)) if RoutingRules::from_toml(&body).is_ok() => body,
            _ => hejie_intake::DEFAULT_RULES_TOML.to_owned(),
        })
    }

    /// Validates, stores and puts in force a new rule set, recording who changed it. Invalid
    /// text changes nothing and comes back as the Chinese [`hejie_intake::RoutingError`].
    pub async fn set_routing(
        &self,
        text: &str,
        by: &User,
    ) -> Result<Result<(), hejie_intake::RoutingError>, AppError> {
        let rules = match RoutingRules::from_toml(text) {
            Ok(r) => r,
            Err(e) => return Ok(Err(e)),
        };
        // Serialised with the model writes so two saves never land out of order.
        let _guard = self.model_writes.lock().await;
        let at = self.put_setting(ROUTING_RULES, text, by).await?;
        self.routing_stamp.store(at, Ordering::SeqCst);
        self.set_routing_rules(rules);
        Ok(Ok(()))
    }

    /// The TOML text of the time limits and calendar in force: the stored text, or the
    /// built-in defaults rendered.
    pub async fn flow_text(&self) -> Result<String, AppError> {
        Ok(match self.store.model(TIME_LIMITS).await? {
            Some((body, _)) if settings::parse(&body).is_ok() => body,
            _ => settings::default_text(),
        })
    }

    /// Validates, stores (with the change history) and puts in force new time limits and a new
    /// calendar. Invalid text changes nothing and comes back as a Chinese [`SettingsError`].
    pub async fn set_flow_text(
        &self,
        text: &str,
        by: &User,
    ) -> Result<Result<(), SettingsError>, AppError> {
        let flow = match settings::parse(text) {
            Ok(f) => f,
            Err(e) => return Ok(Err(e)),
        };
        let _guard = self.model_writes.lock().await;
        let at = self.put_setting(TIME_LIMITS, text, by).await?;
        self.flow_stamp.store(at, Ordering::SeqCst);
        self.set_flow(flow);
        Ok(Ok(()))
    }

    async fn put_setting(&self, name: &str, text: &str, by: &User) -> Result<i64, AppError> {
        // Stamps are compared for change, so a second save within the same microsecond as the
        // first (tests) still moves the stamp.
        let at = self
            .now()
            .micros()
            .max(self.routing_stamp.load(Ordering::SeqCst) + 1)
            .max(self.flow_stamp.load(Ordering::SeqCst) + 1);
        self.store
            .put_setting(&SettingChange {
                name: name.to_owned(),
                body: text.to_owned(),
                digest: String::new(),
                changed_by: by.id.0.to_string(),
                changed_by_name: by.name.clone(),
                at: hejie_domain::timestamp::Timestamp::from_micros(at),
            })
            .await?;
        Ok(at)
    }

    /// Picks up settings another server process saved (several nodes share one PostgreSQL
    /// database): re-reads the routing rules and time limits when their stored stamp moved.
    /// Called by the scheduler on every pass; two indexed single-row reads when nothing changed.
    pub async fn refresh_settings(&self) -> Result<(), AppError> {
        if let Some((body, at)) = self.store.model(ROUTING_RULES).await?
            && at.micros() != self.routing_stamp.load(Ordering::SeqCst)
        {
            self.routing_stamp.store(at.micros(), Ordering::SeqCst);
            match RoutingRules::from_toml(&body) {
                Ok(rules) => self.set_routing_rules(rules),
                Err(e) => {
                    tracing::warn!(error = %e, "stored routing rules invalid; kept those in force")
                }
            }
        }
        if let Some((body, at)) = self.store.model(TIME_LIMITS).await?
            && at.micros() != self.flow_stamp.load(Ordering::SeqCst)
        {
            self.flow_stamp.store(at.micros(), Ordering::SeqCst);
            match settings::parse(&body) {
                Ok(flow) => self.set_flow(flow),
                Err(e) => {
                    tracing::warn!(error = %e, "stored time limits invalid; kept those in force")
                }
            }
        }
        Ok(())
    }
}

/// The stored classifier, or the seeded one when none is stored yet. A stored model that no
/// longer reads (a format from another version) is replaced by the seeded one, with a warning,
/// rather than keeping the server from starting.
async fn load_classifier(store: &dyn Store) -> Result<Classifier, AppError> {
    match store.model(CLASSIFIER_MODEL).await? {
        Some((body, _)) => match Classifier::from_json(&body) {
            Ok(model) => Ok(model),
            Err(e) => {
                tracing::warn!(error = %e, "stored classifier unreadable; starting from the seed set");
                Ok(Classifier::seeded())
            }
        },
        None => Ok(Classifier::seeded()),
    }
}

/// The stored routing rules and when they were stored, or the default set (stamp 0) when none
/// are stored or the stored text no longer validates (with a warning, rather than keeping the
/// server from starting).
async fn load_routing(store: &dyn Store) -> Result<(RoutingRules, i64), AppError> {
    match store.model(ROUTING_RULES).await? {
        Some((body, at)) => match RoutingRules::from_toml(&body) {
            Ok(rules) => Ok((rules, at.micros())),
            Err(e) => {
                tracing::warn!(error = %e, "stored routing rules invalid; using the default set");
                Ok((RoutingRules::default_rules(), at.micros()))
            }
        },
        None => Ok((RoutingRules::default_rules(), 0)),
    }
}

/// The stored time limits and calendar, or the built-in ones, as [`load_routing`].
async fn load_flow(store: &dyn Store) -> Result<(Flow, i64), AppError> {
    match store.model(TIME_LIMITS).await? {
        Some((body, at)) => match settings::parse(&body) {
            Ok(flow) => Ok((flow, at.micros())),
            Err(e) => {
                tracing::warn!(error = %e, "stored time limits invalid; using the defaults");
                Ok((Flow::default(), at.micros()))
            }
        },
        None => Ok((Flow::default(), 0)),
    }
}
