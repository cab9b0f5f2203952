//! Grants as `Consent`s; the `Consent` a patient posts to grant a service,
//! and the status change to `inactive` that revokes it.
//!
//! A grant reads as a privacy consent (`scope` patient-privacy, `category`
//! LOINC 59284-0 "Patient consent", an opt-in `policyRule`) by the patient,
//! whose top `provision` permits, for the grant's period, the service — a
//! `provision.actor`, the information recipient, named as a logical
//! `Device` reference with the service id in
//! [`SERVICE_SYSTEM`](super::SERVICE_SYSTEM). Each SMART scope is a nested
//! `provision`: its canonical text in the [`SMART_SCOPE`] extension (which
//! is what the platform reads back), and for other readers its FHIR
//! meaning — `action` (access, collect, correct), resource `class`, `code`s
//! and `dataPeriod` for a time window. The consent sheet the patient saw
//! is the `sourceAttachment` (its SHA-256 in the URL), the service version
//! it described the [`SERVICE_VERSION`] extension, the grant's revision
//! `meta.versionId`.
//!
//! `status` is `active` while the grant is in force, `inactive` once
//! revoked or expired.

use serde::Serialize;
use serde_json::{Map, Value};

use super::Resource;
use super::datatypes::{CodeableConcept, Coding, Extension, Meta, Period, Reference};
use super::datetime::{self, Precision};
use super::outcome::Invalid;
use super::parse::{self, Problem, Walk};
use super::provenance::service_reference;
use crate::db::grants::StoredGrant;
use crate::model::{PatientId, ServiceId};
use officine_policy::scope::{Coded, Codes, Target};
use officine_policy::{Op, Scope};

/// Extension of a nested provision: one scope, in canonical SMART v2 form
/// (aliases are accepted on input).
pub const SMART_SCOPE: &str = "urn:officine:fhir:extension:smart-scope";

/// Extension: the service version whose consent sheet the patient saw.
pub const SERVICE_VERSION: &str = "urn:officine:fhir:extension:service-version";

/// Extension of a revocation: `valueBoolean` true to erase the service's
/// storage for the patient as well.
pub const ERASE: &str = "urn:officine:fhir:extension:erase-service-data";

const CONSENT_SCOPE: &str = "http://terminology.hl7.org/CodeSystem/consentscope";
const CONSENT_ACTION: &str = "http://terminology.hl7.org/CodeSystem/consentaction";
const RESOURCE_TYPES: &str = "http://hl7.org/fhir/resource-types";
const ACT_CODE: &str = "http://terminology.hl7.org/CodeSystem/v3-ActCode";
const PARTICIPATION: &str = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType";
const LOINC: &str = officine_policy::LOINC;

/// `Consent`, as the platform writes it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "resourceType", rename_all = "camelCase")]
pub struct Consent {
    pub id: String,
    pub meta: Meta,
    pub extension: Vec<Extension>,
    pub status: &'static str,
    pub scope: CodeableConcept,
    pub category: Vec<CodeableConcept>,
    pub patient: Reference,
    pub date_time: String,
    pub performer: Vec<Reference>,
    pub source_attachment: SourceAttachment,
    pub policy_rule: CodeableConcept,
    pub provision: Provision,
}

/// `Consent.sourceAttachment`: the consent sheet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceAttachment {
    pub url: String,
    pub title: String,
}

/// `Consent.provision`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Provision {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    #[serde(rename = "type")]
    pub type_: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<Period>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub actor: Vec<ProvisionActor>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub action: Vec<CodeableConcept>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub class: Vec<Coding>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub code: Vec<CodeableConcept>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_period: Option<Period>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub provision: Vec<Provision>,
}

/// `Consent.provision.actor`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProvisionActor {
    pub role: CodeableConcept,
    pub reference: Reference,
}

impl Resource for Consent {
    const TYPE: &'static str = "Consent";

    fn id(&self) -> &str {
        &self.id
    }
}

