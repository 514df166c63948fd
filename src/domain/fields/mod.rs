//! Every field of the workspace, pure: the data model as data, read from the metadata API's
//! answers; composite parts; a file's columns mapped to fields (automatically first, with
//! overrides); each cell read and checked against its field's type; the JSON Twenty takes per
//! field, with a normalised form and hash so an update sends only the fields that changed.
//!
//! Flow: [`DataModel`] → [`propose_mapping`] (headers, [`MappingOverrides`]) →
//! [`ColumnMapping::read_row`] (cells → [`FieldValues`] or [`CellError`]s) →
//! [`FieldValues::body`], or [`FieldValues::changed_body`] against the last pushed
//! [`FieldHashes`]. Relations other than the person → company link (a record column) are not
//! fields we fill.

mod cells;
mod checks;
mod choices;
mod dates;
mod hashes;
mod header_index;
mod known_columns;
mod mapping;
mod metadata;
mod model;
mod numbers;
mod parts;
mod routing;
mod skipped;
mod standard;
mod targets;
mod text;
mod wire;

pub use cells::{parse_cell, parse_items, CellError, CellValue, ReadHints, MAX_LIST_ITEMS};
pub use dates::DateOrder;
pub use hashes::FieldHashes;
pub use header_index::MatchedBy;
pub use known_columns::{KnownColumn, RecordColumn};
pub use mapping::{
    propose_mapping, ColumnMapping, ColumnTarget, MappedColumn, MappingFinding, RowValues,
};
pub use metadata::{
    data_model_from_listing, field_from_metadata, fields_from_metadata, metadata_items,
    MetadataError, FIELD_NODE_SELECTION,
};
pub use model::{DataModel, FieldDef, FieldOption, FieldOrigin, FieldType, ObjectFields};
pub use numbers::{Decimal, DecimalSeparator};
pub use parts::Part;
pub use routing::{input_of, inputs_of, read_field_inputs, route_fixed, FieldInputError};
pub use skipped::values_skipped;
pub use standard::{fixed_field, record_values, split_name, FixedField};
pub use targets::{
    mapping_config_key, parse_mapping_config_key, parse_target, MappingOverrides, OverrideTarget,
    TargetError, MAPPING_CONFIG_PREFIX,
};
pub use text::{compact_header, fold};
pub use wire::{canonical_json, changed_fields, FieldHash, FieldTarget, FieldValues};

#[cfg(test)]
mod tests;
