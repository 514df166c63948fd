//! What the store knows of each Twenty server (`#servers`): the reads, and the one way facts
//! learned of a server are recorded (only the news, as `ServerLearned` events).

use super::{keys, Result, Store};
use crate::domain::projection::{KnownServers, ServerKnowledge};
use crate::domain::{Event, ServerFact};

impl Store {
    /// What is known of each Twenty server this store has talked to.
    pub fn servers(&self) -> Result<KnownServers> {
        Ok(self
            .get_value(keys::SERVERS, "known servers")?
            .unwrap_or_default())
    }

    /// What is known of the Twenty server at `base_url` (normalised); empty when nothing is.
    pub fn server(&self, base_url: &str) -> Result<ServerKnowledge> {
        Ok(self.servers()?.servers.remove(base_url).unwrap_or_default())
    }

    /// The data model last read from the server at `base_url` (normalised), if it was read.
    pub fn data_model(&self, base_url: &str) -> Result<Option<crate::domain::fields::DataModel>> {
        Ok(self.server(base_url)?.data_model)
    }

    /// Records the facts among `facts` that are news to `known` (what is known of `server`) as
    /// `ServerLearned` events, in one append; returns them (nothing is appended when none is).
    pub fn learn_server_facts(
        &self,
        server: &str,
        known: &ServerKnowledge,
        facts: Vec<ServerFact>,
    ) -> Result<Vec<ServerFact>> {
        let news = known.news(facts);
        if !news.is_empty() {
            self.append(
                news.iter()
                    .map(|fact| Event::ServerLearned {
                        server: server.to_string(),
                        fact: fact.clone(),
                    })
                    .collect(),
            )?;
        }
        Ok(news)
    }
}
