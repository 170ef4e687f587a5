//! (being written)
use crate::Failure;

#[derive(clap::Args)]
pub struct ExportArgs {}
#[derive(clap::Args)]
pub struct ImportArgs {}

pub fn run_export(_args: &ExportArgs) -> Result<(), Failure> {
    Err(Failure::Run("not written yet".into()))
}
pub fn run_import(_args: &ImportArgs) -> Result<(), Failure> {
    Err(Failure::Run("not written yet".into()))
}
