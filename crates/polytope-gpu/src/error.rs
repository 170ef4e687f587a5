//! What can go wrong on a GPU, as kinds a caller can act on without reading messages.
//!
//! - [`GpuError::is_device_lost`]: request a new device ([`crate::request_context`] with the
//!   lost context's [`crate::GpuContext::preference`]) and resume from the last snapshot.
//! - [`GpuError::fails_this_run_only`]: the run does not fit this device (out of memory, or a
//!   buffer or binding over the device's limits); the device stays usable for a smaller run.
//! - [`GpuError::needs_new_device`]: lost, or a readback that never completed or failed.
//! - Validation and internal errors are bugs: they name the kernel where they can.
//!
//! [`BackendError`] carries either a training error of the CPU reference (`E`: the core
//! crate's `TrainError` or `SaeTrainError`, which know nothing of devices) or a [`GpuError`].

use std::fmt;
use std::time::Duration;

use polytope_core::sae::SaeTrainError;
use polytope_core::tms::TrainError;
use thiserror::Error;

/// A limit of the device (or of the kernels' number formats) that a run can exceed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeviceLimit {
    /// WebGPU's `maxBufferSize`: bytes in one buffer.
    BufferSize,
    /// WebGPU's `maxStorageBufferBindingSize`: bytes one kernel can see through one binding
    /// (also what tests configure with a smaller binding limit).
    StorageBindingSize,
    /// The kernels count firings in 32-bit integers.
    Counter32,
}

impl DeviceLimit {
    /// The limit's name as WebGPU spells it (what `/compute` and `polytope gpu` show).
    pub fn name(self) -> &'static str {
        match self {
            Self::BufferSize => "maxBufferSize",
            Self::StorageBindingSize => "maxStorageBufferBindingSize",
            Self::Counter32 => "32-bit counters",
        }
    }

    fn unit(self) -> &'static str {
        match self {
            Self::BufferSize | Self::StorageBindingSize => "bytes",
            Self::Counter32 => "counts",
        }
    }
}

impl fmt::Display for DeviceLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why the GPU cannot do (or finish) what was asked.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum GpuError {
    #[error("no GPU adapter is available: {reason}")]
    NoAdapter { reason: String },
    #[error("the GPU device could not be created: {reason}")]
    RequestDevice { reason: String },
    #[error("the GPU device was lost: {reason}")]
    Lost { reason: String },
    #[error("the GPU ran out of memory while {during}; this run is too large for it")]
    OutOfMemory { during: &'static str },
    #[error(
        "{what} needs {needed} {unit} but this GPU's {limit} is {allowed} {unit}",
        unit = limit.unit()
    )]
    TooLarge {
        what: &'static str,
        needed: u64,
        /// The largest value the limit allows.
        allowed: u64,
        limit: DeviceLimit,
    },
    #[error("GPU validation error in {}: {message}", kernel.unwrap_or("a GPU command"))]
    Validation {
        /// The kernel the message names (every pipeline, bind group and pass is labelled).
        kernel: Option<&'static str>,
        message: String,
    },
    #[error("internal GPU error in {}: {message}", kernel.unwrap_or("a GPU command"))]
    Internal {
        kernel: Option<&'static str>,
        message: String,
    },
    #[error("reading results back from the GPU failed: {reason}")]
    Readback { reason: String },
    #[error(
        "the GPU did not return its results within {} s; it may be hung",
        waited.as_secs_f32()
    )]
    Timeout { waited: Duration },
}

impl GpuError {
    /// The device is gone: every buffer and trainer on it is unusable. The WebGPU
    /// specification allows requesting a new adapter and device.
    pub fn is_device_lost(&self) -> bool {
        matches!(self, Self::Lost { .. })
    }

    /// The device cannot hold this run (out of memory, or over a buffer or binding limit);
    /// nothing happened to the device, and a smaller run can still use it.
    pub fn fails_this_run_only(&self) -> bool {
        matches!(self, Self::OutOfMemory { .. } | Self::TooLarge { .. })
    }

    /// The device cannot be trusted to finish work: lost, a readback that timed out, or one
    /// whose mapping failed (in the browser a lost device fails the pending map before its
    /// loss is reported, so the failed map is the first sign of the loss).
    pub fn needs_new_device(&self) -> bool {
        matches!(
            self,
            Self::Lost { .. } | Self::Timeout { .. } | Self::Readback { .. }
        )
    }

    /// A GPU could not be obtained at all.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Self::NoAdapter { .. } | Self::RequestDevice { .. })
    }

    /// The kernel a validation or internal error names.
    pub fn kernel(&self) -> Option<&'static str> {
        match self {
            Self::Validation { kernel, .. } | Self::Internal { kernel, .. } => *kernel,
            _ => None,
        }
    }

    /// Classifies an error wgpu reported (through an error scope or the uncaptured-error
    /// handler); `during` says what was being done, for out-of-memory messages.
    pub fn from_wgpu(error: &wgpu::Error, during: &'static str) -> Self {
        match error {
            wgpu::Error::OutOfMemory { .. } => Self::OutOfMemory { during },
            wgpu::Error::Validation { description, .. } => Self::Validation {
                kernel: kernel_named_in(description),
                message: description.clone(),
            },
            wgpu::Error::Internal { description, .. } => Self::Internal {
                kernel: kernel_named_in(description),
                message: description.clone(),
            },
        }
    }
}

