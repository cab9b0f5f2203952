//! What the pages say, in French and in English.

use officine_policy::scope::{Codes, Target};
use officine_policy::{DocumentCategory, MeasureKind, Op, Resource, Scope};
use officine_registry::{MedicalDevice, Purpose};

/// The language a page is shown in: French unless `?lang=en`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Fr,
    En,
}

impl Lang {
    /// The `lang` query parameter; `None` for a language the pages do not
    /// speak.
    pub fn parse(code: Option<&str>) -> Option<Lang> {
        match code {
            None | Some("" | "fr") => Some(Lang::Fr),
            Some("en") => Some(Lang::En),
            Some(_) => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Fr => "fr",
            Lang::En => "en",
        }
    }

    /// The other language, offered in every page's header.
    pub fn other(self) -> Lang {
        match self {
            Lang::Fr => Lang::En,
            Lang::En => Lang::Fr,
        }
    }

    pub fn text(self) -> &'static Text {
        match self {
            Lang::Fr => &FR,
            Lang::En => &EN,
        }
    }
}

/// Every fixed phrase of the pages, in one language.
pub struct Text {
    /// The language's own name, as the switch to it reads.
    pub name: &'static str,
    pub skip: &'static str,
    pub main_nav: &'static str,
    pub catalogue: &'static str,
    pub footer: &'static str,
    pub catalogue_title: &'static str,
    pub catalogue_intro: &'static str,
    pub search: &'static str,
    pub category: &'static str,
    pub purpose: &'static str,
    pub device: &'static str,
    pub any: &'static str,
    pub yes: &'static str,
    pub no: &'static str,
    pub filter: &'static str,
    pub editor: &'static str,
    pub data: &'static str,
    pub no_data: &'static str,
    pub found: fn(usize) -> String,
    pub bad_filter: &'static str,
    pub bad_lang: &'static str,
    pub requests: &'static str,
    pub why: &'static str,
    pub retention: &'static str,
    pub security: &'static str,
    pub recourse: &'static str,
    pub legal: &'static str,
    pub accessibility: &'static str,
    pub listing: &'static str,
    pub listed: fn(&str, &str) -> String,
    pub no_such_service: &'static str,
    pub back: &'static str,
    pub patient: &'static str,
    pub professional: &'static str,
    pub regulator: &'static str,
    pub my_services: &'static str,
    pub accesses: &'static str,
    pub sign_in: &'static str,
    pub sign_out: &'static str,
    pub problem_title: &'static str,
    pub sign_in_title: &'static str,
    pub no_provider: &'static str,
    pub demo_title: &'static str,
    pub demo_intro: &'static str,
    pub providers_intro: &'static str,
    pub form_expired: &'static str,
    pub sign_in_failed: &'static str,
    pub sign_in_expired: &'static str,
    pub wrong_population: &'static str,
    pub signed_in: &'static str,
    pub go_on: &'static str,
    pub consent_title: &'static str,
    pub sign_in_to_consent: &'static str,
    pub consent_scopes: &'static str,
    pub consent_until: &'static str,
    pub consent_give: &'static str,
    pub consent_bad_scope: &'static str,
    pub consent_no_scope: &'static str,
    pub consent_bad_until: &'static str,
    pub consent_refused: &'static str,
    pub patients_only: &'static str,
    pub no_space: &'static str,
    pub no_services: &'static str,
    pub see_catalogue: &'static str,
    pub ended_services: &'static str,
    pub open: &'static str,
    pub may: &'static str,
    pub until: &'static str,
    pub last_access: &'static str,
    pub never: &'static str,
    pub sheet: &'static str,
    pub change_consent: &'static str,
    pub revoke: &'static str,
    pub revoke_erase: &'static str,
    pub erase_confirm: &'static str,
    pub erase_unconfirmed: &'static str,
    pub no_grant: &'static str,
    pub accesses_intro: &'static str,
    pub when: &'static str,
    pub who: &'static str,
    pub what: &'static str,
    pub how_many: &'static str,
    pub outcome: &'static str,
    pub service: &'static str,
    pub from_day: &'static str,
    pub to_day: &'static str,
    pub by_you: &'static str,
    pub by_regulator: &'static str,
    pub by_platform: &'static str,
    pub allowed: &'static str,
    pub denied: &'static str,
    pub failed: &'static str,
    pub signed_in_as: fn(&str) -> String,
    pub consent_current: fn(&str) -> String,
    pub granted: fn(&str) -> String,
    pub revoked: fn(&str) -> String,
    pub erased: fn(&str) -> String,
    pub revoked_on: fn(&str) -> String,
    pub expired_on: fn(&str) -> String,
    pub events_found: fn(usize) -> String,
    pub by_component: fn(&str, &str) -> String,
    pub by_professional: fn(&str) -> String,
    pub regulators_only: &'static str,
    pub desk: &'static str,
    pub logs_title: &'static str,
    pub queue_waiting: &'static str,
    pub queue_served: &'static str,
    pub queue_decided: &'static str,
    pub none: &'static str,
    pub version: &'static str,
    pub state: &'static str,
    pub submitted_on: &'static str,
    pub no_such_release: &'static str,
    pub no_such_step: &'static str,
    pub reason: &'static str,
    pub back_to_desk: &'static str,
    pub component: &'static str,
    pub signature: &'static str,
    pub reasons: &'static str,
    pub report_title: &'static str,
    pub imports: &'static str,
    pub decision: &'static str,
    pub steps: &'static str,
    pub admit: &'static str,
    pub reject: &'static str,
    pub start_review: &'static str,
    pub suspend: &'static str,
    pub withdraw: &'static str,
    pub reinstate: &'static str,
    pub final_state: &'static str,
    pub requirement: &'static str,
    pub verdict: &'static str,
    pub note: &'static str,
    pub not_applicable: &'static str,
    pub met: &'static str,
    pub unmet: &'static str,
    pub not_assessed: &'static str,
    pub scenario: &'static str,
    pub proof_kind: &'static str,
    pub proof_ref: &'static str,
    pub decision_reasons: &'static str,
    pub decide: &'static str,
    pub reason_required: &'static str,
    pub step_refused: &'static str,
    pub bad_period: &'static str,
    pub period: &'static str,
    pub calls: &'static str,
    pub refusals: &'static str,
    pub failures: &'static str,
    pub patients_reached: &'static str,
    pub refusal_reasons: &'static str,
    pub day: &'static str,
    pub call: &'static str,
    pub logs_intro: &'static str,
    pub transparency_log: &'static str,
    pub audit_log: &'static str,
    pub log_fault: &'static str,
    pub signed_by: fn(&str) -> String,
    pub key_state: fn(&str) -> String,
    pub decided_against: fn(&str) -> String,
    pub checklist_intro: fn(&str) -> String,
    pub transparency_ok: fn(u64) -> String,
    pub audit_ok: fn(u64, u64, u64) -> String,
    pub latest_checkpoint: &'static str,
    pub no_such_document: &'static str,
    pub close_title: &'static str,
    pub space_closed: &'static str,
    pub close_intro: &'static str,
    pub close_grants: &'static str,
    pub close_delegations: &'static str,
    pub close_kept: &'static str,
    pub close_confirm: &'static str,
    pub close_unconfirmed: &'static str,
    pub export_all: &'static str,
    pub added: &'static str,
    pub bad_category: &'static str,
    pub document_incomplete: &'static str,
    pub message_incomplete: &'static str,
    pub add_document: &'static str,
    pub document_content: &'static str,
    pub open_thread: &'static str,
    pub message_subject: &'static str,
    pub message_body: &'static str,
    pub send: &'static str,
    pub reply: &'static str,
    pub reply_label: &'static str,
    pub no_such_thread: &'static str,
    pub reply_empty: &'static str,
    pub delegations_intro: &'static str,
    pub code_made: &'static str,
    pub new_delegation: &'static str,
    pub delegated_sections: &'static str,
    pub delegation_rpps: &'static str,
    pub delegation_duration: &'static str,
    pub make_code: &'static str,
    pub your_delegations: &'static str,
    pub first_to_enter: &'static str,
    pub revoked_state: &'static str,
    pub expired_state: &'static str,
    pub in_force: &'static str,
    pub revoke_delegation: &'static str,
    pub blocks: &'static str,
    pub blocks_intro: &'static str,
    pub block_rpps: &'static str,
    pub block: &'static str,
    pub unblock: &'static str,
    pub bad_section: &'static str,
    pub no_section: &'static str,
    pub bad_rpps: &'static str,
    pub bad_duration: &'static str,
    pub duration: fn(i64) -> String,
    pub professionals_only: &'static str,
    pub pro_title: &'static str,
    pub code_label: &'static str,
    pub code_enter: &'static str,
    pub pro_held: &'static str,
    pub code_too_many: &'static str,
    pub code_unknown: &'static str,
    pub code_refused: &'static str,
    pub no_such_section: &'static str,
    pub no_such_delegation: &'static str,
    pub pro_back: &'static str,
    pub delegations: &'static str,
    pub patient_space: fn(&str) -> String,
    pub delegated_until: fn(&str) -> String,
    pub signed_release: &'static str,
    pub alerts: &'static str,
    pub alert_note: &'static str,
    pub close_alert: &'static str,
    pub no_such_alert: &'static str,
    pub alert_window: fn(&str, &str) -> String,
    pub my_data: &'static str,
    pub my_measures: &'static str,
    pub my_agenda: &'static str,
    pub my_documents: &'static str,
    pub my_messages: &'static str,
    pub a_professional: &'static str,
    pub measure: &'static str,
    pub value: &'static str,
    pub written_by: &'static str,
    pub place: &'static str,
    pub document_title: &'static str,
    pub doc_category: &'static str,
    pub author: &'static str,
    pub rows_shown: fn(usize) -> String,
    pub sent_by: fn(&str, &str) -> String,
}

