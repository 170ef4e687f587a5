//! Interpretability scores (docs/interpretability.md) of dictionaries, neurons and the
//! random-direction control, and their report: medians and bootstrap intervals. `polytope dict
//! build` computes them with everything else; `polytope dict scores` adds or refreshes them in a
//! data directory that is already built (it only reads the shipped models, evaluation tokens and
//! weights, so it reproduces exactly what the build would write).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use polytope_core::dict::{
    DataIndex, DictEntry, DictKind, DictManifest, FileRef, SaeWeights, ScoresRef, UnitScores,
    encode_scores,
};
use polytope_core::lm::analysis::{SparseCodes, sae_encode};
use polytope_core::lm::file::from_bytes as read_model;
use polytope_core::lm::interp::{
    BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED, CONTROL_SEED, CONTROL_UNITS, Column, Corpus, MEASURES,
    UNIVERSALITY, column_codes, control_activations, dense_columns, median_difference,
    random_directions, unit_scores, universality,
};
use rayon::prelude::*;

use crate::Error;
use crate::work::{read, read_text, write_atomic};

/// Which units a set of scores is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Group {
    Dictionary,
    Neurons,
    Control,
}

/// The scores of one group of units.
pub struct GroupScores {
    /// `"a-4096"`, `"neurons A"`, `"control A"`.
    pub name: String,
    pub model: String,
    pub group: Group,
    pub scores: UnitScores,
}

/// Scores of every column, measure-major, computed in parallel.
fn score_columns(corpus: &Corpus<'_>, cols: &[Column]) -> UnitScores {
    // The readability measures; universality needs the other model and is set later.
    let per_unit: Vec<[f32; 2]> = cols.par_iter().map(|c| unit_scores(corpus, c)).collect();
    let units = cols.len();
    let mut values = vec![f32::NAN; MEASURES.len() * units];
    for (u, s) in per_unit.iter().enumerate() {
        for (m, v) in s.iter().enumerate() {
            values[m * units + u] = *v;
        }
    }
    UnitScores {
        units: units as u32,
        measures: MEASURES.len() as u32,
        values,
    }
}

/// Every feature's column of sparse codes.
fn code_columns(codes: &SparseCodes) -> Vec<Column> {
    let mut cols = vec![Column::default(); codes.d_sae];
    for t in 0..codes.rows() {
        let (fs, vs) = codes.row(t);
        for (f, v) in fs.iter().zip(vs) {
            let c = &mut cols[*f as usize];
            c.positions.push(t as u32);
            c.values.push(*v);
        }
    }
    cols
}

/// A dictionary's scores from its codes over the evaluation tokens.
pub fn dictionary_scores(corpus: &Corpus<'_>, codes: &SparseCodes) -> UnitScores {
    score_columns(corpus, &code_columns(codes))
}

/// A model's neurons' and control's scores, and their activations as codes (for
/// [`model_universality`] against the other model).
pub struct ModelScores {
    pub neurons: UnitScores,
    pub control: UnitScores,
    pub neuron_codes: SparseCodes,
    pub control_codes: SparseCodes,
}

/// Scores of a model's neurons and of its control (`CONTROL_UNITS` random directions, seed
/// `CONTROL_SEED + model_index`) from its activations `h` (`[n_eval, d]`).
pub fn model_scores(corpus: &Corpus<'_>, h: &[f32], d: usize, model_index: u32) -> ModelScores {
    let rows = h.len() / d.max(1);
    let neuron_cols = dense_columns(h, d);
    let neurons = score_columns(corpus, &neuron_cols);
    let neuron_codes = column_codes(&neuron_cols, rows);
    drop(neuron_cols);
    let dirs = random_directions(d, CONTROL_UNITS, CONTROL_SEED + model_index);
    // In blocks of 64 directions: the dense control activations of all 512 would be 4 bytes
    // x 512 per token.
    let mut cols = Vec::with_capacity(CONTROL_UNITS);
    for block in dirs.chunks(64 * d) {
        let a = control_activations(h, d, block);
        cols.extend(dense_columns(&a, block.len() / d));
    }
    ModelScores {
        neurons,
        neuron_codes,
        control: score_columns(corpus, &cols),
        control_codes: column_codes(&cols, rows),
    }
}

