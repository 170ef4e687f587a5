//! The `polytope` binary as users script it: flags, exit codes, `--json` fields, `--out` files.

use std::process::Command;

fn polytope(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_polytope"))
        .args(args)
        .env("XDG_RUNTIME_DIR", std::env::temp_dir())
        .output()
        .expect("the binary runs")
}

fn json(out: &std::process::Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stdout is one JSON object")
}

#[test]
fn tms_json_has_the_documented_fields() {
    let out = polytope(&[
        "tms", "--preset", "intro", "--steps", "40", "--seed", "3", "--json",
    ]);
    let v = json(&out);
    for key in [
        "preset",
        "n_features",
        "n_hidden",
        "steps",
        "seed",
        "backend",
        "instances",
    ] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    assert_eq!(v["preset"], "intro");
    assert_eq!(v["steps"], 40);
    assert_eq!(v["seed"], 3);
    let instances = v["instances"].as_array().unwrap();
    assert_eq!(instances.len(), 10);
    for key in [
        "feature_probability",
        "importance",
        "loss",
        "norms",
        "superposition",
        "dimensionality",
        "dims_per_feature",
        "w",
        "b",
    ] {
        assert!(instances[0].get(key).is_some(), "instance misses {key}");
    }
    assert_eq!(instances[0]["w"].as_array().unwrap().len(), 2 * 5);
    assert!(instances[0]["loss"].as_f64().unwrap() > 0.0);
}

#[test]
fn tms_on_the_gpu_matches_the_cpu() {
    let args = [
        "tms", "--preset", "intro", "--steps", "30", "--json", "--batch", "128",
    ];
    let cpu = json(&polytope(&args));
    let gpu_out = polytope(&[&args[..], &["--backend", "gpu"]].concat());
    let gpu = json(&gpu_out);
    assert!(gpu["backend"].as_str().unwrap().starts_with("gpu"));
    let (a, b) = (&cpu["instances"][9]["w"], &gpu["instances"][9]["w"]);
    for (x, y) in a.as_array().unwrap().iter().zip(b.as_array().unwrap()) {
        assert!((x.as_f64().unwrap() - y.as_f64().unwrap()).abs() < 1e-4);
    }
}

