//! The engine-facing glue of the request benchmark, in one place: the strategies compared, and
//! [`connect_engine`], the one function that builds the engine as the product does (settings →
//! `Upstream::connect` → `prepare`), plus the loop that pushes until nothing is pending. After an
//! engine change, adapt [`connect_engine`] (and only it, unless `push_round` changes).

use std::time::Duration;

use fake_twenty::FakeTwenty;
use twenty_sync::config::{BatchSize, MatchExisting, Secret, Settings, SyncMode};
use twenty_sync::engine::{Pusher, Upstream, UpstreamError};
use twenty_sync::store::Store;
use twenty_sync::twenty::RequestBudget;

/// What is measured side by side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// The engine as it is on this branch, with the product's default settings.
    ThisEngine,
    /// The engine forced into today's lookup-then-create, 60 records a batch: the workspace's
    /// `externalId` field is made non-unique on the fake (so no create can prove absence) and
    /// `batch_size` is 60.
    LookupCreate,
    /// The original integration: per record a lookup, then a create or an update
    /// (see `original.rs`).
    PerRecord,
}

impl Strategy {
    pub const ALL: [Strategy; 3] = [
        Strategy::ThisEngine,
        Strategy::LookupCreate,
        Strategy::PerRecord,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Strategy::ThisEngine => "this engine",
            Strategy::LookupCreate => "lookup + create, 60 a batch",
            Strategy::PerRecord => "original, per record",
        }
    }

    /// `engine`, `lookup`, `original` (for `REQUESTS_BENCH_STRATEGIES`).
    pub fn key(self) -> &'static str {
        match self {
            Strategy::ThisEngine => "engine",
            Strategy::LookupCreate => "lookup",
            Strategy::PerRecord => "original",
        }
    }
}

/// The request budget the product builds for `requests_per_minute`, with its clock sped up
/// `scale` times: the same burst, starting as the product's does with one permit, `scale` times
/// the rate (one real second = `scale` seconds).
pub fn scaled_budget(requests_per_minute: u32, scale: f64) -> std::sync::Arc<RequestBudget> {
    let product = RequestBudget::for_rate(requests_per_minute);
    let rate = (f64::from(product.limit_per_minute()) * scale).round() as u32;
    RequestBudget::starting_with(rate, product.burst(), 1)
}

/// THE engine-facing function: a pusher for `store` to `fake`, as the product's runner makes one
/// from the settings (`Upstream::connect`, then `prepare`: the schema check, which costs the
/// metadata requests of a first run and nothing once the store remembers the server), with the
/// budget sped up `scale` times. `strategy` is [`Strategy::ThisEngine`] or
/// [`Strategy::LookupCreate`].
///
/// [`Strategy::ThisEngine`] runs the product's defaults (`batch_size` auto, `match_existing`
/// e-mail/domain); [`Strategy::LookupCreate`] forces 60 a batch and never adopts.
pub async fn connect_engine(
    store: &Store,
    fake: &FakeTwenty,
    strategy: Strategy,
    scale: f64,
) -> Result<Pusher, String> {
    let mut settings = Settings {
        base_url: Some(fake.base_url()),
        api_key: Some(Secret::new(fake.api_key())),
        sync_mode: SyncMode::DirectCrm,
        ..Settings::default()
    };
    if strategy == Strategy::LookupCreate {
        settings.batch_size = BatchSize::Fixed(60);
        settings.match_existing = MatchExisting::ExternalId;
    }
    let budget = scaled_budget(settings.rate_limit, scale);
    let target = <Pusher as Upstream>::target_in(&settings)?;
    let mut pusher = <Pusher as Upstream>::connect(target, store, &settings, &budget)?;
    Upstream::prepare(&mut pusher)
        .await
        .map_err(|error| error.to_string())?;
    Ok(pusher)
}

/// Pushes rounds until nothing pushable is pending, as the runner does: an unreachable server is
/// waited for (the runner's offline probes are not sent here), a lost schema is checked again.
pub async fn push_until_idle(pusher: &mut Pusher, scale: f64) -> Result<(), String> {
    let mut offline = 0;
    loop {
        match Upstream::push_round(pusher).await {
            Ok(outcome) if outcome.idle => return Ok(()),
            Ok(_) => {}
            Err(UpstreamError::Unreachable(message)) => {
                offline += 1;
                if offline > 100 {
                    return Err(format!("Twenty stayed unreachable: {message}"));
                }
                tokio::time::sleep(Duration::from_secs(5).div_f64(scale)).await;
            }
            Err(UpstreamError::Unprepared(_)) => Upstream::prepare(pusher)
                .await
                .map_err(|error| error.to_string())?,
            Err(UpstreamError::NeedsAttention(message)) => return Err(message),
        }
    }
}