/// Universality for the models' neurons and controls, each against the other model's, when the
/// data has exactly two models over the same tokens (Towards Monosemanticity's pair of seeds).
pub fn model_universality(models: &mut BTreeMap<String, ModelScores>) {
    let mut both = models.values_mut();
    let (Some(a), Some(b), None) = (both.next(), both.next(), both.next()) else {
        return;
    };
    if a.neuron_codes.rows() != b.neuron_codes.rows() {
        return;
    }
    let ((na, nb), (ca, cb)) = rayon::join(
        || {
            rayon::join(
                || universality(&a.neuron_codes, &b.neuron_codes),
                || universality(&b.neuron_codes, &a.neuron_codes),
            )
        },
        || {
            rayon::join(
                || universality(&a.control_codes, &b.control_codes),
                || universality(&b.control_codes, &a.control_codes),
            )
        },
    );
    for (s, n, c) in [(a, na, ca), (b, nb, cb)] {
        s.neurons.set_measure(UNIVERSALITY, &n);
        s.control.set_measure(UNIVERSALITY, &c);
    }
}

/// Writes `scores` at `rel` under `root` and returns the reference (path `name_in_ref`).
pub fn write_scores(
    root: &Path,
    rel: &str,
    name_in_ref: &str,
    scores: &UnitScores,
) -> Result<ScoresRef, Error> {
    let bytes = encode_scores(scores).map_err(|e| Error::Run(format!("{rel}: {e}")))?;
    write_atomic(&root.join(rel), &bytes)?;
    Ok(ScoresRef {
        file: FileRef::of(name_in_ref, &bytes),
        measures: MEASURES.iter().map(|m| (*m).to_owned()).collect(),
    })
}

/// The groups' medians and, for each dictionary, its differences from its model's neurons
/// and control, as JSON (`build.json`, `dict scores --json`).
pub fn report_json(groups: &[GroupScores]) -> serde_json::Value {
    let medians: Vec<serde_json::Value> = groups
        .iter()
        .map(|g| {
            let mut m = serde_json::Map::new();
            m.insert("group".into(), g.name.clone().into());
            m.insert("scored".into(), g.scores.scored(0).len().into());
            for (i, name) in MEASURES.iter().enumerate() {
                let mut v = g.scores.scored(i);
                let med = polytope_core::lm::analysis::median(&mut v);
                m.insert(format!("median_{name}"), json_f32(med));
            }
            serde_json::Value::Object(m)
        })
        .collect();
    let comparisons: Vec<serde_json::Value> = comparisons(groups)
        .into_iter()
        .map(|c| {
            serde_json::json!({
                "dictionary": c.dict, "against": c.against, "measure": c.measure,
                "median": json_f32(c.diff.a), "against_median": json_f32(c.diff.b),
                "difference": json_f32(c.diff.diff),
                "ci95": [json_f32(c.diff.lo), json_f32(c.diff.hi)],
            })
        })
        .collect();
    serde_json::json!({ "medians": medians, "comparisons": comparisons })
}

fn json_f32(v: f32) -> serde_json::Value {
    if v.is_finite() {
        serde_json::Value::from((f64::from(v) * 1e4).round() / 1e4)
    } else {
        serde_json::Value::Null
    }
}

struct Comparison {
    dict: String,
    against: String,
    measure: &'static str,
    diff: polytope_core::lm::interp::MedianDiff,
}

fn comparisons(groups: &[GroupScores]) -> Vec<Comparison> {
    let mut out = Vec::new();
    for d in groups.iter().filter(|g| g.group == Group::Dictionary) {
        for other in groups
            .iter()
            .filter(|g| g.model == d.model && g.group != Group::Dictionary)
        {
            for (m, name) in MEASURES.iter().enumerate() {
                if let Some(diff) = median_difference(
                    d.scores.measure(m),
                    other.scores.measure(m),
                    BOOTSTRAP_RESAMPLES,
                    BOOTSTRAP_SEED,
                ) {
                    out.push(Comparison {
                        dict: d.name.clone(),
                        against: other.name.clone(),
                        measure: name,
                        diff,
                    });
                }
            }
        }
    }
    out
}