static FR: Text = Text {
    name: "Français",
    skip: "Aller au contenu",
    main_nav: "Navigation principale",
    catalogue: "Catalogue",
    footer: "Officine — les services connectés à votre espace santé, avec votre accord.",
    catalogue_title: "Catalogue des services",
    catalogue_intro: "Les services référencés que vous pouvez connecter à votre espace santé. \
                      Aucun ne voit vos données sans votre accord, donnée par donnée.",
    search: "Rechercher",
    category: "Données utilisées",
    purpose: "Finalité",
    device: "Dispositif médical",
    any: "Tous",
    yes: "Oui",
    no: "Non",
    filter: "Filtrer",
    editor: "Éditeur",
    data: "Données demandées",
    no_data: "Aucune de vos données de santé",
    found: |n| match n {
        0 => "Aucun service ne correspond.".to_owned(),
        1 => "1 service.".to_owned(),
        n => format!("{n} services."),
    },
    bad_filter: "Ce filtre n'existe pas : choisissez une valeur dans la liste.",
    bad_lang: "Langue inconnue : fr ou en.",
    requests: "Ce que le service demande",
    why: "Pourquoi : ",
    retention: "Conservation de vos données",
    security: "Mesures de sécurité",
    recourse: "Vos recours",
    legal: "Textes applicables",
    accessibility: "Accessibilité",
    listing: "Référencement",
    listed: |day, set| format!("Référencé le {day}, au regard de {set}"),
    no_such_service: "Aucun service référencé ne porte ce nom.",
    back: "Retour au catalogue",
    patient: "Patient·e",
    professional: "Professionnel·le de santé",
    regulator: "Régulateur",
    my_services: "Mes services",
    accesses: "Accès à mes données",
    sign_in: "Se connecter",
    sign_out: "Se déconnecter",
    problem_title: "Une erreur est survenue",
    sign_in_title: "Connexion",
    no_provider: "Aucun fournisseur d'identité n'est configuré sur cette plateforme.",
    demo_title: "Identités de démonstration",
    demo_intro: "Mode développement : choisissez une identité. Elles n'existent que sur cette machine, et la connexion passe par le fournisseur d'identité intégré.",
    providers_intro: "Connectez-vous avec :",
    form_expired: "Ce formulaire a expiré ou ne vient pas de cette page : rechargez la page et recommencez.",
    sign_in_failed: "La connexion n'a pas abouti : ",
    sign_in_expired: "cette connexion a expiré ou a déjà servi ; recommencez depuis la page de connexion.",
    wrong_population: "ce fournisseur n'a pas confirmé l'identité attendue.",
    signed_in: "Vous êtes connecté·e",
    go_on: "Continuer",
    consent_title: "Connecter ce service",
    sign_in_to_consent: "Connectez-vous pour connecter ce service à votre espace santé",
    consent_scopes: "Ce que vous autorisez (décochez ce que vous refusez)",
    consent_until: "Jusqu'au (inclus)",
    consent_give: "Donner mon accord",
    consent_bad_scope: "Une des autorisations envoyées n'existe pas : rechargez la page.",
    consent_no_scope: "Cochez au moins une autorisation, ou ne connectez pas ce service.",
    consent_bad_until: "Choisissez une date de fin entre aujourd'hui et dans cinq ans.",
    consent_refused: "Cet accord n'a pas pu être enregistré : ",
    patients_only: "Cette page est réservée aux patient·es.",
    no_space: "Votre espace santé n'est pas ouvert sur cette plateforme.",
    no_services: "Vous n'avez connecté aucun service.",
    see_catalogue: "Parcourir le catalogue",
    ended_services: "Services déconnectés",
    open: "Ouvrir",
    may: "Peut",
    until: "Jusqu'au",
    last_access: "Dernier accès à vos données",
    never: "Jamais",
    sheet: "Fiche",
    change_consent: "Voir la fiche et modifier mon accord",
    revoke: "Retirer mon accord",
    revoke_erase: "Retirer mon accord et effacer ses données",
    erase_confirm: "Je comprends que les notes de ce service à mon sujet seront effacées",
    erase_unconfirmed: "Cochez la case pour confirmer l'effacement : rien n'a été changé.",
    no_grant: "Ce service n'a plus d'accord à retirer : rien n'a été changé.",
    accesses_intro: "Chaque lecture ou modification de vos données, par un service, un professionnel, vous-même ou une autorité, est enregistrée dans un journal infalsifiable. Aucune valeur de santé n'y figure.",
    when: "Quand (UTC)",
    who: "Qui",
    what: "Quoi",
    how_many: "Éléments",
    outcome: "Résultat",
    service: "Service",
    from_day: "Du",
    to_day: "Au (inclus)",
    by_you: "Vous",
    by_regulator: "Une autorité de contrôle",
    by_platform: "La plateforme",
    allowed: "Autorisé",
    denied: "Refusé : ",
    failed: "Non effectué : ",
    signed_in_as: |who| format!("Vous êtes connecté·e : {who}."),
    consent_current: |day| {
        format!(
            "Vous avez connecté ce service jusqu'au {day} : vous pouvez changer votre accord ci-dessous."
        )
    },
    granted: |name| format!("Votre accord à {name} est enregistré."),
    revoked: |name| format!("Votre accord à {name} est retiré : il n'accède plus à vos données."),
    erased: |name| {
        format!("Votre accord à {name} est retiré et ses notes à votre sujet sont effacées.")
    },
    revoked_on: |day| format!("accord retiré le {day}"),
    expired_on: |day| format!("accord arrivé à échéance le {day}"),
    events_found: |n| match n {
        0 => "Aucun accès enregistré.".to_owned(),
        1 => "1 accès.".to_owned(),
        n => format!("{n} accès."),
    },
    by_component: |name, digest| format!("{name} (composant {digest}…)"),
    by_professional: |rpps| format!("Professionnel·le de santé (RPPS {rpps})"),
    regulators_only: "Cette page est réservée aux régulateurs.",
    desk: "Bureau du régulateur",
    logs_title: "Vérification des journaux",
    queue_waiting: "À examiner",
    queue_served: "Référencés ou suspendus",
    queue_decided: "Décisions closes",
    none: "Aucun.",
    version: "Version",
    state: "État",
    submitted_on: "Soumis le",
    no_such_release: "Aucune version soumise ne porte ce nom.",
    no_such_step: "Cette étape n'existe pas.",
    reason: "Motif (publié)",
    back_to_desk: "Retour au bureau",
    component: "Composant (SHA-256)",
    signature: "Signature",
    reasons: "Motifs",
    report_title: "Rapport d'accès du composant",
    imports: "Ce que le composant importe réellement",
    decision: "Décision publiée",
    steps: "Étapes possibles",
    admit: "Déclarer recevable",
    reject: "Déclarer irrecevable",
    start_review: "Commencer l'examen",
    suspend: "Suspendre",
    withdraw: "Retirer du catalogue (définitif)",
    reinstate: "Rétablir",
    final_state: "Cette décision est définitive.",
    requirement: "Exigence",
    verdict: "Verdict",
    note: "Note",
    not_applicable: "Non applicable",
    met: "Satisfaite",
    unmet: "Non satisfaite",
    not_assessed: "Non évaluée",
    scenario: "Vérification : ",
    proof_kind: "Type de preuve",
    proof_ref: "Référence de la preuve (lien ou document)",
    decision_reasons: "Commentaires publiés (un par ligne)",
    decide: "Décider",
    reason_required: "Un motif est requis : rien n'a été changé.",
    step_refused: "Étape refusée, rien n'a été changé : ",
    bad_period: "Période invalide : des dates AAAA-MM-JJ, la première avant la dernière.",
    period: "Période (UTC)",
    calls: "Appels",
    refusals: "Refus",
    failures: "Échecs",
    patients_reached: "Patients concernés",
    refusal_reasons: "Motifs de refus",
    day: "Jour",
    call: "Appel",
    logs_intro: "Chaque journal est recalculé depuis sa première entrée et chaque point de contrôle signé est vérifié ; une ligne modifiée, insérée ou supprimée est signalée avec sa position.",
    transparency_log: "Journal de transparence du registre",
    audit_log: "Journal d'audit des accès",
    log_fault: "Anomalie : ",
    signed_by: |signer| format!("vérifiée à la soumission ; signataire {signer}"),
    key_state: |state| format!("clé {state}"),
    decided_against: |set| format!("Au regard de {set}."),
    checklist_intro: |set| {
        format!(
            "Exigences de {set} applicables à ce service. Une exigence satisfaite demande une preuve ; une exigence non satisfaite, une note."
        )
    },
    transparency_ok: |n| format!("Intègre : {n} entrées, chaque point de contrôle vérifié."),
    audit_ok: |n, checkpoints, unsealed| {
        format!(
            "Intègre : {n} événements ; points de contrôle signés vérifiés : {checkpoints} ; en attente du prochain scellement : {unsealed}."
        )
    },
    latest_checkpoint: "Dernier point de contrôle signé, à conserver pour vérifier plus tard que le journal n'a fait que croître (officine audit verify --since) :",
    no_such_document: "Aucun document de votre dossier ne porte cet identifiant.",
    close_title: "Fermer mon espace santé",
    space_closed: "Votre espace est fermé : plus aucun service ni professionnel n'accède à vos données.",
    close_intro: "Fermer votre espace (vous opposer à son usage) est possible à tout moment. Dès la fermeture :",
    close_grants: "chaque accord donné à un service prend fin, et aucun nouveau ne peut être donné ;",
    close_delegations: "chaque délégation à un professionnel prend fin, et plus aucun professionnel n'accède à vos données ;",
    close_kept: "ce que la loi impose de conserver l'est : le journal des accès à vos données, pour la traçabilité. Téléchargez d'abord vos données si vous souhaitez les garder.",
    close_confirm: "Je comprends que plus aucun service ni professionnel n'accédera à mes données",
    close_unconfirmed: "Cochez la case pour confirmer la fermeture : rien n'a été changé.",
    export_all: "Télécharger toutes mes données (fichier FHIR : mesures, agenda, documents, messages, accords et historique des accès)",
    added: "Ajouté au dossier du patient, et inscrit dans son journal d'accès.",
    bad_category: "Choisissez une catégorie de la liste : celles que votre profession consulte.",
    document_incomplete: "Un document a un titre (200 caractères au plus) et un contenu.",
    message_incomplete: "Un message a un objet (200 caractères au plus) et un texte.",
    add_document: "Ajouter un document au dossier",
    document_content: "Contenu (texte)",
    open_thread: "Ouvrir une conversation avec le patient",
    message_subject: "Objet",
    message_body: "Message",
    send: "Envoyer",
    reply: "Répondre",
    reply_label: "Votre réponse",
    no_such_thread: "Vous ne pouvez répondre qu'à une conversation ouverte par un professionnel de santé.",
    reply_empty: "Écrivez votre réponse avant de l'envoyer.",
    delegations_intro: "Donnez à un professionnel de santé un accès temporaire à certaines rubriques de votre espace, par un code à lui remettre. Vous pouvez retirer une délégation à tout moment ; chaque accès figure dans « Accès à mes données ».",
    code_made: "Voici le code à remettre au professionnel. Il ne sera plus jamais affiché :",
    new_delegation: "Nouvelle délégation",
    delegated_sections: "Rubriques ouvertes",
    delegation_rpps: "Numéro RPPS du professionnel (facultatif : sinon, le premier qui saisit le code)",
    delegation_duration: "Durée",
    make_code: "Créer le code",
    your_delegations: "Vos délégations",
    first_to_enter: "Le premier professionnel qui saisit le code",
    revoked_state: "Retirée",
    expired_state: "Échue",
    in_force: "En cours",
    revoke_delegation: "Retirer",
    blocks: "Professionnels bloqués",
    blocks_intro: "Un professionnel bloqué n'accède à rien de votre espace, quelle que soit sa profession ou une délégation.",
    block_rpps: "Numéro RPPS à bloquer",
    block: "Bloquer",
    unblock: "Débloquer",
    bad_section: "Une rubrique envoyée n'existe pas : rechargez la page.",
    no_section: "Cochez au moins une rubrique.",
    bad_rpps: "Un numéro RPPS compte 11 chiffres.",
    bad_duration: "Choisissez une durée dans la liste.",
    duration: |hours| {
        if hours < 48 {
            format!("{hours} heures")
        } else {
            format!("{} jours", hours / 24)
        }
    },
    professionals_only: "Cette page est réservée aux professionnels de santé.",
    pro_title: "Espace professionnel",
    code_label: "Code de délégation remis par le patient",
    code_enter: "Ouvrir",
    pro_held: "Accès délégués en cours",
    code_too_many: "Trop de codes erronés : réessayez dans un quart d'heure.",
    code_unknown: "Ce code ne correspond à aucune délégation.",
    code_refused: "Accès refusé : ",
    no_such_section: "Cette rubrique n'existe pas.",
    no_such_delegation: "Aucune délégation en votre nom ne porte cet identifiant.",
    pro_back: "Retour à l'espace professionnel",
    delegations: "Délégations",
    patient_space: |patient| format!("Espace de santé du patient {patient}"),
    delegated_until: |until| format!("Accès délégué jusqu'au {until} (UTC)."),
    signed_release: "La version signée par l'éditeur (JSON canonique : manifeste et empreinte du composant)",
    alerts: "Signalements ouverts",
    alert_note: "Suite donnée (publiée dans le journal)",
    close_alert: "Classer le signalement",
    no_such_alert: "Aucun signalement ouvert ne porte cet identifiant.",
    alert_window: |from, to| format!("Du {from} au {to} (UTC)."),
    my_data: "Mes données",
    my_measures: "Mesures",
    my_agenda: "Agenda",
    my_documents: "Documents du dossier médical",
    my_messages: "Messages",
    a_professional: "Un professionnel de santé",
    measure: "Mesure",
    value: "Valeur",
    written_by: "Saisie par",
    place: "Lieu",
    document_title: "Titre",
    doc_category: "Catégorie",
    author: "Auteur",
    rows_shown: |n| match n {
        0 => "Rien pour l'instant.".to_owned(),
        1 => "1 élément.".to_owned(),
        n => format!("{n} éléments, les plus récents d'abord."),
    },
    sent_by: |sender, when| format!("De {sender}, le {when}"),
};

