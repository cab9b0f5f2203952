//! Who is calling: bearer tokens (JWTs, OpenID Connect style) from one
//! trusted issuer per population, verified into a typed [`Identity`].
//!
//! - [`identity`]: the four populations and their claims;
//! - [`keys`] and [`verify`]: trusted issuers, their key sets, and the
//!   [`Verifier`] with its precise [`AuthError`]s;
//! - [`cache`]: verified tokens remembered until they expire;
//! - [`extract`]: axum extractors answering 401 / 403;
//! - [`dev_issuer`]: a minimal OpenID Connect provider for development.

pub mod cache;
pub mod dev_issuer;
pub mod error;
pub mod extract;
pub mod identity;
pub mod keys;
pub mod oauth;
pub mod refresh;
pub mod sign_in;
pub mod verify;

pub use dev_issuer::DevIssuer;
pub use error::{AuthError, ConfigError};
pub use extract::{
    AuthRejection, EditorIdentity, PatientIdentity, ProfessionalIdentity, RegulatorIdentity,
};
pub use identity::{
    AssuranceLevel, Editor, Identity, Patient, Population, Profession, Professional, Regulator,
    Rpps,
};
pub use keys::{KeySet, KeySource};
pub use verify::{IssuerConfig, TrustedIssuer, Verifier, VerifierOptions};
