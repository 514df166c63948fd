//! The workspace's data model and the `externalId` custom field. `model`:
//! [`TwentyClient::read_data_model`], every active Company and Person field into a
//! [`crate::domain::fields::DataModel`]. The `externalId` field: reading the data model the way real Twenty pages it (GraphQL
//! `POST /metadata`, one object at a time, following the fields connection's cursors; REST
//! `GET /rest/metadata/objects` where GraphQL does not answer), probing through the records API
//! when the key may not read metadata, and creating the field when it is missing.
//!
//! A field is never concluded missing from a page that may be partial: real servers cap a
//! whole-workspace query at about 500 fields *in total*, so only a per-object connection read to
//! its last page, or the records API's own "does not exist", says "missing".
//!
//! `shapes`: the queries and answers, pure (field nodes asked for with the domain's
//! `FIELD_NODE_SELECTION` and read by its `field_from_metadata`); `read`: reading the model
//! (GraphQL, REST, probe); `model`: the whole data model.

use std::sync::Mutex;

use reqwest::Method;

use super::client::{Call, TwentyClient};
use super::error::{ErrorCode, ErrorKind, TwentyError};
use super::retry::RetryPolicy;
use super::wire;
use crate::domain::fields::FieldDef;
use crate::domain::{EntityKind, MetadataRoute};

/// Objects per page of the object listing.
const OBJECTS_PAGE: usize = 200;
/// Fields per page of one object's fields connection.
const FIELDS_PAGE: usize = 200;
/// Pages followed for one listing before giving up (200 × 100 = 20,000 fields).
const MAX_PAGES: usize = 100;

const KINDS: [EntityKind; 2] = EntityKind::ALL;

/// The `externalId` field of one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalIdField {
    /// The field's metadata id (empty when only probed through the records API).
    pub field_id: String,
    /// `TEXT` as we create it; `UNKNOWN` when only probed.
    pub field_type: String,
    /// Whether Twenty enforces one record per value (false when unknown).
    pub is_unique: bool,
    /// Created by this call.
    pub created: bool,
}

impl ExternalIdField {
    fn from_info(info: &FieldDef, created: bool) -> ExternalIdField {
        ExternalIdField {
            field_id: info.id.clone(),
            field_type: info.field_type.as_str().to_string(),
            is_unique: info.unique,
            created,
        }
    }

    /// Seen through the records API only: it exists, nothing else is known.
    fn probed() -> ExternalIdField {
        ExternalIdField {
            field_id: String::new(),
            field_type: "UNKNOWN".into(),
            is_unique: false,
            created: false,
        }
    }

    /// What a person should know about a field someone made by hand, if anything: said after
    /// "the externalId field exists, but".
    pub fn caveat(&self) -> Option<String> {
        if self.field_type != "TEXT" && self.field_type != "UNKNOWN" {
            return Some(format!(
                "it is of type {}, not TEXT: Twenty may refuse our ids; change it to a unique Text \
                 field in Settings → Data model",
                self.field_type
            ));
        }
        if !self.is_unique && !self.field_id.is_empty() {
            return Some(
                "it is not unique: every new record costs a lookup before it is created and \
                 Twenty cannot refuse a duplicate made elsewhere; make it unique in Settings → \
                 Data model"
                    .into(),
            );
        }
        None
    }
}

/// Why a missing field was not created: Twenty's own answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldRefusal {
    /// The key may not change the data model (403).
    Forbidden(String),
    /// Twenty refused the field for another reason (quoted).
    Refused(String),
}

/// The state of the `externalId` fields after [`TwentyClient::ensure_external_id_fields`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SchemaReport {
    /// The kinds whose field exists, with what the metadata says of it.
    pub present: Vec<(EntityKind, ExternalIdField)>,
    /// The kinds whose field does not exist (after creating, when asked to).
    pub missing: Vec<EntityKind>,
    /// Why a missing field could not be created, when creation was tried and refused.
    pub refusal: Option<FieldRefusal>,
    /// The metadata API that answered (`None` when the key could only probe records).
    pub route: Option<MetadataRoute>,
}

impl SchemaReport {
    pub fn is_ready(&self) -> bool {
        self.missing.is_empty()
    }

    pub fn field(&self, kind: EntityKind) -> Option<&ExternalIdField> {
        self.present
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, field)| field)
    }
}

/// An object's id and name, from the object listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectRef {
    pub id: String,
    pub name_singular: String,
}

mod model;
mod read;
pub mod shapes;

pub use self::model::DataModelError;
use self::read::Until;
pub use self::shapes::*;

/// What reading one object's `externalId` field found.
enum Lookup {
    Present(ExternalIdField),
    /// Read to the last page: the object has no such field.
    Missing {
        object_id: String,
    },
}

/// The metadata as this key can see it, per kind.
enum Model {
    Read(Vec<(EntityKind, Lookup)>),
    /// The key may not read metadata (403): it lacks the Data model permission.
    Forbidden,
}

fn is_forbidden(error: &TwentyError) -> bool {
    error.code() == ErrorCode::AuthError && error.status() == Some(403)
}

