//! The contract test set: every route, error, cookie and option of the wire
//! contract over real HTTP on a real database. Run against SQLite by
//! default; `OTT_TEST_DATABASE=postgres` or `mysql` runs the same tests on
//! those databases.

#[path = "../common/mod.rs"]
mod common;

mod accounts;
mod bad_input;
mod bearer_and_origin;
mod one_time_tokens;
mod options;
mod race;
mod sessions;
