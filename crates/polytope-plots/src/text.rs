//! Every word the plots draw, show on hover or write in their text alternative, so that the
//! caller can pass them in the interface language. Templates name their values in braces
//! (`{feature}`), filled by [`fill`]; numbers are formatted by the plots.

use std::fmt::Display;

/// The words of the plots. [`PlotText::ENGLISH`] (the default) is what the CLI's figures say;
/// the app builds one from its translations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlotText {
    // Empty states.
    /// Loss or metric curves before the first step.
    pub no_steps: &'static str,
    /// Small multiples or the dimensions-per-feature plot of a run without instances.
    pub no_instances: &'static str,
    /// The energy-level plot before two recorded steps.
    pub not_started: &'static str,
    /// The geometry graph when no feature has a direction.
    pub no_represented: &'static str,
    /// A phase diagram without cells.
    pub empty_grid: &'static str,
    /// The density histogram before the first evaluation.
    pub no_densities: &'static str,
    /// The score histograms without scores.
    pub no_scores: &'static str,
    /// Quality against size without a dictionary.
    pub no_sizes: &'static str,
    /// The dictionary-directions plot of data that is not 2-D or 3-D.
    pub directions_dims: &'static str,
    /// The cosine matrix without true features.
    pub no_truth: &'static str,

    // Words drawn in plots.
    /// Axis title: training steps.
    pub step: &'static str,
    /// Axis title: loss.
    pub loss: &'static str,
    /// The bar of dead latents in the density histogram.
    pub dead: &'static str,
    /// The cosine matrix's column title.
    pub learned_axis: &'static str,
    /// The cosine matrix's row title.
    pub true_axis: &'static str,
    /// A neuron under its bar (`{neuron}`).
    pub neuron_short: &'static str,
    /// An axis of the 3-D view (`{k}`: the hidden dimension).
    pub hidden_axis: &'static str,

    // Tooltips.
    /// `{feature}`, `{norm}`, `{sup}`.
    pub tip_norm: &'static str,
    /// `{neuron}`, `{feature}`, `{w}`.
    pub tip_neuron: &'static str,
    /// `{feature}`, `{w}` (coordinates), `{norm}`.
    pub tip_vector: &'static str,
    /// `{feature}`, `{value}` (‖W‖²).
    pub tip_gram_row: &'static str,
    /// `{instance}`, `{loss}`, `{step}`.
    pub tip_loss: &'static str,
    /// `{instance}`, `{feature}`, `{d}`.
    pub tip_dims_feature: &'static str,
    /// `{instance}`, `{x}` (1/(1−S)), `{d}` (D*).
    pub tip_dims_instance: &'static str,
    /// `{feature}`, `{d}`, `{step}`.
    pub tip_energy: &'static str,
    /// `{feature}`.
    pub tip_feature: &'static str,
    /// `{density}`, `{importance}`, `{regime}`.
    pub tip_phase: &'static str,
    /// A phase cell still training.
    pub pending: &'static str,
    /// `{count}`, `{step}`.
    pub tip_resampled: &'static str,
    /// A bin of the score histograms: `{from}`, `{to}`, `{shares}` (each group's share).
    pub tip_score_bin: &'static str,
    /// A point of quality against size: `{name}`, `{features}`, `{value}`.
    pub tip_size_point: &'static str,
    /// `{name}`, `{value}`, `{step}`.
    pub tip_curve: &'static str,
    /// `{count}`.
    pub tip_dead: &'static str,
    /// `{count}`, `{lo}`, `{hi}` (log10 densities).
    pub tip_density: &'static str,
    /// `{feature}`.
    pub tip_true_feature: &'static str,
    /// `{latent}`.
    pub tip_latent: &'static str,
    /// Appended to an unmatched latent.
    pub tip_unmatched: &'static str,
    /// Appended to a matched latent: `{feature}`.
    pub tip_matched: &'static str,
    /// Appended to a dead latent.
    pub tip_dead_suffix: &'static str,
    /// `{feature}`, `{latent}`, `{cos}`.
    pub tip_cosine: &'static str,

    // Text alternatives: a caption per plot and the headers of its data table.
    /// `{n}`, `{m}`, `{represented}`.
    pub cap_vectors: &'static str,
    /// `{n}`, `{pairs}`.
    pub cap_gram: &'static str,
    /// `{n}`, `{represented}`, `{shared}`.
    pub cap_norms: &'static str,
    /// `{n}`, `{m}`.
    pub cap_neurons: &'static str,
    /// `{count}`, `{step}`.
    pub cap_loss: &'static str,
    /// `{count}`.
    pub cap_multiples: &'static str,
    /// `{count}`.
    pub cap_dims: &'static str,
    /// `{n}`, `{step}`.
    pub cap_energy: &'static str,
    /// `{n}`, `{groups}`.
    pub cap_graph: &'static str,
    /// `{done}`, `{total}`.
    pub cap_phase: &'static str,
    /// `{count}`, `{step}`, `{events}`.
    pub cap_curves: &'static str,
    /// `{total}`, `{dead}`.
    pub cap_density: &'static str,
    /// `{count}` groups of units.
    pub cap_scores: &'static str,
    /// `{count}` dictionaries.
    pub cap_sizes: &'static str,
    /// `{learned}`, `{truth}`, `{matched}`.
    pub cap_dictionary: &'static str,
    /// `{rows}`, `{cols}`.
    pub cap_cosine: &'static str,
    /// Said after a table cut short: `{count}` rows left out.
    pub more_rows: &'static str,
    pub col_feature: &'static str,
    pub col_instance: &'static str,
    pub col_neuron: &'static str,
    pub col_coordinates: &'static str,
    pub col_superposition: &'static str,
    pub col_bias: &'static str,
    pub col_interference: &'static str,
    pub col_strongest: &'static str,
    pub col_represented: &'static str,
    pub col_density: &'static str,
    pub col_importance: &'static str,
    pub col_regime: &'static str,
    pub col_metric: &'static str,
    pub col_value: &'static str,
    pub col_group: &'static str,
    pub col_latents: &'static str,
    /// Score tables: the scored units of a group, the bin holding its median.
    pub col_scored: &'static str,
    pub col_median_bin: &'static str,
    /// A dictionary's size (quality against size).
    pub col_features: &'static str,
    pub col_latent: &'static str,
    pub col_match: &'static str,
    pub col_alive: &'static str,
    pub col_cosine: &'static str,
    pub col_title: &'static str,
    pub yes: &'static str,
    pub no: &'static str,
}

