//! The buffers a GPU trainer will allocate, sized and checked against the device's limits
//! before anything is created: [`BufferPlan`]. Each trainer's `plan` (`GpuTrainer::plan`,
//! `GpuSaeTrainer::plan`) decides its batch chunking from the limits and lists its buffers; the
//! trainer then creates exactly those buffers ([`BufferPlan::create`]), so the sizes checked are
//! the sizes allocated. A run that does not fit fails with [`GpuError::TooLarge`] naming the
//! limit, without touching the device; callers can plan before starting a run, and read the
//! device's share of the run's memory as the core crate's typed breakdown
//! ([`BufferPlan::estimate`]).
//!
//! The host side of a GPU run allocates no more than the CPU trainer of the same run
//! (`polytope_core::memory::tms_cpu` / `sae_cpu`: the SAE host evaluates and resamples on the
//! CPU), so those estimates are the host budget's check for both backends.

use polytope_core::memory::{MemoryEstimate, Part};

use crate::device::{AdapterSummary, GpuContext, GpuError};
use crate::error::DeviceLimit;

/// How a buffer is used, which decides its usage flags and which limit applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BufferKind {
    /// Bound to kernels as a storage buffer: at most the storage-binding limit.
    Storage,
    /// Bound as a uniform with dynamic offsets.
    Uniform,
    /// Written from the host and copied into storage buffers.
    Upload,
    /// Mapped for reading results back.
    Staging,
}

/// One buffer of a plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedBuffer {
    /// The buffer's label (unique within a plan).
    pub label: &'static str,
    /// What it holds, for messages ("the SAE parameters").
    pub what: &'static str,
    pub part: Part,
    /// Bytes allocated.
    pub bytes: u64,
    pub kind: BufferKind,
    /// Also a copy source and destination (uploaded or read back).
    pub copy: bool,
}

/// The buffers of one trainer, checked against a device's limits as they are added.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BufferPlan {
    pub buffers: Vec<PlannedBuffer>,
    binding_limit: u64,
    binding_limit_kind: DeviceLimit,
    buffer_limit: u64,
}

impl BufferPlan {
    /// An empty plan for `adapter`, as if one storage binding could hold at most
    /// `binding_limit` bytes when given (tests use it to force chunked batches).
    pub fn new(adapter: &AdapterSummary, binding_limit: Option<u64>) -> Self {
        let buffer_limit = adapter.max_buffer_size;
        let storage = adapter
            .max_storage_buffer_binding_size
            .min(binding_limit.unwrap_or(u64::MAX));
        let (binding_limit, binding_limit_kind) = if storage <= buffer_limit {
            (storage, DeviceLimit::StorageBindingSize)
        } else {
            (buffer_limit, DeviceLimit::BufferSize)
        };
        Self {
            buffers: Vec::new(),
            binding_limit,
            binding_limit_kind,
            buffer_limit,
        }
    }

    /// Bytes one storage binding may hold (what chunking sizes batches by).
    pub fn binding_limit(&self) -> u64 {
        self.binding_limit
    }

    /// Whether `bytes` fit one storage binding (checked before deciding chunk sizes: one row
    /// must fit).
    pub fn check_binding(&self, what: &'static str, bytes: u64) -> Result<(), GpuError> {
        check(what, bytes, self.binding_limit, self.binding_limit_kind)
    }

    /// Adds a buffer, refusing it when it exceeds the limit of its kind.
    pub fn add(
        &mut self,
        label: &'static str,
        what: &'static str,
        part: Part,
        bytes: u64,
        kind: BufferKind,
        copy: bool,
    ) -> Result<(), GpuError> {
        // Storage bindings must be non-empty and 4-byte aligned.
        let bytes = if kind == BufferKind::Storage {
            bytes.max(16).next_multiple_of(4)
        } else {
            bytes.max(4)
        };
        if kind == BufferKind::Storage {
            self.check_binding(what, bytes)?;
        }
        check(what, bytes, self.buffer_limit, DeviceLimit::BufferSize)?;
        self.buffers.push(PlannedBuffer {
            label,
            what,
            part,
            bytes,
            kind,
            copy,
        });
        Ok(())
    }

    /// The uniforms of one submission: `entries` (steps x chunks) entries `stride` bytes apart.
    pub fn add_uniforms(
        &mut self,
        label: &'static str,
        stride: u64,
        entries: u64,
    ) -> Result<(), GpuError> {
        let what = "the step uniforms of one submission";
        let bytes = stride.saturating_mul(entries);
        self.add(label, what, Part::Other, bytes, BufferKind::Uniform, false)
    }

