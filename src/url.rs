//! The address bar as state: reading query parameters and rewriting them in place
//! (`history.replaceState`, so sharing a URL reproduces what is on screen without adding
//! history entries for every slider move).

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

fn encode(s: &str) -> String {
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

/// The full address of the current page (for share links and embed snippets).
pub fn current_href() -> String {
    web_sys::window()
        .and_then(|w| w.location().href().ok())
        .unwrap_or_default()
}
