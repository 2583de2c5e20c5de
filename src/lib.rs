//! statustrail turns what a provider says about an outage (status-page updates, social posts) into
//! a normalized incident timeline, stored next to measured data.
//!
//! The pipeline, one module per stage: [`sources`] fetch items, [`extract`] reads statements out
//! of them with rules from `patterns/`, [`timeline`] groups posts into incidents, [`store`] keeps
//! everything in SQLite or PostgreSQL, and [`worker`] runs it all on a schedule.

pub mod config;
pub mod demo;
pub mod export;
pub mod extract;
pub mod measure;
pub mod model;
pub mod pipeline;
pub mod report;
pub mod sources;
pub mod store;
pub mod timeline;
pub mod worker;
