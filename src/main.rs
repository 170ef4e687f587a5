//! Mounts the app; everything else lives in the library so tests can import it.

fn main() {
    // Installs the panic hook (the crash card) before anything else runs.
    polytope_app::start();
}
