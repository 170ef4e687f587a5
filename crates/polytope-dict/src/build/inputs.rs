//! Step 1: the inputs every later step reads: the tokenizer, the evaluation tokens (the start
//! of the validation split, in whole context windows) and the subject models.

use std::collections::BTreeMap;

use polytope_core::dict::{DictKind, Highlight};
use polytope_core::lm::file::{LmMetadata, from_bytes as read_model};
use polytope_core::lm::model::LmModel;

use super::Args;
use crate::Error;
use crate::work::{load_tokenizer, load_tokens, model_dir, read};

/// A subject model: the weights, what its file says about it, and the file's bytes (shipped
/// as they are).
pub struct Model {
    pub lm: LmModel,
    pub meta: LmMetadata,
    pub bytes: Vec<u8>,
}

pub struct Inputs {
    pub tokenizer_json: Vec<u8>,
    pub vocab: usize,
    /// The validation split's tokens; the evaluation tokens are its first `n_eval`.
    pub val: Vec<u16>,
    pub n_eval: usize,
    /// The models' context length.
    pub ctx: usize,
    /// The dictionaries to build, in `--dicts` order.
    pub ids: Vec<DictId>,
    /// The models the dictionaries read, by id.
    pub models: BTreeMap<String, Model>,
}

impl Inputs {
    /// The evaluation tokens: every statistic is computed over exactly these.
    pub fn eval(&self) -> &[u16] {
        &self.val[..self.n_eval]
    }
}

/// A dictionary `--dicts` names: `a-2048`, the features of model A's SAE of 2048 latents, or
/// `neurons-a`, model A's MLP neurons written as the identity dictionary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DictId {
    pub kind: DictKind,
    /// The model's id, `"A"`.
    pub model: String,
    /// Its units: the SAE's latents, or (for neurons, once the model is read) the MLP's width.
    pub size: u32,
}

fn model_name(id: &str, m: &str) -> Result<String, Error> {
    if m.is_empty() || !m.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(Error::Usage(format!("--dicts: {id:?}: bad model name")));
    }
    Ok(m.to_uppercase())
}

/// `a-2048` -> SAE of model `A`, size 2048; `neurons-a` -> the neurons of model `A` (size 0
/// until [`load`] reads the model).
pub fn parse_id(id: &str) -> Result<DictId, Error> {
    let (m, s) = id.split_once('-').ok_or_else(|| {
        Error::Usage(format!(
            "--dicts: {id:?} is not MODEL-SIZE (like a-2048) or neurons-MODEL (like neurons-a)"
        ))
    })?;
    if m == "neurons" {
        return Ok(DictId {
            kind: DictKind::Neurons,
            model: model_name(id, s)?,
            size: 0,
        });
    }
    let size = s
        .parse::<u32>()
        .map_err(|_| Error::Usage(format!("--dicts: {id:?}: size {s:?} is not a number")))?;
    Ok(DictId {
        kind: DictKind::Sae,
        model: model_name(id, m)?,
        size,
    })
}

/// The highlights of `--highlights` (none without it), parsed before anything else is read.
pub fn highlights(args: &Args) -> Result<Vec<Highlight>, Error> {
    let Some(path) = &args.highlights else {
        return Ok(Vec::new());
    };
    let text = read(path)?;
    if text.len() > 1 << 20 {
        return Err(Error::Usage(format!(
            "{}: {} bytes; a highlights file is at most 1 MiB",
            path.display(),
            text.len()
        )));
    }
    serde_json::from_slice(&text).map_err(|e| {
        Error::Usage(format!(
            "{}: not a JSON list of highlights: {e}",
            path.display()
        ))
    })
}

pub fn load(args: &Args) -> Result<Inputs, Error> {
    let tokenizer_json = read(&args.work.join("tokenizer.json"))?;
    let tokenizer = load_tokenizer(&args.work)?;
    let vocab = tokenizer.vocab_size();
    let val = load_tokens(&args.work, "val")?;
    let mut ids: Vec<DictId> = Vec::new();
    for id in &args.dicts {
        ids.push(parse_id(id)?);
    }
    let mut models: BTreeMap<String, Model> = BTreeMap::new();
    for DictId { model: m, .. } in &ids {
        if !models.contains_key(m) {
            let path = model_dir(&args.work, m).join("model.bin");
            let bytes = read(&path)?;
            let (model, meta) =
                read_model(&bytes).map_err(|e| Error::Run(format!("{}: {e}", path.display())))?;
            models.insert(
                m.clone(),
                Model {
                    lm: model,
                    meta,
                    bytes,
                },
            );
        }
    }
    for id in &mut ids {
        if id.kind == DictKind::Neurons {
            id.size = models[&id.model].lm.config.d_mlp as u32;
        }
    }
    let ctx = models.values().next().map_or(64, |m| m.lm.config.ctx);
    let n_eval = (args.eval_tokens.min(val.len()) / ctx) * ctx;
    if n_eval < ctx * 2 {
        return Err(Error::Run(format!(
            "the validation split has only {} tokens",
            val.len()
        )));
    }
    Ok(Inputs {
        tokenizer_json,
        vocab,
        val,
        n_eval,
        ctx,
        ids,
        models,
    })
}
