//! Documents typeset with the system's Noto CJK fonts: the text extracts as written (checked
//! with poppler's `pdftotext`, as a reader's tools would), people's text is never markup, the
//! same input gives the same bytes, and missing fonts or a broken template are clear errors.

use std::path::PathBuf;
use std::process::Command;
use std::sync::LazyLock;

use hejie_pdf::{Document, Fonts, PdfError, render};

static FONTS: LazyLock<Fonts> = LazyLock::new(|| Fonts::from_env().expect("Noto CJK fonts"));

const TEMPLATE: &str = r#"
#let d = json("data.json")
#set document(title: d.title)
#set page(paper: "a4", margin: 2cm, footer: context align(center)[第#counter(page).display()页])
#set text(font: "Noto Serif CJK SC", size: 12pt, lang: "zh", region: "cn", cjk-latin-spacing: none)
#align(center, text(size: 20pt, weight: "bold", d.title))
#for p in d.parties [
  - 当事人：#p
]
#d.terms
#image("chart.svg", width: 50%)
"#;

const CHART: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" width="200" height="60"><rect x="0" y="0" width="120" height="30" fill="#1d5b8c"/><text x="0" y="50" font-family="Noto Sans CJK SC" font-size="14">调成率</text></svg>"##;

fn doc(title: &str, parties: &[&str], terms: &str) -> Document<'static> {
    Document {
        template: TEMPLATE,
        data: serde_json::to_vec(&serde_json::json!({
            "title": title, "parties": parties, "terms": terms,
        }))
        .expect("json"),
        files: vec![("chart.svg".to_owned(), CHART.as_bytes().to_vec())],
        today: (2026, 11, 21),
        ident: "339021-2026-00001".to_owned(),
    }
}

fn text_of(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("out.pdf");
    std::fs::write(&path, pdf).expect("write");
    let out = Command::new("pdftotext")
        .args(["-layout", path.to_str().expect("utf-8"), "-"])
        .output()
        .expect("pdftotext (poppler-utils) runs");
    assert!(out.status.success(), "pdftotext failed");
    String::from_utf8(out.stdout).expect("utf-8")
}

#[test]
fn chinese_text_extracts_as_written_with_digits_unspaced() {
    let pdf = render(
        &FONTS,
        &doc(
            "人民调解协议书",
            &["张三", "李四"],
            "甲方于2026年12月31日前一次性支付乙方工资8000元。",
        ),
    )
    .expect("rendered");
    assert!(pdf.starts_with(b"%PDF-"));
    let text = text_of(&pdf);
    for want in [
        "人民调解协议书",
        "当事人：张三",
        "当事人：李四",
        // cjk-latin-spacing: none keeps digits next to Chinese without inserted spaces.
        "甲方于2026年12月31日前一次性支付乙方工资8000元。",
        "调成率",
        "第1页",
    ] {
        assert!(text.contains(want), "{want:?} missing from:\n{text}");
    }
}

#[test]
fn peoples_text_is_never_markup() {
    let hostile = "#panic(\"x\") *粗体* [链接] $x$ <lbl> @ref \\ _下划线_";
    let pdf = render(&FONTS, &doc("协议", &[hostile], "")).expect("rendered");
    let text = text_of(&pdf);
    assert!(
        text.contains("#panic(\"x\") *粗体* [链接] $x$ <lbl> @ref \\ _下划线_"),
        "{text}"
    );
}

#[test]
fn the_same_input_gives_the_same_bytes() {
    let a = render(&FONTS, &doc("协议", &["张三"], "条款")).expect("a");
    let b = render(&FONTS, &doc("协议", &["张三"], "条款")).expect("b");
    assert_eq!(a, b);
    let c = render(&FONTS, &doc("协议", &["张三"], "条款。")).expect("c");
    assert_ne!(a, c);
}

#[test]
fn fonts_without_chinese_are_refused_with_the_reason() {
    let empty = tempfile::tempdir().expect("tempdir");
    let err = Fonts::load(&[empty.path().to_path_buf()]).expect_err("no CJK font");
    assert!(matches!(err, PdfError::NoCjkFont { .. }));
    assert!(err.to_string().contains("fonts-noto-cjk"), "{err}");
    let err = Fonts::load(&[PathBuf::from("/nonexistent/fonts")]).expect_err("no dir");
    assert!(err.to_string().contains("无法读取字体目录"), "{err}");
}

#[test]
fn a_broken_template_or_a_file_outside_is_an_error() {
    let mut d = doc("协议", &["张三"], "条款");
    d.template = "#let x = (\n";
    let err = render(&FONTS, &d).expect_err("broken");
    assert!(err.to_string().starts_with("文书排版失败"), "{err}");

    let mut d = doc("协议", &["张三"], "条款");
    d.template = "#read(\"/etc/passwd\")";
    assert!(
        render(&FONTS, &d).is_err(),
        "the server's disk is not readable"
    );

    let mut d = doc("协议", &["张三"], "条款");
    d.files.push(("../x.svg".to_owned(), Vec::new()));
    assert!(matches!(render(&FONTS, &d), Err(PdfError::BadName(_))));
}