impl PlotText {
    pub const ENGLISH: Self = Self {
        no_steps: "no steps yet",
        no_instances: "no instances",
        not_started: "training has not started",
        no_represented: "no feature is represented",
        empty_grid: "empty grid",
        no_densities: "no densities yet",
        no_scores: "no scores",
        no_sizes: "no dictionaries",
        directions_dims: "directions are drawn for 2 or 3 dimensions",
        no_truth: "no ground truth",
        step: "step",
        loss: "loss",
        dead: "dead",
        learned_axis: "learned latents (sorted by matching) →",
        true_axis: "true",
        neuron_short: "n{neuron}",
        hidden_axis: "h{k}",
        tip_norm: "feature {feature}: ‖W‖ = {norm}, superposition = {sup}",
        tip_neuron: "neuron {neuron}, feature {feature}: W = {w}",
        tip_vector: "feature {feature}: W = {w}, ‖W‖ = {norm}",
        tip_gram_row: "feature {feature}: ‖W‖² = {value}",
        tip_loss: "instance {instance}: loss {loss} at step {step}",
        tip_dims_feature: "instance {instance}, feature {feature}: D = {d}",
        tip_dims_instance: "instance {instance}: 1/(1−S) = {x}, D* = {d}",
        tip_energy: "feature {feature}: D = {d} at step {step}",
        tip_feature: "feature {feature}",
        tip_phase: "density {density}, relative importance {importance}: {regime}",
        pending: "pending",
        tip_resampled: "resampled {count} dead latents at step {step}",
        tip_score_bin: "score {from} to {to}: {shares}",
        tip_size_point: "{name}, {features} features: {value}",
        tip_curve: "{name}: {value} at step {step}",
        tip_dead: "{count} dead latents (never fired)",
        tip_density: "{count} latents with density 10^{lo} to 10^{hi}",
        tip_true_feature: "true feature {feature}",
        tip_latent: "latent {latent}",
        tip_unmatched: " (unmatched)",
        tip_matched: " → true feature {feature}",
        tip_dead_suffix: ", dead",
        tip_cosine: "true feature {feature} · latent {latent}: cos {cos}",
        cap_vectors: "Directions of {n} features in {m} hidden dimensions; {represented} have a norm above 0.5.",
        cap_gram: "WᵀW of {n} features and the bias; {pairs} pairs of features interfere (|Wᵢ·Wⱼ| above 0.1).",
        cap_norms: "Norms of {n} features: {represented} represented (norm above 0.5), {shared} of them in superposition.",
        cap_neurons: "Weights of {n} features on each of {m} neurons.",
        cap_loss: "Loss of {count} instances, up to step {step}.",
        cap_multiples: "Feature directions of each of {count} instances.",
        cap_dims: "Dimensions per feature of {count} instances against 1/(1−S).",
        cap_energy: "Dimensionality of {n} features over training, up to step {step}.",
        cap_graph: "{n} represented features in {groups} groups that share dimensions.",
        cap_phase: "Phase diagram: {done} of {total} cells computed.",
        cap_curves: "{count} curves up to step {step}; {events} resamplings.",
        cap_density: "Density histogram of {total} latents; {dead} dead.",
        cap_scores: "Distribution of one score for {count} groups of units.",
        cap_sizes: "Quality of {count} dictionaries of one model against their size.",
        cap_dictionary: "{learned} learned directions over {truth} true features; {matched} matched.",
        cap_cosine: "Cosine similarity of {rows} true features with {cols} learned latents.",
        more_rows: "{count} more rows in the CSV export.",
        col_feature: "feature",
        col_instance: "instance",
        col_neuron: "neuron",
        col_coordinates: "coordinates",
        col_superposition: "superposition",
        col_bias: "bias",
        col_interference: "strongest interference",
        col_strongest: "strongest features",
        col_represented: "represented features",
        col_density: "density",
        col_importance: "relative importance",
        col_regime: "regime",
        col_metric: "curve",
        col_value: "last value",
        col_group: "group",
        col_latents: "latents",
        col_scored: "scored units",
        col_median_bin: "median (bin)",
        col_features: "features",
        col_latent: "latent",
        col_match: "matched true feature",
        col_alive: "alive",
        col_cosine: "cosine",
        col_title: "title",
        yes: "yes",
        no: "no",
    };
}

impl Default for PlotText {
    fn default() -> Self {
        Self::ENGLISH
    }
}

/// `template` with every `{name}` replaced by its value; unknown names stay as written.
pub fn fill(template: &str, values: &[(&str, &dyn Display)]) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            out.push_str(&rest[open..]);
            rest = "";
            break;
        };
        let name = &after[..close];
        if let Some((_, v)) = values.iter().find(|(n, _)| *n == name) {
            out.push_str(&v.to_string());
        } else {
            out.push('{');
            out.push_str(name);
            out.push('}');
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_replaces_named_values_and_keeps_unknown_ones() {
        assert_eq!(
            fill(
                "feature {feature}: {x} {y}",
                &[("feature", &3), ("x", &"a")]
            ),
            "feature 3: a {y}"
        );
        assert_eq!(fill("no braces", &[]), "no braces");
        assert_eq!(fill("open { brace", &[]), "open { brace");
    }
}
