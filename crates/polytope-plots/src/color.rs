//! Colours shared by every plot, so a feature has the same colour everywhere.
//!
//! Categorical colours are the Okabe-Ito palette (distinguishable with every common colour
//! vision deficiency); continuous scales are perceptually uniform: viridis, and ramps
//! interpolated linearly in CIELAB (so equal steps in value are equal steps in perceived
//! colour, with lightness changing monotonically on each side). Each has a light- and a
//! dark-theme variant where the light one would vanish on a dark background.

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
const VIRIDIS: [Rgb; 9] = [
    (68, 1, 84),
    (71, 45, 123),
    (59, 82, 139),
    (44, 114, 142),
    (33, 145, 140),
    (40, 174, 128),
    (94, 201, 98),
    (173, 220, 48),
    (253, 231, 37),
];

/// Viridis between `lo` and `hi` (fractions of the full map): the light theme stops before
/// the pale yellow end, which vanishes on white; the dark theme starts after the near-black
/// purple, which vanishes on a dark background.
fn viridis(t: f64, dark: bool) -> RGBColor {
    let (lo, hi) = if dark { (0.22, 1.0) } else { (0.0, 0.88) };
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    ramp(&VIRIDIS, lo + (hi - lo) * t)
}

/// The Okabe-Ito palette, in the order features get them: blue, vermillion, bluish green,
/// reddish purple, orange, sky blue, then black (white on a dark page) and yellow.
const OKABE_ITO: [Rgb; 8] = [
    (0, 114, 178),
    (213, 94, 0),
    (0, 158, 115),
    (204, 121, 167),
    (230, 159, 0),
    (86, 180, 233),
    (0, 0, 0),
    (240, 228, 66),
];

/// Okabe-Ito colour `i`, with black replaced by near-white on a dark page.
pub(crate) fn okabe_ito(i: usize, dark: bool) -> RGBColor {
    let c = OKABE_ITO[i % OKABE_ITO.len()];
    if dark && c == (0, 0, 0) {
        RGBColor(235, 235, 235)
    } else {
        RGBColor(c.0, c.1, c.2)
    }
}

/// A distinct (Okabe-Ito) colour per feature for up to 8 features, a viridis position for
/// more.
pub fn feature_color(i: usize, n: usize, dark: bool) -> RGBColor {
    if n <= OKABE_ITO.len() {
        okabe_ito(i, dark)
    } else {
        viridis(i as f64 / (n.max(2) - 1) as f64, dark)
    }
}

/// Instance `t` of `count`, from dense (dark) to sparse (bright), on viridis.
pub fn instance_color(t: usize, count: usize, dark: bool) -> RGBColor {
    viridis(t as f64 / (count.max(2) - 1) as f64, dark)
}

/// Okabe-Ito blue to orange through a neutral grey, interpolated in CIELAB (lightness 46 to
/// 71): readable on light and dark backgrounds.
const BLUE_ORANGE: [Rgb; 5] = [
    (0, 114, 178),
    (117, 124, 145),
    (163, 135, 111),
    (198, 147, 73),
    (230, 159, 0),
];

/// The paper's bar colouring: `sqrt(superposition)` clamped to `[0, 1]`, from blue (the
/// feature has a dimension to itself) to orange (it shares its dimension).
pub fn superposition_color(superposition: f32) -> RGBColor {
    let t = f64::from(superposition.max(0.0)).sqrt().min(1.0);
    ramp(&BLUE_ORANGE, t)
}

/// Diverging for a light page: blue (lightness 40) to near-white (96) to red (40), each side
/// linear in CIELAB.
const DIVERGING_LIGHT: [Rgb; 9] = [
    (75, 83, 188),
    (124, 120, 202),
    (166, 159, 217),
    (205, 201, 230),
    (243, 243, 243),
    (239, 193, 189),
    (227, 144, 137),
    (210, 92, 88),
    (187, 20, 43),
];

/// Diverging for a dark page: light blue (lightness 72) to near-black (16) to light red (71),
/// so that zero blends into the background as white does on a light page.
const DIVERGING_DARK: [Rgb; 9] = [
    (65, 186, 255),
    (70, 146, 198),
    (66, 108, 141),
    (55, 73, 88),
    (40, 40, 40),
    (91, 64, 59),
    (146, 89, 80),
    (204, 115, 102),
    (255, 141, 124),
];

/// Blue (negative) through the background's neutral (zero) to red (positive), for values in
/// `[-1, 1]`.
pub fn diverging(v: f32, dark: bool) -> RGBColor {
    let t = f64::midpoint(f64::from(v).clamp(-1.0, 1.0), 1.0);
    ramp(
        if dark {
            &DIVERGING_DARK
        } else {
            &DIVERGING_LIGHT
        },
        t,
    )
}

/// Rare (blue, lightness 33) to frequent (red-orange, 65), linear in CIELAB: the feature
/// map's density colours.
const DENSITY: [Rgb; 6] = [
    (0, 71, 171),
    (100, 79, 152),
    (149, 88, 132),
    (188, 97, 111),
    (224, 108, 89),
    (255, 118, 62),
];

/// The density colour at `t` in `[0, 1]` (0 rare, 1 frequent), as sRGB for CSS or a canvas.
pub fn density_color(t: f64) -> Rgb {
    let c = ramp(&DENSITY, t);
    (c.0, c.1, c.2)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// CIE lightness of an sRGB colour.
    fn lightness(c: RGBColor) -> f64 {
        let lin = |v: u8| {
            let v = f64::from(v) / 255.0;
            if v <= 0.04045 {
                v / 12.92
            } else {
                ((v + 0.055) / 1.055).powf(2.4)
            }
        };
        let y = 0.2126 * lin(c.0) + 0.7152 * lin(c.1) + 0.0722 * lin(c.2);
        if y > 216.0 / 24389.0 {
            116.0 * y.cbrt() - 16.0
        } else {
            y * 24389.0 / 27.0
        }
    }

    #[test]
    fn continuous_scales_change_lightness_monotonically() {
        for dark in [false, true] {
            let l: Vec<f64> = (0..=20)
                .map(|k| lightness(instance_color(k, 21, dark)))
                .collect();
            assert!(l.windows(2).all(|w| w[1] > w[0]), "viridis {dark}: {l:?}");
            let d: Vec<f64> = (0..=20)
                .map(|k| lightness(diverging(-1.0 + 0.1 * k as f32, dark)))
                .collect();
            // Away from zero the lightness moves the same way on both sides.
            for k in 0..10 {
                let toward_zero = if dark {
                    d[k + 1] < d[k]
                } else {
                    d[k + 1] > d[k]
                };
                assert!(toward_zero, "diverging {dark} at {k}: {d:?}");
            }
        }
        let s: Vec<f64> = (0..=10)
            .map(|k| lightness(superposition_color(k as f32 / 10.0)))
            .collect();
        assert!(s.windows(2).all(|w| w[1] >= w[0]), "superposition {s:?}");
    }

    #[test]
    fn categorical_colours_are_okabe_ito_and_visible_on_both_backgrounds() {
        assert_eq!(feature_color(0, 5, false), RGBColor(0, 114, 178));
        assert_eq!(feature_color(1, 5, false), RGBColor(213, 94, 0));
        // Black becomes near-white on a dark page.
        assert_eq!(feature_color(6, 8, true), RGBColor(235, 235, 235));
        // The dark theme's viridis skips the near-black start.
        assert!(lightness(instance_color(0, 10, true)) > 25.0);
        // The light theme's skips the pale yellow end.
        assert!(lightness(instance_color(9, 10, false)) < 85.0);
    }
}
