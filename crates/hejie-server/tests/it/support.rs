//! The test harness: a [`TestApp`] drives `hejie_server::app` in process (no socket) over a fresh
//! SQLite database, with a small county of two townships and a user for every role in each of
//! them and at the county.

use std::sync::{Arc, LazyLock};

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use hejie_crypto::{KeyedSealer, MasterKey};
use hejie_domain::division::{Division, DivisionCode};
use hejie_domain::org::{
    CommitteeScope, Department, Organisation, OrganisationId, OrganisationKind, Stationing,
};
use hejie_domain::user::{Role, User, UserId};
use hejie_server::sms::MemorySms;
use hejie_server::{AppState, Config};
use hejie_store::Store;
use hejie_store::sqlite::SqliteStore;
use serde_json::{Value, json};
use tempfile::TempDir;
use tower::ServiceExt;
use uuid::Uuid;

pub const PASSWORD: &str = "correct-horse-42";

pub const COUNTY: &str = "339021000000";
pub const TOWN_A: &str = "339021100000";
pub const TOWN_B: &str = "339021101000";
pub const VILLAGE_A: &str = "339021100201";
pub const VILLAGE_B: &str = "339021101201";
pub const GRID_A: &str = "339021100201001";
pub const GRID_B: &str = "339021101201001";

/// A valid resident identity number (GB 11643 check digit) and a mobile number.
pub const ID_NUMBER: &str = "11010519491231002X";
pub const PHONE: &str = "13812345678";

/// Every role there is. A new role must be added here (the match makes the compiler say so).
pub const ROLES: [Role; 11] = [
    Role::Resident,
    Role::GridWorker,
    Role::Mediator,
    Role::LegalAdvisor,
    Role::JudicialGeneralAdvisor,
    Role::WindowClerk,
    Role::DepartmentHandler,
    Role::Supervisor,
    Role::CourtLiaison,
    Role::Admin,
    Role::System,
];

/// The wall clock, for what happens outside the application's clock (a migration's stamp).
pub fn wall_clock() -> hejie_domain::timestamp::Timestamp {
    use hejie_server::clock::{Clock, SystemClock};
    SystemClock.now()
}

pub fn role_code(role: Role) -> &'static str {
    match role {
        Role::Resident => "resident",
        Role::GridWorker => "grid_worker",
        Role::Mediator => "mediator",
        Role::LegalAdvisor => "legal_advisor",
        Role::JudicialGeneralAdvisor => "judicial_general_advisor",
        Role::WindowClerk => "window_clerk",
        Role::DepartmentHandler => "department_handler",
        Role::Supervisor => "supervisor",
        Role::CourtLiaison => "court_liaison",
        Role::Admin => "admin",
        Role::System => "system",
    }
}

/// Where a user works: the county, or one of the two townships.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Place {
    County,
    A,
    B,
}

impl Place {
    pub fn key(self) -> &'static str {
        match self {
            Place::County => "county",
            Place::A => "a",
            Place::B => "b",
        }
    }

    /// The other township (the county has none).
    pub fn other(self) -> Option<Place> {
        match self {
            Place::County => None,
            Place::A => Some(Place::B),
            Place::B => Some(Place::A),
        }
    }

    pub fn town(self) -> &'static str {
        match self {
            Place::County => COUNTY,
            Place::A => TOWN_A,
            Place::B => TOWN_B,
        }
    }

    pub fn village(self) -> &'static str {
        match self {
            Place::B => VILLAGE_B,
            _ => VILLAGE_A,
        }
    }

    pub fn grid(self) -> &'static str {
        match self {
            Place::B => GRID_B,
            _ => GRID_A,
        }
    }
}

/// The username of the fixture's user with `role` at `place`, e.g. `a-window_clerk`.
pub fn username(place: Place, role: Role) -> String {
    format!("{}-{}", place.key(), role_code(role))
}

