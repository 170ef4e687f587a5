//! The one place that requests GPU adapters and devices.
//!
//! A [`GpuContext`] bundles the device, its queue, a summary of the adapter for the interface,
//! and the device's health: a lost device or an uncaptured error is recorded here (never a
//! panic), classified, and turned into an error by the next operation that checks it. Errors of
//! the trainers' own work are captured by error scopes instead ([`crate::readback::capture`]),
//! so that a run that does not fit fails alone and leaves the device usable.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;

pub use crate::error::GpuError;

/// Which adapter to ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AdapterPreference {
    /// Whatever the platform offers first (a discrete GPU when there is one).
    HighPerformance,
    /// A software (CPU) adapter with validation on: lavapipe natively. Tests use this so that
    /// results do not depend on the machine's GPU; there is no such choice in a browser.
    SoftwareWithValidation,
}

/// What the interface shows about the adapter, and the limits that decide how big a run fits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AdapterSummary {
    pub name: String,
    pub vendor: u32,
    pub device_type: String,
    pub backend: String,
    pub driver: String,
    pub max_storage_buffer_binding_size: u64,
    pub max_buffer_size: u64,
    pub max_compute_workgroups_per_dimension: u32,
    pub max_compute_invocations_per_workgroup: u32,
    pub max_storage_buffers_per_shader_stage: u32,
    pub min_uniform_buffer_offset_alignment: u32,
}

/// What happened to a device after it was created.
#[derive(Debug, Default)]
pub struct Health {
    lost: Mutex<Option<String>>,
    error: Mutex<Option<GpuError>>,
}

impl Health {
    /// The first problem recorded, if any: a lost device first, then an uncaptured error.
    pub fn check(&self) -> Result<(), GpuError> {
        if let Some(reason) = self.lost.lock().ok().and_then(|g| g.clone()) {
            return Err(GpuError::Lost { reason });
        }
        if let Some(error) = self.error.lock().ok().and_then(|g| g.clone()) {
            return Err(error);
        }
        Ok(())
    }

    /// Whether the device was lost.
    pub fn is_lost(&self) -> bool {
        self.lost.lock().map_or(true, |g| g.is_some())
    }

    /// Marks the device lost (also used by tests and by the page's "simulate a lost device").
    pub fn mark_lost(&self, reason: &str) {
        if let Ok(mut lost) = self.lost.lock() {
            lost.get_or_insert_with(|| reason.to_owned());
        }
    }

    /// Records an error nobody captured (the first one is kept).
    pub fn record_error(&self, error: GpuError) {
        if let Ok(mut slot) = self.error.lock() {
            slot.get_or_insert(error);
        }
    }
}

/// How long a readback may take before it fails with [`GpuError::Timeout`]: far above any
/// submission the trainers make (the app aims for 15-40 ms, the CLI for a few seconds), so only
/// a hung device reaches it.
pub const DEFAULT_READBACK_TIMEOUT: Duration = Duration::from_mins(1);

/// A device ready for work, handed to every kernel and trainer.
#[derive(Clone, Debug)]
pub struct GpuContext {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    pub adapter: AdapterSummary,
    pub health: Arc<Health>,
    /// What this context was requested with: after a lost device, `request_context` with the
    /// same preference gives its replacement.
    pub preference: AdapterPreference,
    /// See [`DEFAULT_READBACK_TIMEOUT`]; tests shorten it.
    pub readback_timeout: Duration,
}

