//! The SAE trainer on the backend the flags chose.

use polytope_core::memory::Budget;
use polytope_core::sae::{ActivationSource, SaeConfig, SaeEval, SaeSnapshot, SaeState, SaeTrainer};
use polytope_gpu::{AdapterPreference, BackendError, SaeBackendTrainer, request_context};

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
        // Settings and checkpoints that do not fit the run are the caller's to fix; a GPU that
        // cannot take it is a failure of the run.
        let to_failure = |e: polytope_gpu::SaeBackendError| match e {
            BackendError::Train(_) => Error::Usage(e.to_string()),
            BackendError::Gpu(_) => Error::Run(e.to_string()),
        };
        // Refused before anything is allocated: the data is already loaded, the run's own
        // memory is not.
        polytope_core::memory::sae_cpu(&cfg, 0)
            .check(Budget::Native)
            .map_err(|e| Error::Usage(e.to_string()))?;
        let mut host = SaeTrainer::new(cfg, source).map_err(|e| Error::Usage(e.to_string()))?;
        if let Some(state) = state {
            state
                .check_matches(host.config())
                .map_err(|e| Error::Usage(format!("the checkpoint does not fit: {e}")))?;
            host.set_state(state);
        }
        let mut inner = SaeBackendTrainer::on_cpu(host);
        inner.move_to(ctx.as_ref()).map_err(to_failure)?;
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
