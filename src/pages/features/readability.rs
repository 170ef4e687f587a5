//! How readable a unit is by the two automatic measures of docs/interpretability.md, and how
//! universal (its best match in the other model): on a feature's page, its scores beside the
//! medians of its dictionary, of the model's neurons and of random directions (the control);
//! in the overview, each measure's distribution for the three groups, the paper's comparison
//! of features with neurons.

use std::sync::Arc;

use leptos::prelude::*;
use polytope_core::dict::{DictKind, UnitScores};
use polytope_core::lm::interp::{MEASURES, UNIVERSALITY};

use super::Fx;
use crate::components::plot_card::PlotCard;
use crate::features_data::ScoresOf;
use crate::i18n::{Key, use_i18n};
use crate::specs;

/// The measures' names, in [`MEASURES`] order.
const MEASURE_KEYS: [Key; 3] = [
    Key::FeaturesScoreTokenRule,
    Key::FeaturesScoreContext,
    Key::FeaturesScoreUniversality,
];

/// The three groups a dictionary's scores are compared with: itself, its model's neurons and
/// the control. Starts loading whatever is missing.
#[derive(Clone)]
struct Groups {
    model: String,
    kind: DictKind,
    dict: Option<Arc<UnitScores>>,
    neurons: Option<Arc<UnitScores>>,
    control: Option<Arc<UnitScores>>,
    /// Every load finished and none of the three ships.
    missing: bool,
}

fn groups(fx: Fx, dict: &str) -> Option<Groups> {
    let model = fx.model_of(dict)?;
    let ofs = [
        ScoresOf::Dict(dict),
        ScoresOf::Neurons(&model),
        ScoresOf::Control(&model),
    ];
    for of in ofs {
        fx.ensure_scores(of);
    }
    let done = fx
        .scores
        .with(|s| ofs.iter().all(|of| s.contains_key(&of.key())));
    let [d, n, c] = ofs.map(|of| fx.scores_of(of));
    Some(Groups {
        missing: done && d.is_none() && n.is_none() && c.is_none(),
        model: model.clone(),
        kind: fx.kind_of(dict),
        dict: d,
        neurons: n,
        control: c,
    })
}

/// The median of measure `m` over the scored units; `None` when none is scored.
pub(super) fn median(s: &UnitScores, m: usize) -> Option<f32> {
    let mut v = s.scored(m);
    let med = polytope_core::lm::analysis::median(&mut v);
    med.is_finite().then_some(med)
}

fn cell(v: Option<f32>) -> String {
    v.map_or_else(|| "–".to_owned(), |v| format!("{v:.2}"))
}

/// The feature page's section: the unit's two scores against the three medians.
#[component]
pub fn ScoresSection(fx: Fx, dict: String, feature: u32) -> impl IntoView {
    let i18n = use_i18n();
    let content = move || {
        let g = groups(fx, &dict)?;
        if g.missing {
            return Some(
                view! { <p class="card-note">{i18n.tr(Key::FeaturesScoresMissing)}</p> }.into_any(),
            );
        }
        let own = g.dict.clone()?;
        let neurons_label = i18n.t(Key::FeaturesScoreNeurons).replace("{0}", &g.model);
        let rows = MEASURES
            .iter()
            .enumerate()
            .map(|(m, name)| {
                let this = own.get(m, feature);
                let this_text = this.map_or_else(
                    || i18n.t(Key::FeaturesNotScored).to_owned(),
                    |v| format!("{v:.2}"),
                );
                let dict_median = (g.kind == DictKind::Sae).then(|| cell(median(&own, m)));
                view! {
                    <tr data-measure=*name>
                        <th scope="row">{i18n.tr(MEASURE_KEYS[m])}</th>
                        <td class="num" data-testid="score-this">{this_text}</td>
                        {dict_median.map(|v| view! { <td class="num">{v}</td> })}
                        <td class="num">{cell(g.neurons.as_ref().and_then(|s| median(s, m)))}</td>
                        <td class="num">{cell(g.control.as_ref().and_then(|s| median(s, m)))}</td>
                    </tr>
                }
            })
            .collect_view();
        let dict_head = (g.kind == DictKind::Sae)
            .then(|| view! { <th scope="col">{i18n.tr(Key::FeaturesScoreDict)}</th> });
        Some(
            view! {
                <div class="table-scroll">
                    <table class="scores" data-testid="scores">
                        <thead><tr>
                            <th scope="col">{i18n.tr(Key::FeaturesScoreMeasure)}</th>
                            <th scope="col">{i18n.tr(Key::FeaturesScoreThis)}</th>
                            {dict_head}
                            <th scope="col">{neurons_label}</th>
                            <th scope="col">{i18n.tr(Key::FeaturesScoreControl)}</th>
                        </tr></thead>
                        <tbody>{rows}</tbody>
                    </table>
                </div>
            }
            .into_any(),
        )
    };
    view! {
        <section class="fsec" data-section="scores">
            <h3>{i18n.tr(Key::FeaturesScores)}</h3>
            <p class="card-note">{i18n.tr(Key::FeaturesScoresNote)}</p>
            {content}
        </section>
    }
}

