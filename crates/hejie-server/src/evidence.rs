//! Evidence files (证据材料) of a case: photos, PDF documents and audio recordings that staff or
//! the parties upload. What a file is, is decided by its content (magic bytes) against an
//! allow-list, never by its name or the type the browser claims; a name is kept only for
//! display, cleaned of anything path-like. Files are stored outside any web root, in the
//! configured files directory, under their SHA-256, written to a temporary file and renamed so
//! a reader never sees half a file; the hash goes into the case's event log. They are served
//! only through the case's access rules, as attachments that the browser must not sniff.

use std::path::{Path, PathBuf};

use hejie_domain::case::{CaseState, Command, Meta};
use hejie_domain::mediation::Evidence;
use hejie_domain::user::User;
use hejie_store::Committed;

use crate::cases;
use crate::error::AppError;
use crate::state::AppState;

/// A kind of file the case record accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kind {
    pub content_type: &'static str,
    /// What people call it, in Chinese.
    pub label: &'static str,
    pub extension: &'static str,
}

const JPEG: Kind = Kind {
    content_type: "image/jpeg",
    label: "照片",
    extension: "jpg",
};
const PNG: Kind = Kind {
    content_type: "image/png",
    label: "图片",
    extension: "png",
};
const WEBP: Kind = Kind {
    content_type: "image/webp",
    label: "图片",
    extension: "webp",
};
const HEIC: Kind = Kind {
    content_type: "image/heic",
    label: "照片",
    extension: "heic",
};
const PDF: Kind = Kind {
    content_type: "application/pdf",
    label: "PDF 文件",
    extension: "pdf",
};
const MP3: Kind = Kind {
    content_type: "audio/mpeg",
    label: "录音",
    extension: "mp3",
};
const M4A: Kind = Kind {
    content_type: "audio/mp4",
    label: "录音",
    extension: "m4a",
};
const WAV: Kind = Kind {
    content_type: "audio/wav",
    label: "录音",
    extension: "wav",
};
const AMR: Kind = Kind {
    content_type: "audio/amr",
    label: "录音",
    extension: "amr",
};

/// What the content of `bytes` is, if it is one of the kinds the record accepts: JPEG, PNG,
/// WebP and HEIC photos, PDF, and MP3, M4A, WAV and AMR recordings (what phones make).
pub fn sniff(bytes: &[u8]) -> Option<Kind> {
    let at = |offset: usize, magic: &[u8]| bytes.get(offset..offset + magic.len()) == Some(magic);
    if at(0, &[0xFF, 0xD8, 0xFF]) {
        return Some(JPEG);
    }
    if at(0, b"\x89PNG\r\n\x1a\n") {
        return Some(PNG);
    }
    if at(0, b"%PDF-") {
        return Some(PDF);
    }
    if at(0, b"RIFF") && at(8, b"WEBP") {
        return Some(WEBP);
    }
    if at(0, b"RIFF") && at(8, b"WAVE") {
        return Some(WAV);
    }
    if at(0, b"#!AMR") {
        return Some(AMR);
    }
    if at(0, b"ID3") || (bytes.len() > 2 && bytes[0] == 0xFF && bytes[1] & 0xE0 == 0xE0) {
        return Some(MP3);
    }
    if at(4, b"ftyp") {
        let brand = bytes.get(8..12)?;
        return match brand {
            b"heic" | b"heix" | b"mif1" | b"msf1" => Some(HEIC),
            b"M4A " | b"M4B " | b"mp42" | b"isom" => Some(M4A),
            _ => None,
        };
    }
    None
}

/// What people call a file of this media type.
pub fn sniff_label(content_type: &str) -> &'static str {
    [JPEG, PNG, WEBP, HEIC, PDF, MP3, M4A, WAV, AMR]
        .iter()
        .find(|k| k.content_type == content_type)
        .map_or("文件", |k| k.label)
}

/// The kinds accepted, for telling people what they may upload.
pub const ACCEPTED: &str = "照片（JPEG、PNG、WebP、HEIC）、PDF 文件、录音（MP3、M4A、WAV、AMR）";

/// A file name fit to show and to offer for download: the name as given, refused when it tries
/// to name a path (`..`, `/`, `\`), has control characters, or is empty or too long.
pub fn clean_name(name: &str) -> Result<String, AppError> {
    let name = name.trim();
    let bad = |m: &str| AppError::validation("file", m.to_owned());
    if name.is_empty() {
        return Err(bad("请选择要上传的文件"));
    }
    if name.contains("..") || name.contains('/') || name.contains('\\') {
        return Err(bad("文件名不能包含路径（如“..”“/”“\\”），请重命名后上传"));
    }
    if name.chars().any(char::is_control) {
        return Err(bad("文件名含有不可见字符，请重命名后上传"));
    }
    if name.chars().count() > 100 {
        return Err(bad("文件名不能超过100字"));
    }
    Ok(name.to_owned())
}

/// Files by content hash in a directory outside any web root.
#[derive(Debug, Clone)]
pub struct FileStore {
    dir: PathBuf,
}

