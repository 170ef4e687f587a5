//! SAELens interchange: `polytope dict export-saelens` writes a dictionary's SAE as
//! `sae_weights.safetensors` + `cfg.json` (+ `sparsity.safetensors`), and
//! `polytope dict import-saelens` reads such a directory back into our `weights.bin`.
//!
//! SAELens applies no input normalisation at inference (it folds the training-time factor into
//! the weights), so a `normalize_scale` other than 1 is folded on export: `W_enc * s`,
//! `W_dec / s`, `b_dec / s`, and `cfg.json` says `"normalize_activations": "none"`. The folded
//! SAE computes the same features on raw activations.

use std::path::{Path, PathBuf};

use polytope_core::dict::{DictManifest, FeatureSummary, FileRef, SaeWeights, decode_list};
use polytope_core::sae::Variant;
use safetensors::tensor::{Dtype, SafeTensors, TensorView};
use serde_json::{Value, json};

use crate::Error;

#[derive(clap::Args)]
pub struct ExportArgs {
    /// The dictionary directory (`manifest.json`, `weights.bin`, `list.bin`).
    #[arg(long)]
    pub dict: PathBuf,
    /// Where to write `sae_weights.safetensors`, `cfg.json` and `sparsity.safetensors`.
    #[arg(long)]
    pub out: PathBuf,
    /// The subject model's context length for `cfg.json` (default: the model's `n_ctx` from
    /// `../../index.json` if there is one, else 128).
    #[arg(long)]
    pub context_size: Option<u32>,
}

#[derive(clap::Args)]
pub struct ImportArgs {
    /// A SAELens SAE directory (`sae_weights.safetensors` + `cfg.json`).
    pub dir: PathBuf,
    /// The subject model file the SAE reads (recorded in the manifest skeleton for `build`).
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Output dictionary directory (gets `weights.bin` and a `manifest.json` skeleton).
    #[arg(long)]
    pub out: PathBuf,
    /// The new dictionary's id (for example `a-4096`).
    #[arg(long)]
    pub id: String,
}

/// What `cfg.json` says besides the weights.
pub struct SaelensInfo {
    /// Our model id (`"A"`); SAELens sees `polytope-lm-A`.
    pub model: String,
    /// Our dictionary id.
    pub dict_id: String,
    pub context_size: u32,
}

/// SAELens' name for the hook our dictionaries read (the MLP after the ReLU).
pub const HOOK_NAME: &str = "blocks.0.mlp.hook_post";

fn architecture(variant: Variant) -> (&'static str, bool) {
    match variant {
        Variant::L1_2023 => ("standard", true),
        Variant::L1_2024 => ("standard", false),
        Variant::TopK => ("topk", true),
        Variant::JumpRelu => ("jumprelu", false),
    }
}