    /// Adds storage buffers from a table of `(label, what, part, bytes, copied to or from the
    /// host)`.
    pub fn add_storage(
        &mut self,
        table: &[(&'static str, &'static str, Part, u64, bool)],
    ) -> Result<(), GpuError> {
        for (label, what, part, bytes, copy) in table {
            self.add(label, what, *part, *bytes, BufferKind::Storage, *copy)?;
        }
        Ok(())
    }

    /// The parameters and Adam's two moments: three storage buffers of `bytes` each, uploaded
    /// and read back.
    pub fn add_state(
        &mut self,
        labels: [&'static str; 3],
        what: &'static str,
        bytes: u64,
    ) -> Result<(), GpuError> {
        let [params, m, v] = labels;
        self.add(
            params,
            what,
            Part::Parameters,
            bytes,
            BufferKind::Storage,
            true,
        )?;
        self.add(
            m,
            "Adam's first moments",
            Part::OptimizerState,
            bytes,
            BufferKind::Storage,
            true,
        )?;
        self.add(
            v,
            "Adam's second moments",
            Part::OptimizerState,
            bytes,
            BufferKind::Storage,
            true,
        )
    }

    /// The planned buffer labelled `label`. Panics if there is none (a trainer asking for a
    /// buffer its own plan did not list is a bug).
    pub fn get(&self, label: &str) -> &PlannedBuffer {
        self.buffers
            .iter()
            .find(|b| b.label == label)
            .unwrap_or_else(|| panic!("no buffer {label:?} in the plan"))
    }

    /// The bytes of the buffer labelled `label`.
    pub fn bytes(&self, label: &str) -> u64 {
        self.get(label).bytes
    }

    /// Bytes on the device, all buffers together.
    pub fn total_bytes(&self) -> u64 {
        self.buffers
            .iter()
            .fold(0u64, |acc, b| acc.saturating_add(b.bytes))
    }

    /// The device's share of the run's memory, by part.
    pub fn estimate(&self) -> MemoryEstimate {
        let mut e = MemoryEstimate::default();
        for b in &self.buffers {
            e.add(b.part, b.bytes);
        }
        e
    }

    /// Creates the buffer labelled `label` with the size and usage the plan gives it.
    pub(crate) fn create(&self, ctx: &GpuContext, label: &'static str) -> wgpu::Buffer {
        let planned = self.get(label);
        let copy = if planned.copy {
            wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST
        } else {
            wgpu::BufferUsages::empty()
        };
        let usage = match planned.kind {
            BufferKind::Storage => wgpu::BufferUsages::STORAGE | copy,
            BufferKind::Uniform => wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            BufferKind::Upload => wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST,
            BufferKind::Staging => wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        };
        ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(label),
            size: planned.bytes,
            usage,
            mapped_at_creation: false,
        })
    }
}

