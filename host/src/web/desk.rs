//! The regulator's desk: the submissions queue, each release with its
//! manifest, actual imports, signature and requirement checklist, the
//! workflow's steps (admit, reject, review, decide, suspend, reinstate,
//! withdraw), a component's audit report, and the logs' verification.
//!
//! Every step goes through [`crate::listing::Registry`], as the API's and
//! the CLI's do: the same rules, the same transparency log.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use officine_registry::Manifest;
use officine_registry::review::{Decision, Level, RequirementSet, State as Step};
use serde::{Deserialize, Serialize};

use super::form::Posted;
use super::layout::{self, Here, Section, View};
use super::session::{SignedIn, Visitor};
use super::{Lang, text};
use crate::api::ApiState;
use crate::listing::ListingError;
use crate::listing::keys;
use crate::listing::releases::{self, Change, StoredRelease};

/// The signed-in regulator, or the answer for anyone else.
#[expect(
    clippy::result_large_err,
    reason = "the error is the answer, built once and returned at once"
)]
fn regulator<'a>(view: &View<'a>) -> Result<&'a SignedIn, Response> {
    match view.visitor {
        None => Err(super::see_other(&layout::sign_in_link(
            view.lang,
            view.here.path,
        ))),
        Some(signed_in) if signed_in.is_regulator() => Ok(signed_in),
        Some(_) => Err(layout::problem(
            view,
            StatusCode::FORBIDDEN,
            view.lang.text().regulators_only,
        )),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DeskQuery {
    lang: String,
    /// A step just made, to confirm.
    fait: String,
}

/// A desk page's view, or the answer for an unknown language or a visitor
/// who is not a regulator.
#[expect(
    clippy::result_large_err,
    reason = "the error is the answer, built once and returned at once"
)]
fn desk_view<'a>(
    visitor: &'a Visitor,
    here: Here<'a>,
    lang: &str,
) -> Result<(View<'a>, &'a SignedIn), Response> {
    let view = View::asked(lang, visitor.signed_in(), here)?;
    let signed_in = regulator(&view)?;
    Ok((view, signed_in))
}

/// The release's page path.
fn release_path(stored: &StoredRelease) -> String {
    format!("/bureau/versions/{}", stored.name())
}

/// `GET /bureau`: every release, by what it waits for.
pub async fn queue(
    State(state): State<ApiState>,
    visitor: Visitor,
    Query(query): Query<DeskQuery>,
) -> Response {
    let (view, signed_in) = match desk_view(&visitor, Here::at("/bureau"), &query.lang) {
        Ok(found) => found,
        Err(response) => return response,
    };
    let lang = view.lang;
    let text = lang.text();
    let all = match releases::all(&state.db).await {
        Ok(all) => all,
        Err(error) => return super::unavailable(&error),
    };
    let alerts = match crate::audit::misuse::alerts(&state.db, true).await {
        Ok(alerts) => alerts,
        Err(error) => return super::unavailable(&error),
    };
    let group = |states: &[Step]| -> Vec<&StoredRelease> {
        all.iter().filter(|r| states.contains(&r.state)).collect()
    };
    let waiting = group(&[Step::Submitted, Step::Admissible, Step::InReview]);
    let served = group(&[Step::Listed, Step::Suspended]);
    let decided = group(&[Step::Inadmissible, Step::Refused, Step::Withdrawn]);
    let main = html! {
        h1 { (text.desk) }
        p { a href=(view.link("/bureau/journaux")) { (text.logs_title) } }
        @if let Some(done) = (!query.fait.is_empty()).then(|| text::step_done(lang, &query.fait)) {
            p.done role="status" { (done) }
        }
        h2 { (text.alerts) }
        @if alerts.is_empty() {
            p { (text.none) }
        }
        @for alert in &alerts {
            article.alert {
                h3 { (text::rule(lang, alert.rule)) " — " (alert.service) }
                p {
                    ((text.alert_window)(&text::moment(lang, alert.window_start), &text::moment(lang, alert.window_end)))
                    " "
                    a href=(view.link(&format!("/bureau/rapport/{}", alert.service))) { (text.report_title) }
                }
                pre { (serde_json::to_string_pretty(&alert.evidence).unwrap_or_default()) }
                form.step method="post" action=(format!("/bureau/signalements/{}/classer", alert.id)) {
                    input type="hidden" name="csrf" value=(signed_in.csrf);
                    input type="hidden" name="lang" value=(lang.code());
                    div.field {
                        label for=(format!("note-{}", alert.id)) { (text.alert_note) }
                        textarea id=(format!("note-{}", alert.id)) name="note" required rows="2" {}
                    }
                    button type="submit" { (text.close_alert) }
                }
            }
        }
        h2 { (text.queue_waiting) }
        (releases_table(&view, &waiting))
        h2 { (text.queue_served) }
        (releases_table(&view, &served))
        h2 { (text.queue_decided) }
        (releases_table(&view, &decided))
    };
    layout::page(&view, Section::Desk, text.desk, main).into_response()
}