fn f32_bytes(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

fn serialize(tensors: &[(&str, Vec<usize>, Vec<u8>)]) -> Result<Vec<u8>, String> {
    let views: Vec<(String, TensorView<'_>)> = tensors
        .iter()
        .map(|(name, shape, data)| {
            TensorView::new(Dtype::F32, shape.clone(), data)
                .map(|v| ((*name).to_string(), v))
                .map_err(|e| format!("{name}: {e}"))
        })
        .collect::<Result<_, _>>()?;
    safetensors::serialize(views, None).map_err(|e| e.to_string())
}

/// The SAE as SAELens files: `(sae_weights.safetensors bytes, cfg.json text)`. `W_enc` is
/// written `[d_in, d_sae]` (transposed from ours), `W_dec` `[d_sae, d_in]`, all f32; JumpReLU
/// adds `threshold [d_sae]`. A `normalize_scale` other than 1 is folded into the weights.
pub fn export_saelens(w: &SaeWeights, info: &SaelensInfo) -> Result<(Vec<u8>, String), String> {
    w.check_shape().map_err(|e| e.to_string())?;
    let (n, s) = (w.d_in as usize, w.d_sae as usize);
    let scale = w.normalize_scale;
    let folded = scale.to_bits() != 1.0f32.to_bits();
    let mut w_enc_t = vec![0.0f32; n * s];
    for i in 0..s {
        for k in 0..n {
            w_enc_t[k * s + i] = if folded {
                w.w_enc[i * n + k] * scale
            } else {
                w.w_enc[i * n + k]
            };
        }
    }
    let unscale = |v: &[f32]| -> Vec<f32> {
        if folded {
            v.iter().map(|x| x / scale).collect()
        } else {
            v.to_vec()
        }
    };
    let mut tensors = vec![
        ("W_enc", vec![n, s], f32_bytes(&w_enc_t)),
        ("W_dec", vec![s, n], f32_bytes(&unscale(&w.w_dec))),
        ("b_enc", vec![s], f32_bytes(&w.b_enc)),
        ("b_dec", vec![n], f32_bytes(&unscale(&w.b_dec))),
    ];
    if w.variant == Variant::JumpRelu {
        tensors.push(("threshold", vec![s], f32_bytes(&w.threshold)));
    }
    let weights = serialize(&tensors)?;
    let (arch, apply_b_dec) = architecture(w.variant);
    let model_name = format!("polytope-lm-{}", info.model);
    let mut cfg = json!({
        "architecture": arch,
        "d_in": w.d_in,
        "d_sae": w.d_sae,
        "dtype": "float32",
        "device": "cpu",
        "model_name": model_name,
        "hook_name": HOOK_NAME,
        "hook_layer": 0,
        "hook_head_index": null,
        "activation_fn_str": if w.variant == Variant::TopK { "topk" } else { "relu" },
        "activation_fn_kwargs": {},
        "apply_b_dec_to_input": apply_b_dec,
        "finetuning_scaling_factor": false,
        "normalize_activations": "none",
        "context_size": info.context_size,
        "dataset_path": "",
        "prepend_bos": false,
        "model_from_pretrained_kwargs": {},
        "metadata": {
            "model_name": model_name,
            "hook_name": HOOK_NAME,
            "hook_layer": 0,
            "context_size": info.context_size,
            "prepend_bos": false,
            "dataset_path": "",
            "sae_lens_training_version": null,
            "polytope_dictionary": info.dict_id,
            "polytope_variant": w.variant.name(),
            "polytope_normalize_scale": scale,
            "polytope_normalize_scale_folded": folded,
        },
    });
    if let Some(k) = w.k {
        cfg["k"] = json!(k);
        cfg["activation_fn_kwargs"] = json!({ "k": k });
    }
    let text = serde_json::to_string_pretty(&cfg).map_err(|e| e.to_string())?;
    Ok((weights, text))
}

/// SAELens' `sparsity.safetensors`: `sparsity [d_sae]` = `log10(density + 1e-10)`.
pub fn export_sparsity(list: &[FeatureSummary]) -> Result<Vec<u8>, String> {
    let log: Vec<f32> = list
        .iter()
        .map(|f| (f64::from(f.density) + 1e-10).log10() as f32)
        .collect();
    serialize(&[("sparsity", vec![list.len()], f32_bytes(&log))])
}

fn tensor_f32(st: &SafeTensors<'_>, name: &str, shape: &[usize]) -> Result<Vec<f32>, String> {
    let t = st
        .tensor(name)
        .map_err(|_| format!("sae_weights.safetensors has no tensor {name:?}"))?;
    if t.shape() != shape {
        return Err(format!(
            "{name} has shape {:?}, but cfg.json's d_in and d_sae make it {shape:?}",
            t.shape()
        ));
    }
    let d = t.data();
    let values: Vec<f32> = match t.dtype() {
        Dtype::F32 => d
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect(),
        Dtype::F16 => d
            .chunks_exact(2)
            .map(|c| half::f16::from_le_bytes([c[0], c[1]]).to_f32())
            .collect(),
        Dtype::BF16 => d
            .chunks_exact(2)
            .map(|c| half::bf16::from_le_bytes([c[0], c[1]]).to_f32())
            .collect(),
        other => {
            return Err(format!(
                "{name} is {other:?}; only F32, F16 and BF16 are read"
            ));
        }
    };
    if values.len() != shape.iter().product::<usize>() {
        return Err(format!("{name}: the data does not match its shape"));
    }
    if let Some(i) = values.iter().position(|v| !v.is_finite()) {
        return Err(format!("{name}[{i}] is not finite"));
    }
    Ok(values)
}

/// The largest `cfg.json` read (SAELens writes one of one to three KB).
pub const MAX_CFG_BYTES: usize = 32 << 10;

fn cfg_u32(cfg: &Value, key: &str) -> Result<u32, String> {
    let v = cfg
        .get(key)
        .ok_or_else(|| format!("cfg.json has no {key:?}"))?;
    v.as_u64()
        .or_else(|| {
            v.as_f64()
                .filter(|f| f.fract() == 0.0 && *f >= 0.0)
                .map(|f| f as u64)
        })
        .and_then(|x| u32::try_from(x).ok())
        .filter(|&x| x > 0)
        .ok_or_else(|| format!("cfg.json: {key} is {v}, not a positive integer"))
}

/// Reads a SAELens directory (`cfg.json` and `sae_weights.safetensors`, see
/// [`parse_saelens`]).
pub fn read_saelens(dir: &Path) -> Result<(SaeWeights, Value), String> {
    let read = |name: &str| {
        let path = dir.join(name);
        std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))
    };
    let cfg = read("cfg.json")?;
    let weights = read("sae_weights.safetensors")?;
    parse_saelens(&cfg, &weights)
}