/// The organisations of the fixture.
#[derive(Debug, Clone)]
pub struct Orgs {
    pub county_centre: Organisation,
    pub county_labour: Organisation,
    pub county_hr: Organisation,
    pub county_court: Organisation,
    pub centre_a: Organisation,
    pub centre_b: Organisation,
    /// The township committees: "another committee in the same township" as the village's.
    pub town_committee_a: Organisation,
    pub town_committee_b: Organisation,
    pub committee_a: Organisation,
    pub committee_b: Organisation,
    pub police_a: Organisation,
    pub police_b: Organisation,
    pub tribunal_a: Organisation,
    pub tribunal_b: Organisation,
}

impl Orgs {
    pub fn centre(&self, place: Place) -> &Organisation {
        match place {
            Place::County => &self.county_centre,
            Place::A => &self.centre_a,
            Place::B => &self.centre_b,
        }
    }

    /// The village committee that cases of the township are assigned to.
    pub fn committee(&self, place: Place) -> &Organisation {
        match place {
            Place::B => &self.committee_b,
            _ => &self.committee_a,
        }
    }

    /// The township's own mediation committee (the county's stands in for township A).
    pub fn town_committee(&self, place: Place) -> &Organisation {
        match place {
            Place::B => &self.town_committee_b,
            _ => &self.town_committee_a,
        }
    }

    /// The township's police station (the county's stands in for township A).
    pub fn police(&self, place: Place) -> &Organisation {
        match place {
            Place::B => &self.police_b,
            _ => &self.police_a,
        }
    }
}

/// Reference data and users written to a fresh store.
#[derive(Debug, Clone)]
pub struct Fixture {
    pub orgs: Orgs,
    pub users: Vec<User>,
}

impl Fixture {
    pub fn user(&self, username: &str) -> &User {
        self.users
            .iter()
            .find(|u| u.username == username)
            .unwrap_or_else(|| panic!("no fixture user {username}"))
    }
}

pub fn code(s: &str) -> DivisionCode {
    DivisionCode::parse(s).expect("valid division code")
}

/// A stable id derived from a label.
fn stable(label: &str) -> Uuid {
    let digest = hejie_crypto::sm3_hex(label.as_bytes());
    let hex = digest.get(..32).expect("an SM3 digest has 64 hex digits");
    Uuid::from_u128(u128::from_str_radix(hex, 16).expect("hex digits"))
}

fn org(key: &str, name: &str, division: &str, kind: OrganisationKind) -> Organisation {
    Organisation::new(
        OrganisationId(stable(&format!("org:{key}"))),
        name,
        code(division),
        kind,
    )
    .expect("valid organisation")
}

fn department(department: Department) -> OrganisationKind {
    OrganisationKind::Department {
        department,
        stationing: Stationing::Permanent,
    }
}

fn committee(scope: CommitteeScope) -> OrganisationKind {
    OrganisationKind::MediationCommittee { scope }
}

fn divisions() -> Vec<Division> {
    let d = |c: &str, name: &str, parent: Option<&str>| {
        Division::new(code(c), name, parent.map(code), 10_000).expect("valid division")
    };
    vec![
        d(COUNTY, "和安县", None),
        d(TOWN_A, "城关镇", Some(COUNTY)),
        d(TOWN_B, "溪口镇", Some(COUNTY)),
        d(VILLAGE_A, "东门村", Some(TOWN_A)),
        d(VILLAGE_B, "上溪村", Some(TOWN_B)),
        d(GRID_A, "东门村第1网格", Some(VILLAGE_A)),
        d(GRID_B, "上溪村第1网格", Some(VILLAGE_B)),
    ]
}