fn releases_table(view: &View<'_>, releases: &[&StoredRelease]) -> Markup {
    let lang = view.lang;
    let text = lang.text();
    if releases.is_empty() {
        return html! { p { (text.none) } };
    }
    html! {
        (layout::table(&[text.service, text.version, text.editor, text.state, text.submitted_on], html! {
                @for stored in releases {
                    @let manifest = stored.release.manifest();
                    tr {
                        td { a href=(view.link(&release_path(stored))) { (manifest.name()) } }
                        td { (manifest.version()) }
                        td { (manifest.editor()) }
                        td { (text::step(lang, stored.state)) }
                        td { (text::day(lang, stored.submitted_at)) }
                    }
                }
            }))
    }
}

/// `GET /bureau/versions/{name}`.
pub async fn release(
    State(state): State<ApiState>,
    visitor: Visitor,
    Path(name): Path<String>,
    Query(query): Query<DeskQuery>,
) -> Response {
    let path = format!("/bureau/versions/{name}");
    let here = Here::at(&path);
    let view = match View::asked(&query.lang, visitor.signed_in(), here) {
        Ok(view) => view,
        Err(response) => return response,
    };
    let lang = view.lang;
    let done = (!query.fait.is_empty()).then(|| text::step_done(lang, &query.fait));
    render_release(&state, &view, &name, done.as_deref(), None, StatusCode::OK).await
}

