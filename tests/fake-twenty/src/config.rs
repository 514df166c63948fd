//! Start-up configuration of the fake: version profile, credentials, limits and switches.

use std::time::Duration;

use crate::ratelimit::RateLimitConfig;

/// Which real Twenty build the fake imitates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// The Aug-2025 build captured in `real-server-samples.md`: 401 `UNAUTHENTICATED` for bad
    /// tokens, 403 `FORBIDDEN_EXCEPTION` without header, 400 for missing records, `upsert`
    /// ignored, no batch cap, REST metadata object listing broken, `UserInputError` duplicates.
    Legacy2025,
    /// The 2.4.0 build (May 2026) of `real-server-samples.md`: the same 401/403 shapes as
    /// Legacy2025, 404 `Record not found`, upsert (matching every unique field), batch cap 200,
    /// `A duplicate entry was detected` without field or value, `limit` capped at 200, working
    /// metadata listing. Its REST rate limit is off unless asked for
    /// ([`crate::RateLimitConfig::twenty_2_4`]).
    Current,
}

impl Profile {
    /// Parses `legacy`, `legacy2025`, `current` (case-insensitive).
    pub fn parse(s: &str) -> Option<Profile> {
        match s.to_ascii_lowercase().as_str() {
            "legacy" | "legacy2025" | "legacy-2025" => Some(Profile::Legacy2025),
            "current" | "newest" => Some(Profile::Current),
            _ => None,
        }
    }

    /// `legacy` or `current`.
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Legacy2025 => "legacy",
            Profile::Current => "current",
        }
    }
}

/// Body shape of `GET /rest/metadata/objects` in the `Current` profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetadataListShape {
    /// `{"data":[...],"pageInfo":…,"totalCount":N}` (newest controllers).
    Flat,
    /// `{"data":{"objects":[...]},"pageInfo":…,"totalCount":N}` (older GraphQL-translated shape).
    Nested,
}

/// Everything [`crate::FakeTwenty::start`] needs.
#[derive(Debug, Clone)]
pub struct FakeConfig {
    pub profile: Profile,
    /// The one valid bearer token; a JWT-looking random token when `None`.
    pub api_key: Option<String>,
    /// Name of the API key, shown in `createdBy.name` of created records.
    pub api_key_name: String,
    /// Port to bind on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Seed the custom unique `externalId` TEXT field on people and companies.
    pub with_external_id: bool,
    /// Seed a directory owner's custom fields (issue 15): on company `category` (SELECT),
    /// `tags` (MULTI_SELECT), `listingUrl` (LINKS, "Listing URL"), `rating` (RATING),
    /// `foundedOn` (DATE), `lastReviewedAt` (DATE_TIME), `score` (NUMERIC), `aliases` (ARRAY),
    /// `extra` (RAW_JSON), `verified` (BOOLEAN); on person `seniority` (SELECT) and `nickname`
    /// (TEXT). Off by default so that records keep the captured samples' exact shape.
    pub with_directory_fields: bool,
    /// How long a `timeout_next` request hangs before the connection is dropped.
    pub hang_duration: Duration,
    /// Request bodies above this size are answered with 413.
    pub body_limit: usize,
    /// Batch-create cap; `None` = profile default (Legacy: none, Current: 200).
    pub batch_cap: Option<usize>,
    pub metadata_list_shape: MetadataListShape,
    /// Rate limiter active from the start.
    pub rate_limit: Option<RateLimitConfig>,
}

impl Default for FakeConfig {
    fn default() -> Self {
        FakeConfig {
            profile: Profile::Current,
            api_key: None,
            api_key_name: "My api key".to_string(),
            port: 0,
            with_external_id: false,
            with_directory_fields: false,
            hang_duration: Duration::from_secs(30),
            body_limit: 10 * 1024 * 1024,
            batch_cap: None,
            metadata_list_shape: MetadataListShape::Flat,
            rate_limit: None,
        }
    }
}

impl FakeConfig {
    /// Default config with the given profile.
    pub fn with_profile(profile: Profile) -> Self {
        FakeConfig {
            profile,
            ..Default::default()
        }
    }

    /// The same configuration with a directory owner's custom fields seeded
    /// ([`FakeConfig::with_directory_fields`]).
    pub fn directory(self) -> Self {
        FakeConfig {
            with_directory_fields: true,
            ..self
        }
    }

    /// The Aug-2025 build.
    pub fn legacy() -> Self {
        Self::with_profile(Profile::Legacy2025)
    }

    /// The newest build.
    pub fn current() -> Self {
        Self::with_profile(Profile::Current)
    }

    /// The August 2025 build as measured: no batch cap (3,000 records in one create), no REST
    /// rate limit, `?upsert=true` ignored. The same as [`FakeConfig::legacy`].
    pub fn august_2025() -> Self {
        Self::legacy()
    }

    /// The 2.4.0 build as measured, rate limit included: batches capped at 200 (400 `Maximum
    /// number of records to upsert is 200.`), one token per request whatever its size, 100 tokens
    /// per 60 s refilled continuously, refused requests counted, 429 `Limit reached (100 tokens
    /// per 60000 ms)` without `Retry-After`.
    pub fn twenty_2_4() -> Self {
        FakeConfig {
            rate_limit: Some(RateLimitConfig::twenty_2_4()),
            ..Self::current()
        }
    }
}
