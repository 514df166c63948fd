//! Reading the data model: GraphQL one object at a time to the last page of its fields, REST
//! where GraphQL does not answer, the records-API probe where the key may not read metadata.

use reqwest::Method;
use serde_json::{json, Value};

use super::shapes::*;
use super::*;
use crate::domain::fields::FieldDef;
use crate::twenty::client::Call;

/// How far [`TwentyClient::graphql_fields`] reads an object's fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Until {
    /// Every page: the whole object.
    LastPage,
    /// The page holding `externalId`, else every page.
    ExternalId,
}

impl TwentyClient {
    /// The `externalId` field of each kind: GraphQL per object, or REST where GraphQL does not
    /// answer (remembered in [`Self::metadata_route`]).
    pub(super) async fn read_model(&self, retry: RetryPolicy) -> Result<Model, TwentyError> {
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

    pub(super) async fn graphql(
        &self,
        query: String,
        retry: RetryPolicy,
    ) -> Result<Value, TwentyError> {
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
    pub(super) async fn graphql_objects(
        &self,
        retry: RetryPolicy,
    ) -> Result<Vec<ObjectRef>, TwentyError> {
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

    /// The fields of one object of `kind`, following the connection's cursors to the last page
    /// (or, [`Until::ExternalId`], to the page that holds `externalId`).
    pub(super) async fn graphql_fields(
        &self,
        kind: EntityKind,
        object_id: &str,
        retry: RetryPolicy,
        until: Until,
    ) -> Result<Vec<FieldDef>, TwentyError> {
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
            let (fields, next) = parse_fields_page(kind, &answer)
                .map_err(|why| TwentyError::unexpected(200, why, &self.redactor))?;
            let found = until == Until::ExternalId && external_id_in(&fields).is_some();
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
            let fields = self
                .graphql_fields(kind, &object.id, retry, Until::ExternalId)
                .await?;
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

    /// The objects of `GET /rest/metadata/objects` (no query string: the Aug-2025 build refuses
    /// one) with their fields, as complete as the listing is.
    pub(super) async fn rest_objects(
        &self,
        retry: RetryPolicy,
    ) -> Result<Vec<(ObjectRef, Vec<FieldDef>)>, TwentyError> {
        let (status, body) = self
            .execute(Call::get("/rest/metadata/objects".to_string(), retry))
            .await?;
        parse_rest_objects(&body).ok_or_else(|| {
            TwentyError::unexpected(
                status,
                "the metadata listing has no objects",
                &self.redactor,
            )
        })
    }

    /// The `externalId` fields from the REST listing. A REST
    /// listing may not show every field, so a field it does not show is confirmed missing
    /// through the records API before it counts as missing.
    async fn read_rest_model(&self, retry: RetryPolicy) -> Result<Model, TwentyError> {
        let objects = self.rest_objects(retry).await?;
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
    pub(super) async fn probe_report(
        &self,
        retry: RetryPolicy,
    ) -> Result<SchemaReport, TwentyError> {
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