fn orgs() -> Orgs {
    Orgs {
        county_centre: org(
            "county-centre",
            "和安县矛盾纠纷调处化解中心",
            COUNTY,
            OrganisationKind::Centre,
        ),
        county_labour: org(
            "county-labour",
            "和安县劳动争议人民调解委员会",
            COUNTY,
            committee(CommitteeScope::Industry),
        ),
        county_hr: org(
            "county-hr",
            "和安县人力资源和社会保障局驻中心窗口",
            COUNTY,
            department(Department::HumanResources),
        ),
        county_court: org(
            "county-court",
            "和安县人民法院诉调对接工作室",
            COUNTY,
            department(Department::Court),
        ),
        centre_a: org(
            "a-centre",
            "城关镇矛盾纠纷调处化解中心",
            TOWN_A,
            OrganisationKind::Centre,
        ),
        centre_b: org(
            "b-centre",
            "溪口镇矛盾纠纷调处化解中心",
            TOWN_B,
            OrganisationKind::Centre,
        ),
        town_committee_a: org(
            "a-town-committee",
            "城关镇人民调解委员会",
            TOWN_A,
            committee(CommitteeScope::Township),
        ),
        town_committee_b: org(
            "b-town-committee",
            "溪口镇人民调解委员会",
            TOWN_B,
            committee(CommitteeScope::Township),
        ),
        committee_a: org(
            "a-committee",
            "东门村人民调解委员会",
            VILLAGE_A,
            committee(CommitteeScope::Village),
        ),
        committee_b: org(
            "b-committee",
            "上溪村人民调解委员会",
            VILLAGE_B,
            committee(CommitteeScope::Village),
        ),
        police_a: org(
            "a-police",
            "城关派出所",
            TOWN_A,
            department(Department::Police),
        ),
        police_b: org(
            "b-police",
            "溪口派出所",
            TOWN_B,
            department(Department::Police),
        ),
        tribunal_a: org(
            "a-tribunal",
            "城关人民法庭",
            TOWN_A,
            department(Department::Court),
        ),
        tribunal_b: org(
            "b-tribunal",
            "溪口人民法庭",
            TOWN_B,
            department(Department::Court),
        ),
    }
}

/// The jurisdiction and unit of the user with `role` at `place`: village staff sit in the
/// village (the grid worker in the grid), township staff in the township's units.
fn post(orgs: &Orgs, place: Place, role: Role) -> (&'static str, Option<&Organisation>) {
    let town = place.town();
    match (place, role) {
        (Place::County, Role::Mediator) => (COUNTY, Some(&orgs.county_labour)),
        (Place::County, Role::DepartmentHandler) => (COUNTY, Some(&orgs.county_hr)),
        (Place::County, Role::CourtLiaison) => (COUNTY, Some(&orgs.county_court)),
        (Place::County, Role::GridWorker) => (COUNTY, None),
        (_, Role::Resident | Role::LegalAdvisor) if place != Place::County => {
            (place.village(), None)
        }
        (_, Role::GridWorker) => (place.grid(), None),
        (_, Role::Mediator) => (place.village(), Some(orgs.committee(place))),
        (_, Role::WindowClerk | Role::JudicialGeneralAdvisor | Role::Supervisor) => {
            (town, Some(orgs.centre(place)))
        }
        (Place::A, Role::DepartmentHandler) => (town, Some(&orgs.police_a)),
        (Place::B, Role::DepartmentHandler) => (town, Some(&orgs.police_b)),
        (Place::A, Role::CourtLiaison) => (town, Some(&orgs.tribunal_a)),
        (Place::B, Role::CourtLiaison) => (town, Some(&orgs.tribunal_b)),
        _ => (town, None),
    }
}

fn users(orgs: &Orgs) -> Vec<User> {
    let mut users = Vec::new();
    for place in [Place::County, Place::A, Place::B] {
        for role in ROLES {
            let name = username(place, role);
            let (jurisdiction, unit) = post(orgs, place, role);
            users.push(
                User::new(
                    UserId(stable(&format!("user:{name}"))),
                    &name,
                    &format!("{}{}", place.key().to_uppercase(), role.label()),
                    role,
                    code(jurisdiction),
                    unit.map(|o| o.id),
                )
                .expect("valid user"),
            );
        }
    }
    // A mediator of the township committee: same township as the village committee, another unit.
    for (place, unit) in [
        (Place::A, &orgs.town_committee_a),
        (Place::B, &orgs.town_committee_b),
    ] {
        let name = format!("{}-town_mediator", place.key());
        users.push(
            User::new(
                UserId(stable(&format!("user:{name}"))),
                &name,
                "镇调委会调解员",
                Role::Mediator,
                code(place.town()),
                Some(unit.id),
            )
            .expect("valid user"),
        );
    }
    users
}

