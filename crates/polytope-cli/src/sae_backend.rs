//! The SAE trainer on the backend the flags chose.

use polytope_core::sae::{ActivationSource, SaeConfig, SaeEval, SaeSnapshot, SaeState, SaeTrainer};

use crate::Failure;

pub struct Trainer {
    cpu: SaeTrainer,
}

impl Trainer {
    pub fn new(
        backend: &str,
        cfg: SaeConfig,
        source: Box<dyn ActivationSource>,
    ) -> Result<Self, Failure> {
        if backend == "gpu" {
            return Err(Failure::Run(
                "the GPU SAE trainer is not available yet".into(),
            ));
        }
        let cpu = SaeTrainer::new(cfg, source).map_err(|e| Failure::Usage(e.to_string()))?;
        Ok(Self { cpu })
    }

    pub fn step(&self) -> u32 {
        self.cpu.state().step
    }

    pub fn advance(&mut self, steps: u32) -> Result<SaeSnapshot, Failure> {
        self.cpu
            .run_steps(steps)
            .map_err(|e| Failure::Run(e.to_string()))?;
        Ok(self.cpu.snapshot())
    }

    pub fn evaluate(&mut self, batches: u32) -> Result<SaeEval, Failure> {
        Ok(self.cpu.evaluate(batches))
    }

    pub fn state(&self) -> Result<SaeState, Failure> {
        Ok(self.cpu.state().clone())
    }

    pub fn backend_name(&self) -> String {
        "cpu".into()
    }
}
