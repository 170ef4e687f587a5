//! Embeds `corpus/TARGET/FILE` into the library as `CORPUS` (see `src/corpus.rs`).

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut entries = Vec::new();
    if let Ok(targets) = std::fs::read_dir(&root) {
        for target in targets.flatten().filter(|e| e.path().is_dir()) {
            println!("cargo:rerun-if-changed={}", target.path().display());
            for file in std::fs::read_dir(target.path())
                .into_iter()
                .flatten()
                .flatten()
            {
                if file.path().is_file() {
                    entries.push((
                        target.file_name().to_string_lossy().into_owned(),
                        file.file_name().to_string_lossy().into_owned(),
                        file.path(),
                    ));
                }
            }
        }
    }
    entries.sort();
    let mut out = String::from("pub static CORPUS: &[Entry] = &[\n");
    for (target, name, path) in entries {
        let _ = writeln!(
            out,
            "    Entry {{ target: {target:?}, name: {name:?}, bytes: include_bytes!({:?}) }},",
            path.display().to_string()
        );
    }
    out.push_str("];\n");
    let dest = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("corpus.rs");
    std::fs::write(dest, out).expect("OUT_DIR is writable");
}
