//! The columns an import understood before any data model (moved here from the import's
//! header handling, which re-exports [`KnownColumn`] as `Column`): their aliases, the record
//! columns among them, and the standard field each other one fills.

use super::parts::Part;
use super::text::compact_header;
use crate::domain::intent::EntityKind;

/// One of the fixed columns an import understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KnownColumn {
    Type,
    ExternalId,
    Name,
    FirstName,
    LastName,
    Email,
    Website,
    Phone,
    JobTitle,
    City,
    CompanyExternalId,
    CompanyName,
}

/// Every alias, compacted as headers are compared (case, spaces, dashes, dots and underscores
/// ignored): `id` → `external_id`, `company` → `company_name`, `e-mail` → `email`,
/// `url`/`domain` → `website`, `title` → `job_title`, …
const ALIASES: &[(&str, KnownColumn)] = &[
    ("type", KnownColumn::Type),
    ("kind", KnownColumn::Type),
    ("recordtype", KnownColumn::Type),
    ("entitytype", KnownColumn::Type),
    ("externalid", KnownColumn::ExternalId),
    ("id", KnownColumn::ExternalId),
    ("extid", KnownColumn::ExternalId),
    ("externalkey", KnownColumn::ExternalId),
    ("name", KnownColumn::Name),
    ("fullname", KnownColumn::Name),
    ("displayname", KnownColumn::Name),
    ("firstname", KnownColumn::FirstName),
    ("givenname", KnownColumn::FirstName),
    ("forename", KnownColumn::FirstName),
    ("lastname", KnownColumn::LastName),
    ("surname", KnownColumn::LastName),
    ("familyname", KnownColumn::LastName),
    ("email", KnownColumn::Email),
    ("mail", KnownColumn::Email),
    ("emailaddress", KnownColumn::Email),
    ("primaryemail", KnownColumn::Email),
    ("website", KnownColumn::Website),
    ("url", KnownColumn::Website),
    ("domain", KnownColumn::Website),
    ("domainname", KnownColumn::Website),
    ("web", KnownColumn::Website),
    ("homepage", KnownColumn::Website),
    ("phone", KnownColumn::Phone),
    ("phonenumber", KnownColumn::Phone),
    ("telephone", KnownColumn::Phone),
    ("tel", KnownColumn::Phone),
    ("mobile", KnownColumn::Phone),
    ("jobtitle", KnownColumn::JobTitle),
    ("title", KnownColumn::JobTitle),
    ("job", KnownColumn::JobTitle),
    ("position", KnownColumn::JobTitle),
    ("role", KnownColumn::JobTitle),
    ("city", KnownColumn::City),
    ("town", KnownColumn::City),
    ("companyexternalid", KnownColumn::CompanyExternalId),
    ("companyid", KnownColumn::CompanyExternalId),
    ("companyname", KnownColumn::CompanyName),
    ("company", KnownColumn::CompanyName),
    ("organisation", KnownColumn::CompanyName),
    ("organization", KnownColumn::CompanyName),
    ("employer", KnownColumn::CompanyName),
];

/// A column that says which record a row is about instead of filling a field: its kind, its
/// external id, and (for a person) the company it belongs to.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum RecordColumn {
    Kind,
    ExternalId,
    CompanyExternalId,
    CompanyName,
}

impl RecordColumn {
    /// The name used on the command line and in messages: `type`, `external_id`, …
    pub fn as_str(self) -> &'static str {
        match self {
            RecordColumn::Kind => KnownColumn::Type.as_str(),
            RecordColumn::ExternalId => KnownColumn::ExternalId.as_str(),
            RecordColumn::CompanyExternalId => KnownColumn::CompanyExternalId.as_str(),
            RecordColumn::CompanyName => KnownColumn::CompanyName.as_str(),
        }
    }

    /// The record column `text` names exactly (`external_id`, `externalId`, `type`, …).
    pub fn parse(text: &str) -> Option<RecordColumn> {
        match text.trim() {
            "type" => Some(RecordColumn::Kind),
            "external_id" | "externalId" => Some(RecordColumn::ExternalId),
            "company_external_id" => Some(RecordColumn::CompanyExternalId),
            "company_name" => Some(RecordColumn::CompanyName),
            _ => None,
        }
    }
}

