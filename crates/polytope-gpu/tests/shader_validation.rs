//! Every WGSL source parses and validates with naga (no GPU needed), and every `.wgsl` file in
//! `src/` belongs to at least one shader module, so a new file cannot escape this test.

#![cfg(not(target_arch = "wasm32"))]

use std::collections::BTreeSet;

use polytope_gpu::shaders::ALL;

#[test]
fn every_shader_validates() {
    let mut failures = Vec::new();
    for shader in ALL {
        let source = (shader.source)();
        match naga::front::wgsl::parse_str(&source) {
            Err(e) => failures.push(format!("{}: {}", shader.name, e.emit_to_string(&source))),
            Ok(module) => {
                let mut validator = naga::valid::Validator::new(
                    naga::valid::ValidationFlags::all(),
                    naga::valid::Capabilities::empty(),
                );
                if let Err(e) = validator.validate(&module) {
                    failures.push(format!("{}: {}", shader.name, e.emit_to_string(&source)));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "invalid shaders:\n{}",
        failures.join("\n")
    );
}

#[test]
fn every_wgsl_file_is_used() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
    let on_disk: BTreeSet<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "wgsl"))
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    let used: BTreeSet<String> = ALL
        .iter()
        .flat_map(|s| s.files.iter().map(|f| (*f).to_owned()))
        .collect();
    assert!(!on_disk.is_empty());
    let unused: Vec<_> = on_disk.difference(&used).collect();
    assert!(
        unused.is_empty(),
        "WGSL files not in shaders::ALL: {unused:?}"
    );
    // And every kernel has its .rs beside its .wgsl.
    for shader in ALL {
        let rs = format!("{dir}/{}.rs", shader.name);
        assert!(std::path::Path::new(&rs).exists(), "missing {rs}");
    }
}
