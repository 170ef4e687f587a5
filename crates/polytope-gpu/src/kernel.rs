//! What every compute kernel needs: a pipeline from WGSL, a bind group layout from a list of
//! binding kinds, and a dispatch that covers any number of threads. Everything a kernel creates
//! is labelled with its name, so that wgpu's validation messages name the kernel
//! ([`crate::error::kernel_named_in`]).

/// How a kernel sees one binding (in binding-number order).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Binding {
    /// A uniform struct of `size` bytes bound with a dynamic offset.
    DynamicUniform {
        size: u64,
    },
    StorageRead,
    StorageReadWrite,
}

use crate::device::{GpuContext, GpuError};
use crate::readback::capture;

/// Threads per workgroup of the one-thread-per-element kernels (`@workgroup_size(64)`); the
/// one-workgroup-per-row SAE kernels use 256 (`sae_common::ROW_WORKGROUP`).
pub(crate) const WORKGROUP_SIZE: u32 = 64;

pub(crate) struct ComputeKernel {
    name: &'static str,
    pipeline: wgpu::ComputePipeline,
    layout: wgpu::BindGroupLayout,
    bindings: Vec<Binding>,
}

impl ComputeKernel {
    pub(crate) fn new(
        device: &wgpu::Device,
        name: &'static str,
        source: &str,
        bindings: &[Binding],
    ) -> Self {
        let label = name;
        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some(label),
            source: wgpu::ShaderSource::Wgsl(source.into()),
        });
        let entries: Vec<wgpu::BindGroupLayoutEntry> = bindings
            .iter()
            .enumerate()
            .map(|(i, b)| wgpu::BindGroupLayoutEntry {
                binding: i as u32,
                visibility: wgpu::ShaderStages::COMPUTE,
                ty: match b {
                    Binding::DynamicUniform { size } => wgpu::BindingType::Buffer {
                        ty: wgpu::BufferBindingType::Uniform,
                        has_dynamic_offset: true,
                        min_binding_size: wgpu::BufferSize::new(*size),
                    },
                    Binding::StorageRead | Binding::StorageReadWrite => wgpu::BindingType::Buffer {
                        ty: wgpu::BufferBindingType::Storage {
                            read_only: matches!(b, Binding::StorageRead),
                        },
                        has_dynamic_offset: false,
                        min_binding_size: None,
                    },
                },
                count: None,
            })
            .collect();
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some(label),
            entries: &entries,
        });
        let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some(label),
            bind_group_layouts: &[Some(&layout)],
            immediate_size: 0,
        });
        let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some(label),
            layout: Some(&pipeline_layout),
            module: &module,
            entry_point: Some("main"),
            compilation_options: wgpu::PipelineCompilationOptions::default(),
            cache: None,
        });
        Self {
            name,
            pipeline,
            layout,
            bindings: bindings.to_vec(),
        }
    }

    /// A bind group over whole buffers, in binding order; a dynamic uniform binds one entry.
    pub(crate) fn bind(&self, device: &wgpu::Device, buffers: &[&wgpu::Buffer]) -> wgpu::BindGroup {
        let label = self.name;
        assert_eq!(
            buffers.len(),
            self.bindings.len(),
            "{label}: one buffer per binding"
        );
        let entries: Vec<wgpu::BindGroupEntry> = buffers
            .iter()
            .zip(&self.bindings)
            .enumerate()
            .map(|(i, (buf, kind))| wgpu::BindGroupEntry {
                binding: i as u32,
                resource: match kind {
                    Binding::DynamicUniform { size } => {
                        wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                            buffer: buf,
                            offset: 0,
                            size: wgpu::BufferSize::new(*size),
                        })
                    }
                    Binding::StorageRead | Binding::StorageReadWrite => buf.as_entire_binding(),
                },
            })
            .collect();
        device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some(label),
            layout: &self.layout,
            entries: &entries,
        })
    }

    /// Records a dispatch of `work`, spread over a 2-D grid when one dimension cannot hold it
    /// (shaders rebuild the linear index with `thread_index` or `group_index`, and skip the
    /// padding of the last grid row).
    pub(crate) fn dispatch(
        &self,
        pass: &mut wgpu::ComputePass<'_>,
        bind_group: &wgpu::BindGroup,
        dynamic_offset: u32,
        work: Work,
        max_groups_per_dim: u32,
    ) {
        let groups = match work {
            Work::Threads(threads) => threads.div_ceil(u64::from(WORKGROUP_SIZE)),
            Work::Groups(groups) => groups,
        }
        .max(1);
        let x = groups.min(u64::from(max_groups_per_dim));
        let y = groups.div_ceil(x);
        pass.set_pipeline(&self.pipeline);
        pass.set_bind_group(0, bind_group, &[dynamic_offset]);
        pass.dispatch_workgroups(x as u32, y as u32, 1);
    }
}

/// How much work a dispatch covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Work {
    /// At least this many invocations of a `@workgroup_size(64)` kernel.
    Threads(u64),
    /// Exactly this many workgroups (kernels with one workgroup per row or per block).
    Groups(u64),
}

/// Names the kernel behind a validation error whose message names none (wgpu's dispatch-time
/// messages name the buffers, not the pipeline): each kernel's dispatch is recorded again in
/// its own labelled encoder, which is validated and never submitted, and the first that fails
/// is the culprit. Other errors come back unchanged.
pub(crate) async fn attribute(
    ctx: &GpuContext,
    error: GpuError,
    kernels: &[ComputeKernel],
    record: impl Fn(usize, &mut wgpu::ComputePass<'_>),
) -> GpuError {
    let GpuError::Validation {
        kernel: None,
        message,
    } = &error
    else {
        return error;
    };
    for (i, kernel) in kernels.iter().enumerate() {
        let ((), captured) = capture(&ctx.device, "checking a kernel", || {
            let mut encoder = ctx
                .device
                .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                    label: Some(kernel.name),
                });
            {
                let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                    label: Some(kernel.name),
                    timestamp_writes: None,
                });
                record(i, &mut pass);
            }
            // Validated by `finish`; never submitted.
            drop(encoder.finish());
        });
        if captured.first_error().await.is_some() {
            return GpuError::Validation {
                kernel: Some(kernel.name),
                message: message.clone(),
            };
        }
    }
    error
}
