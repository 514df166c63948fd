//! `fake-twenty`: an in-process fake of the Twenty CRM REST server (people, companies,
//! metadata) with two version profiles, switchable faults and a request log.
//!
//! ```no_run
//! # async fn demo() {
//! use fake_twenty::{FakeConfig, FakeTwenty};
//! let fake = FakeTwenty::start(FakeConfig::current()).await;
//! let url = format!("{}/rest/people", fake.base_url());
//! fake.faults().fail_next(2, 503);
//! # let _ = url;
//! # }
//! ```

mod app;
mod auth;
mod config;
mod control;
mod errors;
mod faults;
pub mod filter;
mod listing;
mod log;
mod metadata;
mod ratelimit;
mod records;
mod schema;
mod server;
mod store;
mod util;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use serde_json::Value;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use config::{FakeConfig, MetadataListShape, Profile};
pub use faults::Faults;
pub use log::{RecordedHeaders, RecordedRequest};
pub use ratelimit::{RateLimitConfig, RateLimitVariant};

use app::App;
use schema::ObjectKind;
use store::{KeyState, World};

/// A running fake Twenty server on 127.0.0.1. Dropping it stops the server.
pub struct FakeTwenty {
    app: Arc<App>,
    addr: SocketAddr,
    control_addr: SocketAddr,
    tasks: Vec<JoinHandle<()>>,
    epoch: Arc<watch::Sender<u64>>,
}

fn object(name: &str) -> ObjectKind {
    ObjectKind::from_any(name).unwrap_or_else(|| {
        panic!("fake-twenty: unknown object {name:?} (use \"people\" or \"companies\")")
    })
}

fn new_world(config: &FakeConfig, key: &str) -> World {
    let mut world = World::new(
        config.profile,
        KeyState {
            key: key.to_string(),
            name: config.api_key_name.clone(),
            revoked: false,
            old_keys: Vec::new(),
            read_only: false,
            can_edit_data_model: true,
        },
    );
    world.metadata_list_shape = config.metadata_list_shape;
    world.batch_cap_override = config.batch_cap;
    if config.with_external_id {
        for k in ObjectKind::ALL {
            world.ensure_external_id(k);
        }
    }
    if config.with_directory_fields {
        world.add_directory_fields();
    }
    world
}

/// Back to the start configuration: empty store, original key and profile, no faults, empty log.
pub(crate) fn reset_app(app: &App) {
    *app.world() = new_world(&app.config, &app.initial_key);
    app.faults.clear();
    if let Some(rl) = app.config.rate_limit {
        app.faults.rate_limit(Some(rl));
    }
    app.log().clear();
}

impl FakeTwenty {
    /// Binds 127.0.0.1 (`config.port`, 0 = any) plus a control port and starts serving.
    /// Panics if the port cannot be bound; see [`FakeTwenty::try_start`].
    pub async fn start(config: FakeConfig) -> FakeTwenty {
        Self::try_start(config)
            .await
            .expect("fake-twenty: cannot bind 127.0.0.1")
    }

    /// Like [`FakeTwenty::start`] but returns bind errors.
    pub async fn try_start(config: FakeConfig) -> std::io::Result<FakeTwenty> {
        let key = config
            .api_key
            .clone()
            .unwrap_or_else(auth::generate_api_key);
        let faults = Faults::new(config.hang_duration, config.rate_limit);
        let app = Arc::new(App {
            world: Mutex::new(new_world(&config, &key)),
            log: Mutex::new(Vec::new()),
            faults: faults.clone(),
            config: config.clone(),
            initial_key: key,
        });
        let router = Router::new()
            .fallback(app::dispatch)
            .with_state(app.clone());
        let listener = server::bind(config.port)?;
        let addr = listener.local_addr()?;
        let control = server::bind(0)?;
        let control_addr = control.local_addr()?;
        let (epoch_tx, _) = watch::channel(0u64);
        let epoch = Arc::new(epoch_tx);
        let (control_epoch, _) = watch::channel(0u64);
        let tasks = vec![
            tokio::spawn(server::supervise(
                listener,
                addr.port(),
                router.clone(),
                faults.subscribe_up(),
                epoch.clone(),
            )),
            tokio::spawn(server::serve_plain(
                control,
                router,
                Arc::new(control_epoch),
            )),
        ];
        Ok(FakeTwenty {
            app,
            addr,
            control_addr,
            tasks,
            epoch,
        })
    }

    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// A second listener serving the same app that never goes down (for `/__fake/…` while the
    /// main port is down).
    pub fn control_url(&self) -> String {
        format!("http://{}", self.control_addr)
    }

