//! What every page reads from its address once, as typed values: the page controls shared by
//! the run pages (`panels`, `hide`, `autoplay`, `instance`, `speed`). App-wide parameters
//! (`lang`, `projector`, `embed`, `backend`, `theme`) are read once by `lib.rs` into
//! [`crate::AppState`]; each page's run settings by its settings description
//! (`polytope_core::settings::Described`).

use std::collections::HashSet;
use std::sync::Arc;

use leptos::prelude::*;

use crate::engine::{Run, SPEEDS, Workload};
use crate::url;

/// The page controls of a run page.
pub struct PageParams {
    /// Controls hidden by `hide=` (`settings` hides the whole form).
    pub hidden: Arc<HashSet<String>>,
    /// Panels shown (`panels=`; every panel when absent or when none is known).
    pub panels: Arc<HashSet<String>>,
    /// `autoplay=0` waits for the play button.
    pub autoplay: bool,
    /// The instance shown first.
    pub instance: Option<usize>,
    /// The speed level (0-3).
    pub speed: Option<usize>,
}

/// Names of the page controls (the address snapshot test lists them with each page's
/// settings).
pub const PAGE_CONTROLS: [&str; 5] = ["panels", "hide", "autoplay", "instance", "speed"];

impl PageParams {
    /// Reads the controls; `all_panels` are the page's panels.
    pub fn read(all_panels: &[&str]) -> Self {
        Self::from_query(&url::query(), all_panels)
    }

    /// The controls of a query (pure, for tests).
    pub fn from_query(query: &[(String, String)], all_panels: &[&str]) -> Self {
        let get = |name: &str| {
            query
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        let list = |name: &str| url::split_list(get(name).unwrap_or(""));
        let mut panels: HashSet<String> = list("panels")
            .into_iter()
            .filter(|p| all_panels.contains(&p.as_str()))
            .collect();
        if panels.is_empty() {
            panels = all_panels.iter().map(|p| (*p).to_owned()).collect();
        }
        Self {
            hidden: Arc::new(list("hide")),
            panels: Arc::new(panels),
            autoplay: get("autoplay").is_none_or(|v| v != "0"),
            instance: get("instance").and_then(|v| v.trim().parse().ok()),
            speed: get("speed")
                .and_then(|v| v.trim().parse::<usize>().ok())
                .map(|s| s.min(SPEEDS.len() - 1)),
        }
    }

    /// Sets the run's speed from `speed=`.
    pub fn apply_speed<W: Workload>(&self, run: Run<W>) {
        if let Some(speed) = self.speed {
            run.speed.set(speed);
        }
    }
}

/// Names the current page in `window.polytope.state().page` and the document.
pub fn set_page(name: &'static str) {
    crate::state::set_page(name);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> Vec<(String, String)> {
        s.split('&')
            .filter_map(|p| p.split_once('='))
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
            .collect()
    }

    #[test]
    fn page_controls_are_read_once_and_bad_values_fall_back() {
        let p = PageParams::from_query(
            &q("panels=loss,bogus&hide=lr,batch&autoplay=0&instance=3&speed=99"),
            &["vectors", "loss"],
        );
        assert_eq!(p.panels.len(), 1);
        assert!(p.panels.contains("loss"));
        assert!(p.hidden.contains("lr") && p.hidden.contains("batch"));
        assert!(!p.autoplay);
        assert_eq!(p.instance, Some(3));
        assert_eq!(p.speed, Some(SPEEDS.len() - 1));
        let p = PageParams::from_query(&q("panels=nope&instance=-1"), &["vectors", "loss"]);
        assert_eq!(p.panels.len(), 2, "unknown panels show every panel");
        assert_eq!(p.instance, None);
        assert!(p.autoplay);
    }
}
