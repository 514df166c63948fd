//! The `externalId` custom field: reading object metadata (REST `GET /rest/metadata/objects` in
//! both list shapes, or GraphQL `POST /metadata` when REST fails as on the Aug-2025 build),
//! probing through the records API when the key may not read metadata, and creating the field.

use std::sync::atomic::Ordering;

use reqwest::Method;
use serde_json::{json, Value};

use super::client::{Call, TwentyClient};
use super::error::{ErrorCode, TwentyError};
use super::retry::RetryPolicy;
use super::{wire, SchemaStatus};
use crate::domain::EntityKind;

/// The GraphQL query used when the REST metadata listing fails.
pub const OBJECTS_QUERY: &str = "{ objects(paging:{first:200}) { edges { node { id nameSingular namePlural fields(paging:{first:500}) { edges { node { id name type isUnique } } } } } } }";

/// Pages of the REST metadata listing followed, at most.
const MAX_METADATA_PAGES: usize = 10;

/// What we need to know of one object's metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectInfo {
    pub id: String,
    pub name_singular: String,
    pub fields: Vec<FieldInfo>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldInfo {
    pub name: String,
    pub is_unique: Option<bool>,
    pub is_active: Option<bool>,
}

impl ObjectInfo {
    /// The active `externalId` field, if the object has one.
    pub fn external_id_field(&self) -> Option<&FieldInfo> {
        self.fields
            .iter()
            .find(|f| f.name == wire::EXTERNAL_ID_FIELD && f.is_active != Some(false))
    }
}

/// Items of a list that is either an array or a GraphQL connection `{"edges":[{"node":…}]}`.
fn items(value: &Value) -> Vec<&Value> {
    if let Some(list) = value.as_array() {
        return list.iter().collect();
    }
    value
        .get("edges")
        .and_then(Value::as_array)
        .map(|edges| edges.iter().filter_map(|edge| edge.get("node")).collect())
        .unwrap_or_default()
}

fn parse_object(value: &Value) -> Option<ObjectInfo> {
    let fields = value
        .get("fields")
        .map(items)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|field| {
            Some(FieldInfo {
                name: field.get("name")?.as_str()?.to_string(),
                is_unique: field.get("isUnique").and_then(Value::as_bool),
                is_active: field.get("isActive").and_then(Value::as_bool),
            })
        })
        .collect();
    Some(ObjectInfo {
        id: value.get("id")?.as_str()?.to_string(),
        name_singular: value.get("nameSingular")?.as_str()?.to_string(),
        fields,
    })
}

/// Reads a REST metadata listing: `{"data":{"objects":[…]}}` (older) or `{"data":[…]}` (newer).
/// Returns the objects and the next-page cursor; `None` when the body has neither shape.
pub fn parse_rest_objects(body: &Value) -> Option<(Vec<ObjectInfo>, Option<String>)> {
    let data = body.get("data")?;
    let list = if data.is_array() {
        data
    } else {
        data.get("objects")?
    };
    if !list.is_array() && list.get("edges").is_none() {
        return None;
    }
    let objects = items(list).into_iter().filter_map(parse_object).collect();
    let next = body
        .get("pageInfo")
        .filter(|info| info.get("hasNextPage").and_then(Value::as_bool) == Some(true))
        .and_then(|info| info.get("endCursor"))
        .and_then(Value::as_str)
        .map(str::to_string);
    Some((objects, next))
}

/// A GraphQL answer: the objects, or the first error's message and `extensions.code`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GraphqlObjects {
    Objects(Vec<ObjectInfo>),
    Error {
        message: String,
        code: Option<String>,
    },
}

/// Reads the answer to [`OBJECTS_QUERY`]; `None` when it has no recognisable shape.
pub fn parse_graphql_objects(body: &Value) -> Option<GraphqlObjects> {
    if let Some(error) = body
        .get("errors")
        .and_then(Value::as_array)
        .and_then(|errors| errors.first())
    {
        return Some(GraphqlObjects::Error {
            message: error
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("unknown GraphQL error")
                .to_string(),
            code: error
                .get("extensions")
                .and_then(|e| e.get("code"))
                .and_then(Value::as_str)
                .map(str::to_string),
        });
    }
    let objects = body.get("data")?.get("objects")?;
    Some(GraphqlObjects::Objects(
        items(objects)
            .into_iter()
            .filter_map(parse_object)
            .collect(),
    ))
}

/// The body of `POST /rest/metadata/fields` creating `externalId` on an object.
pub fn external_id_field_body(object_metadata_id: &str) -> Value {
    json!({
        "objectMetadataId": object_metadata_id,
        "type": "TEXT",
        "name": wire::EXTERNAL_ID_FIELD,
        "label": "External ID",
        "description": "Id of the record in Twenty Sync",
        "icon": "IconKey",
        "isNullable": true,
        "isUnique": true,
    })
}

/// The metadata as this key can see it.
enum Metadata {
    Objects(Vec<ObjectInfo>),
    /// The key may not read metadata (403): it lacks the Data model permission, or is wrong.
    Forbidden,
}

