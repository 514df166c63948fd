//! Object and field metadata of the two standard objects (person, company) plus custom fields,
//! and per-type default values.

use serde_json::{json, Value};
use uuid::Uuid;

use crate::config::Profile;
use crate::util::now_iso;

mod options;

use options::WORK_POLICY_OPTIONS;
pub use options::{meta_default, standard_default, FieldOption};

/// The objects the fake serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ObjectKind {
    People,
    Companies,
}

impl ObjectKind {
    pub const ALL: [ObjectKind; 2] = [ObjectKind::Companies, ObjectKind::People];

    pub fn singular(self) -> &'static str {
        match self {
            ObjectKind::People => "person",
            ObjectKind::Companies => "company",
        }
    }

    pub fn plural(self) -> &'static str {
        match self {
            ObjectKind::People => "people",
            ObjectKind::Companies => "companies",
        }
    }

    /// `Person` / `Company` (response keys such as `createPerson`).
    pub fn cap_singular(self) -> &'static str {
        match self {
            ObjectKind::People => "Person",
            ObjectKind::Companies => "Company",
        }
    }

    /// `People` / `Companies` (response keys such as `createPeople`).
    pub fn cap_plural(self) -> &'static str {
        match self {
            ObjectKind::People => "People",
            ObjectKind::Companies => "Companies",
        }
    }

    /// Plural API name only.
    pub fn from_plural(s: &str) -> Option<ObjectKind> {
        match s {
            "people" => Some(ObjectKind::People),
            "companies" => Some(ObjectKind::Companies),
            _ => None,
        }
    }

    /// Singular or plural (for the test API).
    pub fn from_any(s: &str) -> Option<ObjectKind> {
        match s {
            "people" | "person" => Some(ObjectKind::People),
            "companies" | "company" => Some(ObjectKind::Companies),
            _ => None,
        }
    }

    pub fn from_singular(s: &str) -> Option<ObjectKind> {
        match s {
            "person" => Some(ObjectKind::People),
            "company" => Some(ObjectKind::Companies),
            _ => None,
        }
    }

    pub(crate) fn index(self) -> usize {
        match self {
            ObjectKind::Companies => 0,
            ObjectKind::People => 1,
        }
    }
}

/// Twenty field types the fake knows about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    Uuid,
    Text,
    Number,
    Boolean,
    DateTime,
    FullName,
    Emails,
    Links,
    Phones,
    Address,
    Currency,
    Actor,
    Position,
    TsVector,
    Relation,
    MultiSelect,
    Select,
    Rating,
    RawJson,
    Numeric,
    Date,
    Array,
}