static EN: Text = Text {
    name: "English",
    skip: "Skip to content",
    main_nav: "Main navigation",
    catalogue: "Catalogue",
    footer: "Officine — services connected to your health space, with your consent.",
    catalogue_title: "Service catalogue",
    catalogue_intro: "The listed services you can connect to your health space. \
                      None sees your data without your consent, item by item.",
    search: "Search",
    category: "Data used",
    purpose: "Purpose",
    device: "Medical device",
    any: "All",
    yes: "Yes",
    no: "No",
    filter: "Filter",
    editor: "Editor",
    data: "Data requested",
    no_data: "None of your health data",
    found: |n| match n {
        0 => "No service matches.".to_owned(),
        1 => "1 service.".to_owned(),
        n => format!("{n} services."),
    },
    bad_filter: "This filter does not exist: pick a value from the list.",
    bad_lang: "Unknown language: fr or en.",
    requests: "What the service asks for",
    why: "Why: ",
    retention: "How long your data is kept",
    security: "Security measures",
    recourse: "Your recourse",
    legal: "Applicable texts",
    accessibility: "Accessibility",
    listing: "Listing",
    listed: |day, set| format!("Listed on {day}, against {set}"),
    no_such_service: "No listed service has this name.",
    back: "Back to the catalogue",
    patient: "Patient",
    professional: "Health professional",
    regulator: "Regulator",
    my_services: "My services",
    accesses: "Access to my data",
    sign_in: "Sign in",
    sign_out: "Sign out",
    problem_title: "Something went wrong",
    sign_in_title: "Sign in",
    no_provider: "No identity provider is configured on this platform.",
    demo_title: "Demonstration identities",
    demo_intro: "Development mode: pick an identity. They exist on this machine only, and signing in goes through the built-in identity provider.",
    providers_intro: "Sign in with:",
    form_expired: "This form has expired or did not come from this page: reload the page and try again.",
    sign_in_failed: "Signing in failed: ",
    sign_in_expired: "this sign-in has expired or was already used; start again from the sign-in page.",
    wrong_population: "this provider did not confirm the expected identity.",
    signed_in: "You are signed in",
    go_on: "Continue",
    consent_title: "Connect this service",
    sign_in_to_consent: "Sign in to connect this service to your health space",
    consent_scopes: "What you allow (untick what you refuse)",
    consent_until: "Until (included)",
    consent_give: "Give my consent",
    consent_bad_scope: "One of the permissions sent does not exist: reload the page.",
    consent_no_scope: "Tick at least one permission, or do not connect this service.",
    consent_bad_until: "Choose an end date between today and five years from now.",
    consent_refused: "This consent could not be recorded: ",
    patients_only: "This page is for patients.",
    no_space: "Your health space is not open on this platform.",
    no_services: "You have not connected any service.",
    see_catalogue: "Browse the catalogue",
    ended_services: "Disconnected services",
    open: "Open",
    may: "May",
    until: "Until",
    last_access: "Last access to your data",
    never: "Never",
    sheet: "Sheet",
    change_consent: "See the sheet and change my consent",
    revoke: "Withdraw my consent",
    revoke_erase: "Withdraw my consent and erase its data",
    erase_confirm: "I understand this service's notes about me will be erased",
    erase_unconfirmed: "Tick the box to confirm the erasure: nothing was changed.",
    no_grant: "This service has no consent left to withdraw: nothing was changed.",
    accesses_intro: "Every read or change of your data, by a service, a professional, yourself or an authority, is recorded in a tamper-evident log. No health value is in it.",
    when: "When (UTC)",
    who: "Who",
    what: "What",
    how_many: "Items",
    outcome: "Outcome",
    service: "Service",
    from_day: "From",
    to_day: "To (included)",
    by_you: "You",
    by_regulator: "A supervisory authority",
    by_platform: "The platform",
    allowed: "Allowed",
    denied: "Refused: ",
    failed: "Not carried out: ",
    signed_in_as: |who| format!("You are signed in: {who}."),
    consent_current: |day| {
        format!("You connected this service until {day}: you can change your consent below.")
    },
    granted: |name| format!("Your consent to {name} is recorded."),
    revoked: |name| format!("Your consent to {name} is withdrawn: it no longer reaches your data."),
    erased: |name| {
        format!("Your consent to {name} is withdrawn and its notes about you are erased.")
    },
    revoked_on: |day| format!("consent withdrawn on {day}"),
    expired_on: |day| format!("consent ended on {day}"),
    events_found: |n| match n {
        0 => "No access recorded.".to_owned(),
        1 => "1 access.".to_owned(),
        n => format!("{n} accesses."),
    },
    by_component: |name, digest| format!("{name} (component {digest}…)"),
    by_professional: |rpps| format!("Health professional (RPPS {rpps})"),
    regulators_only: "This page is for regulators.",
    desk: "Regulator's desk",
    logs_title: "Logs verification",
    queue_waiting: "Waiting for review",
    queue_served: "Listed or suspended",
    queue_decided: "Closed decisions",
    none: "None.",
    version: "Version",
    state: "State",
    submitted_on: "Submitted on",
    no_such_release: "No submitted release has this name.",
    no_such_step: "This step does not exist.",
    reason: "Reason (published)",
    back_to_desk: "Back to the desk",
    component: "Component (SHA-256)",
    signature: "Signature",
    reasons: "Reasons",
    report_title: "Component access report",
    imports: "What the component actually imports",
    decision: "Published decision",
    steps: "Possible steps",
    admit: "Declare admissible",
    reject: "Declare inadmissible",
    start_review: "Start the review",
    suspend: "Suspend",
    withdraw: "Withdraw from the catalogue (final)",
    reinstate: "Reinstate",
    final_state: "This decision is final.",
    requirement: "Requirement",
    verdict: "Verdict",
    note: "Note",
    not_applicable: "Not applicable",
    met: "Met",
    unmet: "Not met",
    not_assessed: "Not assessed",
    scenario: "How to verify: ",
    proof_kind: "Kind of proof",
    proof_ref: "Proof reference (link or document)",
    decision_reasons: "Published comments (one per line)",
    decide: "Decide",
    reason_required: "A reason is required: nothing was changed.",
    step_refused: "Step refused, nothing was changed: ",
    bad_period: "Invalid period: YYYY-MM-DD dates, the first before the last.",
    period: "Period (UTC)",
    calls: "Calls",
    refusals: "Refusals",
    failures: "Failures",
    patients_reached: "Patients reached",
    refusal_reasons: "Refusal reasons",
    day: "Day",
    call: "Call",
    logs_intro: "Each log is recomputed from its first entry and every signed checkpoint is checked; a changed, inserted or deleted row is reported with its position.",
    transparency_log: "The registry's transparency log",
    audit_log: "The access audit log",
    log_fault: "Fault: ",
    signed_by: |signer| format!("verified on submission; signed by {signer}"),
    key_state: |state| format!("key {state}"),
    decided_against: |set| format!("Against {set}."),
    checklist_intro: |set| {
        format!(
            "Requirements of {set} that apply to this service. A met requirement needs a proof; an unmet one, a note."
        )
    },
    transparency_ok: |n| format!("Intact: {n} entries, every checkpoint verified."),
    audit_ok: |n, checkpoints, unsealed| {
        format!(
            "Intact: {n} events; signed checkpoints verified: {checkpoints}; waiting for the next seal: {unsealed}."
        )
    },
    latest_checkpoint: "The latest signed checkpoint, to keep and check later that the log only grew (officine audit verify --since):",
    no_such_document: "No document of your record has this id.",
    close_title: "Close my health space",
    space_closed: "Your space is closed: no service or professional reaches your data any more.",
    close_intro: "You may close your space (object to its use) at any time. From the closure on:",
    close_grants: "every consent given to a service ends, and no new one can be given;",
    close_delegations: "every delegation to a professional ends, and no professional reaches your data any more;",
    close_kept: "what the law requires to keep is kept: the log of accesses to your data, for accountability. Download your data first if you wish to keep it.",
    close_confirm: "I understand no service or professional will reach my data any more",
    close_unconfirmed: "Tick the box to confirm the closure: nothing was changed.",
    export_all: "Download all my data (a FHIR file: measures, agenda, documents, messages, consents and access history)",
    added: "Added to the patient's record, and entered in their access log.",
    bad_category: "Pick a category from the list: those your profession reads.",
    document_incomplete: "A document has a title (200 characters at most) and content.",
    message_incomplete: "A message has a subject (200 characters at most) and a text.",
    add_document: "Add a document to the record",
    document_content: "Content (text)",
    open_thread: "Open a conversation with the patient",
    message_subject: "Subject",
    message_body: "Message",
    send: "Send",
    reply: "Reply",
    reply_label: "Your answer",
    no_such_thread: "You can only answer a conversation a health professional opened.",
    reply_empty: "Write your answer before sending it.",
    delegations_intro: "Give a health professional temporary access to some sections of your space, with a code to hand them. You can withdraw a delegation at any time; every access is listed in “Access to my data”.",
    code_made: "Here is the code to give the professional. It will never be shown again:",
    new_delegation: "New delegation",
    delegated_sections: "Sections opened",
    delegation_rpps: "The professional's RPPS number (optional: otherwise, the first to enter the code)",
    delegation_duration: "Duration",
    make_code: "Make the code",
    your_delegations: "Your delegations",
    first_to_enter: "The first professional to enter the code",
    revoked_state: "Withdrawn",
    expired_state: "Ended",
    in_force: "In force",
    revoke_delegation: "Withdraw",
    blocks: "Blocked professionals",
    blocks_intro: "A blocked professional reaches nothing of your space, whatever their profession or any delegation.",
    block_rpps: "RPPS number to block",
    block: "Block",
    unblock: "Unblock",
    bad_section: "A section sent does not exist: reload the page.",
    no_section: "Tick at least one section.",
    bad_rpps: "An RPPS number has 11 digits.",
    bad_duration: "Pick a duration from the list.",
    duration: |hours| {
        if hours < 48 {
            format!("{hours} hours")
        } else {
            format!("{} days", hours / 24)
        }
    },
    professionals_only: "This page is for health professionals.",
    pro_title: "Professional space",
    code_label: "Delegation code the patient gave you",
    code_enter: "Open",
    pro_held: "Delegated access in force",
    code_too_many: "Too many wrong codes: try again in a quarter of an hour.",
    code_unknown: "This code matches no delegation.",
    code_refused: "Access refused: ",
    no_such_section: "This section does not exist.",
    no_such_delegation: "No delegation in your name has this id.",
    pro_back: "Back to the professional space",
    delegations: "Delegations",
    patient_space: |patient| format!("Health space of patient {patient}"),
    delegated_until: |until| format!("Delegated access until {until} (UTC)."),
    signed_release: "The release the editor signed (canonical JSON: manifest and component digest)",
    alerts: "Open alerts",
    alert_note: "What was done (kept on record)",
    close_alert: "Close the alert",
    no_such_alert: "No open alert has this id.",
    alert_window: |from, to| format!("From {from} to {to} (UTC)."),
    my_data: "My data",
    my_measures: "Measures",
    my_agenda: "Agenda",
    my_documents: "Medical record documents",
    my_messages: "Messages",
    a_professional: "A health professional",
    measure: "Measure",
    value: "Value",
    written_by: "Entered by",
    place: "Place",
    document_title: "Title",
    doc_category: "Category",
    author: "Author",
    rows_shown: |n| match n {
        0 => "Nothing yet.".to_owned(),
        1 => "1 item.".to_owned(),
        n => format!("{n} items, newest first."),
    },
    sent_by: |sender, when| format!("From {sender}, {when}"),
};

