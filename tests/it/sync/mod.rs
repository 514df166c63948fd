//! Integration tests of the replay engine against the fake Twenty server: request economy,
//! conflicts, crashes between commit and result, offline drain, parking and retrying, failures
//! a person can act on (named conflicts, links, dismissals).

mod support;

mod conflicts;
mod economy;
mod failures;
mod faults;
mod people;
mod runner;
