//! `polytope dict validate PATH`: reads every file a data directory (or one dictionary
//! directory) references, checks its length and checksum, decodes it completely, and says
//! exactly what is wrong.

use std::path::{Path, PathBuf};

use polytope_core::dict::{
    DataIndex, DictError, DictManifest, FeatureSummary, FileRef, SaeWeights, ScoresRef,
    UnitRecords, UnitRef, decode_chunk, decode_chunk_feature, decode_list, decode_scores,
    scores_units_in,
};

use polytope_core::lm::tokenizer::Tokenizer;

use crate::Error;

#[derive(clap::Args)]
pub struct Args {
    /// A data directory (with `index.json`) or one dictionary directory (with `manifest.json`).
    pub path: PathBuf,
    /// Prints `{ok, files: [{path, ok, error?}], dictionaries, features, bytes}` as JSON.
    #[arg(long)]
    pub json: bool,
    /// Also fails if the referenced files add up to more than this many MB (10^6 bytes).
    #[arg(long)]
    pub max_mb: Option<f64>,
}

/// One checked file.
struct FileReport {
    path: String,
    bytes: u64,
    error: Option<String>,
}

#[derive(Default)]
struct Report {
    files: Vec<FileReport>,
    dictionaries: u32,
    features: u64,
}

impl Report {
    fn ok(&mut self, path: &str, bytes: usize) {
        self.files.push(FileReport {
            path: path.to_string(),
            bytes: bytes as u64,
            error: None,
        });
    }

    fn fail(&mut self, path: &str, bytes: usize, error: impl Into<String>) {
        self.files.push(FileReport {
            path: path.to_string(),
            bytes: bytes as u64,
            error: Some(error.into()),
        });
    }

    fn record(&mut self, path: &str, bytes: usize, result: Result<(), String>) {
        match result {
            Ok(()) => self.ok(path, bytes),
            Err(e) => self.fail(path, bytes, e),
        }
    }
}

/// `dir/rel` displayed relative to the validated root.
fn join(prefix: &str, rel: &str) -> String {
    if prefix.is_empty() {
        rel.to_string()
    } else {
        format!("{prefix}/{rel}")
    }
}

/// Reads a referenced file and checks its length and checksum.
fn fetch(root: &Path, prefix: &str, r: &FileRef, report: &mut Report) -> Option<Vec<u8>> {
    let shown = join(prefix, &r.path);
    let bytes = match std::fs::read(root.join(&shown)) {
        Ok(b) => b,
        Err(e) => {
            report.fail(&shown, 0, format!("cannot read: {e}"));
            return None;
        }
    };
    if let Err(e) = r.check(&bytes) {
        report.fail(&shown, bytes.len(), inner(&e));
        return None;
    }
    Some(bytes)
}

/// A check error without the path prefix `FileRef::check` adds (the report names the file).
fn inner(e: &DictError) -> String {
    let s = e.to_string();
    match s.split_once(": ") {
        Some((_, rest)) => rest.to_string(),
        None => s,
    }
}

/// What a dictionary's files are checked against besides its manifest.
struct DictChecks {
    eval_tokens: Option<u64>,
    vocab: Option<u32>,
    /// `d_sae` of each related dictionary (when known), for split edges.
    related_d_sae: Vec<Option<u32>>,
    /// `d_sae` of the match dictionary (when known), for best matches.
    match_d_sae: Option<u32>,
}

fn check_weights(m: &DictManifest, w: &SaeWeights) -> Result<(), String> {
    if w.d_in != m.d_in || w.d_sae != m.d_sae || w.variant.name() != m.variant || w.k != m.k {
        return Err(format!(
            "the weights are {} x {} {} (k {:?}), the manifest says {} x {} {} (k {:?})",
            w.d_sae,
            w.d_in,
            w.variant.name(),
            w.k,
            m.d_sae,
            m.d_in,
            m.variant,
            m.k
        ));
    }
    if w.normalize_scale.to_bits() != m.training.normalize_scale.to_bits() {
        return Err(format!(
            "normalize_scale is {} in the weights, {} in the manifest",
            w.normalize_scale, m.training.normalize_scale
        ));
    }
    Ok(())
}

fn check_list(m: &DictManifest, list: &[FeatureSummary]) -> Result<(), String> {
    let dead = list.iter().filter(|f| f.is_dead()).count();
    let ultralow = list.iter().filter(|f| f.is_ultralow()).count();
    if dead != m.metrics.dead as usize || ultralow != m.metrics.ultralow as usize {
        return Err(format!(
            "{dead} features are flagged dead and {ultralow} ultralow, the manifest's metrics \
             say {} and {}",
            m.metrics.dead, m.metrics.ultralow
        ));
    }
    Ok(())
}