/// Decodes a SAELens SAE: the weights (f32, f16 or bf16; shapes checked against `cfg.json`)
/// and `cfg.json` itself, with `"polytope_import_notes"` added when something was adapted.
/// Standard SAEs become `l1-2023` (with `apply_b_dec_to_input`) or `l1-2024` (without); a TopK
/// SAE without, or a JumpReLU SAE with, `apply_b_dec_to_input` gets the pre-encoder bias
/// folded into `b_enc` (`b_enc -/+ W_enc b_dec`), which computes the same features. Bytes in,
/// so the fuzz harness (`polytope-fuzz`) runs it without files.
pub fn parse_saelens(cfg_json: &[u8], safetensors: &[u8]) -> Result<(SaeWeights, Value), String> {
    // A JSON tree of many small objects takes about a hundred times its text in memory.
    if cfg_json.len() > MAX_CFG_BYTES {
        return Err(format!(
            "cfg.json is {} bytes; a SAELens cfg.json is a few KB (limit {} KiB)",
            cfg_json.len(),
            MAX_CFG_BYTES >> 10
        ));
    }
    let mut cfg: Value =
        serde_json::from_slice(cfg_json).map_err(|e| format!("cfg.json: not valid JSON: {e}"))?;
    if !cfg.is_object() {
        return Err("cfg.json: not a JSON object".into());
    }
    let d_in = cfg_u32(&cfg, "d_in")?;
    let d_sae = cfg_u32(&cfg, "d_sae")?;
    let activation = cfg
        .get("activation_fn_str")
        .and_then(Value::as_str)
        .unwrap_or("relu")
        .to_string();
    let arch = match cfg.get("architecture").and_then(Value::as_str) {
        Some(a) => a.to_string(),
        None if activation == "topk" => "topk".into(),
        None => "standard".into(),
    };
    let apply_b_dec = cfg
        .get("apply_b_dec_to_input")
        .and_then(Value::as_bool)
        .unwrap_or(true);
    let mut notes: Vec<String> = Vec::new();
    let variant = match (arch.as_str(), activation.as_str()) {
        ("standard", "topk") | ("topk", _) => Variant::TopK,
        ("standard", "relu") => {
            if apply_b_dec {
                Variant::L1_2023
            } else {
                Variant::L1_2024
            }
        }
        ("jumprelu", _) => Variant::JumpRelu,
        (a, f) => {
            return Err(format!(
                "cfg.json: architecture {a:?} with activation {f:?} is not supported (standard, \
                 topk, jumprelu)"
            ));
        }
    };
    let k = if variant == Variant::TopK {
        let k = cfg
            .get("activation_fn_kwargs")
            .filter(|v| v.get("k").is_some())
            .map_or_else(|| cfg_u32(&cfg, "k"), |kw| cfg_u32(kw, "k"))?;
        if k > d_sae {
            return Err(format!("cfg.json: k {k} exceeds d_sae {d_sae}"));
        }
        Some(k)
    } else {
        None
    };
    match cfg.get("normalize_activations").and_then(Value::as_str) {
        None | Some("none") => {}
        Some("expected_average_only_in") => notes.push(
            "normalize_activations is expected_average_only_in: SAELens applies no scaling at \
             inference, so normalize_scale is 1"
                .into(),
        ),
        Some(other) => {
            return Err(format!(
                "cfg.json: normalize_activations {other:?} is not supported (none, \
                 expected_average_only_in)"
            ));
        }
    }
    let st = SafeTensors::deserialize(safetensors)
        .map_err(|e| format!("sae_weights.safetensors: not a safetensors file: {e}"))?;
    let (n, s) = (d_in as usize, d_sae as usize);
    let w_enc_t = tensor_f32(&st, "W_enc", &[n, s])?;
    let w_dec = tensor_f32(&st, "W_dec", &[s, n])?;
    let mut b_enc = tensor_f32(&st, "b_enc", &[s])?;
    let b_dec = tensor_f32(&st, "b_dec", &[n])?;
    let threshold = if variant == Variant::JumpRelu {
        if st.tensor("threshold").is_ok() {
            tensor_f32(&st, "threshold", &[s])?
        } else if st.tensor("log_threshold").is_ok() {
            notes.push("threshold = exp(log_threshold)".into());
            tensor_f32(&st, "log_threshold", &[s])?
                .into_iter()
                .map(f32::exp)
                .collect()
        } else {
            return Err(
                "sae_weights.safetensors has no tensor \"threshold\" (a jumprelu SAE needs it)"
                    .into(),
            );
        }
    } else {
        vec![0.0; s]
    };
    let mut w_enc = vec![0.0f32; s * n];
    for k in 0..n {
        for i in 0..s {
            w_enc[i * n + k] = w_enc_t[k * s + i];
        }
    }
    // Our topk subtracts b_dec before the encoder and our jumprelu does not; fold the
    // difference into b_enc.
    let fold = match variant {
        Variant::TopK if !apply_b_dec => Some(1.0f64),
        Variant::JumpRelu if apply_b_dec => Some(-1.0f64),
        _ => None,
    };
    if let Some(sign) = fold {
        for (i, b) in b_enc.iter_mut().enumerate() {
            let dot: f64 = w_enc[i * n..(i + 1) * n]
                .iter()
                .zip(&b_dec)
                .map(|(a, c)| f64::from(*a) * f64::from(*c))
                .sum();
            *b = (f64::from(*b) + sign * dot) as f32;
        }
        notes.push(format!(
            "apply_b_dec_to_input is {apply_b_dec}: W_enc b_dec folded into b_enc"
        ));
    }
    // exp(log_threshold) and the folded bias are computed here: they can overflow f32 even
    // though every stored value is finite.
    if let Some(i) = threshold.iter().position(|t| !t.is_finite()) {
        return Err(format!("threshold[{i}] = exp(log_threshold) overflows f32"));
    }
    if let Some(i) = b_enc.iter().position(|b| !b.is_finite()) {
        return Err(format!(
            "b_enc[{i}] overflows f32 once W_enc b_dec is folded into it"
        ));
    }
    let weights = SaeWeights {
        d_in,
        d_sae,
        variant,
        k,
        normalize_scale: 1.0,
        w_enc,
        b_enc,
        w_dec,
        b_dec,
        threshold,
    };
    weights.check_shape().map_err(|e| e.to_string())?;
    if !notes.is_empty() {
        cfg["polytope_import_notes"] = json!(notes);
    }
    Ok((weights, cfg))
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    crate::work::write_atomic(path, bytes)
}

