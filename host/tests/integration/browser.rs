//! Pages in a real browser: Debian's Chromium, driven by Playwright
//! (`playwright-core` from npm), each page checked by axe-core against
//! WCAG 2.1 A and AA and saved as a screenshot in `TARGET/screenshots/`.
//!
//! The test installs what it needs itself: Chromium with apt when
//! `/usr/bin/chromium` is missing, and the npm packages pinned in
//! `tests/browser/package-lock.json` into `TARGET/browser/`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;

use crate::server::Server;
use crate::support::{run, target_dir};

const CHROMIUM: &str = "/usr/bin/chromium";

/// Debian's Chromium, installed on first use.
fn chromium() -> &'static Path {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        if Path::new(CHROMIUM).exists() {
            return;
        }
        let install = || {
            Command::new("apt-get")
                .args(["install", "-y", "--no-install-recommends", "chromium"])
                .env("DEBIAN_FRONTEND", "noninteractive")
                .output()
                .is_ok_and(|out| out.status.success())
        };
        if !install() {
            // A fresh machine may not know the package yet.
            run(
                Command::new("apt-get").arg("update"),
                "updating apt's package lists",
            );
            run(
                Command::new("apt-get")
                    .args(["install", "-y", "--no-install-recommends", "chromium"])
                    .env("DEBIAN_FRONTEND", "noninteractive"),
                "installing Chromium (apt)",
            );
        }
    });
    Path::new(CHROMIUM)
}

/// `TARGET/browser/`: the kit's script and its npm packages, installed
/// again whenever the lockfile changes.
fn kit() -> &'static Path {
    static KIT: OnceLock<PathBuf> = OnceLock::new();
    KIT.get_or_init(|| {
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
        let kit = target_dir().join("browser");
        std::fs::create_dir_all(&kit).unwrap();
        for entry in std::fs::read_dir(&source).unwrap() {
            let file = entry.unwrap().path();
            let name = file.file_name().unwrap();
            std::fs::copy(&file, kit.join(name))
                .unwrap_or_else(|e| panic!("copying {}: {e}", file.display()));
        }
        let lock = std::fs::read_to_string(kit.join("package-lock.json")).unwrap();
        let stamp = kit.join("node_modules/installed-lock.json");
        if std::fs::read_to_string(&stamp).is_ok_and(|done| done == lock) {
            return kit;
        }
        run(
            Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
                .current_dir(&kit),
            "installing the browser kit (npm ci)",
        );
        std::fs::write(&stamp, lock).unwrap();
        kit
    })
}

/// What the browser found on one page.
#[derive(Debug)]
struct Checked {
    status: u64,
    title: String,
    lang: String,
    origin: String,
    /// Serious or critical accessibility violations, by rule.
    serious: Vec<String>,
}

/// Runs one of the kit's scripts in Chromium with `args` after the
/// screenshots' directory; returns the JSON line it printed for each page.
fn run_script(script: &str, args: &[String]) -> Vec<Value> {
    let chromium = chromium();
    let kit = kit();
    let shots = target_dir().join("screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let output = run(
        Command::new("node")
            .arg(kit.join(script))
            .arg(&shots)
            .args(args)
            .env("CHROMIUM", chromium)
            .current_dir(kit),
        &format!("running {script} in Chromium"),
    );
    let lines = String::from_utf8(output.stdout).unwrap();
    lines
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect()
}

impl Checked {
    fn of(page: &Value) -> Checked {
        let text = |key: &str| page[key].as_str().unwrap_or_default().to_owned();
        Checked {
            status: page["status"].as_u64().unwrap_or_default(),
            title: text("title"),
            lang: text("lang"),
            origin: text("origin"),
            serious: page["violations"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
                .map(|v| v["id"].as_str().unwrap().to_owned())
                .collect(),
        }
    }
}

/// A journey script's steps, each page already checked for serious or
/// critical accessibility violations and for its language (French).
struct Journey(Vec<Value>);

impl Journey {
    async fn run(script: &'static str, args: Vec<String>) -> Journey {
        let steps = tokio::task::spawn_blocking(move || run_script(script, &args))
            .await
            .unwrap();
        for page in steps.iter().filter(|page| page["title"].is_string()) {
            let checked = Checked::of(page);
            assert!(checked.serious.is_empty(), "{page}");
            assert_eq!(checked.lang, "fr", "{page}");
        }
        Journey(steps)
    }

