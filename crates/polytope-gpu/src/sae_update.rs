//! Kernel 6 of an SAE step, once per step: parallel-gradient removal, Adam, decoder renormalisation
//! (`sae_update.wgsl`).

use crate::kernel::{Binding, ComputeKernel};
use crate::sae_common::SAE_UNIFORM_SIZE;
use crate::shaders::{SAE_COMMON, WORKGROUP_REDUCE};

pub fn source() -> String {
    [
        SAE_COMMON,
        WORKGROUP_REDUCE,
        include_str!("sae_update.wgsl"),
    ]
    .concat()
}

pub(crate) const BINDINGS: [Binding; 9] = [
    Binding::DynamicUniform {
        size: SAE_UNIFORM_SIZE,
    },
    Binding::StorageReadWrite, // params [P]
    Binding::StorageReadWrite, // adam_m [P]
    Binding::StorageReadWrite, // adam_v [P]
    Binding::StorageRead,      // grad [P]
    Binding::StorageRead,      // col [2, s]
    Binding::StorageReadWrite, // norms [s]
    Binding::StorageReadWrite, // flags [4] (atomic)
    Binding::StorageReadWrite, // history [steps, HISTORY_WORDS] (atomic)
];

pub(crate) fn kernel(device: &wgpu::Device) -> ComputeKernel {
    ComputeKernel::new(device, "sae_update", &source(), &BINDINGS)
}
