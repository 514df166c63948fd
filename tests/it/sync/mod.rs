//! Integration tests of the replay engine against the fake Twenty server: request economy and
//! the request floor, adoption of existing records, conflicts, crashes between commit and
//! result, offline drain, parking and retrying, failures a person can act on (named conflicts,
//! links, dismissals).

mod support;

mod adoption;
mod capabilities;
mod conflicts;
mod economy;
mod failures;
mod faults;
mod field_refusal;
mod fields;
mod floor;
mod people;
mod runner;
