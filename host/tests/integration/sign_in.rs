//! Signing in to the pages over HTTP, as a browser does it: OpenID
//! Connect's code flow with PKCE against the development issuer, the
//! session cookie, forms that only the platform's own pages can send, and a
//! patient granting, narrowing and revoking from the pages.

use officine_host::db::grants;
use officine_host::model::{PatientId, ServiceId};

use crate::pages_client::{Browser, encode, hidden, set_cookie};
use crate::server::{Server, header};

const TRACKER: &str = "fr.officine.weight-tracker";

async fn tracker_grant(server: &Server) -> Option<grants::StoredGrant> {
    grants::current(
        &server.db,
        &PatientId::new("demo"),
        &ServiceId::new(TRACKER).unwrap(),
    )
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn signing_in_runs_the_code_flow_and_opens_a_session_for_this_browser_only() {
    let server = Server::start().await;
    let mut browser = Browser::new(&server);

    // Without a session, a patient's page sends to the sign-in page.
    let (status, headers, _) = browser.get("/mes-services").await;
    assert_eq!(status, 303);
    assert_eq!(
        header(&headers, "location"),
        Some("/connexion?lang=fr&retour=%2Fmes-services")
    );

    let (status, headers, page) = browser.get("/connexion").await;
    assert_eq!(status, 200, "{page}");
    let bound = set_cookie(&headers, "officine-sign-in").unwrap();
    assert!(
        bound.contains("HttpOnly") && bound.contains("SameSite=Lax"),
        "{bound}"
    );
    assert!(page.contains("Camille Martin"), "{page}");
    let csrf = hidden(&page, "csrf");

    // A form without this page's token, or from another site, does nothing.
    let forged = [
        ("csrf", "forged"),
        ("lang", "fr"),
        ("retour", ""),
        ("who", "patient:demo"),
    ];
    let (status, _, page) = browser.post("/connexion", &forged).await;
    assert_eq!(status, 403, "{page}");
    assert!(page.contains("Ce formulaire a expiré"), "{page}");
    let form = [
        ("csrf", csrf.as_str()),
        ("lang", "fr"),
        ("retour", ""),
        ("who", "patient:demo"),
    ];
    let host = browser.platform();
    let body = encode(&form);
    let (status, _, _) = browser
        .send(
            "POST",
            &host,
            "/connexion",
            &[("Origin", "http://weight-tracker.svc.localhost")],
            &body,
        )
        .await;
    assert_eq!(status, 403);
    // An identity the page does not offer starts nothing.
    let (status, _, _) = browser
        .post(
            "/connexion",
            &[
                ("csrf", &csrf),
                ("lang", "fr"),
                ("who", "patient:someone-else"),
            ],
        )
        .await;
    assert_eq!(status, 400);

    // The flow: to the issuer with PKCE, back with a code.
    let to_issuer = browser.post("/connexion", &form).await;
    assert_eq!(to_issuer.0, 303);
    let location = header(&to_issuer.1, "location").unwrap();
    for part in [
        "/dev-issuer/authorize?response_type=code",
        "client_id=officine-web-patient",
        "code_challenge_method=S256",
        "nonce=",
        "state=",
        "login_hint=patient%3Ademo",
    ] {
        assert!(location.contains(part), "{part} in {location}");
    }
    let back = browser.follow(&to_issuer).await;
    let callback = header(&back.1, "location").unwrap().to_owned();
    assert!(callback.contains("/connexion/retour?code="), "{callback}");

    // Another browser cannot finish this sign-in, and the try spends it.
    let mut other = Browser::new(&server);
    other.get("/connexion").await;
    let path = callback.split_once(&host).unwrap().1;
    let (status, headers, page) = other.get(path).await;
    assert_eq!(status, 400, "{page}");
    assert!(set_cookie(&headers, "officine-session").is_none());
    let (status, headers, _) = browser.get(path).await;
    assert_eq!(status, 400, "a sign-in ends once");
    assert!(set_cookie(&headers, "officine-session").is_none());

    // A whole sign-in: the session cookie, confined.
    let (status, headers, page) = browser.sign_in("patient:demo").await;
    assert_eq!(status, 200, "{page}");
    let session = set_cookie(&headers, "officine-session").unwrap();
    for attribute in ["Path=/", "HttpOnly", "SameSite=Strict"] {
        assert!(session.contains(attribute), "{attribute} in {session}");
    }
    assert!(
        !session.contains("Secure"),
        "plain HTTP on loopback in officine dev"
    );
    assert!(page.contains("url=/mes-services?lang=fr"), "{page}");
    let stored: Vec<String> = sqlx::query_scalar("SELECT token_hash FROM web_sessions")
        .fetch_all(server.db.pool())
        .await
        .unwrap();
    let token = session
        .split(';')
        .next()
        .unwrap()
        .split_once('=')
        .unwrap()
        .1;
    assert!(!stored.iter().any(|h| h == token), "only a hash is stored");

    let (status, _, page) = browser.get("/mes-services").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Suivi du poids"), "{page}");
    // The patient's own data, each read on their record as their own.
    for (path, says) in [
        ("/mes-donnees/mesures", "Consultation — vos mesures"),
        ("/mes-donnees/agenda", "Consultation — votre agenda"),
        (
            "/mes-donnees/documents",
            "Consultation — votre dossier médical",
        ),
        ("/mes-donnees/messages", "Consultation — vos messages"),
    ] {
        let (status, _, page) = browser.get(path).await;
        assert_eq!(status, 200, "{path}: {page}");
        assert!(
            page.contains("<p role=\"status\">1 élément.</p>")
                || page.contains("éléments, les plus récents d'abord."),
            "the demo patient's data: {path}: {page}"
        );
        let (_, _, history) = browser.get("/mes-acces").await;
        let first = history
            .split("<tbody>")
            .nth(1)
            .unwrap()
            .split("</tr>")
            .next()
            .unwrap();
        assert!(
            first.contains(says) && first.contains("<td>Vous</td>"),
            "{path}: {first}"
        );
    }
    // A document's content: a file to save, never a page of the platform.
    let (_, _, page) = browser.get("/mes-donnees/documents").await;
    let link = page
        .split("href=\"/mes-donnees/documents/")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("each document opens")
        .to_owned();
    let (status, headers, _) = browser.get(&format!("/mes-donnees/documents/{link}")).await;
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "content-disposition"), Some("attachment"));
    assert_eq!(header(&headers, "x-content-type-options"), Some("nosniff"));
    assert!(
        header(&headers, "content-security-policy").is_some_and(|p| p.starts_with("sandbox")),
        "{headers:?}"
    );
    let (status, _, _) = browser.get("/mes-donnees/documents/not-a-document").await;
    assert_eq!(status, 404);
    let (status, headers, _) = Browser::new(&server).get("/mes-donnees/mesures").await;
    assert_eq!(status, 303, "signed out: to the sign-in page");
    assert!(
        header(&headers, "location")
            .unwrap()
            .starts_with("/connexion")
    );

    // Not a regulator's page, nor a patient's for a regulator.
    let mut regulator = Browser::new(&server);
    regulator.sign_in("regulator:demo").await;
    for path in ["/mes-services", "/mes-acces", "/mes-donnees/mesures"] {
        let (status, _, page) = regulator.get(path).await;
        assert_eq!(status, 403, "{path}: {page}");
    }

    // Signing out ends the session, here and for any copy of its cookie.
    let (_, _, page) = browser.get("/catalogue").await;
    let csrf = hidden(&page, "csrf");
    let copy = browser.cookies.clone();
    let signed_out = browser
        .post("/deconnexion", &[("csrf", &csrf), ("lang", "fr")])
        .await;
    assert_eq!(signed_out.0, 303);
    assert!(set_cookie(&signed_out.1, "officine-session").is_some_and(|c| c.contains("Max-Age=0")));
    // The session at the identity provider ends too, and the browser
    // comes back to the catalogue.
    let location = header(&signed_out.1, "location").unwrap();
    assert!(
        location.contains("/dev-issuer/logout?client_id=officine-web-patient"),
        "{location}"
    );
    let back = browser.follow(&signed_out).await;
    assert_eq!(back.0, 303);
    assert_eq!(
        header(&back.1, "location"),
        Some(format!("http://127.0.0.1:{}/catalogue?lang=fr", server.addr.port()).as_str())
    );
    // The provider sends back only to a registered client's loopback URI.
    let (status, _, _) = browser
        .get("/dev-issuer/logout?client_id=officine-web-patient&post_logout_redirect_uri=https%3A%2F%2Fevil.example%2F")
        .await;
    assert_eq!(status, 400);
    browser.cookies = copy;
    let (status, _, _) = browser.get("/mes-services").await;
    assert_eq!(status, 303, "the old cookie opens nothing");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_patient_narrows_uses_and_revokes_a_grant_from_the_pages() {
    let server = Server::start().await;
    let mut browser = Browser::new(&server);
    browser.sign_in("patient:demo").await;
    let before = tracker_grant(&server).await.unwrap();

    let sheet = format!("/catalogue/{TRACKER}");
    let (status, _, page) = browser.get(&sheet).await;
    assert_eq!(status, 200, "{page}");
    let csrf = hidden(&page, "csrf");
    let scopes: Vec<String> = page
        .match_indices("name=\"scope\" value=\"")
        .map(|(at, marker)| {
            let rest = &page[at + marker.len()..];
            rest[..rest.find('"').unwrap()].replace("&amp;", "&")
        })
        .collect();
    assert_eq!(
        scopes.len(),
        before.grant.scopes().len(),
        "one box per requested scope"
    );
    assert_eq!(
        page.matches(" checked").count(),
        scopes.len(),
        "all granted now"
    );

    // Bad forms change nothing.
    let consent = format!("{sheet}/consentement");
    let until = (time::OffsetDateTime::now_utc() + time::Duration::days(30)).date();
    let until = until.to_string();
    for (form, status, says) in [
        (
            vec![("csrf", csrf.as_str()), ("lang", "fr"), ("until", &until)],
            400,
            "Cochez au moins une autorisation",
        ),
        (
            vec![
                ("csrf", &csrf),
                ("lang", "fr"),
                ("scope", &scopes[0]),
                ("until", "2001-01-01"),
            ],
            400,
            "Choisissez une date de fin",
        ),
        (
            vec![
                ("csrf", &csrf),
                ("lang", "fr"),
                ("scope", "measures.write:height"),
                ("until", &until),
            ],
            400,
            "n'a pas pu être enregistré",
        ),
        (
            vec![
                ("csrf", "forged"),
                ("lang", "fr"),
                ("scope", &scopes[0]),
                ("until", &until),
            ],
            403,
            "Ce formulaire a expiré",
        ),
    ] {
        let (got, _, page) = browser.post(&consent, &form).await;
        assert_eq!(got, status, "{form:?}: {page}");
        assert!(page.contains(says), "{form:?}: {says} in {page}");
        assert_eq!(
            tracker_grant(&server).await.unwrap().revision,
            before.revision,
            "{form:?} changed the grant"
        );
    }

    // A narrowed consent: the first box only, for 30 days.
    let (status, headers, _) = browser
        .post(
            &consent,
            &[
                ("csrf", &csrf),
                ("lang", "fr"),
                ("scope", &scopes[0]),
                ("until", &until),
            ],
        )
        .await;
    assert_eq!(status, 303);
    assert_eq!(
        header(&headers, "location"),
        Some(format!("/mes-services?accorde={TRACKER}&lang=fr").as_str())
    );
    let narrowed = tracker_grant(&server).await.unwrap();
    assert_eq!(narrowed.grant.id(), before.grant.id());
    assert_eq!(
        narrowed
            .grant
            .scopes()
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        vec![scopes[0].clone()]
    );
    let (_, _, page) = browser
        .get(&format!("/mes-services?accorde={TRACKER}"))
        .await;
    assert!(
        page.contains("Votre accord à Suivi du poids est enregistré."),
        "{page}"
    );
    assert!(page.contains(&until_fr(&until)), "the end date: {page}");

    // Opening the service: to its own site, with a session of its own.
    let (status, headers, _) = browser
        .get(&format!("/mes-services/{TRACKER}/ouvrir"))
        .await;
    assert_eq!(status, 303);
    let location = header(&headers, "location").unwrap();
    let site = format!("weight-tracker.svc.localhost:{}", server.addr.port());
    let handshake = location
        .strip_prefix(&format!("http://{site}"))
        .unwrap_or_else(|| panic!("to the service's own site: {location}"));
    let (status, _, _) = browser.send("GET", &site, handshake, &[], "").await;
    assert_eq!(status, 303);
    assert!(
        !browser.cookie_header(&site)[0]
            .1
            .contains("officine-session="),
        "the platform's session never reaches the service's site"
    );
    let (status, _, page) = browser.send("GET", &site, "/", &[], "").await;
    assert_eq!(status, 200, "{page}");

    // The history shows the change, made by the patient, and the service's
    // reads under the narrowed grant.
    let (status, _, page) = browser.get("/mes-acces").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Modification — votre accord"), "{page}");
    assert!(page.contains("Consultation — vos mesures"), "{page}");
    assert!(page.contains("Suivi du poids (composant "), "{page}");
    let (status, _, page) = browser.get(&format!("/mes-acces?service={TRACKER}")).await;
    assert_eq!(status, 200, "{page}");
    assert!(!page.contains("Modification — votre accord"), "{page}");
    let (_, _, page) = browser.get("/mes-services").await;
    let tracker = page.split("Suivi du poids</h2>").nth(1).unwrap();
    let tracker = tracker.split("</article>").next().unwrap();
    assert!(
        !tracker.contains("<dd>Jamais</dd>"),
        "a last access: {tracker}"
    );
    let (status, _, page) = browser.get("/mes-acces?du=nonsense").await;
    assert_eq!(status, 400, "{page}");

    // Erasing needs the box ticked; then nothing changes.
    let revoke = format!("/mes-services/{TRACKER}/retirer");
    let (status, _, page) = browser
        .post(
            &revoke,
            &[("csrf", &csrf), ("lang", "fr"), ("erase", "yes")],
        )
        .await;
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("Cochez la case pour confirmer"), "{page}");
    assert!(tracker_grant(&server).await.is_some());

    let (status, headers, _) = browser
        .post(&revoke, &[("csrf", &csrf), ("lang", "fr")])
        .await;
    assert_eq!(status, 303);
    assert_eq!(
        header(&headers, "location"),
        Some(format!("/mes-services?retire={TRACKER}&lang=fr").as_str())
    );
    assert!(tracker_grant(&server).await.is_none(), "revoked");
    let (status, _, page) = browser.send("GET", &site, "/", &[], "").await;
    assert_eq!(status, 403, "the service is refused now: {page}");
    let (_, _, page) = browser.get("/mes-services").await;
    assert!(page.contains("Services déconnectés"), "{page}");
    // Revoking again says there is nothing left to revoke.
    let (status, _, page) = browser
        .post(&revoke, &[("csrf", &csrf), ("lang", "fr")])
        .await;
    assert_eq!(status, 400, "{page}");
}

