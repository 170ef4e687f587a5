//! The fuzz loop (native only): generates inputs for one target, runs each under the counting
//! allocator and the time bound, and minimises and saves what fails into the corpus.
//!
//! Input `i` of a run is built from the run's seed and `i` with [`Rng::new`], from the pool:
//! the saved corpus, the shipped files and generated valid inputs, plus every input that gave
//! a new class of outcome (a new error kind), a cheap stand-in for coverage feedback.
//!
//! Two failures cannot be caught in-process: a single allocation above the hard cap and an
//! input that hangs. For those the input is saved first (by the allocator's abort hook or by
//! a watchdog thread), and the process exits with code 3 or 4; `--minimise FILE` then
//! shrinks it by running candidates in child processes.

use std::collections::HashSet;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use polytope_core::dict::fnv1a64;

use crate::check::{Target, check_steady, now_ms};
use crate::explore::{self, make_input};
use crate::mutation::Rng;
use crate::{alloc, targets};

/// Exit code after an allocation above the hard cap.
pub const EXIT_ALLOCATION: i32 = 3;
/// Exit code after an input that ran past the hang limit.
pub const EXIT_HUNG: i32 = 4;

/// How long a run lasts.
#[derive(Clone, Copy, Debug)]
pub enum Limit {
    Seconds(f64),
    Count(u64),
    /// Whichever comes first.
    Either(f64, u64),
}

pub struct Options {
    pub target: &'static Target,
    pub limit: Limit,
    pub seed: u32,
    /// The corpus root (`corpus/`): seeds are read from and failures saved to `ROOT/TARGET/`.
    pub corpus: PathBuf,
    /// `public/data`, whose shipped files seed the dictionary and model targets.
    pub data: Option<PathBuf>,
    /// Whether failing inputs are minimised and saved.
    pub save: bool,
}

/// What a run did.
#[derive(Debug, Default)]
pub struct Summary {
    pub executions: u64,
    pub seconds: f64,
    /// Failing inputs (each distinct kind is minimised and saved once).
    pub failures: u64,
    pub saved: Vec<(String, PathBuf)>,
    pub pool: usize,
    pub classes: usize,
    pub largest_input: usize,
    /// The largest single allocation, the highest peak of live bytes and the slowest input.
    pub max_single: usize,
    pub max_live: usize,
    pub max_millis: f64,
    /// The same, as a fraction of the bound at that input (1 = at the bound).
    pub max_single_share: f64,
    pub max_live_share: f64,
    pub max_millis_share: f64,
}

/// The input being run, for the abort hook and the watchdog.
static CURRENT: Mutex<Vec<u8>> = Mutex::new(Vec::new());
/// `f64` bits of the current input's start time in ms, 0 between inputs.
static STARTED: AtomicU64 = AtomicU64::new(0);
/// Where an input that aborts is saved (`corpus/TARGET`, extension), when saving.
static ABORT_DIR: OnceLock<(PathBuf, &'static str)> = OnceLock::new();
/// A hung input is killed after this many ms.
static HANG_MS: AtomicU64 = AtomicU64::new(u64::MAX);

fn save_current(why: &str) {
    let bytes = CURRENT.lock().map(|c| c.clone()).unwrap_or_default();
    let mut err = std::io::stderr();
    match ABORT_DIR.get() {
        Some((dir, ext)) => match save(dir, "crash", ext, &bytes) {
            Ok(path) => {
                let _ = writeln!(
                    err,
                    "polytope-fuzz: {why}; input saved to {} (shrink it with --minimise)",
                    path.display()
                );
            }
            Err(e) => {
                let _ = writeln!(err, "polytope-fuzz: {why}; could not save the input: {e}");
            }
        },
        None => {
            let _ = writeln!(err, "polytope-fuzz: {why}");
        }
    }
}

fn on_hard_cap(size: usize) {
    save_current(&format!(
        "an input asked for {size} bytes in one allocation (above the hard cap)"
    ));
    std::process::exit(EXIT_ALLOCATION);
}

fn start_watchdog() {
    static STARTED_ONCE: OnceLock<()> = OnceLock::new();
    STARTED_ONCE.get_or_init(|| {
        alloc::set_abort_hook(on_hard_cap);
        std::thread::spawn(|| {
            loop {
                std::thread::sleep(Duration::from_millis(200));
                let started = f64::from_bits(STARTED.load(Ordering::Relaxed));
                let limit = HANG_MS.load(Ordering::Relaxed) as f64;
                if started > 0.0 && now_ms() - started > limit {
                    save_current(&format!("an input ran for more than {limit} ms"));
                    std::process::exit(EXIT_HUNG);
                }
            }
        });
    });
}

/// Runs one input with the abort hook and the watchdog watching it.
fn guarded(target: &Target, input: &[u8]) -> crate::Outcome {
    if let Ok(mut c) = CURRENT.lock() {
        c.clear();
        c.extend_from_slice(input);
    }
    STARTED.store(now_ms().max(1e-3).to_bits(), Ordering::Relaxed);
    let outcome = check_steady(target, input);
    STARTED.store(0, Ordering::Relaxed);
    outcome
}

/// Saves `bytes` as `dir/PREFIX-CHECKSUM.EXT` and returns the path.
pub fn save(dir: &Path, prefix: &str, ext: &str, bytes: &[u8]) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join(format!("{prefix}-{:016x}.{ext}", fnv1a64(bytes)));
    std::fs::write(&path, bytes)?;
    Ok(path)
}

