//! Step 2: each model's MLP activations over the evaluation tokens, and each dictionary run on
//! them with its shipped (f16) weights: the sparse codes every later statistic derives from,
//! and the reconstruction metrics (explained variance, L0, dead and ultralow features).

use std::collections::BTreeMap;
use std::time::Instant;

use polytope_core::dict::{DictKind, DictMetrics, SaeWeights};
use polytope_core::lm::analysis::{
    FeatureTotals, SparseCodes, feature_totals, sae_decode, sae_encode,
};
use polytope_core::lm::model::LmModel;
use polytope_core::sae::{Layout, SaeConfig, SaeParams, Variant};

use super::inputs::Inputs;
use super::{Args, dict_failure};
use crate::Error;
use crate::sae::{load_state, sae_dir};
use crate::work::read;

/// A dictionary encoded over the evaluation tokens.
pub struct Dict {
    pub id: String,
    pub kind: DictKind,
    pub model: String,
    /// The weights as shipped (f16-rounded), and their file.
    pub weights: SaeWeights,
    pub weights_bytes: Vec<u8>,
    pub cfg: SaeConfig,
    /// The training report (`WORK/sae/<id>/report.json`).
    pub report: serde_json::Value,
    pub codes: SparseCodes,
    pub totals: Vec<FeatureTotals>,
    /// The loss fields are filled in by [`super::loss::measure`].
    pub metrics: DictMetrics,
}

/// MLP activations of `model` over `tokens` in consecutive windows of its context length.
pub fn activations(model: &LmModel, tokens: &[u16]) -> Vec<f32> {
    let ctx = model.config.ctx;
    let windows = tokens.len() / ctx;
    let mut out = Vec::with_capacity(windows * ctx * model.config.d_mlp);
    let batch = 64;
    let mut w = 0;
    while w < windows {
        let b = batch.min(windows - w);
        out.extend(model.mlp_activations(&tokens[w * ctx..(w + b) * ctx], b, ctx));
        w += b;
    }
    out
}

/// Every model's MLP activations over the evaluation tokens, `[n_eval, d_mlp]` each.
pub fn model_activations(inputs: &Inputs) -> BTreeMap<String, Vec<f32>> {
    let mut acts = BTreeMap::new();
    for (m, model) in &inputs.models {
        let t = Instant::now();
        acts.insert(m.clone(), activations(&model.lm, inputs.eval()));
        eprintln!(
            "build: model {m} activations in {:.1} s",
            t.elapsed().as_secs_f64()
        );
    }
    acts
}

/// Loads dictionary `model-size`, rounds its weights to f16 as they ship, and encodes the
/// model's activations `acts` with them.
pub fn encode(
    args: &Args,
    inputs: &Inputs,
    acts: &BTreeMap<String, Vec<f32>>,
    m: &str,
    size: u32,
) -> Result<Dict, Error> {
    let id = format!("{}-{size}", m.to_lowercase());
    let dir = sae_dir(&args.work, m, size);
    let (cfg, state) = load_state(&dir.join("state.bin")).map_err(|e| {
        e.hint(format!(
            "train it with `polytope dict train-sae --model {m} --d-sae {size}`"
        ))
    })?;
    if state.step < cfg.steps {
        return Err(Error::Run(format!(
            "dictionary {id} is trained to step {} of {}; finish it with `polytope dict train-sae`",
            state.step, cfg.steps
        )));
    }
    let report: serde_json::Value = read(&dir.join("report.json"))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    let params = SaeParams {
        layout: Layout::new(&cfg),
        data: state.params.clone(),
    };
    let full =
        SaeWeights::from_params(&cfg, &params, state.input_scale).map_err(dict_failure(&id))?;
    analyse(args, inputs, acts, m, id, DictKind::Sae, &full, cfg, report)
}

/// The identity dictionary of `model`'s MLP neurons: encoder and decoder the identity, no
/// bias, ReLU (the activations are already >= 0), so each unit's code is one neuron's
/// activation and every statistic of a feature is computed the same way for a neuron.
pub fn identity_weights(d: u32) -> SaeWeights {
    let n = d as usize;
    let mut eye = vec![0.0f32; n * n];
    for i in 0..n {
        eye[i * n + i] = 1.0;
    }
    SaeWeights {
        d_in: d,
        d_sae: d,
        variant: Variant::L1_2024,
        k: None,
        normalize_scale: 1.0,
        w_enc: eye.clone(),
        b_enc: vec![0.0; n],
        w_dec: eye,
        b_dec: vec![0.0; n],
        threshold: vec![0.0; n],
    }
}

