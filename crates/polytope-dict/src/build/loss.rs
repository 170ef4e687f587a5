//! Step 3: loss recovered: the model's cross-entropy over the first `--loss-windows` windows of
//! the evaluation tokens as is, with the MLP activations replaced by the dictionary's
//! reconstruction (spliced in through `LmModel::loss_with_hook`), and with them zeroed.

use polytope_core::lm::analysis::{sae_decode, sae_encode};
use polytope_core::lm::model::LmModel;

use super::Args;
use super::encode::Dict;
use super::inputs::Inputs;

/// Mean loss per window over `tokens` (whole windows of `ctx`), with `hook` applied to the MLP
/// activations of each batch.
fn mean_loss(model: &LmModel, tokens: &[u16], ctx: usize, hook: &mut dyn FnMut(&mut [f32])) -> f64 {
    let windows = tokens.len() / ctx;
    let mut total = 0.0;
    let mut w = 0;
    while w < windows {
        let b = 32.min(windows - w);
        total +=
            model.loss_with_hook(&tokens[w * ctx..(w + b) * ctx], b, ctx, Some(hook)) * b as f64;
        w += b;
    }
    total / windows as f64
}

/// Fills in `d.metrics`' loss fields and `loss_recovered`.
pub fn measure(args: &Args, inputs: &Inputs, d: &mut Dict) {
    let ctx = inputs.ctx;
    let tokens = &inputs.eval()[..(args.loss_windows * ctx).min(inputs.n_eval)];
    let model = &inputs.models[&d.model].lm;
    let weights = &d.weights;
    let loss_orig = mean_loss(model, tokens, ctx, &mut |_h: &mut [f32]| {});
    let loss_zero = mean_loss(model, tokens, ctx, &mut |h: &mut [f32]| h.fill(0.0));
    let loss_sae = mean_loss(model, tokens, ctx, &mut |h: &mut [f32]| {
        let f = sae_encode(weights, h);
        let x_hat = sae_decode(weights, &f);
        h.copy_from_slice(&x_hat);
    });
    let m = &mut d.metrics;
    m.loss_orig = loss_orig as f32;
    m.loss_sae = loss_sae as f32;
    m.loss_zero = loss_zero as f32;
    m.loss_recovered = ((loss_zero - loss_sae) / (loss_zero - loss_orig)) as f32;
}