/// Checks one dictionary directory (`prefix` relative to `root`).
/// A scores file: reference, then every value (`units`: how many it must hold; `None` for the
/// control, whose size the pipeline chooses).
fn check_scores(root: &Path, prefix: &str, s: &ScoresRef, units: Option<u32>, report: &mut Report) {
    let Some(bytes) = fetch(root, prefix, &s.file, report) else {
        return;
    };
    let measures = s.measures.len() as u32;
    let units = units.unwrap_or_else(|| scores_units_in(bytes.len(), measures));
    let result = decode_scores(&bytes, units, measures)
        .map(|_| ())
        .map_err(|e| e.to_string());
    report.record(&join(prefix, &s.file.path), bytes.len(), result);
}

fn check_dictionary(
    root: &Path,
    prefix: &str,
    m: &DictManifest,
    checks: &DictChecks,
    report: &mut Report,
) {
    report.dictionaries += 1;
    report.features += u64::from(m.d_sae);
    let list = fetch(root, prefix, &m.list, report).and_then(|bytes| {
        let shown = join(prefix, &m.list.path);
        let decoded = decode_list(&bytes, m.d_sae, checks.vocab).map_err(|e| e.to_string());
        match decoded.and_then(|l| check_list(m, &l).map(|()| l)) {
            Ok(l) => {
                report.ok(&shown, bytes.len());
                Some(l)
            }
            Err(e) => {
                report.fail(&shown, bytes.len(), e);
                None
            }
        }
    });
    if let Some(w) = &m.weights
        && let Some(bytes) = fetch(root, prefix, w, report)
    {
        let result = SaeWeights::from_bytes(&bytes)
            .map_err(|e| e.to_string())
            .and_then(|sae| check_weights(m, &sae));
        report.record(&join(prefix, &w.path), bytes.len(), result);
    }
    if let Some(s) = &m.scores {
        check_scores(root, prefix, s, Some(m.d_sae), report);
    }
    for (i, c) in m.chunks.iter().enumerate() {
        let Some(bytes) = fetch(root, prefix, c, report) else {
            continue;
        };
        let ctx = m.chunk_context(i, checks.eval_tokens, checks.vocab);
        let result = decode_chunk(&bytes, &ctx)
            .map_err(|e| e.to_string())
            .and_then(|details| {
                for d in &details {
                    let fail = |what: String| Err(format!("feature {}: {what}", d.id));
                    if let (Some(list), Some(top)) = (&list, d.top.first()) {
                        let max = list[d.id as usize].max_act;
                        if top.value > half::f16::from_f32(max).to_f32() * 1.001 {
                            return fail(format!(
                                "top example value {} exceeds max_act {max} in the list",
                                top.value
                            ));
                        }
                    }
                    for (j, s) in d.splits.iter().enumerate() {
                        if let Some(Some(n)) = checks.related_d_sae.get(s.dict as usize)
                            && s.feature >= *n
                        {
                            return fail(format!(
                                "split edge {j}: feature {} is not below {:?}'s d_sae {n}",
                                s.feature, m.related[s.dict as usize]
                            ));
                        }
                    }
                    if let (Some((f, _)), Some(n)) = (d.best_match, checks.match_d_sae)
                        && f >= n
                    {
                        return fail(format!(
                            "best match: feature {f} is not below the match dictionary's d_sae {n}"
                        ));
                    }
                }
                Ok(())
            });
        report.record(&join(prefix, &c.path), bytes.len(), result);
    }
}

fn read_json<T>(
    root: &Path,
    shown: &str,
    parse: impl Fn(&[u8]) -> Result<T, DictError>,
    report: &mut Report,
) -> Option<T> {
    match std::fs::read(root.join(shown)) {
        Err(e) => {
            report.fail(shown, 0, format!("cannot read: {e}"));
            None
        }
        Ok(bytes) => match parse(&bytes) {
            Ok(v) => {
                report.ok(shown, bytes.len());
                Some(v)
            }
            Err(e) => {
                report.fail(shown, bytes.len(), e.to_string());
                None
            }
        },
    }
}

