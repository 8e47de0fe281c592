//! Errors of the intake crate.

/// Why a persisted model or a training file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    /// The persisted model is not valid JSON of the expected shape.
    #[error("分类模型数据无法解析：{0}")]
    Json(#[from] serde_json::Error),
    /// The persisted model has a format version this code does not understand.
    #[error("分类模型版本 {0} 不受支持")]
    Version(u32),
    /// The persisted model names a dispute type that does not exist.
    #[error("分类模型含有未知的纠纷类型“{0}”")]
    UnknownType(String),
    /// A line of a training file is not `type code TAB text`.
    #[error("训练数据第 {line} 行格式不正确：{reason}")]
    Tsv { line: usize, reason: String },
}
