//! The address bar as state: reading query parameters and rewriting them in place
//! (`history.replaceState`, so sharing a URL reproduces what is on screen without adding
//! history entries for every slider move), and the site's root path.
//!
//! The site can live under any path (`https://USER.github.io/REPO/`): the build writes that path
//! into the page's `<base href>` (`tools/finalize-dist.mjs`), [`base`] reads it once, and every
//! address the app writes goes through [`href`] (links, data files, the service worker).

use std::cell::OnceCell;

thread_local! {
    static BASE: OnceCell<String> = const { OnceCell::new() };
}

/// The site's root path with a leading and a trailing slash (`/`, or `/polytope/` for a site
/// published there), read once from the page's `<base href>`; `/` without one.
pub fn base() -> String {
    BASE.with(|b| b.get_or_init(read_base).clone())
}

fn read_base() -> String {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return "/".to_owned();
    };
    // Without a <base> element, baseURI is the page's own address, which is not the root.
    let has_base = document
        .query_selector("base[href]")
        .ok()
        .flatten()
        .is_some();
    if !has_base {
        return "/".to_owned();
    }
    let path = document
        .base_uri()
        .ok()
        .flatten()
        .and_then(|uri| web_sys::Url::new(&uri).ok())
        .map(|u| u.pathname())
        .unwrap_or_default();
    normalize_base(&path)
}

/// `polytope`, `/polytope` or `/polytope/` as `/polytope/`; empty as `/`.
pub fn normalize_base(path: &str) -> String {
    let inner = path.trim_matches('/');
    if inner.is_empty() {
        "/".to_owned()
    } else {
        format!("/{inner}/")
    }
}

/// The address of `path` inside the site: a route (`toy`, `/features/a-64/3?q=x`) or a file
/// (`favicon.svg`, `data/index.json`). `href("")` is the home page.
pub fn href(path: &str) -> String {
    join(&base(), path)
}

/// `base` (from [`normalize_base`]) followed by `path` (pure, for tests).
pub fn join(base: &str, path: &str) -> String {
    format!("{base}{}", path.trim_start_matches('/'))
}

/// The router's base: the root path without its trailing slash (`""` at the root of a domain).
pub fn router_base() -> String {
    base().trim_end_matches('/').to_owned()
}

/// The route part of an address path: `/features/a-64/3` for `/polytope/features/a-64/3` when
/// the site lives at `/polytope/` (pure, for tests; a path outside the site stays as it is).
pub fn route_path(base: &str, pathname: &str) -> String {
    let inner = base.trim_end_matches('/');
    match pathname.strip_prefix(inner) {
        Some(rest) if rest.is_empty() || rest.starts_with('/') => {
            if rest.is_empty() {
                "/".to_owned()
            } else {
                rest.to_owned()
            }
        }
        _ => pathname.to_owned(),
    }
}

/// The route of the current page (`/toy`, `/features/a-64/3`), whatever path the site lives at.
pub fn current_route() -> String {
    let pathname = web_sys::window()
        .and_then(|w| w.location().pathname().ok())
        .unwrap_or_default();
    route_path(&base(), &pathname)
}

/// The current address's fragment without `#` (`family` for `.../features/a-2048/7#family`).
pub fn fragment() -> String {
    web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default()
        .trim_start_matches('#')
        .to_owned()
}

/// All query parameters of the current address, in order.
pub fn query() -> Vec<(String, String)> {
    let Some(window) = web_sys::window() else {
        return Vec::new();
    };
    let search = window.location().search().unwrap_or_default();
    parse_query(&search)
}

