//! How many records go in one request, as pure functions: the size in force ([`BatchLimit`]: the
//! setting, a number or `auto`, capped by the largest batch the server is known to take), what a
//! refusal says of that largest batch (Twenty names it: `Maximum number of records to upsert is
//! 200.`; a 413 is halved), and how records are grouped so that each lookup fits one URL.

use crate::config::BatchSize;
use crate::twenty::{wire, ErrorKind, TwentyError};

/// The size of batches: the setting, capped by what the server is known to take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchLimit {
    configured: BatchSize,
    /// The largest batch the server accepts, when learned (remembered per server).
    learned: Option<u32>,
}

impl BatchLimit {
    pub fn new(configured: BatchSize, learned: Option<u32>) -> BatchLimit {
        BatchLimit {
            configured,
            learned,
        }
    }

    /// Records per request: `auto` starts at [`BatchSize::MAX`]; a number forces the size; both
    /// stay within what the server was seen to take; never below 1.
    pub fn size(&self) -> usize {
        let cap = self.learned.unwrap_or(BatchSize::MAX).max(1);
        let wanted = match self.configured {
            BatchSize::Auto => BatchSize::MAX,
            BatchSize::Fixed(n) => n,
        };
        wanted.min(cap).max(1) as usize
    }

    /// The largest batch the server is known to take, if learned.
    pub fn learned(&self) -> Option<u32> {
        self.learned
    }

    /// From now on at most `largest` records per request.
    pub fn learn(&mut self, largest: usize) {
        let largest = u32::try_from(largest).unwrap_or(u32::MAX).max(1);
        self.learned = Some(self.learned.map_or(largest, |known| known.min(largest)));
    }
}

/// The most records Twenty's refusal says a batch may hold: the number in `Maximum number of
/// records to upsert is 200.`.
pub fn named_maximum(message: &str) -> Option<u32> {
    let lower = message.to_ascii_lowercase();
    let at = lower.find("maximum number of records")?;
    lower[at..]
        .split(|c: char| !c.is_ascii_digit())
        .find(|part| !part.is_empty())
        .and_then(|digits| digits.parse().ok())
        .filter(|n| *n > 0)
}

/// When `error` refuses a batch of `sent` records for its size: the size to use instead (the
/// maximum Twenty names, else half the batch for a 413), never below 1. `None` when the refusal
/// is about something else, or names a maximum the batch already kept to.
pub fn accepted_size(error: &TwentyError, sent: usize) -> Option<usize> {
    if let Some(max) = error.server_message().and_then(named_maximum) {
        let max = max as usize;
        return (max < sent).then_some(max);
    }
    let too_large = error.status() == Some(413) && error.kind() == ErrorKind::Validation;
    (too_large && sent > 1).then_some(sent / 2)
}

/// `items` grouped in order, at most `max_items` per group and at most
/// [`wire::MAX_LOOKUP_URL_BYTES`] per lookup: `base` is the length of a lookup with empty lists,
/// `cost` the length an item adds to it.
pub fn within_url<T>(
    items: Vec<T>,
    max_items: usize,
    base: usize,
    cost: impl Fn(&T) -> usize,
) -> Vec<Vec<T>> {
    let max_items = max_items.max(1);
    let mut groups: Vec<Vec<T>> = Vec::new();
    let mut current: Vec<T> = Vec::new();
    let mut length = base;
    for item in items {
        let adds = cost(&item);
        if !current.is_empty()
            && (current.len() >= max_items || length + adds > wire::MAX_LOOKUP_URL_BYTES)
        {
            groups.push(std::mem::take(&mut current));
            length = base;
        }
        length += adds;
        current.push(item);
    }
    if !current.is_empty() {
        groups.push(current);
    }
    groups
}

#[cfg(test)]
mod tests;