/// Shrinks `input` while `fails` stays true: removes halves, quarters, ... down to single
/// bytes, keeping every removal after which the input still fails the same way.
pub fn minimise(input: &[u8], mut fails: impl FnMut(&[u8]) -> bool, budget: usize) -> Vec<u8> {
    let mut cur = input.to_vec();
    let mut runs = 0;
    let mut chunk = cur.len().div_ceil(2).max(1);
    loop {
        let mut i = 0;
        while i < cur.len() && runs < budget {
            let end = (i + chunk).min(cur.len());
            let mut candidate = Vec::with_capacity(cur.len() - (end - i));
            candidate.extend_from_slice(&cur[..i]);
            candidate.extend_from_slice(&cur[end..]);
            runs += 1;
            if fails(&candidate) {
                cur = candidate;
            } else {
                i += chunk;
            }
        }
        if chunk == 1 || runs >= budget {
            return cur;
        }
        chunk = chunk.div_ceil(2);
    }
}

fn seeds(opts: &Options) -> Vec<Vec<u8>> {
    let t = opts.target;
    let mut pool = Vec::new();
    if let Ok(dir) = std::fs::read_dir(opts.corpus.join(t.name)) {
        let mut files: Vec<PathBuf> = dir.flatten().map(|e| e.path()).collect();
        files.sort();
        pool.extend(files.iter().filter_map(|p| std::fs::read(p).ok()));
    }
    if let Some(data) = &opts.data {
        pool.extend(
            t.data_seeds
                .iter()
                .filter_map(|p| std::fs::read(data.join(p)).ok()),
        );
    }
    pool.extend(explore::generated_seeds(t, opts.seed));
    pool
}

/// Runs the fuzz loop; prints progress to stderr every 10 seconds.
pub fn fuzz(opts: &Options) -> Summary {
    let t = opts.target;
    targets::warm_up();
    start_watchdog();
    HANG_MS.store(
        (t.bound.millis * 20.0).max(10_000.0) as u64,
        Ordering::Relaxed,
    );
    if opts.save {
        let _ = ABORT_DIR.set((opts.corpus.join(t.name), t.ext));
    }
    let mut pool = seeds(opts);
    let fixed = pool.len();
    let mut classes = HashSet::new();
    let mut kinds = HashSet::new();
    let mut s = Summary::default();
    let start = now_ms();
    let mut last_report = start;
    let mut index: u32 = 0;
    loop {
        let elapsed = (now_ms() - start) / 1e3;
        let done = match opts.limit {
            Limit::Seconds(limit) => elapsed >= limit,
            Limit::Count(limit) => s.executions >= limit,
            Limit::Either(seconds, count) => elapsed >= seconds || s.executions >= count,
        };
        if done {
            break;
        }
        let input = make_input(t, opts.seed, index, &pool);
        index = index.wrapping_add(1);
        let out = guarded(t, &input);
        s.executions += 1;
        let len = input.len();
        s.largest_input = s.largest_input.max(len);
        s.max_single = s.max_single.max(out.usage.largest);
        s.max_live = s.max_live.max(out.usage.peak_live);
        s.max_millis = s.max_millis.max(out.millis);
        let b = t.bound;
        s.max_single_share = s
            .max_single_share
            .max(out.usage.largest as f64 / b.single(len) as f64);
        s.max_live_share = s
            .max_live_share
            .max(out.usage.peak_live as f64 / b.live(len) as f64);
        s.max_millis_share = s.max_millis_share.max(out.millis / b.millis);
        if let Some(failure) = out.failure {
            s.failures += 1;
            let kind = failure.kind();
            if kinds.insert(kind.clone()) {
                eprintln!("[{}] input {} {failure}", t.name, index - 1);
                if opts.save {
                    let small = minimise(
                        &input,
                        |c| guarded(t, c).failure.is_some_and(|f| f.kind() == kind),
                        4000,
                    );
                    match save(&opts.corpus.join(t.name), "crash", t.ext, &small) {
                        Ok(path) => {
                            eprintln!(
                                "[{}] minimised to {} bytes: {}",
                                t.name,
                                small.len(),
                                path.display()
                            );
                            s.saved.push((kind, path));
                        }
                        Err(e) => eprintln!("[{}] could not save: {e}", t.name),
                    }
                }
            }
        } else if classes.insert(out.class) {
            if pool.len() < fixed + 1024 {
                pool.push(input);
            } else {
                let mut rng = Rng::new(opts.seed ^ 0x0C1A_55E5, index);
                let at = fixed + rng.below(pool.len() - fixed);
                pool[at] = input;
            }
        }
        if now_ms() - last_report > 10_000.0 {
            last_report = now_ms();
            let secs = (last_report - start) / 1e3;
            eprintln!(
                "[{}] {} executions, {:.0}/s, {} failures, {} classes",
                t.name,
                s.executions,
                s.executions as f64 / secs,
                s.failures,
                classes.len()
            );
        }
    }
    s.seconds = (now_ms() - start) / 1e3;
    s.pool = pool.len();
    s.classes = classes.len();
    s
}