fn check(what: &'static str, bytes: u64, allowed: u64, limit: DeviceLimit) -> Result<(), GpuError> {
    if bytes > allowed {
        Err(GpuError::TooLarge {
            what,
            needed: bytes,
            allowed,
            limit,
        })
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// WebGPU's default limits (what a browser grants without asking for more).
    pub(crate) fn webgpu_defaults() -> AdapterSummary {
        AdapterSummary {
            name: String::new(),
            vendor: 0,
            device_type: "Cpu".into(),
            backend: "BrowserWebGpu".into(),
            driver: String::new(),
            max_storage_buffer_binding_size: 128 << 20,
            max_buffer_size: 256 << 20,
            max_compute_workgroups_per_dimension: 65_535,
            max_compute_invocations_per_workgroup: 256,
            max_storage_buffers_per_shader_stage: 8,
            min_uniform_buffer_offset_alignment: 256,
        }
    }

    #[test]
    fn each_buffer_is_checked_against_the_limit_of_its_kind() {
        let adapter = webgpu_defaults();
        let mut plan = BufferPlan::new(&adapter, None);
        plan.add(
            "a",
            "a binding",
            Part::Activations,
            128 << 20,
            BufferKind::Storage,
            false,
        )
        .unwrap();
        let err = plan
            .add(
                "b",
                "a big binding",
                Part::Activations,
                (128 << 20) + 4,
                BufferKind::Storage,
                false,
            )
            .unwrap_err();
        assert_eq!(
            err,
            GpuError::TooLarge {
                what: "a big binding",
                needed: (128 << 20) + 4,
                allowed: 128 << 20,
                limit: DeviceLimit::StorageBindingSize,
            }
        );
        // A staging buffer is not bound: only maxBufferSize applies.
        plan.add(
            "s",
            "staging",
            Part::Staging,
            200 << 20,
            BufferKind::Staging,
            false,
        )
        .unwrap();
        let err = plan
            .add(
                "t",
                "too much staging",
                Part::Staging,
                300 << 20,
                BufferKind::Staging,
                false,
            )
            .unwrap_err();
        assert!(matches!(
            err,
            GpuError::TooLarge {
                limit: DeviceLimit::BufferSize,
                allowed: 268_435_456,
                ..
            }
        ));
        assert_eq!(plan.total_bytes(), (128 << 20) + (200 << 20));
        let e = plan.estimate();
        assert_eq!(e.activations, 128 << 20);
        assert_eq!(e.staging, 200 << 20);
        // Storage buffers are padded to 16 bytes at least.
        plan.add("c", "tiny", Part::Other, 4, BufferKind::Storage, false)
            .unwrap();
        assert_eq!(plan.bytes("c"), 16);
    }

    #[test]
    fn a_test_binding_limit_is_reported_as_the_storage_binding_limit() {
        let plan = BufferPlan::new(&webgpu_defaults(), Some(9000));
        assert_eq!(plan.binding_limit(), 9000);
        let err = plan.check_binding("one row", 9004).unwrap_err();
        assert!(
            err.to_string()
                .contains("maxStorageBufferBindingSize is 9000"),
            "{err}"
        );
    }
}

#[cfg(test)]
mod plan_tests {
    use polytope_core::sae::{SaeConfig, Variant};
    use polytope_core::tms::preset;

    use super::tests::webgpu_defaults;
    use super::*;
    use crate::sae_trainer::GpuSaeTrainer;
    use crate::tms_trainer::GpuTrainer;

    /// 512 -> 16384 at batch 4096 under WebGPU's default limits: the [B, d_sae] arrays split
    /// into two micro-batches of 2048 rows, each exactly the 128 MiB binding limit.
    #[test]
    fn a_wide_sae_is_planned_in_micro_batches_that_fill_the_binding_limit() {
        let mut cfg = SaeConfig::recommended(Variant::TopK, 512, 16_384, 1000);
        cfg.batch = 4096;
        let plan = GpuSaeTrainer::plan(&webgpu_defaults(), &cfg, None).unwrap();
        assert_eq!(plan.micro_batch, 2048);
        assert_eq!(plan.buffers.bytes("sae z"), 128 << 20);
        let p = 2 * 512 * 16_384 + 16_384 + 512;
        assert_eq!(plan.buffers.bytes("sae params"), 4 * p);
        // 8 MiB of inputs per step, so 8 steps fill the 64 MiB upload target.
        assert_eq!(plan.steps_per_submit, 8);
        assert_eq!(plan.buffers.bytes("sae batches"), 64 << 20);
        let e = plan.buffers.estimate();
        assert_eq!(e.activations, 4 * (128 << 20) + 8 * 16_384);
        assert_eq!(e.parameters, 4 * p);
        assert_eq!(e.optimizer_state, 8 * p);
        assert_eq!(e.total(), plan.buffers.total_bytes());
    }

    #[test]
    fn sae_parameters_over_one_binding_are_refused_naming_the_limit() {
        let cfg = SaeConfig::recommended(Variant::L1_2023, 4096, 8192, 1000);
        let err = GpuSaeTrainer::plan(&webgpu_defaults(), &cfg, None).unwrap_err();
        assert_eq!(
            err,
            GpuError::TooLarge {
                what: "the SAE parameters",
                needed: 4 * (2 * 4096 * 8192 + 8192 + 4096),
                allowed: 128 << 20,
                limit: DeviceLimit::StorageBindingSize,
            }
        );
    }

    /// `/toy?n=4096&m=64&density=sweep:1:0.01:200`: 200 instances of 64 x 4096 + 4096
    /// parameters are 213 MB, over one 128 MiB binding.
    #[test]
    fn a_sweep_of_wide_toy_models_is_refused_naming_the_limit() {
        let mut cfg = preset("intro").unwrap().config;
        cfg.n_features = 4096;
        cfg.n_hidden = 64;
        cfg.instances = vec![cfg.instances[0].clone(); 200];
        let err = GpuTrainer::plan(&webgpu_defaults(), &cfg, None).unwrap_err();
        assert_eq!(
            err,
            GpuError::TooLarge {
                what: "the parameters of all instances",
                needed: 4 * 200 * (64 * 4096 + 4096),
                allowed: 128 << 20,
                limit: DeviceLimit::StorageBindingSize,
            }
        );
        // The intro preset fits, in one chunk.
        let intro = preset("intro").unwrap().config;
        let plan = GpuTrainer::plan(&webgpu_defaults(), &intro, None).unwrap();
        assert_eq!(plan.chunk_cap, intro.batch_size);
        let instances = intro.instances.len() as u64;
        let p = u64::from(intro.n_hidden * intro.n_features + intro.n_features);
        assert_eq!(
            plan.buffers.bytes("tms params"),
            (4 * instances * p).max(16)
        );
        assert_eq!(plan.buffers.estimate().total(), plan.buffers.total_bytes());
    }
}