/// `2026-12-25` as the French pages write it.
fn until_fr(iso: &str) -> String {
    let parts: Vec<&str> = iso.split('-').collect();
    format!("{}/{}/{}", parts[2], parts[1], parts[0])
}

#[tokio::test(flavor = "multi_thread")]
async fn the_desk_is_for_regulators_and_a_refused_step_changes_nothing() {
    let server = Server::start().await;
    let release =
        crate::support::submit_new_service(&server, "fr.officine.carnet-poids", "Carnet de poids")
            .await;
    let page = format!("/bureau/versions/{release}");
    let state = || async {
        officine_host::listing::releases::by_name(&server.db, &release)
            .await
            .unwrap()
            .unwrap()
            .state
            .to_string()
    };

    // A misuse alert for the desk to show: the tracker's page read for the
    // demo patient (development acts for them), one access over a lowered
    // per-patient threshold. The tracker is served although its very
    // binary was just submitted under another service.
    let site = format!("weight-tracker.svc.localhost:{}", server.addr.port());
    let (status, _, _) = server.get_at(&site, "/", &[]).await;
    assert_eq!(status, 200);
    let rules = officine_host::audit::misuse::MisuseRules {
        per_patient: 1,
        ..Default::default()
    };
    let raised = officine_host::audit::misuse::evaluate(
        &server.db,
        &rules,
        officine_host::model::now_millis() + 1,
    )
    .await
    .unwrap();
    let alert = raised
        .iter()
        .find(|a| a.service == TRACKER)
        .unwrap()
        .id
        .clone();

    // Nobody signed in is sent to sign in; a patient is refused.
    let mut anonymous = Browser::new(&server);
    let (status, headers, _) = anonymous.get("/bureau").await;
    assert_eq!(status, 303);
    assert_eq!(
        header(&headers, "location"),
        Some("/connexion?lang=fr&retour=%2Fbureau")
    );
    let mut patient = Browser::new(&server);
    patient.sign_in("patient:demo").await;
    for path in ["/bureau", page.as_str(), "/bureau/journaux"] {
        let (status, _, body) = patient.get(path).await;
        assert_eq!(status, 403, "{path}: {body}");
    }
    let (_, _, body) = patient.get("/catalogue").await;
    let csrf = hidden(&body, "csrf");
    let (status, _, _) = patient
        .post(&format!("{page}/admit"), &[("csrf", &csrf), ("lang", "fr")])
        .await;
    assert_eq!(status, 403);
    assert_eq!(state().await, "submitted");

    let mut regulator = Browser::new(&server);
    regulator.sign_in("regulator:demo").await;

    // The alert is in the queue with its evidence; closing needs a note.
    let (status, _, body) = regulator.get("/bureau").await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("Volume inhabituel pour un même patient — fr.officine.weight-tracker"),
        "{body}"
    );
    let csrf = hidden(&body, "csrf");
    let close = format!("/bureau/signalements/{alert}/classer");
    let (got, _, _) = regulator
        .post(&close, &[("csrf", &csrf), ("lang", "fr"), ("note", " ")])
        .await;
    assert_eq!(got, 400);
    let open = || async {
        officine_host::audit::misuse::alerts(&server.db, true)
            .await
            .unwrap()
            .len()
    };
    assert_eq!(open().await, 1, "still open");
    let (got, _, _) = regulator
        .post(
            &close,
            &[
                ("csrf", &csrf),
                ("lang", "fr"),
                ("note", "Volume attendu : test"),
            ],
        )
        .await;
    assert_eq!(got, 303);
    assert_eq!(open().await, 0, "closed");
    let (got, _, _) = regulator
        .post(
            &close,
            &[("csrf", &csrf), ("lang", "fr"), ("note", "again")],
        )
        .await;
    assert_eq!(got, 404, "an alert closes once");

    let (status, _, body) = regulator.get(&page).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("officine:platform/measures@0.1.0"),
        "actual imports: {body}"
    );
    let csrf = hidden(&body, "csrf");
    let post = |step: &str, extra: &[(&'static str, &'static str)]| {
        let mut form = vec![("csrf", csrf.clone()), ("lang", "fr".to_owned())];
        form.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
        (format!("{page}/{step}"), form)
    };
    // Each refusal: its answer, and the state untouched.
    for (step, extra, status, says) in [
        ("start", vec![], 400, "Étape refusée"),
        ("reject", vec![], 400, "Un motif est requis"),
        (
            "reject",
            vec![("reason", "   ")],
            400,
            "Un motif est requis",
        ),
        ("promote", vec![], 404, "Cette étape n'existe pas"),
    ] {
        let (path, form) = post(step, &extra);
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (got, _, body) = regulator.post(&path, &form).await;
        assert_eq!(got, status, "{step}: {body}");
        assert!(body.contains(says), "{step}: {says} in {body}");
        assert_eq!(state().await, "submitted", "{step}");
    }
    let (got, _, _) = regulator
        .post(
            &format!("{page}/admit"),
            &[("csrf", "forged"), ("lang", "fr")],
        )
        .await;
    assert_eq!(got, 403);
    assert_eq!(state().await, "submitted");

    // In review, a checklist that leaves a binding requirement unmet
    // without a note is refused, and says which.
    for step in ["admit", "start"] {
        let (path, form) = post(step, &[]);
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (got, _, body) = regulator.post(&path, &form).await;
        assert_eq!(got, 303, "{step}: {body}");
    }
    assert_eq!(state().await, "in-review");
    let (_, _, body) = regulator.get(&page).await;
    let first = body
        .split("name=\"met-")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    let field = format!("met-{first}");
    let (got, _, body) = regulator
        .post(
            &format!("{page}/decide"),
            &[("csrf", &csrf), ("lang", "fr"), (&field, "no")],
        )
        .await;
    assert_eq!(got, 400, "{body}");
    assert!(body.contains("Étape refusée"), "{body}");
    assert!(body.contains(&first), "names the requirement: {body}");
    assert!(
        body.contains("value=\"no\" checked"),
        "the checklist keeps what was sent: {body}"
    );
    assert_eq!(state().await, "in-review");

    // The whole checklist met, each with a proof: listed.
    let (_, _, body) = regulator.get(&page).await;
    let ids: Vec<String> = body
        .split("name=\"met-")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(str::to_owned)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert!(ids.len() >= 5, "{ids:?}");
    let mut checklist = vec![
        ("csrf".to_owned(), csrf.clone()),
        ("lang".to_owned(), "fr".to_owned()),
    ];
    for id in &ids {
        checklist.push((format!("met-{id}"), "yes".to_owned()));
        checklist.push((
            format!("ref-{id}"),
            "https://preuves.example/carnet".to_owned(),
        ));
        let kind = body
            .split(&format!("name=\"kind-{id}\"><option value=\""))
            .nth(1)
            .and_then(|rest| rest.split('"').next());
        if let Some(kind) = kind {
            checklist.push((format!("kind-{id}"), kind.to_owned()));
        }
    }
    let form: Vec<(&str, &str)> = checklist
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let (got, _, body) = regulator.post(&format!("{page}/decide"), &form).await;
    assert_eq!(got, 303, "{body}");
    assert_eq!(state().await, "listed");

    // Suspend, reinstate, withdraw: each with its reason, each published.
    for (step, reason, after) in [
        ("suspend", "Signalement en cours d'examen", "suspended"),
        ("reinstate", "Signalement sans suite", "listed"),
        ("withdraw", "Retrait à la demande de l'éditeur", "withdrawn"),
    ] {
        let (got, _, body) = regulator
            .post(
                &format!("{page}/{step}"),
                &[("csrf", &csrf), ("lang", "fr")],
            )
            .await;
        assert_eq!(got, 400, "{step} without a reason: {body}");
        let (got, headers, _) = regulator
            .post(
                &format!("{page}/{step}"),
                &[("csrf", &csrf), ("lang", "fr"), ("reason", reason)],
            )
            .await;
        assert_eq!(got, 303, "{step}");
        assert_eq!(state().await, after, "{step}");
        let (_, _, body) = regulator.get(header(&headers, "location").unwrap()).await;
        assert!(body.contains(reason), "{step}'s reason is shown: {body}");
    }
    let (_, _, body) = regulator.get(&page).await;
    assert!(body.contains("Cette décision est définitive."), "{body}");
}
