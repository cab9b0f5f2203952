//! The Officine registry: what an editor submits, and the checks it must pass.
//!
//! This crate reads and validates the service manifest, `officine.toml`,
//! written by the editor beside the component. The manifest carries the
//! informed-consent sheet shown to patients and the scopes the service
//! requests, each with its reason. A [`Manifest`] can only be obtained by
//! parsing, so holding one means every rule was met; when rules are broken,
//! [`ManifestError::Invalid`] lists every problem at once, each with the path
//! of its field.
//!
//! The full reference for editors is `docs/editors/manifest.md`.
//!
//! # Example
//!
//! ```
//! use officine_registry::{
//!     Event, Manifest, MeasureKind, MedicalDevice, Purpose, Scope,
//! };
//!
//! let manifest = Manifest::from_toml_str(r#"
//! id = "fr.example.weight-tracker"
//! version = "0.1.0"
//! name = "Suivi du poids"
//! editor = "Exemple Santé SAS"
//! editor-id = "siret:00000000000018"
//! description = """
//! Suivez l'évolution de votre poids et de votre IMC, \
//! et recevez un rappel quotidien de pesée."""
//! purpose = "prevention"
//! events = ["measure-added", "daily"]
//!
//! [consent]
//! retention = "Vos données sont conservées tant que le service est connecté, puis effacées sous 30 jours."
//! security = "Données hébergées par la plateforme (HDS) ; le service n'y accède que pendant votre utilisation."
//! recourse = "dpo@example.fr"
//! legal = ["RGPD art. 9", "CSP L.1111-8"]
//! medical-device = "none"
//! accessibility = "Partiellement conforme au RGAA 4.1."
//!
//! [[scopes]]
//! scope = "measures.read:weight"
//! reason = "Afficher l'évolution de votre poids."
//!
//! [[scopes]]
//! scope = "measures.read:bmi"
//! reason = "Afficher votre IMC, calculé par la plateforme."
//!
//! [[scopes]]
//! scope = "measures.write:weight"
//! reason = "Enregistrer les pesées que vous saisissez."
//!
//! [[scopes]]
//! scope = "storage"
//! reason = "Mémoriser votre objectif de poids."
//! "#)?;
//!
//! assert_eq!(manifest.id().as_str(), "fr.example.weight-tracker");
//! assert_eq!(manifest.version(), &semver::Version::new(0, 1, 0));
//! assert_eq!(manifest.purpose(), Purpose::Prevention);
//! assert_eq!(manifest.events(), [Event::MeasureAdded, Event::Daily]);
//! assert_eq!(manifest.consent().medical_device(), MedicalDevice::None);
//! assert_eq!(manifest.consent().legal(), ["RGPD art. 9", "CSP L.1111-8"]);
//! assert_eq!(
//!     manifest.scopes().next(),
//!     Some(Scope::measures_read(Some(MeasureKind::Weight)))
//! );
//! assert_eq!(manifest.requested_scopes()[3].reason(), "Mémoriser votre objectif de poids.");
//! # Ok::<(), officine_registry::ManifestError>(())
//! ```
//!
//! Errors name their fields:
//!
//! ```
//! use officine_registry::Manifest;
//!
//! let error = Manifest::from_toml_str(r#"
//! id = "fr.example.tracker"
//! version = "1.0"
//! purpose = "marketing"
//! "#).unwrap_err();
//! let message = error.to_string();
//! assert!(message.contains("version: not a semantic version"));
//! assert!(message.contains(
//!     r#"purpose: "marketing" is not one of prevention, diagnosis, care, social-follow-up"#
//! ));
//! assert!(message.contains("name: missing"));
//! assert!(message.contains("consent: missing"));
//! ```

mod canonical;
mod error;
mod fields;
pub mod keys;
mod legal;
pub mod limits;
pub mod log;
mod manifest;
mod names;
mod release;
pub mod review;
pub mod signature;
mod validate;

pub use error::{FieldError, ManifestError, Result, SyntaxError, TextPosition, UnknownValue};
pub use legal::LegalId;
pub use limits::Limits;
pub use manifest::{ConsentSheet, Event, Manifest, MedicalDevice, Purpose, RequestedScope};
pub use officine_policy::{
    DocumentCategory, IdError, MeasureKind, Scope, ScopeError, ServiceId, WritableMeasureKind,
};
pub use release::{DigestError, Release, Sha256Digest};

#[cfg(test)]
pub(crate) mod tests {
    use crate::Manifest;

    /// The weight tracker's manifest, as its editor wrote it.
    pub(crate) fn weight_tracker() -> Manifest {
        Manifest::from_toml_str(include_str!("../../plugins/weight-tracker/officine.toml"))
            .expect("the weight tracker's manifest is valid")
    }
}