/// The kernel whose label appears in a wgpu message: every pipeline, bind group layout, bind
/// group and compute pass of a kernel is labelled with its name (`ComputeKernel`).
pub fn kernel_named_in(message: &str) -> Option<&'static str> {
    crate::shaders::ALL
        .iter()
        .map(|s| s.name)
        .find(|name| message.contains(name))
}

/// An error of a run on either backend: the training itself (`E`, from the core crate) or the
/// GPU. Callers match `BackendError::Gpu(e) if e.is_device_lost()` to recover.
#[derive(Clone, Debug, Error, PartialEq)]
pub enum BackendError<E> {
    #[error(transparent)]
    Train(E),
    #[error(transparent)]
    Gpu(#[from] GpuError),
}

impl<E> BackendError<E> {
    /// The GPU error, if this is one.
    pub fn gpu(&self) -> Option<&GpuError> {
        match self {
            Self::Gpu(e) => Some(e),
            Self::Train(_) => None,
        }
    }

    /// See [`GpuError::is_device_lost`].
    pub fn is_device_lost(&self) -> bool {
        self.gpu().is_some_and(GpuError::is_device_lost)
    }

    /// See [`GpuError::fails_this_run_only`].
    pub fn fails_this_run_only(&self) -> bool {
        self.gpu().is_some_and(GpuError::fails_this_run_only)
    }
}

/// A toy-model run's error on either backend.
pub type TmsBackendError = BackendError<TrainError>;
/// An SAE run's error on either backend.
pub type SaeBackendError = BackendError<SaeTrainError>;

impl From<TrainError> for TmsBackendError {
    fn from(e: TrainError) -> Self {
        Self::Train(e)
    }
}

impl From<SaeTrainError> for SaeBackendError {
    fn from(e: SaeTrainError) -> Self {
        Self::Train(e)
    }
}

impl From<polytope_core::tms::ConfigError> for TmsBackendError {
    fn from(e: polytope_core::tms::ConfigError) -> Self {
        Self::Train(TrainError::Config(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_decide_recovery_without_reading_messages() {
        let lost = GpuError::Lost {
            reason: "Destroyed".into(),
        };
        let oom = GpuError::OutOfMemory {
            during: "creating buffers",
        };
        let large = GpuError::TooLarge {
            what: "the SAE parameters",
            needed: 10,
            allowed: 4,
            limit: DeviceLimit::StorageBindingSize,
        };
        let timeout = GpuError::Timeout {
            waited: Duration::from_millis(1500),
        };
        assert!(lost.is_device_lost() && lost.needs_new_device() && !lost.fails_this_run_only());
        assert!(oom.fails_this_run_only() && !oom.is_device_lost());
        assert!(large.fails_this_run_only() && !large.needs_new_device());
        assert!(timeout.needs_new_device() && !timeout.is_device_lost());
        assert_eq!(
            large.to_string(),
            "the SAE parameters needs 10 bytes but this GPU's maxStorageBufferBindingSize is 4 bytes"
        );
        assert_eq!(
            timeout.to_string(),
            "the GPU did not return its results within 1.5 s; it may be hung"
        );
        let e: SaeBackendError = lost.into();
        assert!(e.is_device_lost());
        let e: SaeBackendError = SaeTrainError::Diverged { step: 3 }.into();
        assert!(!e.is_device_lost() && e.gpu().is_none());
    }

    #[test]
    fn wgpu_errors_are_classified_by_kind() {
        let source = || -> wgpu::ErrorSource { Box::new(std::io::Error::other("driver")) };
        let oom = GpuError::from_wgpu(
            &wgpu::Error::OutOfMemory { source: source() },
            "creating the SAE trainer",
        );
        assert_eq!(
            oom,
            GpuError::OutOfMemory {
                during: "creating the SAE trainer"
            }
        );
        assert!(oom.fails_this_run_only());
        let validation = GpuError::from_wgpu(
            &wgpu::Error::Validation {
                source: source(),
                description: "BindGroup with 'tms_adam' label is invalid".into(),
            },
            "training",
        );
        assert_eq!(validation.kernel(), Some("tms_adam"));
        let internal = GpuError::from_wgpu(
            &wgpu::Error::Internal {
                source: source(),
                description: "shader 'sae_firing' failed to compile".into(),
            },
            "training",
        );
        assert!(matches!(
            internal,
            GpuError::Internal {
                kernel: Some("sae_firing"),
                ..
            }
        ));
    }

    #[test]
    fn validation_messages_name_their_kernel() {
        assert_eq!(
            kernel_named_in("In a set_bind_group command\n  BindGroup with 'sae_decode' label"),
            Some("sae_decode")
        );
        assert_eq!(
            kernel_named_in("Buffer with 'sae z' label is invalid"),
            None
        );
        let e = GpuError::Validation {
            kernel: Some("tms_grad"),
            message: "bad".into(),
        };
        assert_eq!(e.to_string(), "GPU validation error in tms_grad: bad");
        assert_eq!(e.kernel(), Some("tms_grad"));
    }
}
