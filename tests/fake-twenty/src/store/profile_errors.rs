//! The store's errors whose shape depends on the profile: unknown field, duplicate value or id,
//! record not found on read and on write, each as the real server of that version answers.

use crate::config::Profile;
use crate::errors::ApiError;
use crate::schema::{FieldDef, ObjectKind};

use super::World;

impl World {
    pub fn unknown_field_error(&self, kind: ObjectKind, field: &str) -> ApiError {
        let singular = kind.singular();
        match self.profile {
            Profile::Legacy2025 => ApiError::new(
                400,
                "Error",
                format!(
                    "Field metadata for field \"{field}\" is missing in object metadata {singular}"
                ),
            ),
            Profile::Current => ApiError::bad_request(format!(
                "Object {singular} doesn't have any \"{field}\" field."
            ))
            .with_code("INVALID_ARGS_DATA"),
        }
    }

    pub fn duplicate_error(&self, field: &FieldDef, value: &str) -> ApiError {
        match self.profile {
            Profile::Legacy2025 => ApiError::new(
                400,
                "UserInputError",
                format!(
                    "Duplicate {} with value {value}. Please set a unique one.",
                    field.label
                ),
            ),
            // 2.4.0's literal body: no field, no value, no `code`.
            Profile::Current => ApiError::bad_request("A duplicate entry was detected"),
        }
    }

    pub(super) fn duplicate_id_error(&self) -> ApiError {
        match self.profile {
            Profile::Legacy2025 => ApiError::bad_request("Record already exists"),
            Profile::Current => ApiError::bad_request("A duplicate entry was detected"),
        }
    }

    /// Not found on GET (both profiles say `Record not found`; legacy with 400).
    pub fn not_found_read(&self) -> ApiError {
        match self.profile {
            Profile::Legacy2025 => ApiError::bad_request("Record not found"),
            // 2.4.0's literal body, without `code`.
            Profile::Current => ApiError::new(404, "NotFoundException", "Record not found"),
        }
    }

    /// Not found on PATCH/DELETE (legacy leaks TypeORM's `EntityNotFoundError`).
    pub fn not_found_write(&self, kind: ObjectKind, id: &str) -> ApiError {
        match self.profile {
            Profile::Legacy2025 => ApiError::new(
                400,
                "EntityNotFoundError",
                format!(
                    "Could not find any entity of type \"{}\" matching: {{\n    \"id\": \"{id}\"\n}}",
                    kind.singular()
                ),
            ),
            Profile::Current => self.not_found_read(),
        }
    }
}