#[test]
fn tms_out_writes_json_csv_and_every_figure() {
    let dir = std::env::temp_dir().join(format!("polytope-cli-test-{}", std::process::id()));
    let out = polytope(&[
        "tms",
        "--preset",
        "intro",
        "--steps",
        "20",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for file in [
        "report.json",
        "instances.csv",
        "loss.csv",
        "multiples.svg",
        "loss.svg",
        "dims-per-feature.svg",
        "vectors-9.svg",
        "wtw-0.svg",
        "norms-3.svg",
    ] {
        let text =
            std::fs::read_to_string(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        if std::path::Path::new(file)
            .extension()
            .is_some_and(|e| e == "svg")
        {
            assert!(
                text.starts_with("<svg") && text.trim_end().ends_with("</svg>"),
                "{file} is not SVG"
            );
        }
    }
    let csv = std::fs::read_to_string(dir.join("loss.csv")).unwrap();
    assert_eq!(
        csv.lines().count(),
        1 + 20 * 10,
        "a row per step and instance"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn bad_flags_exit_with_code_2_and_say_why() {
    let out = polytope(&["tms", "--m", "0", "--density", "2"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--m=\"0\"") && err.contains("--density=\"2\""),
        "{err}"
    );
    assert_eq!(polytope(&["tms", "--nope"]).status.code(), Some(2));
    assert_eq!(
        polytope(&["tms", "--preset", "nope"]).status.code(),
        Some(2)
    );
    assert_eq!(polytope(&["phase", "--n", "5"]).status.code(), Some(2));
}

/// The hardening drills: a sweep count that would allocate 4e9 instances is refused by the
/// parser at once, and a run too large for the native budget is refused before it allocates.
#[test]
fn absurd_sizes_exit_with_code_2_at_once() {
    let out = polytope(&["tms", "--density", "sweep:1:0.5:4000000000"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("4096"), "names the limit: {err}");
    let out = polytope(&[
        "tms",
        "--n",
        "4096",
        "--m",
        "64",
        "--density",
        "sweep:1:0.01:4096",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("native memory budget of 16.0 GiB"),
        "names the budget: {err}"
    );
}

#[test]
fn phase_json_has_cells_with_votes_and_regimes() {
    let out = polytope(&[
        "phase",
        "--n",
        "2",
        "--m",
        "1",
        "--resolution",
        "3",
        "--models",
        "3",
        "--steps",
        "200",
        "--json",
    ]);
    let v = json(&out);
    let cells = v["cells"].as_array().unwrap();
    assert_eq!(cells.len(), 9);
    for c in cells {
        assert!(c["density"].as_f64().unwrap() > 0.0);
        assert!(c["relative_importance"].as_f64().unwrap() > 0.0);
        assert_eq!(
            c["votes"].as_array().unwrap().len(),
            2,
            "3 models, the worst dropped"
        );
        let regime = c["regime"].as_str().unwrap();
        assert!(["not-learned", "dedicated", "superposition", "other"].contains(&regime));
    }
}

#[test]
fn sae_json_has_the_documented_fields_and_recovers_features() {
    let out = polytope(&[
        "sae",
        "--source",
        "synthetic",
        "--variant",
        "topk",
        "--d-in",
        "32",
        "--features",
        "64",
        "--d-sae",
        "256",
        "--k",
        "4",
        "--steps",
        "1500",
        "--json",
    ]);
    let v = json(&out);
    for key in [
        "variant",
        "d_in",
        "d_sae",
        "steps",
        "mse",
        "explained_variance",
        "l0",
        "dead_fraction",
        "mmcs",
        "mmcs_reverse",
        "density_histogram",
    ] {
        assert!(v.get(key).is_some(), "missing {key}: {v}");
    }
    assert_eq!(v["variant"], "topk");
    assert_eq!(v["d_in"], 32);
    assert_eq!(v["d_sae"], 256);
    assert_eq!(v["steps"], 1500);
    assert!(v["mmcs"].as_f64().unwrap() > 0.9, "{v}");
    assert!(v["l0"].as_f64().unwrap() <= 4.0 + 1e-6);
    let hist = &v["density_histogram"];
    let counts: u64 = hist["counts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_u64().unwrap())
        .sum();
    assert_eq!(counts + hist["dead"].as_u64().unwrap(), 256);
}

#[test]
fn sae_reads_an_activation_file_and_rejects_bad_ones() {
    use polytope_core::sae::{Dtype, write_activation_file};
    let dir = std::env::temp_dir().join(format!("polytope-cli-sae-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // 4000 rows of 8 values: sparse combinations of the 8 basis directions.
    let mut data = vec![0.0f32; 4000 * 8];
    for (r, row) in data.chunks_mut(8).enumerate() {
        row[r % 8] = 1.0 + (r % 5) as f32 * 0.1;
        row[(r * 3 + 1) % 8] += 0.5;
    }
    let good = dir.join("acts.bin");
    std::fs::write(
        &good,
        write_activation_file(8, &data, Dtype::F16, &serde_json::json!({"layer": "test"})),
    )
    .unwrap();
    let out = polytope(&[
        "sae",
        "--source",
        good.to_str().unwrap(),
        "--variant",
        "l1-2023",
        "--d-sae",
        "16",
        "--steps",
        "200",
        "--json",
    ]);
    let v = json(&out);
    assert_eq!(v["d_in"], 8);
    assert!(v["mmcs"].is_null(), "a file has no ground truth: {v}");
    assert!(v["explained_variance"].as_f64().unwrap() > 0.5, "{v}");

    let bad = dir.join("bad.bin");
    std::fs::write(&bad, b"POLYACT1 but truncated").unwrap();
    let out = polytope(&["sae", "--source", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("bad.bin"), "{stderr}");
    let out = polytope(&["sae", "--source", dir.join("missing.bin").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let out = polytope(&["sae", "--source", good.to_str().unwrap(), "--d-in", "4"]);
    assert_eq!(out.status.code(), Some(2));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn sae_bad_flags_exit_with_code_2_and_say_why() {
    for (args, needle) in [
        (vec!["sae", "--variant", "relu"], "--variant"),
        (vec!["sae", "--d-sae", "0"], "--d-sae"),
        (vec!["sae", "--k", "300", "--d-sae", "64"], "--k"),
        (vec!["sae", "--l1", "nan"], "--l1"),
        (vec!["sae", "--backend", "tpu"], "tpu"),
    ] {
        let out = polytope(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
    }
}

/// The same SAE run on both backends gives the same report (the kernels' parity tests hold
/// every weight to 1e-4 after 100 steps; the held-out numbers agree to 1e-3).
#[test]
fn sae_on_the_gpu_matches_the_cpu() {
    let args = [
        "sae",
        "--variant",
        "l1-2023",
        "--d-in",
        "16",
        "--features",
        "32",
        "--d-sae",
        "64",
        "--batch",
        "64",
        "--steps",
        "30",
        "--json",
    ];
    let cpu = json(&polytope(&args));
    let gpu = json(&polytope(&[&args[..], &["--backend", "gpu"]].concat()));
    assert!(gpu["backend"].as_str().unwrap().starts_with("gpu"), "{gpu}");
    for key in ["mse", "explained_variance", "l0", "mmcs", "mmcs_reverse"] {
        let (a, b) = (cpu[key].as_f64().unwrap(), gpu[key].as_f64().unwrap());
        assert!(
            (a - b).abs() <= 1e-3 * a.abs().max(1.0),
            "{key}: cpu {a} gpu {b}"
        );
    }
    assert_eq!(cpu["density_histogram"], gpu["density_histogram"]);
}
