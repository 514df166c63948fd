//! Intents (requests to upsert a company or a person), their sources, and the validation every
//! input path shares (CLI, import files, UI, relay).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::fields::FieldValues;

/// The longest `external_id` accepted, in characters.
pub const MAX_EXTERNAL_ID_CHARS: usize = 255;
/// The longest free-text field accepted, in characters (names, titles, cities, URLs).
pub const MAX_TEXT_CHARS: usize = 1_000;

/// What kind of Twenty record an intent targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum EntityKind {
    Company,
    Person,
}

impl EntityKind {
    /// Every kind, companies first (the order records are pushed in).
    pub const ALL: [EntityKind; 2] = [EntityKind::Company, EntityKind::Person];

    /// The byte that prefixes projection keys; companies sort before people.
    pub fn as_byte(self) -> u8 {
        match self {
            EntityKind::Company => b'c',
            EntityKind::Person => b'p',
        }
    }

    pub fn from_byte(byte: u8) -> Option<EntityKind> {
        match byte {
            b'c' => Some(EntityKind::Company),
            b'p' => Some(EntityKind::Person),
            _ => None,
        }
    }

    /// The lower-case name used on the command line, in JSON and in files.
    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::Company => "company",
            EntityKind::Person => "person",
        }
    }

    pub fn parse(text: &str) -> Option<EntityKind> {
        match text.trim().to_ascii_lowercase().as_str() {
            "company" | "companies" | "organisation" | "organization" => Some(EntityKind::Company),
            "person" | "people" | "persons" | "contact" | "contacts" => Some(EntityKind::Person),
            _ => None,
        }
    }
}

impl std::fmt::Display for EntityKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The identity of a record on our side: its kind and the caller's external id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RecordKey {
    pub kind: EntityKind,
    pub external_id: String,
}

impl RecordKey {
    pub fn new(kind: EntityKind, external_id: impl Into<String>) -> RecordKey {
        RecordKey {
            kind,
            external_id: external_id.into(),
        }
    }

    /// The projection key bytes: the kind byte, then the external id.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(1 + self.external_id.len());
        bytes.push(self.kind.as_byte());
        bytes.extend_from_slice(self.external_id.as_bytes());
        bytes
    }

    pub fn from_bytes(bytes: &[u8]) -> Option<RecordKey> {
        let (&first, rest) = bytes.split_first()?;
        Some(RecordKey {
            kind: EntityKind::from_byte(first)?,
            external_id: String::from_utf8(rest.to_vec()).ok()?,
        })
    }
}

impl std::fmt::Display for RecordKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.kind, self.external_id)
    }
}

/// The validated, normalised fields of an intent (seed names plus the person details).
/// Absent values are `None`, never empty strings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntentFields {
    pub name: Option<String>,
    pub email: Option<String>,
    pub website: Option<String>,
    pub company_external_id: Option<String>,
    pub company_name: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: Option<String>,
    pub job_title: Option<String>,
    pub city: Option<String>,
}

impl IntentFields {
    /// Every field in a fixed order; the order is part of [`crate::domain::fields_hash`].
    pub fn in_hash_order(&self) -> [Option<&str>; 10] {
        [
            self.name.as_deref(),
            self.email.as_deref(),
            self.website.as_deref(),
            self.company_external_id.as_deref(),
            self.company_name.as_deref(),
            self.first_name.as_deref(),
            self.last_name.as_deref(),
            self.phone.as_deref(),
            self.job_title.as_deref(),
            self.city.as_deref(),
        ]
    }
}

/// Where an intent came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum IntentSource {
    Cli,
    Ui,
    /// A row of a dropped or imported file (row numbers count data rows from 1).
    Import {
        file: String,
        row: u64,
    },
    /// Forwarded by another agent through a relay.
    Relay {
        origin: String,
    },
}

impl IntentSource {
    pub fn describe(&self) -> String {
        match self {
            IntentSource::Cli => "cli".to_string(),
            IntentSource::Ui => "ui".to_string(),
            IntentSource::Import { file, row } => format!("import {file} row {row}"),
            IntentSource::Relay { origin } => format!("relay from {origin}"),
        }
    }
}

