//! Writing results: JSON and CSV files, and a directory to put them in.

use std::fs;
use std::path::Path;

use crate::Failure;

pub fn write(dir: &Path, name: &str, contents: &str) -> Result<(), Failure> {
    fs::create_dir_all(dir)
        .map_err(|e| Failure::Run(format!("cannot create {}: {e}", dir.display())))?;
    let path = dir.join(name);
    fs::write(&path, contents)
        .map_err(|e| Failure::Run(format!("cannot write {}: {e}", path.display())))
}

/// Quotes a CSV field when needed.
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}
