//! What every compute kernel needs: a pipeline from WGSL, a bind group layout from a list of
//! binding kinds, and a dispatch that covers any number of threads.

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

/// Threads per workgroup in every kernel (`@workgroup_size(64)`).
pub(crate) const WORKGROUP_SIZE: u32 = 64;

pub(crate) struct ComputeKernel {
    pipeline: wgpu::ComputePipeline,
    layout: wgpu::BindGroupLayout,
    bindings: Vec<Binding>,
}

impl ComputeKernel {
    pub(crate) fn new(
        device: &wgpu::Device,
        label: &str,
        source: &str,
        bindings: &[Binding],
    ) -> Self {
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
            pipeline,
            layout,
            bindings: bindings.to_vec(),
        }
    }

    /// A bind group over whole buffers, in binding order; a dynamic uniform binds one entry.
    pub(crate) fn bind(
        &self,
        device: &wgpu::Device,
        label: &str,
        buffers: &[&wgpu::Buffer],
    ) -> wgpu::BindGroup {
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

    /// Records a dispatch of at least `threads` invocations, spread over a 2-D grid when one
    /// dimension cannot hold them (shaders rebuild the linear index with `thread_index`).
    pub(crate) fn dispatch(
        &self,
        pass: &mut wgpu::ComputePass<'_>,
        bind_group: &wgpu::BindGroup,
        dynamic_offset: u32,
        threads: u64,
        max_groups_per_dim: u32,
    ) {
        let groups = threads.div_ceil(u64::from(WORKGROUP_SIZE)).max(1);
        let x = groups.min(u64::from(max_groups_per_dim));
        let y = groups.div_ceil(x);
        pass.set_pipeline(&self.pipeline);
        pass.set_bind_group(0, bind_group, &[dynamic_offset]);
        pass.dispatch_workgroups(x as u32, y as u32, 1);
    }

    /// Records a dispatch of exactly `groups` workgroups (kernels with one workgroup per row or
    /// per block), spread over a 2-D grid; shaders rebuild the linear index from
    /// `workgroup_id` and `num_workgroups`, and skip the padding groups of the last grid row.
    pub(crate) fn dispatch_groups(
        &self,
        pass: &mut wgpu::ComputePass<'_>,
        bind_group: &wgpu::BindGroup,
        dynamic_offset: u32,
        groups: u64,
        max_groups_per_dim: u32,
    ) {
        let groups = groups.max(1);
        let x = groups.min(u64::from(max_groups_per_dim));
        let y = groups.div_ceil(x);
        pass.set_pipeline(&self.pipeline);
        pass.set_bind_group(0, bind_group, &[dynamic_offset]);
        pass.dispatch_workgroups(x as u32, y as u32, 1);
    }
}