/// A purpose, in plain words.
pub fn purpose(lang: Lang, purpose: Purpose) -> &'static str {
    match (lang, purpose) {
        (Lang::Fr, Purpose::Prevention) => "Prévention",
        (Lang::Fr, Purpose::Diagnosis) => "Diagnostic",
        (Lang::Fr, Purpose::Care) => "Soins",
        (Lang::Fr, Purpose::SocialFollowUp) => "Suivi social ou médico-social",
        (Lang::En, Purpose::Prevention) => "Prevention",
        (Lang::En, Purpose::Diagnosis) => "Diagnosis",
        (Lang::En, Purpose::Care) => "Care",
        (Lang::En, Purpose::SocialFollowUp) => "Social or medico-social follow-up",
    }
}

/// A medical-device status, in plain words.
pub fn device(lang: Lang, device: MedicalDevice) -> &'static str {
    match (lang, device) {
        (Lang::Fr, MedicalDevice::None) => "Non",
        (Lang::Fr, MedicalDevice::ClassI) => "Oui, classe I",
        (Lang::Fr, MedicalDevice::ClassIIa) => "Oui, classe IIa",
        (Lang::Fr, MedicalDevice::ClassIIb) => "Oui, classe IIb",
        (Lang::Fr, MedicalDevice::ClassIII) => "Oui, classe III",
        (Lang::En, MedicalDevice::None) => "No",
        (Lang::En, MedicalDevice::ClassI) => "Yes, class I",
        (Lang::En, MedicalDevice::ClassIIa) => "Yes, class IIa",
        (Lang::En, MedicalDevice::ClassIIb) => "Yes, class IIb",
        (Lang::En, MedicalDevice::ClassIII) => "Yes, class III",
    }
}

