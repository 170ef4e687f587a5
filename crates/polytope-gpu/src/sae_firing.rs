//! Kernel 7 of an SAE step, once per step: firing bookkeeping and the step's statistics
//! (`sae_firing.wgsl`).

use crate::kernel::{Binding, ComputeKernel};
use crate::sae_common::SAE_UNIFORM_SIZE;
use crate::shaders::{SAE_COMMON, WORKGROUP_REDUCE};

pub fn source() -> String {
    [
        SAE_COMMON,
        WORKGROUP_REDUCE,
        include_str!("sae_firing.wgsl"),
    ]
    .concat()
}

pub(crate) const BINDINGS: [Binding; 8] = [
    Binding::DynamicUniform {
        size: SAE_UNIFORM_SIZE,
    },
    Binding::StorageRead,      // col [2, s]
    Binding::StorageRead,      // row_stats [batch, ROW_STATS]
    Binding::StorageReadWrite, // last_fired [s]
    Binding::StorageReadWrite, // window_fired [s]
    Binding::StorageReadWrite, // density_counts [s]
    Binding::StorageReadWrite, // flags [4] (atomic)
    Binding::StorageReadWrite, // history [steps, HISTORY_WORDS] (atomic)
];

pub(crate) fn kernel(device: &wgpu::Device) -> ComputeKernel {
    ComputeKernel::new(device, "sae_firing", &source(), &BINDINGS)
}
