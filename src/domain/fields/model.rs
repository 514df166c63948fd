//! The workspace's data model as data: field types, each field's definition (with its select or
//! rating options), the fields of one object kind, and both kinds together.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::domain::intent::EntityKind;

/// The name of the custom field that holds our external id: a record column, never a mapped field.
pub(crate) const EXTERNAL_ID_FIELD: &str = "externalId";

/// A Twenty field type, named as the metadata API names it (`FieldMetadataType` in
/// `packages/twenty-shared/src/types/FieldMetadataType.ts`). Types we do not write (relations,
/// actors, positions, rich text, UUIDs, …) are kept by name in [`FieldType::Other`]: listed,
/// never mapped. The person → company link is a record column, not a field.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum FieldType {
    Text,
    Number,
    Numeric,
    Boolean,
    Date,
    DateTime,
    Select,
    MultiSelect,
    Rating,
    Emails,
    Phones,
    Links,
    FullName,
    Address,
    Currency,
    Array,
    RawJson,
    Other(String),
}

impl FieldType {
    /// The metadata API's name: `TEXT`, `MULTI_SELECT`, `FULL_NAME`, …
    pub fn as_str(&self) -> &str {
        match self {
            FieldType::Text => "TEXT",
            FieldType::Number => "NUMBER",
            FieldType::Numeric => "NUMERIC",
            FieldType::Boolean => "BOOLEAN",
            FieldType::Date => "DATE",
            FieldType::DateTime => "DATE_TIME",
            FieldType::Select => "SELECT",
            FieldType::MultiSelect => "MULTI_SELECT",
            FieldType::Rating => "RATING",
            FieldType::Emails => "EMAILS",
            FieldType::Phones => "PHONES",
            FieldType::Links => "LINKS",
            FieldType::FullName => "FULL_NAME",
            FieldType::Address => "ADDRESS",
            FieldType::Currency => "CURRENCY",
            FieldType::Array => "ARRAY",
            FieldType::RawJson => "RAW_JSON",
            FieldType::Other(name) => name,
        }
    }

    /// The type the metadata API names `name` (exactly, as it spells types).
    pub fn from_name(name: &str) -> FieldType {
        match name {
            "TEXT" => FieldType::Text,
            "NUMBER" => FieldType::Number,
            "NUMERIC" => FieldType::Numeric,
            "BOOLEAN" => FieldType::Boolean,
            "DATE" => FieldType::Date,
            "DATE_TIME" => FieldType::DateTime,
            "SELECT" => FieldType::Select,
            "MULTI_SELECT" => FieldType::MultiSelect,
            "RATING" => FieldType::Rating,
            "EMAILS" => FieldType::Emails,
            "PHONES" => FieldType::Phones,
            "LINKS" => FieldType::Links,
            "FULL_NAME" => FieldType::FullName,
            "ADDRESS" => FieldType::Address,
            "CURRENCY" => FieldType::Currency,
            "ARRAY" => FieldType::Array,
            "RAW_JSON" => FieldType::RawJson,
            other => FieldType::Other(other.to_string()),
        }
    }

    /// Whether values of this type can be sent (every type but [`FieldType::Other`]).
    pub fn is_writable(&self) -> bool {
        !matches!(self, FieldType::Other(_))
    }
}

impl From<String> for FieldType {
    fn from(name: String) -> FieldType {
        FieldType::from_name(&name)
    }
}

impl From<FieldType> for String {
    fn from(field_type: FieldType) -> String {
        field_type.as_str().to_string()
    }
}

impl std::fmt::Display for FieldType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One option of a SELECT, MULTI_SELECT or RATING field: the value Twenty stores and the label
/// people see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldOption {
    pub value: String,
    pub label: String,
}

/// Whether a field comes with Twenty or was made in the workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FieldOrigin {
    Standard,
    Custom,
}

/// One field of an object, as the metadata describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldDef {
    /// The field's metadata id (empty for the built-in [`DataModel::standard`] model).
    pub id: String,
    pub kind: EntityKind,
    /// The API name, as in record bodies: `jobTitle`, `linkedinLink`, `listingUrl`.
    pub name: String,
    /// The name people see in Twenty: `Job Title`, `Linkedin`, `Listing URL`.
    pub label: String,
    pub field_type: FieldType,
    /// SELECT / MULTI_SELECT / RATING options, in Twenty's order (by position).
    pub options: Vec<FieldOption>,
    pub nullable: bool,
    pub unique: bool,
    pub active: bool,
    /// Fields Twenty keeps for itself (`position`, `createdBy`, `searchVector`, …).
    pub system: bool,
    pub origin: FieldOrigin,
}

impl FieldDef {
    /// A custom field of `kind` as the metadata describes one made in the workspace: active,
    /// nullable, not unique, no options (see [`FieldDef::with_options`]).
    pub fn custom(kind: EntityKind, name: &str, label: &str, field_type: FieldType) -> FieldDef {
        FieldDef {
            id: format!("id-{name}"),
            kind,
            name: name.to_string(),
            label: label.to_string(),
            field_type,
            options: Vec::new(),
            nullable: true,
            unique: false,
            active: true,
            system: false,
            origin: FieldOrigin::Custom,
        }
    }

