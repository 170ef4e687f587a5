//! Reusable pieces of pages.

pub mod backend_badge;
pub mod fallback_notice;
pub mod footer;
pub mod header;
