//! Step 7: the files: the shared ones (tokenizer, evaluation tokens, text sample, NOTICE,
//! models), each dictionary's list, weights, chunks and manifest (and its SAELens export in the
//! working directory), the index, and the provenance (`WORK/build.json`, `README.md`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use polytope_core::dict::{
    Context, DATA_FORMAT, DATA_VERSION, DICT_FORMAT, DICT_VERSION, DataIndex, DictEntry, DictKind,
    DictManifest, FeatureDetail, FeatureSummary, FileRef, Highlight, ModelEntry, TrainingInfo,
    UnitScores, chunk_file_name, encode_chunk, encode_list,
};
use polytope_core::sae::Variant;

use super::encode::Dict;
use super::inputs::Inputs;
use super::readme::{Report, provenance_readme};
use super::{Args, dict_failure};
use crate::Error;
use crate::saelens::{SaelensInfo, export_saelens, export_sparsity};
use crate::scores::{ModelScores, write_scores};
use crate::work::{read, read_text, write_atomic};

/// The output directory: every file written through [`Out::put`] comes back as the reference
/// that names it.
pub struct Out {
    root: PathBuf,
}

impl Out {
    pub fn new(root: &Path) -> Result<Self, Error> {
        crate::work::create_dir(root)?;
        Ok(Self {
            root: root.to_path_buf(),
        })
    }

    /// Writes `bytes` at `rel` (relative to the output directory) and returns its reference.
    pub fn put(&self, rel: &str, bytes: &[u8]) -> Result<FileRef, Error> {
        write_atomic(&self.root.join(rel), bytes)?;
        Ok(FileRef::of(rel, bytes))
    }
}

/// What the index references besides the dictionaries.
pub struct Shared {
    tokenizer: FileRef,
    eval_tokens: FileRef,
    text_sample: FileRef,
    models: Vec<ModelEntry>,
}

/// The files every dictionary shares: tokenizer, evaluation tokens, text sample, NOTICE, models.
pub fn shared_files(
    args: &Args,
    inputs: &Inputs,
    out: &Out,
    scores: &BTreeMap<String, ModelScores>,
) -> Result<Shared, Error> {
    let tokenizer = out.put("tokenizer.json", &inputs.tokenizer_json)?;
    let eval_bytes: Vec<u8> = inputs.eval().iter().flat_map(|t| t.to_le_bytes()).collect();
    let eval_tokens = out.put("eval-tokens.bin", &eval_bytes)?;
    let val_text = read_text(&args.work.join("corpus").join("val.txt"))?;
    let sample = text_sample(&val_text, args.text_sample);
    let text_sample = out.put("text-sample.txt", sample.as_bytes())?;
    if let Ok(notice) = read(&args.work.join("corpus").join("NOTICE")) {
        out.put("NOTICE", &notice)?;
    }
    let mut models = Vec::new();
    for (m, model) in &inputs.models {
        let lower = m.to_lowercase();
        let file = out.put(&format!("model-{lower}.bin"), &model.bytes)?;
        let put_scores = |what: &str, s: &UnitScores| {
            let rel = format!("scores-{what}-{lower}.bin");
            write_scores(&out.root, &rel, &rel, s)
        };
        let (neuron_scores, control_scores) = match scores.get(m) {
            Some(s) => (
                Some(put_scores("neurons", &s.neurons)?),
                Some(put_scores("control", &s.control)?),
            ),
            None => (None, None),
        };
        let (config, meta) = (&model.lm.config, &model.meta);
        models.push(ModelEntry {
            id: m.clone(),
            file,
            val_loss: meta.val_loss as f32,
            seed: u64::from(meta.seed),
            d_model: config.d_model as u32,
            d_mlp: config.d_mlp as u32,
            n_ctx: config.ctx as u32,
            steps: Some(u64::from(meta.steps)),
            train_tokens: Some(meta.tokens_seen),
            neuron_scores,
            control_scores,
        });
    }
    Ok(Shared {
        tokenizer,
        eval_tokens,
        text_sample,
        models,
    })
}

/// The other dictionaries a dictionary's details point into.
pub struct Links {
    /// Split edges' dictionaries (`SplitEdge::dict` indexes this).
    pub related: Vec<String>,
    /// The other model's dictionary of the best matches.
    pub match_dict: Option<String>,
}

