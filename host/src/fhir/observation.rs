//! Measures as `Observation`s, after the French "mesures de santé"
//! profiles; and the `Observation` a client posts to add a measure.
//!
//! # Profiles
//!
//! Each kind claims the profile of the ANS implementation guide
//! *Mesures de santé* (package `ans.fhir.fr.mesures`, canonical base
//! `https://interop.esante.gouv.fr/ig/fhir/mesures`) made for it — the
//! guide Mon espace santé uses for these very measures; its body weight,
//! height, BMI, temperature and heart-rate profiles derive from FR Core's
//! (`https://hl7.fr/ig/fhir/core`), which derive from the FHIR vital-signs
//! profiles. See [`profile`]. What the resources here honour of them:
//! `status` final, the `vital-signs` category (every one of these profiles
//! derives from the FHIR vital-signs profile, which requires it), the LOINC
//! code, the patient as `subject`, `effectiveDateTime`, `valueQuantity` with
//! a UCUM `system` and `code`, and the entering application as `device`.
//! What they cannot: the profile packages are not checked here, and where a
//! profile fixes another unit than the platform's published one (pain:
//! `{score}` here, `1` there) the platform's contract wins.
//!
//! # Provenance
//!
//! `performer` is the patient or the professional who took the measure; a
//! service is the `device` (the application through which the value came,
//! as the profiles put it); the platform's own BMI has neither and is
//! `derivedFrom` the weight it was computed from, with a note. The full
//! provenance, component digest included, is in the extension of
//! [`provenance`](super::provenance).

use serde::Serialize;
use serde_json::{Map, Value};

use super::datatypes::{Annotation, CodeableConcept, Coding, Extension, Meta, Quantity, Reference};
use super::datetime::{self, Precision};
use super::outcome::Invalid;
use super::parse::{self, Problem, Walk};
use super::provenance::Provenance;
use super::{Resource, UCUM};
use crate::db::measures::Measure;
use crate::model::{self, ComponentDigest, MeasureKind, Origin, PatientId};
use officine_policy::{LOINC, WritableMeasureKind};

/// The code system of observation categories.
pub const CATEGORY_SYSTEM: &str = "http://terminology.hl7.org/CodeSystem/observation-category";

/// The canonical base of the ANS *Mesures de santé* profiles.
pub const MESURES_BASE: &str = "https://interop.esante.gouv.fr/ig/fhir/mesures/StructureDefinition";

/// The *Mesures de santé* profile of each kind.
pub fn profile(kind: MeasureKind) -> String {
    let id = match kind {
        MeasureKind::Weight => "mesures-fr-observation-body-weight",
        MeasureKind::Height => "mesures-fr-observation-body-height",
        MeasureKind::Bmi => "mesures-fr-observation-bmi",
        MeasureKind::WaistCircumference => "mesures-observation-waist-circumference",
        MeasureKind::BodyTemperature => "mesures-fr-observation-body-temperature",
        MeasureKind::BloodGlucose => "mesures-observation-glucose",
        MeasureKind::PainSeverity => "mesures-observation-pain-severity",
        MeasureKind::HeartRate => "mesures-fr-observation-heartrate",
        MeasureKind::DailySteps => "mesures-observation-steps-by-day",
    };
    format!("{MESURES_BASE}/{id}")
}

/// The categories of each kind: `vital-signs` for all (their profiles all
/// derive from the vital-signs profile), and `activity` for steps.
pub fn categories(kind: MeasureKind) -> Vec<(&'static str, &'static str)> {
    let mut categories = vec![("vital-signs", "Vital Signs")];
    if kind == MeasureKind::DailySteps {
        categories.push(("activity", "Activity"));
    }
    categories
}

/// The human-readable unit shown beside the UCUM code: the code itself,
/// except where the profile fixes a text.
pub fn unit_text(kind: MeasureKind) -> &'static str {
    match kind {
        MeasureKind::DailySteps => "steps/day",
        other => model::coding(other).unit,
    }
}

/// What storage knows of a measure beyond [`Measure`], when the caller has
/// it: when it was recorded, the component and professional who wrote it,
/// and for a BMI the measure it was computed from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MeasureDetails {
    /// When the platform recorded it (ms): `issued`.
    pub recorded_at: Option<i64>,
    pub component: Option<ComponentDigest>,
    pub professional: Option<String>,
    /// Ids of the measures a computed one derives from (a BMI: its weight).
    pub derived_from: Vec<String>,
}