fn check_data_dir(root: &Path, report: &mut Report) {
    let Some(index) = read_json(root, "index.json", DataIndex::from_json, report) else {
        return;
    };
    if let Some(bytes) = fetch(root, "", &index.tokenizer, report) {
        let result = std::str::from_utf8(&bytes)
            .map_err(|e| format!("not UTF-8: {e}"))
            .and_then(|text| Tokenizer::from_json(text).map_err(|e| e.to_string()))
            .and_then(|t| {
                if t.vocab_size() == index.vocab as usize {
                    Ok(())
                } else {
                    Err(format!(
                        "the tokenizer has {} tokens, index.json says vocab = {}",
                        t.vocab_size(),
                        index.vocab
                    ))
                }
            });
        report.record(&index.tokenizer.path, bytes.len(), result);
    }
    if let Some(bytes) = fetch(root, "", &index.eval_tokens, report) {
        let bad = bytes
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .enumerate()
            .find(|&(_, t)| u32::from(t) >= index.vocab);
        let result = match bad {
            Some((i, t)) => Err(format!(
                "token {i} is {t}, outside the vocabulary of {}",
                index.vocab
            )),
            None => Ok(()),
        };
        report.record(&index.eval_tokens.path, bytes.len(), result);
    }
    if let Some(bytes) = fetch(root, "", &index.text_sample, report) {
        let result = std::str::from_utf8(&bytes)
            .map(|_| ())
            .map_err(|e| format!("not UTF-8: {e}"));
        report.record(&index.text_sample.path, bytes.len(), result);
    }
    for model in &index.models {
        if let Some(bytes) = fetch(root, "", &model.file, report) {
            // The model file's own format is checked by its reader; here: length and checksum.
            report.ok(&model.file.path, bytes.len());
        }
        if let Some(s) = &model.neuron_scores {
            check_scores(root, "", s, Some(model.d_mlp), report);
        }
        if let Some(s) = &model.control_scores {
            check_scores(root, "", s, None, report);
        }
    }
    let eval_tokens = Some(index.eval_token_count());
    for entry in &index.dictionaries {
        let Some(m) = read_json(root, &entry.manifest, DictManifest::from_json, report) else {
            continue;
        };
        if let Err(e) = index.check_manifest(entry, &m) {
            report.fail(&entry.manifest, 0, e.to_string());
            continue;
        }
        let prefix = entry
            .manifest
            .rsplit_once('/')
            .map_or("", |(dir, _)| dir)
            .to_string();
        let checks = DictChecks {
            eval_tokens,
            vocab: Some(index.vocab),
            related_d_sae: m
                .related
                .iter()
                .map(|r| index.dictionary(r).map(|d| d.d_sae))
                .collect(),
            match_d_sae: m
                .match_dict
                .as_deref()
                .and_then(|md| index.dictionary(md))
                .map(|d| d.d_sae),
        };
        check_dictionary(root, &prefix, &m, &checks, report);
    }
    for e in check_highlights(root, &index) {
        report.fail("index.json", 0, e);
    }
}

/// The records of one unit of a data directory, read and checked against their references.
fn unit_data(root: &Path, index: &DataIndex, unit: &UnitRef) -> Result<UnitRecords, String> {
    let entry = index
        .dictionary(&unit.dict)
        .ok_or_else(|| format!("dictionary {:?} is not in the index", unit.dict))?;
    let read = |rel: &str| std::fs::read(root.join(rel)).map_err(|e| format!("{rel}: {e}"));
    let m = DictManifest::from_json(&read(&entry.manifest)?)
        .map_err(|e| format!("{}: {e}", entry.manifest))?;
    let dir = entry.manifest.rsplit_once('/').map_or("", |(d, _)| d);
    let file = |r: &FileRef| -> Result<Vec<u8>, String> {
        let rel = join(dir, &r.path);
        let bytes = read(&rel)?;
        r.check(&bytes).map_err(|e| format!("{rel}: {e}"))?;
        Ok(bytes)
    };
    let list =
        decode_list(&file(&m.list)?, m.d_sae, Some(index.vocab)).map_err(|e| e.to_string())?;
    let summary = list
        .get(unit.index as usize)
        .cloned()
        .ok_or_else(|| format!("{}/{} is not in the list", unit.dict, unit.index))?;
    let (c, r) = m
        .chunk_for(unit.index)
        .ok_or_else(|| format!("{}/{} is in no chunk", unit.dict, unit.index))?;
    let ctx = m.chunk_context(c, Some(index.eval_token_count()), Some(index.vocab));
    let detail = decode_chunk_feature(&file(r)?, &ctx, unit.index).map_err(|e| e.to_string())?;
    Ok(UnitRecords::new(summary, detail, &m))
}