/// A recorded request to upsert one company or person in Twenty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Intent {
    /// UUIDv7: unique, and ordered by creation time.
    pub id: Uuid,
    pub kind: EntityKind,
    pub external_id: String,
    pub fields: IntentFields,
    pub source: IntentSource,
    /// When the caller asked, in milliseconds since the Unix epoch.
    pub requested_at_ms: i64,
    /// Every other field of the workspace the caller gave (typed and checked against the data
    /// model where they were read: a file's columns, `push --field`, the relay's `fields`).
    /// Added in schema 2; intents of schema 1 have none. Last, so the schema-1 bytes of an intent
    /// are a prefix of its schema-2 bytes (see `event::upcast`).
    #[serde(default)]
    pub values: FieldValues,
}

impl Intent {
    pub fn key(&self) -> RecordKey {
        RecordKey::new(self.kind, self.external_id.clone())
    }
}

/// Raw, unvalidated input for an intent, as it arrives from any input path.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntentDraft {
    pub external_id: Option<String>,
    #[serde(flatten)]
    pub fields: IntentFields,
    /// The other fields, already read and checked against the data model by the input path
    /// (never taken from JSON as they are: a front end reads `FIELD[.PART]` texts first).
    #[serde(skip)]
    pub values: FieldValues,
}

/// One reason an input was refused, naming the field so a person can fix it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: &'static str,
    pub value: String,
    pub message: String,
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl IntentDraft {
    /// The one way a draft becomes an intent, for every input path (CLI, UI, import, relay,
    /// engine): validated and normalised, with the id and time the caller chose (a fresh UUIDv7
    /// and now, or a relayed intent's own).
    pub fn into_intent(
        self,
        kind: EntityKind,
        id: Uuid,
        source: IntentSource,
        requested_at_ms: i64,
    ) -> Result<Intent, Vec<FieldError>> {
        let (external_id, fields) = self.validate(kind)?;
        Ok(Intent {
            id,
            kind,
            external_id,
            fields,
            source,
            requested_at_ms,
            values: self.values,
        })
    }

    /// Validates and normalises the draft; on success returns the external id and fields.
    /// Every problem is reported, not only the first.
    pub fn validate(&self, kind: EntityKind) -> Result<(String, IntentFields), Vec<FieldError>> {
        let mut errors = Vec::new();
        let external_id = check_external_id(
            "external_id",
            self.external_id.as_deref(),
            true,
            &mut errors,
        );
        let raw = &self.fields;
        let mut fields = IntentFields {
            name: clean_text("name", raw.name.as_deref(), &mut errors),
            email: clean_text("email", raw.email.as_deref(), &mut errors),
            website: clean_text("website", raw.website.as_deref(), &mut errors),
            company_external_id: check_external_id(
                "company_external_id",
                raw.company_external_id.as_deref(),
                false,
                &mut errors,
            ),
            company_name: clean_text("company_name", raw.company_name.as_deref(), &mut errors),
            first_name: clean_text("first_name", raw.first_name.as_deref(), &mut errors),
            last_name: clean_text("last_name", raw.last_name.as_deref(), &mut errors),
            phone: clean_text("phone", raw.phone.as_deref(), &mut errors),
            job_title: clean_text("job_title", raw.job_title.as_deref(), &mut errors),
            city: clean_text("city", raw.city.as_deref(), &mut errors),
        };

        if kind == EntityKind::Person && fields.name.is_none() {
            // A person may be named by first and last name alone.
            let joined = [fields.first_name.as_deref(), fields.last_name.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ");
            if !joined.is_empty() {
                fields.name = Some(joined);
            }
        }
        if fields.name.is_none() && !errors.iter().any(|e| e.field == "name") {
            errors.push(FieldError {
                field: "name",
                value: String::new(),
                message: match kind {
                    EntityKind::Company => "a company needs a name".to_string(),
                    EntityKind::Person => {
                        "a person needs a name (or a first and last name)".to_string()
                    }
                },
            });
        }

        match (&fields.email, kind) {
            (Some(email), _) => match normalise_email(email) {
                Ok(normalised) => fields.email = Some(normalised),
                Err(message) => errors.push(FieldError {
                    field: "email",
                    value: email.clone(),
                    message,
                }),
            },
            (None, EntityKind::Person) if !errors.iter().any(|e| e.field == "email") => errors
                .push(FieldError {
                    field: "email",
                    value: String::new(),
                    message: "a person needs an email address".to_string(),
                }),
            (None, _) => {}
        }

        if let Some(website) = &fields.website {
            match normalise_website(website) {
                Ok(normalised) => fields.website = Some(normalised),
                Err(message) => errors.push(FieldError {
                    field: "website",
                    value: website.clone(),
                    message,
                }),
            }
        }

        if kind == EntityKind::Company {
            for (field, value) in [
                ("company_external_id", &fields.company_external_id),
                ("company_name", &fields.company_name),
            ] {
                if value.is_some() {
                    errors.push(FieldError {
                        field,
                        value: value.clone().unwrap_or_default(),
                        message: "only a person can belong to a company".to_string(),
                    });
                }
            }
        }

        match (external_id, errors.is_empty()) {
            (Some(id), true) => Ok((id, fields)),
            _ => Err(errors),
        }
    }
}

fn has_control_chars(text: &str) -> bool {
    text.chars().any(char::is_control)
}

fn clean_text(
    field: &'static str,
    value: Option<&str>,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    let trimmed = value?.trim();
    if trimmed.is_empty() {
        return None;
    }
    if has_control_chars(trimmed) {
        errors.push(FieldError {
            field,
            value: trimmed.to_string(),
            message:
                "contains control characters (line breaks, tabs or invisible codes); remove them"
                    .to_string(),
        });
        return None;
    }
    if trimmed.chars().count() > MAX_TEXT_CHARS {
        errors.push(FieldError {
            field,
            value: trimmed.chars().take(40).collect::<String>() + "…",
            message: format!("is longer than {MAX_TEXT_CHARS} characters"),
        });
        return None;
    }
    Some(trimmed.to_string())
}

fn check_external_id(
    field: &'static str,
    value: Option<&str>,
    required: bool,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    let trimmed = value.map(str::trim).unwrap_or("");
    if trimmed.is_empty() {
        if required {
            errors.push(FieldError {
                field,
                value: String::new(),
                message: "is required and must not be empty".to_string(),
            });
        }
        return None;
    }
    if has_control_chars(trimmed) {
        errors.push(FieldError {
            field,
            value: trimmed.escape_debug().to_string(),
            message: "must not contain control characters".to_string(),
        });
        return None;
    }
    if trimmed.chars().count() > MAX_EXTERNAL_ID_CHARS {
        errors.push(FieldError {
            field,
            value: trimmed.chars().take(40).collect::<String>() + "…",
            message: format!("is longer than {MAX_EXTERNAL_ID_CHARS} characters"),
        });
        return None;
    }
    Some(trimmed.to_string())
}

/// Lower-cases and checks an email address the way Twenty stores it.
pub fn normalise_email(email: &str) -> Result<String, String> {
    let email = email.trim().to_lowercase();
    let bad = || format!("'{email}' is not an email address (expected name@domain.tld)");
    if email.len() > 254 || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad());
    }
    let (local, domain) = email.rsplit_once('@').ok_or_else(bad)?;
    if local.is_empty() || local.contains('@') || local.len() > 64 {
        return Err(bad());
    }
    let labels: Vec<&str> = domain.split('.').collect();
    let labels_ok = labels.len() >= 2
        && labels.iter().all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
    if !labels_ok {
        return Err(bad());
    }
    Ok(email)
}