impl FileStore {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    fn path(&self, sha256: &str) -> Option<PathBuf> {
        // Only a well-formed hash ever becomes a path.
        hejie_domain::mediation::is_sha256_hex(sha256)
            .then(|| self.dir.join(&sha256[..2]).join(sha256))
    }

    /// Stores `bytes` under their SHA-256 and returns it. Storing the same bytes again is a
    /// no-op.
    pub fn put(&self, bytes: &[u8]) -> std::io::Result<String> {
        let sha = hejie_crypto::sha256_hex(bytes);
        let Some(path) = self.path(&sha) else {
            return Err(std::io::Error::other("bad hash"));
        };
        if path.exists() {
            return Ok(sha);
        }
        let parent = path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(parent)?;
        let tmp = parent.join(format!(".{sha}.{}", crate::auth::random_token()));
        std::fs::write(&tmp, bytes)?;
        std::fs::File::open(&tmp)?.sync_all()?;
        std::fs::rename(&tmp, &path)?;
        Ok(sha)
    }

    /// The bytes stored under `sha256`, checked against it.
    pub fn get(&self, sha256: &str) -> std::io::Result<Option<Vec<u8>>> {
        let Some(path) = self.path(sha256) else {
            return Ok(None);
        };
        match std::fs::read(&path) {
            Ok(bytes) if hejie_crypto::sha256_hex(&bytes) == sha256 => Ok(Some(bytes)),
            Ok(_) => Err(std::io::Error::other(format!(
                "{} does not match its hash",
                path.display()
            ))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }
}

pub(crate) fn files(state: &AppState) -> Result<FileStore, AppError> {
    state
        .config
        .files_dir
        .as_ref()
        .map(FileStore::new)
        .ok_or_else(|| AppError::Unavailable("未配置证据文件的存储目录".to_owned()))
}

/// Checks an upload and stores it; the evidence to record.
fn accept(
    state: &AppState,
    name: &str,
    bytes: &[u8],
    description: Option<String>,
    party: Option<u32>,
) -> Result<Evidence, AppError> {
    let name = clean_name(name)?;
    if bytes.is_empty() {
        return Err(AppError::validation("file", "文件是空的，请重新选择"));
    }
    let max = state.config.evidence_max_bytes;
    if bytes.len() > max {
        return Err(too_large(max));
    }
    let kind = sniff(bytes).ok_or_else(|| {
        AppError::validation(
            "file",
            format!("不支持该文件类型（按文件内容识别）。可上传：{ACCEPTED}"),
        )
    })?;
    let sha256 = files(state)?
        .put(bytes)
        .map_err(|e| AppError::internal(anyhow::anyhow!("storing evidence: {e}")))?;
    Ok(Evidence {
        sha256,
        name,
        content_type: kind.content_type.to_owned(),
        size: bytes.len() as u64,
        description: description.filter(|d| !d.trim().is_empty()),
        party,
    })
}

/// The refusal of a file over the limit, in megabytes.
pub fn too_large(max: usize) -> AppError {
    AppError::validation(
        "file",
        format!("文件过大，单个文件不能超过{}MB", max / (1024 * 1024)),
    )
}

/// Staff add a file to the case's evidence; `st` is the case as `cases::prepare` checked it
/// (before the upload was read).
pub async fn add(
    state: &AppState,
    user: &User,
    st: &CaseState,
    name: &str,
    bytes: &[u8],
    description: Option<String>,
) -> Result<Committed, AppError> {
    let evidence = accept(state, name, bytes, description, None)?;
    cases::commit(
        state,
        st,
        cases::meta_for(state, user),
        Command::AddEvidence { evidence },
    )
    .await
}

/// A party adds a file to their case's evidence (their identity proved by the caller).
pub async fn add_for_party(
    state: &AppState,
    st: &CaseState,
    meta: Meta,
    party: u32,
    name: &str,
    bytes: &[u8],
    description: Option<String>,
) -> Result<Committed, AppError> {
    let evidence = accept(state, name, bytes, description, Some(party))?;
    cases::commit(state, st, meta, Command::AddEvidence { evidence }).await
}

/// One file of a case the caller may see: its record and its bytes.
pub fn read(
    state: &AppState,
    st: &CaseState,
    sha256: &str,
) -> Result<(Evidence, Vec<u8>), AppError> {
    let case = st.case().ok_or(AppError::NotFound)?;
    let evidence = case
        .evidence
        .iter()
        .find(|e| e.sha256 == sha256)
        .cloned()
        .ok_or(AppError::NotFound)?;
    let bytes = files(state)?
        .get(sha256)
        .map_err(|e| AppError::internal(anyhow::anyhow!("reading evidence: {e}")))?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("evidence {sha256} is missing")))?;
    Ok((evidence, bytes))
}

/// A file as a download: never shown inline, never sniffed.
pub fn attachment(evidence: &Evidence, bytes: Vec<u8>) -> axum::response::Response {
    let ext = evidence.name.rsplit('.').next().unwrap_or("bin");
    let ascii = format!(
        "evidence-{}.{}",
        &evidence.sha256[..12],
        if ext.is_ascii() && ext.len() <= 5 {
            ext
        } else {
            "bin"
        }
    );
    crate::download::attachment(bytes, &evidence.content_type, &ascii, &evidence.name)
}
