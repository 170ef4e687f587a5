//! What every page reads from its address once, as typed values: the page controls shared by
//! the run pages (`panels`, `hide`, `autoplay`, `instance`, `speed`). App-wide parameters
//! (`lang`, `projector`, `embed`, `backend`, `theme`) are read once by `lib.rs` into
//! [`crate::AppState`]; each page's run settings by its settings description
//! (`polytope_core::settings::Described`). And what every page says about itself: its name in
//! `state().page` and its document title ([`set_page`], [`set_title`]).

use std::cell::Cell;
use std::collections::HashSet;
use std::sync::Arc;

use leptos::prelude::*;

use crate::engine::{Run, SPEEDS, Workload};
use crate::i18n::{I18n, Key, Lang, text};
use crate::{site, url};

/// The page controls of a run page.
#[derive(Clone)]
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
    /// Feature names from `labels=dog,apple,heart` (drawn instead of feature indices, in
    /// order; an empty entry keeps that feature's index). `None` when absent or empty.
    pub labels: Option<Arc<Vec<String>>>,
}

/// At most this many names in `labels=` (the toy models' largest feature count).
pub const MAX_LABELS: usize = polytope_core::tms::MAX_TOY_FEATURES as usize;
/// Names longer than this many characters are cut (a plot has room for a word, not a sentence).
pub const MAX_LABEL_CHARS: usize = 24;

/// The names of `labels=`, in order: trimmed, control characters dropped, cut to
/// [`MAX_LABEL_CHARS`] characters, at most [`MAX_LABELS`] of them (pure, for tests).
pub fn parse_labels(value: &str) -> Option<Arc<Vec<String>>> {
    let names: Vec<String> = value
        .split(',')
        .take(MAX_LABELS)
        .map(|s| {
            s.chars()
                .filter(|c| !c.is_control())
                .collect::<String>()
                .trim()
                .chars()
                .take(MAX_LABEL_CHARS)
                .collect()
        })
        .collect();
    names.iter().any(|n| !n.is_empty()).then(|| Arc::new(names))
}

/// Names of the page controls (the address snapshot test lists them with each page's
/// settings).
pub const PAGE_CONTROLS: [&str; 6] = ["panels", "hide", "autoplay", "instance", "speed", "labels"];

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
            labels: get("labels").and_then(parse_labels),
        }
    }

    /// Sets the run's speed from `speed=`.
    pub fn apply_speed<W: Workload>(&self, run: Run<W>) {
        if let Some(speed) = self.speed {
            run.speed.set(speed);
        }
    }
}

/// Names the current page in `window.polytope.state().page` and titles the document in the
/// visitor's language from [`site::ROUTES`] (`Toy models · Polytope`). Call it in the page's
/// component; a page that names what it shows calls [`set_title`] after it.
pub fn set_page(name: &'static str) {
    crate::state::set_page(name);
    let key = match name {
        "not-found" => Some(Key::NotFoundTitle),
        _ => site::route(name).and_then(|r| r.title),
    };
    set_title(move |lang| key.map(|k| text(lang, k).to_owned()).into_iter().collect());
}

thread_local! {
    /// Which `set_title` call owns the title: the latest one.
    static TITLE_OWNER: Cell<u64> = const { Cell::new(0) };
}

/// Titles the document from `parts`, most specific first, in the visitor's language:
/// `|lang| vec![format!("Feature {id}"), dict]` gives `Feature 718 · a-4096 · Polytope`. The
/// title follows the language and any signal `parts` reads, for as long as the calling
/// component lives; the latest call wins. Tour steps use [`site::tour_step_title`]'s parts
/// (`[step title, TitleTour]`).
pub fn set_title(parts: impl Fn(Lang) -> Vec<String> + 'static) {
    let owner = TITLE_OWNER.with(|o| {
        o.set(o.get() + 1);
        o.get()
    });
    let lang = use_context::<I18n>().map(|i| i.lang);
    Effect::new(move |_| {
        let lang = lang.map_or(Lang::En, |l| l.get());
        let title = site::document_title(&parts(lang));
        if TITLE_OWNER.with(Cell::get) != owner {
            return;
        }
        if let Some(document) = web_sys::window().and_then(|w| w.document()) {
            document.set_title(&title);
        }
    });
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
    fn labels_keep_their_order_and_are_bounded() {
        let p = PageParams::from_query(&q("labels=dog,apple,,eye, car "), &["vectors"]);
        let labels = p.labels.expect("labels");
        assert_eq!(labels.as_slice(), ["dog", "apple", "", "eye", "car"]);
        assert!(parse_labels(",, ,").is_none());
        assert!(parse_labels("").is_none());
        let long = "x".repeat(100);
        assert_eq!(
            parse_labels(&long).unwrap()[0].chars().count(),
            MAX_LABEL_CHARS
        );
        let many = vec!["a"; MAX_LABELS + 50].join(",");
        assert_eq!(parse_labels(&many).unwrap().len(), MAX_LABELS);
        assert_eq!(
            parse_labels("狗\u{7},<b>猫</b>").unwrap().as_slice(),
            ["狗", "<b>猫</b>"]
        );
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
