//! Step 5: the feature map: a 2-D t-SNE embedding of the decoder directions (cosine distance,
//! bhtsne's Barnes-Hut), scaled into the unit square.

use polytope_core::dict::SaeWeights;

/// A 2-D t-SNE map of the decoder directions (cosine distance), scaled into [0, 1]^2.
pub fn feature_map(w: &SaeWeights, epochs: usize) -> Vec<[f32; 2]> {
    let s = w.d_sae as usize;
    let rows: Vec<Vec<f32>> = (0..s)
        .map(|f| {
            let r = w.decoder_row(f);
            let n = r.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
            r.iter().map(|x| x / n).collect()
        })
        .collect();
    let samples: Vec<&[f32]> = rows.iter().map(Vec::as_slice).collect();
    if s < 8 {
        return (0..s).map(|i| [i as f32 / s as f32, 0.5]).collect();
    }
    let perplexity = (30.0f32).min((s as f32 - 1.0) / 3.0);
    let embedding = bhtsne::tSNE::<f32, &[f32], 2>::new(&samples)
        .perplexity(perplexity)
        .epochs(epochs)
        .barnes_hut(0.5, |a, b| {
            let dot: f32 = a.iter().zip(b.iter()).map(|(x, y)| x * y).sum();
            (1.0 - dot).max(0.0)
        })
        .embedding();
    let xs: Vec<f32> = embedding.iter().step_by(2).copied().collect();
    let ys: Vec<f32> = embedding.iter().skip(1).step_by(2).copied().collect();
    let range = |v: &[f32]| {
        let lo = v
            .iter()
            .copied()
            .filter(|x| x.is_finite())
            .fold(f32::INFINITY, f32::min);
        let hi = v
            .iter()
            .copied()
            .filter(|x| x.is_finite())
            .fold(f32::NEG_INFINITY, f32::max);
        (lo, (hi - lo).max(1e-12))
    };
    let (x0, xr) = range(&xs);
    let (y0, yr) = range(&ys);
    xs.iter()
        .zip(&ys)
        .map(|(x, y)| {
            let px = if x.is_finite() { (x - x0) / xr } else { 0.5 };
            let py = if y.is_finite() { (y - y0) / yr } else { 0.5 };
            [px.clamp(0.0, 1.0), py.clamp(0.0, 1.0)]
        })
        .collect()
}
