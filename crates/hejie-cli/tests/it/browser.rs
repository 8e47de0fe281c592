//! Browser tests in real headless Chromium (Debian's `chromium`, driven through `chromedriver`
//! with fantoccini) against the real `hejie demo` binary:
//!
//! - a window clerk signs in, registers a case at the window (typing Chinese), finds it in the
//!   list, opens its timeline and accepts and assigns it; the village committee's mediator signs
//!   in and acknowledges, mediates, records a session and closes it, and the timeline shows each
//!   step;
//! - a window clerk types a wage-arrears complaint and the form pre-selects 劳动争议 with risk flags
//!   and the proposed organisation; the clerk overrides another suggestion, registers, and the
//!   next suggestion for that text is the clerk's type;
//! - a resident applies online with an SMS code (read from the server's console), gets the case
//!   number and tracks the case by number and phone;
//! - a village case is overdue (dispatched in the past and marked by the scheduler): a township
//!   supervisor sees it on the 督办看板 and supervises it with a note and a new limit, and the
//!   village mediator finds the note and the new deadline on the case's row in 我的待办.
//!
//! Screenshots of the key steps are saved to `target/screenshots/`. These tests need `chromium`
//! and `chromedriver` (`apt-get install chromium chromium-driver`); without them they fail.

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const PASSWORD: &str = "demo1234";
/// The demo's personal-data key, one byte repeated.
const DEMO_KEY: &str = "5a";

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn wait_for_port(port: u16, child: &mut Child, what: &str, log: &Output) {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let deadline = Instant::now() + Duration::from_secs(90);
    while Instant::now() < deadline {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!(
                "{what} exited with {status} before listening:\n{}",
                log.text()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!(
        "{what} did not listen on port {port} within 90 s:\n{}",
        log.text()
    );
}

/// What a child process printed, collected by background threads.
#[derive(Debug, Clone, Default)]
struct Output(Arc<Mutex<Vec<String>>>);

impl Output {
    fn collect(&self, stream: impl std::io::Read + Send + 'static) {
        let lines = self.0.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                if let Ok(mut l) = lines.lock() {
                    l.push(line);
                }
            }
        });
    }

    fn lines(&self) -> Vec<String> {
        self.0.lock().map(|l| l.clone()).unwrap_or_default()
    }

    fn text(&self) -> String {
        self.lines().join("\n")
    }
}

/// `hejie demo` on a fresh SQLite file and a free port.
struct Demo {
    child: Child,
    base: String,
    out: Output,
    _dir: tempfile::TempDir,
}

fn demo_url(dir: &tempfile::TempDir) -> String {
    format!("sqlite:{}", dir.path().join("demo.db").display())
}

impl Demo {
    fn start() -> Self {
        Self::start_in(tempfile::tempdir().expect("temp dir"))
    }

