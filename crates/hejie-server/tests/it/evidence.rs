//! Evidence uploads: a photo is kept under its SHA-256 with the hash in the case's record and
//! comes back only as an attachment to who may see the case; an executable renamed `.jpg`, an
//! oversized file and a name that tries to be a path are refused and record nothing; a party
//! uploads through the tracking page.

use axum::http::Method;
use serde_json::json;

use crate::support::{Auth, Place, Resp, TestApp, accept_body, str_of};

/// The start of a JPEG file (SOI, APP0/JFIF) followed by filler.
fn jpeg(len: usize) -> Vec<u8> {
    let mut b = vec![
        0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0x00, 0x01,
    ];
    b.resize(len, 0x5A);
    b
}

/// An ELF executable's header.
fn elf() -> Vec<u8> {
    let mut b = b"\x7fELF\x02\x01\x01\x00".to_vec();
    b.resize(512, 0);
    b
}

const BOUNDARY: &str = "hejieTestBoundary7MA4YWxkTrZu0gW";

/// A multipart body: text fields, then the file.
fn multipart(fields: &[(&str, &str)], file: Option<(&str, &[u8])>) -> Vec<u8> {
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    if let Some((name, bytes)) = file {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: image/jpeg\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

async fn upload(app: &TestApp, auth: &Auth, id: &str, name: &str, bytes: &[u8]) -> Resp {
    app.req(Method::POST, &format!("/api/v1/cases/{id}/evidence"))
        .auth(auth)
        .raw(
            &format!("multipart/form-data; boundary={BOUNDARY}"),
            multipart(&[("description", "现场照片")], Some((name, bytes))),
        )
        .send()
        .await
}

async fn accepted_case(app: &TestApp) -> (String, Auth) {
    let clerk = app.bearer("a-window_clerk").await;
    let case = app.register(&clerk, Place::A, "楼上漏水殃及楼下。").await;
    let id = str_of(&case, "id").to_owned();
    app.command(&clerk, &id, "accept", accept_body()).await;
    (id, clerk)
}

#[tokio::test]
async fn a_photo_is_kept_by_its_hash_and_served_only_as_an_attachment() {
    let app = TestApp::new().await;
    let (id, clerk) = accepted_case(&app).await;
    let photo = jpeg(4096);
    let sha = hejie_crypto::sha256_hex(&photo);
    let list = upload(&app, &clerk, &id, "漏水现场.jpg", &photo)
        .await
        .expect(200);
    assert_eq!(list[0]["sha256"], sha.as_str());
    assert_eq!(list[0]["content_type"], "image/jpeg");
    assert_eq!(list[0]["name"], "漏水现场.jpg");
    assert_eq!(list[0]["size"], 4096);
    // Stored under its hash, outside the web root, byte for byte.
    let dir = app
        .state
        .config
        .files_dir
        .clone()
        .expect("a files directory");
    let kept = std::fs::read(dir.join(&sha[..2]).join(&sha)).expect("the stored file");
    assert_eq!(kept, photo);
    // The hash is in the case's record.
    let events = app
        .get(&clerk, &format!("/api/v1/cases/{id}/events"))
        .await
        .expect(200)
        .to_string();
    assert!(events.contains(&sha), "{events}");

    let file = app
        .get(&clerk, &format!("/api/v1/cases/{id}/evidence/{sha}"))
        .await;
    assert_eq!(file.status, 200);
    assert_eq!(file.bytes, photo);
    assert_eq!(file.header("content-type"), Some("image/jpeg"));
    assert_eq!(file.header("x-content-type-options"), Some("nosniff"));
    assert!(
        file.header("content-disposition")
            .is_some_and(|d| d.starts_with("attachment;")),
        "{:?}",
        file.headers
    );
    // Another township's staff cannot see it, nor anyone without signing in.
    let other = app.bearer("b-window_clerk").await;
    app.get(&other, &format!("/api/v1/cases/{id}/evidence/{sha}"))
        .await
        .expect_error(404, "not_found");
    app.get(&Auth::None, &format!("/api/v1/cases/{id}/evidence/{sha}"))
        .await
        .expect_error(401, "unauthorized");
    // The same file twice is refused.
    upload(&app, &clerk, &id, "again.jpg", &photo)
        .await
        .expect_error(422, "duplicate_evidence");
}

#[tokio::test]
async fn an_executable_renamed_jpg_an_oversized_file_and_a_path_name_are_refused() {
    let app = TestApp::with_config(hejie_server::Config {
        evidence_max_bytes: 8 * 1024,
        scheduler_poll_ms: 0,
        ..hejie_server::Config::default()
    })
    .await;
    let (id, clerk) = accepted_case(&app).await;
    let check = |res: Resp, needle: &str| {
        let err = res.expect_error(400, "validation");
        assert_eq!(err["field"], "file", "{err}");
        let message = err["message"].as_str().unwrap_or_default().to_owned();
        assert!(message.contains(needle), "{message}");
    };
    check(
        upload(&app, &clerk, &id, "photo.jpg", &elf()).await,
        "不支持该文件类型",
    );
    check(
        upload(&app, &clerk, &id, "big.jpg", &jpeg(9 * 1024)).await,
        "文件过大",
    );
    for name in ["../../etc/passwd.jpg", "..\\..\\boot.jpg", "a/b.jpg"] {
        check(upload(&app, &clerk, &id, name, &jpeg(100)).await, "路径");
    }
    check(upload(&app, &clerk, &id, "", &jpeg(100)).await, "请选择");
    // Nothing was recorded or kept.
    let list = app
        .get(&clerk, &format!("/api/v1/cases/{id}/evidence"))
        .await
        .expect(200);
    assert_eq!(list, json!([]));
    let dir = app
        .state
        .config
        .files_dir
        .clone()
        .expect("a files directory");
    let kept = std::fs::read_dir(&dir).map(|d| d.count()).unwrap_or(0);
    assert_eq!(kept, 0, "no file was stored");
    // A JSON body is not an upload.
    app.post_json(&clerk, &format!("/api/v1/cases/{id}/evidence"), &json!({}))
        .await
        .expect_error(400, "validation");
}

#[tokio::test]
async fn the_case_page_uploads_with_its_form_token_and_lists_the_file() {
    let app = TestApp::new().await;
    let (id, _) = accepted_case(&app).await;
    let session = app.login("a-window_clerk").await;
    let cookie = session.cookie.clone();
    let post = |csrf: &str| {
        app.req(Method::POST, &format!("/cases/{id}/evidence"))
            .header("cookie", &cookie)
            .raw(
                &format!("multipart/form-data; boundary={BOUNDARY}"),
                multipart(
                    &[("csrf", csrf), ("description", "协议草稿扫描件")],
                    Some(("草稿.pdf", b"%PDF-1.7\n% test\n")),
                ),
            )
            .send()
    };
    let forged = post("not-the-token").await;
    assert_eq!(forged.status, 403, "{}", forged.text);
    let done = post(&session.csrf).await;
    assert_eq!(done.status, 303, "{}", done.text);
    let page = app
        .req(Method::GET, &format!("/cases/{id}"))
        .header("cookie", &cookie)
        .send()
        .await;
    assert!(page.text.contains("草稿.pdf"), "{}", page.text);
    assert!(page.text.contains("协议草稿扫描件"), "{}", page.text);
}
