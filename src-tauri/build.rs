//! Build script: lets `tauri-build` read tauri.conf.json and the capabilities (GUI builds only).

fn main() {
    #[cfg(feature = "gui")]
    tauri_build::build();
}
