//! The connection test ([`TwentyClient::test_connection`]): reachability, the key, read access
//! to companies and people, and the `externalId` fields, each reported as a named check with a
//! detail, plus one message that says what to do next. One attempt per request, no retries.

use tokio::time::Instant;

use super::client::{Call, TwentyClient};
use super::error::{ErrorCode, TwentyError};
use super::metadata::{FieldRefusal, SchemaReport};
use super::retry::RetryPolicy;
use super::{wire, CheckState, ConnectionCheck, ConnectionReport};
use crate::domain::EntityKind;

fn check(name: &'static str, ok: bool, detail: impl Into<String>) -> ConnectionCheck {
    ConnectionCheck {
        name: name.to_string(),
        ok,
        state: if ok {
            CheckState::Ok
        } else {
            CheckState::Failed
        },
        detail: detail.into(),
    }
}

/// A check that was not tried because an earlier one failed (`why` says which).
fn not_run(name: &'static str, why: &str) -> ConnectionCheck {
    ConnectionCheck {
        name: name.to_string(),
        ok: false,
        state: CheckState::NotRun,
        detail: format!("not run: {why}"),
    }
}

fn is_network(error: &TwentyError) -> bool {
    matches!(
        error.root().code(),
        ErrorCode::NetworkError | ErrorCode::Timeout
    )
}

/// A failed read as the check shows it: the error's own sentence (an auth error already says
/// the key was refused and where to check it).
fn describe_read_error(error: &TwentyError) -> String {
    error.to_string()
}

fn external_id_check_name(kind: EntityKind) -> &'static str {
    match kind {
        EntityKind::Company => "external_id_companies",
        EntityKind::Person => "external_id_people",
    }
}

/// Why a kind has no `externalId` field, in words a person can act on.
fn missing_detail(kind: EntityKind, schema: &SchemaReport, tried: bool) -> String {
    let plural = wire::plural(kind);
    match &schema.refusal {
        Some(FieldRefusal::Forbidden(twenty)) => format!(
            "{plural} have no externalId field and Twenty refused to create it for this key \
             (\"{twenty}\"): use a key whose role may change the data model, or add a unique Text \
             field named externalId in Settings → Data model"
        ),
        Some(FieldRefusal::Refused(twenty)) => format!(
            "{plural} have no externalId field and Twenty refused to create it (\"{twenty}\"): \
             add a unique Text field named externalId in Settings → Data model"
        ),
        None if tried => format!("{plural} have no externalId field"),
        None => format!(
            "{plural} have no externalId field yet; the first sync creates it (so does Create \
             field, or test-connection without --no-create)"
        ),
    }
}

fn read_check_name(kind: EntityKind) -> &'static str {
    match kind {
        EntityKind::Company => "read_companies",
        EntityKind::Person => "read_people",
    }
}

impl TwentyClient {
    /// `GET /rest/{plural}?limit=1&depth=0`, one attempt; returns `totalCount` when given.
    async fn read_one(&self, kind: EntityKind) -> Result<Option<u64>, TwentyError> {
        let path = format!(
            "/rest/{}?{}",
            wire::plural(kind),
            wire::query_string(&[("limit", "1"), ("depth", "0")])
        );
        let (status, body) = self.execute(Call::get(path, RetryPolicy::none())).await?;
        if wire::parse_list(kind, &body).is_none() {
            return Err(TwentyError::unexpected(
                status,
                &format!("the list has no data.{}", wire::plural(kind)),
                &self.redactor,
            ));
        }
        Ok(body.get("totalCount").and_then(serde_json::Value::as_u64))
    }

