//! hejie's documents as PDF (人民调解协议书, 研判预警专报, 卷宗): typst used as a library.
//!
//! A document is a typst *template* we write and a JSON *data* file it reads with
//! `json("data.json")`. People's text (names, facts, terms) therefore never passes through the
//! typst parser as markup: a party called `#[*]` prints as `#[*]`. Charts are SVG files made by
//! the server and passed alongside (`image("chart-1.svg")`).
//!
//! Fonts come from the system (Debian's `fonts-noto-cjk`, installed by the README's commands);
//! nothing is downloaded and no `@preview` package is used. The font directory is configuration.
//! Output is deterministic for the same template, data, files and date, so a document can be
//! regenerated from the record and compared byte for byte.
//!
//! This crate is kept apart because typst is expensive to compile; only the crates that make
//! documents depend on it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use typst::diag::{FileError, FileResult, Severity};
use typst::foundations::{Bytes, Datetime, Duration, Smart};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};
use typst_layout::PagedDocument;

/// Where Debian's `fonts-noto-cjk` puts the Noto CJK collections.
pub const DEFAULT_FONT_DIR: &str = "/usr/share/fonts/opentype/noto";

/// The family every template sets for body text; it must be among the loaded fonts.
pub const BODY_FAMILY: &str = "Noto Serif CJK SC";

/// Why a document could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    /// The font directories hold no font with the CJK family the templates use.
    #[error("未找到中文字体“{family}”（查找目录：{dirs}）；请安装 fonts-noto-cjk 或配置字体目录")]
    NoCjkFont { family: &'static str, dirs: String },
    /// A font directory could not be read.
    #[error("无法读取字体目录 {dir}：{reason}")]
    FontDir { dir: String, reason: String },
    /// The template did not typeset (a bug in our template or data it cannot handle).
    #[error("文书排版失败：{0}")]
    Typeset(String),
    /// A file name given alongside the template is not a plain relative name.
    #[error("文书附件名称无效：{0}")]
    BadName(String),
}

/// The fonts documents may use, loaded once and shared.
pub struct Fonts {
    fonts: Vec<Font>,
    book: LazyHash<FontBook>,
}

impl std::fmt::Debug for Fonts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fonts")
            .field("faces", &self.fonts.len())
            .finish()
    }
}

fn font_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), PdfError> {
    let entries = std::fs::read_dir(dir).map_err(|e| PdfError::FontDir {
        dir: dir.display().to_string(),
        reason: e.to_string(),
    })?;
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            font_files(&path, out)?;
        } else if path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "ttf" | "otf" | "ttc"))
        {
            out.push(path);
        }
    }
    Ok(())
}

impl Fonts {
    /// Loads every font under `dirs` (recursively). Fails unless [`BODY_FAMILY`] is among them,
    /// because a document without it would print boxes instead of Chinese.
    pub fn load(dirs: &[PathBuf]) -> Result<Self, PdfError> {
        let mut files = Vec::new();
        for dir in dirs {
            font_files(dir, &mut files)?;
        }
        // Sorted so the face order, and with it the output, does not depend on the directory
        // listing order.
        files.sort();
        let mut fonts = Vec::new();
        for file in files {
            if let Ok(data) = std::fs::read(&file) {
                fonts.extend(Font::iter(Bytes::new(data)));
            }
        }
        let book = FontBook::from_fonts(&fonts);
        let has_body = book
            .families()
            .any(|(name, _)| name.eq_ignore_ascii_case(BODY_FAMILY));
        if !has_body {
            return Err(PdfError::NoCjkFont {
                family: BODY_FAMILY,
                dirs: dirs
                    .iter()
                    .map(|d| d.display().to_string())
                    .collect::<Vec<_>>()
                    .join("、"),
            });
        }
        Ok(Self {
            fonts,
            book: LazyHash::new(book),
        })
    }