impl FieldType {
    pub fn as_str(self) -> &'static str {
        match self {
            FieldType::Uuid => "UUID",
            FieldType::Text => "TEXT",
            FieldType::Number => "NUMBER",
            FieldType::Boolean => "BOOLEAN",
            FieldType::DateTime => "DATE_TIME",
            FieldType::FullName => "FULL_NAME",
            FieldType::Emails => "EMAILS",
            FieldType::Links => "LINKS",
            FieldType::Phones => "PHONES",
            FieldType::Address => "ADDRESS",
            FieldType::Currency => "CURRENCY",
            FieldType::Actor => "ACTOR",
            FieldType::Position => "POSITION",
            FieldType::TsVector => "TS_VECTOR",
            FieldType::Relation => "RELATION",
            FieldType::MultiSelect => "MULTI_SELECT",
            FieldType::Select => "SELECT",
            FieldType::Rating => "RATING",
            FieldType::RawJson => "RAW_JSON",
            FieldType::Numeric => "NUMERIC",
            FieldType::Date => "DATE",
            FieldType::Array => "ARRAY",
        }
    }

    /// Types accepted by `POST /rest/metadata/fields`.
    pub fn parse_custom(s: &str) -> Option<FieldType> {
        Some(match s {
            "UUID" => FieldType::Uuid,
            "TEXT" => FieldType::Text,
            "NUMBER" => FieldType::Number,
            "BOOLEAN" => FieldType::Boolean,
            "DATE_TIME" => FieldType::DateTime,
            "DATE" => FieldType::Date,
            "NUMERIC" => FieldType::Numeric,
            "ARRAY" => FieldType::Array,
            "FULL_NAME" => FieldType::FullName,
            "EMAILS" => FieldType::Emails,
            "LINKS" => FieldType::Links,
            "PHONES" => FieldType::Phones,
            "ADDRESS" => FieldType::Address,
            "CURRENCY" => FieldType::Currency,
            "MULTI_SELECT" => FieldType::MultiSelect,
            "SELECT" => FieldType::Select,
            "RATING" => FieldType::Rating,
            "RAW_JSON" => FieldType::RawJson,
            _ => return None,
        })
    }

    /// Subfield names of composite types; empty for scalars.
    pub fn subfields(self) -> &'static [&'static str] {
        match self {
            FieldType::FullName => &["firstName", "lastName"],
            FieldType::Emails => &["primaryEmail", "additionalEmails"],
            FieldType::Links => &["primaryLinkLabel", "primaryLinkUrl", "secondaryLinks"],
            FieldType::Phones => &[
                "primaryPhoneNumber",
                "primaryPhoneCountryCode",
                "primaryPhoneCallingCode",
                "additionalPhones",
            ],
            FieldType::Address => &[
                "addressStreet1",
                "addressStreet2",
                "addressCity",
                "addressPostcode",
                "addressState",
                "addressCountry",
                "addressLat",
                "addressLng",
            ],
            FieldType::Currency => &["amountMicros", "currencyCode"],
            FieldType::Actor => &["source", "workspaceMemberId", "name", "context"],
            _ => &[],
        }
    }

    pub fn is_composite(self) -> bool {
        !self.subfields().is_empty()
    }
}

/// One field of an object.
#[derive(Debug, Clone)]
pub struct FieldDef {
    pub id: String,
    /// The name in record bodies (`companyId` for the person → company relation).
    pub name: String,
    pub label: String,
    pub ftype: FieldType,
    pub is_unique: bool,
    pub is_custom: bool,
    pub is_system: bool,
    pub is_nullable: bool,
    /// Metadata `defaultValue` as reported by the API (e.g. `"''"`).
    pub default_meta: Value,
    /// Value a record gets when the field is not provided.
    pub default_record: Value,
    /// Accepted in create/update bodies.
    pub writable: bool,
    pub description: Option<String>,
    pub icon: Option<String>,
    pub created_at: String,
    /// SELECT / MULTI_SELECT / RATING options (empty for other types).
    pub options: Vec<FieldOption>,
}

impl FieldDef {
    fn standard(name: &str, label: &str, ftype: FieldType) -> Self {
        FieldDef {
            id: Uuid::new_v4().to_string(),
            name: name.into(),
            label: label.into(),
            ftype,
            is_unique: false,
            is_custom: false,
            is_system: false,
            is_nullable: true,
            default_meta: meta_default(ftype),
            default_record: standard_default(ftype),
            writable: true,
            description: None,
            icon: None,
            created_at: now_iso(),
            options: if ftype == FieldType::Rating {
                FieldOption::rating()
            } else {
                Vec::new()
            },
        }
    }

    fn system(mut self) -> Self {
        self.is_system = true;
        self
    }

    fn read_only(mut self) -> Self {
        self.writable = false;
        self
    }

    fn unique(mut self) -> Self {
        self.is_unique = true;
        self
    }

    fn default_value(mut self, v: Value) -> Self {
        self.default_record = v;
        self
    }

    fn meta_default_value(mut self, v: Value) -> Self {
        self.default_meta = v;
        self
    }

    fn with_options(mut self, pairs: &[(&str, &str)]) -> Self {
        self.options = FieldOption::list(pairs);
        self
    }

    /// Made in the workspace (the dev seed's own fields, or a directory owner's).
    pub fn custom(mut self) -> Self {
        self.is_custom = true;
        self
    }

