//! The site's routes as the outside world sees them: each main route's document title and
//! description in both languages (from the strings table), its link-preview image, and one
//! entry per tour step. This is the single source of truth for both:
//! - the app: [`crate::page::set_page`] titles the document from [`ROUTES`];
//! - the build: `tools/site-routes.json` is [`routes_json`] checked in. A test fails when the two
//!   differ; `POLYTOPE_UPDATE_SITE_ROUTES=1 cargo test -p polytope-app --lib site` rewrites the
//!   file. `tools/finalize-dist.mjs` reads it and writes one static HTML entry per route (for
//!   example `dist/toy.html`, which static hosts serve at `/toy`) with its title, description and
//!   Open Graph / Twitter card tags, so a pasted link shows what it is.
//!
//! Adding a main route: one [`Route`] in [`ROUTES`], its preview (`node tools/previews.mjs`,
//! which reads the JSON), then the update command above. Tour steps come from [`tour_steps`].

use serde_json::{Value, json};

use crate::i18n::{Key, Lang, text};

/// The name every title ends with (not translated: it is the project's name).
pub const SITE_NAME: &str = "Polytope";

/// A main route.
pub struct Route {
    /// The page's name in `window.polytope.state().page`.
    pub page: &'static str,
    /// Its address inside the site, without a leading slash (`""` is the home page).
    pub path: &'static str,
    /// The page's own title (`None`: the site's name alone).
    pub title: Option<Key>,
    /// One or two sentences for search results and link previews.
    pub description: Key,
    /// Its preview image: `public/previews/NAME.png`.
    pub image: &'static str,
}

pub const ROUTES: &[Route] = &[
    Route {
        page: "home",
        path: "",
        title: None,
        description: Key::DescHome,
        image: "home",
    },
    Route {
        page: "toy",
        path: "toy",
        title: Some(Key::NavToy),
        description: Key::DescToy,
        image: "toy",
    },
    Route {
        page: "geometry",
        path: "geometry",
        title: Some(Key::NavGeometry),
        description: Key::DescGeometry,
        image: "geometry",
    },
    Route {
        page: "phase",
        path: "phase",
        title: Some(Key::NavPhase),
        description: Key::DescPhase,
        image: "phase",
    },
    Route {
        page: "sae",
        path: "sae",
        title: Some(Key::NavSae),
        description: Key::DescSae,
        image: "sae",
    },
    Route {
        page: "features",
        path: "features",
        title: Some(Key::NavFeatures),
        description: Key::DescFeatures,
        image: "features",
    },
    Route {
        page: "compute",
        path: "compute",
        title: Some(Key::NavCompute),
        description: Key::DescCompute,
        image: "compute",
    },
    Route {
        page: "tour",
        path: "tour",
        title: Some(Key::TitleTour),
        description: Key::DescTour,
        image: "tour",
    },
];

/// The main route of a page name.
pub fn route(page: &str) -> Option<&'static Route> {
    ROUTES.iter().find(|r| r.page == page)
}

/// A tour step's static entry (`/tour/SLUG`).
pub struct TourStep {
    pub slug: &'static str,
    pub title_en: &'static str,
    pub title_zh: &'static str,
    /// One sentence, without placeholders (a link preview cannot fill them in).
    pub description_en: String,
    pub description_zh: String,
}

/// The tour's steps, in order. Wiring the tour in is one expression here,
/// `crate::tour::content::STEPS.iter().map(|s| TourStep::new(s.slug, [s.title_en, s.title_zh],
/// [s.body_en, s.body_zh])).collect()`, then the update command in the module's documentation.
pub fn tour_steps() -> Vec<TourStep> {
    Vec::new()
}

impl TourStep {
    /// A step from its texts: the description is the body's first sentence, or the tour's own
    /// description when that sentence holds a placeholder (`{ev}`).
    pub fn new(slug: &'static str, title: [&'static str; 2], body: [&'static str; 2]) -> Self {
        let describe = |body: &str, lang: Lang| {
            let sentence = first_sentence(body);
            if sentence.is_empty() || sentence.contains('{') {
                text(lang, Key::DescTour).to_owned()
            } else {
                sentence
            }
        };
        Self {
            slug,
            title_en: title[0],
            title_zh: title[1],
            description_en: describe(body[0], Lang::En),
            description_zh: describe(body[1], Lang::Zh),
        }
    }
}

/// The first sentence of a text (up to and with `.`, `?`, `!`, `。`, `？` or `！` followed by a
/// space or the end), trimmed.
pub fn first_sentence(body: &str) -> String {
    let paragraph = body.split("\n\n").next().unwrap_or("").trim();
    let mut end = paragraph.len();
    let mut chars = paragraph.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let next_is_break = chars.peek().is_none_or(|(_, n)| n.is_whitespace());
        let ends = match c {
            '.' | '?' | '!' => next_is_break,
            '。' | '？' | '！' => true,
            _ => false,
        };
        if ends {
            end = i + c.len_utf8();
            break;
        }
    }
    paragraph[..end].trim().to_owned()
}