const KINDS: [EntityKind; 2] = [EntityKind::Company, EntityKind::Person];

fn is_forbidden(error: &TwentyError) -> bool {
    error.code() == ErrorCode::AuthError && error.status() == Some(403)
}

impl TwentyClient {
    /// Makes sure people and companies have the unique text field `externalId`.
    ///
    /// Reads the object metadata (REST, else GraphQL). When both are present: `Ready`. When some
    /// are missing and `create_if_missing`, creates them with `POST /rest/metadata/fields` and
    /// reads again. A key without the Data model permission (403) is not an error: the fields
    /// are probed through the records API and reported as `MissingFields { can_create: false }`
    /// when absent. A 400 on create (e.g. "already exists") is settled by the re-read.
    pub async fn ensure_external_id_fields(
        &self,
        create_if_missing: bool,
    ) -> Result<SchemaStatus, TwentyError> {
        let objects = match self.read_metadata(self.retry).await? {
            Metadata::Forbidden => return self.probe_status(self.retry).await,
            Metadata::Objects(objects) => objects,
        };
        let mut missing = Vec::new();
        let mut object_ids = Vec::new();
        for kind in KINDS {
            let object = find_object(&objects, kind).ok_or_else(|| {
                TwentyError::unexpected(
                    200,
                    &format!("the metadata lists no '{}' object", wire::singular(kind)),
                    &self.api_key,
                )
            })?;
            match object.external_id_field() {
                Some(field) => warn_if_not_unique(kind, field),
                None => {
                    missing.push(kind);
                    object_ids.push(object.id.clone());
                }
            }
        }
        if missing.is_empty() {
            return Ok(SchemaStatus::Ready);
        }
        if !create_if_missing {
            return Ok(SchemaStatus::MissingFields {
                missing,
                can_create: true,
            });
        }

        let mut create_errors = Vec::new();
        for (kind, object_id) in missing.iter().zip(&object_ids) {
            let body = external_id_field_body(object_id);
            let call = Call::with_body(
                Method::POST,
                "/rest/metadata/fields".to_string(),
                &body,
                self.retry,
            );
            match self.execute(call).await {
                Ok(_) => {
                    tracing::info!(object = wire::plural(*kind), "created the externalId field")
                }
                Err(error) if is_forbidden(&error) => {
                    tracing::warn!("the API key may not change the data model: {error}");
                    return Ok(SchemaStatus::MissingFields {
                        missing,
                        can_create: false,
                    });
                }
                Err(error) if error.code() == ErrorCode::ValidationError => {
                    // Possibly "already exists" (wording varies by build): the re-read decides.
                    tracing::info!(
                        object = wire::plural(*kind),
                        "creating externalId was refused: {error}"
                    );
                    create_errors.push((*kind, error));
                }
                Err(error) => return Err(error),
            }
        }

        let objects = match self.read_metadata(self.retry).await? {
            Metadata::Forbidden => return self.probe_status(self.retry).await,
            Metadata::Objects(objects) => objects,
        };
        let still_missing: Vec<EntityKind> = KINDS
            .into_iter()
            .filter(|kind| {
                find_object(&objects, *kind)
                    .and_then(ObjectInfo::external_id_field)
                    .is_none()
            })
            .collect();
        if still_missing.is_empty() {
            return Ok(SchemaStatus::Ready);
        }
        if let Some((_, error)) = create_errors
            .into_iter()
            .find(|(kind, _)| still_missing.contains(kind))
        {
            return Err(error);
        }
        Ok(SchemaStatus::MissingFields {
            missing: still_missing,
            can_create: false,
        })
    }

    /// Object metadata through REST, or GraphQL when REST fails for good.
    async fn read_metadata(&self, retry: RetryPolicy) -> Result<Metadata, TwentyError> {
        if !self.rest_metadata_broken.load(Ordering::Relaxed) {
            match self.read_rest_metadata(retry).await {
                Ok(objects) => return Ok(Metadata::Objects(objects)),
                Err(error) if is_forbidden(&error) => return Ok(Metadata::Forbidden),
                Err(error) if error.is_retryable() || error.code() == ErrorCode::AuthError => {
                    return Err(error)
                }
                Err(error) => {
                    tracing::info!("REST metadata listing failed, using GraphQL: {error}");
                    self.rest_metadata_broken.store(true, Ordering::Relaxed);
                }
            }
        }
        self.read_graphql_metadata(retry).await
    }

    async fn read_rest_metadata(&self, retry: RetryPolicy) -> Result<Vec<ObjectInfo>, TwentyError> {
        let mut all = Vec::new();
        let mut path = "/rest/metadata/objects".to_string();
        for _ in 0..MAX_METADATA_PAGES {
            let (status, body) = self.execute(Call::get(path.clone(), retry)).await?;
            let (objects, next) = parse_rest_objects(&body).ok_or_else(|| {
                TwentyError::unexpected(
                    status,
                    "the metadata listing has no objects",
                    &self.api_key,
                )
            })?;
            all.extend(objects);
            let have_both = KINDS.iter().all(|kind| find_object(&all, *kind).is_some());
            match next {
                Some(cursor) if !have_both => {
                    path = format!(
                        "/rest/metadata/objects?{}",
                        wire::query_string(&[("starting_after", cursor.as_str())])
                    );
                }
                _ => break,
            }
        }
        Ok(all)
    }