    /// The option values a record may hold in this field.
    pub fn option_values(&self) -> impl Iterator<Item = &str> {
        self.options.iter().map(|o| o.value.as_str())
    }

    /// The name the metadata API gives the field: a relation is named without its join
    /// column's `Id` (`company` for `companyId`).
    pub fn metadata_name(&self) -> &str {
        match self.ftype {
            FieldType::Relation => self.name.strip_suffix("Id").unwrap_or(&self.name),
            _ => &self.name,
        }
    }

    /// `options` as the metadata serves it: a list for SELECT / MULTI_SELECT / RATING, else null.
    pub fn options_json(&self) -> Value {
        match self.ftype {
            FieldType::Select | FieldType::MultiSelect | FieldType::Rating => {
                Value::Array(self.options.iter().map(FieldOption::to_json).collect())
            }
            _ => Value::Null,
        }
    }

    /// Metadata JSON as the REST metadata API renders a field.
    pub fn to_json(&self, object_id: &str) -> Value {
        json!({
            "id": self.id,
            "type": self.ftype.as_str(),
            "name": self.metadata_name(),
            "label": self.label,
            "description": self.description,
            "icon": self.icon,
            "isCustom": self.is_custom,
            "isActive": true,
            "isSystem": self.is_system,
            "isNullable": self.is_nullable,
            "isUnique": self.is_unique,
            "defaultValue": self.default_meta,
            "options": self.options_json(),
            "settings": null,
            "objectMetadataId": object_id,
            "createdAt": self.created_at,
            "updatedAt": self.created_at,
        })
    }
}

/// An object and its fields.
#[derive(Debug, Clone)]
pub struct ObjectDef {
    pub kind: ObjectKind,
    pub id: String,
    pub fields: Vec<FieldDef>,
    pub created_at: String,
}

impl ObjectDef {
    pub fn field(&self, name: &str) -> Option<&FieldDef> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// Standard fields of the Aug-2025 dev workspace (as in the captured samples), with the dev
    /// seed's own custom fields (`tagline`, `intro`, `workPolicy`, …) marked custom.
    pub fn standard(kind: ObjectKind, profile: Profile) -> Self {
        use FieldType as T;
        let s = FieldDef::standard;
        let mut fields = vec![
            s("id", "Id", T::Uuid).system().read_only(),
            s("createdAt", "Creation date", T::DateTime).meta_default_value(json!("now")),
            s("updatedAt", "Last update", T::DateTime).meta_default_value(json!("now")),
            s("deletedAt", "Deleted", T::DateTime),
            s("position", "Position", T::Position)
                .system()
                .default_value(json!(0)),
            s("createdBy", "Created by", T::Actor).read_only(),
            s("searchVector", "Search vector", T::TsVector)
                .system()
                .read_only(),
            s("linkedinLink", "Linkedin", T::Links),
            s("xLink", "X", T::Links),
        ];
        let emails_default = match profile {
            Profile::Legacy2025 => json!({"primaryEmail": "", "additionalEmails": null}),
            Profile::Current => json!({"primaryEmail": null, "additionalEmails": null}),
        };
        match kind {
            ObjectKind::People => fields.extend([
                s("name", "Name", T::FullName),
                s("emails", "Emails", T::Emails)
                    .unique()
                    .default_value(emails_default),
                s("jobTitle", "Job Title", T::Text),
                s("phones", "Phones", T::Phones),
                s("city", "City", T::Text),
                s("avatarUrl", "Avatar", T::Text).system(),
                s("companyId", "Company", T::Relation),
                s("intro", "Intro", T::Text).custom(),
                s("whatsapp", "Whatsapp", T::Phones)
                    .custom()
                    .default_value(json!({
                        "primaryPhoneNumber": "", "primaryPhoneCountryCode": "FR",
                        "primaryPhoneCallingCode": "+33", "additionalPhones": null
                    })),
                s("workPreference", "Work Preference", T::MultiSelect)
                    .custom()
                    .with_options(WORK_POLICY_OPTIONS),
                s("performanceRating", "Performance Rating", T::Rating).custom(),
            ]),
            ObjectKind::Companies => fields.extend([
                s("name", "Name", T::Text),
                s("domainName", "Domain Name", T::Links).unique(),
                s("employees", "Employees", T::Number),
                s("annualRecurringRevenue", "ARR", T::Currency),
                s("address", "Address", T::Address),
                s("idealCustomerProfile", "ICP", T::Boolean),
                s("accountOwnerId", "Account Owner", T::Relation),
                s("tagline", "Tagline", T::Text).custom(),
                s("introVideo", "Intro Video", T::Links).custom(),
                s("workPolicy", "Work Policy", T::MultiSelect)
                    .custom()
                    .with_options(WORK_POLICY_OPTIONS),
                s("visaSponsorship", "Visa Sponsorship", T::Boolean).custom(),
            ]),
        }
        ObjectDef {
            kind,
            id: Uuid::new_v4().to_string(),
            fields,
            created_at: now_iso(),
        }
    }

