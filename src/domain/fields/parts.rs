//! The parts of Twenty's composite field types, with their wire names, Twenty's labels for them
//! and the words a column header may use for them.
//!
//! Checked against `packages/twenty-server/src/engine/metadata-modules/field-metadata/composite-types/`
//! (`address`, `links`, `emails`, `phones`, `full-name`, `currency`) and the importer's labels in
//! `packages/twenty-front/src/modules/settings/data-model/constants/CompositeFieldSubFieldLabel.ts`.
//! Not mapped: `addressLat` / `addressLng` (Twenty's importer does not offer them either) and the
//! newer `addressStreet3`.

use serde::{Deserialize, Serialize};

use super::model::FieldType;
use super::text::compact_header;

/// One part of a composite field. Serialised by its wire name (`addressCity`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Part {
    FirstName,
    LastName,
    PrimaryEmail,
    AdditionalEmails,
    PrimaryPhoneNumber,
    PrimaryPhoneCountryCode,
    PrimaryPhoneCallingCode,
    AdditionalPhones,
    PrimaryLinkUrl,
    PrimaryLinkLabel,
    SecondaryLinks,
    AddressStreet1,
    AddressStreet2,
    AddressCity,
    AddressPostcode,
    AddressState,
    AddressCountry,
    AmountMicros,
    CurrencyCode,
}

/// One part's names: wire name, Twenty's label, words combined with a field's name in a header,
/// and words that name the part alone (used when the object has one field of the type).
struct Names {
    wire: &'static str,
    label: &'static str,
    with_field: &'static [&'static str],
    alone: &'static [&'static str],
}

const ADDITIONAL: &[&str] = &["additional", "secondary", "other", "others"];

impl Part {
    pub const ALL: [Part; 19] = [
        Part::FirstName,
        Part::LastName,
        Part::PrimaryEmail,
        Part::AdditionalEmails,
        Part::PrimaryPhoneNumber,
        Part::PrimaryPhoneCountryCode,
        Part::PrimaryPhoneCallingCode,
        Part::AdditionalPhones,
        Part::PrimaryLinkUrl,
        Part::PrimaryLinkLabel,
        Part::SecondaryLinks,
        Part::AddressStreet1,
        Part::AddressStreet2,
        Part::AddressCity,
        Part::AddressPostcode,
        Part::AddressState,
        Part::AddressCountry,
        Part::AmountMicros,
        Part::CurrencyCode,
    ];

    fn names(self) -> Names {
        let names = |wire, label, with_field, alone| Names {
            wire,
            label,
            with_field,
            alone,
        };
        match self {
            Part::FirstName => names(
                "firstName",
                "First Name",
                &["first", "given"],
                &["givenname", "forename"],
            ),
            Part::LastName => names(
                "lastName",
                "Last Name",
                &["last", "family"],
                &["surname", "familyname"],
            ),
            Part::PrimaryEmail => {
                names("primaryEmail", "Primary Email", &["primary", "email"], &[])
            }
            Part::AdditionalEmails => names(
                "additionalEmails",
                "Additional Emails",
                ADDITIONAL,
                &["otheremails"],
            ),
            Part::PrimaryPhoneNumber => names(
                "primaryPhoneNumber",
                "Primary Phone Number",
                &["primary", "number"],
                &[],
            ),
            Part::PrimaryPhoneCountryCode => names(
                "primaryPhoneCountryCode",
                "Primary Phone Country Code",
                &["country", "countrycode"],
                &["phonecountry"],
            ),
            Part::PrimaryPhoneCallingCode => names(
                "primaryPhoneCallingCode",
                "Primary Phone Calling Code",
                &["callingcode", "dialcode", "prefix"],
                &["callingcode", "dialcode"],
            ),
            Part::AdditionalPhones => names(
                "additionalPhones",
                "Additional Phones",
                ADDITIONAL,
                &["otherphones"],
            ),
            Part::PrimaryLinkUrl => names(
                "primaryLinkUrl",
                "Link URL",
                &["url", "link", "primary"],
                &[],
            ),
            Part::PrimaryLinkLabel => names("primaryLinkLabel", "Link Label", &["label"], &[]),
            Part::SecondaryLinks => names("secondaryLinks", "Secondary Links", ADDITIONAL, &[]),
            Part::AddressStreet1 => names(
                "addressStreet1",
                "Address 1",
                &["street", "street1", "line1"],
                &["street", "street1", "streetaddress", "addressline1"],
            ),
            Part::AddressStreet2 => names(
                "addressStreet2",
                "Address 2",
                &["street2", "line2"],
                &["street2", "addressline2"],
            ),
            Part::AddressCity => names("addressCity", "City", &["town"], &["city", "town"]),
            Part::AddressPostcode => names(
                "addressPostcode",
                "Post Code",
                &["postcode", "postalcode", "zip", "zipcode"],
                &["postcode", "postalcode", "zip", "zipcode"],
            ),
            Part::AddressState => names(
                "addressState",
                "State",
                &["region", "province"],
                &["state", "region", "province"],
            ),
            Part::AddressCountry => names("addressCountry", "Country", &[], &["country"]),
            Part::AmountMicros => names("amountMicros", "Amount", &["value"], &["amount"]),
            Part::CurrencyCode => names(
                "currencyCode",
                "Currency",
                &["code", "currencycode"],
                &["currency", "currencycode"],
            ),
        }
    }