fn summarize(info: &wgpu::AdapterInfo, limits: &wgpu::Limits) -> AdapterSummary {
    AdapterSummary {
        name: info.name.clone(),
        vendor: info.vendor,
        device_type: format!("{:?}", info.device_type),
        backend: format!("{:?}", info.backend),
        driver: [info.driver.as_str(), info.driver_info.as_str()]
            .iter()
            .filter(|s| !s.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(" "),
        max_storage_buffer_binding_size: limits.max_storage_buffer_binding_size,
        max_buffer_size: limits.max_buffer_size,
        max_compute_workgroups_per_dimension: limits.max_compute_workgroups_per_dimension,
        max_compute_invocations_per_workgroup: limits.max_compute_invocations_per_workgroup,
        max_storage_buffers_per_shader_stage: limits.max_storage_buffers_per_shader_stage,
        min_uniform_buffer_offset_alignment: limits.min_uniform_buffer_offset_alignment,
    }
}

/// WebGPU's default limits, raised to what the adapter offers where bigger runs benefit.
fn wanted_limits(adapter: &wgpu::Limits) -> wgpu::Limits {
    let base = wgpu::Limits::default();
    wgpu::Limits {
        max_storage_buffer_binding_size: adapter.max_storage_buffer_binding_size,
        max_buffer_size: adapter.max_buffer_size,
        max_compute_workgroups_per_dimension: adapter.max_compute_workgroups_per_dimension,
        ..base
    }
}

async fn pick_adapter(
    instance: &wgpu::Instance,
    preference: AdapterPreference,
) -> Result<wgpu::Adapter, GpuError> {
    #[cfg(not(target_arch = "wasm32"))]
    if preference == AdapterPreference::SoftwareWithValidation {
        let adapters = instance.enumerate_adapters(wgpu::Backends::all()).await;
        let names: Vec<String> = adapters
            .iter()
            .map(|a| format!("{} ({:?})", a.get_info().name, a.get_info().device_type))
            .collect();
        return adapters
            .into_iter()
            .find(|a| a.get_info().device_type == wgpu::DeviceType::Cpu)
            .ok_or_else(|| GpuError::NoAdapter {
                reason: format!(
                    "no software (CPU) adapter among [{}]; install mesa-vulkan-drivers and libvulkan1 for lavapipe",
                    names.join(", ")
                ),
            });
    }
    let _ = preference;
    instance
        .request_adapter(&wgpu::RequestAdapterOptions {
            power_preference: wgpu::PowerPreference::HighPerformance,
            force_fallback_adapter: false,
            compatible_surface: None,
            apply_limit_buckets: false,
        })
        .await
        .map_err(|e| GpuError::NoAdapter {
            reason: e.to_string(),
        })
}

/// Requests an adapter and a device with the limits [`wanted_limits`] asks for, and installs
/// the handlers that record a lost device or an uncaptured error in [`GpuContext::health`].
/// After a lost device, calling it again with the lost context's `preference` gives a new
/// device (the WebGPU specification allows it); trainers are then rebuilt on it from their last
/// snapshot ([`crate::TmsTrainer::new`], [`crate::SaeBackendTrainer::move_to`]).
pub async fn request_context(preference: AdapterPreference) -> Result<GpuContext, GpuError> {
    let mut desc = wgpu::InstanceDescriptor::new_without_display_handle_from_env();
    if preference == AdapterPreference::SoftwareWithValidation {
        desc.flags |= wgpu::InstanceFlags::VALIDATION;
    }
    #[cfg(target_arch = "wasm32")]
    {
        desc.backends = wgpu::Backends::BROWSER_WEBGPU;
    }
    let instance = wgpu::Instance::new(desc);
    let adapter = pick_adapter(&instance, preference).await?;
    let limits = wanted_limits(&adapter.limits());
    let (device, queue) = adapter
        .request_device(&wgpu::DeviceDescriptor {
            label: Some("polytope"),
            required_features: wgpu::Features::empty(),
            required_limits: limits.clone(),
            experimental_features: wgpu::ExperimentalFeatures::disabled(),
            memory_hints: wgpu::MemoryHints::Performance,
            trace: wgpu::Trace::Off,
        })
        .await
        .map_err(|e| GpuError::RequestDevice {
            reason: e.to_string(),
        })?;
    let health = Arc::new(Health::default());
    {
        let health = Arc::clone(&health);
        device.set_device_lost_callback(move |reason, message| {
            health.mark_lost(&format!("{reason:?}: {message}"));
        });
    }
    {
        let health = Arc::clone(&health);
        device.on_uncaptured_error(Arc::new(move |error: wgpu::Error| {
            health.record_error(GpuError::from_wgpu(&error, "running GPU work"));
        }));
    }
    Ok(GpuContext {
        adapter: summarize(&adapter.get_info(), &device.limits()),
        device,
        queue,
        health,
        preference,
        readback_timeout: DEFAULT_READBACK_TIMEOUT,
    })
}