/// The README section: medians per group, and the differences with their intervals.
pub fn report_markdown(groups: &[GroupScores]) -> String {
    let mut s = String::from(
        "## Interpretability\n\nTwo automatic measures, defined in docs/interpretability.md \
         (fixed before these results): `token_rule`, the F1 of the best rule \"the current \
         token is one of at most 10 tokens\" for where a unit fires above a quarter of its \
         maximum, and `context`, how much more alike the 16 tokens before its 50 strongest \
         activations are than random passages. Beside them, `universality`: a unit's best \
         activation correlation with any unit of the same kind in the other model (features \
         against the other model's dictionary of the same size, neurons against its neurons, \
         random directions against its random directions). The control is 512 random \
         directions in each model's MLP activation space, scored the same way. Units active on \
         fewer than 10 evaluation tokens are not scored.\n\n| units | scored |",
    );
    for name in MEASURES {
        let _ = write!(s, " median {name} |");
    }
    s.push_str("\n|---|---|");
    s.push_str(&"---|".repeat(MEASURES.len()));
    s.push('\n');
    for g in groups {
        let _ = write!(
            s,
            "| {} | {} of {} |",
            g.name,
            g.scores.scored(0).len(),
            g.scores.units
        );
        for m in 0..MEASURES.len() {
            let mut v = g.scores.scored(m);
            let med = polytope_core::lm::analysis::median(&mut v);
            if med.is_finite() {
                let _ = write!(s, " {med:.3} |");
            } else {
                s.push_str(" – |");
            }
        }
        s.push('\n');
    }
    let _ = writeln!(
        s,
        "\nDifferences of medians, with 95 % bootstrap intervals ({BOOTSTRAP_RESAMPLES} \
         resamples of both groups, seed {BOOTSTRAP_SEED}):\n\n| dictionary | against | measure | \
         difference | 95 % interval |\n|---|---|---|---|---|"
    );
    for c in comparisons(groups) {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {:+.3} | [{:+.3}, {:+.3}] |",
            c.dict, c.against, c.measure, c.diff.diff, c.diff.lo, c.diff.hi
        );
    }
    s
}

const SECTION_START: &str = "<!-- interpretability: written by polytope dict scores -->";
const SECTION_END: &str = "<!-- /interpretability -->";

/// `section` between the markers [`with_section`] finds, as the build writes it too (so a later
/// `dict scores` replaces it instead of adding a second one).
pub fn section_block(section: &str) -> String {
    format!("{SECTION_START}\n{section}{SECTION_END}\n")
}

/// `readme` with its interpretability section replaced by `section` (or appended).
pub fn with_section(readme: &str, section: &str) -> String {
    let block = section_block(section);
    match (readme.find(SECTION_START), readme.find(SECTION_END)) {
        (Some(a), Some(b)) if b > a => {
            format!(
                "{}{block}{}",
                &readme[..a],
                &readme[b + SECTION_END.len()..].trim_start_matches('\n')
            )
        }
        _ => format!("{}\n\n{block}", readme.trim_end()),
    }
}

#[derive(clap::Args, Clone)]
pub struct Args {
    /// A built data directory (with `index.json`): its models, evaluation tokens and
    /// dictionary weights are read, its scores files, manifests, index and README rewritten.
    #[arg(default_value = "public/data")]
    pub data: PathBuf,
    /// Prints the report (medians and intervals) as JSON.
    #[arg(long)]
    pub json: bool,
}

/// A file a reference names, relative to `base`, checked against the reference.
fn data_file(base: &Path, f: &FileRef) -> Result<Vec<u8>, Error> {
    let bytes = read(&base.join(&f.path))?;
    f.check(&bytes)
        .map_err(|e| Error::Run(format!("{}: {e}", base.join(&f.path).display())))?;
    Ok(bytes)
}

