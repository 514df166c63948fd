//! The fixed fields of an intent (name, e-mail, website, phone, job title, city) as values of
//! the workspace's standard fields, joined with the intent's other values: the one set of field
//! values a record is sent, hashed and compared with.

use super::cells::CellValue;
use super::parts::Part;
use super::wire::{FieldTarget, FieldValues};
use crate::domain::intent::{EntityKind, IntentFields};

/// Every field value of a record: its fixed fields at their standard targets (`name`,
/// `domainName.primaryLinkUrl`; for people `name.firstName`/`lastName`, `emails.primaryEmail`,
/// `phones.primaryPhoneNumber`, `jobTitle`, `city`), then `values`. A target given both ways
/// keeps the fixed field's value; the parts of one composite given both ways are sent together
/// (`emails.primaryEmail` from the e-mail column, `emails.additionalEmails` from another).
pub fn record_values(kind: EntityKind, fields: &IntentFields, values: &FieldValues) -> FieldValues {
    let mut all = FieldValues::new();
    let mut text = |field: &str, part: Option<Part>, value: &Option<String>| {
        if let Some(value) = value {
            all.set(
                FieldTarget::new(field, part),
                CellValue::Text(value.clone()),
            );
        }
    };
    match kind {
        EntityKind::Company => {
            text("name", None, &fields.name);
            text("domainName", Some(Part::PrimaryLinkUrl), &fields.website);
        }
        EntityKind::Person => {
            if let Some((first, last)) = split_name(fields) {
                text("name", Some(Part::FirstName), &Some(first));
                text("name", Some(Part::LastName), &Some(last));
            }
            let email = fields.email.as_ref().map(|e| e.trim().to_lowercase());
            text("emails", Some(Part::PrimaryEmail), &email);
            text("phones", Some(Part::PrimaryPhoneNumber), &fields.phone);
            text("jobTitle", None, &fields.job_title);
            text("city", None, &fields.city);
        }
    }
    for (target, value) in values.iter() {
        all.set(target.clone(), value.clone());
    }
    all
}

/// The first and last name to send: the given ones when either is present, else `name` split on
/// its first space (`"Ada King Lovelace"` → `"Ada"`, `"King Lovelace"`).
pub fn split_name(fields: &IntentFields) -> Option<(String, String)> {
    if fields.first_name.is_some() || fields.last_name.is_some() {
        return Some((
            fields.first_name.clone().unwrap_or_default(),
            fields.last_name.clone().unwrap_or_default(),
        ));
    }
    let name = fields.name.as_deref()?.trim();
    if name.is_empty() {
        return None;
    }
    Some(match name.split_once(' ') {
        Some((first, last)) => (first.to_string(), last.trim().to_string()),
        None => (name.to_string(), String::new()),
    })
}
