//! The memory tier of the company lookup: external id → Twenty id, valid for five minutes. The
//! store's mappings are the second tier and Twenty itself the third.

use std::collections::HashMap;
use std::time::Duration;

use tokio::time::Instant;

/// How long a company id learned from Twenty stays trusted in memory.
pub const COMPANY_CACHE_TTL: Duration = Duration::from_secs(5 * 60);

#[derive(Debug, Default)]
pub struct CompanyCache {
    entries: HashMap<String, (String, Instant)>,
}

impl CompanyCache {
    pub fn get(&self, external_id: &str) -> Option<&str> {
        self.entries
            .get(external_id)
            .filter(|(_, at)| at.elapsed() < COMPANY_CACHE_TTL)
            .map(|(id, _)| id.as_str())
    }

    pub fn insert(&mut self, external_id: String, twenty_id: String) {
        self.entries
            .insert(external_id, (twenty_id, Instant::now()));
    }

    pub fn forget(&mut self, external_id: &str) {
        self.entries.remove(external_id);
    }
}
