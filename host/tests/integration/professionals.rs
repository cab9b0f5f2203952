//! Professionals and the patient's control of them, through the pages: a
//! patient hands a delegation code, a professional enters it and reads
//! exactly the sections it opens, every read on the patient's record; and
//! each refusal — a wrong code, guessing, a section not delegated, a
//! revoked code, a blocked professional, a closed space — changes nothing.

use crate::pages_client::{Browser, hidden};
use crate::server::{Server, header};

const DOCTOR: &str = "professional:10000000001:10";
const DOCTOR_RPPS: &str = "10000000001";
const PHYSIO: &str = "professional:10000000005:70";

/// The code the delegations page shows once, after making one.
fn shown_code(page: &str) -> String {
    let start = page
        .find("<p class=\"code\"><strong>")
        .expect("a code shown")
        + 24;
    page[start..][..14].to_owned()
}

/// Makes a delegation of `sections` from the patient's page; returns the
/// code.
async fn delegate(patient: &mut Browser<'_>, sections: &[&str], rpps: &str) -> String {
    let (_, _, page) = patient.get("/mes-delegations").await;
    let csrf = hidden(&page, "csrf");
    let mut form = vec![
        ("csrf", csrf.as_str()),
        ("lang", "fr"),
        ("hours", "72"),
        ("rpps", rpps),
    ];
    form.extend(sections.iter().map(|s| ("section", *s)));
    let (status, headers, page) = patient.post("/mes-delegations", &form).await;
    assert_eq!(status, 201, "{page}");
    assert_eq!(header(&headers, "cache-control"), Some("no-store"));
    shown_code(&page)
}

/// Blocks `rpps` from the patient's page, or lifts the block.
async fn set_blocked(patient: &mut Browser<'_>, rpps: &str, blocked: bool) {
    let (_, _, page) = patient.get("/mes-delegations").await;
    let csrf = hidden(&page, "csrf");
    let (path, rpps_field) = if blocked {
        ("/mes-delegations/blocages".to_owned(), Some(rpps))
    } else {
        (format!("/mes-delegations/blocages/{rpps}/lever"), None)
    };
    let mut form = vec![("csrf", csrf.as_str()), ("lang", "fr")];
    form.extend(rpps_field.map(|rpps| ("rpps", rpps)));
    let (status, _, page) = patient.post(&path, &form).await;
    assert_eq!(status, 303, "{page}");
}