/// The `Consent` of a grant, with its status at `now` (ms).
pub fn from_grant(stored: &StoredGrant, now: i64) -> Consent {
    let grant = &stored.grant;
    let patient = Reference::to(super::patient_reference(grant.patient()));
    let period = grant.period();
    let service = grant.service().as_str();
    Consent {
        id: grant.id().as_str().to_owned(),
        meta: Meta {
            version_id: Some(stored.revision.to_string()),
            ..Meta::default()
        },
        extension: vec![Extension::string(
            SERVICE_VERSION,
            &grant.version().to_string(),
        )],
        status: if grant.in_force(now).is_ok() {
            "active"
        } else {
            "inactive"
        },
        scope: CodeableConcept::coded(Coding::new(
            CONSENT_SCOPE,
            "patient-privacy",
            Some("Privacy Consent"),
        )),
        category: vec![CodeableConcept::coded(Coding::new(
            LOINC,
            "59284-0",
            Some("Patient Consent"),
        ))],
        patient: patient.clone(),
        date_time: datetime::instant(period.start()),
        performer: vec![patient],
        source_attachment: SourceAttachment {
            url: format!(
                "urn:officine:consent-sheet:sha256:{}",
                grant.sheet().to_hex()
            ),
            title: format!("Fiche d'information de {service} {}", grant.version()),
        },
        policy_rule: CodeableConcept::coded(Coding::new(ACT_CODE, "OPTIN", Some("opt-in"))),
        provision: Provision {
            period: Some(Period {
                start: Some(datetime::instant(period.start())),
                end: Some(datetime::instant(period.end())),
            }),
            actor: vec![ProvisionActor {
                role: CodeableConcept::coded(Coding::new(
                    PARTICIPATION,
                    "IRCP",
                    Some("information recipient"),
                )),
                reference: service_reference(service),
            }],
            provision: grant.scopes().iter().map(scope_provision).collect(),
            ..permit()
        },
    }
}

fn permit() -> Provision {
    Provision {
        extension: Vec::new(),
        type_: "permit",
        period: None,
        actor: Vec::new(),
        action: Vec::new(),
        class: Vec::new(),
        code: Vec::new(),
        data_period: None,
        provision: Vec::new(),
    }
}

/// One scope as a nested provision.
fn scope_provision(scope: &Scope) -> Provision {
    let mut provision = Provision {
        extension: vec![Extension::string(
            SMART_SCOPE,
            &scope.canonical().to_string(),
        )],
        ..permit()
    };
    let Scope::Resource(scope) = scope else {
        // `storage` is Officine's own: no FHIR resource to describe.
        return provision;
    };
    let mut actions: Vec<(&str, &str)> = Vec::new();
    for op in scope.ops().iter() {
        let action = match op {
            Op::Read | Op::Search => ("access", "Access"),
            Op::Create => ("collect", "Collect"),
            Op::Update | Op::Delete => ("correct", "Access and Correct"),
        };
        if !actions.contains(&action) {
            actions.push(action);
        }
    }
    provision.action = actions
        .into_iter()
        .map(|(code, display)| {
            CodeableConcept::coded(Coding::new(CONSENT_ACTION, code, Some(display)))
        })
        .collect();
    provision.class = vec![Coding::new(
        RESOURCE_TYPES,
        scope.resource().fhir_name(),
        None,
    )];
    provision.code = match scope.target() {
        Target::Observation(Codes::Only(set)) => codes(set.iter()),
        Target::DocumentReference(Codes::Only(set)) => codes(set.iter()),
        _ => Vec::new(),
    };
    provision.data_period = scope.since().map(|since| Period {
        start: Some(datetime::instant(since.millis())),
        end: None,
    });
    provision
}

fn codes<T: Coded>(codes: impl Iterator<Item = T>) -> Vec<CodeableConcept> {
    codes
        .map(|c| CodeableConcept::coded(Coding::new(T::SYSTEM, c.code(), None)))
        .collect()
}

/// What a patient asks when they post a `Consent`: to grant `scopes` of
/// `service` until `end`. The caller checks it against what the service
/// requests (see [`crate::consent::grant`]).
#[derive(Debug, Clone, PartialEq)]
pub struct GrantRequest {
    pub service: ServiceId,
    /// Without duplicates, in the order given.
    pub scopes: Vec<Scope>,
    /// `provision.period.start` (ms), if given; otherwise the grant starts now.
    pub start: Option<i64>,
    /// `provision.period.end` (ms): a grant always ends.
    pub end: i64,
}

