//! Demo data: one patient with a few months of history, for `officine dev`
//! and `officine run`. Never loaded into a production database.

use super::Result;
use crate::db::{Db, agenda, documents, measures, messages};
use crate::model::{DocumentCategory, MeasureKind, PatientId, Writer};

/// The demo patient's internal id.
pub const DEMO_PATIENT: &str = "demo";

const DAY: i64 = 24 * 60 * 60 * 1000;

/// What [`seed_demo`] wrote, for callers that print or test it.
#[derive(Debug, Clone, PartialEq)]
pub struct Seeded {
    pub patient: PatientId,
    pub weights: usize,
    pub height_cm: f64,
    pub latest_weight_kg: f64,
}

/// Seeds the demo patient relative to `now` (ms): 120 days of weights slowly
/// going down, a height, heart rates and steps, four agenda events, two
/// documents and a message from their GP. Does nothing if the patient exists.
pub async fn seed_demo(db: &Db, now: i64) -> Result<Seeded> {
    let patient = PatientId::new(DEMO_PATIENT);
    let height_cm = 176.0;
    let (weights, latest_weight_kg) = demo_weights(now);
    let seeded = Seeded {
        patient: patient.clone(),
        weights: weights.len(),
        height_cm,
        latest_weight_kg,
    };
    if db.patient_exists(&patient).await? {
        return Ok(seeded);
    }
    db.ensure_patient(&patient, "Camille Martin (démo)").await?;

    let professional = Writer::Professional {
        name: "Dr Claire Bernard".to_owned(),
        rpps: "10001234567".to_owned(),
    };
    measures::add(
        db,
        &patient,
        &professional,
        MeasureKind::Height,
        height_cm,
        now - 200 * DAY,
    )
    .await?;
    for (at, kg) in &weights {
        measures::add(
            db,
            &patient,
            &Writer::Patient,
            MeasureKind::Weight,
            *kg,
            *at,
        )
        .await?;
    }
    for day in (0..30).step_by(5) {
        let at = now - day * DAY;
        let bpm = 62.0 + (day % 7) as f64;
        measures::add(
            db,
            &patient,
            &Writer::Patient,
            MeasureKind::HeartRate,
            bpm,
            at,
        )
        .await?;
        let steps = 6500.0 + ((day * 37) % 3000) as f64;
        measures::add(
            db,
            &patient,
            &Writer::Patient,
            MeasureKind::DailySteps,
            steps,
            at,
        )
        .await?;
    }

    let events = [
        (
            agenda::EventKind::Appointment,
            "Consultation de suivi",
            -40,
            Some("Cabinet du Dr Bernard"),
        ),
        (
            agenda::EventKind::Appointment,
            "Bilan sanguin",
            -12,
            Some("Laboratoire Pasteur"),
        ),
        (
            agenda::EventKind::Reminder,
            "Renouveler l'ordonnance",
            5,
            None,
        ),
        (
            agenda::EventKind::Appointment,
            "Consultation de suivi",
            21,
            Some("Cabinet du Dr Bernard"),
        ),
    ];
    for (kind, title, days, place) in events {
        let starts_at = now + days * DAY;
        let draft = agenda::EventDraft {
            kind,
            title: title.to_owned(),
            starts_at,
            ends_at: Some(starts_at + 30 * 60 * 1000),
            place: place.map(str::to_owned),
        };
        agenda::add(db, &patient, &professional, draft).await?;
    }

    let docs = [
        (
            DocumentCategory::LabResults,
            "Compte rendu d'examens de biologie",
            "Bilan lipidique",
            -10,
            "Cholestérol total : 1,95 g/L\nHDL : 0,55 g/L\nLDL : 1,20 g/L\nTriglycérides : 1,00 g/L\n",
        ),
        (
            DocumentCategory::Reports,
            "Compte rendu de consultation",
            "Consultation de suivi nutritionnel",
            -40,
            "Perte de poids progressive et bien tolérée. Poursuite des conseils hygiéno-diététiques.\n",
        ),
    ];
    for (category, doc_type, title, days, text) in docs {
        let draft = documents::DocumentDraft {
            category,
            doc_type: doc_type.to_owned(),
            title: title.to_owned(),
            author: "Dr Claire Bernard".to_owned(),
            date: now + days * DAY,
            format: "text/plain".to_owned(),
            content: text.as_bytes().to_vec(),
            masked: false,
        };
        documents::add(db, &patient, &professional, draft).await?;
    }

    messages::add(
        db,
        &patient,
        &professional,
        "Dr Claire Bernard",
        None,
        "Résultats de votre bilan",
        "Bonjour, vos résultats sont dans votre dossier. Ils sont satisfaisants. Bonne journée.",
    )
    .await?;
    Ok(seeded)
}

/// Every third day for 120 days, from about 84 kg down to about 79 kg, with
/// a small deterministic wobble. Returns the series and the latest value.
fn demo_weights(now: i64) -> (Vec<(i64, f64)>, f64) {
    let series: Vec<(i64, f64)> = (0..=40)
        .map(|i| {
            let days_ago = 120 - 3 * i;
            let trend = 84.0 - 5.0 * f64::from(i as i32) / 40.0;
            let wobble = 0.4 * (f64::from(i as i32) * 1.7).sin();
            let kg = ((trend + wobble) * 10.0).round() / 10.0;
            (now - days_ago * DAY, kg)
        })
        .collect();
    let latest = series.last().map_or(0.0, |(_, kg)| *kg);
    (series, latest)
}