/// An error after which the other metadata route is worth trying.
fn route_failed(error: &TwentyError) -> bool {
    !error.is_retryable() && error.code() != ErrorCode::AuthError
}

/// The client's memory of which metadata route answers; seeded from the store.
#[derive(Debug, Default)]
pub(super) struct RouteMemory(Mutex<Option<MetadataRoute>>);

impl RouteMemory {
    pub fn get(&self) -> Option<MetadataRoute> {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
    pub fn set(&self, route: Option<MetadataRoute>) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = route;
    }
}

impl TwentyClient {
    /// The metadata route known to answer on this server (from an earlier run).
    pub fn set_metadata_route(&self, route: Option<MetadataRoute>) {
        self.route.set(route);
    }

    /// The metadata route that answered last, if any.
    pub fn metadata_route(&self) -> Option<MetadataRoute> {
        self.route.get()
    }

    /// Makes sure people and companies have the text field `externalId`.
    ///
    /// Reads each object's fields to the last page. A missing field is created when
    /// `create_if_missing`; a create Twenty refuses with a 400 (the name is taken, or any other
    /// validation) is settled by reading that object again: a field that exists is never
    /// "missing". Only Twenty's own refusal, quoted, says the key may not create it. A key that
    /// may not read metadata is answered through the records API.
    pub async fn ensure_external_id_fields(
        &self,
        create_if_missing: bool,
    ) -> Result<SchemaReport, TwentyError> {
        self.ensure_with(create_if_missing, self.retry).await
    }

    pub(super) async fn ensure_with(
        &self,
        create_if_missing: bool,
        retry: RetryPolicy,
    ) -> Result<SchemaReport, TwentyError> {
        let lookups = match self.read_model(retry).await? {
            Model::Forbidden => return self.probe_report(retry).await,
            Model::Read(lookups) => lookups,
        };
        let mut report = SchemaReport {
            route: self.metadata_route(),
            ..SchemaReport::default()
        };
        for (kind, lookup) in lookups {
            let object_id = match lookup {
                Lookup::Present(field) => {
                    report.present.push((kind, field));
                    continue;
                }
                Lookup::Missing { object_id } => object_id,
            };
            if !create_if_missing || report.refusal.is_some() {
                report.missing.push(kind);
                continue;
            }
            match self.create_external_id(kind, &object_id, retry).await? {
                Ok(field) => report.present.push((kind, field)),
                Err(refusal) => {
                    report.missing.push(kind);
                    report.refusal = Some(refusal);
                }
            }
        }
        Ok(report)
    }

    /// Creates the field on one object. `Ok(Err(_))` is Twenty's refusal; a 400 is first
    /// checked against the object's fields (the name may be taken by a field we did not see).
    async fn create_external_id(
        &self,
        kind: EntityKind,
        object_id: &str,
        retry: RetryPolicy,
    ) -> Result<Result<ExternalIdField, FieldRefusal>, TwentyError> {
        let body = external_id_field_body(object_id);
        let call = Call::with_body(
            Method::POST,
            "/rest/metadata/fields".to_string(),
            &body,
            retry,
        );
        match self.execute(call).await {
            Ok((_, answer)) => {
                tracing::info!(object = wire::plural(kind), "created the externalId field");
                Ok(Ok(parse_created_field(kind, &answer)
                    .map(|field| ExternalIdField::from_info(&field, true))
                    .unwrap_or(ExternalIdField {
                        field_id: String::new(),
                        field_type: "TEXT".into(),
                        is_unique: true,
                        created: true,
                    })))
            }
            Err(error) if is_forbidden(&error) => Ok(Err(FieldRefusal::Forbidden(
                error.server_message().unwrap_or("Forbidden").to_string(),
            ))),
            Err(error) if error.code() == ErrorCode::ValidationError => {
                tracing::info!(
                    object = wire::plural(kind),
                    "Twenty refused to create externalId ({error}); reading the object again"
                );
                let fields = match self.metadata_route() {
                    Some(MetadataRoute::Rest) => None,
                    _ => self
                        .graphql_fields(kind, object_id, retry, Until::ExternalId)
                        .await
                        .ok(),
                };
                let found = match fields {
                    Some(fields) => {
                        external_id_in(&fields).map(|f| ExternalIdField::from_info(f, false))
                    }
                    None => self
                        .probe_external_id(kind, retry)
                        .await?
                        .then(ExternalIdField::probed),
                };
                Ok(found.ok_or_else(|| {
                    FieldRefusal::Refused(
                        error
                            .server_message()
                            .unwrap_or("the field was refused")
                            .to_string(),
                    )
                }))
            }
            Err(error) => Err(error),
        }
    }
}

fn find_object(objects: &[ObjectRef], kind: EntityKind) -> Option<&ObjectRef> {
    objects
        .iter()
        .find(|object| object.name_singular == wire::singular(kind))
}

fn no_object(client: &TwentyClient, kind: EntityKind) -> TwentyError {
    TwentyError::unexpected(
        200,
        &format!("the metadata lists no '{}' object", wire::singular(kind)),
        &client.redactor,
    )
}
