//! Who a verified token speaks for: four populations, each with its own
//! typed claims.
//!
//! Claim mapping (the same for every issuer of a population):
//!
//! | population   | claims                                                    |
//! |--------------|-----------------------------------------------------------|
//! | patient      | `sub` (the platform's patient id), `acr` (assurance level) |
//! | professional | `rpps` (11 digits), `profession` (a profession code)       |
//! | editor       | `organisation` (a legal id, `siret:…` or `finess:…`)      |
//! | regulator    | `sub`                                                     |
//!
//! The assurance level travels in the standard OpenID Connect `acr` claim
//! with FranceConnect's values `eidas1`, `eidas2`, `eidas3`; the eIDAS URIs
//! `http://eidas.europa.eu/LoA/low|substantial|high` are accepted too.

use std::fmt;
use std::str::FromStr;

use officine_registry::LegalId;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::error::AuthError;
use crate::model::PatientId;

/// Longest subject accepted, in bytes: ids are short, and a bound keeps
/// hostile claims out of logs and storage.
const MAX_SUBJECT: usize = 255;

/// The four kinds of people (or organisations) who reach Officine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Population {
    /// A patient, signed in through a FranceConnect-like provider.
    Patient,
    /// A health professional, through a Pro Santé Connect-like provider.
    Professional,
    /// A service editor (an organisation).
    Editor,
    /// A regulator reviewing listings.
    Regulator,
}

impl Population {
    /// Every population, in a fixed order.
    pub const ALL: [Population; 4] = [
        Population::Patient,
        Population::Professional,
        Population::Editor,
        Population::Regulator,
    ];

    /// The population's name, as in configuration files.
    pub fn as_str(self) -> &'static str {
        match self {
            Population::Patient => "patient",
            Population::Professional => "professional",
            Population::Editor => "editor",
            Population::Regulator => "regulator",
        }
    }
}

impl fmt::Display for Population {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not one of the four populations.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown population (expected patient, professional, editor or regulator)")]
pub struct UnknownPopulation;

impl FromStr for Population {
    type Err = UnknownPopulation;
    fn from_str(s: &str) -> Result<Population, UnknownPopulation> {
        Population::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or(UnknownPopulation)
    }
}

/// How sure the identity provider is of who the patient is (eIDAS levels).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AssuranceLevel {
    /// eIDAS low (`eidas1`).
    Low,
    /// eIDAS substantial (`eidas2`).
    Substantial,
    /// eIDAS high (`eidas3`).
    High,
}

impl AssuranceLevel {
    /// The value written in the `acr` claim.
    pub fn acr(self) -> &'static str {
        match self {
            AssuranceLevel::Low => "eidas1",
            AssuranceLevel::Substantial => "eidas2",
            AssuranceLevel::High => "eidas3",
        }
    }

    /// Reads an `acr` value: `eidas1..3` or the eIDAS level URIs.
    pub fn from_acr(acr: &str) -> Option<AssuranceLevel> {
        match acr {
            "eidas1" | "http://eidas.europa.eu/LoA/low" => Some(AssuranceLevel::Low),
            "eidas2" | "http://eidas.europa.eu/LoA/substantial" => {
                Some(AssuranceLevel::Substantial)
            }
            "eidas3" | "http://eidas.europa.eu/LoA/high" => Some(AssuranceLevel::High),
            _ => None,
        }
    }
}

/// A professional's RPPS number: exactly 11 ASCII digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Rpps(String);

impl Rpps {
    /// The number as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Rpps {
    type Err = &'static str;
    fn from_str(s: &str) -> Result<Rpps, &'static str> {
        if s.len() == 11 && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Rpps(s.to_owned()))
        } else {
            Err("not 11 digits")
        }
    }
}

