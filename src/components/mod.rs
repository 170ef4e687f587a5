//! Reusable pieces of pages.

pub mod backend_badge;
pub mod fallback_notice;
pub mod footer;
pub mod header;
pub mod in_view;
pub mod play_bar;
pub mod plot_card;
pub mod run_frame;
pub mod settings_form;
pub mod share_bar;
pub mod status_line;
pub mod toy_settings;
