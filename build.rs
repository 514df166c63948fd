//! Build script: rebuilds the binary when a file of the embedded web UI (`ui/`) changes.

fn main() {
    println!("cargo:rerun-if-changed=ui");
    println!("cargo:rerun-if-changed=build.rs");
}
