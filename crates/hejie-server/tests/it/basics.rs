//! Health, metrics and the security headers every response carries.

use crate::support::{
    Auth, COUNTY, GRID_A, GRID_B, Place, TOWN_A, TOWN_B, TestApp, VILLAGE_A, VILLAGE_B, str_of,
};

#[tokio::test]
async fn healthz_answers_json() {
    let app = TestApp::new().await;
    let res = app.get(&Auth::None, "/healthz").await;
    let body = res.expect(200);
    assert_eq!(body["status"], "ok");
    assert_eq!(body["database"], "sqlite");
    assert!(
        res.header("content-type")
            .is_some_and(|c| c.starts_with("application/json"))
    );
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_status() {
    let app = TestApp::new().await;
    app.get(&Auth::None, "/healthz").await.expect(200);
    app.get(&Auth::None, "/api/v1/me").await.expect(401);
    let res = app.get(&Auth::None, "/metrics").await;
    assert_eq!(res.status.as_u16(), 200);
    assert!(
        res.header("content-type")
            .is_some_and(|c| c.starts_with("text/plain"))
    );
    assert!(
        res.text
            .contains("# TYPE hejie_http_requests_total counter")
    );
    assert!(
        res.text.contains(
            "hejie_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 1"
        ),
        "{}",
        res.text
    );
    assert!(
        res.text.contains(
            "hejie_http_requests_total{method=\"GET\",route=\"/api/v1/me\",status=\"401\"} 1"
        ),
        "{}",
        res.text
    );
    assert!(
        res.text
            .contains("hejie_http_request_duration_seconds_bucket")
    );
}

/// The directives of a Content-Security-Policy, by name.
fn directive<'a>(csp: &'a str, name: &str) -> Option<Vec<&'a str>> {
    csp.split(';').map(str::trim).find_map(|d| {
        let mut words = d.split_whitespace();
        (words.next() == Some(name)).then(|| words.collect())
    })
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = TestApp::new().await;
    let session = app.login("a-window_clerk").await;
    let responses = [
        app.get(&Auth::None, "/healthz").await,
        app.get(&Auth::None, "/api/openapi.json").await,
        app.get(&Auth::None, "/api/v1/me").await,
        app.get(&Auth::Session(session), "/api/v1/cases").await,
        app.get(&Auth::None, "/no-such-page").await,
    ];
    for res in &responses {
        let csp = res
            .header("content-security-policy")
            .unwrap_or_else(|| panic!("CSP on a {} response", res.status));
        let scripts = directive(csp, "script-src")
            .or_else(|| directive(csp, "default-src"))
            .expect("a script policy");
        assert!(
            !scripts.contains(&"'unsafe-inline'") && !scripts.contains(&"'unsafe-eval'"),
            "no inline script: {csp}"
        );
        assert!(!scripts.contains(&"*"), "no wildcard script source: {csp}");
        let frames = directive(csp, "frame-ancestors");
        assert!(
            frames.is_some_and(|f| f == ["'none'"] || f == ["'self'"])
                || res.header("x-frame-options") == Some("DENY"),
            "framing is refused: {csp}"
        );
        assert_eq!(res.header("x-frame-options"), Some("DENY"));
        assert_eq!(res.header("x-content-type-options"), Some("nosniff"));
        let referrer = res.header("referrer-policy").expect("a referrer policy");
        assert!(
            [
                "no-referrer",
                "same-origin",
                "strict-origin",
                "strict-origin-when-cross-origin"
            ]
            .contains(&referrer),
            "a referrer policy that does not leak paths: {referrer}"
        );
    }
}

#[tokio::test]
async fn reference_data_lists_divisions_parents_first_and_organisations() {
    let app = TestApp::new().await;
    let auth = app.bearer("b-grid_worker").await;
    let divisions = app.get(&auth, "/api/v1/divisions").await.expect(200);
    let divisions = divisions.as_array().expect("a list");
    let codes: Vec<&str> = divisions.iter().map(|d| str_of(d, "code")).collect();
    let mut expected = [COUNTY, TOWN_A, TOWN_B, VILLAGE_A, VILLAGE_B, GRID_A, GRID_B];
    expected.sort_unstable();
    let mut listed = codes.clone();
    listed.sort_unstable();
    assert_eq!(listed, expected);
    let village = divisions
        .iter()
        .find(|d| d["code"] == VILLAGE_A)
        .expect("the village");
    assert_eq!(village["name"], "东门村");
    assert_eq!(village["parent"], TOWN_A);
    assert_eq!(village["level"], "village");
    assert!(divisions[0]["parent"].is_null());
    for d in divisions {
        if let Some(parent) = d["parent"].as_str() {
            let at = codes
                .iter()
                .position(|c| *c == parent)
                .expect("a known parent");
            let me = codes
                .iter()
                .position(|c| *c == str_of(d, "code"))
                .expect("listed");
            assert!(at < me, "parents come first: {d}");
        }
    }

    let orgs = app.get(&auth, "/api/v1/organisations").await.expect(200);
    let orgs = orgs.as_array().expect("a list");
    assert_eq!(orgs.len(), 14);
    let committee = app.fx.orgs.committee(Place::B);
    let listed = orgs
        .iter()
        .find(|o| o["id"] == committee.id.to_string())
        .expect("the village committee is listed");
    assert_eq!(listed["name"], committee.name);
    assert_eq!(listed["division"], VILLAGE_B);
    assert_eq!(listed["kind"], "村(社区)人民调解委员会");
}