/// A category of the patient's data, in plain words.
pub fn category(lang: Lang, resource: Resource) -> &'static str {
    match (lang, resource) {
        (Lang::Fr, Resource::Observation) => "Mesures de santé",
        (Lang::Fr, Resource::Appointment) => "Agenda",
        (Lang::Fr, Resource::DocumentReference) => "Documents du dossier médical",
        (Lang::Fr, Resource::Communication) => "Messagerie",
        (Lang::En, Resource::Observation) => "Health measures",
        (Lang::En, Resource::Appointment) => "Agenda",
        (Lang::En, Resource::DocumentReference) => "Medical record documents",
        (Lang::En, Resource::Communication) => "Messages",
    }
}

/// A category's name in URLs.
pub fn category_code(resource: Resource) -> &'static str {
    match resource {
        Resource::Observation => "measures",
        Resource::Appointment => "agenda",
        Resource::DocumentReference => "documents",
        Resource::Communication => "messages",
    }
}

/// What a scope lets a service do, in plain words: what it may do, then
/// with what, e.g. « Voir : vos mesures (poids) ».
pub fn scope(lang: Lang, scope: &Scope) -> String {
    let Scope::Resource(scope) = scope else {
        return match lang {
            Lang::Fr => {
                "Garder ses propres notes à votre sujet, dans un espace réservé à ce service"
            }
            Lang::En => "Keep its own notes about you, in a space only this service uses",
        }
        .to_owned();
    };
    let mut verbs: Vec<&str> = Vec::new();
    for op in scope.ops().iter() {
        let verb = match (lang, op) {
            (Lang::Fr, Op::Read | Op::Search) => "voir",
            (Lang::Fr, Op::Create) => "ajouter",
            (Lang::Fr, Op::Update) => "modifier",
            (Lang::Fr, Op::Delete) => "supprimer",
            (Lang::En, Op::Read | Op::Search) => "see",
            (Lang::En, Op::Create) => "add",
            (Lang::En, Op::Update) => "change",
            (Lang::En, Op::Delete) => "remove",
        };
        if !verbs.contains(&verb) {
            verbs.push(verb);
        }
    }
    let and = match lang {
        Lang::Fr => " et ",
        Lang::En => " and ",
    };
    let verbs = match verbs.split_last() {
        Some((last, [])) => (*last).to_owned(),
        Some((last, rest)) => format!("{}{and}{last}", rest.join(", ")),
        None => String::new(),
    };
    let object = match (lang, scope.target()) {
        (Lang::Fr, Target::Observation(Codes::Any)) => "toutes vos mesures de santé".to_owned(),
        (Lang::En, Target::Observation(Codes::Any)) => "all your health measures".to_owned(),
        (_, Target::Observation(Codes::Only(kinds))) => {
            let kinds: Vec<&str> = kinds.iter().map(|kind| measure(lang, kind)).collect();
            match lang {
                Lang::Fr => format!("vos mesures ({})", kinds.join(", ")),
                Lang::En => format!("your measures ({})", kinds.join(", ")),
            }
        }
        (Lang::Fr, Target::Appointment) => "votre agenda".to_owned(),
        (Lang::En, Target::Appointment) => "your agenda".to_owned(),
        (Lang::Fr, Target::DocumentReference(Codes::Any)) => {
            "tous les documents de votre dossier médical".to_owned()
        }
        (Lang::En, Target::DocumentReference(Codes::Any)) => {
            "every document of your medical record".to_owned()
        }
        (_, Target::DocumentReference(Codes::Only(categories))) => {
            let categories: Vec<&str> = categories
                .iter()
                .map(|category| document(lang, category))
                .collect();
            match lang {
                Lang::Fr => format!("vos documents ({})", categories.join(", ")),
                Lang::En => format!("your documents ({})", categories.join(", ")),
            }
        }
        (Lang::Fr, Target::Communication) => "vos messages".to_owned(),
        (Lang::En, Target::Communication) => "your messages".to_owned(),
    };
    let mut words = capitalized(&verbs);
    words.push_str(match lang {
        Lang::Fr => " : ",
        Lang::En => ": ",
    });
    words.push_str(&object);
    if let Some(since) = scope.since() {
        words.push_str(&match lang {
            Lang::Fr => format!(
                ", depuis le {}",
                since.date().format(&FR_DATE).unwrap_or_default()
            ),
            Lang::En => format!(", since {since}"),
        });
    }
    words
}