/// One dictionary's scores while `dict scores` runs: its manifest, and its codes until
/// universality is set.
struct DictRun {
    entry: DictEntry,
    manifest: DictManifest,
    manifest_path: PathBuf,
    scores: UnitScores,
    codes: Option<SparseCodes>,
}

/// An SAE dictionary as universality pairs it: its model, its size and its codes.
pub struct Paired<'a> {
    pub model: &'a str,
    pub d_sae: usize,
    pub codes: &'a SparseCodes,
}

/// Every SAE dictionary's universality against the other model's dictionary of the same size
/// (Towards Monosemanticity's pairing), in `dicts` order; `None` for a size only one model has.
pub fn dictionary_universality(dicts: &[Paired<'_>]) -> Vec<Option<Vec<f32>>> {
    dicts
        .par_iter()
        .enumerate()
        .map(|(i, d)| {
            let j = (0..dicts.len())
                .find(|j| *j != i && dicts[*j].model != d.model && dicts[*j].d_sae == d.d_sae)?;
            Some(universality(d.codes, dicts[j].codes))
        })
        .collect()
}

/// [`dictionary_universality`] for `dict scores`' runs.
fn set_dictionary_universality(runs: &mut [DictRun]) {
    let paired: Vec<(usize, Paired<'_>)> = runs
        .iter()
        .enumerate()
        .filter_map(|(i, r)| {
            Some((
                i,
                Paired {
                    model: &r.entry.model,
                    d_sae: r.entry.d_sae as usize,
                    codes: r.codes.as_ref()?,
                },
            ))
        })
        .collect();
    let (at, paired): (Vec<usize>, Vec<Paired<'_>>) = paired.into_iter().unzip();
    let best = dictionary_universality(&paired);
    for (i, b) in at.into_iter().zip(best) {
        if let Some(b) = b {
            runs[i].scores.set_measure(UNIVERSALITY, &b);
        }
    }
}

/// `polytope dict scores DATA`.
pub fn run(args: &Args) -> Result<(), Error> {
    let started = Instant::now();
    let root = &args.data;
    let index_path = root.join("index.json");
    let mut index = DataIndex::from_json(&read(&index_path)?)
        .map_err(|e| Error::Run(format!("{}: {e}", index_path.display())))?;
    let eval_bytes = data_file(root, &index.eval_tokens)?;
    let eval: Vec<u16> = eval_bytes
        .chunks_exact(2)
        .map(|b| u16::from_le_bytes([b[0], b[1]]))
        .collect();
    let mut per_model = BTreeMap::new();
    let mut runs = Vec::new();
    let models = index.models.clone();
    for (mi, m) in models.iter().enumerate() {
        let t = Instant::now();
        let bytes = data_file(root, &m.file)?;
        let (lm, _) =
            read_model(&bytes).map_err(|e| Error::Run(format!("{}: {e}", m.file.path)))?;
        let ctx = lm.config.ctx;
        let n = (eval.len() / ctx) * ctx;
        let tokens = &eval[..n];
        let corpus = Corpus::new(tokens, index.vocab as usize, ctx);
        let h = crate::build::activations(&lm, tokens);
        let d = lm.config.d_mlp;
        per_model.insert(m.id.clone(), model_scores(&corpus, &h, d, mi as u32));
        eprintln!(
            "scores: model {}: neurons and control in {:.1} s",
            m.id,
            t.elapsed().as_secs_f64()
        );
        for e in index.dictionaries.iter().filter(|e| e.model == m.id) {
            let t = Instant::now();
            let mpath = root.join(&e.manifest);
            let manifest = DictManifest::from_json(&read(&mpath)?)
                .map_err(|err| Error::Run(format!("{}: {err}", mpath.display())))?;
            let base = mpath.parent().unwrap_or(root).to_path_buf();
            let (scores, codes) = if e.kind == DictKind::Neurons {
                (per_model[&m.id].neurons.clone(), None)
            } else {
                let Some(wref) = &manifest.weights else {
                    eprintln!("scores: {}: no weights shipped; skipped", e.id);
                    continue;
                };
                let w = SaeWeights::from_bytes(&data_file(&base, wref)?)
                    .map_err(|err| Error::Run(format!("{}: {err}", e.id)))?;
                let mut codes = SparseCodes::new(w.d_sae as usize);
                for chunk in h.chunks(4096 * d) {
                    codes.push_dense(&sae_encode(&w, chunk));
                }
                (dictionary_scores(&corpus, &codes), Some(codes))
            };
            eprintln!("scores: {} in {:.1} s", e.id, t.elapsed().as_secs_f64());
            runs.push(DictRun {
                entry: e.clone(),
                manifest,
                manifest_path: mpath,
                scores,
                codes,
            });
        }
    }
    let t = Instant::now();
    model_universality(&mut per_model);
    set_dictionary_universality(&mut runs);
    eprintln!("scores: universality in {:.1} s", t.elapsed().as_secs_f64());

    let mut groups = Vec::new();
    for (mi, m) in models.iter().enumerate() {
        let Some(ms) = per_model.get(&m.id) else {
            continue;
        };
        let lower = m.id.to_lowercase();
        let rel = format!("scores-neurons-{lower}.bin");
        index.models[mi].neuron_scores = Some(write_scores(root, &rel, &rel, &ms.neurons)?);
        let rel = format!("scores-control-{lower}.bin");
        index.models[mi].control_scores = Some(write_scores(root, &rel, &rel, &ms.control)?);
        for r in runs.iter_mut().filter(|r| r.entry.model == m.id) {
            if r.entry.kind == DictKind::Neurons {
                // Its universality was set with the model's neurons.
                r.scores = ms.neurons.clone();
            }
            let rel = format!(
                "{}/scores.bin",
                Path::new(&r.entry.manifest)
                    .parent()
                    .map(|p| p.to_string_lossy().into_owned())
                    .unwrap_or_default()
            );
            r.manifest.scores = Some(write_scores(root, &rel, "scores.bin", &r.scores)?);
            r.manifest
                .validate()
                .map_err(|err| Error::Run(format!("{}: {err}", r.entry.id)))?;
            write_atomic(&r.manifest_path, r.manifest.to_json().as_bytes())?;
            if r.entry.kind == DictKind::Sae {
                groups.push(GroupScores {
                    name: r.entry.id.clone(),
                    model: m.id.clone(),
                    group: Group::Dictionary,
                    scores: r.scores.clone(),
                });
            }
        }
        groups.push(GroupScores {
            name: format!("neurons {}", m.id),
            model: m.id.clone(),
            group: Group::Neurons,
            scores: ms.neurons.clone(),
        });
        groups.push(GroupScores {
            name: format!("control {}", m.id),
            model: m.id.clone(),
            group: Group::Control,
            scores: ms.control.clone(),
        });
    }
    index
        .validate()
        .map_err(|e| Error::Run(format!("index.json: {e}")))?;
    write_atomic(&index_path, index.to_json().as_bytes())?;
    let readme_path = root.join("README.md");
    let readme = read_text(&readme_path).unwrap_or_default();
    write_atomic(
        &readme_path,
        with_section(&readme, &report_markdown(&groups)).as_bytes(),
    )?;
    if args.json {
        println!("{}", report_json(&groups));
    } else {
        print!("{}", report_markdown(&groups));
        println!(
            "scores: wrote {} groups in {:.1} s",
            groups.len(),
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_readme_section_is_replaced_not_repeated() {
        let a = with_section("# Data\n\ntext\n", "## Interpretability\n\none\n");
        assert!(a.contains("one") && a.starts_with("# Data"));
        let b = with_section(&a, "## Interpretability\n\ntwo\n");
        assert!(b.contains("two") && !b.contains("one"), "{b}");
        assert_eq!(b.matches(SECTION_START).count(), 1);
    }
}