/// argon2 is slow on purpose: hash the one fixture password once per test binary.
static PASSWORD_HASH: LazyLock<String> = LazyLock::new(|| {
    hejie_server::auth::hash_password(PASSWORD).expect("hashing the fixture password")
});

async fn seed(store: &dyn Store) -> Fixture {
    for d in divisions() {
        store.put_division(&d).await.expect("saving a division");
    }
    let orgs = orgs();
    for o in [
        &orgs.county_centre,
        &orgs.county_labour,
        &orgs.county_hr,
        &orgs.county_court,
        &orgs.centre_a,
        &orgs.centre_b,
        &orgs.town_committee_a,
        &orgs.town_committee_b,
        &orgs.committee_a,
        &orgs.committee_b,
        &orgs.police_a,
        &orgs.police_b,
        &orgs.tribunal_a,
        &orgs.tribunal_b,
    ] {
        store
            .put_organisation(o)
            .await
            .expect("saving an organisation");
    }
    let users = users(&orgs);
    for u in &users {
        store.put_user(u).await.expect("saving a user");
        store
            .set_password(u.id, &PASSWORD_HASH)
            .await
            .expect("setting a password");
    }
    Fixture { orgs, users }
}

// ---------------------------------------------------------------------------------------------
// The application under test
// ---------------------------------------------------------------------------------------------

/// The application over its own database, driven in process.
#[derive(Debug)]
pub struct TestApp {
    pub state: AppState,
    pub fx: Fixture,
    /// The text messages the application sent (verification codes).
    pub sms: Arc<MemorySms>,
    router: Router,
    _dir: TempDir,
}

/// How a request authenticates.
#[derive(Debug, Clone)]
pub enum Auth {
    None,
    /// A browser session: the cookie, and the CSRF token sent as `X-CSRF-Token`.
    Session(Session),
    /// `Authorization: Bearer <token>`.
    Bearer(String),
}

/// A signed-in browser session.
#[derive(Debug, Clone)]
pub struct Session {
    /// `hejie_session=<token>`, ready for a `Cookie` header.
    pub cookie: String,
    pub csrf: String,
}

/// A response, read in full.
#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
    /// The body as sent, for binary downloads.
    pub bytes: Vec<u8>,
}

impl Resp {
    #[track_caller]
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("not JSON ({e}), status {}: {}", self.status, self.text))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts the status, showing the body when it differs; returns the body as JSON.
    #[track_caller]
    pub fn expect(&self, status: u16) -> Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected status; body: {}",
            self.text
        );
        self.json()
    }

    /// Asserts an error response: the status, and a JSON body `{code, message}` with this code.
    #[track_caller]
    pub fn expect_error(&self, status: u16, code: &str) -> Value {
        let body = self.expect(status);
        assert_eq!(body["code"], code, "error code; body: {}", self.text);
        assert!(
            body["message"].as_str().is_some_and(|m| !m.is_empty()),
            "an error has a message: {}",
            self.text
        );
        body
    }
}

