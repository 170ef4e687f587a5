//! The tour's texts on the page: paragraphs with their `{placeholders}` filled from the
//! widget's values (tokens marked `translate="no"`: they are data), and a QR code of the
//! step's address for a projected slide.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use leptos::prelude::*;
use qrcodegen::{QrCode as Qr, QrCodeEcc};

use crate::i18n::{Key, use_i18n};

/// Placeholders whose values are tokens of the model's vocabulary.
const TOKENS: [&str; 2] = ["god_token", "god_promoted"];

/// A piece of a text: words, or a placeholder's value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece {
    Text(String),
    /// A value; `token` when it is vocabulary data.
    Value {
        text: String,
        token: bool,
    },
    /// A placeholder without a value yet.
    Pending(String),
}

/// Splits `text` at `{name}` placeholders and fills them from `values`.
pub fn pieces(text: &str, values: &BTreeMap<&'static str, String>) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        let name = &rest[start + 1..start + len];
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            out.push(Piece::Text(rest[..=start].to_owned()));
            rest = &rest[start + 1..];
            continue;
        }
        if start > 0 {
            out.push(Piece::Text(rest[..start].to_owned()));
        }
        out.push(match values.get(name) {
            Some(v) => Piece::Value {
                text: v.clone(),
                token: TOKENS.contains(&name),
            },
            None => Piece::Pending(name.to_owned()),
        });
        rest = &rest[start + len + 1..];
    }
    if !rest.is_empty() {
        out.push(Piece::Text(rest.to_owned()));
    }
    out
}

fn render(pieces: Vec<Piece>) -> impl IntoView {
    pieces
        .into_iter()
        .map(|p| match p {
            Piece::Text(t) => t.into_any(),
            Piece::Value { text, token: true } => {
                view! { <span class="token" translate="no">{text}</span> }.into_any()
            }
            Piece::Value { text, token: false } => {
                // Values are data (ids, tokens, numbers): never translated.
                view! { <strong class="tour-value" translate="no">{text}</strong> }.into_any()
            }
            Piece::Pending(_) => view! { <span class="tour-pending">"…"</span> }.into_any(),
        })
        .collect_view()
}

/// A line of text with its placeholders filled (reactively).
pub fn inline(
    text: &'static str,
    values: RwSignal<BTreeMap<&'static str, String>>,
) -> impl IntoView {
    move || values.with(|v| render(pieces(text, v)))
}

/// Paragraphs (separated by a blank line) with their placeholders filled.
pub fn paragraphs(
    text: &'static str,
    values: RwSignal<BTreeMap<&'static str, String>>,
) -> impl IntoView {
    text.split("\n\n")
        .map(|p| view! { <p>{inline(p, values)}</p> })
        .collect_view()
}

/// The QR code of the current address, for a slide.
#[component]
pub fn QrCode() -> impl IntoView {
    let i18n = use_i18n();
    let href = crate::url::current_href();
    let Ok(qr) = Qr::encode_text(&href, QrCodeEcc::Medium) else {
        return view! { <p class="card-note">{i18n.tr(Key::TourQrTooLong)}</p> }.into_any();
    };
    let size = qr.size();
    let mut path = String::new();
    for y in 0..size {
        for x in 0..size {
            if qr.get_module(x, y) {
                let _ = write!(path, "M{} {}h1v1h-1z", x + 4, y + 4);
            }
        }
    }
    let view_box = format!("0 0 {0} {0}", size + 8);
    view! {
        <figure class="tour-qr" data-testid="tour-qr-code">
            <svg viewBox=view_box width="220" height="220" role="img"
                aria-label=i18n.tr(Key::TourQrLabel) shape-rendering="crispEdges">
                <rect width="100%" height="100%" fill="#fff" />
                <path d=path fill="#000" />
            </svg>
            <figcaption class="mono" translate="no">{href}</figcaption>
        </figure>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_filled_and_tokens_marked() {
        let mut v = BTreeMap::new();
        v.insert("ev", "0.88".to_owned());
        v.insert("god_token", " God".to_owned());
        let p = pieces("EV {ev}, token {god_token}, not yet {l0}.", &v);
        assert_eq!(
            p,
            vec![
                Piece::Text("EV ".into()),
                Piece::Value {
                    text: "0.88".into(),
                    token: false
                },
                Piece::Text(", token ".into()),
                Piece::Value {
                    text: " God".into(),
                    token: true
                },
                Piece::Text(", not yet ".into()),
                Piece::Pending("l0".into()),
                Piece::Text(".".into()),
            ]
        );
    }

    #[test]
    fn every_placeholder_of_the_texts_is_known() {
        use super::super::content::{PLACEHOLDERS, STEPS};
        let known: Vec<&str> = PLACEHOLDERS.iter().map(|p| p.name).collect();
        let empty = BTreeMap::new();
        for s in STEPS {
            for t in [
                s.body_en, s.body_zh, s.try_en, s.try_zh, s.goal_en, s.goal_zh,
            ] {
                for p in pieces(t, &empty) {
                    if let Piece::Pending(name) = p {
                        assert!(known.contains(&name.as_str()), "{}: {{{name}}}", s.slug);
                    }
                }
            }
        }
    }
}