/// Enters `code` as `professional`; returns the answer.
async fn enter(professional: &mut Browser<'_>, code: &str) -> (u16, String, String) {
    let (_, _, page) = professional.get("/pro").await;
    let csrf = hidden(&page, "csrf");
    let (status, headers, page) = professional
        .post(
            "/pro/code",
            &[("csrf", &csrf), ("lang", "fr"), ("code", code)],
        )
        .await;
    let location = header(&headers, "location").unwrap_or_default().to_owned();
    (status, location, page)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_delegation_code_opens_exactly_its_sections_to_one_professional_until_revoked() {
    let server = Server::start().await;
    let mut patient = Browser::new(&server);
    patient.sign_in("patient:demo").await;
    let mut doctor = Browser::new(&server);
    doctor.sign_in(DOCTOR).await;

    // Bad requests make nothing.
    let (_, _, page) = patient.get("/mes-delegations").await;
    let csrf = hidden(&page, "csrf");
    for (form, says) in [
        (vec![("hours", "72")], "Cochez au moins une rubrique."),
        (
            vec![("hours", "72"), ("section", "everything")],
            "Une rubrique envoyée n'existe pas",
        ),
        (
            vec![("hours", "72"), ("section", "measures"), ("rpps", "123")],
            "11 chiffres",
        ),
        (
            vec![("hours", "100000"), ("section", "measures")],
            "Choisissez une durée",
        ),
    ] {
        let mut full = vec![("csrf", csrf.as_str()), ("lang", "fr")];
        full.extend(form.iter().copied());
        let (status, _, page) = patient.post("/mes-delegations", &full).await;
        assert_eq!(status, 400, "{form:?}: {page}");
        assert!(page.contains(says), "{says}: {page}");
    }
    let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM delegations")
        .fetch_one(server.db.pool())
        .await
        .unwrap();
    assert_eq!(count, 0);

    // Measures, documents and messages, for whoever enters the code first.
    let code = delegate(&mut patient, &["measures", "documents", "messages"], "").await;
    let (status, location, page) = enter(&mut doctor, &code.to_lowercase()).await;
    assert_eq!(status, 303, "{page}");
    assert!(location.starts_with("/pro/acces/"), "{location}");
    let delegation = location.split('/').nth(3).unwrap().to_owned();
    let (status, _, page) = doctor.get(&location).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Espace de santé du patient demo"), "{page}");
    assert!(
        page.contains("éléments") || page.contains("1 élément"),
        "{page}"
    );
    let documents = format!("/pro/acces/{delegation}/documents");
    let (status, _, page) = doctor.get(&documents).await;
    assert_eq!(status, 200, "{page}");
    // Not the agenda, which the code does not open.
    let agenda = format!("/pro/acces/{delegation}/agenda");
    let (status, _, page) = doctor.get(&agenda).await;
    assert_eq!(status, 403, "{page}");
    assert!(page.contains("n'ouvre pas la rubrique agenda"), "{page}");
    // Nor for another professional, now that it is the doctor's.
    let mut physio = Browser::new(&server);
    physio.sign_in(PHYSIO).await;
    let (status, _, page) = enter(&mut physio, &code).await;
    assert_eq!(status, 403, "{page}");
    assert!(page.contains("remise à un autre professionnel"), "{page}");
    let (status, _, _) = physio.get(&documents).await;
    assert_eq!(
        status, 404,
        "another professional's delegation does not exist for them"
    );

    // The doctor adds a document in a category their profession reads, and
    // opens a conversation; the patient sees both and answers.
    let (_, _, page) = doctor.get(&documents).await;
    let csrf = hidden(&page, "csrf");
    for (form, says) in [
        (
            vec![
                ("title", "Note"),
                ("category", "nonsense"),
                ("content", "x"),
            ],
            "Choisissez une catégorie",
        ),
        (
            vec![("title", " "), ("category", "summary"), ("content", "x")],
            "Un document a un titre",
        ),
    ] {
        let mut full = vec![("csrf", csrf.as_str()), ("lang", "fr")];
        full.extend(form.iter().copied());
        let (status, _, page) = doctor.post(&documents, &full).await;
        assert_eq!(status, 400, "{form:?}: {page}");
        assert!(page.contains(says), "{says}: {page}");
    }
    let (status, _, page) = doctor
        .post(
            &documents,
            &[
                ("csrf", &csrf),
                ("lang", "fr"),
                ("title", "Note de suivi du 25 novembre"),
                ("category", "summary"),
                ("content", "Tension stable. À revoir dans trois mois."),
            ],
        )
        .await;
    assert_eq!(status, 303, "{page}");
    let (_, _, page) = patient.get("/mes-donnees/documents").await;
    assert!(page.contains("Note de suivi du 25 novembre"), "{page}");
    let messages = format!("/pro/acces/{delegation}/messages");
    let (status, _, page) = doctor
        .post(
            &messages,
            &[
                ("csrf", &csrf),
                ("lang", "fr"),
                ("subject", "Votre prochain rendez-vous"),
                ("body", "Pouvez-vous me rappeler cette semaine ?"),
            ],
        )
        .await;
    assert_eq!(status, 303, "{page}");
    let (_, _, page) = patient.get("/mes-donnees/messages").await;
    let thread = page
        .split("/mes-donnees/messages/")
        .skip(1)
        .map(|rest| rest.split('/').next().unwrap().to_owned())
        .find(|_| true)
        .expect("a conversation to answer");
    let patient_csrf = hidden(&page, "csrf");
    let reply = format!("/mes-donnees/messages/{thread}/repondre");
    let (status, _, _) = patient
        .post(
            &reply,
            &[
                ("csrf", &patient_csrf),
                ("lang", "fr"),
                ("body", "Oui, jeudi."),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let (_, _, page) = patient.get("/mes-donnees/messages").await;
    assert!(page.contains("Re: Votre prochain rendez-vous"), "{page}");
    // A patient never opens a conversation: only answers one a
    // professional opened.
    let (status, _, _) = patient
        .post(
            "/mes-donnees/messages/not-a-thread/repondre",
            &[("csrf", &patient_csrf), ("lang", "fr"), ("body", "Bonjour")],
        )
        .await;
    assert_eq!(status, 404);

    // The patient sees each read, by the doctor's RPPS number.
    let (_, _, history) = patient.get("/mes-acces").await;
    assert!(
        history.contains(&format!("Professionnel·le de santé (RPPS {DOCTOR_RPPS})")),
        "{history}"
    );
    assert!(history.contains("Consultation — vos mesures"), "{history}");
    assert!(
        history.contains("Refusé : la délégation n'ouvre pas cette rubrique"),
        "{history}"
    );

    // A patient's block wins over the delegation; lifting it restores it.
    let (_, _, page) = patient.get("/mes-delegations").await;
    let csrf = hidden(&page, "csrf");
    set_blocked(&mut patient, DOCTOR_RPPS, true).await;
    let (status, _, page) = doctor.get(&location).await;
    assert_eq!(status, 403, "{page}");
    assert!(page.contains("le patient vous a bloqué"), "{page}");
    set_blocked(&mut patient, DOCTOR_RPPS, false).await;
    let (status, _, _) = doctor.get(&location).await;
    assert_eq!(status, 200);

    // Revoked: nothing any more.
    let (status, _, _) = patient
        .post(
            &format!("/mes-delegations/{delegation}/retirer"),
            &[("csrf", &csrf), ("lang", "fr")],
        )
        .await;
    assert_eq!(status, 303);
    let (status, _, page) = doctor.get(&location).await;
    assert_eq!(status, 403, "{page}");
    assert!(page.contains("a retiré cette délégation"), "{page}");
    let (_, _, page) = doctor.get("/pro").await;
    assert!(!page.contains(&delegation), "no longer held: {page}");

    // A profession writes only the document categories it reads: a
    // physiotherapist with the documents section adds no medical summary.
    let physio_code = delegate(&mut patient, &["documents"], "10000000005").await;
    let (status, location, _) = enter(&mut physio, &physio_code).await;
    assert_eq!(status, 303);
    let (_, _, page) = physio.get(&location).await;
    assert!(
        !page.contains("<option value=\"summary\">"),
        "the form offers only what the profession reads: {page}"
    );
    let csrf = hidden(&page, "csrf");
    let (status, _, page) = physio
        .post(
            &location,
            &[
                ("csrf", &csrf),
                ("lang", "fr"),
                ("title", "Synthèse"),
                ("category", "summary"),
                ("content", "Rien."),
            ],
        )
        .await;
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("Choisissez une catégorie"), "{page}");
    let (status, _, _) = physio
        .post(
            &location,
            &[
                ("csrf", &csrf),
                ("lang", "fr"),
                ("title", "Bilan de kinésithérapie"),
                ("category", "reports"),
                ("content", "Mobilité en progrès."),
            ],
        )
        .await;
    assert_eq!(status, 303);

    // Pages of one population are not another's.
    let (status, _, _) = patient.get("/pro").await;
    assert_eq!(status, 403);
    let (status, _, _) = doctor.get("/mes-delegations").await;
    assert_eq!(status, 403);
}

#[tokio::test(flavor = "multi_thread")]
async fn guessing_codes_is_refused_and_a_closed_space_opens_nothing() {
    let server = Server::start().await;
    let mut patient = Browser::new(&server);
    patient.sign_in("patient:demo").await;
    let code = delegate(&mut patient, &["measures"], DOCTOR_RPPS).await;
    let mut doctor = Browser::new(&server);
    doctor.sign_in(DOCTOR).await;

    for _ in 0..officine_host::professionals::FAILURES_ALLOWED {
        let (status, _, page) = enter(&mut doctor, "AAAA-AAAA-AAAA").await;
        assert_eq!(status, 400, "{page}");
        assert!(page.contains("ne correspond à aucune délégation"), "{page}");
    }
    let (status, _, page) = enter(&mut doctor, &code).await;
    assert_eq!(status, 429, "even the right code, once guessing: {page}");

    // Another professional bound by the code is refused too: it is the
    // doctor's.
    let mut physio = Browser::new(&server);
    physio.sign_in(PHYSIO).await;
    let (status, _, _) = enter(&mut physio, &code).await;
    assert_eq!(status, 403);

    // The patient takes everything away, from the page as from the API.
    let (status, headers, body) = patient.get("/mes-donnees/export").await;
    assert_eq!(status, 200);
    assert_eq!(
        header(&headers, "content-type"),
        Some("application/fhir+json")
    );
    assert!(
        header(&headers, "content-disposition").is_some_and(|d| d.starts_with("attachment")),
        "{headers:?}"
    );
    let bundle: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(bundle["type"], "collection");
    let entries = bundle["entry"].as_array().unwrap();
    assert!(
        entries
            .iter()
            .any(|e| e["resource"]["resourceType"] == "AuditEvent"),
        "the access history is in it"
    );
    let token = server.token("patient:demo");
    let (status, _, api) = server
        .send("GET", "/api/patient/export", Some(&token), "")
        .await;
    assert_eq!(status, 200, "{api}");
    let other = server.token("patient:someone-else");
    let (status, _, theirs) = server
        .send("GET", "/api/patient/export", Some(&other), "")
        .await;
    assert_eq!(status, 200);
    assert!(
        !theirs.contains("\"Patient/demo\""),
        "another patient's export holds nothing of this one's: {theirs}"
    );

    // Closing the space, from its page, once confirmed, ends every
    // delegation and grant.
    let (status, _, page) = patient.get("/mon-espace/fermer").await;
    assert_eq!(status, 200, "{page}");
    let csrf = hidden(&page, "csrf");
    let (status, _, page) = patient
        .post("/mon-espace/fermer", &[("csrf", &csrf), ("lang", "fr")])
        .await;
    assert_eq!(status, 400, "{page}");
    assert!(
        page.contains("Cochez la case pour confirmer la fermeture"),
        "{page}"
    );
    let demo = officine_host::model::PatientId::new("demo");
    assert!(
        !officine_host::professionals::is_closed(&server.db, &demo)
            .await
            .unwrap()
    );
    let (status, _, _) = patient
        .post(
            "/mon-espace/fermer",
            &[("csrf", &csrf), ("lang", "fr"), ("confirm", "yes")],
        )
        .await;
    assert_eq!(status, 303);
    assert!(
        officine_host::professionals::is_closed(&server.db, &demo)
            .await
            .unwrap()
    );
    let (_, _, page) = patient.get("/mon-espace/fermer").await;
    assert!(page.contains("Votre espace est fermé"), "{page}");
    let (_, _, page) = patient.get("/mes-services").await;
    assert!(
        page.contains("Vous n'avez connecté aucun service."),
        "{page}"
    );
    let (status, _, page) = patient
        .post(
            "/catalogue/fr.officine.weight-tracker/consentement",
            &[
                ("csrf", &hidden(&page, "csrf")),
                ("lang", "fr"),
                ("scope", "measures.read:weight"),
                ("until", "2099-01-01"),
            ],
        )
        .await;
    assert!(
        status == 400 || status == 403,
        "no new grant: {status} {page}"
    );
    let site = format!("weight-tracker.svc.localhost:{}", server.addr.port());
    let (status, _, _) = patient.send("GET", &site, "/", &[], "").await;
    assert_eq!(status, 403, "services reach nothing");
    let (_, _, page) = patient.get("/mes-delegations").await;
    let csrf = hidden(&page, "csrf");
    let (status, _, page) = patient
        .post(
            "/mes-delegations",
            &[
                ("csrf", &csrf),
                ("lang", "fr"),
                ("hours", "72"),
                ("section", "measures"),
            ],
        )
        .await;
    assert_eq!(status, 400, "no new delegation: {page}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_professional_opens_a_service_in_the_patients_context_within_their_rules() {
    let server = Server::start().await;
    let doctor = server.token(DOCTOR);
    let launch = |patient: &str, service: &str| {
        serde_json::json!({ "patient": patient, "service": service }).to_string()
    };
    let tracker = "fr.officine.weight-tracker";

    // Not for patients; an unknown service; a patient unknown or without
    // a grant, refused alike.
    let patient_token = server.token("patient:demo");
    let (status, _, _) = server
        .send(
            "POST",
            "/api/professional/launch",
            Some(&patient_token),
            &launch("demo", tracker),
        )
        .await;
    assert_eq!(status, 403);
    let (status, _, _) = server
        .send(
            "POST",
            "/api/professional/launch",
            Some(&doctor),
            &launch("demo", "fr.nope.nothing"),
        )
        .await;
    assert_eq!(status, 404);
    let (status, _, unknown) = server
        .send(
            "POST",
            "/api/professional/launch",
            Some(&doctor),
            &launch("nobody", tracker),
        )
        .await;
    assert_eq!(status, 403);
    assert!(
        unknown.contains("no grant of this patient allows it"),
        "{unknown}"
    );

    // In the patient's context: the service's own site, a session there,
    // the page.
    let (status, _, answer) = server
        .send(
            "POST",
            "/api/professional/launch",
            Some(&doctor),
            &launch("demo", tracker),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    let answer: serde_json::Value = serde_json::from_str(&answer).unwrap();
    let url = answer["launch-url"].as_str().unwrap();
    let site = format!("weight-tracker.svc.localhost:{}", server.addr.port());
    let handshake = url.strip_prefix(&format!("http://{site}")).unwrap();
    let mut browser = Browser::new(&server);
    let (status, _, _) = browser.send("GET", &site, handshake, &[], "").await;
    assert_eq!(status, 303);
    let (status, _, page) = browser.send("GET", &site, "/", &[], "").await;
    assert_eq!(status, 200, "{page}");

    // The patient sees the launch, by the doctor's RPPS number.
    let mut patient = Browser::new(&server);
    patient.sign_in("patient:demo").await;
    let (_, _, history) = patient.get("/mes-acces").await;
    assert!(
        history.contains("Ouverture — un service, dans votre contexte"),
        "{history}"
    );

    // Their block stops the open session at once, and any new launch.
    let (_, _, page) = patient.get("/mes-delegations").await;
    let csrf = hidden(&page, "csrf");
    set_blocked(&mut patient, DOCTOR_RPPS, true).await;
    let (status, _, page) = browser.send("GET", &site, "/", &[], "").await;
    assert_eq!(status, 403, "{page}");
    let (status, _, refused) = server
        .send(
            "POST",
            "/api/professional/launch",
            Some(&doctor),
            &launch("demo", tracker),
        )
        .await;
    assert_eq!(status, 403);
    assert!(refused.contains("blocked"), "{refused}");

    // Without a grant, no launch.
    set_blocked(&mut patient, DOCTOR_RPPS, false).await;
    let (status, _, _) = patient
        .post(
            &format!("/mes-services/{tracker}/retirer"),
            &[("csrf", &csrf), ("lang", "fr")],
        )
        .await;
    assert_eq!(status, 303);
    let (status, _, _) = server
        .send(
            "POST",
            "/api/professional/launch",
            Some(&doctor),
            &launch("demo", tracker),
        )
        .await;
    assert_eq!(status, 403);
}