/// Reads the `Consent` `patient` posts to grant a service: `status`
/// active, `patient` (the patient in context), and a `provision` with the
/// `period` end, one service actor (identifier in `urn:officine:service`)
/// and one nested provision per scope carrying the [`SMART_SCOPE`]
/// extension. No nested provision grants no scope — a grant too, under
/// which the service runs and reaches no data.
pub fn parse_create(body: &[u8], patient: &PatientId) -> Result<GrantRequest, Invalid<Problem>> {
    let object = parse::resource(body, "Consent")?;
    let mut problems = Vec::new();
    let mut walk = Walk {
        problems: &mut problems,
    };
    match walk.required_string(&object, "Consent", "status") {
        Some("active") | None => {}
        Some(other) => walk.push(Problem::Unexpected {
            path: "Consent.status".into(),
            expected: "\"active\" (a new grant)".into(),
            found: other.to_owned(),
        }),
    }
    if !walk.patient(&object, "Consent", "patient", patient) && !object.contains_key("patient") {
        walk.push(Problem::Missing {
            path: "Consent.patient".into(),
        });
    }
    let Some(provision) = walk.object(&object, "Consent", "provision") else {
        if !object.contains_key("provision") {
            walk.push(Problem::Missing {
                path: "Consent.provision".into(),
            });
        }
        return Err(Invalid { problems });
    };
    const P: &str = "Consent.provision";
    permits(&mut walk, provision, P);
    let (start, end) = period(&mut walk, provision);
    let service = service(&mut walk, provision);
    let mut scopes = Vec::new();
    for (path, nested) in walk.objects(provision, P, "provision") {
        permits(&mut walk, nested, &path);
        let mut found = false;
        for (at, extension) in walk.objects(nested, &path, "extension") {
            if extension.get("url").and_then(Value::as_str) != Some(SMART_SCOPE) {
                continue;
            }
            found = true;
            let Some(text) = walk.required_string(extension, &at, "valueString") else {
                continue;
            };
            match text.parse::<Scope>() {
                Ok(scope) if !scopes.contains(&scope) => scopes.push(scope),
                Ok(_) => {}
                Err(error) => walk.push(Problem::BadScope {
                    path: format!("{at}.valueString"),
                    error,
                }),
            }
        }
        if !found {
            walk.push(Problem::Missing {
                path: format!("{path}.extension('{SMART_SCOPE}')"),
            });
        }
    }
    Invalid::check(problems, || GrantRequest {
        service: service.expect("a service when no problem"),
        scopes,
        start,
        end: end.expect("an end when no problem"),
    })
}

fn permits(walk: &mut Walk<'_>, provision: &Map<String, Value>, path: &str) {
    match walk.string(provision, path, "type") {
        Some("permit") | None => {}
        Some(other) => walk.push(Problem::Unexpected {
            path: format!("{path}.type"),
            expected: "\"permit\": a grant permits".into(),
            found: other.to_owned(),
        }),
    }
}

fn period(walk: &mut Walk<'_>, provision: &Map<String, Value>) -> (Option<i64>, Option<i64>) {
    const P: &str = "Consent.provision.period";
    let Some(period) = walk.object(provision, "Consent.provision", "period") else {
        if !provision.contains_key("period") {
            walk.push(Problem::Missing {
                path: format!("{P}.end"),
            });
        }
        return (None, None);
    };
    let start = walk.date(period, P, "start").map(|r| r.start);
    if !period.contains_key("end") {
        walk.push(Problem::Missing {
            path: format!("{P}.end"),
        });
    }
    // A day as end means "through that day"; a time, that instant.
    let end = walk.date(period, P, "end").map(|r| match r.precision {
        Precision::Time => r.start,
        _ => r.end,
    });
    if let (Some(start), Some(end)) = (start, end)
        && end <= start
    {
        walk.push(Problem::EndNotAfterStart {
            path: format!("{P}.end"),
        });
    }
    (start, end)
}

