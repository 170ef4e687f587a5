//! How a pipeline step fails.

use std::path::PathBuf;

use thiserror::Error;

/// A failed step. [`Error::Usage`] is bad input the caller must change (the CLI exits with 2);
/// everything else failed while running (exit 1).
#[derive(Debug, Error)]
pub enum Error {
    /// Bad options or inputs: nothing was done.
    #[error("{0}")]
    Usage(String),
    /// A file or directory could not be read, written or created.
    #[error("cannot {action} {}: {source}{}", path.display(), suffix(hint.as_deref()))]
    Io {
        /// `"read"`, `"write"`, `"create"`.
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
        /// What to run first, when the file comes from an earlier step.
        hint: Option<String>,
    },
    /// A step failed while running.
    #[error("{0}")]
    Run(String),
}

fn suffix(hint: Option<&str>) -> String {
    hint.map(|h| format!(" ({h})")).unwrap_or_default()
}

impl Error {
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            action,
            path: path.into(),
            source,
            hint: None,
        }
    }

    /// Adds what to do about a run failure, in parentheses (`run ... first`); usage errors
    /// stay as they are.
    #[must_use]
    pub fn hint(self, hint: impl Into<String>) -> Self {
        match self {
            Self::Io {
                action,
                path,
                source,
                hint: None,
            } => Self::Io {
                action,
                path,
                source,
                hint: Some(hint.into()),
            },
            Self::Io { .. } | Self::Run(_) => Self::Run(format!("{self} ({})", hint.into())),
            usage @ Self::Usage(_) => usage,
        }
    }

    /// Whether the caller's input was wrong (exit code 2) rather than the run (1).
    pub fn is_usage(&self) -> bool {
        matches!(self, Self::Usage(_))
    }
}
