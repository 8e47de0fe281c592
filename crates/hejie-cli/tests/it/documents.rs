//! `hejie verify-document`: a document the system made and kept checks out byte for byte, and a
//! copy with one byte changed does not (exit 1).

use crate::{Db, ok, stdout};

#[tokio::test]
async fn a_kept_report_verifies_and_a_changed_byte_does_not() {
    let db = Db::sqlite();
    ok(db.hejie(&["gen", "--cases", "25", "--quiet"]));
    let pdf = db.sqlite_path().with_file_name("report.pdf");
    let path = pdf.to_str().expect("utf-8 path");
    ok(db.hejie(&["report", "monthly", "--month", "2026-01", "--out", path]));

    let out = ok(db.hejie(&["verify-document", path]));
    let text = stdout(&out);
    assert!(text.contains("核验通过"), "{text}");
    assert!(text.contains("逐字节一致"), "{text}");

    let mut bytes = std::fs::read(&pdf).expect("read the report");
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    let changed = db.sqlite_path().with_file_name("changed.pdf");
    std::fs::write(&changed, &bytes).expect("write the copy");
    let out = db.hejie(&["verify-document", changed.to_str().expect("utf-8 path")]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stdout(&out).contains("核验未通过"), "{}", stdout(&out));
}