/// Parses `?a=1&b=x%20y` into pairs (percent-decoding, `+` as space).
pub fn parse_query(search: &str) -> Vec<(String, String)> {
    search
        .trim_start_matches('?')
        .split('&')
        .filter(|s| !s.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect()
}

/// The value of query parameter `name`, if present.
pub fn param(name: &str) -> Option<String> {
    query().into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

/// A comma-separated query parameter (`panels=a,b`, `hide=lr,batch`) as a set; empty when
/// absent.
pub fn list_param(name: &str) -> std::collections::HashSet<String> {
    split_list(&param(name).unwrap_or_default())
}

/// `a, b,,c` as the set `{a, b, c}` (at most 64 items: a list in an address is short).
pub fn split_list(v: &str) -> std::collections::HashSet<String> {
    v.split(',')
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .take(64)
        .collect()
}

/// Writes a settings struct's pairs into the address: settings first, in their order, then
/// every other parameter as it was.
pub fn replace_settings<S: polytope_core::settings::Described>(pairs: Vec<(String, String)>) {
    let mut all = pairs;
    all.extend(query().into_iter().filter(|(k, _)| !S::is_setting(k)));
    replace_query(&all);
}

fn decode(s: &str) -> String {
    let s = s.replace('+', " ");
    js_sys::decode_uri_component(&s)
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or(s)
}

/// Percent-encodes one query value.
pub fn encode(s: &str) -> String {
    js_sys::encode_uri_component(s)
        .as_string()
        .unwrap_or_default()
}

/// Builds a query string from pairs (without the leading `?`).
pub fn build_query(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Sets (`Some`) or removes (`None`) parameters, keeping the others and their order, and
/// replaces the current history entry.
pub fn update(changes: &[(&str, Option<String>)]) {
    let mut pairs = query();
    for (name, value) in changes {
        match value {
            Some(v) => {
                if let Some(slot) = pairs.iter_mut().find(|(k, _)| k == name) {
                    slot.1.clone_from(v);
                } else {
                    pairs.push(((*name).to_owned(), v.clone()));
                }
            }
            None => pairs.retain(|(k, _)| k != name),
        }
    }
    replace_query(&pairs);
}

/// Replaces the whole query string of the current history entry.
pub fn replace_query(pairs: &[(String, String)]) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let location = window.location();
    let path = location.pathname().unwrap_or_default();
    let hash = location.hash().unwrap_or_default();
    let query = build_query(pairs);
    let url = if query.is_empty() {
        format!("{path}{hash}")
    } else {
        format!("{path}?{query}{hash}")
    };
    if let Ok(history) = window.history() {
        // Keep the router's state object so back/forward keep working.
        let state = history.state().unwrap_or(wasm_bindgen::JsValue::NULL);
        let _ = history.replace_state_with_url(&state, "", Some(&url));
    }
}

/// The full address of the current page (for share links and embed snippets). It includes the
/// site's root path, since the address bar does: a copied link works wherever the site lives.
pub fn current_href() -> String {
    web_sys::window()
        .and_then(|w| w.location().href().ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_root_path_always_has_both_slashes() {
        assert_eq!(normalize_base(""), "/");
        assert_eq!(normalize_base("/"), "/");
        assert_eq!(normalize_base("polytope"), "/polytope/");
        assert_eq!(normalize_base("/a/b"), "/a/b/");
        assert_eq!(normalize_base("/a/b//"), "/a/b/");
    }

    #[test]
    fn addresses_are_joined_under_the_root_path() {
        assert_eq!(join("/", "toy"), "/toy");
        assert_eq!(join("/", "/toy?preset=intro"), "/toy?preset=intro");
        assert_eq!(
            join("/polytope/", "/features/a-64/3"),
            "/polytope/features/a-64/3"
        );
        assert_eq!(join("/polytope/", ""), "/polytope/");
        assert_eq!(
            join("/polytope/", "data/index.json"),
            "/polytope/data/index.json"
        );
    }

    #[test]
    fn the_route_is_the_path_without_the_root() {
        assert_eq!(route_path("/", "/features/a-64/3"), "/features/a-64/3");
        assert_eq!(
            route_path("/polytope/", "/polytope/features/a-64/3"),
            "/features/a-64/3"
        );
        assert_eq!(route_path("/polytope/", "/polytope/"), "/");
        assert_eq!(route_path("/polytope/", "/polytope"), "/");
        // A path that merely starts with the same letters is not inside the site.
        assert_eq!(route_path("/poly/", "/polytope/toy"), "/polytope/toy");
    }
}