/// A release's page, with a confirmation of the step just made, or the
/// problem with the one asked (and the form as it was sent).
async fn render_release(
    state: &ApiState,
    view: &View<'_>,
    name: &str,
    done: Option<&str>,
    problem: Option<(&str, &Posted)>,
    status: StatusCode,
) -> Response {
    let signed_in = match regulator(view) {
        Ok(signed_in) => signed_in,
        Err(response) => return response,
    };
    let lang = view.lang;
    let text = lang.text();
    let stored = match releases::by_name(&state.db, name).await {
        Ok(Some(stored)) => stored,
        Ok(None) | Err(ListingError::Invalid(_)) => {
            return layout::problem(view, StatusCode::NOT_FOUND, text.no_such_release);
        }
        Err(error) => return super::unavailable(&error),
    };
    let manifest = stored.release.manifest();
    let imports = match releases::component(&state.db, &stored.release.component_sha256()).await {
        Ok(Some(bytes)) => declared_imports(&bytes),
        Ok(None) => Err("the component is not stored".to_owned()),
        Err(error) => return super::unavailable(&error),
    };
    let key_state = match stored.signer.strip_prefix("key:") {
        Some(id) => match id.parse() {
            Ok(id) => match keys::key(&state.db, &id).await {
                Ok(key) => key.map(|key| key.state.as_str()),
                Err(error) => return super::unavailable(&error),
            },
            Err(_) => None,
        },
        None => None,
    };
    let decision: Option<Decision> = stored
        .decision
        .as_deref()
        .and_then(|json| serde_json::from_str(json).ok());
    let csrf = &signed_in.csrf;
    let action = |step: &str| format!("{}/{step}", release_path(&stored));
    let hidden = html! {
        input type="hidden" name="csrf" value=(csrf);
        input type="hidden" name="lang" value=(lang.code());
    };
    let reason_form = |step: &str, label: &str, danger: bool| {
        let id = format!("reason-{step}");
        html! {
            form.step method="post" action=(action(step)) {
                (hidden)
                div.field {
                    label for=(id) { (text.reason) }
                    textarea id=(id) name="reason" required rows="2" {}
                }
                @if danger {
                    button.danger type="submit" { (label) }
                } @else {
                    button type="submit" { (label) }
                }
            }
        }
    };
    let main = html! {
        p { a href=(view.link("/bureau")) { (text.back_to_desk) } }
        h1 { (manifest.name()) " " (manifest.version()) }
        @if let Some(done) = done {
            p.done role="status" { (done) }
        }
        @if let Some((problem, _)) = problem {
            p.error role="alert" { (problem) }
        }
        dl.facts {
            dt { (text.state) }
            dd { (text::step(lang, stored.state)) }
            dt { (text.service) }
            dd { (manifest.id()) }
            dt { (text.editor) }
            dd { (manifest.editor()) " (" (manifest.editor_id()) ")" }
            dt { (text.purpose) }
            dd { (text::purpose(lang, manifest.purpose())) }
            dt { (text.device) }
            dd { (text::device(lang, manifest.consent().medical_device())) }
            dt { (text.submitted_on) }
            dd { (text::day(lang, stored.submitted_at)) }
            dt { (text.component) }
            dd { code { (stored.release.component_sha256()) } }
            dt { (text.signature) }
            dd {
                ((text.signed_by)(&stored.signer))
                @if let Some(state) = key_state { " — " ((text.key_state)(state)) }
            }
            @if !stored.reasons.is_empty() {
                dt { (text.reasons) }
                dd { ul { @for reason in &stored.reasons { li { (reason) } } } }
            }
        }
        p { a href=(view.link(&format!("/bureau/rapport/{}", manifest.id()))) { (text.report_title) } }
        h2 { (text.requests) }
        ul {
            @for requested in manifest.requested_scopes() {
                li { (text::scope(lang, &requested.scope())) br; span { (text.why) (requested.reason()) } }
            }
        }
        details {
            summary { (text.signed_release) }
            pre { (stored.release_json) }
        }
        h2 { (text.imports) }
        @match &imports {
            Ok(imports) => ul { @for import in imports { li { code { (import) } } } },
            Err(problem) => p.error { (problem) },
        }
        @if let Some(decision) = &decision {
            h2 { (text.decision) }
            (decision_table(lang, decision))
        }
        h2 { (text.steps) }
        @match stored.state {
            Step::Submitted => {
                form.step method="post" action=(action("admit")) {
                    (hidden)
                    button type="submit" { (text.admit) }
                }
                (reason_form("reject", text.reject, true))
            }
            Step::Admissible => {
                form.step method="post" action=(action("start")) {
                    (hidden)
                    button type="submit" { (text.start_review) }
                }
            }
            Step::InReview => {
                (verdict_form(view, &stored, manifest, csrf, problem.map(|(_, form)| form)))
            }
            Step::Listed => {
                (reason_form("suspend", text.suspend, true))
                (reason_form("withdraw", text.withdraw, true))
            }
            Step::Suspended => {
                (reason_form("reinstate", text.reinstate, false))
                (reason_form("withdraw", text.withdraw, true))
            }
            Step::Inadmissible | Step::Refused | Step::Withdrawn => {
                p { (text.final_state) }
            }
        }
    };
    (
        status,
        layout::page(view, Section::Desk, manifest.name(), main),
    )
        .into_response()
}

