//! Reusable pieces of pages.

pub mod backend_badge;
pub mod fallback_notice;
pub mod footer;
pub mod header;
pub mod run_controls;