/// A request being built.
#[derive(Debug)]
pub struct Req<'a> {
    app: &'a TestApp,
    method: Method,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Req<'_> {
    pub fn auth(mut self, auth: &Auth) -> Self {
        match auth {
            Auth::None => {}
            Auth::Session(s) => {
                self.headers
                    .push((header::COOKIE.to_string(), s.cookie.clone()));
                self.headers
                    .push(("x-csrf-token".to_owned(), s.csrf.clone()));
            }
            Auth::Bearer(t) => self
                .headers
                .push((header::AUTHORIZATION.to_string(), format!("Bearer {t}"))),
        }
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn json(self, body: &Value) -> Self {
        self.raw("application/json", body.to_string())
    }

    pub fn raw(mut self, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        self.headers
            .push((header::CONTENT_TYPE.to_string(), content_type.to_owned()));
        self.body = body.into();
        self
    }

    pub async fn send(self) -> Resp {
        let mut req = Request::builder()
            .method(self.method)
            .uri(escape_non_ascii(&self.path));
        for (k, v) in &self.headers {
            req = req.header(k.as_str(), v.as_str());
        }
        let req = req.body(Body::from(self.body)).expect("a valid request");
        let res = self
            .app
            .router
            .clone()
            .oneshot(req)
            .await
            .expect("the router is infallible");
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = axum::body::to_bytes(res.into_body(), 16 * 1024 * 1024)
            .await
            .expect("reading the body");
        Resp {
            status,
            headers,
            text: String::from_utf8_lossy(&bytes).into_owned(),
            bytes: bytes.to_vec(),
        }
    }
}

impl TestApp {
    pub async fn new() -> Self {
        Self::with_config(Config::default()).await
    }

    /// The application with its background scheduler off: a test with a fake clock drives the
    /// scheduler itself (`workflow::scheduler::tick`), so nothing runs between its steps.
    pub async fn manual_scheduler() -> Self {
        Self::with_config(Config {
            scheduler_poll_ms: 0,
            ..Config::default()
        })
        .await
    }

    pub async fn with_config(config: Config) -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let sqlite = SqliteStore::open(dir.path().join("hejie.db")).expect("opening SQLite");
        let store: Arc<dyn Store> = Arc::new(sqlite);
        store.migrate(wall_clock()).await.expect("migrating");
        let fx = seed(store.as_ref()).await;
        let sealer = Arc::new(KeyedSealer::new(&MasterKey::generate()));
        let sms = Arc::new(MemorySms::default());
        let config = Config {
            files_dir: Some(dir.path().join("files")),
            ..config
        };
        let state = AppState::new(store, sealer, sms.clone(), config)
            .await
            .expect("building the state");
        Self {
            sms,
            router: hejie_server::app(state.clone()),
            state,
            fx,
            _dir: dir,
        }
    }

    /// An application whose court endpoint is `http://127.0.0.1:{port}/filings`, with the
    /// scheduler driven by hand.
    pub async fn with_court(port: u16) -> Self {
        Self::with_config(Config {
            scheduler_poll_ms: 0,
            court_endpoint: Some(format!("http://127.0.0.1:{port}/filings")),
            ..Config::default()
        })
        .await
    }

    pub fn req(&self, method: Method, path: &str) -> Req<'_> {
        Req {
            app: self,
            method,
            path: path.to_owned(),
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    pub async fn get(&self, auth: &Auth, path: &str) -> Resp {
        self.req(Method::GET, path).auth(auth).send().await
    }

    pub async fn post_json(&self, auth: &Auth, path: &str, body: &Value) -> Resp {
        self.req(Method::POST, path)
            .auth(auth)
            .json(body)
            .send()
            .await
    }

    /// Tries to sign in; the raw response.
    pub async fn try_login(&self, username: &str, password: &str, cookie: Option<&str>) -> Resp {
        let mut req = self.req(Method::POST, "/api/v1/auth/login");
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        req.json(&json!({ "username": username, "password": password }))
            .send()
            .await
    }

    /// Signs in with the fixture password.
    pub async fn login(&self, username: &str) -> Session {
        session_of(&self.try_login(username, PASSWORD, None).await)
    }

    /// A bearer token for a user, issued directly in the store (no argon2 on the way).
    pub async fn bearer(&self, username: &str) -> Auth {
        let user = self.fx.user(username);
        let token = hejie_server::auth::random_token();
        self.state
            .store
            .create_api_token(
                &hejie_server::auth::token_hash(&token),
                user.id,
                "tests",
                self.state.now(),
            )
            .await
            .expect("issuing a token");
        Auth::Bearer(token)
    }

    /// Registers a case in `place`'s village (and grid) as `auth`; returns the case view.
    pub async fn register(&self, auth: &Auth, place: Place, description: &str) -> Value {
        self.post_json(auth, "/api/v1/cases", &registration(place, description))
            .await
            .expect(201)
    }

    /// Runs a command route on a case and expects success; returns the case view.
    /// Dispatches a case to its township's village committee (派单) and returns the case.
    pub async fn assign_to_committee(&self, auth: &Auth, id: &str, place: Place) -> Value {
        let committee = self.fx.orgs.committee(place).id.to_string();
        self.command(auth, id, "assign", json!({ "organisation_id": committee }))
            .await
    }

    /// Takes an accepted case of `place` through dispatch to its village committee, the
    /// mediator's receipt and the start of mediation, and records one session; returns the
    /// mediator's credentials.
    pub async fn mediate(&self, clerk: &Auth, id: &str, place: Place) -> Auth {
        self.assign_to_committee(clerk, id, place).await;
        let mediator = self.bearer(&format!("{}-mediator", place.key())).await;
        self.command(&mediator, id, "acknowledge", json!({})).await;
        self.command(
            &mediator,
            id,
            "start-mediation",
            json!({ "parties_consented": true }),
        )
        .await;
        self.command(
            &mediator,
            id,
            "sessions",
            json!({
                "mode": "in_person", "place": "东门村调解室", "attendees": "张三、李四",
                "minutes": "双方陈述事实，调解员释法说理，双方就主要分歧交换了意见。"
            }),
        )
        .await;
        mediator
    }

    pub async fn command(&self, auth: &Auth, id: &str, route: &str, body: Value) -> Value {
        self.post_json(auth, &format!("/api/v1/cases/{id}/{route}"), &body)
            .await
            .expect(200)
    }
}