fn read_checked(dir: &Path, r: &FileRef) -> Result<Vec<u8>, Error> {
    let path = dir.join(&r.path);
    let bytes = std::fs::read(&path).map_err(|e| Error::io("read", path, e))?;
    r.check(&bytes).map_err(|e| Error::Run(e.to_string()))?;
    Ok(bytes)
}

/// The model's context length from `<dict>/../../index.json`, if that exists.
fn context_from_index(dict: &Path, model: &str) -> Option<u32> {
    let index = dict.parent()?.parent()?.join("index.json");
    let bytes = std::fs::read(index).ok()?;
    let index = polytope_core::dict::DataIndex::from_json(&bytes).ok()?;
    index.model(model).map(|m| m.n_ctx)
}

pub fn run_export(args: &ExportArgs) -> Result<(), Error> {
    if let Some(c) = args.context_size {
        crate::limits::bound("--context-size", c, 1, 1 << 20)?;
    }
    let manifest_path = args.dict.join("manifest.json");
    let bytes = std::fs::read(&manifest_path)
        .map_err(|e| Error::Usage(format!("cannot read {}: {e}", manifest_path.display())))?;
    let m = DictManifest::from_json(&bytes)
        .map_err(|e| Error::Run(format!("{}: {e}", manifest_path.display())))?;
    let Some(wref) = &m.weights else {
        return Err(Error::Run(format!(
            "dictionary {:?} ships no weights.bin; nothing to export",
            m.id
        )));
    };
    let weights = SaeWeights::from_bytes(&read_checked(&args.dict, wref)?)
        .map_err(|e| Error::Run(format!("{}: {e}", wref.path)))?;
    let context_size = args
        .context_size
        .or_else(|| context_from_index(&args.dict, &m.model))
        .unwrap_or(128);
    let info = SaelensInfo {
        model: m.model.clone(),
        dict_id: m.id.clone(),
        context_size,
    };
    let (st, cfg) = export_saelens(&weights, &info).map_err(Error::Run)?;
    std::fs::create_dir_all(&args.out).map_err(|e| Error::io("create", &args.out, e))?;
    write(&args.out.join("sae_weights.safetensors"), &st)?;
    write(&args.out.join("cfg.json"), cfg.as_bytes())?;
    let list = read_checked(&args.dict, &m.list)
        .and_then(|b| decode_list(&b, m.d_sae, None).map_err(|e| Error::Run(e.to_string())));
    match list {
        Ok(list) => {
            let sparsity = export_sparsity(&list).map_err(Error::Run)?;
            write(&args.out.join("sparsity.safetensors"), &sparsity)?;
        }
        Err(e) => {
            eprintln!("note: no sparsity.safetensors ({e})");
        }
    }
    if weights.normalize_scale.to_bits() != 1.0f32.to_bits() {
        eprintln!(
            "note: normalize_scale {} folded into the weights (SAELens does not scale inputs at \
             inference)",
            weights.normalize_scale
        );
    }
    println!(
        "wrote {} (SAELens {} SAE, {} x {})",
        args.out.display(),
        architecture(weights.variant).0,
        weights.d_in,
        weights.d_sae
    );
    Ok(())
}

