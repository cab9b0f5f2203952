//! The pages, over HTTP: what they list, their filters, and bad queries
//! answered with the page and a clear message.

use crate::server::Server;

const TRACKER: &str = "Suivi du poids";
const HELLO: &str = "Bonjour les mesures";

async fn catalogue(server: &Server, query: &str) -> (u16, String) {
    let host = format!("127.0.0.1:{}", server.addr.port());
    let (status, headers, body) = server
        .get_at(&host, &format!("/catalogue{query}"), &[])
        .await;
    let content_type = headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("content-type"))
        .map(|(_, value)| value.as_str());
    assert_eq!(content_type, Some("text/html; charset=utf-8"), "{body}");
    // Confined, whatever the answer: no script, no framing, no sniffing.
    let header = |wanted: &str| {
        headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(wanted))
            .map(|(_, value)| value.clone())
            .unwrap_or_default()
    };
    let policy = header("content-security-policy");
    assert!(
        policy.contains("default-src 'none'") && policy.contains("frame-ancestors 'none'"),
        "{policy}"
    );
    assert!(!policy.contains("script-src"), "{policy}");
    assert_eq!(header("x-content-type-options"), "nosniff");
    assert_eq!(header("x-frame-options"), "DENY");
    (status, body)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_catalogue_lists_searches_and_filters_the_listed_services() {
    let server = Server::start().await;
    let host = format!("127.0.0.1:{}", server.addr.port());
    let (_, _, index) = server.get_at(&host, "/", &[]).await;
    assert!(
        index.contains("href=\"/catalogue\""),
        "the index leads to it: {index}"
    );
    let (status, page) = catalogue(&server, "").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("<html lang=\"fr\">"), "{page}");
    assert!(page.contains(TRACKER) && page.contains(HELLO), "{page}");
    assert!(page.contains("2 services."), "{page}");
    assert!(page.contains("Mesures de santé"), "{page}");
    assert!(
        page.contains("href=\"/catalogue/fr.officine.weight-tracker?lang=fr\""),
        "each service links to its sheet: {page}"
    );

    let cases = [
        ("?q=SUIVI", vec![TRACKER]),
        ("?q=poids", vec![TRACKER, HELLO]),
        ("?q=poids+mesures+inexistant", vec![]),
        ("?category=measures", vec![TRACKER, HELLO]),
        ("?category=agenda", vec![]),
        ("?purpose=prevention&device=no", vec![TRACKER, HELLO]),
        ("?purpose=care", vec![]),
        ("?device=yes", vec![]),
    ];
    for (query, expected) in cases {
        let (status, page) = catalogue(&server, query).await;
        assert_eq!(status, 200, "{query}: {page}");
        for name in [TRACKER, HELLO] {
            assert_eq!(
                page.contains(&format!("{name}</a></h2>")),
                expected.contains(&name),
                "{query}: {name}"
            );
        }
        if expected.is_empty() {
            assert!(page.contains("Aucun service ne correspond."), "{query}");
        }
    }

    let (status, page) = catalogue(&server, "?lang=en&purpose=prevention").await;
    assert_eq!(status, 200);
    assert!(page.contains("<html lang=\"en\">") && page.contains("Service catalogue"));
    assert!(page.contains("Health measures") && page.contains("Prevention"));
    // The switch back keeps the filters.
    assert!(
        page.contains("href=\"/catalogue?purpose=prevention&amp;lang=fr\""),
        "{page}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_queries_get_the_page_with_a_clear_message_and_nothing_else() {
    let server = Server::start().await;
    for (query, message) in [
        ("?device=maybe", "Ce filtre n'existe pas"),
        ("?category=genome", "Ce filtre n'existe pas"),
        ("?purpose=marketing&lang=en", "This filter does not exist"),
        ("?lang=de", "Langue inconnue"),
    ] {
        let (status, page) = catalogue(&server, query).await;
        assert_eq!(status, 400, "{query}");
        assert!(
            page.contains("role=\"alert\"") && page.contains(message),
            "{query}: {page}"
        );
        assert!(
            !page.contains(TRACKER),
            "{query}: no results with a bad filter"
        );
    }
    // What the patient typed comes back escaped.
    let (status, page) = catalogue(&server, "?q=%3Cscript%3Ealert(1)%3C/script%3E").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{page}"
    );
    assert!(!page.contains("<script>"), "{page}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_consent_sheet_says_what_the_service_asks_for_and_why() {
    let server = Server::start().await;
    let (status, page) = catalogue(&server, "/fr.officine.weight-tracker").await;
    assert_eq!(status, 200, "{page}");
    for expected in [
        "<h1>Suivi du poids</h1>",
        "Officine (exemple) (siret:00000000000018)",
        "Prévention",
        "Référencé le ",
        "officine-listing@",
        "Voir : vos mesures (poids)",
        "Afficher votre poids actuel et son évolution sur 90 jours.",
        "Ajouter : vos mesures (poids)",
        "Garder ses propres notes à votre sujet",
        "Vos pesées sont enregistrées dans vos mesures de santé",
        "sans accès au réseau ni aux fichiers",
        "dpo@officine.example",
        "Règlement (UE) 2016/679 (RGPD)",
        "RGAA 4.1",
    ] {
        assert!(
            page.contains(&expected.replace('\'', "&#39;")) || page.contains(expected),
            "{expected}: {page}"
        );
    }
    let (status, page) = catalogue(&server, "/fr.officine.weight-tracker?lang=en").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("See: your measures (weight)") && page.contains("Listed on "),
        "{page}"
    );
    assert!(page.contains("Why: Afficher votre poids"), "{page}");

    for (path, code, message) in [
        (
            "/fr.example.nothing",
            404,
            "Aucun service référencé ne porte ce nom.",
        ),
        (
            "/fr.example.nothing?lang=en",
            404,
            "No listed service has this name.",
        ),
        (
            "/fr.officine.weight-tracker?lang=xx",
            400,
            "Langue inconnue",
        ),
    ] {
        let (status, page) = catalogue(&server, path).await;
        assert_eq!(status, code, "{path}");
        assert!(
            page.contains("role=\"alert\"") && page.contains(message),
            "{path}: {page}"
        );
        assert!(!page.contains("Afficher votre poids"), "{path}");
    }
}