/// Model `m`'s MLP neurons as a dictionary (`neurons-<m>`): nothing is trained, so the
/// manifest's training record is empty (0 steps).
pub fn neurons(
    args: &Args,
    inputs: &Inputs,
    acts: &BTreeMap<String, Vec<f32>>,
    m: &str,
) -> Result<Dict, Error> {
    let d = inputs.models[m].lm.config.d_mlp as u32;
    let mut cfg = SaeConfig::recommended(Variant::L1_2024, d, d, 0);
    cfg.batch = 0;
    cfg.learning_rate = 0.0;
    cfg.sparsity_coefficient = 0.0;
    cfg.seed = 0;
    let report = serde_json::json!({ "kind": "neurons", "seconds_this_run": 0.0 });
    let id = format!("neurons-{}", m.to_lowercase());
    analyse(
        args,
        inputs,
        acts,
        m,
        id,
        DictKind::Neurons,
        &identity_weights(d),
        cfg,
        report,
    )
}

/// Rounds `full` to f16 as it ships and encodes the model's activations with it.
#[allow(clippy::too_many_arguments)]
fn analyse(
    args: &Args,
    inputs: &Inputs,
    acts: &BTreeMap<String, Vec<f32>>,
    m: &str,
    id: String,
    kind: DictKind,
    full: &SaeWeights,
    cfg: SaeConfig,
    report: serde_json::Value,
) -> Result<Dict, Error> {
    let n_eval = inputs.n_eval;
    // The shipped (f16) weights are the ones analysed, so the browser sees the same numbers.
    let weights_bytes = full.to_bytes().map_err(dict_failure(&id))?;
    let weights = SaeWeights::from_bytes(&weights_bytes).map_err(dict_failure(&id))?;
    let model = &inputs.models[m].lm;
    let h = &acts[m];
    let d = weights.d_in as usize;
    if d != model.config.d_mlp {
        return Err(Error::Run(format!(
            "dictionary {id} reads {d} values, model {m} has {} MLP neurons",
            model.config.d_mlp
        )));
    }
    let mut mean = vec![0.0f64; d];
    for row in h.chunks_exact(d) {
        for (a, v) in mean.iter_mut().zip(row) {
            *a += f64::from(*v);
        }
    }
    for v in &mut mean {
        *v /= n_eval as f64;
    }
    let mut codes = SparseCodes::new(weights.d_sae as usize);
    let (mut resid, mut total, mut norm) = (0.0f64, 0.0f64, 0.0f64);
    for chunk in h.chunks(4096 * d) {
        let f = sae_encode(&weights, chunk);
        let x_hat = sae_decode(&weights, &f);
        for (i, (x, y)) in chunk.iter().zip(&x_hat).enumerate() {
            let (x, y) = (f64::from(*x), f64::from(*y));
            resid += (x - y) * (x - y);
            total += (x - mean[i % d]).powi(2);
            norm += x * x;
        }
        codes.push_dense(&f);
    }
    let totals = feature_totals(&codes);
    let dead = totals.iter().filter(|t| t.count == 0).count() as u32;
    let ultralow = totals
        .iter()
        .filter(|t| t.count > 0 && (t.count as f64 / n_eval as f64) < f64::from(args.ultralow))
        .count() as u32;
    let metrics = DictMetrics {
        explained_variance: (1.0 - resid / total.max(1e-30)) as f32,
        nmse: (resid / norm.max(1e-30)) as f32,
        l0: codes.l0() as f32,
        dead,
        ultralow,
        ultralow_threshold: args.ultralow,
        loss_orig: 0.0,
        loss_sae: 0.0,
        loss_zero: 0.0,
        loss_recovered: 0.0,
        eval_tokens: n_eval as u64,
    };
    Ok(Dict {
        id,
        kind,
        model: m.to_owned(),
        weights,
        weights_bytes,
        cfg,
        report,
        codes,
        totals,
        metrics,
    })
}
