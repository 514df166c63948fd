//! What the store knows of each Twenty server (`#servers`), folded from `ServerLearned` events.

use serde::{Deserialize, Serialize};

use crate::domain::event::{MetadataRoute, ServerFact};
use crate::domain::fields::DataModel;
use crate::domain::intent::EntityKind;

/// What is known of every Twenty server this store has talked to, by normalised base URL: one
/// row, folded from every [`crate::domain::Event::ServerLearned`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnownServers {
    pub servers: std::collections::BTreeMap<String, ServerKnowledge>,
}

/// What is known of one Twenty server; `None` means "not learned yet".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerKnowledge {
    pub company_external_id: Option<ExternalIdFieldFact>,
    pub person_external_id: Option<ExternalIdFieldFact>,
    pub metadata_route: Option<MetadataRoute>,
    pub upsert_applies: Option<bool>,
    pub max_batch: Option<u32>,
    /// Whether the workspace held companies (people) before our first sync of them, until it
    /// is done ([`ServerFact::WorkspacePopulated`]).
    pub companies_populated: Option<bool>,
    pub people_populated: Option<bool>,
    /// The workspace's fields of companies and people, as last read (store format 3).
    pub data_model: Option<DataModel>,
}

/// The `externalId` field of one object as the metadata described it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExternalIdFieldFact {
    pub field_id: String,
    pub field_type: String,
    pub is_unique: bool,
}

impl ServerKnowledge {
    /// The `externalId` field of `kind`, if known.
    pub fn external_id(&self, kind: EntityKind) -> Option<&ExternalIdFieldFact> {
        match kind {
            EntityKind::Company => self.company_external_id.as_ref(),
            EntityKind::Person => self.person_external_id.as_ref(),
        }
    }

    /// Whether the workspace held records of `kind` before our first sync of them, if known.
    pub fn populated(&self, kind: EntityKind) -> Option<bool> {
        match kind {
            EntityKind::Company => self.companies_populated,
            EntityKind::Person => self.people_populated,
        }
    }

    /// Whether Twenty refuses a second record with our `externalId` for `kind`.
    pub fn external_id_unique(&self, kind: EntityKind) -> bool {
        self.external_id(kind).is_some_and(|field| field.is_unique)
    }

    fn external_id_mut(&mut self, kind: EntityKind) -> &mut Option<ExternalIdFieldFact> {
        match kind {
            EntityKind::Company => &mut self.company_external_id,
            EntityKind::Person => &mut self.person_external_id,
        }
    }

    /// The facts among `facts` that would change this knowledge (what is worth recording).
    pub fn news(&self, facts: Vec<ServerFact>) -> Vec<ServerFact> {
        let mut known = self.clone();
        facts
            .into_iter()
            .filter(|fact| {
                let before = known.clone();
                known.learn(fact);
                known != before
            })
            .collect()
    }

    /// The knowledge after learning `fact`.
    pub fn learn(&mut self, fact: &ServerFact) {
        match fact {
            ServerFact::ExternalIdField {
                kind,
                field_id,
                field_type,
                is_unique,
            } => {
                *self.external_id_mut(*kind) = Some(ExternalIdFieldFact {
                    field_id: field_id.clone(),
                    field_type: field_type.clone(),
                    is_unique: *is_unique,
                })
            }
            ServerFact::ExternalIdFieldForgotten { kind } => *self.external_id_mut(*kind) = None,
            ServerFact::MetadataRoute(route) => self.metadata_route = Some(*route),
            ServerFact::UpsertApplies(applies) => self.upsert_applies = Some(*applies),
            ServerFact::MaxBatch(size) => self.max_batch = Some(*size),
            ServerFact::WorkspacePopulated { kind, populated } => match kind {
                EntityKind::Company => self.companies_populated = Some(*populated),
                EntityKind::Person => self.people_populated = Some(*populated),
            },
            ServerFact::DataModelRead(model) => self.data_model = Some(model.clone()),
        }
    }
}