fn service(walk: &mut Walk<'_>, provision: &Map<String, Value>) -> Option<ServiceId> {
    let mut found = Vec::new();
    for (path, actor) in walk.objects(provision, "Consent.provision", "actor") {
        let Some(reference) = walk.object(actor, &path, "reference") else {
            continue;
        };
        let at = format!("{path}.reference");
        let Some(identifier) = walk.object(reference, &at, "identifier") else {
            continue;
        };
        let at = format!("{at}.identifier");
        if identifier.get("system").and_then(Value::as_str) != Some(super::SERVICE_SYSTEM) {
            continue;
        }
        if let Some(value) = walk.required_string(identifier, &at, "value") {
            found.push((format!("{at}.value"), value.to_owned()));
        }
    }
    match found.as_slice() {
        [] => {
            walk.push(Problem::Missing {
                path: format!(
                    "Consent.provision.actor.reference.identifier (system {})",
                    super::SERVICE_SYSTEM
                ),
            });
            None
        }
        [(path, id)] => match ServiceId::new(id.as_str()) {
            Ok(service) => Some(service),
            Err(error) => {
                walk.push(Problem::BadService {
                    path: path.clone(),
                    error,
                });
                None
            }
        },
        [_, (path, id), ..] => {
            walk.push(Problem::Unexpected {
                path: path.clone(),
                expected: "one service per consent".into(),
                found: id.clone(),
            });
            None
        }
    }
}

/// A revocation the patient asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Revocation {
    /// Erase the service's storage for the patient too.
    pub erase: bool,
}

/// Reads a change to the `Consent` `id` of `patient` that revokes it:
/// either the resource itself (`PUT`) with `status` inactive — and the
/// [`ERASE`] extension to erase the service's storage — or a JSON Patch
/// (`PATCH`) replacing `/status` with `inactive` (optionally adding the
/// [`ERASE`] extension). Any other change is refused: to change a grant's
/// terms, the patient posts a new `Consent`.
pub fn parse_revoke(
    body: &[u8],
    id: &str,
    patient: &PatientId,
) -> Result<Revocation, Invalid<Problem>> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Array(ops)) => parse_patch(&ops),
        Ok(_) => parse_put(body, id, patient),
        Err(e) => Err(Invalid::one(Problem::NotJson(e.to_string()))),
    }
}

fn parse_put(body: &[u8], id: &str, patient: &PatientId) -> Result<Revocation, Invalid<Problem>> {
    let object = parse::resource(body, "Consent")?;
    let mut problems = Vec::new();
    let mut walk = Walk {
        problems: &mut problems,
    };
    if let Some(found) = walk.string(&object, "Consent", "id")
        && found != id
    {
        walk.push(Problem::IdMismatch {
            path: "Consent.id".into(),
            expected: id.to_owned(),
            found: found.to_owned(),
        });
    }
    walk.patient(&object, "Consent", "patient", patient);
    match walk.required_string(&object, "Consent", "status") {
        Some("inactive") | None => {}
        Some(_) => walk.push(Problem::NotSupported {
            path: "Consent.status".into(),
            hint: "the only change is to \"inactive\" (a revocation); \
                   to change a grant's terms, create a new Consent",
        }),
    }
    let mut erase = false;
    for (path, extension) in walk.objects(&object, "Consent", "extension") {
        if extension.get("url").and_then(Value::as_str) == Some(ERASE) {
            erase = erase_flag(&mut walk, extension, &path);
        }
    }
    Invalid::check(problems, || Revocation { erase })
}

fn erase_flag(walk: &mut Walk<'_>, extension: &Map<String, Value>, path: &str) -> bool {
    match extension.get("valueBoolean") {
        Some(Value::Bool(erase)) => *erase,
        _ => {
            walk.push(Problem::WrongType {
                path: format!("{path}.valueBoolean"),
                expected: "a boolean",
            });
            false
        }
    }
}

