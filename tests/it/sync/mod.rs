//! Integration tests of the replay engine against the fake Twenty server: request economy,
//! conflicts, crashes between commit and result, offline drain, parking and retrying.

mod support;

mod conflicts;
mod economy;
mod faults;
mod people;
mod runner;
