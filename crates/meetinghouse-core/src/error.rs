//! Core's error: what the person did wrong (in plain words) or what broke.

use meetinghouse_store::StoreError;

/// Field-by-field problems with submitted input, in plain language.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(pub Vec<(&'static str, String)>);

impl FieldErrors {
    pub fn new() -> Self {
        FieldErrors(Vec::new())
    }
    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.push((field, message.into()));
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// The first message for a field, if any.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.iter().find(|(f, _)| *f == field).map(|(_, m)| m.as_str())
    }
    /// Turns collected problems into an error, or `Ok` when there are none.
    pub fn into_result(self) -> std::result::Result<(), CoreError> {
        if self.is_empty() { Ok(()) } else { Err(CoreError::Invalid(self)) }
    }
    pub fn one(field: &'static str, message: impl Into<String>) -> CoreError {
        let mut e = FieldErrors::new();
        e.add(field, message);
        CoreError::Invalid(e)
    }
}

impl std::fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        f.write_str(&parts.join("; "))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// The input was wrong; each field says why.
    #[error("{0}")]
    Invalid(FieldErrors),
    /// The person may not do this; the message says why, in plain words.
    #[error("{0}")]
    Forbidden(String),
    /// The thing does not exist (or the person may not know it exists).
    #[error("not found")]
    NotFound,
    /// The storage layer failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Something else failed that the person cannot fix.
    #[error("{0}")]
    Internal(String),
}

pub type Result<T> = std::result::Result<T, CoreError>;