const FR_DATE: &[time::format_description::BorrowedFormatItem<'_>] =
    time::macros::format_description!("[day]/[month]/[year]");

/// A day, as the pages write it.
pub fn day(lang: Lang, millis: i64) -> String {
    let Ok(at) = time::OffsetDateTime::from_unix_timestamp(millis.div_euclid(1000)) else {
        return String::new();
    };
    match lang {
        Lang::Fr => at.date().format(&FR_DATE).unwrap_or_default(),
        Lang::En => at.date().to_string(),
    }
}

const FR_TIME: &[time::format_description::BorrowedFormatItem<'_>] =
    time::macros::format_description!("[day]/[month]/[year] [hour]:[minute]:[second]");
const EN_TIME: &[time::format_description::BorrowedFormatItem<'_>] =
    time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");

/// A release's state in the listing workflow, in plain words.
pub fn step(lang: Lang, state: officine_registry::review::State) -> &'static str {
    use officine_registry::review::State;
    match (lang, state) {
        (Lang::Fr, State::Submitted) => "Soumis",
        (Lang::Fr, State::Admissible) => "Recevable",
        (Lang::Fr, State::Inadmissible) => "Irrecevable",
        (Lang::Fr, State::InReview) => "En examen",
        (Lang::Fr, State::Listed) => "Référencé",
        (Lang::Fr, State::Refused) => "Refusé",
        (Lang::Fr, State::Suspended) => "Suspendu",
        (Lang::Fr, State::Withdrawn) => "Retiré",
        (Lang::En, State::Submitted) => "Submitted",
        (Lang::En, State::Admissible) => "Admissible",
        (Lang::En, State::Inadmissible) => "Inadmissible",
        (Lang::En, State::InReview) => "In review",
        (Lang::En, State::Listed) => "Listed",
        (Lang::En, State::Refused) => "Refused",
        (Lang::En, State::Suspended) => "Suspended",
        (Lang::En, State::Withdrawn) => "Withdrawn",
    }
}

/// A misuse rule, in plain words.
pub fn rule(lang: Lang, rule: crate::audit::misuse::Rule) -> &'static str {
    use crate::audit::misuse::Rule;
    match (lang, rule) {
        (Lang::Fr, Rule::Probing) => "Refus répétés (sondage)",
        (Lang::Fr, Rule::AbovePeers) => "Volume très au-dessus des services comparables",
        (Lang::Fr, Rule::PerPatient) => "Volume inhabituel pour un même patient",
        (Lang::En, Rule::Probing) => "Repeated refusals (probing)",
        (Lang::En, Rule::AbovePeers) => "Volume far above its peers",
        (Lang::En, Rule::PerPatient) => "Unusual volume for one patient",
    }
}

/// The confirmation of a workflow step just made (`admit`, `decide`…).
pub fn step_done(lang: Lang, step: &str) -> String {
    let fr = lang == Lang::Fr;
    match (step, fr) {
        ("admit", true) => "Version déclarée recevable.",
        ("admit", false) => "Release declared admissible.",
        ("reject", true) => "Version déclarée irrecevable.",
        ("reject", false) => "Release declared inadmissible.",
        ("start", true) => "Examen commencé.",
        ("start", false) => "Review started.",
        ("decide", true) => "Décision publiée.",
        ("decide", false) => "Decision published.",
        ("suspend", true) => "Version suspendue : elle n'est plus servie.",
        ("suspend", false) => "Release suspended: it is no longer served.",
        ("reinstate", true) => "Version rétablie.",
        ("reinstate", false) => "Release reinstated.",
        ("withdraw", true) => "Version retirée du catalogue.",
        ("withdraw", false) => "Release withdrawn from the catalogue.",
        ("close", true) => "Signalement classé.",
        ("close", false) => "Alert closed.",
        (_, true) => "Étape enregistrée.",
        (_, false) => "Step recorded.",
    }
    .to_owned()
}

/// A kind of agenda entry, in plain words.
pub fn event_kind(lang: Lang, kind: crate::db::agenda::EventKind) -> &'static str {
    match (lang, kind) {
        (Lang::Fr, crate::db::agenda::EventKind::Appointment) => "Rendez-vous",
        (Lang::Fr, crate::db::agenda::EventKind::Reminder) => "Rappel",
        (Lang::Fr, crate::db::agenda::EventKind::Task) => "À faire",
        (Lang::En, crate::db::agenda::EventKind::Appointment) => "Appointment",
        (Lang::En, crate::db::agenda::EventKind::Reminder) => "Reminder",
        (Lang::En, crate::db::agenda::EventKind::Task) => "Task",
    }
}

