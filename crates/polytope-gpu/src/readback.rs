//! Asynchronous readback and error capture, the same code natively (where we poll the device)
//! and on the web (where the browser drives the callbacks).
//!
//! - [`capture`] runs GPU work inside error scopes (out of memory, validation, internal), so the
//!   errors of one trainer's work come back to that trainer, classified, instead of poisoning
//!   the device for every later run.
//! - [`read_bytes`] maps a buffer through a oneshot channel and gives up after the context's
//!   `readback_timeout` ([`GpuError::Timeout`]): natively the poll waits at most that long, on
//!   the web the map callback races a timer.

use std::future::Future;
use std::pin::Pin;

use crate::device::{GpuContext, GpuError};

#[cfg(not(target_arch = "wasm32"))]
type ScopeFuture = Pin<Box<dyn Future<Output = Option<wgpu::Error>> + Send>>;
#[cfg(target_arch = "wasm32")]
type ScopeFuture = Pin<Box<dyn Future<Output = Option<wgpu::Error>>>>;

/// The popped error scopes of some GPU work, to be awaited before trusting its results.
#[must_use = "the captured errors are only seen when checked"]
pub struct Captured {
    during: &'static str,
    scopes: Vec<ScopeFuture>,
}

impl std::fmt::Debug for Captured {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Captured")
            .field("during", &self.during)
            .finish_non_exhaustive()
    }
}

impl Captured {
    /// The first error the work raised, classified (a lost device wins over everything).
    pub async fn check(self, ctx: &GpuContext) -> Result<(), GpuError> {
        let first = self.first_error().await;
        ctx.health.check()?;
        first.map_or(Ok(()), Err)
    }

    /// The first error the scopes caught, classified, ignoring the device's health.
    pub async fn first_error(self) -> Option<GpuError> {
        let mut first = None;
        for scope in self.scopes {
            if let Some(error) = scope.await {
                first.get_or_insert(GpuError::from_wgpu(&error, self.during));
            }
        }
        first
    }
}

/// Runs `work` (creating resources, encoding and submitting) inside error scopes; `during`
/// names it in out-of-memory messages. The scopes are popped before returning, so the work's
/// errors are captured even if [`Captured::check`] runs much later.
pub fn capture<T>(
    device: &wgpu::Device,
    during: &'static str,
    work: impl FnOnce() -> T,
) -> (T, Captured) {
    let oom = device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
    let validation = device.push_error_scope(wgpu::ErrorFilter::Validation);
    let internal = device.push_error_scope(wgpu::ErrorFilter::Internal);
    let out = work();
    // Popped in reverse order of pushing, as wgpu requires.
    let scopes: Vec<ScopeFuture> = vec![
        Box::pin(internal.pop()),
        Box::pin(validation.pop()),
        Box::pin(oom.pop()),
    ];
    (out, Captured { during, scopes })
}

/// Maps the first `size` bytes of `buffer` (usage `MAP_READ`), copies them out and unmaps.
/// Fails with [`GpuError::Timeout`] when the map does not complete within
/// `ctx.readback_timeout` (the buffer then stays pending: drop the trainer that owns it).
pub async fn read_bytes(
    ctx: &GpuContext,
    buffer: &wgpu::Buffer,
    size: u64,
) -> Result<Vec<u8>, GpuError> {
    start_read(buffer, size).finish(ctx).await
}

/// Submits the work `encode` records (inside error scopes), starts mapping `size` bytes of
/// `staging`, and returns them once the work's errors are checked and the map completed: the
/// trainers' one round trip per submission.
pub async fn submit_and_read(
    ctx: &GpuContext,
    during: &'static str,
    encode: impl FnOnce() -> wgpu::CommandBuffer,
    staging: &wgpu::Buffer,
    size: u64,
) -> Result<Vec<u8>, GpuError> {
    ctx.health.check()?;
    let ((), captured) = capture(&ctx.device, during, || {
        ctx.queue.submit([encode()]);
    });
    let pending = start_read(staging, size);
    captured.check(ctx).await?;
    pending.finish(ctx).await
}

/// A map in flight.
struct PendingRead<'a> {
    buffer: &'a wgpu::Buffer,
    size: u64,
    receiver: futures_channel::oneshot::Receiver<MapResult>,
}

fn start_read(buffer: &wgpu::Buffer, size: u64) -> PendingRead<'_> {
    let (sender, receiver) = futures_channel::oneshot::channel();
    buffer
        .slice(..size)
        .map_async(wgpu::MapMode::Read, move |result| {
            let _ = sender.send(result);
        });
    PendingRead {
        buffer,
        size,
        receiver,
    }
}

impl PendingRead<'_> {
    async fn finish(self, ctx: &GpuContext) -> Result<Vec<u8>, GpuError> {
        let mapped = wait_for_map(ctx, self.receiver).await?;
        ctx.health.check()?;
        mapped.map_err(|e| GpuError::Readback {
            reason: e.to_string(),
        })?;
        let bytes = {
            let view = self
                .buffer
                .slice(..self.size)
                .get_mapped_range()
                .map_err(|e| GpuError::Readback {
                    reason: e.to_string(),
                })?;
            view.to_vec()
        };
        self.buffer.unmap();
        Ok(bytes)
    }
}

type MapResult = Result<(), wgpu::BufferAsyncError>;

/// Natively: poll the device for at most the timeout, then the callback has run.
#[cfg(not(target_arch = "wasm32"))]
async fn wait_for_map(
    ctx: &GpuContext,
    receiver: futures_channel::oneshot::Receiver<MapResult>,
) -> Result<MapResult, GpuError> {
    let started = std::time::Instant::now();
    match ctx.device.poll(wgpu::PollType::Wait {
        submission_index: None,
        timeout: Some(ctx.readback_timeout),
    }) {
        Ok(_) => {}
        Err(wgpu::PollError::Timeout) => {
            return Err(GpuError::Timeout {
                waited: started.elapsed(),
            });
        }
        Err(e) => {
            return Err(GpuError::Readback {
                reason: e.to_string(),
            });
        }
    }
    receiver.await.map_err(|_| dropped(ctx))
}

/// On the web: the browser runs the callback; race it against a timer.
#[cfg(target_arch = "wasm32")]
async fn wait_for_map(
    ctx: &GpuContext,
    mut receiver: futures_channel::oneshot::Receiver<MapResult>,
) -> Result<MapResult, GpuError> {
    use std::task::Poll;
    let millis = u32::try_from(ctx.readback_timeout.as_millis()).unwrap_or(u32::MAX);
    let mut timer = gloo_timers::future::TimeoutFuture::new(millis);
    std::future::poll_fn(|cx| {
        if let Poll::Ready(result) = Pin::new(&mut receiver).poll(cx) {
            return Poll::Ready(result.map_err(|_| dropped(ctx)));
        }
        if Pin::new(&mut timer).poll(cx).is_ready() {
            return Poll::Ready(Err(GpuError::Timeout {
                waited: ctx.readback_timeout,
            }));
        }
        Poll::Pending
    })
    .await
}

/// The map callback was dropped without running: the device went away under it.
fn dropped(ctx: &GpuContext) -> GpuError {
    ctx.health.check().err().unwrap_or(GpuError::Readback {
        reason: "the map callback was dropped".into(),
    })
}

/// Reinterprets little-endian bytes as `f32`s without alignment requirements.
pub fn f32s(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}
