//! Running one input against one target and judging it: a panic, a broken invariant, an
//! allocation beyond the target's bound or a run beyond its time bound fails the input.

use std::cell::RefCell;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Once;

use crate::alloc::{self, Usage};
use crate::mutation::Rng;

const KIB: usize = 1024;
const MIB: usize = 1024 * 1024;

/// A target's stated limits for one input of `len` bytes: `fixed + per_byte * len` for the
/// largest single allocation and for the peak of live allocations, and a time.
#[derive(Clone, Copy, Debug)]
pub struct Bound {
    pub single_fixed: usize,
    pub single_per_byte: usize,
    pub live_fixed: usize,
    pub live_per_byte: usize,
    /// Wall-clock milliseconds per input (generous: the machine is shared).
    pub millis: f64,
}

impl Bound {
    pub fn single(&self, len: usize) -> usize {
        self.single_fixed
            .saturating_add(self.single_per_byte.saturating_mul(len))
    }

    pub fn live(&self, len: usize) -> usize {
        self.live_fixed
            .saturating_add(self.live_per_byte.saturating_mul(len))
    }

    /// Above this a single request aborts the process instead of being attempted.
    pub fn hard_cap(&self, len: usize) -> usize {
        self.single(len).saturating_mul(4).max(256 * MIB)
    }

    /// `"64 KiB + 2 x input"`.
    pub fn describe(fixed: usize, per_byte: usize) -> String {
        let fixed = if fixed >= MIB {
            format!("{} MiB", fixed / MIB)
        } else {
            format!("{} KiB", fixed / KIB)
        };
        if per_byte == 0 {
            fixed
        } else {
            format!("{fixed} + {per_byte} x input")
        }
    }
}

/// One parser under test.
pub struct Target {
    /// The name used on the command line and as the corpus folder.
    pub name: &'static str,
    /// What it parses, for `--list` and the docs.
    pub about: &'static str,
    /// The extension of its saved inputs (`txt`, `json`, `bin`).
    pub ext: &'static str,
    pub bound: Bound,
    /// Generated inputs are cut to this many bytes.
    pub max_len: usize,
    /// Parses `input` and checks what came out. `Ok`: a class of outcome (`"ok"` or the
    /// error's kind) that steers the generator; `Err`: a broken invariant.
    pub run: fn(&[u8]) -> Result<String, String>,
    /// A fresh valid input with random sizes and values.
    pub generate: fn(&mut Rng) -> Vec<u8>,
    /// One structure-aware mutation (the driver mixes in generic byte mutations too).
    pub mutate: fn(&mut Rng, &mut Vec<u8>, &[Vec<u8>]),
    /// Files under `public/data` the native driver adds to the seeds.
    pub data_seeds: &'static [&'static str],
}

/// Why an input failed.
#[derive(Clone, Debug, PartialEq)]
pub enum Failure {
    Panic(String),
    Invariant(String),
    Single { bytes: usize, bound: usize },
    Live { bytes: usize, bound: usize },
    Slow { millis: f64, bound: f64 },
}

impl Failure {
    /// What identifies the same bug in two inputs (the minimiser keeps it).
    pub fn kind(&self) -> String {
        match self {
            Self::Panic(m) => format!("panic: {}", crate::mutation::class_of(m)),
            Self::Invariant(m) => format!("invariant: {}", crate::mutation::class_of(m)),
            Self::Single { .. } => "single allocation over the bound".into(),
            Self::Live { .. } => "live allocation over the bound".into(),
            Self::Slow { .. } => "slower than the bound".into(),
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Panic(m) => write!(f, "panicked: {m}"),
            Self::Invariant(m) => write!(f, "broke an invariant: {m}"),
            Self::Single { bytes, bound } => {
                write!(f, "allocated {bytes} bytes at once (bound {bound})")
            }
            Self::Live { bytes, bound } => {
                write!(f, "held {bytes} bytes at its peak (bound {bound})")
            }
            Self::Slow { millis, bound } => write!(f, "took {millis:.1} ms (bound {bound} ms)"),
        }
    }
}

/// What one input did.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The target's class of result, or `""` after a panic.
    pub class: String,
    pub usage: Usage,
    pub millis: f64,
    pub failure: Option<Failure>,
}

/// Milliseconds on a monotonic clock (the browser's `Date.now()` in wasm, where std's clock
/// panics).
pub fn now_ms() -> f64 {
    #[cfg(target_arch = "wasm32")]
    {
        js_sys::Date::now()
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        use std::sync::OnceLock;
        use std::time::Instant;
        static START: OnceLock<Instant> = OnceLock::new();
        START.get_or_init(Instant::now).elapsed().as_secs_f64() * 1e3
    }
}

thread_local! {
    static IN_INPUT: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    static PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Panics inside an input are recorded (message and place) instead of printed, so millions
/// of inputs do not flood the terminal; panics elsewhere print as usual.
fn install_panic_hook() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if IN_INPUT.with(std::cell::Cell::get) {
                let place = info
                    .location()
                    .map(|l| format!(" at {}:{}", l.file(), l.line()))
                    .unwrap_or_default();
                let message = info
                    .payload()
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| info.payload().downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "(no message)".into());
                PANIC.with(|p| *p.borrow_mut() = Some(format!("{message}{place}")));
                // In the browser a panic aborts instead of unwinding: report it as usual.
                #[cfg(target_arch = "wasm32")]
                previous(info);
            } else {
                previous(info);
            }
        }));
    });
}

/// Runs `input` through `target` once, counting its allocations and time, and judges it.
pub fn check(target: &Target, input: &[u8]) -> Outcome {
    install_panic_hook();
    let b = target.bound;
    IN_INPUT.with(|f| f.set(true));
    let start = now_ms();
    alloc::arm(b.hard_cap(input.len()));
    let result = catch_unwind(AssertUnwindSafe(|| (target.run)(input)));
    let usage = alloc::disarm();
    let millis = now_ms() - start;
    IN_INPUT.with(|f| f.set(false));
    let (class, mut failure) = match result {
        Ok(Ok(class)) => (class, None),
        Ok(Err(broken)) => (String::new(), Some(Failure::Invariant(broken))),
        Err(_) => {
            let message = PANIC
                .with(|p| p.borrow_mut().take())
                .unwrap_or_else(|| "(no message)".into());
            (String::new(), Some(Failure::Panic(message)))
        }
    };
    if failure.is_none() {
        let (single, live) = (b.single(input.len()), b.live(input.len()));
        failure = if usage.largest > single {
            Some(Failure::Single {
                bytes: usage.largest,
                bound: single,
            })
        } else if usage.peak_live > live {
            Some(Failure::Live {
                bytes: usage.peak_live,
                bound: live,
            })
        } else if millis > b.millis {
            Some(Failure::Slow {
                millis,
                bound: b.millis,
            })
        } else {
            None
        };
    }
    Outcome {
        class,
        usage,
        millis,
        failure,
    }
}

/// Like [`check`], but a time failure must repeat twice more to count: a shared machine
/// can pause any process for a while.
pub fn check_steady(target: &Target, input: &[u8]) -> Outcome {
    let first = check(target, input);
    if !matches!(first.failure, Some(Failure::Slow { .. })) {
        return first;
    }
    let mut last = first;
    for _ in 0..2 {
        last = check(target, input);
        if !matches!(last.failure, Some(Failure::Slow { .. })) {
            return last;
        }
    }
    last
}
