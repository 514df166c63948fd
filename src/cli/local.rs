//! The store side of each operation a command sends through its [`Door`]: the same library
//! functions the agent runs for it (`app::ops`), over the store this process opened itself.

use std::time::Duration;

use twenty_sync::app::ops::commands::{recall_server, refused_change, remember_server};
use twenty_sync::app::ops::until_idle::check_pushes;
use twenty_sync::app::ops::{self, IdleOutcome, Queued};
use twenty_sync::app::queries::{self, EventPage, EventQuery};
use twenty_sync::app::{report, MappingRow, StatusReport};
use twenty_sync::domain::StoredConfig;
use twenty_sync::engine::run_until_idle;
use twenty_sync::twenty::{ConnectionReport, RequestBudget};

use super::agent_api::{Door, Local};
use super::Failure;

/// `sync --until-idle` waits as long as the agent pushes (at the slowest rate setting, a large
/// queue takes hours); it ends sooner when the queue is empty, Twenty is unreachable or the
/// agent stops.
const UNTIL_IDLE_TIMEOUT: Duration = Duration::from_secs(24 * 60 * 60);
/// A connection test waits on Twenty (every check, with the client's own timeouts and retries).
const CONNECTION_TEST_TIMEOUT: Duration = Duration::from_secs(10 * 60);

fn store_error(error: twenty_sync::store::StoreError) -> Failure {
    ops::OpError::from(error).into()
}

impl Local for ops::Status {
    fn on_store(self, door: &Door) -> Result<StatusReport, Failure> {
        let store = door.store()?;
        let report = StatusReport::from_store(&store).map_err(store_error)?;
        Ok(report.with_forwarded(store.forwarded().map_err(store_error)?))
    }
}

impl Local for ops::Events {
    fn on_store(self, door: &Door) -> Result<EventPage, Failure> {
        let query = EventQuery {
            before: self.before,
            limit: self.limit.unwrap_or(50),
            categories: self.categories,
            record: self.record,
        };
        queries::events_page(&door.store()?, &query).map_err(store_error)
    }
}

impl Local for ops::Mappings {
    fn on_store(self, door: &Door) -> Result<Vec<MappingRow>, Failure> {
        report::mapping_rows(&door.store()?).map_err(store_error)
    }
}

impl Local for ops::RetryAll {
    fn on_store(self, door: &Door) -> Result<Queued, Failure> {
        let queued = twenty_sync::app::retry_failed(&door.store()?).map_err(store_error)?;
        Ok(Queued { queued })
    }
}

impl Local for ops::RecordIntents {
    fn on_store(self, door: &Door) -> Result<ops::Recorded, Failure> {
        // The settings name the server whose fields `--field` values are read against; a push
        // without any does not resolve them (nor say where secrets are kept).
        let settings = if self.intents.iter().any(|input| !input.fields.is_empty()) {
            door.effective()?.settings.clone()
        } else {
            twenty_sync::config::Settings::default()
        };
        Ok(self.record(&door.store()?, &settings)?)
    }
}

impl Local for ops::StoredSettings {
    fn on_store(self, door: &Door) -> Result<Option<StoredConfig>, Failure> {
        door.store()?.config().map_err(store_error)
    }
}

impl Local for ops::SetConfig {
    fn on_store(self, door: &Door) -> Result<Option<StoredConfig>, Failure> {
        let store = door.store()?;
        super::config::context(door.data_dir())
            .save(&store, &self.0, "cli")
            .map_err(refused_change)?;
        store.config().map_err(store_error)
    }
}

impl Local for ops::CheckConnection {
    const AGENT_TIMEOUT: Duration = CONNECTION_TEST_TIMEOUT;

    fn on_store(self, door: &Door) -> Result<ConnectionReport, Failure> {
        let rate = door.effective()?.settings.rate_limit;
        let client = self.client(RequestBudget::for_rate(rate))?;
        recall_server(&door.store()?, &client);
        // The store is not held during the test: an agent starting meanwhile must not wait.
        door.release();
        let report = door.block_on(client.test_connection(self.create_missing))?;
        // Skipped when an agent took the store meanwhile: it learns on its own.
        if let Ok(store) = door.store() {
            remember_server(&store, client.base_url(), &report);
        }
        Ok(report)
    }
}

impl Local for ops::SyncUntilIdle {
    const AGENT_TIMEOUT: Duration = UNTIL_IDLE_TIMEOUT;

    fn on_store(self, door: &Door) -> Result<IdleOutcome, Failure> {
        let settings = door.effective()?.settings.clone();
        check_pushes(&settings)?;
        let store = door.store()?;
        let result = door.block_on(run_until_idle(&store, &settings))?;
        Ok(IdleOutcome::of(result)?)
    }
}