/// Why an access was refused, as the audit record says it (in English),
/// in the page's language where the reason is one the platform gives.
pub fn denial(lang: Lang, reason: &str) -> String {
    if lang == Lang::En {
        return reason.to_owned();
    }
    let known = [
        (
            "no granted scope opens this interface",
            "aucune autorisation donnée n'ouvre ces données",
        ),
        (
            "no granted scope allows",
            "aucune autorisation donnée ne le permet",
        ),
        (
            "the grant allows",
            "l'autorisation donnée ne couvre que d'autres types de données",
        ),
        (
            "the record is dated before",
            "donnée antérieure à la période autorisée",
        ),
        (
            "the body mass index is computed",
            "l'IMC est calculé par la plateforme, jamais écrit par un service",
        ),
        (
            "a service may only change",
            "un service ne modifie que ce qu'il a lui-même écrit",
        ),
        ("the grant no longer exists", "l'accord n'existe plus"),
        ("the grant was revoked", "l'accord a été retiré"),
        ("the grant has expired", "l'accord est arrivé à échéance"),
        (
            "the grant has not started yet",
            "l'accord n'a pas encore commencé",
        ),
        (
            "no delegation opens the",
            "la délégation n'ouvre pas cette rubrique",
        ),
        ("the delegation was revoked", "la délégation a été retirée"),
        (
            "the delegation has expired",
            "la délégation est arrivée à échéance",
        ),
        (
            "the delegation is bound to another",
            "la délégation a été remise à un autre professionnel",
        ),
        (
            "the patient blocked this professional",
            "vous avez bloqué ce professionnel",
        ),
        (
            "the patient closed their space",
            "vous avez fermé votre espace",
        ),
        ("unknown code", "code inconnu"),
        ("too many wrong codes", "trop de codes erronés"),
    ];
    known
        .iter()
        .find(|(english, _)| reason.starts_with(english))
        .map_or_else(|| reason.to_owned(), |(_, french)| (*french).to_owned())
}

/// Why a professional reads nothing here, in plain words.
pub fn refusal(lang: Lang, refusal: &officine_policy::habilitation::Refusal) -> String {
    use officine_policy::habilitation::Refusal;
    if lang == Lang::En {
        return refusal.to_string();
    }
    match refusal {
        Refusal::SpaceClosed => "le patient a fermé son espace".to_owned(),
        Refusal::Blocked => "le patient vous a bloqué".to_owned(),
        Refusal::Hidden => "le patient a masqué ce document aux professionnels".to_owned(),
        Refusal::DelegationRevoked => "le patient a retiré cette délégation".to_owned(),
        Refusal::DelegationExpired => "cette délégation est arrivée à échéance".to_owned(),
        Refusal::DelegationForAnother => {
            "cette délégation a été remise à un autre professionnel".to_owned()
        }
        Refusal::NotDelegated(section) => {
            format!("la délégation n'ouvre pas la rubrique {section}")
        }
        Refusal::NotForProfession {
            profession,
            category,
        } => format!(
            "la profession {profession} n'accède pas aux documents « {} »",
            document(lang, *category)
        ),
    }
}

/// A moment, to the second, as the pages write it (UTC).
pub fn moment(lang: Lang, millis: i64) -> String {
    let Ok(at) = time::OffsetDateTime::from_unix_timestamp(millis.div_euclid(1000)) else {
        return String::new();
    };
    let format = match lang {
        Lang::Fr => FR_TIME,
        Lang::En => EN_TIME,
    };
    at.format(format).unwrap_or_default()
}