    fn step(&self, name: &str) -> &Value {
        self.0
            .iter()
            .find(|s| s["name"] == name)
            .unwrap_or_else(|| panic!("no step {name}: {:?}", self.0))
    }
}

/// Opens each `(name, url)` page in Chromium; saves `TARGET/screenshots/<name>.png`.
fn check_pages(pages: &[(&str, String)]) -> Vec<Checked> {
    let args: Vec<String> = pages
        .iter()
        .map(|(name, url)| format!("{name}={url}"))
        .collect();
    let checked: Vec<Checked> = run_script("check-pages.mjs", &args)
        .iter()
        .map(Checked::of)
        .collect();
    assert_eq!(checked.len(), pages.len());
    checked
}

/// The platform's pages and a service's page, as a patient's browser shows
/// them: in French (or English when asked), without a serious or critical
/// accessibility fault, and the service's output on an origin of its own.
#[tokio::test(flavor = "multi_thread")]
async fn pages_render_in_chromium_accessible_and_the_service_on_its_own_origin() {
    let server = Server::start().await;
    let port = server.addr.port();
    let platform = format!("http://127.0.0.1:{port}");
    let pages = [
        ("index", format!("{platform}/")),
        ("catalogue", format!("{platform}/catalogue")),
        (
            "catalogue-en-filtered",
            format!("{platform}/catalogue?lang=en&category=measures&q=suivi"),
        ),
        (
            "catalogue-bad-filter",
            format!("{platform}/catalogue?device=maybe"),
        ),
        (
            "consent-sheet",
            format!("{platform}/catalogue/fr.officine.weight-tracker"),
        ),
        (
            "weight-tracker",
            format!("http://weight-tracker.svc.localhost:{port}/"),
        ),
    ];
    let checked = tokio::task::spawn_blocking(move || check_pages(&pages))
        .await
        .unwrap();
    let [index, catalogue, english, bad, sheet, tracker] = &checked[..] else {
        unreachable!()
    };
    for page in &checked {
        assert!(page.serious.is_empty(), "{page:?}");
    }
    for page in [index, catalogue, english, sheet, tracker] {
        assert_eq!(page.status, 200, "{page:?}");
    }
    assert_eq!(bad.status, 400);
    for page in [index, catalogue, bad, sheet, tracker] {
        assert_eq!(page.lang, "fr", "{page:?}");
    }
    assert_eq!(english.lang, "en");
    assert_eq!(catalogue.title, "Catalogue des services — Officine");
    assert_eq!(english.title, "Service catalogue — Officine");
    assert_eq!(sheet.title, "Suivi du poids — Officine");
    assert!(index.title.starts_with("Officine"), "{index:?}");
    assert_eq!(index.origin, platform);
    assert_eq!(tracker.title, "Suivi du poids");
    assert_eq!(
        tracker.origin,
        format!("http://weight-tracker.svc.localhost:{port}")
    );
    assert_ne!(tracker.origin, index.origin);
}

/// The patient's journey, clicked through in Chromium: signing in with the
/// demonstration identity (the code flow with PKCE against the development
/// issuer), reading their own data, narrowing the weight tracker's consent (two
/// boxes unticked) with an end
/// date, using it on its own site, finding its reads in the access history,
/// revoking, and finding it refused. Every page passes the accessibility
/// check.
#[tokio::test(flavor = "multi_thread")]
async fn a_patient_narrows_a_consent_uses_the_service_sees_its_reads_and_revokes() {
    let server = Server::start().await;
    let port = server.addr.port();
    let platform = format!("http://127.0.0.1:{port}");
    let until = (time::OffsetDateTime::now_utc() + time::Duration::days(60)).date();
    let args = vec![
        platform.clone(),
        "fr.officine.weight-tracker".to_owned(),
        "Suivi du poids".to_owned(),
        until.to_string(),
    ];
    let journey = Journey::run("patient-journey.mjs", args).await;
    let step = |name: &str| journey.step(name);
    assert_eq!(Checked::of(step("sign-in")).status, 200);
    assert_eq!(
        Checked::of(step("my-services")).title,
        "Mes services — Officine"
    );
    for kind in ["mesures", "agenda", "documents", "messages"] {
        let page = step(&format!("my-data-{kind}"));
        assert_eq!(page["status"], 200, "{page}");
        assert!(
            page["shown"].as_str().unwrap().contains("élément"),
            "the demo patient's {kind}: {page}"
        );
    }
    assert_eq!(
        step("consent-form")["boxes"],
        5,
        "one box per requested scope"
    );
    let given = step("consent-given");
    assert!(
        given["confirmation"]
            .as_str()
            .unwrap()
            .contains("Votre accord à Suivi du poids est enregistré"),
        "{given}"
    );
    assert_eq!(
        given["may"],
        serde_json::json!([
            "Voir : vos mesures (poids)",
            "Voir : vos mesures (taille)",
            "Ajouter : vos mesures (poids)"
        ]),
        "only the boxes left ticked"
    );
    let service = Checked::of(step("service"));
    assert_eq!(service.status, 200);
    assert_eq!(service.title, "Suivi du poids");
    assert_eq!(
        service.origin,
        format!("http://weight-tracker.svc.localhost:{port}"),
        "the service's output on an origin of its own"
    );
    assert!(
        step("service")["policy"]
            .as_str()
            .unwrap()
            .starts_with("sandbox allow-forms"),
        "under a CSP sandbox: {}",
        step("service")
    );
    let weighed = step("service-weighed");
    assert!(
        weighed["status"].as_u64().unwrap() < 400,
        "the service's form works on its own site, sandboxed: {weighed}"
    );
    assert!(
        weighed["shows"].as_str().unwrap().contains("71,5"),
        "{weighed}"
    );
    let rows = step("accesses")["rows"].as_array().unwrap().clone();
    assert!(
        rows.iter().any(|row| {
            let row = row.as_str().unwrap();
            row.contains("Suivi du poids (composant") && row.contains("Consultation — vos mesures")
        }),
        "the service's reads are in the history: {rows:?}"
    );
    assert!(
        rows.iter()
            .any(|row| row.as_str().unwrap().contains("Ajout — vos mesures")),
        "and its write: {rows:?}"
    );
    assert!(
        step("revoked")["confirmation"]
            .as_str()
            .unwrap()
            .contains("il n'accède plus à vos données")
    );
    assert_eq!(step("service-after-revoke")["status"], 403);

    // What the pages did is what is stored.
    let grant = officine_host::db::grants::current(
        &server.db,
        &officine_host::model::PatientId::new("demo"),
        &officine_host::model::ServiceId::new("fr.officine.weight-tracker").unwrap(),
    )
    .await
    .unwrap();
    assert!(grant.is_none(), "revoked: {grant:?}");
}

/// The regulator's journey, clicked through in Chromium: a submitted
/// service admitted, reviewed against its requirement checklist and listed
/// from the desk; the catalogue shows it; suspended, the catalogue no
/// longer does; both logs verify; every page passes the accessibility
/// check.
#[tokio::test(flavor = "multi_thread")]
async fn a_regulator_lists_a_submitted_service_suspends_it_and_the_catalogue_follows() {
    let server = Server::start().await;
    let name = "Carnet de poids";
    let release =
        crate::support::submit_new_service(&server, "fr.officine.carnet-poids", name).await;
    let platform = format!("http://127.0.0.1:{}", server.addr.port());
    let args = vec![platform, release.clone(), name.to_owned()];
    let journey = Journey::run("regulator-journey.mjs", args).await;
    let step = |name: &str| journey.step(name);
    assert_eq!(
        Checked::of(step("desk")).title,
        "Bureau du régulateur — Officine"
    );
    assert_eq!(step("submission")["state"], "Soumis");
    assert_eq!(step("checklist")["state"], "En examen");
    assert!(
        step("checklist")["requirements"].as_u64().unwrap() >= 5,
        "the applicable requirements: {}",
        step("checklist")
    );
    assert_eq!(step("decided")["state"], "Référencé");
    assert_eq!(
        step("catalogue-listed")["listed"],
        1,
        "listed: in the catalogue"
    );
    assert_eq!(step("suspended")["state"], "Suspendu");
    assert_eq!(
        step("catalogue-after-suspension")["listed"],
        0,
        "suspended: gone from the catalogue"
    );
    let logs = step("logs");
    assert_eq!(logs["faults"], 0, "{logs}");
    let verdicts = logs["verdicts"].as_array().unwrap();
    assert_eq!(verdicts.len(), 2, "{logs}");
    assert!(
        verdicts
            .iter()
            .all(|v| v.as_str().unwrap().starts_with("Intègre")),
        "{logs}"
    );
    assert_eq!(Checked::of(step("report")).status, 200);

    // What the desk did is what the registry holds.
    let stored = officine_host::listing::releases::by_name(&server.db, &release)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.state.to_string(), "suspended");
    assert_eq!(
        stored.reasons,
        vec!["Contrôle en cours après un signalement"]
    );
}

