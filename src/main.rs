//! Mounts the app; everything else lives in the library so tests can import it.

fn main() {
    console_error_panic_hook::set_once();
    polytope_app::start();
}
