//! A panic anywhere in the app replaces the page with a card in the visitor's language: what
//! happened, a link that reloads the page with its default settings, and the panic message to
//! copy into a bug report. Never a blank or frozen page.
//!
//! The release build aborts on panic (`panic = "abort"`): the hook runs before the abort, so it
//! writes the card synchronously, with DOM calls only (no reactive system, no context: the panic
//! may have happened inside them). The message is set as text, never parsed as HTML.

use std::panic::PanicHookInfo;

use crate::i18n::{Key, Lang, text};
use crate::url;

/// Installs the hook (first thing at start-up, so a panic while starting shows the card too).
pub fn install() {
    std::panic::set_hook(Box::new(|info: &PanicHookInfo<'_>| {
        let message = info.to_string();
        show_card(&message);
        // The message and a stack trace in the console, for developers.
        console_error_panic_hook::hook(info);
    }));
}

/// The visitor's language, read from the address (the app's own state may be what panicked).
fn language() -> Lang {
    url::param("lang")
        .and_then(|c| Lang::from_code(&c))
        .unwrap_or_default()
}

/// The page's address without its settings: the path, keeping only the language.
pub fn reload_href(pathname: &str, lang: Lang) -> String {
    match lang {
        Lang::En => pathname.to_owned(),
        Lang::Zh => format!("{pathname}?lang=zh"),
    }
}

/// What the bug report needs: the message, the address (its settings reproduce the problem)
/// and the browser.
pub fn report(message: &str, href: &str, user_agent: &str) -> String {
    format!("{message}\n\nAddress: {href}\nBrowser: {user_agent}")
}

fn show_card(message: &str) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let Some(document) = window.document() else {
        return;
    };
    let Some(body) = document.body() else {
        return;
    };
    let lang = language();
    let location = window.location();
    let pathname = location.pathname().unwrap_or_else(|_| url::base());
    let href = location.href().unwrap_or_default();
    let agent = window.navigator().user_agent().unwrap_or_default();

    let element = |tag: &str, class: Option<&str>, content: Option<&str>| {
        let el = document.create_element(tag).ok()?;
        if let Some(class) = class {
            el.set_class_name(class);
        }
        if let Some(content) = content {
            el.set_text_content(Some(content));
        }
        Some(el)
    };
    let Some(card) = element("section", Some("crash-card"), None) else {
        return;
    };
    let _ = card.set_attribute("role", "alert");
    let _ = card.set_attribute("data-testid", "crash-card");
    let heading = element("h1", None, Some(text(lang, Key::CrashTitle)));
    let body_text = element("p", None, Some(text(lang, Key::CrashBody)));
    let reload = element("p", None, None);
    if let (Some(p), Some(a)) = (
        reload.as_ref(),
        element("a", None, Some(text(lang, Key::CrashReload))),
    ) {
        let _ = a.set_attribute("href", &reload_href(&pathname, lang));
        let _ = a.set_attribute("data-testid", "crash-reload");
        let _ = p.append_child(&a);
    }
    let ask = element("p", None, Some(text(lang, Key::CrashReport)));
    let pre = element("pre", None, Some(&report(message, &href, &agent)));
    if let Some(pre) = pre.as_ref() {
        let _ = pre.set_attribute("data-testid", "crash-message");
    }
    for part in [heading, body_text, reload, ask, pre].into_iter().flatten() {
        let _ = card.append_child(&part);
    }
    // Replace everything: the app's own nodes cannot be trusted (nor updated) any more.
    while let Some(child) = body.first_child() {
        let _ = body.remove_child(&child);
    }
    let _ = body.append_child(&card);
    document.set_title(&crate::site::document_title(&[
        text(lang, Key::CrashTitle).to_owned()
    ]));
    if let Some(root) = document.document_element() {
        let _ = root.set_attribute("lang", lang.html_lang());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reload_link_drops_every_setting_but_the_language() {
        assert_eq!(reload_href("/polytope/toy", Lang::En), "/polytope/toy");
        assert_eq!(reload_href("/toy", Lang::Zh), "/toy?lang=zh");
    }

    #[test]
    fn the_report_carries_the_message_the_address_and_the_browser() {
        let r = report("panicked at src/x.rs:1:2:\nboom", "http://h/toy?n=5", "UA");
        assert!(r.starts_with("panicked at src/x.rs:1:2:\nboom\n\n"), "{r}");
        assert!(
            r.contains("Address: http://h/toy?n=5") && r.ends_with("Browser: UA"),
            "{r}"
        );
    }
}