/// The overview's plots: each measure's distribution over the dictionary's features, the
/// model's neurons and random directions.
#[component]
pub fn ScorePlots(fx: Fx) -> impl IntoView {
    let i18n = use_i18n();
    let spec_for = move |m: usize| {
        Signal::from(Memo::new(move |_| {
            let Some(dict) = fx.dict.get() else {
                return specs::waiting();
            };
            let Some(g) = groups(fx, &dict) else {
                return specs::waiting();
            };
            let mut shown: Vec<(String, usize, Arc<UnitScores>)> = Vec::new();
            if g.kind == DictKind::Sae
                && let Some(d) = &g.dict
            {
                shown.push((dict.clone(), 0, Arc::clone(d)));
            }
            if let Some(n) = &g.neurons {
                let name = i18n.t(Key::FeaturesGroupNeurons).replace("{0}", &g.model);
                shown.push((name, 1, Arc::clone(n)));
            }
            if let Some(c) = &g.control {
                shown.push((
                    i18n.t(Key::FeaturesGroupControl).to_owned(),
                    2,
                    Arc::clone(c),
                ));
            }
            if shown.is_empty() && !g.missing {
                return specs::waiting();
            }
            // A group with no score on this measure (a dictionary without a partner of its size
            // in the other model has no universality) is left out, not drawn empty.
            let columns: Vec<(String, usize, &[f32])> = shown
                .iter()
                .filter(|(_, _, s)| s.measure(m).iter().any(|v| !v.is_nan()))
                .map(|(n, c, s)| (n.clone(), *c, s.measure(m)))
                .collect();
            specs::score_histograms(&columns, m)
        }))
    };
    let missing = Memo::new(move |_| {
        fx.dict
            .get()
            .and_then(|d| groups(fx, &d))
            .is_some_and(|g| g.missing)
    });
    let rule_title = Signal::derive(move || i18n.t(Key::FeaturesTokenRuleTitle).to_owned());
    let rule_note = Signal::derive(move || i18n.t(Key::FeaturesTokenRuleNote).to_owned());
    let ctx_title = Signal::derive(move || i18n.t(Key::FeaturesContextTitle).to_owned());
    let ctx_note = Signal::derive(move || i18n.t(Key::FeaturesContextNote).to_owned());
    let uni_title = Signal::derive(move || i18n.t(Key::FeaturesUniversalityTitle).to_owned());
    let uni_note = Signal::derive(move || i18n.t(Key::FeaturesUniversalityNote).to_owned());
    let rule = spec_for(0);
    let ctx = spec_for(1);
    let uni = spec_for(UNIVERSALITY);
    view! {
        <Show when=move || !missing.get()
            fallback=move || view! { <p class="card-note" data-testid="scores-missing">{i18n.tr(Key::FeaturesScoresMissing)}</p> }>
            <PlotCard name="token-rule" title=rule_title spec=rule aspect=0.45 note=rule_note />
            <PlotCard name="context" title=ctx_title spec=ctx aspect=0.45 note=ctx_note />
            <PlotCard name="universality" title=uni_title spec=uni aspect=0.45 note=uni_note />
        </Show>
    }
}