/// A delegation, clicked through in Chromium: the patient makes a code for
/// their measures, documents and messages; a physician enters it, reads
/// exactly those sections, adds a document and opens a conversation. Every
/// page passes the accessibility check.
#[tokio::test(flavor = "multi_thread")]
async fn a_physician_reads_what_a_patients_delegation_code_opens() {
    let server = Server::start().await;
    let platform = format!("http://127.0.0.1:{}", server.addr.port());
    let journey = Journey::run("professional-journey.mjs", vec![platform]).await;
    let step = |name: &str| journey.step(name);
    assert_eq!(
        Checked::of(step("delegations")).title,
        "Délégations — Officine"
    );
    assert_eq!(
        Checked::of(step("closing")).title,
        "Fermer mon espace santé — Officine"
    );
    let code = step("delegation-made")["code"].as_str().unwrap().to_owned();
    assert_eq!(code.len(), 14, "XXXX-XXXX-XXXX: {code}");
    assert_eq!(
        Checked::of(step("pro-home")).title,
        "Espace professionnel — Officine"
    );
    for name in ["pro-measures", "pro-documents"] {
        assert!(
            step(name)["shown"].as_str().unwrap().contains("élément"),
            "{}",
            step(name)
        );
    }
    assert_eq!(
        step("pro-documents")["tabs"],
        serde_json::json!(["Mesures", "Documents du dossier médical", "Messages"]),
        "only the delegated sections"
    );
    let added = step("pro-document-added");
    assert!(
        added["confirmation"]
            .as_str()
            .unwrap()
            .starts_with("Ajouté au dossier"),
        "{added}"
    );
    assert!(
        added["shown"].as_str().unwrap().contains("Note de suivi"),
        "{added}"
    );
    assert!(
        step("pro-message-sent")["shown"]
            .as_str()
            .unwrap()
            .contains("Votre prochain rendez-vous"),
        "{}",
        step("pro-message-sent")
    );
}
