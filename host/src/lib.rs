//! Officine's host: runs listed services as sandboxed WebAssembly components
//! against the patient data they were granted.
//!
//! Data flows one way: a request names a patient and a service, the runtime
//! instantiates the service's component with only the platform interfaces
//! its consent covers, and each platform call reads or writes storage for
//! that patient only.

pub mod api;
pub mod audit;
pub mod auth;
pub mod config;
pub mod consent;
pub mod db;
pub mod dev;
pub mod examples;
pub mod export;
pub mod fhir;
pub mod files;
pub mod harness;
pub mod killswitch;
pub mod listing;
pub mod loaded;
pub mod model;
pub mod platform;
pub mod professionals;
pub mod pseudonym;
pub mod relay;
pub mod runtime;
pub mod serve;
pub mod server;
pub mod service;
pub mod sessions;
pub mod sites;
pub mod web;