/// What running one file in a child process gave: `None` if it passed, else the kind of
/// failure (`"abort: ..."` when the child exited on the hard cap or the hang limit).
pub fn run_in_child(target: &Target, path: &Path) -> Option<String> {
    let exe = std::env::current_exe().ok()?;
    let out = Command::new(exe)
        .args(["--target", target.name, "--run"])
        .arg(path)
        .output()
        .ok()?;
    match out.status.code() {
        Some(0) => None,
        Some(1) => Some(
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .find_map(|l| l.strip_prefix("kind: "))
                .unwrap_or("failure")
                .to_owned(),
        ),
        Some(EXIT_ALLOCATION) => Some("abort: allocation above the hard cap".into()),
        Some(EXIT_HUNG) => Some("abort: hung".into()),
        other => Some(format!("abort: exit {other:?}")),
    }
}

/// Runs one file in this process (what `--run` does): prints the outcome, returns whether it
/// passed. The abort hook and watchdog exit with their codes.
pub fn run_file(target: &Target, bytes: &[u8]) -> bool {
    targets::warm_up();
    start_watchdog();
    HANG_MS.store(
        (target.bound.millis * 20.0).max(10_000.0) as u64,
        Ordering::Relaxed,
    );
    let out = guarded(target, bytes);
    let len = bytes.len();
    println!("bytes: {len}");
    println!("class: {}", out.class);
    println!(
        "largest allocation: {} (bound {})",
        out.usage.largest,
        target.bound.single(len)
    );
    println!(
        "peak live: {} (bound {})",
        out.usage.peak_live,
        target.bound.live(len)
    );
    println!(
        "time: {:.2} ms (bound {} ms)",
        out.millis, target.bound.millis
    );
    match out.failure {
        None => true,
        Some(f) => {
            println!("failure: {f}");
            println!("kind: {}", f.kind());
            false
        }
    }
}

/// Shrinks a saved failing file by running candidates in child processes (so inputs that
/// abort can be shrunk too), saves the result next to it as `crash-CHECKSUM.EXT` and removes
/// the original. Returns the new path, or `None` if the file does not fail.
pub fn minimise_file(target: &Target, path: &Path) -> std::io::Result<Option<PathBuf>> {
    let bytes = std::fs::read(path)?;
    let Some(kind) = run_in_child(target, path) else {
        return Ok(None);
    };
    eprintln!("[{}] {}: {kind}", target.name, path.display());
    let scratch = std::env::temp_dir().join(format!("polytope-fuzz-{}.tmp", std::process::id()));
    let small = minimise(
        &bytes,
        |c| {
            std::fs::write(&scratch, c).is_ok()
                && run_in_child(target, &scratch).as_deref() == Some(kind.as_str())
        },
        2000,
    );
    let _ = std::fs::remove_file(&scratch);
    let dir = path.parent().unwrap_or(Path::new("."));
    let new = save(dir, "crash", target.ext, &small)?;
    if new != path {
        std::fs::remove_file(path)?;
    }
    Ok(Some(new))
}