    /// The currently valid bearer token.
    pub fn api_key(&self) -> String {
        self.app.world().keys.key.clone()
    }

    /// Handle on the fault switches (cloneable, usable from other tasks).
    pub fn faults(&self) -> Faults {
        self.app.faults.clone()
    }

    // ----- request log ---------------------------------------------------------------------

    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.app.log().clone()
    }

    pub fn request_count(&self) -> usize {
        self.app.log().len()
    }

    /// Requests with this method (case-insensitive) whose path starts with `path_prefix`.
    pub fn count_matching(&self, method: &str, path_prefix: &str) -> usize {
        self.app
            .log()
            .iter()
            .filter(|r| r.method.eq_ignore_ascii_case(method) && r.path.starts_with(path_prefix))
            .count()
    }

    pub fn clear_requests(&self) {
        self.app.log().clear();
    }

    // ----- state ---------------------------------------------------------------------------

    /// Live (not soft-deleted) records of `"people"` or `"companies"`, in id order.
    pub fn records(&self, object_name: &str) -> Vec<Value> {
        let kind = object(object_name);
        self.app
            .world()
            .table(kind)
            .rows
            .values()
            .filter(|r| r["deletedAt"].is_null())
            .cloned()
            .collect()
    }

    /// All records including soft-deleted ones.
    pub fn records_including_deleted(&self, object_name: &str) -> Vec<Value> {
        let kind = object(object_name);
        self.app
            .world()
            .table(kind)
            .rows
            .values()
            .cloned()
            .collect()
    }

    /// Records (soft-deleted included, as uniqueness sees them) whose `externalId` equals `ext`.
    pub fn find_by_external_id(&self, object_name: &str, ext: &str) -> Vec<Value> {
        let kind = object(object_name);
        self.app
            .world()
            .table(kind)
            .rows
            .values()
            .filter(|r| r["externalId"].as_str() == Some(ext))
            .cloned()
            .collect()
    }

    /// Record by id, soft-deleted included.
    pub fn record(&self, object_name: &str, id: &str) -> Option<Value> {
        self.app
            .world()
            .table(object(object_name))
            .rows
            .get(id)
            .cloned()
    }

    /// Seeds a record: defaults filled, known fields normalised, no uniqueness check. Returns
    /// the stored record (with its generated id unless one was given).
    pub fn insert_record(&self, object_name: &str, record: Value) -> Value {
        self.app.world().insert_raw(object(object_name), &record)
    }

    /// Hard delete; `false` if absent.
    pub fn delete_record(&self, object_name: &str, id: &str) -> bool {
        self.app.world().hard_delete(object(object_name), id)
    }

    /// Sets `deletedAt`; `false` if absent or already deleted.
    pub fn soft_delete_record(&self, object_name: &str, id: &str) -> bool {
        self.app.world().soft_delete(object(object_name), id)
    }

    pub fn profile(&self) -> Profile {
        self.app.world().profile
    }

    pub fn set_profile(&self, profile: Profile) {
        self.app.world().profile = profile;
    }

    /// The current key stops working (answers as revoked).
    pub fn revoke_key(&self) {
        self.app.world().keys.revoked = true;
    }

    /// Replaces the valid key (the old one is then refused as revoked).
    pub fn set_api_key(&self, key: impl Into<String>) {
        let mut w = self.app.world();
        let old = std::mem::replace(&mut w.keys.key, key.into());
        w.keys.old_keys.push(old);
        w.keys.revoked = false;
    }

    /// Read-only role: writes answer 403 `Entity performing the request does not have permission`.
    pub fn set_read_only(&self, read_only: bool) {
        self.app.world().keys.read_only = read_only;
    }

    /// Data-model settings permission (REST metadata and field creation need it).
    pub fn set_key_can_edit_data_model(&self, can: bool) {
        self.app.world().keys.can_edit_data_model = can;
    }

    /// Seeds the custom unique `externalId` TEXT field on both objects (idempotent).
    pub fn create_external_id_fields(&self) {
        let mut w = self.app.world();
        for k in ObjectKind::ALL {
            w.ensure_external_id(k);
        }
    }

    /// Seeds a directory owner's custom fields on both objects (idempotent); see
    /// [`FakeConfig::with_directory_fields`].
    pub fn add_directory_fields(&self) {
        self.app.world().add_directory_fields();
    }

    /// Changes fields of a record as a person editing it in Twenty's UI would: the body is
    /// checked like an API `PATCH` (only the fields given change, a composite is replaced
    /// whole), `updatedAt` moves, and the request log stays as it was. Returns the stored record
    /// or Twenty's refusal (`messages[0]`).
    pub fn edit_record(&self, object_name: &str, id: &str, fields: Value) -> Result<Value, String> {
        self.app
            .world()
            .edit_as_member(object(object_name), id, &fields)
            .map_err(|e| e.message())
    }

    /// Removes the `externalId` field (and its values) from one object.
    pub fn drop_external_id_field(&self, object_name: &str) {
        self.app
            .world()
            .drop_field(object(object_name), "externalId");
    }

    /// Makes a field unique or not, in the metadata (`isUnique`) and in what the store enforces,
    /// as someone editing the data model by hand does; `false` if the object has no such field.
    pub fn set_field_unique(&self, object_name: &str, field: &str, unique: bool) -> bool {
        let mut w = self.app.world();
        let fields = &mut w.table_mut(object(object_name)).def.fields;
        match fields.iter_mut().find(|f| f.name == field) {
            Some(f) => {
                f.is_unique = unique;
                true
            }
            None => false,
        }
    }

    /// Adds `count` custom TEXT fields to `"people"`/`"companies"` (a workspace with many fields).
    pub fn add_padding_fields(&self, object_name: &str, count: usize) {
        let mut w = self.app.world();
        let kind = object(object_name);
        let start = w.table(kind).def.fields.len();
        for i in 0..count {
            let name = format!("directoryField{}", start + i);
            let field = schema::ObjectDef::custom_field(
                w.profile,
                &name,
                &name,
                schema::FieldType::Text,
                false,
                Some(true),
                None,
            );
            let _ = w.add_field(kind, field);
        }
    }

    /// Adds a custom object with `fields` fields to the data model (metadata only).
    pub fn add_custom_object_with_fields(&self, fields: usize) {
        self.app.world().model.add_custom_object(fields);
    }

    /// New fields (such as the `externalId` the agent creates) get ids that sort after every
    /// other field, so that a whole-workspace metadata query leaves them out.
    pub fn set_new_field_ids_sort_last(&self, last: bool) {
        self.app.world().model.new_field_ids_sort_last = last;
    }

    /// The next per-object field read leaves `externalId` out, as if another client created it
    /// just after (the agent's create is then refused as taken).
    pub fn set_hide_external_id_from_first_read(&self, hide: bool) {
        self.app.world().model.hide_external_id_reads = u32::from(hide) * 2;
    }

    /// Fields of the whole data model, every object counted.
    pub fn total_field_count(&self) -> usize {
        let w = self.app.world();
        schema::ObjectKind::ALL
            .iter()
            .map(|k| w.table(*k).def.fields.len())
            .sum::<usize>()
            + w.model.others.iter().map(|o| o.fields.len()).sum::<usize>()
    }

    /// Whether the object currently has a field of that name.
    pub fn has_field(&self, object_name: &str, field: &str) -> bool {
        self.app
            .world()
            .table(object(object_name))
            .def
            .field(field)
            .is_some()
    }

    /// Metadata id of `"people"`/`"companies"`.
    pub fn object_metadata_id(&self, object_name: &str) -> String {
        self.app.world().table(object(object_name)).def.id.clone()
    }

    pub fn set_metadata_list_shape(&self, shape: MetadataListShape) {
        self.app.world().metadata_list_shape = shape;
    }

    /// Overrides the batch cap (`None` = profile default).
    pub fn set_batch_cap(&self, cap: Option<usize>) {
        self.app.world().batch_cap_override = cap;
    }

    /// Empty store, start key/profile/fields, no faults, empty log.
    pub fn reset(&self) {
        reset_app(&self.app);
    }

    /// Snapshot as served by `GET /__fake/state`.
    pub fn state_json(&self) -> Value {
        control::state_json(&self.app)
    }
}

impl Drop for FakeTwenty {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
        self.epoch.send_modify(|e| *e += 1);
    }
}