    /// The sub-field's name in record bodies and filters: `addressCity`, `primaryLinkUrl`.
    pub fn wire_name(self) -> &'static str {
        self.names().wire
    }

    /// Twenty's label for the part, as its importer shows it: `City`, `Link URL`, `Amount`.
    pub fn label(self) -> &'static str {
        self.names().label
    }

    /// The composite type the part belongs to.
    pub fn composite(self) -> FieldType {
        match self {
            Part::FirstName | Part::LastName => FieldType::FullName,
            Part::PrimaryEmail | Part::AdditionalEmails => FieldType::Emails,
            Part::PrimaryPhoneNumber
            | Part::PrimaryPhoneCountryCode
            | Part::PrimaryPhoneCallingCode
            | Part::AdditionalPhones => FieldType::Phones,
            Part::PrimaryLinkUrl | Part::PrimaryLinkLabel | Part::SecondaryLinks => {
                FieldType::Links
            }
            Part::AddressStreet1
            | Part::AddressStreet2
            | Part::AddressCity
            | Part::AddressPostcode
            | Part::AddressState
            | Part::AddressCountry => FieldType::Address,
            Part::AmountMicros | Part::CurrencyCode => FieldType::Currency,
        }
    }

    /// The parts that hold a list (`… additional`, `… secondary` columns; comma-separated).
    pub fn is_list(self) -> bool {
        matches!(
            self,
            Part::AdditionalEmails | Part::AdditionalPhones | Part::SecondaryLinks
        )
    }

    /// The compacted words a header may use for the part next to the field's name: its wire
    /// name, its label, and its usual words (`address city`, `linkedin url`, `emails additional`).
    pub(crate) fn keys_with_field(self) -> Vec<String> {
        let names = self.names();
        let mut keys = vec![compact_header(names.wire), compact_header(names.label)];
        keys.extend(names.with_field.iter().map(|w| w.to_string()));
        keys.extend(names.alone.iter().map(|w| w.to_string()));
        // `addressCity` is also `city` next to the field's name (`Address City`).
        if let Some(rest) = names.wire.strip_prefix("address") {
            keys.push(compact_header(rest));
        }
        keys.sort();
        keys.dedup();
        keys
    }

    /// The compacted words that name the part without a field (`city`, `zip`, `amount`): only
    /// used when the object has exactly one field of the part's type.
    pub(crate) fn keys_alone(self) -> Vec<String> {
        let names = self.names();
        let mut keys: Vec<String> = names.alone.iter().map(|w| w.to_string()).collect();
        keys.push(compact_header(names.wire));
        keys
    }

    /// The part of `field_type` that `text` names: its wire name, its label or one of its words,
    /// compared as headers are (`addressCity`, `city`, `Post Code`, `zip`, `amount`).
    pub fn find(field_type: &FieldType, text: &str) -> Option<Part> {
        let key = compact_header(text);
        let parts = field_type.parts();
        parts
            .iter()
            .copied()
            .find(|part| compact_header(part.wire_name()) == key)
            .or_else(|| {
                parts
                    .iter()
                    .copied()
                    .find(|part| part.keys_with_field().contains(&key))
            })
    }
}

impl std::fmt::Display for Part {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.wire_name())
    }
}

impl FieldType {
    /// The parts a column can fill, for composite types; none for the others.
    pub fn parts(&self) -> &'static [Part] {
        match self {
            FieldType::FullName => &[Part::FirstName, Part::LastName],
            FieldType::Emails => &[Part::PrimaryEmail, Part::AdditionalEmails],
            FieldType::Phones => &[
                Part::PrimaryPhoneNumber,
                Part::PrimaryPhoneCountryCode,
                Part::PrimaryPhoneCallingCode,
                Part::AdditionalPhones,
            ],
            FieldType::Links => &[
                Part::PrimaryLinkUrl,
                Part::PrimaryLinkLabel,
                Part::SecondaryLinks,
            ],
            FieldType::Address => &[
                Part::AddressStreet1,
                Part::AddressStreet2,
                Part::AddressCity,
                Part::AddressPostcode,
                Part::AddressState,
                Part::AddressCountry,
            ],
            FieldType::Currency => &[Part::AmountMicros, Part::CurrencyCode],
            _ => &[],
        }
    }

    /// Whether the type is sent as an object of parts.
    pub fn is_composite(&self) -> bool {
        !self.parts().is_empty()
    }

    /// The part a column mapped to the whole field fills: the primary e-mail, phone number or
    /// link, the first address line, the amount. `None` for a FULL_NAME field (a whole name is
    /// split into first and last name) and for types without parts.
    pub fn default_part(&self) -> Option<Part> {
        match self {
            FieldType::Emails => Some(Part::PrimaryEmail),
            FieldType::Phones => Some(Part::PrimaryPhoneNumber),
            FieldType::Links => Some(Part::PrimaryLinkUrl),
            FieldType::Address => Some(Part::AddressStreet1),
            FieldType::Currency => Some(Part::AmountMicros),
            _ => None,
        }
    }
}
