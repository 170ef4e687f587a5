//! Fetching the corpora's archives with the registries' ordinary clients (`npm pack`, `pip
//! download`, `apt-get download`), checking each against its pinned sha256, and unpacking them
//! (tar, dpkg-deb) into temporary directories.

use std::fmt::Write as _;
use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

use crate::Error;

/// How an archive is fetched.
#[derive(Clone, Copy)]
pub enum Fetch {
    /// `npm pack SPEC`
    Npm(&'static str),
    /// `pip download --no-deps --no-binary :all: SPEC`
    Pip(&'static str),
    /// `apt-get download SPEC`
    Apt(&'static str),
}

#[derive(Clone, Copy)]
pub struct Archive {
    pub file: &'static str,
    pub sha256: &'static str,
    pub fetch: Fetch,
}

impl Fetch {
    pub fn command_line(self) -> String {
        match self {
            Fetch::Npm(s) => format!("npm pack {s}"),
            Fetch::Pip(s) => format!("pip download --no-deps --no-binary :all: {s}"),
            Fetch::Apt(s) => format!("apt-get download {s}"),
        }
    }
}

/// A temporary directory removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(parent: &Path, label: &str) -> Result<TempDir, Error> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let path = parent.join(format!(".{label}-{}-{nanos}", std::process::id()));
        fs::create_dir_all(&path).map_err(|e| Error::io("create", &path, e))?;
        Ok(TempDir(path))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

pub fn sha256_file(path: &Path) -> Result<String, Error> {
    let bytes = fs::read(path).map_err(|e| Error::io("read", path, e))?;
    let digest = Sha256::digest(&bytes);
    Ok(digest.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    }))
}

/// Runs `program args` in `dir`, turning a missing program or a failure into a clear message.
pub fn run_tool(
    program: &str,
    args: &[&str],
    dir: &Path,
    purpose: &str,
    install: &str,
) -> Result<String, Error> {
    let output = Command::new(program).args(args).current_dir(dir).output().map_err(|e| {
        if e.kind() == ErrorKind::NotFound {
            Error::Run(format!("`{program}` is not installed; it is needed to {purpose}. Install it ({install}) and rerun."))
        } else {
            Error::Run(format!("cannot run `{program}` to {purpose}: {e}"))
        }
    })?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let tail: Vec<&str> = stderr
            .lines()
            .rev()
            .take(8)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        Err(Error::Run(format!(
            "`{program} {}` failed ({}) while trying to {purpose}:\n{}",
            args.join(" "),
            output.status,
            tail.join("\n")
        )))
    }
}

/// Makes sure `cache/ARCHIVE` exists with the pinned hash, downloading it when needed.
pub fn ensure_archive(cache: &Path, archive: Archive) -> Result<PathBuf, Error> {
    let path = cache.join(archive.file);
    if path.is_file() {
        if sha256_file(&path)? == archive.sha256 {
            return Ok(path);
        }
        eprintln!(
            "{}: cached copy has the wrong sha256; downloading it again",
            archive.file
        );
    }
    fs::create_dir_all(cache).map_err(|e| Error::io("create", cache, e))?;
    let tmp = TempDir::new(cache, "download")?;
    eprintln!(
        "fetching {} with `{}`",
        archive.file,
        archive.fetch.command_line()
    );
    let purpose = format!("download {}", archive.file);
    match archive.fetch {
        Fetch::Npm(spec) => {
            run_tool(
                "npm",
                &["pack", spec, "--silent"],
                &tmp.0,
                &purpose,
                "Node.js and npm, e.g. `apt-get install npm`",
            )?;
        }
        Fetch::Pip(spec) => {
            let args = [
                "download",
                "--no-deps",
                "--no-binary",
                ":all:",
                "--disable-pip-version-check",
                spec,
                "-d",
                ".",
            ];
            let install = "Python 3 and pip, e.g. `apt-get install python3-pip`";
            let first = run_tool("pip", &args, &tmp.0, &purpose, install);
            if let Err(Error::Run(message)) = &first {
                if message.contains("is not installed") {
                    let mut module_args = vec!["-m", "pip"];
                    module_args.extend_from_slice(&args);
                    run_tool("python3", &module_args, &tmp.0, &purpose, install)?;
                } else {
                    first?;
                }
            } else {
                first?;
            }
        }
        Fetch::Apt(spec) => {
            let mut fetched = run_tool(
                "apt-get",
                &["download", spec],
                &tmp.0,
                &purpose,
                "Debian/Ubuntu's apt",
            );
            if fetched.is_err() {
                // A fresh machine may have no package lists yet: refresh them once (as root).
                eprintln!("apt-get download {spec} failed; running apt-get update and retrying");
                let _ = std::process::Command::new("apt-get")
                    .args(["update", "-qq"])
                    .status();
                fetched = run_tool(
                    "apt-get",
                    &["download", spec],
                    &tmp.0,
                    &purpose,
                    "Debian/Ubuntu's apt",
                );
            }
            fetched.map_err(|e| match e {
                Error::Run(m) => Error::Run(format!(
                    "{m}\nhint: run `apt-get update` (as root) so apt knows the package, then rerun; the archive must be {}",
                    archive.file
                )),
                other => other,
            })?;
        }
    }
    let fetched = tmp.0.join(archive.file);
    if !fetched.is_file() {
        let found: Vec<String> = fs::read_dir(&tmp.0)
            .map(|d| {
                d.filter_map(Result::ok)
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        return Err(Error::Run(format!(
            "`{}` did not produce {} (it produced: {})",
            archive.fetch.command_line(),
            archive.file,
            if found.is_empty() {
                "nothing".to_owned()
            } else {
                found.join(", ")
            }
        )));
    }
    let hash = sha256_file(&fetched)?;
    if hash != archive.sha256 {
        return Err(Error::Run(format!(
            "{} has sha256 {hash}, but {} is pinned; the registry served a different file, so the corpus would not be reproducible",
            archive.file, archive.sha256
        )));
    }
    fs::rename(&fetched, &path)
        .or_else(|_| fs::copy(&fetched, &path).map(|_| ()))
        .map_err(|e| {
            Error::Run(format!(
                "cannot move {} into {}: {e}",
                archive.file,
                cache.display()
            ))
        })?;
    Ok(path)
}

pub fn extract_tar(archive: &Path, into: &Path) -> Result<(), Error> {
    let a = archive.to_string_lossy();
    let d = into.to_string_lossy();
    run_tool(
        "tar",
        &["-xzf", &a, "-C", &d],
        into,
        &format!("extract {}", archive.display()),
        "GNU tar",
    )?;
    Ok(())
}

pub fn read_text(path: &Path) -> Result<String, Error> {
    let bytes = fs::read(path).map_err(|e| Error::io("read", path, e))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Files directly in `dir` whose name satisfies `keep`, sorted by name.
pub fn list_files(
    dir: &Path,
    keep: impl Fn(&str) -> bool,
) -> Result<Vec<(String, PathBuf)>, Error> {
    let entries = fs::read_dir(dir).map_err(|e| Error::io("list", dir, e))?;
    let mut files: Vec<(String, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            (keep(&name) && e.path().is_file()).then(|| (name, e.path()))
        })
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(Error::Run(format!(
            "no expected files in {}: has the package changed?",
            dir.display()
        )));
    }
    Ok(files)
}