/// Percent-encodes what a URI may not carry as is (Chinese query values, spaces).
fn escape_non_ascii(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_graphic() {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The session a successful sign-in started.
#[track_caller]
pub fn session_of(res: &Resp) -> Session {
    let body = res.expect(200);
    let set_cookie = res.header("set-cookie").expect("a Set-Cookie header");
    let cookie = set_cookie
        .split(';')
        .next()
        .expect("a cookie pair")
        .trim()
        .to_owned();
    Session {
        cookie,
        csrf: body["csrf_token"]
            .as_str()
            .expect("a CSRF token")
            .to_owned(),
    }
}

/// A valid registration in `place`'s village and grid, with two parties, one of them with an ID
/// number and a phone.
pub fn registration(place: Place, description: &str) -> Value {
    json!({
        "channel": "visit",
        "dispute_type": "neighbour",
        "parties": [
            { "name": "张三", "id_number": ID_NUMBER, "phone": PHONE, "address": "3组12号" },
            { "name": "李四" }
        ],
        "division": place.village(),
        "grid": place.grid(),
        "address": "3组12号",
        "description": description,
        "amount": "1200",
    })
}

/// A valid accept request.
pub fn accept_body() -> Value {
    json!({ "dispute_type": "neighbour", "severity": "ordinary", "track": "clinic" })
}

pub fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} is not a string in {v}"))
}

/// The text of a PDF, as a reader's tools extract it (poppler's `pdftotext -layout`).
pub fn pdf_text(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("document.pdf");
    std::fs::write(&path, pdf).expect("write");
    let out = std::process::Command::new("pdftotext")
        .args(["-layout", path.to_str().expect("utf-8"), "-"])
        .output()
        .expect("pdftotext (poppler-utils) runs");
    assert!(out.status.success(), "pdftotext failed");
    String::from_utf8(out.stdout).expect("utf-8")
}

/// A port nothing listens on (yet).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// The reference court receiver, trusting `app`'s platform key, listening on `port`.
pub async fn open_court(app: &TestApp, port: u16) -> Arc<hejie_court_receiver::Court> {
    let court =
        hejie_court_receiver::Court::new(&hejie_server::court::platform_public_key(&app.state));
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("the court's port");
    let router = hejie_court_receiver::router(Arc::clone(&court));
    tokio::spawn(async move { axum::serve(listener, router).await });
    court
}
