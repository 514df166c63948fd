//! Integration tests of imports: the real `twenty-sync import` binary on every bad input of the
//! drop-folder issue (`command`), and the drop-folder watcher (through the library, as `run`
//! calls it) on real folders (`drop_folder`), including folders that already hold the
//! person's other files (`foreign_files`). Each case checks the message is clear, nothing is
//! lost and the agent keeps going. Waits are bounded polls, never long sleeps.

mod command;
mod drop_folder;
mod foreign_files;
