//! Light and dark themes: the visitor's system preference (`prefers-color-scheme`) unless the
//! address (`theme=dark|light`) or the header's toggle chose one; and the reduced-motion
//! preference.

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

/// What the visitor chose.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ThemeChoice {
    /// Follow the system (`prefers-color-scheme`).
    #[default]
    System,
    Light,
    Dark,
}

impl ThemeChoice {
    /// Parses a `theme=` value.
    pub fn from_code(code: &str) -> Option<Self> {
        match code.to_ascii_lowercase().as_str() {
            "dark" => Some(Self::Dark),
            "light" => Some(Self::Light),
            "auto" | "system" => Some(Self::System),
            _ => None,
        }
    }
}

fn media(query: &str) -> Option<web_sys::MediaQueryList> {
    web_sys::window()?.match_media(query).ok().flatten()
}

/// Whether the system asks for a dark theme, kept up to date when it changes.
pub fn system_dark() -> RwSignal<bool> {
    let query = media("(prefers-color-scheme: dark)");
    let dark = RwSignal::new(query.as_ref().is_some_and(web_sys::MediaQueryList::matches));
    if let Some(query) = query {
        let on_change = Closure::<dyn Fn(web_sys::Event)>::new(move |ev: web_sys::Event| {
            if let Ok(ev) = ev.dyn_into::<web_sys::MediaQueryListEvent>() {
                dark.try_set(ev.matches());
            }
        });
        let _ =
            query.add_event_listener_with_callback("change", on_change.as_ref().unchecked_ref());
        // The listener lives as long as the page (one per app).
        on_change.forget();
    }
    dark
}

/// Whether the visitor asked the system for less motion (`prefers-reduced-motion`).
pub fn prefers_reduced_motion() -> bool {
    media("(prefers-reduced-motion: reduce)").is_some_and(|q| q.matches())
}

/// The effective theme: the choice, or the system's preference.
pub fn is_dark(choice: ThemeChoice, system_dark: bool) -> bool {
    match choice {
        ThemeChoice::System => system_dark,
        ThemeChoice::Light => false,
        ThemeChoice::Dark => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn theme_parameter_values() {
        assert_eq!(ThemeChoice::from_code("dark"), Some(ThemeChoice::Dark));
        assert_eq!(ThemeChoice::from_code("Light"), Some(ThemeChoice::Light));
        assert_eq!(ThemeChoice::from_code("auto"), Some(ThemeChoice::System));
        assert_eq!(ThemeChoice::from_code("blue"), None);
        assert!(is_dark(ThemeChoice::System, true));
        assert!(!is_dark(ThemeChoice::Light, true));
        assert!(is_dark(ThemeChoice::Dark, false));
    }
}