impl fmt::Display for Rpps {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A profession code, as the professional's provider states it (for
/// example a code of the national profession nomenclature, `10` for a
/// physician): 1 to 64 characters among letters, digits and `._:-`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Profession(String);

impl Profession {
    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Profession {
    type Err = &'static str;
    fn from_str(s: &str) -> Result<Profession, &'static str> {
        let allowed = |c: char| c.is_ascii_alphanumeric() || "._:-".contains(c);
        if (1..=64).contains(&s.len()) && s.chars().all(allowed) {
            Ok(Profession(s.to_owned()))
        } else {
            Err("not a profession code (1 to 64 letters, digits or ._:-)")
        }
    }
}

impl fmt::Display for Profession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A signed-in patient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Patient {
    /// The platform's internal patient id (claim `sub`).
    pub subject: PatientId,
    /// How strongly the provider authenticated them (claim `acr`).
    pub assurance: AssuranceLevel,
}

/// A signed-in health professional.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Professional {
    /// Their RPPS number (claim `rpps`).
    pub rpps: Rpps,
    /// Their profession (claim `profession`).
    pub profession: Profession,
}

/// A signed-in service editor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Editor {
    /// The organisation they act for (claim `organisation`).
    pub organisation: LegalId,
}

/// A signed-in regulator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Regulator {
    /// Their subject at the regulators' provider (claim `sub`).
    pub subject: String,
}

/// A verified identity, of one of the four populations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    /// A patient.
    Patient(Patient),
    /// A health professional.
    Professional(Professional),
    /// A service editor.
    Editor(Editor),
    /// A regulator.
    Regulator(Regulator),
}

impl Identity {
    /// Which population this identity belongs to.
    pub fn population(&self) -> Population {
        match self {
            Identity::Patient(_) => Population::Patient,
            Identity::Professional(_) => Population::Professional,
            Identity::Editor(_) => Population::Editor,
            Identity::Regulator(_) => Population::Regulator,
        }
    }

    /// A value for the token's `sub`: the subject where the population has
    /// one, otherwise the identifying claim.
    pub fn subject(&self) -> String {
        match self {
            Identity::Patient(p) => p.subject.to_string(),
            Identity::Professional(p) => p.rpps.to_string(),
            Identity::Editor(e) => e.organisation.to_string(),
            Identity::Regulator(r) => r.subject.clone(),
        }
    }

    /// The population-specific claims that carry this identity (`sub`
    /// included), for an issuer to sign.
    pub fn claims(&self) -> Map<String, Value> {
        let mut claims = Map::new();
        claims.insert("sub".into(), self.subject().into());
        match self {
            Identity::Patient(p) => {
                claims.insert("acr".into(), p.assurance.acr().into());
            }
            Identity::Professional(p) => {
                claims.insert("rpps".into(), p.rpps.as_str().into());
                claims.insert("profession".into(), p.profession.as_str().into());
            }
            Identity::Editor(e) => {
                claims.insert("organisation".into(), e.organisation.to_string().into());
            }
            Identity::Regulator(_) => {}
        }
        claims
    }

    /// Reads the identity of `population` from verified claims.
    pub fn from_claims(
        population: Population,
        claims: &Map<String, Value>,
    ) -> Result<Identity, AuthError> {
        Ok(match population {
            Population::Patient => {
                let acr = string_claim(claims, "acr")?;
                Identity::Patient(Patient {
                    subject: PatientId::new(subject(claims)?),
                    assurance: AssuranceLevel::from_acr(acr).ok_or(AuthError::MalformedClaim {
                        claim: "acr",
                        reason: "not an assurance level (eidas1, eidas2 or eidas3)",
                    })?,
                })
            }
            Population::Professional => Identity::Professional(Professional {
                rpps: parse_claim(claims, "rpps")?,
                profession: parse_claim(claims, "profession")?,
            }),
            Population::Editor => Identity::Editor(Editor {
                organisation: string_claim(claims, "organisation")?.parse().map_err(|_| {
                    AuthError::MalformedClaim {
                        claim: "organisation",
                        reason: "not a legal id (siret:… or finess:…)",
                    }
                })?,
            }),
            Population::Regulator => Identity::Regulator(Regulator {
                subject: subject(claims)?.to_owned(),
            }),
        })
    }
}

