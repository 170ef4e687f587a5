//! `polytope-fuzz`: runs one fuzz target for a time or a count.
//!
//! ```text
//! cargo run --release -p polytope-fuzz -- --target NAME [--seconds N] [--count N] [--seed S]
//!                                       [--corpus DIR] [--data DIR] [--no-save]
//! cargo run --release -p polytope-fuzz -- --list
//! cargo run --release -p polytope-fuzz -- --target NAME --run FILE
//! cargo run --release -p polytope-fuzz -- --target NAME --minimise FILE
//! cargo run --release -p polytope-fuzz -- --replay
//! cargo run --release -p polytope-fuzz -- --write-seeds
//! ```
//!
//! With both `--seconds` and `--count`, whichever is reached first stops the run.

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    std::process::exit(native::main());
}

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use std::path::PathBuf;

    use polytope_fuzz::check::Bound;
    use polytope_fuzz::driver::{self, Limit, Options};
    use polytope_fuzz::targets;

    const USAGE: &str = "usage: polytope-fuzz --target NAME [--seconds N] [--count N] [--seed S] \
                         [--corpus DIR] [--data DIR] [--no-save]\n       polytope-fuzz --list\n       \
                         polytope-fuzz --target NAME --run FILE | --minimise FILE\n       \
                         polytope-fuzz --replay | --write-seeds";

    fn fail(message: &str) -> i32 {
        eprintln!("polytope-fuzz: {message}\n{USAGE}");
        2
    }

    /// Writes three generated valid inputs per target, and the small shipped files, into
    /// the corpus as seeds.
    fn write_seeds(corpus: &std::path::Path, data: Option<&std::path::Path>) {
        for t in targets::ALL {
            let dir = corpus.join(t.name);
            for k in 0..3 {
                let input = (t.generate)(&mut polytope_fuzz::mutation::Rng::new(7, k));
                match driver::save(&dir, "seed", t.ext, &input) {
                    Ok(p) => println!("{}", p.display()),
                    Err(e) => eprintln!("{}: {e}", dir.display()),
                }
            }
            for path in t.data_seeds {
                let Some(bytes) = data.and_then(|d| std::fs::read(d.join(path)).ok()) else {
                    continue;
                };
                if bytes.len() <= 20 << 10 {
                    let name = path.replace('/', "-");
                    let to = dir.join(format!("shipped-{name}"));
                    match std::fs::write(&to, bytes) {
                        Ok(()) => println!("{}", to.display()),
                        Err(e) => eprintln!("{}: {e}", to.display()),
                    }
                }
            }
        }
    }

    pub fn main() -> i32 {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let mut target = None;
        let mut limit = None;
        let mut seed = 1u32;
        let mut corpus = root.join("corpus");
        let mut data = Some(root.join("../../public/data"));
        let mut save = true;
        let mut run = None;
        let mut minimise = None;
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
            let parsed: Result<(), String> = (|| {
                match arg.as_str() {
                    "--target" => target = Some(value("--target")?),
                    "--seconds" => {
                        let v: f64 = value("--seconds")?
                            .parse()
                            .map_err(|_| "--seconds takes a number")?;
                        limit = Some(match limit {
                            Some(Limit::Count(c) | Limit::Either(_, c)) => Limit::Either(v, c),
                            _ => Limit::Seconds(v),
                        });
                    }
                    "--count" => {
                        let v: u64 = value("--count")?
                            .parse()
                            .map_err(|_| "--count takes a whole number")?;
                        limit = Some(match limit {
                            Some(Limit::Seconds(t) | Limit::Either(t, _)) => Limit::Either(t, v),
                            _ => Limit::Count(v),
                        });
                    }
                    "--seed" => {
                        seed = value("--seed")?
                            .parse()
                            .map_err(|_| "--seed takes a whole number")?;
                    }
                    "--corpus" => corpus = PathBuf::from(value("--corpus")?),
                    "--data" => data = Some(PathBuf::from(value("--data")?)),
                    "--no-save" => save = false,
                    "--run" => run = Some(PathBuf::from(value("--run")?)),
                    "--minimise" => minimise = Some(PathBuf::from(value("--minimise")?)),
                    "--list" => {
                        for t in targets::ALL {
                            let b = t.bound;
                            println!(
                                "{:<14} {}\n{:<14} one allocation <= {}, live <= {}, {} ms per \
                                 input, inputs <= {} KiB",
                                t.name,
                                t.about,
                                "",
                                Bound::describe(b.single_fixed, b.single_per_byte),
                                Bound::describe(b.live_fixed, b.live_per_byte),
                                b.millis,
                                t.max_len >> 10
                            );
                        }
                        std::process::exit(0);
                    }
                    "--replay" => {
                        let r = polytope_fuzz::corpus::replay();
                        println!(
                            "replayed {} saved inputs in {:.0} ms, {} failures",
                            r.inputs,
                            r.millis,
                            r.failures.len()
                        );
                        for f in &r.failures {
                            println!("  {f}");
                        }
                        std::process::exit(i32::from(!r.failures.is_empty()));
                    }
                    "--write-seeds" => {
                        write_seeds(&corpus, data.as_deref());
                        std::process::exit(0);
                    }
                    "--help" | "-h" => {
                        println!("{USAGE}");
                        std::process::exit(0);
                    }
                    other => return Err(format!("unknown argument {other:?}")),
                }
                Ok(())
            })();
            if let Err(e) = parsed {
                return fail(&e);
            }
        }
        let Some(name) = target else {
            return fail("--target is required");
        };
        let Some(target) = targets::find(&name) else {
            let names: Vec<&str> = targets::ALL.iter().map(|t| t.name).collect();
            return fail(&format!(
                "no target {name:?}; choose one of {}",
                names.join(", ")
            ));
        };
        if let Some(path) = run {
            return match std::fs::read(&path) {
                Ok(bytes) => i32::from(!driver::run_file(target, &bytes)),
                Err(e) => fail(&format!("{}: {e}", path.display())),
            };
        }
        if let Some(path) = minimise {
            return match driver::minimise_file(target, &path) {
                Ok(Some(new)) => {
                    println!("{}", new.display());
                    0
                }
                Ok(None) => {
                    println!("{}: does not fail", path.display());
                    0
                }
                Err(e) => fail(&format!("{}: {e}", path.display())),
            };
        }
        let Some(limit) = limit else {
            return fail("give --seconds N or --count N");
        };
        let opts = Options {
            target,
            limit,
            seed,
            corpus,
            data: data.filter(|d| d.is_dir()),
            save,
        };
        let s = driver::fuzz(&opts);
        let b = target.bound;
        println!("target         {}", target.name);
        println!("executions     {}", s.executions);
        println!("seconds        {:.1}", s.seconds);
        println!(
            "execs/s        {:.0}",
            s.executions as f64 / s.seconds.max(1e-9)
        );
        println!("failures       {} ({} saved)", s.failures, s.saved.len());
        println!(
            "largest alloc  {} bytes, {:.1}% of its bound ({})",
            s.max_single,
            s.max_single_share * 100.0,
            Bound::describe(b.single_fixed, b.single_per_byte)
        );
        println!(
            "peak live      {} bytes, {:.1}% of its bound ({})",
            s.max_live,
            s.max_live_share * 100.0,
            Bound::describe(b.live_fixed, b.live_per_byte)
        );
        println!(
            "slowest input  {:.2} ms ({:.1}% of {} ms)",
            s.max_millis,
            s.max_millis_share * 100.0,
            b.millis
        );
        println!("largest input  {} bytes", s.largest_input);
        println!("outcome kinds  {} (pool {})", s.classes, s.pool);
        for (kind, path) in &s.saved {
            println!("saved          {kind}: {}", path.display());
        }
        i32::from(s.failures > 0)
    }
}
