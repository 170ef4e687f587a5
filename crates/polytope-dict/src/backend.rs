//! The SAE trainer on the backend the flags chose.

use polytope_core::sae::{ActivationSource, SaeConfig, SaeEval, SaeSnapshot, SaeState, SaeTrainer};
use polytope_gpu::{AdapterPreference, BackendKind, SaeBackendTrainer, request_context};

use crate::Error;

pub struct Trainer {
    inner: SaeBackendTrainer,
    name: String,
}

impl Trainer {
    pub fn new(
        backend: &str,
        cfg: SaeConfig,
        source: Box<dyn ActivationSource>,
    ) -> Result<Self, Error> {
        Self::resume(backend, cfg, source, None)
    }

    /// A run that continues from `state` (a checkpoint) when one is given.
    pub fn resume(
        backend: &str,
        cfg: SaeConfig,
        source: Box<dyn ActivationSource>,
        state: Option<SaeState>,
    ) -> Result<Self, Error> {
        let ctx = if backend == "gpu" {
            Some(
                pollster::block_on(request_context(AdapterPreference::HighPerformance))
                    .map_err(|e| Error::Run(e.to_string()))?,
            )
        } else {
            None
        };
        let name = ctx.as_ref().map_or_else(
            || "cpu".to_owned(),
            |c| format!("gpu ({}, {})", c.adapter.name, c.adapter.backend),
        );
        let kind = if ctx.is_some() {
            BackendKind::Gpu
        } else {
            BackendKind::Cpu
        };
        let to_failure = |e: polytope_core::sae::SaeTrainError| match e {
            polytope_core::sae::SaeTrainError::Device(_) => Error::Run(e.to_string()),
            _ => Error::Usage(e.to_string()),
        };
        let mut host = SaeTrainer::new(cfg, source).map_err(to_failure)?;
        if let Some(state) = state {
            host.set_state(state);
        }
        let inner = SaeBackendTrainer::from_host(host, kind, ctx.as_ref()).map_err(to_failure)?;
        Ok(Self { inner, name })
    }

    pub fn step(&self) -> u32 {
        self.inner.step()
    }

    pub fn advance(&mut self, steps: u32) -> Result<SaeSnapshot, Error> {
        pollster::block_on(self.inner.advance(steps)).map_err(|e| Error::Run(e.to_string()))
    }

    pub fn evaluate(&mut self, batches: u32) -> SaeEval {
        self.inner.evaluate(batches)
    }

    pub fn state(&self) -> &SaeState {
        self.inner.host().state()
    }

    pub fn backend_name(&self) -> &str {
        &self.name
    }
}
