//! 卷宗一键生成: the dossier ZIP holds the PDF dossier (in correct Chinese), the agreement, the
//! evidence files and a SHA-256 manifest that checks; the same record makes the same bytes.

use std::io::Read;

use axum::http::Method;
use serde_json::json;

use crate::support::{Place, TestApp, accept_body, pdf_text, str_of};

#[tokio::test]
async fn the_dossier_is_reproducible_from_the_record_and_its_manifest_checks() {
    let app = TestApp::new().await;
    let clerk = app.bearer("a-window_clerk").await;
    let case = app
        .register(
            &clerk,
            Place::A,
            "楼上漏水殃及楼下，双方就维修费用发生争执。",
        )
        .await;
    let id = str_of(&case, "id").to_owned();
    app.command(&clerk, &id, "accept", accept_body()).await;
    // A photo in the evidence.
    let mut photo = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F'];
    photo.resize(2048, 7);
    let boundary = "dossierBoundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"天花板.jpg\"\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(&photo);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let up = app
        .req(Method::POST, &format!("/api/v1/cases/{id}/evidence"))
        .auth(&clerk)
        .raw(&format!("multipart/form-data; boundary={boundary}"), body)
        .send()
        .await;
    assert_eq!(up.status, 200, "{}", up.text);
    let mediator = app.mediate(&clerk, &id, Place::A).await;
    app.command(
        &mediator,
        &id,
        "close",
        json!({ "outcome": "withdrawn", "reason": "双方自行和解，申请人撤回调解申请" }),
    )
    .await;

    let first = app
        .get(&mediator, &format!("/api/v1/cases/{id}/dossier"))
        .await;
    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(first.header("content-type"), Some("application/zip"));
    let again = app
        .get(&mediator, &format!("/api/v1/cases/{id}/dossier"))
        .await;
    assert_eq!(
        first.bytes, again.bytes,
        "the same record makes the same bytes"
    );

    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(first.bytes)).expect("a ZIP");
    let mut files = std::collections::BTreeMap::new();
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).expect("an entry");
        let mut bytes = Vec::new();
        f.read_to_end(&mut bytes).expect("read");
        files.insert(f.name().expect("a name").to_string(), bytes);
    }
    // Every file is listed in SHA256SUMS with its hash (as `sha256sum -c` checks).
    let sums = String::from_utf8(files["SHA256SUMS"].clone()).expect("utf-8");
    let mut listed = 0;
    for line in sums.lines() {
        let (hash, path) = line.split_once("  ").expect("hash  path");
        assert_eq!(hejie_crypto::sha256_hex(&files[path]), hash, "{path}");
        listed += 1;
    }
    assert_eq!(listed, files.len() - 2, "all but the manifest and the sums");
    let evidence: Vec<&String> = files
        .keys()
        .filter(|k| k.starts_with("evidence/"))
        .collect();
    assert_eq!(evidence.len(), 1);
    assert_eq!(files[evidence[0]], photo);
    let manifest: serde_json::Value =
        serde_json::from_slice(&files["manifest.json"]).expect("JSON");
    assert_eq!(manifest["schema"], "hejie.dossier/v1");
    assert_eq!(manifest["files"].as_array().map(Vec::len), Some(listed));

    let text: String = pdf_text(&files["dossier.pdf"]).split_whitespace().collect();
    for expected in [
        "人民调解卷宗",
        "目录",
        "办理过程",
        "调解笔录",
        "证据清单",
        "天花板.jpg",
        "双方就主要分歧交换了意见",
    ] {
        assert!(text.contains(expected), "{expected} missing from {text}");
    }
    assert!(
        text.contains(&hejie_crypto::sha256_hex(&photo)[..16]),
        "{text}"
    );
}