    async fn read_graphql_metadata(&self, retry: RetryPolicy) -> Result<Metadata, TwentyError> {
        let body = json!({ "query": OBJECTS_QUERY });
        let call = Call::with_body(Method::POST, "/metadata".to_string(), &body, retry);
        let (status, answer) = match self.execute(call).await {
            Ok(ok) => ok,
            Err(error) if is_forbidden(&error) => return Ok(Metadata::Forbidden),
            Err(error) => return Err(error),
        };
        match parse_graphql_objects(&answer) {
            Some(GraphqlObjects::Objects(objects)) => Ok(Metadata::Objects(objects)),
            Some(GraphqlObjects::Error { message, code }) => {
                let message = crate::logging::redact(&message, &self.api_key);
                match code.as_deref() {
                    Some("FORBIDDEN") | Some("FORBIDDEN_EXCEPTION") => Ok(Metadata::Forbidden),
                    Some("UNAUTHENTICATED") => Err(TwentyError::Auth {
                        status: 401,
                        message: format!(
                            "Twenty refused the API key ({message}). Check the key in Settings → \
                             APIs & Webhooks"
                        ),
                        server_message: Some(message),
                    }),
                    _ if message.to_lowercase().contains("permission") => Ok(Metadata::Forbidden),
                    _ => Err(TwentyError::Validation {
                        status: Some(status),
                        message: format!("Twenty's metadata API refused the query: {message}"),
                        server_message: Some(message),
                    }),
                }
            }
            None => Err(TwentyError::unexpected(
                status,
                "the GraphQL metadata answer has no objects",
                &self.api_key,
            )),
        }
    }

    /// Whether `externalId` exists on `kind`, asked through the records API:
    /// `GET /rest/{plural}?filter=externalId[is]:NULL&limit=1&depth=0` answers 200 when it does
    /// and 400 "field 'externalId' does not exist" when it does not.
    pub(super) async fn probe_external_id(
        &self,
        kind: EntityKind,
        retry: RetryPolicy,
    ) -> Result<bool, TwentyError> {
        let filter = format!("{}[is]:NULL", wire::EXTERNAL_ID_FIELD);
        let path = format!(
            "/rest/{}?{}",
            wire::plural(kind),
            wire::query_string(&[("filter", &filter), ("limit", "1"), ("depth", "0")])
        );
        match self.execute(Call::get(path, retry)).await {
            Ok(_) => Ok(true),
            Err(error)
                if error.code() == ErrorCode::ValidationError
                    && error.server_message().is_some_and(|t| {
                        t.contains(wire::EXTERNAL_ID_FIELD) && t.contains("does not exist")
                    }) =>
            {
                Ok(false)
            }
            Err(error) => Err(error),
        }
    }

    async fn probe_status(&self, retry: RetryPolicy) -> Result<SchemaStatus, TwentyError> {
        let mut missing = Vec::new();
        for kind in KINDS {
            if !self.probe_external_id(kind, retry).await? {
                missing.push(kind);
            }
        }
        Ok(if missing.is_empty() {
            SchemaStatus::Ready
        } else {
            SchemaStatus::MissingFields {
                missing,
                can_create: false,
            }
        })
    }

    /// Whether `externalId` exists on each kind, for the connection test: from metadata when
    /// this key can read it, else probed. One attempt per request.
    pub(super) async fn external_id_presence(
        &self,
    ) -> Result<Vec<(EntityKind, Result<bool, TwentyError>)>, TwentyError> {
        let retry = RetryPolicy::none();
        let metadata = match self.read_metadata(retry).await {
            Ok(metadata) => metadata,
            Err(error) if error.is_retryable() => return Err(error),
            // Unreadable metadata (e.g. an odd build): fall back to probing.
            Err(_) => Metadata::Forbidden,
        };
        let mut out = Vec::new();
        for kind in KINDS {
            let present = match &metadata {
                Metadata::Objects(objects) => Ok(find_object(objects, kind)
                    .and_then(ObjectInfo::external_id_field)
                    .is_some()),
                Metadata::Forbidden => self.probe_external_id(kind, retry).await,
            };
            out.push((kind, present));
        }
        Ok(out)
    }
}

fn find_object(objects: &[ObjectInfo], kind: EntityKind) -> Option<&ObjectInfo> {
    objects
        .iter()
        .find(|object| object.name_singular == wire::singular(kind))
}

fn warn_if_not_unique(kind: EntityKind, field: &FieldInfo) {
    if field.is_unique == Some(false) {
        tracing::warn!(
            object = wire::plural(kind),
            "the externalId field is not unique in Twenty: records can be duplicated; make it \
             unique in Settings → Data model"
        );
    }
}
