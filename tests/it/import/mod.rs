//! Integration tests of imports: the real `twenty-sync import` binary on every bad input of the
//! drop-folder issue (`command`), and the drop-folder watcher (through the library, as `run`
//! calls it) on real folders (`drop_folder`), including folders that already hold the
//! person's other files (`foreign_files`). Each case checks the message is clear, nothing is
//! lost and the agent keeps going. Waits are bounded polls, never long sleeps.
//!
//! Imports that explain themselves, with the real binary and a running `twenty-sync run`: the
//! truth of a dry run (`dry_run`); warnings, resumed imports and each file's outcome in Twenty
//! (`explained`); `import` beside a running agent, the same as without one, and its progress
//! on a terminal (`agent_door`); columns mapped to any field of the workspace, to the records in
//! Twenty (`fields`). `running` holds what they share.

mod agent_door;
mod command;
mod drop_folder;
mod dry_run;
mod explained;
mod fields;
mod foreign_files;
mod running;