impl KnownColumn {
    /// Every column, in documentation order.
    pub const ALL: [KnownColumn; 12] = [
        KnownColumn::Type,
        KnownColumn::ExternalId,
        KnownColumn::Name,
        KnownColumn::FirstName,
        KnownColumn::LastName,
        KnownColumn::Email,
        KnownColumn::Website,
        KnownColumn::Phone,
        KnownColumn::JobTitle,
        KnownColumn::City,
        KnownColumn::CompanyExternalId,
        KnownColumn::CompanyName,
    ];

    /// The canonical name, as validation errors name the field.
    pub fn as_str(self) -> &'static str {
        match self {
            KnownColumn::Type => "type",
            KnownColumn::ExternalId => "external_id",
            KnownColumn::Name => "name",
            KnownColumn::FirstName => "first_name",
            KnownColumn::LastName => "last_name",
            KnownColumn::Email => "email",
            KnownColumn::Website => "website",
            KnownColumn::Phone => "phone",
            KnownColumn::JobTitle => "job_title",
            KnownColumn::City => "city",
            KnownColumn::CompanyExternalId => "company_external_id",
            KnownColumn::CompanyName => "company_name",
        }
    }

    /// The column a validation error's field name refers to.
    pub fn from_field(field: &str) -> Option<KnownColumn> {
        KnownColumn::ALL.into_iter().find(|c| c.as_str() == field)
    }

    /// Recognises a header or key, or `None` for a column we do not use.
    pub fn recognise(header: &str) -> Option<KnownColumn> {
        KnownColumn::from_compact(&compact_header(header))
    }

    pub(crate) fn from_compact(compact: &str) -> Option<KnownColumn> {
        ALIASES
            .iter()
            .find(|(alias, _)| *alias == compact)
            .map(|(_, column)| *column)
    }

    /// The compacted aliases of this column.
    pub(crate) fn aliases(self) -> impl Iterator<Item = &'static str> {
        ALIASES
            .iter()
            .filter(move |(_, column)| *column == self)
            .map(|(alias, _)| *alias)
    }

    /// The record column this is, if it says which record a row is about.
    pub fn record_column(self) -> Option<RecordColumn> {
        match self {
            KnownColumn::Type => Some(RecordColumn::Kind),
            KnownColumn::ExternalId => Some(RecordColumn::ExternalId),
            KnownColumn::CompanyExternalId => Some(RecordColumn::CompanyExternalId),
            KnownColumn::CompanyName => Some(RecordColumn::CompanyName),
            _ => None,
        }
    }

    /// The standard field (and part) this column fills for `kind`, as today's fixed bodies send
    /// it: a person's `name` is the FULL_NAME split in two, a company's `city` its address city.
    pub(crate) fn standard_target(self, kind: EntityKind) -> Option<(&'static str, Option<Part>)> {
        use EntityKind::{Company, Person};
        Some(match (self, kind) {
            (KnownColumn::Name, _) => ("name", None),
            (KnownColumn::FirstName, Person) => ("name", Some(Part::FirstName)),
            (KnownColumn::LastName, Person) => ("name", Some(Part::LastName)),
            (KnownColumn::Email, Person) => ("emails", Some(Part::PrimaryEmail)),
            (KnownColumn::Website, Company) => ("domainName", Some(Part::PrimaryLinkUrl)),
            (KnownColumn::Phone, Person) => ("phones", Some(Part::PrimaryPhoneNumber)),
            (KnownColumn::JobTitle, Person) => ("jobTitle", None),
            (KnownColumn::City, Person) => ("city", None),
            (KnownColumn::City, Company) => ("address", Some(Part::AddressCity)),
            _ => return None,
        })
    }
}

impl std::fmt::Display for KnownColumn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