pub fn run_import(args: &ImportArgs) -> Result<(), Error> {
    if !polytope_core::dict::is_safe_id(&args.id) {
        return Err(Error::Usage(format!(
            "--id {:?} is not a safe id (1-64 characters of a-z A-Z 0-9 - _ .)",
            args.id
        )));
    }
    if !args.dir.is_dir() {
        return Err(Error::Usage(format!(
            "{} is not a directory",
            args.dir.display()
        )));
    }
    let (weights, cfg) = read_saelens(&args.dir).map_err(Error::Run)?;
    let bytes = weights.to_bytes().map_err(|e| Error::Run(e.to_string()))?;
    std::fs::create_dir_all(&args.out).map_err(|e| Error::io("create", &args.out, e))?;
    write(&args.out.join("weights.bin"), &bytes)?;
    let model = cfg
        .pointer("/metadata/model_name")
        .or_else(|| cfg.get("model_name"))
        .and_then(Value::as_str)
        .map_or("unknown", |n| n.strip_prefix("polytope-lm-").unwrap_or(n))
        .to_string();
    let hook = cfg
        .pointer("/metadata/hook_name")
        .or_else(|| cfg.get("hook_name"))
        .and_then(Value::as_str)
        .map_or("mlp.post_relu", |h| {
            if h == HOOK_NAME { "mlp.post_relu" } else { h }
        })
        .to_string();
    let skeleton = json!({
        "format": polytope_core::dict::DICT_FORMAT,
        "version": polytope_core::dict::DICT_VERSION,
        "id": args.id,
        "model": model,
        "d_in": weights.d_in,
        "d_sae": weights.d_sae,
        "variant": weights.variant.name(),
        "k": weights.k,
        "hook": hook,
        "weights": FileRef::of("weights.bin", &bytes),
        "metrics": null,
        "list": null,
        "chunks": [],
        "incomplete": "imported from SAELens: metrics, list.bin and the chunks need the subject \
                       model; run `polytope dict build` on this directory",
        "imported_from": args.dir.display().to_string(),
        "source_model": args.model.as_ref().map(|p| p.display().to_string()),
        "saelens_cfg": cfg,
    });
    let text = serde_json::to_string_pretty(&skeleton).map_err(|e| Error::Run(e.to_string()))?;
    write(&args.out.join("manifest.json"), text.as_bytes())?;
    if let Some(notes) = cfg.get("polytope_import_notes").and_then(Value::as_array) {
        for n in notes {
            eprintln!("note: {}", n.as_str().unwrap_or_default());
        }
    }
    println!(
        "wrote {}/weights.bin ({} {} x {}) and a manifest skeleton; the feature data (metrics, \
         list.bin, chunks) needs the subject model: run `polytope dict build` to finish it",
        args.out.display(),
        weights.variant.name(),
        weights.d_in,
        weights.d_sae
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 2 x 3 JumpReLU SAE as SAELens files, its thresholds stored as `log_threshold`.
    fn jumprelu_files(log_threshold: f32, apply_b_dec: bool, big: f32) -> (String, Vec<u8>) {
        let (n, s) = (2, 3);
        let st = serialize(&[
            ("W_enc", vec![n, s], f32_bytes(&[big; 6])),
            ("W_dec", vec![s, n], f32_bytes(&[0.5; 6])),
            ("b_enc", vec![s], f32_bytes(&[0.0; 3])),
            ("b_dec", vec![n], f32_bytes(&[big; 2])),
            ("log_threshold", vec![s], f32_bytes(&[log_threshold; 3])),
        ])
        .unwrap();
        let cfg = json!({"architecture": "jumprelu", "d_in": n, "d_sae": s,
                         "apply_b_dec_to_input": apply_b_dec});
        (cfg.to_string(), st)
    }

    #[test]
    fn values_that_overflow_once_computed_are_refused() {
        let (cfg, st) = jumprelu_files(-1.0, false, 0.5);
        let (w, cfg_back) = parse_saelens(cfg.as_bytes(), &st).unwrap();
        assert!((w.threshold[0] - (-1.0f32).exp()).abs() < 1e-7);
        assert!(cfg_back["polytope_import_notes"].is_array());
        // exp(100) is 2.7e43: not an f32.
        let (cfg, st) = jumprelu_files(100.0, false, 0.5);
        let err = parse_saelens(cfg.as_bytes(), &st).unwrap_err();
        assert!(
            err.contains("threshold[0] = exp(log_threshold) overflows f32"),
            "{err}"
        );
        // W_enc b_dec = 2 x 1e20 x 1e20 folded into b_enc.
        let (cfg, st) = jumprelu_files(-1.0, true, 1e20);
        let err = parse_saelens(cfg.as_bytes(), &st).unwrap_err();
        assert!(err.contains("b_enc[0] overflows f32"), "{err}");
    }

    #[test]
    fn an_oversized_cfg_json_is_refused_before_it_is_parsed() {
        let (cfg, st) = jumprelu_files(-1.0, false, 0.5);
        assert!(parse_saelens(cfg.as_bytes(), &st).is_ok());
        // Valid JSON, padded with whitespace past the limit.
        let padded = format!("{cfg}{}", " ".repeat(MAX_CFG_BYTES));
        let err = parse_saelens(padded.as_bytes(), &st).unwrap_err();
        assert!(
            err.contains("cfg.json is") && err.contains("limit 32 KiB"),
            "{err}"
        );
    }
}