fn parse_patch(ops: &[Value]) -> Result<Revocation, Invalid<Problem>> {
    let mut problems = Vec::new();
    let mut walk = Walk {
        problems: &mut problems,
    };
    let mut revoked = false;
    let mut erase = false;
    for (i, op) in ops.iter().enumerate() {
        let path = format!("[{i}]");
        let Value::Object(op) = op else {
            walk.push(Problem::WrongType {
                path,
                expected: "a JSON Patch operation",
            });
            continue;
        };
        let kind = op.get("op").and_then(Value::as_str).unwrap_or("");
        let target = op.get("path").and_then(Value::as_str).unwrap_or("");
        match (kind, target, op.get("value")) {
            ("replace" | "add", "/status", Some(Value::String(status))) if status == "inactive" => {
                revoked = true;
            }
            ("add", "/extension/-" | "/extension", Some(Value::Object(extension)))
                if extension.get("url").and_then(Value::as_str) == Some(ERASE) =>
            {
                erase = erase_flag(&mut walk, extension, &format!("{path}.value"));
            }
            _ => walk.push(Problem::NotSupported {
                path,
                hint: "the only change is replacing /status with \"inactive\" (a revocation), \
                       optionally adding the erase-service-data extension",
            }),
        }
    }
    if !revoked && walk.problems.is_empty() {
        walk.push(Problem::Missing {
            path: "a \"replace\" of /status with \"inactive\"".into(),
        });
    }
    Invalid::check(problems, || Revocation { erase })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fhir::{IssueType, OperationOutcome};
    use officine_policy::{GrantId, GrantStatus, Period as GrantPeriod, SheetHash};
    use serde_json::json;

    const START: i64 = 1_735_689_600_000; // 2025-01-01
    const END: i64 = 1_767_225_600_000; // 2026-01-01

    fn stored(scopes: &[&str], status: GrantStatus) -> StoredGrant {
        let consent = officine_policy::Consent {
            patient: PatientId::new("p1"),
            service: ServiceId::new("fr.example.tracker").unwrap(),
            scopes: scopes.iter().map(|s| s.parse().unwrap()).collect(),
            period: GrantPeriod::new(START, END).unwrap(),
            version: semver::Version::new(1, 2, 0),
            sheet: SheetHash([0xab; 32]),
        };
        StoredGrant {
            grant: officine_policy::Grant::restore(GrantId::new("g1"), consent, status),
            revision: 3,
        }
    }

    #[test]
    fn a_grant_as_a_consent() {
        let c = from_grant(
            &stored(
                &[
                    "measures.read:weight",
                    "patient/Observation.rs?code=http://loinc.org|29463-7,http://loinc.org|8302-2&date=ge2025-01-01",
                    "agenda.write",
                    "dmp.read:lab-results",
                    "storage",
                ],
                GrantStatus::Active,
            ),
            START + 10,
        );
        let json = serde_json::to_value(&c).unwrap();
        assert_eq!(json["resourceType"], "Consent");
        assert_eq!(json["status"], "active");
        assert_eq!(json["meta"]["versionId"], "3");
        assert_eq!(json["scope"]["coding"][0]["code"], "patient-privacy");
        assert_eq!(json["category"][0]["coding"][0]["code"], "59284-0");
        assert_eq!(json["patient"]["reference"], "Patient/p1");
        assert_eq!(json["policyRule"]["coding"][0]["code"], "OPTIN");
        assert_eq!(json["extension"][0]["valueString"], "1.2.0");
        assert_eq!(
            json["sourceAttachment"]["url"],
            format!("urn:officine:consent-sheet:sha256:{}", "ab".repeat(32))
        );
        let provision = &json["provision"];
        assert_eq!(provision["type"], "permit");
        assert_eq!(provision["period"]["start"], "2025-01-01T00:00:00.000Z");
        assert_eq!(provision["period"]["end"], "2026-01-01T00:00:00.000Z");
        assert_eq!(provision["actor"][0]["role"]["coding"][0]["code"], "IRCP");
        assert_eq!(
            provision["actor"][0]["reference"]["identifier"],
            json!({"system": "urn:officine:service", "value": "fr.example.tracker"})
        );
        let nested = provision["provision"].as_array().unwrap();
        let scopes: Vec<&str> = nested
            .iter()
            .map(|p| p["extension"][0]["valueString"].as_str().unwrap())
            .collect();
        assert_eq!(
            scopes,
            [
                "patient/Observation.rs?code=http://loinc.org|29463-7",
                "patient/Observation.rs?code=http://loinc.org|29463-7,http://loinc.org|8302-2&date=ge2025-01-01",
                "patient/Appointment.cud",
                "patient/DocumentReference.rs?category=urn:officine:dmp-category|lab-results",
                "storage",
            ]
        );
        assert_eq!(nested[0]["action"][0]["coding"][0]["code"], "access");
        assert_eq!(nested[0]["class"][0]["code"], "Observation");
        assert_eq!(nested[0]["code"][0]["coding"][0]["code"], "29463-7");
        assert_eq!(nested[1]["code"].as_array().unwrap().len(), 2);
        assert_eq!(nested[1]["dataPeriod"]["start"], "2025-01-01T00:00:00.000Z");
        let actions: Vec<&str> = nested[2]["action"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["coding"][0]["code"].as_str().unwrap())
            .collect();
        assert_eq!(actions, ["collect", "correct"]);
        assert_eq!(
            nested[3]["code"][0]["coding"][0]["system"],
            "urn:officine:dmp-category"
        );
        assert!(nested[4].get("class").is_none());
    }

    #[test]
    fn revoked_or_expired_grants_are_inactive() {
        let revoked = from_grant(
            &stored(&[], GrantStatus::Revoked { at: START + 5 }),
            START + 10,
        );
        assert_eq!(revoked.status, "inactive");
        let expired = from_grant(&stored(&[], GrantStatus::Active), END);
        assert_eq!(expired.status, "inactive");
        assert!(expired.provision.provision.is_empty());
    }

    fn create() -> serde_json::Value {
        json!({
            "resourceType": "Consent",
            "status": "active",
            "patient": {"reference": "Patient/p1"},
            "provision": {
                "type": "permit",
                "period": {"end": "2025-12-31"},
                "actor": [{"reference": {"identifier": {
                    "system": "urn:officine:service", "value": "fr.example.tracker"}}}],
                "provision": [
                    {"extension": [{"url": SMART_SCOPE, "valueString": "measures.read:weight"}]},
                    {"type": "permit", "extension": [{"url": SMART_SCOPE,
                        "valueString": "patient/Observation.c?code=http://loinc.org|29463-7"}]},
                    {"extension": [{"url": SMART_SCOPE, "valueString": "measures.read:weight"}]}
                ]
            }
        })
    }

    fn create_refused(value: serde_json::Value) -> Vec<Problem> {
        parse_create(&serde_json::to_vec(&value).unwrap(), &PatientId::new("p1"))
            .unwrap_err()
            .problems
    }

    #[test]
    fn a_consent_creation_is_read() {
        let request = parse_create(
            &serde_json::to_vec(&create()).unwrap(),
            &PatientId::new("p1"),
        )
        .unwrap();
        assert_eq!(request.service.as_str(), "fr.example.tracker");
        let scopes: Vec<String> = request.scopes.iter().map(ToString::to_string).collect();
        assert_eq!(scopes, ["measures.read:weight", "measures.write:weight"]);
        assert_eq!(request.start, None);
        assert_eq!(request.end, END, "a day as end runs through that day");
    }

    #[test]
    fn what_the_platform_writes_it_reads_back() {
        let grant = stored(
            &[
                "measures.read",
                "patient/Observation.rs?code=http://loinc.org|29463-7&date=ge2025-01-01",
                "storage",
            ],
            GrantStatus::Active,
        );
        let body = serde_json::to_vec(&from_grant(&grant, START)).unwrap();
        let request = parse_create(&body, &PatientId::new("p1")).unwrap();
        assert_eq!(request.scopes, grant.grant.scopes());
        assert_eq!(&request.service, grant.grant.service());
        assert_eq!((request.start, request.end), (Some(START), END));
    }

    #[test]
    fn consent_creation_problems_are_named() {
        let mut c = create();
        c["status"] = json!("draft");
        c["patient"] = json!({"reference": "Patient/p2"});
        c["provision"]["provision"][0]["extension"][0]["valueString"] = json!("measures.write:bmi");
        c["provision"]["provision"][1] = json!({"type": "deny"});
        let problems = create_refused(c);
        assert!(
            matches!(problems[0], Problem::Unexpected { ref path, .. } if path == "Consent.status"),
            "{problems:?}"
        );
        assert!(matches!(problems[1], Problem::OtherPatient { .. }));
        assert!(matches!(problems[2], Problem::BadScope { ref path, .. }
            if path == "Consent.provision.provision[0].extension[0].valueString"));
        assert!(
            matches!(problems[3], Problem::Unexpected { ref path, .. } if path == "Consent.provision.provision[1].type")
        );
        assert!(matches!(problems[4], Problem::Missing { .. }));
        assert_eq!(problems.len(), 5);
        let outcome = OperationOutcome::from(Invalid { problems });
        assert_eq!(outcome.issue[1].code, IssueType::Forbidden);

        let mut c = create();
        c["provision"]["actor"] = json!([]);
        c["provision"]["period"] = json!({"start": "2025-06-01", "end": "2025-01-01"});
        let problems = create_refused(c);
        assert!(
            matches!(problems[0], Problem::EndNotAfterStart { .. }),
            "{problems:?}"
        );
        assert!(
            matches!(problems[1], Problem::Missing { ref path } if path.contains("urn:officine:service"))
        );

        let mut c = create();
        c["provision"]["actor"][0]["reference"]["identifier"]["value"] = json!("Tracker");
        c["provision"]["period"] = json!({});
        let problems = create_refused(c);
        assert!(
            matches!(problems[0], Problem::Missing { ref path } if path == "Consent.provision.period.end")
        );
        assert!(matches!(problems[1], Problem::BadService { .. }));

        let mut c = create();
        let actor = c["provision"]["actor"][0].clone();
        c["provision"]["actor"].as_array_mut().unwrap().push(actor);
        assert!(matches!(
            create_refused(c).as_slice(),
            [Problem::Unexpected { .. }]
        ));

        let mut c = create();
        c.as_object_mut().unwrap().remove("provision");
        c.as_object_mut().unwrap().remove("patient");
        assert_eq!(
            create_refused(c),
            vec![
                Problem::Missing {
                    path: "Consent.patient".into()
                },
                Problem::Missing {
                    path: "Consent.provision".into()
                }
            ]
        );
        assert!(matches!(
            create_refused(json!({"resourceType": "Observation"})).as_slice(),
            [Problem::WrongResourceType { .. }]
        ));
    }

    fn revoke(value: serde_json::Value) -> Result<Revocation, Vec<Problem>> {
        parse_revoke(
            &serde_json::to_vec(&value).unwrap(),
            "g1",
            &PatientId::new("p1"),
        )
        .map_err(|e| e.problems)
    }

    #[test]
    fn a_status_change_to_inactive_revokes() {
        let mut c = serde_json::to_value(from_grant(
            &stored(&["storage"], GrantStatus::Active),
            START,
        ))
        .unwrap();
        c["status"] = json!("inactive");
        assert_eq!(revoke(c.clone()), Ok(Revocation { erase: false }));
        c["extension"]
            .as_array_mut()
            .unwrap()
            .push(json!({"url": ERASE, "valueBoolean": true}));
        assert_eq!(revoke(c.clone()), Ok(Revocation { erase: true }));
        assert_eq!(
            revoke(json!([{"op": "replace", "path": "/status", "value": "inactive"}])),
            Ok(Revocation { erase: false })
        );
        assert_eq!(
            revoke(json!([
                {"op": "replace", "path": "/status", "value": "inactive"},
                {"op": "add", "path": "/extension/-", "value": {"url": ERASE, "valueBoolean": true}}
            ])),
            Ok(Revocation { erase: true })
        );
    }

    #[test]
    fn other_changes_are_refused() {
        let mut c = serde_json::to_value(from_grant(
            &stored(&["storage"], GrantStatus::Active),
            START,
        ))
        .unwrap();
        let problems = revoke(c.clone()).unwrap_err();
        assert!(matches!(
            problems.as_slice(),
            [Problem::NotSupported { .. }]
        ));
        assert_eq!(
            OperationOutcome::from(Invalid { problems }).issue[0].code,
            IssueType::NotSupported
        );
        c["status"] = json!("inactive");
        c["id"] = json!("g2");
        c["patient"] = json!({"reference": "Patient/p2"});
        let problems = revoke(c).unwrap_err();
        assert!(matches!(
            problems.as_slice(),
            [Problem::IdMismatch { .. }, Problem::OtherPatient { .. }]
        ));
        assert!(matches!(
            revoke(json!([{"op": "replace", "path": "/provision", "value": {}}]))
                .unwrap_err()
                .as_slice(),
            [Problem::NotSupported { .. }]
        ));
        assert!(matches!(
            revoke(json!([])).unwrap_err().as_slice(),
            [Problem::Missing { .. }]
        ));
        assert!(matches!(
            revoke(json!([{"op": "add", "path": "/extension/-", "value": {"url": ERASE, "valueBoolean": "yes"}},
                          {"op": "replace", "path": "/status", "value": "inactive"}])).unwrap_err().as_slice(),
            [Problem::WrongType { .. }]
        ));
        assert!(matches!(
            parse_revoke(b"nope", "g1", &PatientId::new("p1"))
                .unwrap_err()
                .problems
                .as_slice(),
            [Problem::NotJson(_)]
        ));
    }
}