/// Writes dictionary `d` (list, weights, chunks, manifest; the SAELens export into the working
/// directory) and returns its index entry.
pub fn dictionary(
    args: &Args,
    inputs: &Inputs,
    out: &Out,
    d: &Dict,
    list: &[FeatureSummary],
    details: &[FeatureDetail],
    links: Links,
    scores: &UnitScores,
) -> Result<DictEntry, Error> {
    let dir = format!("dict/{}", d.id);
    let scores = write_scores(
        &out.root,
        &format!("{dir}/scores.bin"),
        "scores.bin",
        scores,
    )?;
    let list_bytes = encode_list(list).map_err(dict_failure(&d.id))?;
    let list_ref = out.put(&format!("{dir}/list.bin"), &list_bytes)?;
    let weights_ref = out.put(&format!("{dir}/weights.bin"), &d.weights_bytes)?;
    let mut chunks = Vec::new();
    for (c, part) in details.chunks(args.chunk as usize).enumerate() {
        let bytes = encode_chunk(c as u32 * args.chunk, part).map_err(dict_failure(&d.id))?;
        chunks.push(out.put(&format!("{dir}/{}", chunk_file_name(c)), &bytes)?);
    }
    // Paths inside a manifest are relative to its directory.
    let strip = |r: FileRef| FileRef {
        path: r.path.trim_start_matches(&format!("{dir}/")).to_owned(),
        ..r
    };
    let seconds = d.report["seconds_this_run"].as_f64().unwrap_or(0.0) as f32;
    let manifest = DictManifest {
        format: DICT_FORMAT.into(),
        version: DICT_VERSION,
        id: d.id.clone(),
        model: d.model.clone(),
        kind: d.kind,
        d_in: d.weights.d_in,
        d_sae: d.weights.d_sae,
        variant: d.cfg.variant.name().into(),
        k: d.weights.k,
        hook: "mlp.post_relu".into(),
        training: TrainingInfo {
            steps: u64::from(d.cfg.steps),
            batch: d.cfg.batch,
            lr: d.cfg.learning_rate as f32,
            sparsity_coefficient: (d.kind == DictKind::Sae && d.cfg.variant != Variant::TopK)
                .then_some(d.cfg.sparsity_coefficient),
            seed: u64::from(d.cfg.seed),
            activations: u64::from(d.cfg.steps) * u64::from(d.cfg.batch),
            seconds,
            normalize_scale: d.weights.normalize_scale,
        },
        metrics: d.metrics.clone(),
        context: Context {
            before: args.before,
            after: args.after,
        },
        chunk_features: args.chunk,
        related: links.related,
        match_dict: links.match_dict,
        list: strip(list_ref),
        weights: Some(strip(weights_ref)),
        chunks: chunks.into_iter().map(strip).collect(),
        scores: Some(scores),
    };
    manifest
        .validate()
        .map_err(dict_failure(&format!("{} manifest", d.id)))?;
    if d.kind == DictKind::Sae {
        saelens(args, inputs, d, list)?;
    }
    let manifest_path = format!("{dir}/manifest.json");
    out.put(&manifest_path, manifest.to_json().as_bytes())?;
    Ok(DictEntry {
        id: d.id.clone(),
        model: d.model.clone(),
        d_sae: d.weights.d_sae,
        variant: d.cfg.variant.name().into(),
        manifest: manifest_path,
        kind: d.kind,
    })
}

/// The same SAE for SAELens users (not shipped: `WORK/saelens/<id>/`).
fn saelens(args: &Args, inputs: &Inputs, d: &Dict, list: &[FeatureSummary]) -> Result<(), Error> {
    let dir = args.work.join("saelens").join(&d.id);
    let info = SaelensInfo {
        model: d.model.clone(),
        dict_id: d.id.clone(),
        context_size: inputs.ctx as u32,
    };
    let (tensors, cfg_json) = export_saelens(&d.weights, &info)
        .map_err(|e| Error::Run(format!("{}: SAELens export: {e}", d.id)))?;
    write_atomic(&dir.join("sae_weights.safetensors"), &tensors)?;
    write_atomic(&dir.join("cfg.json"), cfg_json.as_bytes())?;
    let sparsity =
        export_sparsity(list).map_err(|e| Error::Run(format!("{}: SAELens export: {e}", d.id)))?;
    write_atomic(&dir.join("sparsity.safetensors"), &sparsity)
}

/// Writes `index.json` and returns it.
pub fn index(
    inputs: &Inputs,
    out: &Out,
    shared: Shared,
    dictionaries: Vec<DictEntry>,
    highlights: Vec<Highlight>,
) -> Result<DataIndex, Error> {
    let index = DataIndex {
        format: DATA_FORMAT.into(),
        version: DATA_VERSION,
        tokenizer: shared.tokenizer,
        vocab: inputs.vocab as u32,
        eval_tokens: shared.eval_tokens,
        text_sample: shared.text_sample,
        models: shared.models,
        dictionaries,
        highlights,
    };
    index.validate().map_err(dict_failure("index.json"))?;
    out.put("index.json", index.to_json().as_bytes())?;
    // Written either way (the directory stays consistent and `dict validate` names the same
    // failures), but a note the new data no longer supports fails the build.
    let broken = crate::validate::check_highlights(&out.root, &index);
    if !broken.is_empty() {
        return Err(Error::Run(format!(
            "{} highlight claims no longer hold on the new data (fix the notes in --highlights):\n{}",
            broken.len(),
            broken.join("\n")
        )));
    }
    Ok(index)
}

/// `WORK/build.json` (metrics, universality, duration) and the data directory's `README.md`.
pub fn provenance(
    args: &Args,
    out: &Out,
    index: &DataIndex,
    report: &Report<'_>,
    started: Instant,
) -> Result<(), Error> {
    let summaries: Vec<serde_json::Value> = report
        .dicts
        .iter()
        .map(|d| serde_json::json!({ "id": d.id, "metrics": d.metrics, "report": d.report }))
        .collect();
    let provenance = serde_json::json!({
        "eval_tokens": report.n_eval,
        "dictionaries": summaries,
        "universality": report.universality,
        "neuron_universality_median": report.neurons,
        "interpretability": crate::scores::report_json(report.interp),
        "build_seconds": started.elapsed().as_secs_f64(),
    });
    write_atomic(
        &args.work.join("build.json"),
        serde_json::to_string_pretty(&provenance)
            .unwrap_or_default()
            .as_bytes(),
    )?;
    out.put(
        "README.md",
        provenance_readme(args, index, report).as_bytes(),
    )?;
    Ok(())
}

/// The first `bytes` of the text, cut at a document (blank line) or line boundary.
fn text_sample(text: &str, bytes: usize) -> String {
    if text.len() <= bytes {
        return text.to_owned();
    }
    let mut end = bytes;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let head = &text[..end];
    let cut = head
        .rfind("\n\n")
        .or_else(|| head.rfind('\n'))
        .unwrap_or(end);
    text[..cut].to_owned()
}