/// `Observation`, as the platform writes it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "resourceType", rename_all = "camelCase")]
pub struct Observation {
    pub id: String,
    pub meta: Meta,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    pub status: &'static str,
    pub category: Vec<CodeableConcept>,
    pub code: CodeableConcept,
    pub subject: Reference,
    pub effective_date_time: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issued: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub performer: Vec<Reference>,
    pub value_quantity: Quantity,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub note: Vec<Annotation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device: Option<Reference>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub derived_from: Vec<Reference>,
}

impl Resource for Observation {
    const TYPE: &'static str = "Observation";

    fn id(&self) -> &str {
        &self.id
    }
}

/// The `Observation` of one of `patient`'s measures.
pub fn from_measure(
    patient: &PatientId,
    measure: &Measure,
    details: &MeasureDetails,
) -> Observation {
    let kind = measure.kind;
    let coding = model::coding(kind);
    let provenance = Provenance {
        origin: measure.origin,
        service: measure.written_by.as_deref(),
        component: details.component,
        professional: details.professional.as_deref(),
    };
    let (performer, device) = match measure.origin {
        Origin::Patient | Origin::Professional => (vec![provenance.author(patient)], None),
        Origin::Service => (Vec::new(), Some(provenance.author(patient))),
        Origin::Platform => (Vec::new(), None),
    };
    let computed = kind.is_computed() || measure.origin == Origin::Platform;
    let note = if computed {
        vec![Annotation {
            text: "Computed by the platform from the weight and the latest height taken at or \
                   before it; never entered."
                .to_owned(),
        }]
    } else {
        Vec::new()
    };
    Observation {
        id: measure.id.clone(),
        meta: Meta {
            profile: vec![profile(kind)],
            ..Meta::default()
        },
        extension: vec![provenance.extension()],
        status: "final",
        category: categories(kind)
            .into_iter()
            .map(|(code, display)| {
                CodeableConcept::coded(Coding::new(CATEGORY_SYSTEM, code, Some(display)))
            })
            .collect(),
        code: CodeableConcept {
            coding: vec![Coding::new(LOINC, coding.loinc, Some(coding.display))],
            text: Some(coding.display.to_owned()),
        },
        subject: Reference::to(super::patient_reference(patient)),
        effective_date_time: datetime::instant(measure.effective_at),
        issued: details.recorded_at.map(datetime::instant),
        performer,
        value_quantity: Quantity {
            value: measure.value,
            unit: unit_text(kind).to_owned(),
            system: UCUM.to_owned(),
            code: coding.unit.to_owned(),
        },
        note,
        device,
        derived_from: details
            .derived_from
            .iter()
            .map(|id| Reference::to(format!("Observation/{id}")))
            .collect(),
    }
}

/// A measure a client asks to add, checked.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NewMeasure {
    /// Never a computed kind: a BMI is refused.
    pub kind: WritableMeasureKind,
    pub value: f64,
    /// When it was taken (ms).
    pub effective_at: i64,
}

/// How far ahead of the server's clock a measure may be dated: clocks
/// drift, measures are not taken in the future.
pub const CLOCK_SKEW_MS: i64 = 5 * 60 * 1000;

/// 1900-01-01T00:00:00Z: nothing the platform stores is older.
const OLDEST: i64 = -2_208_988_800_000;

