//! Sign-in, sessions, bearer tokens, lockout, CSRF and cross-site protection.

use std::time::Duration;

use axum::http::Method;
use hejie_server::Config;
use serde_json::json;

use crate::support::{Auth, PASSWORD, Place, TestApp, registration, session_of, str_of};

#[tokio::test]
async fn signing_in_sets_a_strict_session_cookie_and_returns_the_user() {
    let app = TestApp::new().await;
    let res = app.try_login("a-window_clerk", PASSWORD, None).await;
    let body = res.expect(200);
    let cookie = res.header("set-cookie").expect("a session cookie");
    let attrs: Vec<&str> = cookie.split(';').map(str::trim).collect();
    assert!(attrs[0].starts_with("hejie_session="), "{cookie}");
    assert!(
        attrs[0].len() > "hejie_session=".len() + 30,
        "a long random token: {cookie}"
    );
    for a in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(attrs.contains(&a), "{a} in {cookie}");
    }
    assert!(
        !attrs.contains(&"Secure"),
        "no Secure without TLS: {cookie}"
    );
    assert_eq!(body["user"]["username"], "a-window_clerk");
    assert_eq!(body["user"]["role"], "window_clerk");
    assert_eq!(body["user"]["jurisdiction"], Place::A.town());
    assert!(str_of(&body, "csrf_token").len() > 30);

    let me = app
        .get(&Auth::Session(session_of(&res)), "/api/v1/me")
        .await
        .expect(200);
    assert_eq!(me["username"], "a-window_clerk");
    assert_eq!(me["organisation"], "城关镇矛盾纠纷调处化解中心");
    // The password hash never leaves the server.
    assert!(!res.text.contains("argon2"));
}

#[tokio::test]
async fn behind_tls_the_cookie_is_secure() {
    let app = TestApp::with_config(Config {
        secure_cookies: true,
        ..Config::default()
    })
    .await;
    let res = app.try_login("a-window_clerk", PASSWORD, None).await;
    res.expect(200);
    let cookie = res.header("set-cookie").expect("a session cookie");
    assert!(cookie.split(';').any(|a| a.trim() == "Secure"), "{cookie}");
}

#[tokio::test]
async fn signing_in_again_replaces_the_session() {
    let app = TestApp::new().await;
    let first = app.login("a-window_clerk").await;
    let res = app
        .try_login("a-window_clerk", PASSWORD, Some(&first.cookie))
        .await;
    let second = session_of(&res);
    assert_ne!(first.cookie, second.cookie);
    assert_ne!(first.csrf, second.csrf);
    app.get(&Auth::Session(first), "/api/v1/me")
        .await
        .expect_error(401, "unauthorized");
    app.get(&Auth::Session(second), "/api/v1/me")
        .await
        .expect(200);
}

#[tokio::test]
async fn wrong_passwords_are_refused_alike_and_lock_the_account() {
    let app = TestApp::new().await;
    let unknown = app.try_login("nobody", PASSWORD, None).await;
    let unknown = unknown.expect_error(403, "bad_credentials");
    for attempt in 1..=4 {
        let res = app.try_login("a-mediator", "wrong-password", None).await;
        assert!(res.header("set-cookie").is_none());
        let body = res.expect_error(403, "bad_credentials");
        // An unknown user and a wrong password look the same.
        assert_eq!(body["message"], unknown["message"], "attempt {attempt}");
    }
    app.try_login("a-mediator", "wrong-password", None)
        .await
        .expect_error(423, "account_locked");
    // Locked: even the right password is refused, and no session starts.
    let res = app.try_login("a-mediator", PASSWORD, None).await;
    res.expect_error(423, "account_locked");
    assert!(res.header("set-cookie").is_none());
    // Other accounts are not affected.
    app.login("b-mediator").await;
}

#[tokio::test]
async fn a_success_resets_the_failure_count() {
    let app = TestApp::new().await;
    for _ in 0..4 {
        app.try_login("a-mediator", "wrong-password", None)
            .await
            .expect_error(403, "bad_credentials");
    }
    app.login("a-mediator").await;
    for _ in 0..4 {
        app.try_login("a-mediator", "wrong-password", None)
            .await
            .expect_error(403, "bad_credentials");
    }
    app.login("a-mediator").await;
}

#[tokio::test]
async fn logging_out_ends_the_session() {
    let app = TestApp::new().await;
    let s = app.login("a-window_clerk").await;
    let auth = Auth::Session(s.clone());
    let res = app
        .req(Method::POST, "/api/v1/auth/logout")
        .auth(&auth)
        .send()
        .await;
    assert_eq!(res.status.as_u16(), 204, "{}", res.text);
    let cleared = res.header("set-cookie").expect("the cookie is cleared");
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    assert!(cleared.starts_with("hejie_session=;"), "{cleared}");
    app.get(&auth, "/api/v1/me")
        .await
        .expect_error(401, "unauthorized");
}

#[tokio::test]
async fn an_idle_session_times_out() {
    let app = TestApp::with_config(Config {
        idle_timeout_secs: 0,
        ..Config::default()
    })
    .await;
    let auth = Auth::Session(app.login("a-window_clerk").await);
    tokio::time::sleep(Duration::from_millis(5)).await;
    app.get(&auth, "/api/v1/me")
        .await
        .expect_error(401, "unauthorized");
    // The session is gone, not just refused once.
    app.get(&auth, "/api/v1/me")
        .await
        .expect_error(401, "unauthorized");
}

