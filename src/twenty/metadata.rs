//! The `externalId` custom field: reading the data model the way real Twenty pages it (GraphQL
//! `POST /metadata`, one object at a time, following the fields connection's cursors; REST
//! `GET /rest/metadata/objects` where GraphQL does not answer), probing through the records API
//! when the key may not read metadata, and creating the field when it is missing.
//!
//! A field is never concluded missing from a page that may be partial: real servers cap a
//! whole-workspace query at about 500 fields *in total*, so only a per-object connection read to
//! its last page, or the records API's own "does not exist", says "missing".

use std::sync::Mutex;

use reqwest::Method;
use serde_json::{json, Value};

use super::client::{Call, TwentyClient};
use super::error::{ErrorCode, ErrorKind, TwentyError};
use super::retry::RetryPolicy;
use super::wire;
use crate::domain::{EntityKind, MetadataRoute};

/// Objects per page of the object listing.
const OBJECTS_PAGE: usize = 200;
/// Fields per page of one object's fields connection.
const FIELDS_PAGE: usize = 200;
/// Pages followed for one listing before giving up (200 × 100 = 20,000 fields).
const MAX_PAGES: usize = 100;

const KINDS: [EntityKind; 2] = EntityKind::ALL;

/// One field of an object, as the metadata describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldInfo {
    pub id: String,
    pub name: String,
    pub field_type: String,
    pub is_unique: Option<bool>,
    pub is_active: Option<bool>,
}

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
    fn from_info(info: &FieldInfo, created: bool) -> ExternalIdField {
        ExternalIdField {
            field_id: info.id.clone(),
            field_type: info.field_type.clone(),
            is_unique: info.is_unique == Some(true),
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

    /// What a person should know about a field someone made by hand, if anything.
    pub fn caveat(&self) -> Option<String> {
        if self.field_type != "TEXT" && self.field_type != "UNKNOWN" {
            return Some(format!(
                "the externalId field is of type {}, not TEXT: Twenty may refuse our ids; change \
                 it to a unique Text field in Settings → Data model",
                self.field_type
            ));
        }
        if !self.is_unique && !self.field_id.is_empty() {
            return Some(
                "the externalId field is not unique: every new record is looked up before it is \
                 created, and Twenty cannot stop a duplicate made elsewhere; make it unique in \
                 Settings → Data model"
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

/// The next page's cursor of a connection: `Ok(None)` on the last page, an error when the
/// connection says there is more but gives no cursor (we must not conclude from a partial page).
fn next_cursor(connection: &Value) -> Result<Option<String>, &'static str> {
    let info = connection.get("pageInfo");
    let more = info
        .and_then(|i| i.get("hasNextPage"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    if !more {
        return Ok(None);
    }
    info.and_then(|i| i.get("endCursor"))
        .and_then(Value::as_str)
        .filter(|c| is_safe_literal(c))
        .map(|c| Some(c.to_string()))
        .ok_or("the metadata says there are more fields but gives no usable cursor")
}

/// Cursors and ids are put into the query as string literals: only plain characters pass.
fn is_safe_literal(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 512
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+/=_:.-".contains(c))
}

fn parse_field(field: &Value) -> Option<FieldInfo> {
    Some(FieldInfo {
        id: field
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        name: field.get("name")?.as_str()?.to_string(),
        field_type: field
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("UNKNOWN")
            .to_string(),
        is_unique: field.get("isUnique").and_then(Value::as_bool),
        is_active: field.get("isActive").and_then(Value::as_bool),
    })
}

/// The active `externalId` field among `fields`.
pub fn external_id_in(fields: &[FieldInfo]) -> Option<&FieldInfo> {
    fields
        .iter()
        .find(|f| f.name == wire::EXTERNAL_ID_FIELD && f.is_active != Some(false))
}

/// The query for one page of the object listing (ids and names only).
pub fn objects_query(after: Option<&str>) -> String {
    let after = after
        .map(|c| format!(", after:\"{c}\""))
        .unwrap_or_default();
    format!(
        "{{ objects(paging:{{first:{OBJECTS_PAGE}{after}}}) {{ edges {{ node {{ id nameSingular \
         namePlural }} }} pageInfo {{ hasNextPage endCursor }} }} }}"
    )
}

/// The query for one page of one object's fields.
pub fn fields_query(object_id: &str, after: Option<&str>) -> String {
    let after = after
        .map(|c| format!(", after:\"{c}\""))
        .unwrap_or_default();
    format!(
        "{{ objects(paging:{{first:1}}, filter:{{id:{{eq:\"{object_id}\"}}}}) {{ edges {{ node {{ \
         id nameSingular fields(paging:{{first:{FIELDS_PAGE}{after}}}) {{ edges {{ node {{ id name \
         type isUnique isActive }} }} pageInfo {{ hasNextPage endCursor }} }} }} }} }} }}"
    )
}

/// A GraphQL answer's first error: its message and `extensions.code`.
pub fn graphql_error(body: &Value) -> Option<(String, Option<String>)> {
    let error = body.get("errors")?.as_array()?.first()?;
    Some((
        error
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or("unknown GraphQL error")
            .to_string(),
        error
            .get("extensions")
            .and_then(|e| e.get("code"))
            .and_then(Value::as_str)
            .map(str::to_string),
    ))
}

/// One page of the object listing: the objects and the next page's cursor.
pub fn parse_objects_page(body: &Value) -> Result<(Vec<ObjectRef>, Option<String>), &'static str> {
    let connection = body
        .get("data")
        .and_then(|d| d.get("objects"))
        .ok_or("the metadata answer has no objects")?;
    let objects = items(connection)
        .into_iter()
        .filter_map(|o| {
            Some(ObjectRef {
                id: o.get("id")?.as_str()?.to_string(),
                name_singular: o.get("nameSingular")?.as_str()?.to_string(),
            })
        })
        .collect();
    Ok((objects, next_cursor(connection)?))
}

/// One page of one object's fields: the fields and the next page's cursor.
pub fn parse_fields_page(body: &Value) -> Result<(Vec<FieldInfo>, Option<String>), &'static str> {
    let object = body
        .get("data")
        .and_then(|d| d.get("objects"))
        .map(items)
        .and_then(|objects| objects.into_iter().next())
        .ok_or("the metadata answer does not hold the object asked for")?;
    let connection = object
        .get("fields")
        .ok_or("the metadata answer has no fields")?;
    let fields = items(connection)
        .into_iter()
        .filter_map(parse_field)
        .collect();
    Ok((fields, next_cursor(connection)?))
}

/// Reads a REST metadata listing: `{"data":{"objects":[…]}}` (older) or `{"data":[…]}` (newer).
/// Returns each object's ref and the fields the listing shows (possibly not all of them).
pub fn parse_rest_objects(body: &Value) -> Option<Vec<(ObjectRef, Vec<FieldInfo>)>> {
    let data = body.get("data")?;
    let list = if data.is_array() {
        data
    } else {
        data.get("objects")?
    };
    if !list.is_array() && list.get("edges").is_none() {
        return None;
    }
    Some(
        items(list)
            .into_iter()
            .filter_map(|o| {
                let object = ObjectRef {
                    id: o.get("id")?.as_str()?.to_string(),
                    name_singular: o.get("nameSingular")?.as_str()?.to_string(),
                };
                let fields = o
                    .get("fields")
                    .map(items)
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(parse_field)
                    .collect();
                Some((object, fields))
            })
            .collect(),
    )
}

/// The field a `POST /rest/metadata/fields` created: `{"data":{"createOneField":{…}}}`.
pub fn parse_created_field(body: &Value) -> Option<FieldInfo> {
    parse_field(body.get("data")?.get("createOneField")?)
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
                let field = parse_created_field(&answer).unwrap_or(FieldInfo {
                    id: String::new(),
                    name: wire::EXTERNAL_ID_FIELD.into(),
                    field_type: "TEXT".into(),
                    is_unique: Some(true),
                    is_active: Some(true),
                });
                Ok(Ok(ExternalIdField::from_info(&field, true)))
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
                    _ => self.graphql_fields(object_id, retry).await.ok(),
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

    /// The `externalId` field of each kind: GraphQL per object, or REST where GraphQL does not
    /// answer (remembered in [`Self::metadata_route`]).
    async fn read_model(&self, retry: RetryPolicy) -> Result<Model, TwentyError> {
        if self.metadata_route() != Some(MetadataRoute::Rest) {
            match self.read_graphql_model(retry).await {
                Ok(model) => {
                    if matches!(model, Model::Read(_)) {
                        self.route.set(Some(MetadataRoute::Graphql));
                    }
                    return Ok(model);
                }
                Err(error) if is_forbidden(&error) => return Ok(Model::Forbidden),
                Err(error) if route_failed(&error) => {
                    tracing::info!("the GraphQL metadata API failed, trying REST: {error}");
                }
                Err(error) => return Err(error),
            }
        }
        match self.read_rest_model(retry).await {
            Ok(model) => {
                self.route.set(Some(MetadataRoute::Rest));
                Ok(model)
            }
            Err(error) if is_forbidden(&error) => Ok(Model::Forbidden),
            Err(error) => Err(error),
        }
    }

    async fn graphql(&self, query: String, retry: RetryPolicy) -> Result<Value, TwentyError> {
        let body = json!({ "query": query });
        let call = Call::with_body(Method::POST, "/metadata".to_string(), &body, retry);
        let (status, answer) = self.execute(call).await?;
        let Some((message, code)) = graphql_error(&answer) else {
            return Ok(answer);
        };
        let message = self.redactor.scrub(&message);
        let forbidden = matches!(code.as_deref(), Some("FORBIDDEN" | "FORBIDDEN_EXCEPTION"))
            || message.to_lowercase().contains("permission");
        let (kind, status, text) = match code.as_deref() {
            _ if forbidden => (
                ErrorKind::Auth,
                403,
                format!("Twenty refused to show its data model to this key ({message})"),
            ),
            Some("UNAUTHENTICATED") => (
                ErrorKind::Auth,
                401,
                format!(
                    "Twenty refused the API key ({message}). Check the key in Settings → APIs & \
                     Webhooks"
                ),
            ),
            _ => (
                ErrorKind::Validation,
                status,
                format!("Twenty's metadata API refused the query: {message}"),
            ),
        };
        Err(TwentyError::new(kind, Some(status), text).with_server_message(Some(message)))
    }

    /// Every object's id and name, page by page, until company and person are seen.
    async fn graphql_objects(&self, retry: RetryPolicy) -> Result<Vec<ObjectRef>, TwentyError> {
        let mut all: Vec<ObjectRef> = Vec::new();
        let mut after: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let answer = self.graphql(objects_query(after.as_deref()), retry).await?;
            let (objects, next) = parse_objects_page(&answer)
                .map_err(|why| TwentyError::unexpected(200, why, &self.redactor))?;
            all.extend(objects);
            let have_both = KINDS.iter().all(|k| find_object(&all, *k).is_some());
            match next {
                Some(cursor) if !have_both => after = Some(cursor),
                _ => return Ok(all),
            }
        }
        Ok(all)
    }

    /// All fields of one object, following the connection's cursors to the last page.
    async fn graphql_fields(
        &self,
        object_id: &str,
        retry: RetryPolicy,
    ) -> Result<Vec<FieldInfo>, TwentyError> {
        if !is_safe_literal(object_id) {
            return Err(TwentyError::unexpected(
                200,
                "the metadata gave an object id with unexpected characters",
                &self.redactor,
            ));
        }
        let mut all = Vec::new();
        let mut after: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let answer = self
                .graphql(fields_query(object_id, after.as_deref()), retry)
                .await?;
            let (fields, next) = parse_fields_page(&answer)
                .map_err(|why| TwentyError::unexpected(200, why, &self.redactor))?;
            let found = external_id_in(&fields).is_some();
            all.extend(fields);
            match next {
                // The field we look for is found: the rest of the pages cannot un-find it.
                Some(_) if found => return Ok(all),
                Some(cursor) => after = Some(cursor),
                None => return Ok(all),
            }
        }
        Err(TwentyError::unexpected(
            200,
            "the metadata has more fields than can be read",
            &self.redactor,
        ))
    }

    async fn read_graphql_model(&self, retry: RetryPolicy) -> Result<Model, TwentyError> {
        let objects = self.graphql_objects(retry).await?;
        let mut lookups = Vec::new();
        for kind in KINDS {
            let object = find_object(&objects, kind).ok_or_else(|| no_object(self, kind))?;
            let fields = self.graphql_fields(&object.id, retry).await?;
            lookups.push((
                kind,
                match external_id_in(&fields) {
                    Some(field) => Lookup::Present(ExternalIdField::from_info(field, false)),
                    None => Lookup::Missing {
                        object_id: object.id.clone(),
                    },
                },
            ));
        }
        Ok(Model::Read(lookups))
    }

    /// `GET /rest/metadata/objects` (no query string: the Aug-2025 build refuses one). A REST
    /// listing may not show every field, so a field it does not show is confirmed missing
    /// through the records API before it counts as missing.
    async fn read_rest_model(&self, retry: RetryPolicy) -> Result<Model, TwentyError> {
        let (status, body) = self
            .execute(Call::get("/rest/metadata/objects".to_string(), retry))
            .await?;
        let objects = parse_rest_objects(&body).ok_or_else(|| {
            TwentyError::unexpected(
                status,
                "the metadata listing has no objects",
                &self.redactor,
            )
        })?;
        let mut lookups = Vec::new();
        for kind in KINDS {
            let (object, fields) = objects
                .iter()
                .find(|(o, _)| o.name_singular == wire::singular(kind))
                .ok_or_else(|| no_object(self, kind))?;
            let lookup = match external_id_in(fields) {
                Some(field) => Lookup::Present(ExternalIdField::from_info(field, false)),
                None if self.probe_external_id(kind, retry).await? => {
                    Lookup::Present(ExternalIdField::probed())
                }
                None => Lookup::Missing {
                    object_id: object.id.clone(),
                },
            };
            lookups.push((kind, lookup));
        }
        Ok(Model::Read(lookups))
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

    /// A key that may not read metadata: presence through the records API; a missing field
    /// cannot be created with such a key (Twenty refused it the metadata already).
    async fn probe_report(&self, retry: RetryPolicy) -> Result<SchemaReport, TwentyError> {
        let mut report = SchemaReport::default();
        for kind in KINDS {
            if self.probe_external_id(kind, retry).await? {
                report.present.push((kind, ExternalIdField::probed()));
            } else {
                report.missing.push(kind);
            }
        }
        if !report.missing.is_empty() {
            report.refusal = Some(FieldRefusal::Forbidden(
                "this API key may not read or change the data model".into(),
            ));
        }
        Ok(report)
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