/// Checks every highlight's claims against a data directory; returns what fails.
pub fn check_highlights(root: &Path, index: &DataIndex) -> Vec<String> {
    if index.highlights().is_empty() {
        return Vec::new();
    }
    let tokenizer = std::fs::read_to_string(root.join(&index.tokenizer.path))
        .map_err(|e| e.to_string())
        .and_then(|t| Tokenizer::from_json(&t).map_err(|e| e.to_string()));
    let tokenizer = match tokenizer {
        Ok(t) => t,
        Err(e) => return vec![format!("highlights: the tokenizer does not load: {e}")],
    };
    let text = |t: u16| tokenizer.token_text(t);
    let unit = |u: &UnitRef| unit_data(root, index, u);
    index
        .highlights()
        .iter()
        .filter_map(|h| h.check(&unit, &text).err())
        .collect()
}

impl Args {
    pub fn validate(&self) -> Result<(), Error> {
        if let Some(mb) = self.max_mb {
            crate::limits::bound_f64("--max-mb", mb, 0.0, 1e9)?;
        }
        Ok(())
    }
}

pub fn run(args: &Args) -> Result<(), Error> {
    args.validate()?;
    let (root, is_data) = if args.path.join("index.json").is_file() {
        (args.path.clone(), true)
    } else if args.path.join("manifest.json").is_file() {
        (args.path.clone(), false)
    } else if args.path.is_file()
        && let Some(name) = args.path.file_name().and_then(|n| n.to_str())
        && (name == "index.json" || name == "manifest.json")
    {
        let dir = args.path.parent().unwrap_or(Path::new("")).to_path_buf();
        (dir, name == "index.json")
    } else {
        return Err(Error::Usage(format!(
            "{} holds neither index.json (a data directory) nor manifest.json (a dictionary \
             directory)",
            args.path.display()
        )));
    };
    let mut report = Report::default();
    if is_data {
        check_data_dir(&root, &mut report);
    } else if let Some(m) = read_json(&root, "manifest.json", DictManifest::from_json, &mut report)
    {
        let checks = DictChecks {
            eval_tokens: None,
            vocab: None,
            related_d_sae: vec![None; m.related.len()],
            match_d_sae: None,
        };
        check_dictionary(&root, "", &m, &checks, &mut report);
    }
    let total: u64 = report.files.iter().map(|f| f.bytes).sum();
    let failed = report.files.iter().filter(|f| f.error.is_some()).count();
    let too_big = args.max_mb.filter(|&mb| total as f64 > mb * 1e6).map(|mb| {
        format!(
            "the files add up to {:.1} MB, over --max-mb {mb}",
            total as f64 / 1e6
        )
    });
    let ok = failed == 0 && too_big.is_none();
    if args.json {
        let files: Vec<_> = report
            .files
            .iter()
            .map(|f| {
                let mut v =
                    serde_json::json!({"path": f.path, "ok": f.error.is_none(), "bytes": f.bytes});
                if let Some(e) = &f.error {
                    v["error"] = serde_json::json!(e);
                }
                v
            })
            .collect();
        let mut out = serde_json::json!({
            "ok": ok,
            "files": files,
            "dictionaries": report.dictionaries,
            "features": report.features,
            "bytes": total,
        });
        if let Some(e) = &too_big {
            out["error"] = serde_json::json!(e);
        }
        println!("{out}");
    } else {
        for f in &report.files {
            match &f.error {
                None => println!("ok    {} ({} bytes)", f.path, f.bytes),
                Some(e) => println!("FAIL  {}: {e}", f.path),
            }
        }
        println!(
            "{} files, {:.2} MB, {} dictionaries, {} features: {}",
            report.files.len(),
            total as f64 / 1e6,
            report.dictionaries,
            report.features,
            if ok { "all valid" } else { "PROBLEMS" }
        );
    }
    if ok {
        Ok(())
    } else {
        let mut parts = Vec::new();
        if failed > 0 {
            parts.push(format!(
                "{failed} of {} files have problems (first: {}: {})",
                report.files.len(),
                report
                    .files
                    .iter()
                    .find(|f| f.error.is_some())
                    .map_or("", |f| &f.path),
                report
                    .files
                    .iter()
                    .find_map(|f| f.error.as_deref())
                    .unwrap_or("")
            ));
        }
        parts.extend(too_big);
        Err(Error::Run(parts.join("; ")))
    }
}