    /// Creates the demo database in `dir` without serving it, so a test can add to it first.
    fn seed(dir: &tempfile::TempDir) {
        let out = Command::new(env!("CARGO_BIN_EXE_hejie"))
            .arg("--database")
            .arg(demo_url(dir))
            .args(["demo", "--cases", "80", "--no-serve"])
            .env("HEJIE_PII_KEY", DEMO_KEY.repeat(32))
            .env_remove("HEJIE_DATABASE_URL")
            .output()
            .expect("run hejie demo --no-serve");
        assert!(
            out.status.success(),
            "hejie demo --no-serve failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// `hejie demo` on the database in `dir` (created if new).
    fn start_in(dir: tempfile::TempDir) -> Self {
        let port = free_port();
        let mut child = Command::new(env!("CARGO_BIN_EXE_hejie"))
            .arg("--database")
            .arg(demo_url(&dir))
            .args(["demo", "--cases", "80", "--addr"])
            .arg(format!("127.0.0.1:{port}"))
            .env("HEJIE_PII_KEY", DEMO_KEY.repeat(32))
            .env_remove("HEJIE_DATABASE_URL")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start hejie demo");
        let out = Output::default();
        out.collect(child.stdout.take().expect("stdout"));
        out.collect(child.stderr.take().expect("stderr"));
        wait_for_port(port, &mut child, "hejie demo", &out);
        Demo {
            child,
            base: format!("http://127.0.0.1:{port}"),
            out,
            _dir: dir,
        }
    }

    /// The codes the demo's console SMS sender printed for `phone`, oldest first.
    fn codes_sent_to(&self, phone: &str) -> Vec<String> {
        let prefix = format!("【短信】发送至 {phone}：");
        self.out
            .lines()
            .iter()
            .filter(|l| l.starts_with(&prefix))
            .filter_map(|l| l.split("验证码是").nth(1))
            .map(|rest| rest.chars().take_while(char::is_ascii_digit).collect())
            .collect()
    }

    /// Waits for the `n`-th code sent to `phone` (counting from 1).
    fn code(&self, phone: &str, n: usize) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(c) = self.codes_sent_to(phone).get(n - 1) {
                assert_eq!(c.len(), 6, "a 6-digit code: {c}");
                return c.clone();
            }
            assert!(
                Instant::now() < deadline,
                "no SMS code #{n} for {phone} on the console:\n{}",
                self.out.text()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `chromedriver` on a free port.
struct Driver {
    child: Child,
    url: String,
}

impl Driver {
    fn start() -> Self {
        for (path, what) in [(CHROMIUM, "chromium"), (CHROMEDRIVER, "chromedriver")] {
            assert!(
                Path::new(path).exists(),
                "{what} is required for the browser tests but {path} does not exist; install it \
                 with `apt-get install -y chromium chromium-driver`"
            );
        }
        let port = free_port();
        let mut child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start chromedriver");
        let out = Output::default();
        out.collect(child.stdout.take().expect("stdout"));
        out.collect(child.stderr.take().expect("stderr"));
        wait_for_port(port, &mut child, "chromedriver", &out);
        Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    let dir = target.join("screenshots");
    std::fs::create_dir_all(&dir).expect("create target/screenshots");
    dir
}

/// A browser session on the demo, with the few moves the tests make.
struct Browser {
    c: Client,
    base: String,
}

impl Browser {
    async fn open(driver: &Driver, base: &str) -> Self {
        Self::open_with(driver, base, &[]).await
    }

    /// A session with more Chromium switches (e.g. fake camera and microphone).
    async fn open_with(driver: &Driver, base: &str, extra: &[&str]) -> Self {
        let mut args = vec![
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1280,900",
            "--lang=zh-CN",
        ];
        args.extend_from_slice(extra);
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), json!("chrome"));
        caps.insert(
            "goog:chromeOptions".into(),
            json!({ "binary": CHROMIUM, "args": args }),
        );
        let c = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&driver.url)
            .await
            .expect("a Chromium session through chromedriver");
        Browser {
            c,
            base: base.to_owned(),
        }
    }

    async fn goto(&self, path: &str) {
        self.c
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap_or_else(|e| panic!("open {path}: {e}"));
    }

    async fn path(&self) -> String {
        let url = self.c.current_url().await.expect("current url");
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        }
    }

    async fn find(&self, css: &str) -> fantoccini::elements::Element {
        match self.c.find(Locator::Css(css)).await {
            Ok(e) => e,
            Err(e) => panic!("find {css} on {}: {e}", self.path().await),
        }
    }

    async fn exists(&self, css: &str) -> bool {
        !self
            .c
            .find_all(Locator::Css(css))
            .await
            .unwrap_or_default()
            .is_empty()
    }

    /// Types into a field (after clearing it) and checks the field now holds exactly that text,
    /// which is how we know Chinese went through WebDriver intact.
    async fn fill(&self, css: &str, text: &str) {
        let e = self.find(css).await;
        e.clear().await.expect("clear");
        e.send_keys(text)
            .await
            .unwrap_or_else(|err| panic!("type into {css}: {err}"));
        let value = e.prop("value").await.expect("value").unwrap_or_default();
        assert_eq!(value, text, "{css} holds what was typed");
    }

    async fn select(&self, css: &str, value: &str) {
        self.find(css)
            .await
            .select_by_value(value)
            .await
            .unwrap_or_else(|e| panic!("select {value} in {css}: {e}"));
    }

    async fn select_label(&self, css: &str, label: &str) {
        self.find(css)
            .await
            .select_by_label(label)
            .await
            .unwrap_or_else(|e| panic!("select “{label}” in {css}: {e}"));
    }

    async fn click(&self, css: &str) {
        let e = self.find(css).await;
        // Into the middle of the window, clear of anything that overlaps the edges.
        self.c
            .execute(
                "arguments[0].scrollIntoView({block: 'center'});",
                vec![serde_json::to_value(&e).expect("element as json")],
            )
            .await
            .expect("scroll");
        e.click()
            .await
            .unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    /// Clicks a button that submits a form and waits for the next page to have loaded.
    async fn submit(&self, css: &str) {
        self.c
            .execute("window.__hejieOldPage = true;", vec![])
            .await
            .expect("mark page");
        self.click(css).await;
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let loaded = self
                .c
                .execute(
                    "return !window.__hejieOldPage && document.readyState === 'complete';",
                    vec![],
                )
                .await
                .ok()
                .and_then(|v| v.as_bool())
                .unwrap_or(false);
            if loaded {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "no new page after clicking {css}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.expect("text")
    }

    async fn texts(&self, css: &str) -> Vec<String> {
        let mut out = Vec::new();
        for e in self.c.find_all(Locator::Css(css)).await.expect("find all") {
            out.push(e.text().await.expect("text"));
        }
        out
    }

    /// Scrolls the first element matching `css` to the top of the window, then takes a shot.
    async fn shot_of(&self, name: &str, css: &str) {
        self.c
            .execute(
                "document.querySelector(arguments[0]).scrollIntoView({block: 'start'});",
                vec![json!(css)],
            )
            .await
            .expect("scroll");
        self.shot(name).await;
    }

    async fn shot(&self, name: &str) {
        let png = self.c.screenshot().await.expect("screenshot");
        let path = screenshot_dir().join(format!("{name}.png"));
        std::fs::write(&path, png).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    }

    async fn sign_in(&self, username: &str) {
        self.goto("/login").await;
        self.fill("#username", username).await;
        self.fill("#password", PASSWORD).await;
        self.submit("form[action='/login'] button[type=submit]")
            .await;
        assert_eq!(self.path().await, "/", "{username} signed in");
        assert!(self.text("main h1").await.contains("您好"));
    }

    async fn sign_out(&self) {
        self.submit("form[action='/logout'] button").await;
        assert!(self.path().await.starts_with("/login"));
    }

    /// Opens an action's form on the case page, if it is folded.
    async fn open_action(&self, action: &str) {
        let details = self.find(&format!("#act-{action}")).await;
        if details.attr("open").await.expect("attr").is_none() {
            self.click(&format!("#act-{action} > summary")).await;
        }
    }

    /// Submits an action's form and checks the page says it was done.
    async fn act(&self, action: &str, notice: &str) {
        // The form that posts to this action (the assign box also holds the routing proposal).
        self.submit(&format!(
            "#act-{action} form[action$=\"/{action}\"] button[type=submit]"
        ))
        .await;
        let path = self.path().await;
        assert!(
            path.contains(&format!("done={action}")),
            "{action} went through, but the page is {path}: {}",
            self.texts(".alert").await.join(" / ")
        );
        assert!(self.text("#notice").await.contains(notice));
    }

    /// Waits up to five seconds for a script expression to be true.
    async fn wait_for(&self, js: &str, what: &str) {
        self.wait_for_secs(js, what, 5).await;
    }

    /// Waits up to `secs` seconds for a script expression to be true.
    async fn wait_for_secs(&self, js: &str, what: &str, secs: u64) {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let ok = self
                .c
                .execute(&format!("return !!({js});"), vec![])
                .await
                .ok()
                .and_then(|v| v.as_bool())
                .unwrap_or(false);
            if ok {
                return;
            }
            assert!(Instant::now() < deadline, "{what} within {secs} s ({js})");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn value(&self, css: &str) -> String {
        self.find(css)
            .await
            .prop("value")
            .await
            .expect("value")
            .unwrap_or_default()
    }

    async fn close(self) {
        let _ = self.c.close().await;
    }

    /// Sends a Chrome DevTools Protocol command through chromedriver (network emulation,
    /// geolocation, permissions).
    async fn cdp(&self, cmd: &str, params: serde_json::Value) -> serde_json::Value {
        self.c
            .issue_cmd(Cdp {
                cmd: cmd.to_owned(),
                params,
            })
            .await
            .unwrap_or_else(|e| panic!("CDP {cmd}: {e}"))
    }

    /// Turns the network off or on as DevTools' offline switch does: requests fail and the page
    /// sees `navigator.onLine` change with `offline`/`online` events.
    async fn set_offline(&self, offline: bool) {
        self.cdp("Network.enable", json!({})).await;
        self.cdp(
            "Network.emulateNetworkConditions",
            json!({"offline": offline, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}),
        )
        .await;
    }

    /// Lets the page read this position through the Geolocation API.
    async fn set_position(&self, lat: f64, lon: f64) {
        let origin = self.base.clone();
        self.cdp(
            "Browser.grantPermissions",
            json!({"permissions": ["geolocation"], "origin": origin}),
        )
        .await;
        self.cdp(
            "Emulation.setGeolocationOverride",
            json!({"latitude": lat, "longitude": lon, "accuracy": 8}),
        )
        .await;
    }

    /// Runs an async script (`done` is its last argument's callback) and returns its value.
    async fn run_async(&self, js: &str) -> serde_json::Value {
        self.c
            .execute_async(js, vec![])
            .await
            .unwrap_or_else(|e| panic!("script {js}: {e}"))
    }
}

/// chromedriver's `goog/cdp/execute` endpoint.
#[derive(Debug)]
struct Cdp {
    cmd: String,
    params: serde_json::Value,
}

impl fantoccini::wd::WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (axum::http::Method, Option<String>) {
        (
            axum::http::Method::POST,
            Some(json!({"cmd": self.cmd, "params": self.params}).to_string()),
        )
    }
}

/// A phone number nobody in the demo data has, different for every run.
fn fresh_phone(prefix: &str) -> String {
    let n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{prefix}{:08}", (n / 7 + std::process::id()) % 100_000_000)
}

#[tokio::test(flavor = "multi_thread")]
async fn clerk_registers_and_the_committee_closes_a_case() {
    let demo = Demo::start();
    let driver = Driver::start();
    let b = Browser::open(&driver, &demo.base).await;

    // Signed out, a page sends you to sign in and brings you back afterwards.
    b.goto("/cases").await;
    assert_eq!(b.path().await, "/login?next=%2Fcases");
    b.shot("01-login").await;

    b.sign_in("clerk").await;
    b.shot("02-workbench").await;

    // 一窗受理: first without a description, which is refused with what was typed kept.
    b.goto("/intake").await;
    let phone = fresh_phone("199");
    let description =
        "申请人张秀兰反映：邻居李建国长期在楼道堆放杂物，阻碍通行，多次协商未果，请求调解。";
    b.select("#channel", "phone").await;
    b.select("#dispute_type", "neighbour").await;
    b.fill("#p0_name", "张秀兰").await;
    b.fill("#p0_id_number", "339021198503121238").await;
    b.fill("#p0_phone", &phone).await;
    b.fill("#p0_address", "和安县东门社区幸福路12号").await;
    b.fill("#p1_name", "李建国").await;
    b.select("#division", "339021100001").await;
    // The script offers only the grids of the chosen community.
    let grids = b.texts("#grid option").await;
    assert!(
        grids.iter().skip(1).all(|g| g.starts_with("东门社区")),
        "grids of 东门社区 only: {grids:?}"
    );
    b.select("#grid", "339021100001001").await;
    b.fill("#address", "东门社区幸福路12号3单元楼道").await;
    b.submit(".submit-bar button[type=submit]").await;
    assert_eq!(b.path().await, "/intake");
    assert!(
        b.text("#description + .field-error")
            .await
            .contains("不能为空")
    );
    assert_eq!(
        b.find("#p0_name")
            .await
            .prop("value")
            .await
            .expect("value")
            .as_deref(),
        Some("张秀兰"),
        "typed values are kept after an error"
    );
    b.shot("03-intake-error").await;

    b.fill("#description", description).await;
    b.submit(".submit-bar button[type=submit]").await;
    if b.exists("input[name=force]").await {
        // The demo data happened to have an open case of the same person.
        b.click("input[name=force]").await;
        b.submit(".submit-bar button[type=submit]").await;
    }
    let case_path = b.path().await;
    assert!(
        case_path.starts_with("/cases/") && case_path.ends_with("?done=register"),
        "registered: {case_path}"
    );
    let case_path = case_path.trim_end_matches("?done=register").to_owned();
    let number = b.text(".case-number").await;
    assert!(b.text("#notice").await.contains("案件已登记"));
    assert_eq!(b.text(".description").await, description);
    assert!(
        b.text(".parties").await.contains("199****"),
        "phone is masked"
    );
    b.shot("04-registered").await;

    // The list finds it.
    b.goto("/cases?status=registered").await;
    assert!(
        b.texts("td.c-number a").await.contains(&number),
        "{number} in the list of cases waiting for acceptance"
    );
    b.shot("05-list").await;
    b.submit(&format!("td.c-number a[href='{case_path}']"))
        .await;
    assert_eq!(b.path().await, case_path);
    // Besides the people's steps, the timeline holds the time limits set with each hand-over
    // (设定时限) and a scheduled follow-up (安排回访), recorded by the time-limit policy.
    let steps = |labels: Vec<String>| -> Vec<String> {
        labels
            .into_iter()
            .filter(|l| !matches!(l.as_str(), "设定时限" | "安排回访"))
            .collect()
    };
    assert_eq!(steps(b.texts(".tl-label").await), ["登记"]);
    assert!(b.texts(".tl-label").await.contains(&"设定时限".to_owned()));

    // 受理 → 派单 to the community's mediation committee.
    b.open_action("accept").await;
    b.select("#accept-severity", "ordinary").await;
    b.select("#accept-track", "clinic").await;
    b.fill("#accept-note", "邻里纠纷，由社区调委会调解").await;
    b.act("accept", "已受理").await;
    b.open_action("assign").await;
    b.select_label("#assign-org", "东门社区人民调解委员会")
        .await;
    b.act("assign", "已派单").await;
    assert_eq!(b.text(".case-head .status").await, "待签收");
    b.shot("06-assigned").await;
    b.sign_out().await;

    // The committee's mediator: 签收 → 开始调解 → 调解记录 → 结案.
    b.sign_in("t0v0").await;
    assert!(
        b.texts("td.c-number a").await.contains(&number),
        "the case is in the committee's queue"
    );
    b.goto(&case_path).await;
    b.act("acknowledge", "已签收").await;
    b.open_action("start-mediation").await;
    b.click("#act-start-mediation input[name=parties_consented]")
        .await;
    b.act("start-mediation", "已开始调解").await;
    b.open_action("sessions").await;
    b.select("#s-mode", "in_person").await;
    b.fill("#s-place", "东门社区调解室").await;
    b.fill("#s-attendees", "张秀兰、李建国").await;
    b.fill(
        "#s-minutes",
        "双方陈述事实。经调解，李建国同意三日内清理楼道杂物，今后不再占用公共通道。",
    )
    .await;
    b.act("sessions", "调解记录已保存").await;
    b.open_action("close").await;
    b.select("#close-outcome", "succeeded").await;
    b.fill(
        "#close-agreement",
        "李建国于三日内清理楼道杂物；双方今后互谅互让，和睦相处。",
    )
    .await;
    b.act("close", "已结案").await;
    assert_eq!(b.text(".case-head .status").await, "已结案");

    // The timeline shows every step, who did it and the hash of each event.
    assert_eq!(
        steps(b.texts(".tl-label").await),
        [
            "登记",
            "受理",
            "派单",
            "签收",
            "开始调解",
            "调解记录",
            "结案"
        ]
    );
    let timeline = b.text(".timeline").await;
    for expected in [
        "窗口受理员",
        "人民调解员",
        "派单至东门社区人民调解委员会",
        "调解成功结案",
    ] {
        assert!(timeline.contains(expected), "timeline mentions {expected}");
    }
    assert_eq!(
        b.texts(".tl-meta .hash").await.len(),
        b.texts(".tl-label").await.len(),
        "every event shows its hash"
    );
    b.shot_of("07-closed-timeline", ".area-timeline").await;
    b.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn resident_applies_online_and_tracks_the_case() {
    let demo = Demo::start();
    let driver = Driver::start();
    let b = Browser::open(&driver, &demo.base).await;
    let phone = fresh_phone("137");

    // 网上申请调解: name and phone, then the code the SMS sender printed.
    b.goto("/apply").await;
    b.fill("#name", "王小明").await;
    b.fill("#phone", &phone).await;
    b.submit("#send-code").await;
    assert!(b.text(".alert-ok").await.contains("验证码已发送"));
    assert_eq!(
        b.find("#name")
            .await
            .prop("value")
            .await
            .expect("value")
            .as_deref(),
        Some("王小明"),
        "the form is kept while the code is sent"
    );
    let code = demo.code(&phone, 1);
    b.fill("#other_name", "赵大海").await;
    b.select("#division", "339021100002").await;
    b.select("#dispute_type", "neighbour").await;
    b.fill(
        "#description",
        "楼上邻居赵大海家卫生间漏水，导致我家天花板发霉，多次沟通未果，希望调解解决维修和赔偿。",
    )
    .await;
    // A wrong code is refused, and tells how many tries are left.
    let wrong = if code == "000000" { "111111" } else { "000000" };
    b.fill("#code", wrong).await;
    b.submit("fieldset:last-of-type button.btn-primary").await;
    assert!(b.text("#code ~ .field-error").await.contains("还可尝试4次"));
    b.shot("11-apply-wrong-code").await;
    b.fill("#code", &code).await;
    b.submit("fieldset:last-of-type button.btn-primary").await;
    assert!(b.path().await.starts_with("/apply/done"));
    let number = b.text("#case-number").await;
    assert!(number.starts_with("339021-"), "a case number: {number}");
    b.shot("12-apply-done").await;

    // 案件查询 by number and phone.
    b.submit("a.btn-primary").await;
    assert_eq!(
        b.find("#number")
            .await
            .prop("value")
            .await
            .expect("value")
            .as_deref(),
        Some(number.as_str())
    );
    b.fill("#phone", &phone).await;
    b.submit("#send-code").await;
    let code = demo.code(&phone, 2);
    b.fill("#code", &code).await;
    b.submit("form.public-form > button.btn-primary").await;
    assert!(b.text(".progress h2").await.contains(&number));
    assert_eq!(b.text(".progress .status").await, "待受理");
    // Applying is the applicant's consent to mediation (Art. 17), on record with the case.
    assert_eq!(b.texts(".progress .tl-label").await, ["登记", "调解意愿"]);
    assert!(b.text(".progress").await.contains("经网上申请登记"));
    b.shot("13-track").await;

    // The township centre that received it has it in its queue.
    b.sign_in("t0-centre").await;
    assert!(
        b.texts("td.c-number a").await.contains(&number),
        "the online application is in 城关街道's queue"
    );
    b.shot("14-centre-queue").await;
    b.close().await;
}

/// The suggestion panel is shown and its first proposed type is `code`.
fn suggested(code: &str) -> String {
    format!(
        "!document.querySelector('#suggest').hidden && \
         document.querySelector('#suggest .chip-top') && \
         document.querySelector('#suggest .chip-top').getAttribute('data-type') === '{code}'"
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn intake_suggests_type_risk_and_route_and_learns_the_clerks_override() {
    let demo = Demo::start();
    let driver = Driver::start();
    let b = Browser::open(&driver, &demo.base).await;
    b.sign_in("clerk").await;

    // Typing a wage-arrears complaint pre-selects 劳动争议 and explains why.
    b.goto("/intake").await;
    assert!(
        b.find("#suggest")
            .await
            .attr("hidden")
            .await
            .expect("attr")
            .is_some()
    );
    b.select("#division", "339021100001").await;
    b.c.execute(
        "document.querySelector('input[name=accept_now]').scrollIntoView({block: 'center'});",
        vec![],
    )
    .await
    .expect("scroll");
    b.click("input[name=accept_now]").await;
    b.fill(
        "#description",
        "包工头拖欠我们二十多个工人三个月工资，快过年了还不给，大家说要去县政府门口拉横幅",
    )
    .await;
    b.wait_for(&suggested("labour"), "a labour suggestion")
        .await;
    b.wait_for(
        "document.querySelector('#dispute_type').value === 'labour'",
        "劳动争议 pre-selected",
    )
    .await;
    assert_eq!(b.value("#dispute_type").await, "labour");
    let panel = b.text("#suggest").await;
    assert!(
        panel.contains("劳动争议") && panel.contains("依据："),
        "{panel}"
    );
    let flags = b.texts("#suggest .suggest-flags li").await.join(" / ");
    assert!(
        flags.contains("欠薪") && flags.contains("聚集"),
        "risk flags: {flags}"
    );
    let org = b.text("#suggest .suggest-org").await;
    assert!(org.contains("调解") || org.contains("中心"), "route: {org}");
    assert!(panel.contains("规则"), "the rule's reason: {panel}");
    // Severity and track in the acceptance section follow the risk assessment.
    assert!(!b.value("#severity").await.is_empty());
    assert!(!b.value("#track").await.is_empty());
    b.shot_of("20-intake-suggest", "#description").await;
    b.c.set_window_size(390, 844).await.expect("phone size");
    b.shot_of("21-intake-suggest-phone", "#suggest").await;
    b.c.set_window_size(1280, 900).await.expect("desktop size");

    // Another complaint: the clerk overrides the suggested type by hand and registers.
    b.goto("/intake").await;
    let text = "小区门口的烧烤摊每天晚上油烟很大，熏得我们家没法开窗";
    b.select("#division", "339021100001").await;
    b.fill("#description", text).await;
    b.wait_for(
        "!document.querySelector('#suggest').hidden && document.querySelector('#suggest .chip-top')",
        "a suggestion",
    )
    .await;
    let first = b
        .find("#suggest .chip-top")
        .await
        .attr("data-type")
        .await
        .expect("attr")
        .expect("a type");
    b.wait_for(
        &format!("document.querySelector('#dispute_type').value === '{first}'"),
        "the first suggestion pre-selected",
    )
    .await;
    let chosen = if first == "pollution" {
        "neighbour"
    } else {
        "pollution"
    };
    b.select("#dispute_type", chosen).await;
    // Typing on does not undo the clerk's choice.
    b.fill("#description", &format!("{text}。")).await;
    b.wait_for(&suggested(&first), "a fresh suggestion").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        b.value("#dispute_type").await,
        chosen,
        "the clerk's choice stays"
    );
    b.fill("#description", text).await;
    b.fill("#p0_name", "王春梅").await;
    b.fill("#p1_name", "刘记烧烤店").await;
    b.select("#p1_kind", "organisation").await;
    b.submit(".submit-bar button[type=submit]").await;
    if b.exists("input[name=force]").await {
        b.click("input[name=force]").await;
        b.submit(".submit-bar button[type=submit]").await;
    }
    let path = b.path().await;
    assert!(
        path.starts_with("/cases/") && path.ends_with("?done=register"),
        "registered: {path}: {}",
        b.texts(".alert, .field-error").await.join(" / ")
    );

    // The override was learned: the same complaint now suggests the clerk's type first.
    b.goto("/intake").await;
    b.select("#division", "339021100001").await;
    b.fill("#description", text).await;
    b.wait_for(&suggested(chosen), "the learned type first")
        .await;
    assert_eq!(b.value("#dispute_type").await, chosen);
    b.shot_of("22-intake-learned", "#description").await;
    b.close().await;
}

/// Registers, accepts, dispatches to `t0v0`'s village committee and acknowledges a case at a past
/// instant chosen so that its 7-working-day limit ran out shortly before now (but not so long
/// ago that it was escalated automatically), then runs the scheduler at the real now, which marks
/// it overdue. Adds a township supervisor (`t0-supervisor`). Works on the demo's SQLite file
/// before the server starts, through the same application layer the server uses.
/// The seeded demo database in `dir` and the server's state over it (the demo's key, the
/// scheduler left to the test), for adding to it in process before it is served.
async fn demo_state(
    dir: &tempfile::TempDir,
) -> (Arc<dyn hejie_store::Store>, hejie_server::AppState) {
    let store = hejie_store::open(&demo_url(dir))
        .await
        .expect("open the demo db");
    store.migrate(crate::now()).await.expect("migrate");
    let key = hejie_crypto::MasterKey::from_hex(&DEMO_KEY.repeat(32)).expect("key");
    let state = hejie_server::AppState::new(
        store.clone(),
        Arc::new(hejie_crypto::KeyedSealer::new(&key)),
        Arc::new(hejie_server::sms::ConsoleSms),
        hejie_server::Config {
            scheduler_poll_ms: 0,
            ..hejie_server::Config::default()
        },
    )
    .await
    .expect("app state");
    (store, state)
}

async fn overdue_village_case(dir: &tempfile::TempDir) -> (String, String) {
    use hejie_domain::case::{Command as Cmd, DisputeType, PersonRef, Severity, Track};
    use hejie_domain::clock::{Clock, Limit};
    use hejie_domain::division::Level;
    use hejie_domain::timestamp::Timestamp;
    use hejie_domain::user::{Role, User, UserId};
    use hejie_server::cases::{self, PartyInput, RegisterInput};

    let (store, state) = demo_state(dir).await;
    let users = store.users().await.expect("users");
    let by_name = |n: &str| {
        users
            .iter()
            .find(|u| u.username == n)
            .cloned()
            .unwrap_or_else(|| panic!("demo user {n}"))
    };
    let (clerk, mediator, centre) = (by_name("clerk"), by_name("t0v0"), by_name("t0-centre"));
    let r = state.reference();
    let village_org = r.orgs[&mediator.organisation.expect("t0v0's committee")].clone();
    let village = village_org.division.clone();
    let township = village.ancestor_at(Level::Township).expect("township");

    let supervisor = User::new(
        UserId(uuid::Uuid::now_v7()),
        "t0-supervisor",
        "镇督办员",
        Role::Supervisor,
        township,
        centre.organisation,
    )
    .expect("a valid user");
    store.put_user(&supervisor).await.expect("add supervisor");
    let hash = hejie_server::auth::hash_password(PASSWORD).expect("hash");
    store
        .set_password(supervisor.id, &hash)
        .await
        .expect("password");
    state.reload_reference().await.expect("reload");

    // The latest instant, on the half hour, from which 7 working days are already over.
    let now = state.now();
    let cal = state.flow().calendar.clone();
    let limit = Limit::parse("7wd").expect("limit");
    let mut started = now.plus_seconds(-7 * 86_400);
    while !(Clock { started, limit }).read(&[], &cal, now).overdue {
        started = started.plus_seconds(-1_800);
    }
    state.set_now(started);
    let input = RegisterInput {
        channel: "visit".to_owned(),
        dispute_type: "neighbour".to_owned(),
        parties: vec![
            PartyInput {
                name: "赵建国".to_owned(),
                ..PartyInput::default()
            },
            PartyInput {
                name: "钱卫东".to_owned(),
                ..PartyInput::default()
            },
        ],
        division: village.to_string(),
        description: "两户因院墙排水沟堵塞，雨水倒灌入赵家院内，多次争吵未果。".to_owned(),
        ..RegisterInput::default()
    };
    let id = cases::register(&state, &clerk, &input)
        .await
        .expect("register")
        .case_id;
    for (user, command) in [
        (
            &clerk,
            Cmd::Accept {
                dispute_type: DisputeType::parse("neighbour").expect("type"),
                severity: Severity::Ordinary,
                track: Track::Clinic,
                note: None,
            },
        ),
        (
            &clerk,
            Cmd::Assign {
                organisation: hejie_domain::case::OrgRef::of(&village_org),
                person: None,
                note: None,
            },
        ),
        (
            &mediator,
            Cmd::Acknowledge {
                person: Some(PersonRef {
                    id: mediator.id,
                    name: mediator.name.clone(),
                }),
            },
        ),
    ] {
        cases::run(&state, user, id, None, command)
            .await
            .unwrap_or_else(|e| panic!("run a command for {}: {e}", user.username));
    }
    // Back to the real clock; the scheduler marks the case overdue.
    state.set_now(Timestamp::from_micros(0));
    hejie_server::workflow::scheduler::tick(&state, state.now())
        .await
        .expect("scheduler tick");
    let case = store.load(id).await.expect("load");
    let case = case.case().expect("case");
    assert!(
        case.clocks.overdue_since().is_some(),
        "the case is marked overdue: {:?}",
        case.clocks
    );
    assert_eq!(
        case.holder.as_ref().map(|h| h.organisation.id),
        Some(village_org.id),
        "still held by the village (not escalated automatically)"
    );
    (id.to_string(), case.number.to_string())
}

#[tokio::test(flavor = "multi_thread")]
async fn supervisor_supervises_an_overdue_case_and_the_mediator_sees_it_in_the_queue() {
    let dir = tempfile::tempdir().expect("temp dir");
    Demo::seed(&dir);
    let (id, number) = overdue_village_case(&dir).await;
    let demo = Demo::start_in(dir);
    let driver = Driver::start();
    let b = Browser::open(&driver, &demo.base).await;

    // The township supervisor finds the overdue case on the board.
    b.sign_in("t0-supervisor").await;
    b.goto("/board").await;
    let row = format!("#board li[data-number=\"{number}\"]");
    assert!(
        b.exists(&row).await,
        "{number} is on the board: {}",
        b.text("main").await
    );
    assert!(b.text(&row).await.contains("已超期"));
    assert!(b.text(".bar-chart").await.contains("件"));
    b.shot("loop-1-board").await;

    // 督办 with a note and a new limit of 2 working days.
    let note = "请两日内约谈双方，疏通排水沟并达成协议";
    b.fill(&format!("#limit-{id}"), "2").await;
    b.fill(&format!("#note-{id}"), note).await;
    b.submit(&format!("{row} form button[type=submit]")).await;
    let path = b.path().await;
    assert!(
        path.starts_with("/board?done="),
        "supervised, but the page is {path}: {}",
        b.texts(".alert, .field-error").await.join(" / ")
    );
    assert!(b.text("#notice").await.contains(&number));
    b.shot("loop-2-board-supervised").await;
    b.sign_out().await;

    // The village mediator sees the note and the new deadline in the queue.
    b.sign_in("t0v0").await;
    b.goto("/queue").await;
    let line = format!("#queue tr[data-number=\"{number}\"] .supervision-note");
    assert!(
        b.exists(&line).await,
        "{number} has a supervision note in the queue: {}",
        b.text("main").await
    );
    let text = b.text(&line).await;
    assert!(text.contains(note), "{text}");
    assert!(text.contains("镇督办员"), "{text}");
    assert!(text.contains("新期限") && text.contains("月"), "{text}");
    let countdown = b
        .text(&format!("#queue tr[data-number=\"{number}\"] .countdown"))
        .await;
    assert!(countdown.starts_with("剩余"), "a fresh limit: {countdown}");
    b.shot("loop-3-queue").await;

    // The notification centre has the 督办, and opening it marks it read and shows the case.
    b.goto("/notifications").await;
    assert!(
        b.text(".notifications")
            .await
            .contains(&format!("督办 {number}"))
    );
    b.shot("loop-4-notifications").await;
    b.submit(".notification.is-unread .n-button").await;
    assert!(b.path().await.starts_with("/cases/"));
    b.goto(&format!("/cases/{id}")).await;
    assert!(b.text("#time-panel").await.contains(note));
    b.shot_of("loop-5-case-time-panel", "#time-panel").await;

    // 中止计时 from the case page: refused without a reason (shown next to the field, the note
    // kept), then done; the panel says the clocks stand still, and 恢复计时 starts them again.
    b.open_action("pause").await;
    b.fill("#pause-note", "等待排水沟产权的鉴定结论").await;
    b.submit("#act-pause form button[type=submit]").await;
    assert!(
        b.text("#act-pause .field-error")
            .await
            .contains("中止计时的原因"),
        "{}",
        b.texts(".alert").await.join(" / ")
    );
    assert_eq!(b.value("#pause-note").await, "等待排水沟产权的鉴定结论");
    b.select("#pause-reason", "appraisal").await;
    b.act("pause", "已中止计时").await;
    assert!(b.text("#time-panel").await.contains("已中止计时"));
    b.shot_of("loop-6-case-paused", "#time-panel").await;
    b.open_action("resume").await;
    b.act("resume", "已恢复计时").await;
    assert!(!b.text("#time-panel").await.contains("已中止计时"));
    b.goto("/sweeps").await;
    b.shot("loop-7-sweeps").await;
    b.close().await;
}

/// A case in mediation at `t0v0`'s village with `t0v0` as its mediator, whose first party has
/// `phone`; made in process on the seeded demo database before it is served.
async fn mediating_case(dir: &tempfile::TempDir, phone: &str) -> (String, String) {
    use hejie_domain::case::{Command as Cmd, DisputeType, PersonRef, Severity, Track};
    use hejie_server::cases::{self, PartyInput, RegisterInput};

    let (store, state) = demo_state(dir).await;
    let users = store.users().await.expect("users");
    let by_name = |n: &str| {
        users
            .iter()
            .find(|u| u.username == n)
            .cloned()
            .unwrap_or_else(|| panic!("demo user {n}"))
    };
    let (clerk, mediator) = (by_name("clerk"), by_name("t0v0"));
    let village_org = state.reference().orgs[&mediator.organisation.expect("a committee")].clone();
    let input = RegisterInput {
        channel: "visit".to_owned(),
        dispute_type: "neighbour".to_owned(),
        parties: vec![
            PartyInput {
                name: "孙立新".to_owned(),
                phone: phone.to_owned(),
                ..PartyInput::default()
            },
            PartyInput {
                name: "周海燕".to_owned(),
                ..PartyInput::default()
            },
        ],
        division: village_org.division.to_string(),
        description: "楼上住户周海燕家阳台渗水，导致楼下孙立新家墙面受损，双方就维修发生争执。"
            .to_owned(),
        ..RegisterInput::default()
    };
    let id = cases::register(&state, &clerk, &input)
        .await
        .expect("register")
        .case_id;
    let me = PersonRef {
        id: mediator.id,
        name: mediator.name.clone(),
    };
    for (user, command) in [
        (
            &clerk,
            Cmd::Accept {
                dispute_type: DisputeType::parse("neighbour").expect("type"),
                severity: Severity::Ordinary,
                track: Track::Clinic,
                note: None,
            },
        ),
        (
            &clerk,
            Cmd::Assign {
                organisation: hejie_domain::case::OrgRef::of(&village_org),
                person: None,
                note: None,
            },
        ),
        (
            &mediator,
            Cmd::Acknowledge {
                person: Some(me.clone()),
            },
        ),
        (
            &mediator,
            Cmd::StartMediation {
                mediator: me.clone(),
                parties_consented: true,
            },
        ),
    ] {
        cases::run(&state, user, id, None, command)
            .await
            .unwrap_or_else(|e| panic!("run a command for {}: {e}", user.username));
    }
    let number = store
        .load(id)
        .await
        .expect("load")
        .case()
        .expect("case")
        .number
        .to_string();
    (id.to_string(), number)
}

/// The online room: the mediator (signed in) and a party (through 案件查询 with an SMS code) join
/// the case's room in two Chromium sessions with fake cameras, their browsers connect directly
/// (WebRTC `connected`), and a chat message goes each way; the case's timeline records it.
#[tokio::test(flavor = "multi_thread")]
async fn mediator_and_party_meet_in_the_online_room_with_video_and_chat() {
    let dir = tempfile::tempdir().expect("temp dir");
    Demo::seed(&dir);
    let phone = fresh_phone("135");
    let (id, number) = mediating_case(&dir, &phone).await;
    let demo = Demo::start_in(dir);
    let driver = Driver::start();
    let media = [
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
    ];

    let m = Browser::open_with(&driver, &demo.base, &media).await;
    m.sign_in("t0v0").await;
    m.goto(&format!("/cases/{id}")).await;
    m.submit("#enter-room").await;
    assert!(m.path().await.ends_with("/room"), "{}", m.path().await);
    m.wait_for(
        "document.getElementById('room').dataset.joined === 'true'",
        "the mediator is in the room",
    )
    .await;

    let p = Browser::open_with(&driver, &demo.base, &media).await;
    p.goto("/track").await;
    p.fill("#number", &number).await;
    p.fill("#phone", &phone).await;
    p.submit("#send-code").await;
    let code = demo.code(&phone, 1);
    p.fill("#code", &code).await;
    p.submit("form.public-form > button.btn-primary").await;
    p.submit("#enter-room").await;
    p.wait_for(
        "document.getElementById('room').dataset.joined === 'true'",
        "the party is in the room",
    )
    .await;

    let connected = "document.querySelector('[data-peer-state=\"connected\"]') !== null";
    p.wait_for_secs(connected, "the party's video connection", 30)
        .await;
    m.wait_for_secs(connected, "the mediator's video connection", 30)
        .await;

    m.fill("#chat-input", "您好，我是调解员，现在开始调解。")
        .await;
    m.click("#chat-form button").await;
    p.wait_for(
        "document.getElementById('chat-log').textContent.includes('现在开始调解')",
        "the party reads the mediator",
    )
    .await;
    p.fill("#chat-input", "好的，我同意调解。").await;
    p.click("#chat-form button").await;
    m.wait_for(
        "document.getElementById('chat-log').textContent.includes('我同意调解')",
        "the mediator reads the party",
    )
    .await;
    m.shot("41-room-mediator").await;
    p.shot("42-room-party").await;
    p.close().await;

    // The record has both joining, both messages and the party leaving.
    m.goto(&format!("/cases/{id}")).await;
    let timeline = m.text(".timeline").await;
    assert!(timeline.contains("第1位当事人进入在线调解室"), "{timeline}");
    assert!(timeline.contains("第1位当事人离开在线调解室"), "{timeline}");
    assert!(
        timeline.contains("在在线调解室发言：您好，我是调解员"),
        "{timeline}"
    );
    assert!(
        timeline.contains("第1位当事人在在线调解室发言：好的，我同意调解"),
        "{timeline}"
    );
    m.close().await;
}

/// The field records `username` wrote, read from the demo's database.
async fn field_rows_of(
    store: &dyn hejie_store::Store,
    username: &str,
    kind: &str,
) -> Vec<hejie_store::field::FieldRow> {
    let users = store.users().await.expect("users");
    let user = users
        .iter()
        .find(|u| u.username == username)
        .unwrap_or_else(|| panic!("demo user {username}"));
    store
        .field_records(&hejie_store::field::FieldFilter {
            actor_id: Some(user.id.to_string()),
            kind: Some(kind.to_owned()),
            limit: 500,
            ..Default::default()
        })
        .await
        .expect("field records")
}

/// Saves a PNG (a screenshot of the page) to stand for a photo taken with the phone's camera.
async fn camera_photo(b: &Browser, dir: &Path, name: &str) -> String {
    let png = b.c.screenshot().await.expect("screenshot");
    let path = dir.join(name);
    std::fs::write(&path, png).expect("write the photo");
    path.display().to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn grid_worker_reports_offline_and_both_reports_sync_exactly_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = demo_url(&dir);
    let photos = tempfile::tempdir().expect("photo dir");
    let demo = Demo::start_in(dir);
    let store = hejie_store::open(&url).await.expect("open the demo db");
    let driver = Driver::start();
    let b = Browser::open(&driver, &demo.base).await;
    let (lat, lon) = (29.012345, 119.512345);
    b.set_position(lat, lon).await;
    b.sign_in("t0v0g1").await;
    b.goto("/m").await;
    // The app is installable: a manifest, and a service worker that controls the page.
    assert!(
        b.exists("link[rel=manifest][href='/m/manifest.webmanifest']")
            .await
    );
    let ready = b
        .run_async(
            "const done = arguments[arguments.length - 1]; \
             navigator.serviceWorker.ready.then(r => done(!!r.active), () => done(false));",
        )
        .await;
    assert_eq!(ready, json!(true), "the service worker is active");
    // Reloaded once so the worker controls the page and keeps the app for offline use.
    b.goto("/m").await;
    b.wait_for_secs(
        "navigator.serviceWorker.controller !== null",
        "the service worker controls /m",
        10,
    )
    .await;
    let before = field_rows_of(store.as_ref(), "t0v0g1", "report")
        .await
        .len();

    // No signal: the app still opens from the phone, and reports wait in the queue.
    b.set_offline(true).await;
    b.wait_for("!navigator.onLine", "the page knows it is offline")
        .await;
    b.goto("/m").await;
    assert!(b.exists("#report-form").await, "the app opens offline");
    assert_eq!(b.text("#m-net").await, "离线");

    let photo1 = camera_photo(&b, photos.path(), "hazard.png").await;
    b.click("input[name=ledger][value=hazard]").await;
    b.select("#r-category", "消防安全").await;
    b.fill("#r-text", "3号楼楼道堆放纸箱，堵塞消防通道").await;
    b.find("#r-photo")
        .await
        .send_keys(&photo1)
        .await
        .expect("attach photo");
    b.click("#report-form button[type=submit]").await;
    b.wait_for(
        "document.getElementById('m-queue-count').textContent === '1'",
        "one queued",
    )
    .await;

    let photo2 = camera_photo(&b, photos.path(), "dispute.png").await;
    b.click("input[name=ledger][value=dispute]").await;
    b.select("#r-category", "邻里纠纷").await;
    b.fill("#r-text", "两户因楼道堆物争吵").await;
    b.fill("#r-parties", "张大山\n李小河").await;
    b.click("input[name=on_spot]").await;
    b.fill("#r-record", "双方同意当天清理，互相道歉").await;
    b.click("input[name=confirmed]").await;
    b.find("#r-photo")
        .await
        .send_keys(&photo2)
        .await
        .expect("attach photo");
    b.click("#report-form button[type=submit]").await;
    b.wait_for(
        "document.getElementById('m-queue-count').textContent === '2'",
        "two queued",
    )
    .await;
    assert!(b.text("#m-status").await.contains("联网后自动上报"));
    b.shot("field-01-offline-queue").await;
    assert_eq!(
        field_rows_of(store.as_ref(), "t0v0g1", "report")
            .await
            .len(),
        before,
        "nothing reached the server while offline"
    );
    // What a lost answer would leave behind: the same two items, kept aside.
    b.run_async(
        "const done = arguments[arguments.length - 1]; \
         hejieField.queue.all().then(items => { window.__kept = items; done(items.length); });",
    )
    .await;

    // The signal returns: the queue is sent and emptied.
    b.set_offline(false).await;
    b.wait_for_secs(
        "document.getElementById('m-queue-count').textContent === '0'",
        "the queue synced",
        20,
    )
    .await;
    assert!(b.text("#m-status").await.contains("已同步2条记录"));
    let rows = field_rows_of(store.as_ref(), "t0v0g1", "report").await;
    assert_eq!(rows.len(), before + 2, "both reports arrived once");

    // The answers were lost: the phone sends both again. Nothing new is recorded.
    let resent = b
        .run_async(
            "const done = arguments[arguments.length - 1]; \
             Promise.all(window.__kept.map(i => hejieField.queue.put(i))) \
               .then(() => hejieField.sync()).then(done, e => done(String(e)));",
        )
        .await;
    assert_eq!(resent, json!(2), "the server answered both repeats");
    let again = field_rows_of(store.as_ref(), "t0v0g1", "report").await;
    assert_eq!(
        again.len(),
        before + 2,
        "a retried sync creates no duplicates"
    );
    assert_eq!(again, rows, "and changes nothing");

    let hazard = rows
        .iter()
        .find(|r| r.summary.contains("堵塞消防通道"))
        .expect("the hazard report");
    assert_eq!(hazard.ledger.as_deref(), Some("hazard"));
    assert_eq!(hazard.status, "open");
    assert_eq!(hazard.photos, 1);
    assert_eq!(
        (hazard.lat_e6, hazard.lon_e6),
        (Some(29_012_345), Some(119_512_345))
    );
    let dispute = rows
        .iter()
        .find(|r| r.summary.contains("楼道堆物"))
        .expect("the dispute report");
    assert_eq!(dispute.ledger.as_deref(), Some("dispute"));
    assert_eq!(dispute.status, "resolved_on_spot");
    assert_eq!(dispute.photos, 1);
    let id = hejie_domain::field::RecordId::parse(&dispute.id).expect("id");
    assert_eq!(
        store.field_events(id).await.expect("events").len(),
        2,
        "filed and resolved on the spot, each once"
    );
    assert!(store.verify_field_log().await.expect("verify").is_empty());
    b.shot("field-02-synced").await;

    // The township sees them in the right ledgers, with the photo and the position.
    b.goto("/").await;
    b.sign_out().await;
    b.sign_in("t0-centre").await;
    b.goto("/field/ledgers?show=hazard").await;
    let listed = b.texts("#field-rows tbody tr").await.join("\n");
    assert!(listed.contains("3号楼楼道堆放纸箱"), "{listed}");
    assert!(
        !listed.contains("楼道堆物"),
        "the dispute is not in the hazard ledger"
    );
    b.goto("/field/ledgers?show=dispute").await;
    assert!(
        b.texts("#field-rows tbody tr")
            .await
            .join("\n")
            .contains("两户因楼道堆物争吵")
    );
    b.goto(&format!("/field/records/{}", hazard.id)).await;
    assert_eq!(b.text("#position").await, "29.012345，119.512345");
    let loaded = b
        .run_async(
            "const done = arguments[arguments.length - 1]; const img = document.querySelector('#photos img'); \
             if (!img) return done(0); const ok = () => done(img.naturalWidth); \
             if (img.complete) ok(); else img.onload = ok;",
        )
        .await;
    assert!(
        loaded.as_u64().unwrap_or(0) > 0,
        "the photo shows: {loaded}"
    );
    b.shot("field-03-ledger-record").await;
    b.close().await;
}

/// A point inside the village's stored boundary (its corners' mean: the demo's villages are
/// convex) and one about 1.1 km north of its northernmost corner.
async fn inside_and_outside(
    store: &dyn hejie_store::Store,
    village: &str,
) -> ((f64, f64), (f64, f64)) {
    let code = hejie_domain::division::DivisionCode::parse(village).expect("code");
    let area = store
        .area(&code)
        .await
        .expect("area")
        .expect("the demo village has a boundary");
    let g: serde_json::Value = serde_json::from_str(&area.geometry).expect("geojson");
    let ring = g["coordinates"][0].as_array().expect("ring");
    let corners: Vec<(f64, f64)> = ring[..ring.len() - 1]
        .iter()
        .map(|p| (p[1].as_f64().expect("lat"), p[0].as_f64().expect("lon")))
        .collect();
    let n = corners.len() as f64;
    let inside = (
        corners.iter().map(|c| c.0).sum::<f64>() / n,
        corners.iter().map(|c| c.1).sum::<f64>() / n,
    );
    let north = corners.iter().map(|c| c.0).fold(f64::MIN, f64::max);
    (inside, (north + 0.01, inside.1))
}

#[tokio::test(flavor = "multi_thread")]
async fn legal_advisor_checks_in_consults_and_checks_out_and_an_outside_check_in_is_flagged() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = demo_url(&dir);
    let photos = tempfile::tempdir().expect("photo dir");
    let demo = Demo::start_in(dir);
    let store = hejie_store::open(&url).await.expect("open the demo db");
    let users = store.users().await.expect("users");
    let lawyer = users
        .iter()
        .find(|u| u.username == "t0v0-lawyer")
        .expect("the demo's legal advisor");
    let village = lawyer.jurisdiction.to_string();
    let (inside, outside) = inside_and_outside(store.as_ref(), &village).await;
    let driver = Driver::start();
    let b = Browser::open(&driver, &demo.base).await;
    b.set_position(inside.0, inside.1).await;
    b.sign_in("t0v0-lawyer").await;
    b.goto("/m").await;
    let visits_before = field_rows_of(store.as_ref(), "t0v0-lawyer", "visit")
        .await
        .len();

    // Check in inside the village, with a live photo.
    b.select("#v-village", &village).await;
    let photo = camera_photo(&b, photos.path(), "checkin.png").await;
    b.find("#v-photo")
        .await
        .send_keys(&photo)
        .await
        .expect("attach photo");
    b.submit("#checkin-form button[type=submit]").await;
    b.wait_for("document.getElementById('open-visit')", "the open visit")
        .await;
    assert!(
        b.text("#m-status")
            .await
            .contains("已签到：在村（社区）范围内")
    );
    assert!(b.text("#open-visit").await.contains("在村（社区）范围内"));
    // Another live photo during the visit.
    let more = camera_photo(&b, photos.path(), "visit.png").await;
    b.find("#v-more-photo")
        .await
        .send_keys(&more)
        .await
        .expect("attach photo");
    b.click("#visit-photo-form button[type=submit]").await;
    b.wait_for_secs(
        "document.getElementById('m-status').textContent.indexOf('本次走访共2张') >= 0",
        "the photo uploaded",
        10,
    )
    .await;

    // A consultation during the visit, then the check-out with the work log.
    b.select("#c-village", &village).await;
    b.fill("#c-asker", "村民赵某").await;
    b.fill("#c-question", "承包地被邻居占用了怎么办？").await;
    b.fill("#c-answer", "先协商，协商不成可申请村调委会调解")
        .await;
    b.click("#consult-form button[type=submit]").await;
    b.wait_for_secs(
        "document.getElementById('m-status').textContent.indexOf('已同步1条记录') >= 0",
        "the consultation synced",
        10,
    )
    .await;
    b.fill("#v-log", "进村走访，解答土地承包咨询一次").await;
    b.submit("#checkout-form button[type=submit]").await;
    b.wait_for("document.getElementById('checkin-form')", "checked out")
        .await;
    assert!(b.text("#m-status").await.contains("已签退"));
    b.shot("field-04-advisor-checked-out").await;

    let visits = field_rows_of(store.as_ref(), "t0v0-lawyer", "visit").await;
    assert_eq!(visits.len(), visits_before + 1);
    let first = &visits[0];
    assert_eq!(
        (first.status.as_str(), first.flagged, first.photos),
        ("checked_out", false, 2)
    );
    let consults = field_rows_of(store.as_ref(), "t0v0-lawyer", "consultation").await;
    assert!(
        consults
            .iter()
            .any(|c| c.summary == "承包地被邻居占用了怎么办？")
    );

    // Checked in 1 km outside the village: recorded, and flagged.
    b.set_position(outside.0, outside.1).await;
    b.goto("/m").await;
    b.select("#v-village", &village).await;
    b.submit("#checkin-form button[type=submit]").await;
    b.wait_for("document.getElementById('open-visit')", "the open visit")
        .await;
    let notice = b.text("#m-status").await;
    assert!(
        notice.contains("超出允许范围") && notice.contains("已标记待核实"),
        "{notice}"
    );
    b.shot("field-05-advisor-outside").await;
    b.fill("#v-log", "在镇上开会后补签").await;
    b.submit("#checkout-form button[type=submit]").await;
    b.wait_for("document.getElementById('checkin-form')", "checked out")
        .await;
    let visits = field_rows_of(store.as_ref(), "t0v0-lawyer", "visit").await;
    let flagged = visits
        .iter()
        .find(|v| v.flagged && v.summary == "在镇上开会后补签")
        .expect("the outside visit, flagged");

    // The township's board shows the flag on the advisor's sweep visits, linked to the record.
    b.goto("/").await;
    b.sign_out().await;
    b.sign_in("t0-centre").await;
    b.goto("/field/board").await;
    let link = format!("a.evidence-flagged[href='/field/records/{}']", flagged.id);
    assert!(
        b.exists(&link).await,
        "the flagged check-in is on the board"
    );
    let row = b.text(&format!("tr[data-person='{}']", lawyer.name)).await;
    assert!(row.contains("位置待核实"), "{row}");
    b.shot_of("field-06-board", "table.duty-board").await;
    b.click(&link).await;
    b.wait_for("document.getElementById('flag')", "the record page")
        .await;
    assert!(b.text("#flag").await.contains("超出村（社区）范围"));
    b.close().await;
}
