//! A counting global allocator: while a thread is *armed* (one fuzz input is being parsed on
//! it), every allocation it makes is counted, so the harness can fail an input whose parser
//! allocates more than its stated bound in one piece or in total.
//!
//! The counters are thread-local, so `cargo test`'s parallel test threads do not disturb each
//! other, and a thread that is not armed pays one thread-local read per allocation. A single
//! request above the hard cap (a parser about to allocate gigabytes from a length field) is
//! not attempted: the abort hook saves the input, then the process aborts, because an
//! allocator may neither unwind nor report failure in a way stable Rust can recover from.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::Write as _;
use std::sync::OnceLock;

/// The allocator itself; installed by `lib.rs` for every binary that links the harness.
pub struct CountingAlloc;

/// What one armed stretch allocated.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    /// The largest single request (an allocation, or a reallocation's new size), in bytes.
    pub largest: usize,
    /// The peak of bytes allocated minus bytes freed since arming.
    pub peak_live: usize,
    /// Number of allocations and reallocations.
    pub allocations: u64,
}

#[derive(Clone, Copy)]
struct State {
    armed: bool,
    hard_cap: usize,
    live: i64,
    peak: i64,
    largest: usize,
    allocations: u64,
}

impl State {
    const IDLE: Self = Self {
        armed: false,
        hard_cap: usize::MAX,
        live: 0,
        peak: 0,
        largest: 0,
        allocations: 0,
    };
}

thread_local! {
    // Const-initialised and without a destructor: reading it never allocates, which is what
    // makes it usable from inside the allocator.
    static STATE: Cell<State> = const { Cell::new(State::IDLE) };
}

/// Called (with the requested size, counting already stopped) before the process aborts on a
/// request above the hard cap; the fuzz driver saves the input there.
static ABORT_HOOK: OnceLock<fn(usize)> = OnceLock::new();

/// Sets the function run before aborting on a request above the hard cap (first call wins).
pub fn set_abort_hook(hook: fn(usize)) {
    let _ = ABORT_HOOK.set(hook);
}

/// Starts counting this thread's allocations from zero. A single request above `hard_cap`
/// bytes aborts the process.
pub fn arm(hard_cap: usize) {
    STATE.with(|s| {
        s.set(State {
            armed: true,
            hard_cap,
            ..State::IDLE
        });
    });
}

/// Stops counting and returns what was allocated since [`arm`].
pub fn disarm() -> Usage {
    STATE.with(|s| {
        let st = s.get();
        s.set(State::IDLE);
        Usage {
            largest: st.largest,
            peak_live: usize::try_from(st.peak.max(0)).unwrap_or(usize::MAX),
            allocations: st.allocations,
        }
    })
}

fn record(size: usize, freed: usize) {
    let _ = STATE.try_with(|s| {
        let mut st = s.get();
        if !st.armed {
            return;
        }
        if size > st.hard_cap {
            s.set(State::IDLE);
            over_hard_cap(size, st.hard_cap);
        }
        st.largest = st.largest.max(size);
        st.live += i64::try_from(size).unwrap_or(i64::MAX) - i64::try_from(freed).unwrap_or(0);
        st.peak = st.peak.max(st.live);
        st.allocations += 1;
        s.set(st);
    });
}

fn release(size: usize) {
    let _ = STATE.try_with(|s| {
        let mut st = s.get();
        if st.armed {
            st.live -= i64::try_from(size).unwrap_or(0);
            s.set(st);
        }
    });
}

fn over_hard_cap(size: usize, cap: usize) -> ! {
    // Counting is off again, so the hook and the message may allocate.
    if let Some(hook) = ABORT_HOOK.get() {
        hook(size);
    }
    let _ = writeln!(
        std::io::stderr(),
        "polytope-fuzz: a parser asked for {size} bytes in one allocation (hard cap {cap}); \
         aborting"
    );
    std::process::abort();
}

// The one place the harness needs `unsafe`: a `GlobalAlloc` implementation is unsafe by
// definition. Each method forwards the caller's pointer and layout unchanged to the system
// allocator and only updates the thread-local counters around it.
#[allow(unsafe_code)]
// SAFETY: every method delegates to `System` with exactly the arguments it received, so the
// `GlobalAlloc` contract holds as it does for `System`; the counting never touches memory.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        record(layout.size(), 0);
        // SAFETY: forwarded unchanged (see the impl).
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        record(layout.size(), 0);
        // SAFETY: forwarded unchanged (see the impl).
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        release(layout.size());
        // SAFETY: forwarded unchanged (see the impl).
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        record(new_size, layout.size());
        // SAFETY: forwarded unchanged (see the impl).
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Runs `f` without counting its allocations: a target's checks of what its parser returned
/// (re-encoding, reading back) are not the parser's to pay for.
pub fn unmeasured<R>(f: impl FnOnce() -> R) -> R {
    struct Restore(State);
    impl Drop for Restore {
        fn drop(&mut self) {
            let saved = self.0;
            STATE.with(|s| s.set(saved));
        }
    }
    let _restore = Restore(STATE.with(|s| s.replace(State::IDLE)));
    f()
}
