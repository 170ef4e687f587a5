//! One module per route.

pub mod compute;
pub mod features;
pub mod geometry;
pub mod home;
pub mod not_found;
pub mod phase;
pub mod sae;
pub mod toy;
