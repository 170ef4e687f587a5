//! (being written)
use crate::Failure;

#[derive(clap::Args)]
pub struct Args {}

pub fn run(_args: &Args) -> Result<(), Failure> {
    Err(Failure::Run("not written yet".into()))
}