/// Normalises a website the way Twenty compares links: scheme added when missing, scheme and
/// host lower-cased, no trailing slash; the path keeps its case.
pub fn normalise_website(website: &str) -> Result<String, String> {
    let trimmed = website.trim();
    let bad = |why: &str| {
        format!(
            "'{trimmed}' is not a website address ({why}); use e.g. acme.com or https://acme.com"
        )
    };
    let with_scheme = if trimmed.contains("://") {
        trimmed.to_string()
    } else {
        format!("https://{trimmed}")
    };
    let parsed = url::Url::parse(&with_scheme).map_err(|e| bad(&e.to_string()))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(bad("only http and https are supported"));
    }
    let host = match parsed.host() {
        Some(url::Host::Domain(domain)) => {
            let domain = domain.to_string();
            if !domain.contains('.') && domain != "localhost" {
                return Err(bad("the host has no dot"));
            }
            domain
        }
        Some(other) => other.to_string(),
        None => return Err(bad("no host")),
    };
    let mut normalised = format!("{}://{}", parsed.scheme(), host);
    if let Some(port) = parsed.port() {
        normalised.push_str(&format!(":{port}"));
    }
    // Keep the path exactly as typed (url would percent-encode or re-case nothing in it).
    let path = parsed.path().trim_end_matches('/');
    normalised.push_str(path);
    if let Some(query) = parsed.query() {
        normalised.push('?');
        normalised.push_str(query);
    }
    Ok(normalised)
}

#[cfg(test)]
mod tests;