/// A document title from its parts, most specific first: `["Feature 718", "a-4096"]` gives
/// `Feature 718 · a-4096 · Polytope`; no parts give `Polytope`.
pub fn document_title(parts: &[String]) -> String {
    parts
        .iter()
        .map(|p| p.trim())
        .filter(|p| !p.is_empty())
        .chain(std::iter::once(SITE_NAME))
        .collect::<Vec<_>>()
        .join(" · ")
}

/// The document title of a main route in `lang`.
pub fn route_title(route: &Route, lang: Lang) -> String {
    let parts: Vec<String> = route
        .title
        .map(|k| text(lang, k).to_owned())
        .into_iter()
        .collect();
    document_title(&parts)
}

/// The document title of a tour step in `lang` (`Sparsity · Guided tour · Polytope`).
pub fn tour_step_title(step_title: &str, lang: Lang) -> String {
    document_title(&[step_title.to_owned(), text(lang, Key::TitleTour).to_owned()])
}

/// Every static entry, as written to `tools/site-routes.json`.
pub fn routes_json() -> Value {
    let mut routes: Vec<Value> = ROUTES
        .iter()
        .map(|r| {
            json!({
                "path": r.path,
                "page": r.page,
                "title": route_title(r, Lang::En),
                "title_zh": route_title(r, Lang::Zh),
                "description": text(Lang::En, r.description),
                "description_zh": text(Lang::Zh, r.description),
                "image": format!("previews/{}.png", r.image),
            })
        })
        .collect();
    for step in tour_steps() {
        routes.push(json!({
            "path": format!("tour/{}", step.slug),
            "page": "tour",
            "title": tour_step_title(step.title_en, Lang::En),
            "title_zh": tour_step_title(step.title_zh, Lang::Zh),
            "description": step.description_en,
            "description_zh": step.description_zh,
            "image": "previews/tour.png",
        }));
    }
    json!({
        "generated_by": "src/site.rs: POLYTOPE_UPDATE_SITE_ROUTES=1 cargo test -p polytope-app --lib site",
        "site_name": SITE_NAME,
        "routes": routes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_checked_in_route_file_is_generated_from_the_routes() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tools/site-routes.json");
        let generated = format!(
            "{}\n",
            serde_json::to_string_pretty(&routes_json()).unwrap()
        );
        if std::env::var_os("POLYTOPE_UPDATE_SITE_ROUTES").is_some() {
            std::fs::write(path, &generated).unwrap();
        }
        let checked_in = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            checked_in == generated,
            "tools/site-routes.json is out of date: run \
             POLYTOPE_UPDATE_SITE_ROUTES=1 cargo test -p polytope-app --lib site"
        );
    }

    #[test]
    fn titles_put_the_most_specific_part_first_and_end_with_the_site_name() {
        assert_eq!(
            document_title(&["Feature 718".into(), "a-4096".into()]),
            "Feature 718 · a-4096 · Polytope"
        );
        assert_eq!(document_title(&[]), "Polytope");
        assert_eq!(document_title(&[" ".into()]), "Polytope");
        let toy = route("toy").unwrap();
        assert_eq!(route_title(toy, Lang::En), "Toy models · Polytope");
        assert_eq!(route_title(toy, Lang::Zh), "玩具模型 · Polytope");
        assert_eq!(route_title(route("home").unwrap(), Lang::Zh), "Polytope");
    }

    #[test]
    fn routes_are_unique_and_every_path_is_a_plain_relative_path() {
        let mut seen = std::collections::HashSet::new();
        for r in ROUTES {
            assert!(seen.insert(r.path), "{} appears twice", r.path);
            assert!(
                r.path
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{:?} must be lowercase letters, digits and hyphens",
                r.path
            );
        }
    }

    #[test]
    fn a_tour_step_is_described_by_its_first_sentence_unless_it_has_a_placeholder() {
        let step = TourStep::new(
            "x",
            ["X", "叉"],
            [
                "One neuron, 0.5 of the time. Then more.\n\nNext.",
                "{neuron} 号神经元。然后。",
            ],
        );
        assert_eq!(step.description_en, "One neuron, 0.5 of the time.");
        assert_eq!(step.description_zh, text(Lang::Zh, Key::DescTour));
        assert_eq!(first_sentence("不带句号"), "不带句号");
        assert_eq!(first_sentence("Ends here。后面"), "Ends here。");
        assert_eq!(
            tour_step_title("Sparsity", Lang::En),
            "Sparsity · Guided tour · Polytope"
        );
    }
}
