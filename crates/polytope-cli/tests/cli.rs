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
