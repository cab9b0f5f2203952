//! What the pages say, in French and in English.

use officine_policy::Resource;
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
