//! Every API route is documented in `/api/openapi.json`, and every route but sign-in and the
//! document itself needs a signed-in user.

use std::collections::BTreeSet;

use axum::http::Method;
use serde_json::json;

use crate::support::{Auth, TestApp};

/// The routes `hejie_server::api::router` declares, read from its source: each `.route("path",
/// method(handler).method(handler))` call. Reading the source (rather than keeping a second list
/// here) is what makes an undocumented new route fail this test.
fn declared_routes() -> BTreeSet<(String, String)> {
    routes_in(include_str!("../../src/api/mod.rs"))
}

/// The routes `hejie_server::open311::router` declares, read the same way. They are documented
/// in the same OpenAPI document; they answer errors in the Open311 shape, so the second test
/// below (hejie's error shape) leaves them to `open311.rs`.
fn open311_routes() -> BTreeSet<(String, String)> {
    routes_in(include_str!("../../src/open311.rs"))
}

fn routes_in(source: &str) -> BTreeSet<(String, String)> {
    let body = source
        .split("pub fn router()")
        .nth(1)
        .expect("router() is defined in the source");
    let mut routes = BTreeSet::new();
    for chunk in body.split(".route(").skip(1) {
        let mut depth = 1;
        let end = chunk
            .char_indices()
            .find(|(_, c)| {
                match c {
                    '(' => depth += 1,
                    ')' => depth -= 1,
                    _ => {}
                }
                depth == 0
            })
            .map(|(i, _)| i)
            .expect("a balanced .route( call");
        let call = &chunk[..end];
        let path = call
            .split('"')
            .nth(1)
            .expect("a route's first argument is its path literal");
        let mut methods = 0;
        for method in ["get", "post", "put", "patch", "delete"] {
            let needle = format!("{method}(");
            for (i, _) in call.match_indices(&needle) {
                let before = call[..i].chars().next_back();
                if before.is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == ':')) {
                    routes.insert((method.to_owned(), path.to_owned()));
                    methods += 1;
                }
            }
        }
        assert!(methods > 0, "no method found in route {path}: {call}");
    }
    routes
}

#[tokio::test]
async fn every_route_is_documented_and_nothing_else() {
    let app = TestApp::new().await;
    let mut declared = declared_routes();
    // The parser found the router (a sanity check on the parser, not a second list).
    assert!(declared.len() >= 19, "parsed routes: {declared:?}");
    let open311 = open311_routes();
    assert!(
        open311.contains(&("post".to_owned(), "/open311/v2/requests.json".to_owned())),
        "parsed Open311 routes: {open311:?}"
    );
    declared.extend(open311);
    for known in [
        ("post", "/api/v1/auth/login"),
        ("get", "/api/v1/cases"),
        ("post", "/api/v1/cases"),
        ("post", "/api/v1/cases/{id}/personal-data"),
    ] {
        assert!(
            declared.contains(&(known.0.to_owned(), known.1.to_owned())),
            "{known:?} in {declared:?}"
        );
    }

    let doc = app.get(&Auth::None, "/api/openapi.json").await.expect(200);
    assert!(
        doc["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1")),
        "OpenAPI 3.1: {}",
        doc["openapi"]
    );
    let paths = doc["paths"].as_object().expect("paths");
    let mut documented = BTreeSet::new();
    for (path, item) in paths {
        for method in item.as_object().expect("a path item").keys() {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                documented.insert((method.clone(), path.clone()));
            }
        }
    }
    // The document does not describe itself.
    let mut expected = declared.clone();
    expected.remove(&("get".to_owned(), "/api/openapi.json".to_owned()));
    let undocumented: Vec<_> = expected.difference(&documented).collect();
    let phantom: Vec<_> = documented.difference(&expected).collect();
    assert!(
        undocumented.is_empty(),
        "routes without OpenAPI paths: {undocumented:?}"
    );
    assert!(phantom.is_empty(), "documented but not routed: {phantom:?}");

    // Each operation documents its success and its error body.
    for (method, path) in &documented {
        let op = &paths[path.as_str()][method.as_str()];
        let responses = op["responses"].as_object().expect("responses");
        assert!(
            responses.keys().any(|s| s.starts_with('2')),
            "{method} {path} documents a success"
        );
        assert!(
            responses.keys().any(|s| s.starts_with('4')),
            "{method} {path} documents an error"
        );
        if path.contains("{id}") {
            assert!(
                op["parameters"]
                    .as_array()
                    .is_some_and(|ps| ps.iter().any(|p| p["name"] == "id" && p["in"] == "path")),
                "{method} {path} documents its id parameter"
            );
        }
    }
}

#[tokio::test]
async fn every_route_exists_and_wants_a_signed_in_user() {
    let app = TestApp::new().await;
    let some_id = uuid::Uuid::now_v7().to_string();
    for (method, path) in declared_routes() {
        let uri = path.replace("{id}", &some_id);
        let m = Method::from_bytes(method.to_uppercase().as_bytes()).expect("a method");
        let res = app.req(m, &uri).json(&json!({})).send().await;
        match path.as_str() {
            "/api/openapi.json" => {
                res.expect(200);
            }
            // Signing in is open; an empty body is a validation error, not a missing route.
            "/api/v1/auth/login" => {
                res.expect_error(400, "validation");
            }
            // Anyone holding a copy may check a document; `{}` is no document of ours.
            "/api/v1/documents/verify" => {
                assert_eq!(res.expect(200)["ok"], false);
            }
            _ => {
                res.expect_error(401, "unauthorized");
            }
        }
    }
    // And a path the router does not know is a 404 (so the 401s above are real routes).
    let res = app.get(&Auth::None, "/api/v1/nothing-here").await;
    assert_eq!(res.status.as_u16(), 404);
}