#[tokio::test]
async fn a_session_in_use_stays_alive() {
    let app = TestApp::with_config(Config {
        idle_timeout_secs: 60,
        ..Config::default()
    })
    .await;
    let auth = Auth::Session(app.login("a-window_clerk").await);
    for _ in 0..3 {
        app.get(&auth, "/api/v1/me").await.expect(200);
    }
}

#[tokio::test]
async fn bearer_tokens_act_as_their_user_without_csrf() {
    let app = TestApp::new().await;
    let session = Auth::Session(app.login("a-window_clerk").await);
    let res = app
        .post_json(
            &session,
            "/api/v1/auth/tokens",
            &json!({ "name": "12345热线对接" }),
        )
        .await;
    let token = str_of(&res.expect(201), "token").to_owned();
    let bearer = Auth::Bearer(token.clone());
    let me = app.get(&bearer, "/api/v1/me").await.expect(200);
    assert_eq!(me["username"], "a-window_clerk");
    // A state-changing request with a bearer token needs no CSRF token and no cookie.
    let res = app
        .req(Method::POST, "/api/v1/cases")
        .header("authorization", &format!("Bearer {token}"))
        .json(&registration(Place::A, "热线转来的邻里纠纷。"))
        .send()
        .await;
    res.expect(201);
    // A token must name a purpose.
    app.post_json(&session, "/api/v1/auth/tokens", &json!({ "name": " " }))
        .await
        .expect_error(400, "validation");
    // Wrong or malformed tokens are unauthenticated.
    for value in [
        "Bearer not-a-token".to_owned(),
        format!("Basic {token}"),
        format!("bearer{token}"),
    ] {
        app.req(Method::GET, "/api/v1/me")
            .header("authorization", &value)
            .send()
            .await
            .expect_error(401, "unauthorized");
    }
    // Tokens survive the browser session that created them.
    app.req(Method::POST, "/api/v1/auth/logout")
        .auth(&session)
        .send()
        .await;
    app.get(&bearer, "/api/v1/me").await.expect(200);
}

#[tokio::test]
async fn cookie_requests_that_change_state_need_the_csrf_token() {
    let app = TestApp::new().await;
    let s = app.login("a-window_clerk").await;
    let body = registration(Place::A, "没有防伪令牌的登记。");
    // No token.
    app.req(Method::POST, "/api/v1/cases")
        .header("cookie", &s.cookie)
        .json(&body)
        .send()
        .await
        .expect_error(403, "csrf");
    // Someone else's token.
    let other = app.login("a-supervisor").await;
    app.req(Method::POST, "/api/v1/cases")
        .header("cookie", &s.cookie)
        .header("x-csrf-token", &other.csrf)
        .json(&body)
        .send()
        .await
        .expect_error(403, "csrf");
    // Logging out is state-changing too: without the token the session survives.
    app.req(Method::POST, "/api/v1/auth/logout")
        .header("cookie", &s.cookie)
        .send()
        .await
        .expect_error(403, "csrf");
    // Reading needs no token.
    app.req(Method::GET, "/api/v1/cases")
        .header("cookie", &s.cookie)
        .send()
        .await
        .expect(200);
    // Nothing was registered by the refused requests.
    let list = app
        .get(&Auth::Session(s.clone()), "/api/v1/cases")
        .await
        .expect(200);
    assert_eq!(list["items"].as_array().map(Vec::len), Some(0));
    // With the token it goes through.
    app.post_json(&Auth::Session(s), "/api/v1/cases", &body)
        .await
        .expect(201);
}

#[tokio::test]
async fn cross_site_requests_are_refused() {
    let app = TestApp::new().await;
    let auth = Auth::Session(app.login("a-window_clerk").await);
    let body = registration(Place::A, "跨站提交的登记。");
    for site in ["cross-site", "same-site"] {
        app.req(Method::POST, "/api/v1/cases")
            .auth(&auth)
            .header("sec-fetch-site", site)
            .json(&body)
            .send()
            .await
            .expect_error(403, "cross_site");
    }
    // Older browsers: an Origin that is not the host.
    app.req(Method::POST, "/api/v1/cases")
        .auth(&auth)
        .header("host", "hejie.example.cn")
        .header("origin", "https://evil.example.com")
        .json(&body)
        .send()
        .await
        .expect_error(403, "cross_site");
    // Signing in from another site is refused too (login CSRF).
    app.req(Method::POST, "/api/v1/auth/login")
        .header("sec-fetch-site", "cross-site")
        .json(&json!({ "username": "a-window_clerk", "password": PASSWORD }))
        .send()
        .await
        .expect_error(403, "cross_site");
    // Same origin passes.
    app.req(Method::POST, "/api/v1/cases")
        .auth(&auth)
        .header("sec-fetch-site", "same-origin")
        .header("host", "hejie.example.cn")
        .header("origin", "https://hejie.example.cn")
        .json(&body)
        .send()
        .await
        .expect(201);
    // Reading from another site is harmless and allowed (links into the app).
    app.req(Method::GET, "/api/v1/me")
        .auth(&auth)
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .expect(200);
}