/// Each requirement's verdict in a published decision.
fn decision_table(lang: Lang, decision: &Decision) -> Markup {
    let text = lang.text();
    html! {
        p { ((text.decided_against)(&decision.requirement_set().to_string())) }
        (layout::table(&[text.requirement, text.verdict, text.note], html! {
                @for verdict in decision.requirements() {
                    tr {
                        td { (verdict.requirement()) }
                        td {
                            @match (verdict.applicable(), verdict.met()) {
                                (false, _) => (text.not_applicable),
                                (true, Some(true)) => (text.met),
                                (true, Some(false)) => (text.unmet),
                                (true, None) => (text.not_assessed),
                            }
                        }
                        td { (verdict.note().unwrap_or("")) }
                    }
                }
            }))
    }
}

/// The checklist of the requirements that apply to this service, each with
/// its verdict, proof and note: the form that decides the release.
fn verdict_form(
    view: &View<'_>,
    stored: &StoredRelease,
    manifest: &Manifest,
    csrf: &str,
    sent: Option<&Posted>,
) -> Markup {
    let lang = view.lang;
    let text = lang.text();
    let set = RequirementSet::builtin();
    let value = |name: &str| sent.map(|form| form.get(name)).unwrap_or("");
    html! {
        form.verdicts method="post" action=(format!("{}/decide", release_path(stored))) {
            input type="hidden" name="csrf" value=(csrf);
            input type="hidden" name="lang" value=(lang.code());
            p { ((text.checklist_intro)(&set.reference().to_string())) }
            @for requirement in set.applicable(manifest) {
                @let id = requirement.id().to_string();
                @let binding = !matches!(requirement.level(), Level::Recommendation);
                fieldset {
                    legend { (id) " — " (requirement.text()) }
                    @if let Some(scenario) = requirement.scenario() {
                        p.hint { (text.scenario) (scenario) }
                    }
                    div.choice {
                        input type="radio" id=(format!("met-{id}-yes")) name=(format!("met-{id}")) value="yes"
                              checked[value(&format!("met-{id}")) == "yes"] required[binding];
                        label for=(format!("met-{id}-yes")) { (text.met) }
                        input type="radio" id=(format!("met-{id}-no")) name=(format!("met-{id}")) value="no"
                              checked[value(&format!("met-{id}")) == "no"];
                        label for=(format!("met-{id}-no")) { (text.unmet) }
                        @if !binding {
                            input type="radio" id=(format!("met-{id}-skip")) name=(format!("met-{id}")) value=""
                                  checked[value(&format!("met-{id}")).is_empty()];
                            label for=(format!("met-{id}-skip")) { (text.not_assessed) }
                        }
                    }
                    @if !requirement.proofs().is_empty() {
                        div.field {
                            label for=(format!("kind-{id}")) { (text.proof_kind) }
                            select id=(format!("kind-{id}")) name=(format!("kind-{id}")) {
                                @for kind in requirement.proofs() {
                                    option value=(kind.as_str()) selected[value(&format!("kind-{id}")) == kind.as_str()] {
                                        (kind.as_str())
                                    }
                                }
                            }
                        }
                        div.field {
                            label for=(format!("ref-{id}")) { (text.proof_ref) }
                            input type="text" id=(format!("ref-{id}")) name=(format!("ref-{id}"))
                                  value=(value(&format!("ref-{id}")));
                        }
                    }
                    div.field {
                        label for=(format!("note-{id}")) { (text.note) }
                        textarea id=(format!("note-{id}")) name=(format!("note-{id}")) rows="2" {
                            (value(&format!("note-{id}")))
                        }
                    }
                }
            }
            div.field {
                label for="reasons" { (text.decision_reasons) }
                textarea id="reasons" name="reasons" rows="3" { (value("reasons")) }
            }
            button type="submit" { (text.decide) }
        }
    }
}