    /// Builds a custom field definition (metadata API semantics per profile).
    pub fn custom_field(
        profile: Profile,
        name: &str,
        label: &str,
        ftype: FieldType,
        is_unique: bool,
        requested_nullable: Option<bool>,
        requested_default: Option<Value>,
    ) -> FieldDef {
        let mut f = FieldDef::standard(name, label, ftype);
        f.is_custom = true;
        f.is_unique = is_unique;
        match profile {
            // Aug 2025: TEXT fields came back non-nullable with default '' and existing rows
            // got "" whatever was asked.
            Profile::Legacy2025 if ftype == FieldType::Text => {
                f.is_nullable = false;
                f.default_meta = json!("''");
                f.default_record = json!("");
            }
            // 2.4.0: rows existing before a TEXT field was added hold "" in it
            // (real-server-samples.md: a seeded company "still had \"externalId\":\"\"").
            _ if ftype == FieldType::Text && requested_default.is_none() => {
                f.is_nullable = requested_nullable.unwrap_or(true);
                f.default_meta = json!("''");
                f.default_record = json!("");
            }
            _ => {
                f.is_nullable = requested_nullable.unwrap_or(true);
                f.default_meta = requested_default
                    .clone()
                    .unwrap_or_else(|| meta_default(ftype));
                f.default_record = match (&requested_default, ftype) {
                    (
                        Some(Value::String(s)),
                        FieldType::Text | FieldType::Select | FieldType::Rating,
                    ) => {
                        json!(s.trim_matches('\''))
                    }
                    (Some(v), t) if !t.is_composite() => v.clone(),
                    _ if ftype.is_composite() => standard_default(ftype),
                    _ if ftype == FieldType::Boolean => json!(false),
                    _ => Value::Null,
                };
            }
        }
        f
    }

    /// Metadata JSON of the object (REST shape, fields as an array).
    pub fn to_json(&self) -> Value {
        let k = self.kind;
        let label_field = self.field("name").map(|f| f.id.clone());
        json!({
            "id": self.id,
            "nameSingular": k.singular(),
            "namePlural": k.plural(),
            "labelSingular": k.cap_singular(),
            "labelPlural": k.cap_plural(),
            "description": match k { ObjectKind::People => "A person", ObjectKind::Companies => "A company" },
            "icon": match k { ObjectKind::People => "IconUser", ObjectKind::Companies => "IconBuildingSkyscraper" },
            "isCustom": false,
            "isRemote": false,
            "isActive": true,
            "isSystem": false,
            "isSearchable": true,
            "labelIdentifierFieldMetadataId": label_field,
            "imageIdentifierFieldMetadataId": null,
            "createdAt": self.created_at,
            "updatedAt": self.created_at,
            "fields": self.fields.iter().map(|f| f.to_json(&self.id)).collect::<Vec<_>>(),
        })
    }
}