    /// Checks, in order: `reachable` (`/healthz`), `authenticated` and `read_companies`
    /// (`GET /rest/companies?limit=1&depth=0`), `read_people`, `external_id_companies` and
    /// `external_id_people` (metadata, or a records-API probe when this key cannot read
    /// metadata; a missing field is created when `create_missing`, as the first sync would).
    /// `ok` only when every check passes. Never fails: problems are in the report.
    pub async fn test_connection(&self, create_missing: bool) -> ConnectionReport {
        let started = Instant::now();
        let mut checks = Vec::new();

        let health = self.healthz().await;
        let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let unreachable = health.as_ref().err().is_some_and(is_network);
        checks.push(match &health {
            Ok(()) => check(
                "reachable",
                true,
                format!("{} answered in {latency_ms} ms", self.base_url()),
            ),
            Err(error) => check("reachable", false, error.to_string()),
        });
        if unreachable {
            for name in [
                "authenticated",
                "read_companies",
                "read_people",
                "external_id_companies",
                "external_id_people",
            ] {
                checks.push(not_run(name, "the server is not reachable"));
            }
            return self.report(latency_ms, checks);
        }

        let companies = self.read_one(EntityKind::Company).await;
        let key_refused = matches!(&companies, Err(e) if e.code() == ErrorCode::AuthError);
        match &companies {
            Ok(total) => {
                checks.push(check("authenticated", true, "Twenty accepted the API key"));
                let detail = match total {
                    Some(total) => format!("{total} companies visible"),
                    None => "companies readable".to_string(),
                };
                checks.push(check("read_companies", true, detail));
            }
            Err(error) => {
                checks.push(check("authenticated", false, describe_read_error(error)));
                checks.push(if key_refused {
                    not_run("read_companies", "the key was refused")
                } else {
                    check("read_companies", false, error.to_string())
                });
            }
        }
        if key_refused {
            for name in ["read_people", "external_id_companies", "external_id_people"] {
                checks.push(not_run(name, "the key was refused"));
            }
            return self.report(latency_ms, checks);
        }

        match self.read_one(EntityKind::Person).await {
            Ok(total) => {
                let detail = match total {
                    Some(total) => format!("{total} people visible"),
                    None => "people readable".to_string(),
                };
                checks.push(check(read_check_name(EntityKind::Person), true, detail));
            }
            Err(error) => checks.push(check(
                read_check_name(EntityKind::Person),
                false,
                describe_read_error(&error),
            )),
        }

        let schema = match self.ensure_with(create_missing, RetryPolicy::none()).await {
            Ok(schema) => schema,
            Err(error) => {
                for kind in EntityKind::ALL {
                    checks.push(check(
                        external_id_check_name(kind),
                        false,
                        describe_read_error(&error),
                    ));
                }
                return self.report(latency_ms, checks);
            }
        };
        for kind in EntityKind::ALL {
            let name = external_id_check_name(kind);
            checks.push(match schema.field(kind) {
                Some(field) => {
                    let mut detail = if field.created {
                        "the externalId field was created now".to_string()
                    } else {
                        "the externalId field exists".to_string()
                    };
                    if let Some(caveat) = field.caveat() {
                        detail = format!("{detail}, but {caveat}");
                    }
                    check(
                        name,
                        field.field_type == "TEXT" || field.field_type == "UNKNOWN",
                        detail,
                    )
                }
                None => check(name, false, missing_detail(kind, &schema, create_missing)),
            });
        }
        let mut report = self.report(latency_ms, checks);
        let caveat = EntityKind::ALL
            .iter()
            .filter_map(|kind| schema.field(*kind))
            .find_map(|field| field.caveat());
        if let Some(caveat) = caveat.filter(|_| report.ok) {
            report.message = self
                .redactor
                .scrub(&format!("{}, but {caveat}", report.message));
        }
        report.schema = Some(schema);
        report
    }

    fn report(&self, latency_ms: u64, mut checks: Vec<ConnectionCheck>) -> ConnectionReport {
        for check in &mut checks {
            check.detail = self.redactor.scrub(&check.detail);
        }
        let ok = checks.iter().all(|c| c.ok);
        let message = if ok {
            format!(
                "Connected to Twenty at {}: the API key can read companies and people, and both \
                 have the externalId field",
                self.base_url()
            )
        } else {
            advice(self.base_url(), &checks)
        };
        ConnectionReport {
            ok,
            latency_ms,
            message: self.redactor.scrub(&message),
            checks,
            schema: None,
        }
    }
}

/// What to do about the first failed check. Its detail (Twenty's or the network's own words) is
/// listed with the check, so the advice names what failed and what to do, without repeating it.
fn advice(base_url: &str, checks: &[ConnectionCheck]) -> String {
    let failed = |name: &str| checks.iter().find(|c| c.name == name && !c.ok);
    if let Some(c) = failed("reachable") {
        if checks.iter().any(|c| c.name == "authenticated" && c.ok) {
            return format!(
                "Twenty's API answers, but its health check at {base_url}/healthz does not: {}",
                c.detail
            );
        }
        return format!(
            "Cannot reach Twenty at {base_url}: check the server address (e.g. \
             https://api.twenty.com or your own server's address) and the network connection"
        );
    }
    if failed("authenticated").is_some() {
        return "Twenty did not accept the API key: create or check the key in Settings → APIs & \
                Webhooks"
            .to_string();
    }
    for (name, what) in [("read_companies", "companies"), ("read_people", "people")] {
        if failed(name).is_some_and(|c| c.state == CheckState::Failed) {
            return format!(
                "The API key cannot read {what}: give the key's role read and write access to \
                 {what} (Settings → Members → Roles)"
            );
        }
    }
    let details: Vec<&str> = checks
        .iter()
        .filter(|c| c.name.starts_with("external_id") && c.state == CheckState::Failed)
        .map(|c| c.detail.as_str())
        .collect();
    // "companies have no … ; people have no …" with the same words: said once for both.
    let rests: Vec<&str> = details
        .iter()
        .map(|d| {
            d.trim_start_matches("companies")
                .trim_start_matches("people")
        })
        .collect();
    let mut sentence = match rests.as_slice() {
        [first, second] if first == second && details[0] != details[1] => {
            format!("companies and people{first}")
        }
        _ => details.join("; "),
    };
    if let Some(first) = sentence.get(..1) {
        sentence = format!("{}{}", first.to_uppercase(), &sentence[1..]);
    }
    sentence
}