    /// Loads the default directory, or the directories in `HEJIE_FONT_DIRS` (separated by `:`).
    pub fn from_env() -> Result<Self, PdfError> {
        let dirs: Vec<PathBuf> = match std::env::var("HEJIE_FONT_DIRS") {
            Ok(v) if !v.trim().is_empty() => v.split(':').map(PathBuf::from).collect(),
            _ => vec![PathBuf::from(DEFAULT_FONT_DIR)],
        };
        Self::load(&dirs)
    }

    /// How many font faces were loaded.
    pub fn faces(&self) -> usize {
        self.fonts.len()
    }
}

/// One document to make: a template, its data and any files it includes.
#[derive(Debug, Clone)]
pub struct Document<'a> {
    /// The typst template; it reads its data with `json("data.json")`.
    pub template: &'a str,
    /// The data, as JSON.
    pub data: Vec<u8>,
    /// Other files by name (e.g. `chart-1.svg`).
    pub files: Vec<(String, Vec<u8>)>,
    /// The date `datetime.today()` gives, so output does not depend on when it is made.
    pub today: (i32, u8, u8),
    /// A stable identifier for the PDF's document id (e.g. the case number).
    pub ident: String,
}

fn file_id(name: &str) -> Result<FileId, PdfError> {
    if name.is_empty() || name.contains("..") || name.starts_with('/') || name.contains('\\') {
        return Err(PdfError::BadName(name.to_owned()));
    }
    let vpath = VirtualPath::new(name).map_err(|_| PdfError::BadName(name.to_owned()))?;
    Ok(RootedPath::new(VirtualRoot::Project, vpath).intern())
}

struct DocWorld<'a> {
    library: LazyHash<Library>,
    fonts: &'a Fonts,
    main: Source,
    files: HashMap<FileId, Bytes>,
    today: (i32, u8, u8),
}

impl World for DocWorld<'_> {
    fn library(&self) -> &LazyHash<Library> {
        &self.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &self.fonts.book
    }

    fn main(&self) -> FileId {
        self.main.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() {
            Ok(self.main.clone())
        } else {
            Err(FileError::NotSource)
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        // Only the files handed in exist: a template cannot read the server's disk.
        self.files.get(&id).cloned().ok_or(FileError::AccessDenied)
    }

    fn font(&self, index: usize) -> Option<Font> {
        self.fonts.fonts.get(index).cloned()
    }

    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        let (y, m, d) = self.today;
        Datetime::from_ymd(y, m, d)
    }
}

/// Typesets `doc` and writes it as PDF.
pub fn render(fonts: &Fonts, doc: &Document<'_>) -> Result<Vec<u8>, PdfError> {
    let mut files = HashMap::new();
    files.insert(file_id("data.json")?, Bytes::new(doc.data.clone()));
    for (name, bytes) in &doc.files {
        files.insert(file_id(name)?, Bytes::new(bytes.clone()));
    }
    let world = DocWorld {
        library: LazyHash::new(Library::builder().build()),
        fonts,
        main: Source::new(file_id("main.typ")?, doc.template.to_owned()),
        files,
        today: doc.today,
    };
    let compiled = typst::compile::<PagedDocument>(&world);
    let document = compiled.output.map_err(|errors| {
        PdfError::Typeset(
            errors
                .iter()
                .filter(|d| d.severity == Severity::Error)
                .map(|d| d.message.to_string())
                .collect::<Vec<_>>()
                .join("；"),
        )
    })?;
    let options = typst_pdf::PdfOptions {
        ident: Smart::Custom(doc.ident.clone()),
        creator: Smart::Custom(Some("hejie".to_owned())),
        ..Default::default()
    };
    typst_pdf::pdf(&document, &options).map_err(|errors| {
        PdfError::Typeset(
            errors
                .iter()
                .map(|d| d.message.to_string())
                .collect::<Vec<_>>()
                .join("；"),
        )
    })
}