    /// The field with these options (value, label), in this order.
    pub fn with_options(mut self, options: &[(&str, &str)]) -> FieldDef {
        self.options = options
            .iter()
            .map(|(value, label)| FieldOption {
                value: value.to_string(),
                label: label.to_string(),
            })
            .collect();
        self
    }

    /// Whether a column may be mapped to this field: active, not a system field, of a type we
    /// write, and not the `externalId` key (that is the external-id record column).
    pub fn is_mappable(&self) -> bool {
        self.active
            && !self.system
            && self.field_type.is_writable()
            && self.name != EXTERNAL_ID_FIELD
    }

    /// The options a value is checked against: the field's own, or for a RATING field read
    /// without them, Twenty's five (`RATING_1` … `RATING_5`, labelled 1 … 5).
    pub fn effective_options(&self) -> Cow<'_, [FieldOption]> {
        if self.options.is_empty() && self.field_type == FieldType::Rating {
            return Cow::Borrowed(default_ratings());
        }
        Cow::Borrowed(&self.options)
    }
}

/// The fields of one object kind, by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectFields {
    pub kind: EntityKind,
    fields: BTreeMap<String, FieldDef>,
}

impl ObjectFields {
    /// The fields of `kind`; a name given twice keeps its first definition.
    pub fn new(kind: EntityKind, fields: impl IntoIterator<Item = FieldDef>) -> ObjectFields {
        let mut by_name = BTreeMap::new();
        for field in fields {
            by_name.entry(field.name.clone()).or_insert(field);
        }
        ObjectFields {
            kind,
            fields: by_name,
        }
    }

    pub fn get(&self, name: &str) -> Option<&FieldDef> {
        self.fields.get(name)
    }

    /// Every field, by name.
    pub fn iter(&self) -> impl Iterator<Item = &FieldDef> {
        self.fields.values()
    }

    /// The fields a column may be mapped to.
    pub fn mappable(&self) -> impl Iterator<Item = &FieldDef> {
        self.iter().filter(|field| field.is_mappable())
    }

    pub fn len(&self) -> usize {
        self.fields.len()
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }
}

/// The data model of the workspace: the fields of Company and of Person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataModel {
    companies: ObjectFields,
    people: ObjectFields,
}

impl DataModel {
    /// Both kinds' fields; each list is filed under its own kind whatever the fields say.
    pub fn new(
        companies: impl IntoIterator<Item = FieldDef>,
        people: impl IntoIterator<Item = FieldDef>,
    ) -> DataModel {
        let own = |kind: EntityKind| {
            move |mut field: FieldDef| {
                field.kind = kind;
                field
            }
        };
        DataModel {
            companies: ObjectFields::new(
                EntityKind::Company,
                companies.into_iter().map(own(EntityKind::Company)),
            ),
            people: ObjectFields::new(
                EntityKind::Person,
                people.into_iter().map(own(EntityKind::Person)),
            ),
        }
    }

    pub fn object(&self, kind: EntityKind) -> &ObjectFields {
        match kind {
            EntityKind::Company => &self.companies,
            EntityKind::Person => &self.people,
        }
    }

    pub fn field(&self, kind: EntityKind, name: &str) -> Option<&FieldDef> {
        self.object(kind).get(name)
    }

    /// The standard fields every workspace has (names, types and labels of Twenty's standard
    /// objects, `packages/twenty-server/src/modules/{company,person}/standard-objects/`): what a
    /// mapping works with before the workspace's own model has been read.
    pub fn standard() -> DataModel {
        use FieldType::*;
        let company = [
            ("name", "Name", Text),
            ("domainName", "Domain Name", Links),
            ("employees", "Employees", Number),
            ("linkedinLink", "Linkedin", Links),
            ("xLink", "X", Links),
            ("annualRecurringRevenue", "ARR", Currency),
            ("address", "Address", Address),
            ("idealCustomerProfile", "ICP", Boolean),
        ];
        let person = [
            ("name", "Name", FullName),
            ("emails", "Emails", Emails),
            ("linkedinLink", "Linkedin", Links),
            ("xLink", "X", Links),
            ("jobTitle", "Job Title", Text),
            ("phones", "Phones", Phones),
            ("city", "City", Text),
        ];
        let standard = |kind: EntityKind, list: &[(&str, &str, FieldType)]| -> Vec<FieldDef> {
            list.iter()
                .map(|(name, label, field_type)| FieldDef {
                    id: String::new(),
                    kind,
                    name: name.to_string(),
                    label: label.to_string(),
                    field_type: field_type.clone(),
                    options: Vec::new(),
                    nullable: true,
                    unique: matches!(*name, "emails" | "domainName"),
                    active: true,
                    system: false,
                    origin: FieldOrigin::Standard,
                })
                .collect()
        };
        DataModel::new(
            standard(EntityKind::Company, &company),
            standard(EntityKind::Person, &person),
        )
    }
}

/// Twenty's five ratings (`RATING_1` … `RATING_5`, labelled 1 … 5), made once.
fn default_ratings() -> &'static [FieldOption] {
    static RATINGS: std::sync::OnceLock<Vec<FieldOption>> = std::sync::OnceLock::new();
    RATINGS.get_or_init(|| {
        (1..=5)
            .map(|n| FieldOption {
                value: format!("RATING_{n}"),
                label: n.to_string(),
            })
            .collect()
    })
}
