//! Colours shared by every plot, so a feature has the same colour everywhere.

use plotters::style::RGBColor;

/// An sRGB colour the app can also use for CSS.
pub type Rgb = (u8, u8, u8);

fn lerp(a: Rgb, b: Rgb, t: f64) -> Rgb {
    let mix = |x: u8, y: u8| (f64::from(x) + (f64::from(y) - f64::from(x)) * t).round() as u8;
    (mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// Piecewise-linear interpolation through `stops` for `t` in `[0, 1]`.
fn ramp(stops: &[Rgb], t: f64) -> RGBColor {
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let pos = t * (stops.len() - 1) as f64;
    let i = (pos.floor() as usize).min(stops.len() - 2);
    let c = lerp(stops[i], stops[i + 1], pos - i as f64);
    RGBColor(c.0, c.1, c.2)
}

/// Viridis, sampled: perceptually uniform and readable by colour-blind viewers.
const VIRIDIS: [Rgb; 6] = [
    (68, 1, 84),
    (65, 68, 135),
    (42, 120, 142),
    (34, 168, 132),
    (122, 209, 81),
    (253, 231, 37),
];

/// A distinct colour per feature for small `n` (the paper's intro figure has 5), a viridis
/// position for large `n`. Feature 0 (the most important in every preset) is the darkest.
pub fn feature_color(i: usize, n: usize) -> RGBColor {
    const DISTINCT: [Rgb; 10] = [
        (68, 1, 84),
        (59, 82, 139),
        (33, 145, 140),
        (94, 201, 98),
        (230, 171, 2),
        (217, 95, 2),
        (231, 41, 138),
        (117, 112, 179),
        (102, 166, 30),
        (166, 118, 29),
    ];
    if n <= DISTINCT.len() {
        let c = DISTINCT[i % DISTINCT.len()];
        RGBColor(c.0, c.1, c.2)
    } else {
        ramp(&VIRIDIS, i as f64 / (n.max(2) - 1) as f64)
    }
}

/// Instance `t` of `count`, from dense (dark) to sparse (bright).
pub fn instance_color(t: usize, count: usize) -> RGBColor {
    ramp(&VIRIDIS, t as f64 / (count.max(2) - 1) as f64)
}

/// The paper's bar colouring: `sqrt(superposition)` clamped to `[0, 1]`, from dark blue (the
/// feature has a dimension to itself) to orange (it shares its dimension).
pub fn superposition_color(superposition: f32) -> RGBColor {
    let t = f64::from(superposition.max(0.0)).sqrt().min(1.0);
    ramp(&[(31, 59, 115), (120, 94, 140), (252, 163, 17)], t)
}

/// Blue (negative) through white (zero) to red (positive), for values in `[-1, 1]`.
pub fn diverging(v: f32) -> RGBColor {
    let t = f64::midpoint(f64::from(v).clamp(-1.0, 1.0), 1.0);
    ramp(
        &[
            (33, 102, 172),
            (146, 197, 222),
            (247, 247, 247),
            (244, 165, 130),
            (178, 24, 43),
        ],
        t,
    )
}
