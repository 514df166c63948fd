//! Binary entry point of the Twenty Sync desktop app; everything else lives in the library.

// Release builds on Windows get no console window.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    twenty_sync_desktop::run();
}
