//! The workspace's whole data model: every active field of Company and Person read into a
//! [`DataModel`], the way real Twenty pages it (GraphQL one object at a time to the last page of
//! its fields connection; REST `GET /rest/metadata/objects` where GraphQL does not answer).

use super::shapes::kind_of;
use super::*;
use crate::domain::fields::{DataModel, FieldDef};

/// Why the data model could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DataModelError {
    /// The key may not read metadata.
    #[error(
        "Twenty refused to show its data model to this API key ({0}); give the key's role the \
         Data model permission in Settings → Roles, or use another key"
    )]
    Forbidden(String),
    /// The metadata lists no company or person object.
    #[error(
        "Twenty's metadata lists no {0} object; check that the API key belongs to the right \
         workspace"
    )]
    MissingObject(EntityKind),
    /// Twenty did not answer, refused the key, or answered something unreadable.
    #[error(transparent)]
    Twenty(#[from] TwentyError),
}

impl DataModelError {
    fn from_read(error: TwentyError) -> DataModelError {
        if is_forbidden(&error) {
            DataModelError::Forbidden(error.server_message().unwrap_or("Forbidden").to_string())
        } else {
            DataModelError::Twenty(error)
        }
    }
}

/// The active fields of a list.
fn active(fields: Vec<FieldDef>) -> impl Iterator<Item = FieldDef> {
    fields.into_iter().filter(|field| field.active)
}

impl TwentyClient {
    /// Reads every active field of Company and Person — name, label, type, options, nullable,
    /// unique, custom, system — into a [`DataModel`].
    ///
    /// GraphQL `POST /metadata` first, one object at a time, following each fields connection's
    /// cursors to its last page (a whole-workspace query is capped at about 500 fields in total
    /// on real servers); REST `GET /rest/metadata/objects` where GraphQL does not answer (the
    /// route that answered is remembered in [`Self::metadata_route`]). A key without the Data
    /// model permission gives [`DataModelError::Forbidden`].
    pub async fn read_data_model(&self) -> Result<DataModel, DataModelError> {
        self.read_data_model_with(self.retry).await
    }

    pub(super) async fn read_data_model_with(
        &self,
        retry: RetryPolicy,
    ) -> Result<DataModel, DataModelError> {
        if self.metadata_route() != Some(MetadataRoute::Rest) {
            match self.graphql_data_model(retry).await {
                Ok(model) => {
                    self.route.set(Some(MetadataRoute::Graphql));
                    return Ok(model);
                }
                Err(DataModelError::Twenty(error)) if route_failed(&error) => {
                    tracing::info!("the GraphQL metadata API failed, trying REST: {error}");
                }
                Err(error) => return Err(error),
            }
        }
        let model = self.rest_data_model(retry).await?;
        self.route.set(Some(MetadataRoute::Rest));
        Ok(model)
    }

    async fn graphql_data_model(&self, retry: RetryPolicy) -> Result<DataModel, DataModelError> {
        let objects = self
            .graphql_objects(retry)
            .await
            .map_err(DataModelError::from_read)?;
        let mut lists: Vec<Vec<FieldDef>> = Vec::new();
        for kind in KINDS {
            let object = find_object(&objects, kind).ok_or(DataModelError::MissingObject(kind))?;
            let fields = self
                .graphql_fields(kind, &object.id, retry, Until::LastPage)
                .await
                .map_err(DataModelError::from_read)?;
            lists.push(fields);
        }
        let people = lists.pop().unwrap_or_default();
        let companies = lists.pop().unwrap_or_default();
        Ok(DataModel::new(active(companies), active(people)))
    }

    /// The REST listing, as complete as it is (it is the fallback of servers whose GraphQL
    /// metadata API does not answer).
    async fn rest_data_model(&self, retry: RetryPolicy) -> Result<DataModel, DataModelError> {
        let objects = self
            .rest_objects(retry)
            .await
            .map_err(DataModelError::from_read)?;
        let fields_of = |kind: EntityKind| {
            objects
                .iter()
                .find(|(object, _)| kind_of(&object.name_singular) == Some(kind))
                .map(|(_, fields)| fields.clone())
                .ok_or(DataModelError::MissingObject(kind))
        };
        let companies = fields_of(EntityKind::Company)?;
        let people = fields_of(EntityKind::Person)?;
        Ok(DataModel::new(active(companies), active(people)))
    }
}
