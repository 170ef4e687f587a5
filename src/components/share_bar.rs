//! Sharing a run: the link to this exact run, the code to embed it in another page (an
//! `<iframe>` sized for the panels it shows) and the page's exports.

use std::collections::HashSet;
use std::sync::Arc;

use leptos::prelude::*;

use crate::i18n::{Key, use_i18n};
use crate::{automation, download, url};

/// A file a page offers (a report, a decoder).
#[derive(Clone)]
pub struct Export {
    pub label: Key,
    pub testid: &'static str,
    pub action: Callback<()>,
}

/// What an embed of a page shows by default and how tall each panel is.
#[derive(Clone, Copy)]
pub struct EmbedSpec {
    /// Every panel of the page, in order (`panels=` names).
    pub panels: &'static [&'static str],
    /// What an embed shows when the page shows everything.
    pub default: &'static [&'static str],
    /// The iframe's title (English: it is markup in someone else's page).
    pub title: &'static str,
}

/// The embed address for `href`: the page's address without `embed` and `panels`, then
/// `embed=1&panels=...`.
pub fn embed_src(href: &str, panels: &[&str]) -> String {
    let (base, query) = href.split_once('?').unwrap_or((href, ""));
    let (query, hash) = query.split_once('#').unwrap_or((query, ""));
    let mut pairs: Vec<&str> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .filter(|p| {
            let name = p.split('=').next().unwrap_or("");
            name != "embed" && name != "panels"
        })
        .collect();
    let panels = format!("panels={}", panels.join(","));
    pairs.push("embed=1");
    pairs.push(&panels);
    let hash = if hash.is_empty() {
        String::new()
    } else {
        format!("#{hash}")
    };
    format!("{base}?{}{hash}", pairs.join("&"))
}

/// A height that shows `panels` plot cards without scrolling inside the frame: the play bar
/// and status line, then the cards two to a row at a 720-pixel width.
pub fn embed_height(panels: usize) -> u32 {
    let rows = panels.div_ceil(2).max(1) as u32;
    150 + rows * 330
}

/// The `<iframe>` code of an embed.
pub fn iframe_code(src: &str, height: u32, title: &str) -> String {
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('"', "&quot;")
            .replace('<', "&lt;")
    };
    format!(
        "<iframe src=\"{}\" width=\"100%\" height=\"{height}\" style=\"border:0;max-width:960px\" loading=\"lazy\" title=\"{}\"></iframe>",
        escape(src),
        escape(title)
    )
}

// Leptos components take their props by value; the set uses the default hasher.
#[allow(clippy::needless_pass_by_value, clippy::implicit_hasher)]
#[component]
pub fn ShareBar(
    embed: EmbedSpec,
    /// The panels the page shows now (`panels=`).
    shown: Arc<HashSet<String>>,
    #[prop(optional)] exports: Vec<Export>,
) -> impl IntoView {
    let i18n = use_i18n();
    let copied = RwSignal::new(None::<&'static str>);
    let copy_link = move |_| {
        download::copy_text(&url::current_href());
        copied.set(Some("link"));
    };
    let copy_embed = move |_| {
        let mut chosen: Vec<&str> = embed
            .panels
            .iter()
            .copied()
            .filter(|p| shown.contains(*p))
            .collect();
        if chosen.len() == embed.panels.len() || chosen.is_empty() {
            chosen = embed.default.to_vec();
        }
        let src = embed_src(&url::current_href(), &chosen);
        let code = iframe_code(&src, embed_height(chosen.len()), embed.title);
        download::copy_text(&code);
        automation::publish("embed_code", serde_json::json!(code));
        copied.set(Some("embed"));
    };
    let label = move |which: &'static str, key: Key| {
        move || {
            if copied.get() == Some(which) {
                i18n.t(Key::Copied)
            } else {
                i18n.t(key)
            }
        }
    };
    view! {
        <div class="share-bar">
            <button class="mini" on:click=copy_link data-testid="copy-link">{label("link", Key::ShareLink)}</button>
            <button class="mini" on:click=copy_embed data-testid="copy-embed">{label("embed", Key::EmbedCode)}</button>
            {exports.into_iter().map(|e| view! {
                <button class="mini" data-testid=e.testid on:click=move |_| e.action.run(())>{i18n.tr(e.label)}</button>
            }).collect_view()}
        </div>
    }
}

/// The link an embed shows back to the full page.
#[component]
pub fn OpenFullLink() -> impl IntoView {
    let i18n = use_i18n();
    let href = move || {
        let href = url::current_href();
        let (base, query) = href.split_once('?').unwrap_or((&href, ""));
        let rest: Vec<&str> = query
            .split('&')
            .filter(|p| {
                let name = p.split('=').next().unwrap_or("");
                !p.is_empty() && name != "embed" && name != "panels"
            })
            .collect();
        if rest.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{}", rest.join("&"))
        }
    };
    view! {
        <p class="embed-link"><a href=href target="_blank" rel="noopener">{i18n.tr(Key::OpenFull)}</a></p>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_embed_replaces_the_embed_and_panels_of_the_address() {
        assert_eq!(
            embed_src(
                "https://x.org/p/toy?preset=intro&embed=1&panels=loss&seed=2#a",
                &["vectors", "loss"]
            ),
            "https://x.org/p/toy?preset=intro&seed=2&embed=1&panels=vectors,loss#a"
        );
        assert_eq!(
            embed_src("http://h/sae", &["quality"]),
            "http://h/sae?embed=1&panels=quality"
        );
    }

    #[test]
    fn embed_code_is_escaped_and_sized_for_its_panels() {
        let code = iframe_code("http://h/toy?a=1&b=\"2\"", embed_height(2), "T<x>");
        assert!(code.contains("a=1&amp;b=&quot;2&quot;"), "{code}");
        assert!(code.contains("title=\"T&lt;x>\""), "{code}");
        assert!(embed_height(4) > embed_height(2));
    }
}