/// A verdict file, as the registry reads it.
#[derive(Serialize)]
struct VerdictFile {
    #[serde(rename = "requirement-set")]
    requirement_set: String,
    reasons: Vec<String>,
    verdict: Vec<Verdict>,
}

#[derive(Serialize)]
struct Verdict {
    requirement: String,
    met: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<String>,
    proofs: Vec<Proof>,
}

#[derive(Serialize)]
struct Proof {
    kind: String,
    #[serde(rename = "ref")]
    reference: String,
}

/// The verdict file a checklist form says, for [`Registry::decide`] to
/// check as it checks any other.
///
/// [`Registry::decide`]: crate::listing::Registry::decide
fn verdicts_of(form: &Posted, manifest: &Manifest) -> String {
    let set = RequirementSet::builtin();
    let nonempty = |text: &str| {
        let text = text.trim();
        (!text.is_empty()).then(|| text.to_owned())
    };
    let verdict = set
        .applicable(manifest)
        .filter_map(|requirement| {
            let id = requirement.id().to_string();
            let met = match form.get(&format!("met-{id}")) {
                "yes" => true,
                "no" => false,
                _ => return None,
            };
            // A proof's kind defaults to the first the requirement accepts,
            // as the form's list shows it; a requirement that accepts none
            // (a recommendation) has no proof field.
            let kind = nonempty(form.get(&format!("kind-{id}"))).or_else(|| {
                requirement
                    .proofs()
                    .first()
                    .map(|kind| kind.as_str().to_owned())
            });
            let reference = nonempty(form.get(&format!("ref-{id}")));
            let proofs = match (kind, reference) {
                (Some(kind), Some(reference)) if !requirement.proofs().is_empty() => {
                    vec![Proof { kind, reference }]
                }
                _ => Vec::new(),
            };
            Some(Verdict {
                requirement: id.clone(),
                met,
                note: nonempty(form.get(&format!("note-{id}"))),
                proofs,
            })
        })
        .collect();
    let file = VerdictFile {
        requirement_set: set.reference().to_string(),
        reasons: form.get("reasons").lines().filter_map(nonempty).collect(),
        verdict,
    };
    toml::to_string(&file).unwrap_or_default()
}

