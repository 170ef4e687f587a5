//! Asynchronous readback: `map_async` completed through a oneshot channel, the same code
//! natively (where we poll the device) and on the web (where the browser drives the callback).

use crate::device::{GpuContext, GpuError};

/// Maps the first `size` bytes of `buffer` (usage `MAP_READ`), copies them out and unmaps.
pub async fn read_bytes(
    ctx: &GpuContext,
    buffer: &wgpu::Buffer,
    size: u64,
) -> Result<Vec<u8>, GpuError> {
    let (sender, receiver) = futures_channel::oneshot::channel();
    buffer
        .slice(..size)
        .map_async(wgpu::MapMode::Read, move |result| {
            let _ = sender.send(result);
        });
    #[cfg(not(target_arch = "wasm32"))]
    ctx.device
        .poll(wgpu::PollType::wait_indefinitely())
        .map_err(|e| GpuError::Readback(e.to_string()))?;
    let mapped = receiver
        .await
        .map_err(|_| GpuError::Readback("the map callback was dropped".into()))?;
    ctx.health.check()?;
    mapped.map_err(|e| GpuError::Readback(e.to_string()))?;
    let bytes = {
        let view = buffer
            .slice(..size)
            .get_mapped_range()
            .map_err(|e| GpuError::Readback(e.to_string()))?;
        view.to_vec()
    };
    buffer.unmap();
    Ok(bytes)
}

/// Reinterprets little-endian bytes as `f32`s without alignment requirements.
pub fn f32s(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}
