//! The About screen's operation: the version, the data directory, the log folder and the Twenty
//! server with what this store has detected of it (which build it behaves like).

use serde::{Deserialize, Serialize};

use super::{blocking, OpError, Operation};
use crate::app::Live;
use crate::domain::projection::ServerKnowledge;
use crate::domain::MetadataRoute;

/// The version of Twenty Sync (the workspace version: the CLI, the desktop app and the package).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Version, folders and the server: what the About screen shows.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct About {}

/// The About screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AboutReply {
    pub version: String,
    pub data_dir: String,
    /// The folder of the daily log files.
    pub log_dir: String,
    /// The Twenty server set in the settings, when one is.
    pub server: Option<ServerAbout>,
}

/// The configured Twenty server and what was detected of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerAbout {
    pub base_url: String,
    /// Which Twenty build it behaves like, in words (always set: "not detected yet" when nothing
    /// was learned).
    pub flavour: String,
    /// Whether anything was learned of it yet (at the first sync or Test connection).
    pub detected: bool,
    /// `graphql` or `rest`: the metadata API that answers.
    pub metadata_api: Option<String>,
    /// Whether batch upserts (`?upsert=true`) apply.
    pub upserts_apply: Option<bool>,
    /// The most records one batch request may carry, when the server named it.
    pub max_batch: Option<u32>,
    /// Whether the `externalId` field was found on companies (it is checked at their first push).
    pub external_id_on_companies: bool,
    /// Whether the `externalId` field was found on people.
    pub external_id_on_people: bool,
    /// Whether the workspace's fields (data model) were read.
    pub data_model_read: bool,
}

impl ServerAbout {
    /// What `knowledge` tells of the server at `base_url`.
    pub fn of(base_url: String, knowledge: &ServerKnowledge) -> ServerAbout {
        let detected = *knowledge != ServerKnowledge::default();
        ServerAbout {
            base_url,
            flavour: flavour(knowledge, detected).to_string(),
            detected,
            metadata_api: knowledge.metadata_route.map(|route| {
                match route {
                    MetadataRoute::Graphql => "graphql",
                    MetadataRoute::Rest => "rest",
                }
                .to_string()
            }),
            upserts_apply: knowledge.upsert_applies,
            max_batch: knowledge.max_batch,
            external_id_on_companies: knowledge.company_external_id.is_some(),
            external_id_on_people: knowledge.person_external_id.is_some(),
            data_model_read: knowledge.data_model.is_some(),
        }
    }
}

/// The build a server behaves like: Twenty reports no version, so it is told by what it does
/// (the two measured builds differ in whether `?upsert=true` applies and in the batch cap).
fn flavour(knowledge: &ServerKnowledge, detected: bool) -> &'static str {
    match (knowledge.upsert_applies, knowledge.max_batch) {
        (Some(true), _) | (None, Some(_)) => {
            "a current Twenty (2.x): batch upserts apply, batches are capped"
        }
        (Some(false), _) => "an older Twenty build (like August 2025's): upserts are ignored",
        (None, None) if detected => {
            "a Twenty server (its build shows once updates or large batches were sent)"
        }
        (None, None) => "not detected yet (at the first sync or Test connection)",
    }
}

impl Operation for About {
    type Reply = AboutReply;

    async fn run(self, live: &Live) -> Result<AboutReply, OpError> {
        let handle = live.handle().clone();
        blocking(move || {
            let store = handle.store();
            let data_dir = store.data_dir().to_path_buf();
            let server = match handle.settings().server_key() {
                Some(base_url) => {
                    let knowledge = store.server(&base_url)?;
                    Some(ServerAbout::of(base_url, &knowledge))
                }
                None => None,
            };
            Ok(AboutReply {
                version: VERSION.to_string(),
                data_dir: data_dir.display().to_string(),
                log_dir: crate::paths::logs_dir(&data_dir).display().to_string(),
                server,
            })
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flavour_follows_what_was_learned() {
        let unknown = ServerAbout::of("https://crm.example.com".into(), &Default::default());
        assert!(!unknown.detected);
        assert!(unknown.flavour.contains("not detected"), "{unknown:?}");
        let current = ServerKnowledge {
            upsert_applies: Some(true),
            max_batch: Some(200),
            metadata_route: Some(MetadataRoute::Graphql),
            ..Default::default()
        };
        let current = ServerAbout::of("https://crm.example.com".into(), &current);
        assert!(current.flavour.contains("2.x"), "{current:?}");
        assert_eq!(current.metadata_api.as_deref(), Some("graphql"));
        assert_eq!(current.max_batch, Some(200));
        let older = ServerKnowledge {
            upsert_applies: Some(false),
            ..Default::default()
        };
        let older = ServerAbout::of("https://crm.example.com".into(), &older);
        assert!(older.flavour.contains("August 2025"), "{older:?}");
    }
}
