//! Data generators for development, tests and benchmarks: the demo clinic that
//! `cargo xtask run` serves, and generated clinics of any size for `cargo xtask bench` and
//! the failure drills. A crate of its own so none of it is compiled into the production
//! server (`server`), which never writes made-up patients into a clinic's database.

pub mod bench;
pub mod demo;
pub mod waitlist_sim;