/// Reads the `Observation` a client posts for `patient` at `now` (ms).
///
/// Requires `status` final, one LOINC `code` of a kind the platform
/// stores and may be written (a BMI is refused: the platform computes it),
/// `effectiveDateTime` (a day at least, not in the future), and
/// `valueQuantity` with a finite `value` in the kind's plausible range and
/// the kind's UCUM unit as `system`/`code`. A `subject`, if given, must be
/// the patient. Elements the platform does not keep (`note`, `method`, …)
/// are ignored; the `id` is the platform's to choose.
pub fn parse_create(
    body: &[u8],
    patient: &PatientId,
    now: i64,
) -> Result<NewMeasure, Invalid<Problem>> {
    let object = parse::resource(body, "Observation")?;
    let mut problems = Vec::new();
    let mut walk = Walk {
        problems: &mut problems,
    };
    const P: &str = "Observation";
    match walk.required_string(&object, P, "status") {
        Some("final") | None => {}
        Some(other) => walk.push(Problem::Unexpected {
            path: "Observation.status".into(),
            expected: "\"final\"".into(),
            found: other.to_owned(),
        }),
    }
    walk.patient(&object, P, "subject", patient);
    let kind = code(&mut walk, &object);
    let effective_at = effective(&mut walk, &object, now);
    let value = value(&mut walk, &object, kind);
    Invalid::check(problems, || NewMeasure {
        kind: kind.expect("a kind when no problem"),
        value: value.expect("a value when no problem"),
        effective_at: effective_at.expect("a date when no problem"),
    })
}

/// The kind named by `code`: exactly one LOINC coding of a known kind.
fn code(walk: &mut Walk<'_>, object: &Map<String, Value>) -> Option<WritableMeasureKind> {
    let Some(code) = walk.object(object, "Observation", "code") else {
        if !object.contains_key("code") {
            walk.push(Problem::Missing {
                path: "Observation.code".into(),
            });
        }
        return None;
    };
    let mut kinds = Vec::new();
    let codings = walk.objects(code, "Observation.code", "coding");
    match code.get("coding") {
        None => walk.push(Problem::Missing {
            path: "Observation.code.coding".into(),
        }),
        Some(Value::Array(items)) if items.is_empty() => walk.push(Problem::Missing {
            path: "Observation.code.coding".into(),
        }),
        Some(_) => {}
    }
    let mut other_systems = Vec::new();
    for (path, coding) in &codings {
        let system = walk.string(coding, path, "system");
        let value = walk.string(coding, path, "code");
        match (system, value) {
            (Some(LOINC), Some(value)) => match MeasureKind::from_loinc(value) {
                Some(kind) if !kinds.contains(&kind) => kinds.push(kind),
                Some(_) => {}
                None => walk.push(Problem::UnknownCode {
                    path: format!("{path}.code"),
                    code: value.to_owned(),
                }),
            },
            (Some(LOINC), None) => walk.push(Problem::Missing {
                path: format!("{path}.code"),
            }),
            (system, _) => other_systems.push((path.clone(), system.unwrap_or("").to_owned())),
        }
    }
    // Another system beside a LOINC code is a translation, and harmless;
    // without one, the client coded the measure in a system we don't read.
    if kinds.is_empty()
        && !walk
            .problems
            .iter()
            .any(|p| matches!(p, Problem::UnknownCode { .. }))
    {
        for (path, system) in other_systems {
            walk.push(Problem::NotLoinc {
                path: format!("{path}.system"),
                system,
            });
        }
    }
    match kinds.as_slice() {
        [] => None,
        [kind] => match WritableMeasureKind::new(*kind) {
            Ok(kind) => Some(kind),
            Err(computed) => {
                walk.push(Problem::Computed(computed));
                None
            }
        },
        _ => {
            walk.push(Problem::SeveralKinds {
                path: "Observation.code.coding".into(),
                kinds: kinds
                    .iter()
                    .map(|k| format!("{} ({k})", k.loinc()))
                    .collect(),
            });
            None
        }
    }
}

fn effective(walk: &mut Walk<'_>, object: &Map<String, Value>, now: i64) -> Option<i64> {
    for other in ["effectivePeriod", "effectiveInstant", "effectiveTiming"] {
        if object.contains_key(other) {
            walk.push(Problem::NotSupported {
                path: format!("Observation.{other}"),
                hint: "give effectiveDateTime",
            });
        }
    }
    if !object.contains_key("effectiveDateTime") {
        walk.push(Problem::Missing {
            path: "Observation.effectiveDateTime".into(),
        });
        return None;
    }
    let range = walk.date(object, "Observation", "effectiveDateTime")?;
    let path = "Observation.effectiveDateTime".to_owned();
    if range.precision < Precision::Day {
        let text = object["effectiveDateTime"].as_str().unwrap_or_default();
        walk.push(Problem::Imprecise {
            path,
            text: text.to_owned(),
        });
        return None;
    }
    if range.start > now + CLOCK_SKEW_MS {
        walk.push(Problem::InTheFuture { path });
        return None;
    }
    if range.start < OLDEST {
        walk.push(Problem::TooOld { path });
        return None;
    }
    Some(range.start)
}

