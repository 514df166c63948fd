//! What a duplicate collided with, as pure functions: the unique field and value Twenty's message
//! names (the August 2025 build: `Duplicate Emails with value a@b.c. Please set a unique one.`),
//! else the record's own unique value (2.4.0 says only `A duplicate entry was detected`): a
//! person's e-mail, a company's domain, else its name; and the failure's message, which names
//! the Twenty record holding it and what the person can do.

use serde_json::Value;

use crate::domain::{Conflict, ConflictHolder, EntityKind};
use crate::twenty::{wire, RemoteRecord};

/// The unique value a refused push collided with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Collision {
    /// The field as Twenty's API names it, or as its message labels a field it has no API name
    /// for here.
    pub field: String,
    pub value: String,
    /// Where to look the record holding it up (an API path); `None` when unknown (a label) or
    /// already looked up (our own `externalId`).
    pub lookup: Option<&'static str>,
}

/// The API path of a field by the label Twenty's duplicate message gives it.
fn path_of_label(kind: EntityKind, label: &str) -> Option<&'static str> {
    match (kind, label) {
        (EntityKind::Person, "Emails") => Some("emails.primaryEmail"),
        (EntityKind::Company, "Domain Name") => Some("domainName.primaryLinkUrl"),
        (_, "External ID") => Some(wire::EXTERNAL_ID_FIELD),
        _ => None,
    }
}

/// The field label and value of `Duplicate <Label> with value <value>. Please set a unique one.`
fn named_in(message: &str) -> Option<(&str, &str)> {
    let rest = message.trim().strip_prefix("Duplicate ")?;
    let (label, value) = rest.split_once(" with value ")?;
    let value = value
        .strip_suffix(". Please set a unique one.")
        .unwrap_or(value);
    (!label.is_empty() && !value.is_empty()).then_some((label, value))
}

/// What a push refused as a duplicate collided with: what Twenty's `message` names, else the
/// unique value of the `body` sent. `None` when neither says.
pub fn collision(kind: EntityKind, message: Option<&str>, body: &Value) -> Option<Collision> {
    if let Some((label, value)) = message.and_then(named_in) {
        let path = path_of_label(kind, label);
        return Some(Collision {
            field: path.unwrap_or(label).to_string(),
            value: value.to_string(),
            lookup: path.filter(|path| *path != wire::EXTERNAL_ID_FIELD),
        });
    }
    let candidates: &[&'static str] = match kind {
        EntityKind::Person => &["emails.primaryEmail"],
        EntityKind::Company => &["domainName.primaryLinkUrl", "name"],
    };
    candidates.iter().find_map(|path| {
        wire::text_at(body, path).map(|value| Collision {
            field: path.to_string(),
            value: value.to_string(),
            lookup: Some(path),
        })
    })
}

/// Our `externalId` collided (the record is in Twenty's trash, where it keeps its values).
pub fn in_trash(external_id: &str, trashed: &RemoteRecord, kind: EntityKind) -> Conflict {
    Conflict {
        field: wire::EXTERNAL_ID_FIELD.to_string(),
        value: external_id.to_string(),
        holder: Some(ConflictHolder {
            in_trash: true,
            ..holder(kind, trashed)
        }),
    }
}

/// The record `found` as the holder of a conflict.
pub fn holder(kind: EntityKind, found: &RemoteRecord) -> ConflictHolder {
    ConflictHolder {
        twenty_id: found.id.clone(),
        name: wire::record_name(kind, &found.raw),
        external_id: found.external_id.clone(),
        in_trash: false,
    }
}

/// The failure's message: what collided with which record, and what to do. `mapped`: the record
/// is already linked to a Twenty record of its own (a link is then not offered).
pub fn message(kind: EntityKind, conflict: &Conflict, mapped: bool) -> String {
    let what = format!("Duplicate {} \"{}\"", conflict.field, conflict.value);
    let Some(holder) = &conflict.holder else {
        return format!(
            "{what}: another {kind} in Twenty holds it, but none was found among its records (it \
             may be in Twenty's trash); change the value, or empty the trash and retry, or dismiss \
             the failure"
        );
    };
    let name = holder
        .name
        .as_deref()
        .map(|name| format!(" \"{name}\""))
        .unwrap_or_default();
    let record = format!("the {kind}{name} ({})", holder.twenty_id);
    match &holder.external_id {
        _ if holder.in_trash => format!(
            "{what}: {record} in Twenty's trash still holds it; restore it or delete it for good \
             in Twenty, then retry"
        ),
        Some(external_id) => format!(
            "{what}: {record} in Twenty already has it (externalId {external_id}); change the \
             value, or dismiss the failure"
        ),
        None if mapped => format!(
            "{what}: {record} in Twenty already has it, without an externalId; change the value, \
             or dismiss the failure"
        ),
        None => format!(
            "{what}: {record} in Twenty already has it, without an externalId; link this record \
             to it, change the value, or dismiss the failure"
        ),
    }
}

#[cfg(test)]
mod tests;