/// `POST /bureau/versions/{name}/{step}`: one step of the workflow.
pub async fn step(
    State(state): State<ApiState>,
    visitor: Visitor,
    Path((name, step)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = Posted::read(&body);
    let lang = form.lang;
    let path = format!("/bureau/versions/{name}");
    let view = View::new(lang, visitor.signed_in(), Here::at(&path));
    let signed_in = match regulator(&view) {
        Ok(signed_in) => signed_in,
        Err(response) => return response,
    };
    if let Err(response) = form.check(&state.web, signed_in, &headers) {
        return response;
    }
    let text = lang.text();
    let reason = form.get("reason").trim();
    let needs_reason = matches!(
        step.as_str(),
        "reject" | "suspend" | "reinstate" | "withdraw"
    );
    if needs_reason && reason.is_empty() {
        return render_release(
            &state,
            &view,
            &name,
            None,
            Some((text.reason_required, &form)),
            StatusCode::BAD_REQUEST,
        )
        .await;
    }
    let registry = &state.registry;
    let done = match step.as_str() {
        "admit" => registry.admit(&name).await,
        "reject" => registry.reject(&name, vec![reason.to_owned()]).await,
        "start" => registry.start_review(&name).await,
        "decide" => {
            let manifest = match releases::by_name(&state.db, &name).await {
                Ok(Some(stored)) => stored.release.manifest().clone(),
                Ok(None) | Err(ListingError::Invalid(_)) => {
                    return layout::problem(&view, StatusCode::NOT_FOUND, text.no_such_release);
                }
                Err(error) => return super::unavailable(&error),
            };
            let verdicts = verdicts_of(&form, &manifest);
            registry
                .decide(&name, RequirementSet::builtin(), &verdicts)
                .await
        }
        "suspend" => registry.change(Change::Suspend, &name, reason).await,
        "reinstate" => registry.change(Change::Reinstate, &name, reason).await,
        "withdraw" => registry.change(Change::Withdraw, &name, reason).await,
        _ => return layout::problem(&view, StatusCode::NOT_FOUND, text.no_such_step),
    };
    match done {
        Ok(stored) => {
            tracing::info!(
                regulator = %layout::who(Lang::En, signed_in),
                step,
                release = %stored.name(),
                state = %stored.state,
                "registry step from the desk"
            );
            super::see_other(&view.link(&format!("{}?fait={step}", release_path(&stored))))
        }
        Err(ListingError::NoRelease(_)) => {
            layout::problem(&view, StatusCode::NOT_FOUND, text.no_such_release)
        }
        Err(error @ (ListingError::Db(_) | ListingError::File { .. })) => {
            super::unavailable(&error)
        }
        Err(error) => {
            let problem = format!("{}{error}", text.step_refused);
            render_release(
                &state,
                &view,
                &name,
                None,
                Some((&problem, &form)),
                StatusCode::BAD_REQUEST,
            )
            .await
        }
    }
}

/// `POST /bureau/signalements/{id}/classer`: closes a misuse alert with
/// the regulator's note.
pub async fn close_alert(
    State(state): State<ApiState>,
    visitor: Visitor,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = Posted::read(&body);
    let view = View::new(form.lang, visitor.signed_in(), Here::at("/bureau"));
    let signed_in = match regulator(&view) {
        Ok(signed_in) => signed_in,
        Err(response) => return response,
    };
    if let Err(response) = form.check(&state.web, signed_in, &headers) {
        return response;
    }
    let text = form.lang.text();
    let note = form.get("note").trim();
    if note.is_empty() {
        return layout::problem(&view, StatusCode::BAD_REQUEST, text.reason_required);
    }
    let by = layout::who(Lang::En, signed_in);
    match crate::audit::misuse::close(&state.db, &id, &by, note).await {
        Ok(true) => super::see_other(&view.link("/bureau?fait=close")),
        Ok(false) => layout::problem(&view, StatusCode::NOT_FOUND, text.no_such_alert),
        Err(error) => super::unavailable(&error),
    }
}

/// The interfaces a component imports, by name, read from its binary:
/// what it can ask of its host, whatever its manifest says.
pub fn declared_imports(bytes: &[u8]) -> Result<Vec<String>, String> {
    use wasmparser::{Parser, Payload};
    let mut imports = Vec::new();
    let mut depth = 0usize;
    for payload in Parser::new(0).parse_all(bytes) {
        match payload.map_err(|e| e.to_string())? {
            Payload::ModuleSection { .. } | Payload::ComponentSection { .. } => depth += 1,
            Payload::End(_) => depth = depth.saturating_sub(1),
            Payload::ComponentImportSection(reader) if depth == 0 => {
                for import in reader {
                    imports.push(import.map_err(|e| e.to_string())?.name.name.to_owned());
                }
            }
            _ => {}
        }
    }
    imports.sort();
    Ok(imports)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ReportQuery {
    lang: String,
    du: String,
    au: String,
}

/// `GET /bureau/rapport/{service}`: a component's accesses, per day and
/// call, its refusals and how many patients it reached.
pub async fn report(
    State(state): State<ApiState>,
    visitor: Visitor,
    Path(service): Path<String>,
    Query(query): Query<ReportQuery>,
) -> Response {
    let path = format!("/bureau/rapport/{service}");
    let here = Here {
        path: &path,
        query: vec![("du", &query.du), ("au", &query.au)],
    };
    let view = match desk_view(&visitor, here, &query.lang) {
        Ok((view, _)) => view,
        Err(response) => return response,
    };
    let lang = view.lang;
    let text = lang.text();
    let nonempty = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    let period = crate::audit::view::period(
        nonempty(&query.du).as_deref(),
        nonempty(&query.au).as_deref(),
        crate::model::now_millis(),
    );
    let form = html! {
        form.filters method="get" action=(path) {
            input type="hidden" name="lang" value=(lang.code());
            div { label for="du" { (text.from_day) } input id="du" name="du" type="date" value=(query.du); }
            div { label for="au" { (text.to_day) } input id="au" name="au" type="date" value=(query.au); }
            button type="submit" { (text.filter) }
        }
    };
    let (since, until) = match period {
        Ok(period) => period,
        Err(_) => {
            let main = html! {
                h1 { (text.report_title) " — " (service) }
                p.error role="alert" { (text.bad_period) }
                (form)
            };
            return (
                StatusCode::BAD_REQUEST,
                layout::page(&view, Section::Desk, text.report_title, main),
            )
                .into_response();
        }
    };
    let report = match crate::audit::view::component_report(&state.db, &service, since, until).await
    {
        Ok(report) => report,
        Err(error) => return super::unavailable(&error),
    };
    let main = html! {
        p { a href=(view.link("/bureau")) { (text.back_to_desk) } }
        h1 { (text.report_title) " — " (service) }
        (form)
        dl.facts {
            dt { (text.period) }
            dd { (text::day(lang, since)) " — " (text::day(lang, until - 1)) }
            dt { (text.calls) }
            dd { (report.calls) }
            dt { (text.refusals) }
            dd { (report.denied) }
            dt { (text.failures) }
            dd { (report.failed) }
            dt { (text.patients_reached) }
            dd { (report.patients) }
        }
        @if !report.denials.is_empty() {
            h2 { (text.refusal_reasons) }
            ul { @for (reason, count) in &report.denials { li { (reason) " : " (count) } } }
        }
        @if !report.days.is_empty() {
            (layout::table(&[text.day, text.call, text.calls, text.how_many, text.refusals, text.failures], html! {
                    @for line in &report.days {
                        tr {
                            td { (line.day) }
                            td { (line.call) }
                            td { (line.calls) }
                            td { (line.records) }
                            td { (line.denied) }
                            td { (line.failed) }
                        }
                    }
                }))
        }
    };
    layout::page(&view, Section::Desk, text.report_title, main).into_response()
}

/// `GET /bureau/journaux`: both logs verified now, from their first entry:
/// the registry's transparency log and the audit log.
pub async fn logs(
    State(state): State<ApiState>,
    visitor: Visitor,
    Query(query): Query<DeskQuery>,
) -> Response {
    let view = match desk_view(&visitor, Here::at("/bureau/journaux"), &query.lang) {
        Ok((view, _)) => view,
        Err(response) => return response,
    };
    let text = view.lang.text();
    let registry = crate::listing::log::verify(&state.db, &state.registry.keys().verifier(), None)
        .await
        .map(|report| (text.transparency_ok)(report.size));
    let audit = crate::audit::verify::verify(
        &state.db,
        &state.audit_log,
        crate::audit::verify::Check::default(),
    )
    .await;
    let checkpoint = audit
        .as_ref()
        .map(|report| report.checkpoint.clone())
        .unwrap_or_default();
    let audit =
        audit.map(|report| (text.audit_ok)(report.size, report.checkpoints, report.unsealed));
    let status = |result: &Result<String, String>| match result {
        Ok(fine) => html! { p.done role="status" { (fine) } },
        Err(fault) => html! { p.error role="alert" { (text.log_fault) (fault) } },
    };
    let main = html! {
        p { a href=(view.link("/bureau")) { (text.back_to_desk) } }
        h1 { (text.logs_title) }
        p { (text.logs_intro) }
        h2 { (text.transparency_log) }
        (status(&registry.map_err(|e| e.to_string())))
        h2 { (text.audit_log) }
        (status(&audit.map_err(|e| e.to_string())))
        @if !checkpoint.is_empty() {
            p { (text.latest_checkpoint) }
            pre { (checkpoint) }
        }
    };
    layout::page(&view, Section::Desk, text.logs_title, main).into_response()
}