fn string_claim<'a>(
    claims: &'a Map<String, Value>,
    claim: &'static str,
) -> Result<&'a str, AuthError> {
    match claims.get(claim) {
        None | Some(Value::Null) => Err(AuthError::MissingClaim(claim)),
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(AuthError::MalformedClaim {
            claim,
            reason: "not a string",
        }),
    }
}

fn parse_claim<T: FromStr<Err = &'static str>>(
    claims: &Map<String, Value>,
    claim: &'static str,
) -> Result<T, AuthError> {
    string_claim(claims, claim)?
        .parse()
        .map_err(|reason| AuthError::MalformedClaim { claim, reason })
}

fn subject(claims: &Map<String, Value>) -> Result<&str, AuthError> {
    let sub = string_claim(claims, "sub")?;
    if sub.is_empty() || sub.len() > MAX_SUBJECT || sub.chars().any(char::is_control) {
        return Err(AuthError::MalformedClaim {
            claim: "sub",
            reason: "empty, longer than 255 bytes or holding control characters",
        });
    }
    Ok(sub)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn each_population_round_trips_through_its_claims() {
        let identities = [
            Identity::Patient(Patient {
                subject: PatientId::new("demo"),
                assurance: AssuranceLevel::Substantial,
            }),
            Identity::Professional(Professional {
                rpps: "10001234567".parse().unwrap(),
                profession: "10".parse().unwrap(),
            }),
            Identity::Editor(Editor {
                organisation: "siret:00000000000018".parse().unwrap(),
            }),
            Identity::Regulator(Regulator {
                subject: "has-1".into(),
            }),
        ];
        for identity in identities {
            let back = Identity::from_claims(identity.population(), &identity.claims()).unwrap();
            assert_eq!(back, identity);
        }
    }

    #[test]
    fn claims_are_named_when_missing_or_malformed() {
        let cases = [
            (Population::Patient, json!({"acr": "eidas1"}), "sub", true),
            (Population::Patient, json!({"sub": "a"}), "acr", true),
            (
                Population::Patient,
                json!({"sub": "a", "acr": "eidas9"}),
                "acr",
                false,
            ),
            (
                Population::Patient,
                json!({"sub": "", "acr": "eidas1"}),
                "sub",
                false,
            ),
            (
                Population::Patient,
                json!({"sub": 7, "acr": "eidas1"}),
                "sub",
                false,
            ),
            (
                Population::Professional,
                json!({"profession": "10"}),
                "rpps",
                true,
            ),
            (
                Population::Professional,
                json!({"rpps": "1234567890", "profession": "10"}),
                "rpps",
                false,
            ),
            (
                Population::Professional,
                json!({"rpps": "1234567890a", "profession": "10"}),
                "rpps",
                false,
            ),
            (
                Population::Professional,
                json!({"rpps": "12345678901"}),
                "profession",
                true,
            ),
            (
                Population::Professional,
                json!({"rpps": "12345678901", "profession": "a b"}),
                "profession",
                false,
            ),
            (Population::Editor, json!({}), "organisation", true),
            (
                Population::Editor,
                json!({"organisation": "siret:00000000000019"}),
                "organisation",
                false,
            ),
            (Population::Regulator, json!({"sub": null}), "sub", true),
        ];
        for (population, claims, name, missing) in cases {
            match Identity::from_claims(population, &map(claims.clone())) {
                Err(AuthError::MissingClaim(c)) if missing => assert_eq!(c, name, "{claims}"),
                Err(AuthError::MalformedClaim { claim, .. }) if !missing => {
                    assert_eq!(claim, name, "{claims}")
                }
                other => panic!("{claims}: {other:?}"),
            }
        }
    }

    #[test]
    fn eidas_uris_are_read_as_levels() {
        assert_eq!(
            AssuranceLevel::from_acr("http://eidas.europa.eu/LoA/high"),
            Some(AssuranceLevel::High)
        );
        assert!(AssuranceLevel::Low < AssuranceLevel::High);
    }
}