/// What an audit event's call did, in plain words: the action, then on
/// what, e.g. « Consultation — vos mesures ».
pub fn operation(lang: Lang, interface: &str, operation: &str) -> String {
    let fr = lang == Lang::Fr;
    let object = match (interface, fr) {
        ("measures", true) => "vos mesures",
        ("measures", false) => "your measures",
        ("agenda", true) => "votre agenda",
        ("agenda", false) => "your agenda",
        ("dmp" | "documents", true) => "votre dossier médical",
        ("dmp" | "documents", false) => "your medical record",
        ("messages" | "messaging", true) => "vos messages",
        ("messages" | "messaging", false) => "your messages",
        ("storage", true) => "ses notes à votre sujet",
        ("storage", false) => "its notes about you",
        ("consent", true) => "votre accord",
        ("consent", false) => "your consent",
        ("launch", true) => "un service, dans votre contexte, depuis son logiciel",
        ("launch", false) => "a service, in your context, from their software",
        ("delegation", true) => "une délégation",
        ("delegation", false) => "a delegation",
        ("export", true) => "toutes vos données",
        ("export", false) => "all your data",
        _ => return format!("{interface}.{operation}"),
    };
    let action = match (operation, fr) {
        ("list" | "search" | "read" | "get" | "content" | "keys", true) => "Consultation",
        ("list" | "search" | "read" | "get" | "content" | "keys", false) => "Read",
        ("add" | "set" | "send" | "grant", true) => "Ajout",
        ("add" | "set" | "send", false) => "Addition",
        ("grant", false) => "Given",
        ("update" | "write", true) => "Modification",
        ("update" | "write", false) => "Change",
        ("remove" | "delete" | "erase", true) => "Suppression",
        ("remove" | "delete" | "erase", false) => "Removal",
        ("revoke", true) => "Retrait",
        ("revoke", false) => "Withdrawal",
        ("hide", true) => "Masquage",
        ("hide", false) => "Hiding",
        ("show", true) => "Démasquage",
        ("show", false) => "Unhiding",
        ("open", true) => "Ouverture",
        ("open", false) => "Opening",
        ("use", true) => "Utilisation",
        ("use", false) => "Use",
        ("everything", true) => "Export",
        ("everything", false) => "Export",
        _ => return format!("{interface}.{operation}"),
    };
    format!("{action} — {object}")
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// A kind of measure, in plain words.
pub fn measure(lang: Lang, kind: MeasureKind) -> &'static str {
    match (lang, kind) {
        (Lang::Fr, MeasureKind::Weight) => "poids",
        (Lang::Fr, MeasureKind::Height) => "taille",
        (Lang::Fr, MeasureKind::Bmi) => "indice de masse corporelle",
        (Lang::Fr, MeasureKind::WaistCircumference) => "tour de taille",
        (Lang::Fr, MeasureKind::BodyTemperature) => "température",
        (Lang::Fr, MeasureKind::BloodGlucose) => "glycémie",
        (Lang::Fr, MeasureKind::PainSeverity) => "intensité de la douleur",
        (Lang::Fr, MeasureKind::HeartRate) => "fréquence cardiaque",
        (Lang::Fr, MeasureKind::DailySteps) => "nombre de pas",
        (Lang::En, MeasureKind::Weight) => "weight",
        (Lang::En, MeasureKind::Height) => "height",
        (Lang::En, MeasureKind::Bmi) => "body mass index",
        (Lang::En, MeasureKind::WaistCircumference) => "waist circumference",
        (Lang::En, MeasureKind::BodyTemperature) => "body temperature",
        (Lang::En, MeasureKind::BloodGlucose) => "blood glucose",
        (Lang::En, MeasureKind::PainSeverity) => "pain severity",
        (Lang::En, MeasureKind::HeartRate) => "heart rate",
        (Lang::En, MeasureKind::DailySteps) => "daily steps",
    }
}

/// A category of medical-record documents, in plain words.
pub fn document(lang: Lang, category: DocumentCategory) -> &'static str {
    match (lang, category) {
        (Lang::Fr, DocumentCategory::Summary) => "synthèse médicale",
        (Lang::Fr, DocumentCategory::Prescriptions) => "ordonnances",
        (Lang::Fr, DocumentCategory::Reports) => "comptes rendus",
        (Lang::Fr, DocumentCategory::LabResults) => "résultats d'analyses",
        (Lang::Fr, DocumentCategory::Imaging) => "imagerie",
        (Lang::Fr, DocumentCategory::Vaccinations) => "vaccinations",
        (Lang::Fr, DocumentCategory::Prevention) => "prévention",
        (Lang::Fr, DocumentCategory::Certificates) => "certificats et documents administratifs",
        (Lang::En, DocumentCategory::Summary) => "medical summary",
        (Lang::En, DocumentCategory::Prescriptions) => "prescriptions",
        (Lang::En, DocumentCategory::Reports) => "reports",
        (Lang::En, DocumentCategory::LabResults) => "lab results",
        (Lang::En, DocumentCategory::Imaging) => "imaging",
        (Lang::En, DocumentCategory::Vaccinations) => "vaccinations",
        (Lang::En, DocumentCategory::Prevention) => "prevention",
        (Lang::En, DocumentCategory::Certificates) => "certificates and administrative documents",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusal_reasons_read_in_french_and_unknown_ones_pass_through() {
        assert_eq!(
            denial(Lang::Fr, "no granted scope allows read on weight measures"),
            "aucune autorisation donnée ne le permet"
        );
        assert_eq!(
            denial(Lang::Fr, "the grant was revoked"),
            "l'accord a été retiré"
        );
        assert_eq!(denial(Lang::Fr, "something new"), "something new");
        assert_eq!(
            denial(Lang::En, "the grant was revoked"),
            "the grant was revoked"
        );
    }

    #[test]
    fn audit_calls_read_as_an_action_on_something() {
        assert_eq!(
            operation(Lang::Fr, "measures", "list"),
            "Consultation — vos mesures"
        );
        assert_eq!(
            operation(Lang::En, "consent", "revoke"),
            "Withdrawal — your consent"
        );
        assert_eq!(
            operation(Lang::Fr, "messaging", "search"),
            "Consultation — vos messages"
        );
        assert_eq!(operation(Lang::Fr, "unknown", "thing"), "unknown.thing");
    }

    #[test]
    fn scopes_read_as_plain_words() {
        let cases = [
            (
                "measures.read:weight",
                "Voir : vos mesures (poids)",
                "See: your measures (weight)",
            ),
            (
                "measures.read",
                "Voir : toutes vos mesures de santé",
                "See: all your health measures",
            ),
            (
                "measures.write:weight",
                "Ajouter : vos mesures (poids)",
                "Add: your measures (weight)",
            ),
            (
                "agenda.write",
                "Ajouter, modifier et supprimer : votre agenda",
                "Add, change and remove: your agenda",
            ),
            (
                "dmp.read:lab-results",
                "Voir : vos documents (résultats d'analyses)",
                "See: your documents (lab results)",
            ),
            (
                "messaging.send",
                "Ajouter : vos messages",
                "Add: your messages",
            ),
            (
                "patient/Observation.rs?code=http://loinc.org|29463-7,http://loinc.org|8302-2&date=ge2026-01-01",
                "Voir : vos mesures (poids, taille), depuis le 01/01/2026",
                "See: your measures (weight, height), since 2026-01-01",
            ),
            (
                "storage",
                "Garder ses propres notes à votre sujet, dans un espace réservé à ce service",
                "Keep its own notes about you, in a space only this service uses",
            ),
        ];
        for (written, fr, en) in cases {
            let parsed: Scope = written.parse().unwrap_or_else(|e| panic!("{written}: {e}"));
            assert_eq!(scope(Lang::Fr, &parsed), fr, "{written}");
            assert_eq!(scope(Lang::En, &parsed), en, "{written}");
        }
    }

    #[test]
    fn days_are_written_as_each_language_does() {
        let millis = 1_795_046_400_000 + 13 * 3_600_000; // 2026-11-19T13:00:00Z
        assert_eq!(day(Lang::Fr, millis), "19/11/2026");
        assert_eq!(day(Lang::En, millis), "2026-11-19");
    }

    #[test]
    fn only_french_and_english_are_spoken() {
        assert_eq!(Lang::parse(None), Some(Lang::Fr));
        assert_eq!(Lang::parse(Some("en")), Some(Lang::En));
        assert_eq!(Lang::parse(Some("EN")), None);
        assert_eq!(Lang::parse(Some("de")), None);
    }
}