fn value(
    walk: &mut Walk<'_>,
    object: &Map<String, Value>,
    kind: Option<WritableMeasureKind>,
) -> Option<f64> {
    for (key, _) in object.iter().filter(|(k, _)| k.starts_with("value")) {
        if key != "valueQuantity" {
            walk.push(Problem::NotSupported {
                path: format!("Observation.{key}"),
                hint: "a measure is a valueQuantity",
            });
        }
    }
    let Some(quantity) = walk.object(object, "Observation", "valueQuantity") else {
        if !object.contains_key("valueQuantity") {
            walk.push(Problem::Missing {
                path: "Observation.valueQuantity".into(),
            });
        }
        return None;
    };
    const Q: &str = "Observation.valueQuantity";
    let value = match quantity.get("value") {
        None => {
            walk.push(Problem::Missing {
                path: format!("{Q}.value"),
            });
            None
        }
        Some(Value::Number(n)) => n.as_f64().filter(|v| v.is_finite()).or_else(|| {
            walk.push(Problem::WrongType {
                path: format!("{Q}.value"),
                expected: "a finite number",
            });
            None
        }),
        Some(_) => {
            walk.push(Problem::WrongType {
                path: format!("{Q}.value"),
                expected: "a number",
            });
            None
        }
    };
    if quantity.contains_key("comparator") {
        walk.push(Problem::NotSupported {
            path: format!("{Q}.comparator"),
            hint: "a measure is an exact value",
        });
    }
    let system = walk.required_string(quantity, Q, "system");
    let unit = walk.required_string(quantity, Q, "code");
    if let Some(system) = system
        && system != UCUM
    {
        walk.push(Problem::Unexpected {
            path: format!("{Q}.system"),
            expected: format!("{UCUM:?} (UCUM)"),
            found: system.to_owned(),
        });
    }
    let kind = kind?.kind();
    let coding = model::coding(kind);
    if let Some(unit) = unit
        && unit != coding.unit
    {
        walk.push(Problem::WrongUnit {
            path: format!("{Q}.code"),
            kind,
            expected: coding.unit,
            found: unit.to_owned(),
        });
    }
    let value = value?;
    if !(coding.min..=coding.max).contains(&value) {
        walk.push(Problem::OutOfRange {
            path: format!("{Q}.value"),
            kind,
            value,
            min: coding.min,
            max: coding.max,
            unit: coding.unit,
        });
        return None;
    }
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fhir::{IssueType, OperationOutcome};
    use serde_json::json;

    const NOW: i64 = 1_740_818_096_789; // 2025-03-01T08:34:56.789Z

    fn patient() -> PatientId {
        PatientId::new("p1")
    }

    fn measure(kind: MeasureKind, value: f64, origin: Origin, by: Option<&str>) -> Measure {
        Measure {
            id: "m1".into(),
            kind,
            value,
            effective_at: NOW,
            origin,
            written_by: by.map(str::to_owned),
        }
    }

    #[test]
    fn a_weight_follows_the_french_profile() {
        let json = serde_json::to_value(from_measure(
            &patient(),
            &measure(MeasureKind::Weight, 72.4, Origin::Patient, None),
            &MeasureDetails {
                recorded_at: Some(NOW + 1000),
                ..MeasureDetails::default()
            },
        ))
        .unwrap();
        assert_eq!(
            json,
            json!({
                "resourceType": "Observation",
                "id": "m1",
                "meta": {"profile": [
                    "https://interop.esante.gouv.fr/ig/fhir/mesures/StructureDefinition/mesures-fr-observation-body-weight"
                ]},
                "extension": [{
                    "url": "urn:officine:fhir:extension:provenance",
                    "extension": [{"url": "origin", "valueCode": "patient"}]
                }],
                "status": "final",
                "category": [{"coding": [{
                    "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                    "code": "vital-signs",
                    "display": "Vital Signs"
                }]}],
                "code": {
                    "coding": [{"system": "http://loinc.org", "code": "29463-7", "display": "Body weight"}],
                    "text": "Body weight"
                },
                "subject": {"reference": "Patient/p1"},
                "effectiveDateTime": "2025-03-01T08:34:56.789Z",
                "issued": "2025-03-01T08:34:57.789Z",
                "performer": [{"reference": "Patient/p1"}],
                "valueQuantity": {
                    "value": 72.4, "unit": "kg", "system": "http://unitsofmeasure.org", "code": "kg"
                }
            })
        );
    }

    #[test]
    fn every_kind_has_its_loinc_code_ucum_unit_and_profile() {
        for kind in MeasureKind::ALL {
            let coding = model::coding(kind);
            let o = from_measure(
                &patient(),
                &measure(kind, coding.min, Origin::Patient, None),
                &MeasureDetails::default(),
            );
            assert_eq!(o.code.coding[0].system, LOINC);
            assert_eq!(o.code.coding[0].code, kind.loinc());
            assert_eq!(o.value_quantity.system, UCUM);
            assert_eq!(o.value_quantity.code, coding.unit);
            assert_eq!(o.category[0].coding[0].code, "vital-signs");
            assert!(o.meta.profile[0].starts_with(MESURES_BASE), "{kind}");
            assert!(o.issued.is_none(), "issued only when known");
        }
        let mut profiles: Vec<String> = MeasureKind::ALL.map(profile).to_vec();
        profiles.sort();
        profiles.dedup();
        assert_eq!(profiles.len(), MeasureKind::ALL.len());
        assert_eq!(categories(MeasureKind::DailySteps)[1].0, "activity");
        assert_eq!(unit_text(MeasureKind::DailySteps), "steps/day");
    }

    #[test]
    fn a_service_write_names_the_service_as_device_and_the_component() {
        let digest = ComponentDigest::of(b"wasm");
        let o = from_measure(
            &patient(),
            &measure(
                MeasureKind::HeartRate,
                61.0,
                Origin::Service,
                Some("fr.example.cardio"),
            ),
            &MeasureDetails {
                component: Some(digest),
                ..MeasureDetails::default()
            },
        );
        assert!(o.performer.is_empty());
        let json = serde_json::to_value(&o).unwrap();
        assert_eq!(json["device"]["identifier"]["value"], "fr.example.cardio");
        let parts = &json["extension"][0]["extension"];
        assert_eq!(parts[0]["valueCode"], "service");
        assert_eq!(parts[1]["valueString"], "fr.example.cardio");
        assert_eq!(
            parts[2]["valueString"],
            format!("sha256:{}", digest.to_hex())
        );
    }

    #[test]
    fn a_professional_is_the_performer() {
        let o = from_measure(
            &patient(),
            &measure(MeasureKind::Height, 176.0, Origin::Professional, None),
            &MeasureDetails {
                professional: Some("Dr Claire Bernard".into()),
                ..MeasureDetails::default()
            },
        );
        assert_eq!(o.performer[0].type_.as_deref(), Some("Practitioner"));
        assert_eq!(o.performer[0].display.as_deref(), Some("Dr Claire Bernard"));
    }

    #[test]
    fn a_bmi_is_marked_as_derived() {
        let o = from_measure(
            &patient(),
            &measure(MeasureKind::Bmi, 23.4, Origin::Platform, None),
            &MeasureDetails {
                derived_from: vec!["w1".into()],
                ..MeasureDetails::default()
            },
        );
        assert_eq!(
            o.derived_from[0].reference.as_deref(),
            Some("Observation/w1")
        );
        assert!(o.note[0].text.contains("Computed by the platform"));
        assert!(o.performer.is_empty() && o.device.is_none());
        assert_eq!(o.value_quantity.code, "kg/m2");
        assert_eq!(o.code.coding[0].code, "39156-5");
    }

    fn body(value: serde_json::Value) -> Vec<u8> {
        serde_json::to_vec(&value).unwrap()
    }

    fn weight() -> serde_json::Value {
        json!({
            "resourceType": "Observation",
            "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "29463-7"}]},
            "subject": {"reference": "Patient/p1"},
            "effectiveDateTime": "2025-03-01T07:00:00+01:00",
            "valueQuantity": {"value": 71.2, "unit": "kg", "system": "http://unitsofmeasure.org", "code": "kg"}
        })
    }

    fn refused(value: serde_json::Value) -> Vec<Problem> {
        parse_create(&body(value), &patient(), NOW)
            .unwrap_err()
            .problems
    }

    #[test]
    fn a_weight_is_accepted() {
        let new = parse_create(&body(weight()), &patient(), NOW).unwrap();
        assert_eq!(new.kind.kind(), MeasureKind::Weight);
        assert_eq!(new.value, 71.2);
        assert_eq!(new.effective_at, 1_740_808_800_000);
        // A day is precise enough, the subject may be left out, and a
        // translation in another system beside the LOINC code is harmless.
        let mut w = weight();
        w["effectiveDateTime"] = json!("2025-02-28");
        w.as_object_mut().unwrap().remove("subject");
        w["code"]["coding"]
            .as_array_mut()
            .unwrap()
            .push(json!({"system": "http://snomed.info/sct", "code": "27113001"}));
        let new = parse_create(&body(w), &patient(), NOW).unwrap();
        assert_eq!(new.effective_at, 1_740_700_800_000);
    }

    #[test]
    fn a_bmi_is_refused_as_computed() {
        let mut w = weight();
        w["code"]["coding"][0]["code"] = json!("39156-5");
        w["valueQuantity"]["code"] = json!("kg/m2");
        let problems = refused(w);
        assert_eq!(
            problems,
            vec![Problem::Computed(officine_policy::ComputedMeasure(
                MeasureKind::Bmi
            ))]
        );
        let outcome = OperationOutcome::from(Invalid { problems });
        assert_eq!(outcome.issue[0].code, IssueType::BusinessRule);
    }

    #[test]
    fn codes_must_be_one_known_loinc_code() {
        let mut w = weight();
        w["code"]["coding"][0]["code"] = json!("1234-5");
        assert!(
            matches!(refused(w).as_slice(), [Problem::UnknownCode { code, .. }] if code == "1234-5")
        );

        let mut w = weight();
        w["code"]["coding"][0]["system"] = json!("http://snomed.info/sct");
        assert!(
            matches!(refused(w).as_slice(), [Problem::NotLoinc { system, .. }] if system == "http://snomed.info/sct")
        );

        let mut w = weight();
        w["code"]["coding"]
            .as_array_mut()
            .unwrap()
            .push(json!({"system": "http://loinc.org", "code": "8302-2"}));
        assert!(matches!(
            refused(w).as_slice(),
            [Problem::SeveralKinds { .. }]
        ));

        let mut w = weight();
        w["code"] = json!({"text": "poids"});
        assert_eq!(
            refused(w),
            vec![Problem::Missing {
                path: "Observation.code.coding".into()
            }]
        );
        let mut w = weight();
        w.as_object_mut().unwrap().remove("code");
        assert_eq!(
            refused(w),
            vec![Problem::Missing {
                path: "Observation.code".into()
            }]
        );
    }

    #[test]
    fn the_unit_must_be_the_kinds_ucum_unit() {
        let mut w = weight();
        w["valueQuantity"]["code"] = json!("[lb_av]");
        assert!(matches!(
            refused(w).as_slice(),
            [Problem::WrongUnit { expected: "kg", found, .. }] if found == "[lb_av]"
        ));
        let mut w = weight();
        w["valueQuantity"]["system"] = json!("http://example.org/units");
        assert!(
            matches!(refused(w).as_slice(), [Problem::Unexpected { path, .. }] if path == "Observation.valueQuantity.system")
        );
        let mut w = weight();
        w["valueQuantity"] = json!({"value": 70, "unit": "kg"});
        assert_eq!(
            refused(w),
            vec![
                Problem::Missing {
                    path: "Observation.valueQuantity.system".into()
                },
                Problem::Missing {
                    path: "Observation.valueQuantity.code".into()
                }
            ]
        );
    }

    #[test]
    fn values_must_be_plausible_numbers() {
        for (value, expected) in [
            (json!(0.1), "outside"),
            (json!(501), "outside"),
            (json!(-3), "outside"),
            (json!("70"), "must be a number"),
            (json!(null), "must be a number"),
        ] {
            let mut w = weight();
            w["valueQuantity"]["value"] = value.clone();
            let problems = refused(w);
            assert_eq!(problems.len(), 1, "{value}: {problems:?}");
            assert!(
                problems[0].to_string().contains(expected),
                "{value}: {}",
                problems[0]
            );
        }
        let mut w = weight();
        w["valueQuantity"].as_object_mut().unwrap().remove("value");
        assert!(matches!(refused(w).as_slice(), [Problem::Missing { .. }]));
        // Out of range for a heart rate, though fine for a weight.
        let mut w = weight();
        w["code"]["coding"][0]["code"] = json!("8867-4");
        w["valueQuantity"]["code"] = json!("/min");
        w["valueQuantity"]["value"] = json!(400);
        assert!(matches!(
            refused(w).as_slice(),
            [Problem::OutOfRange {
                kind: MeasureKind::HeartRate,
                ..
            }]
        ));
        // Too large for JSON numbers to hold: not JSON at all.
        let text = String::from_utf8(body(weight()))
            .unwrap()
            .replace("71.2", "1e999");
        assert!(matches!(
            parse_create(text.as_bytes(), &patient(), NOW)
                .unwrap_err()
                .problems
                .as_slice(),
            [Problem::NotJson(_)]
        ));
        let mut w = weight();
        w["valueString"] = json!("71 kg");
        assert!(
            matches!(refused(w).as_slice(), [Problem::NotSupported { path, .. }] if path == "Observation.valueString")
        );
        let mut w = weight();
        w["valueQuantity"]["comparator"] = json!("<");
        assert!(matches!(
            refused(w).as_slice(),
            [Problem::NotSupported { .. }]
        ));
    }

    #[test]
    fn the_date_is_required_precise_and_not_in_the_future() {
        let mut w = weight();
        w.as_object_mut().unwrap().remove("effectiveDateTime");
        assert_eq!(
            refused(w),
            vec![Problem::Missing {
                path: "Observation.effectiveDateTime".into()
            }]
        );
        for (text, variant) in [
            ("2025-03", "Imprecise"),
            ("2025-03-02T08:00:00Z", "InTheFuture"),
            ("1850-01-01", "TooOld"),
            ("yesterday", "BadDate"),
            ("2025-03-01T08:00:00", "BadDate"),
        ] {
            let mut w = weight();
            w["effectiveDateTime"] = json!(text);
            let problems = refused(w);
            assert_eq!(problems.len(), 1, "{text}");
            assert!(
                format!("{:?}", problems[0]).starts_with(variant),
                "{text}: {problems:?}"
            );
        }
        // Within the clock skew is fine.
        let mut w = weight();
        w["effectiveDateTime"] = json!("2025-03-01T08:38:00Z");
        assert!(parse_create(&body(w), &patient(), NOW).is_ok());
        let mut w = weight();
        w["effectivePeriod"] = json!({"start": "2025-03-01"});
        assert!(matches!(
            refused(w).as_slice(),
            [Problem::NotSupported { .. }]
        ));
    }

    #[test]
    fn the_subject_is_the_patient_in_context() {
        let mut w = weight();
        w["subject"] = json!({"reference": "Patient/someone-else"});
        let problems = refused(w);
        assert!(matches!(
            problems.as_slice(),
            [Problem::OtherPatient { .. }]
        ));
        assert_eq!(
            OperationOutcome::from(Invalid { problems }).issue[0].code,
            IssueType::Forbidden
        );
    }

    #[test]
    fn every_problem_is_named_at_once() {
        let problems = refused(json!({
            "resourceType": "Observation",
            "status": "preliminary",
            "code": {"coding": [{"system": "http://loinc.org", "code": "29463-7"}]},
            "subject": {"reference": "Patient/other"},
            "valueQuantity": {"value": 9000, "system": "http://unitsofmeasure.org", "code": "g"}
        }));
        let paths: Vec<String> = problems
            .iter()
            .map(|p| crate::fhir::outcome::ToIssue::expression(p).unwrap())
            .collect();
        assert_eq!(
            paths,
            [
                "Observation.status",
                "Observation.subject.reference",
                "Observation.effectiveDateTime",
                "Observation.valueQuantity.code",
                "Observation.valueQuantity.value",
            ],
            "{problems:?}"
        );
        assert!(matches!(
            refused(json!({"resourceType": "Observation"})).as_slice(),
            [
                Problem::Missing { .. },
                Problem::Missing { .. },
                Problem::Missing { .. },
                Problem::Missing { .. }
            ]
        ));
    }
}
