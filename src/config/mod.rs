//! Settings: what the agent needs to know (where Twenty is, the key, the sync mode, limits), where
//! each value came from, and the validation every source goes through.

pub mod settings;

pub use settings::{ConfigError, Secret, Settings, SyncMode};

#[cfg(test)]
mod tests;
