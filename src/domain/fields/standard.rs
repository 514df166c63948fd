//! The fixed fields of an intent (name, e-mail, website, phone, job title, city) as values of
//! the workspace's standard fields, joined with the intent's other values: the one set of field
//! values a record is sent, hashed and compared with; and the way back, the fixed field a target
//! names ([`fixed_field`]), for every input path that reads `FIELD[.PART]` targets.

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

/// One of the intent's fixed fields: what `record_values` sends them as is where a column
/// mapped to that target goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FixedField {
    Name,
    FirstName,
    LastName,
    Email,
    Website,
    Phone,
    JobTitle,
    City,
}

impl FixedField {
    /// The field's name in validation errors (`IntentDraft::validate`).
    pub fn field_name(self) -> &'static str {
        match self {
            FixedField::Name => "name",
            FixedField::FirstName => "first_name",
            FixedField::LastName => "last_name",
            FixedField::Email => "email",
            FixedField::Website => "website",
            FixedField::Phone => "phone",
            FixedField::JobTitle => "job_title",
            FixedField::City => "city",
        }
    }

    /// Its place in an intent's fixed fields.
    pub fn slot(self, fields: &mut IntentFields) -> &mut Option<String> {
        match self {
            FixedField::Name => &mut fields.name,
            FixedField::FirstName => &mut fields.first_name,
            FixedField::LastName => &mut fields.last_name,
            FixedField::Email => &mut fields.email,
            FixedField::Website => &mut fields.website,
            FixedField::Phone => &mut fields.phone,
            FixedField::JobTitle => &mut fields.job_title,
            FixedField::City => &mut fields.city,
        }
    }
}

/// The split: the fixed field a target fills for `kind` (a company's `name` and
/// `domainName.primaryLinkUrl`; a person's `name` (whole), `name.firstName`/`lastName`,
/// `emails.primaryEmail`, `phones.primaryPhoneNumber`, `jobTitle`, `city`), or `None`: the
/// target is one of the intent's other values (`emails.additionalEmails`, `address.addressCity`,
/// any custom field).
pub fn fixed_field(kind: EntityKind, target: &FieldTarget) -> Option<FixedField> {
    use EntityKind::{Company, Person};
    Some(match (kind, target.field.as_str(), target.part) {
        (_, "name", None) => FixedField::Name,
        (Company, "domainName", Some(Part::PrimaryLinkUrl)) => FixedField::Website,
        (Person, "name", Some(Part::FirstName)) => FixedField::FirstName,
        (Person, "name", Some(Part::LastName)) => FixedField::LastName,
        (Person, "emails", Some(Part::PrimaryEmail)) => FixedField::Email,
        (Person, "phones", Some(Part::PrimaryPhoneNumber)) => FixedField::Phone,
        (Person, "jobTitle", None) => FixedField::JobTitle,
        (Person, "city", None) => FixedField::City,
        _ => return None,
    })
}
