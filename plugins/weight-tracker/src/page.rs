//! The HTML pages: self-contained (no external script, style sheet or
//! image), in French, every value escaped.

use std::fmt::{self, Write};

use officine_sdk::Timestamp;
use officine_sdk::html::Escape;
use officine_sdk::number::Fixed;
use officine_sdk::time::{DAY, Date};

use crate::input::{MAX_KG, MIN_KG};
use crate::summary::{Reading, Summary, TREND_DAYS};

const STYLE: &str = "\
:root{color-scheme:light dark;font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;line-height:1.5}\
body{margin:0 auto;max-width:42rem;padding:1rem}\
h1{font-size:1.6rem;margin:.5rem 0 1rem}\
h2{font-size:1.2rem;margin:1.5rem 0 .5rem}\
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(9rem,1fr));gap:.5rem;margin:0}\
.cards div{border:1px solid #8886;border-radius:.5rem;padding:.5rem .75rem}\
dt{font-size:.9rem}dd{margin:0;font-size:1.25rem;font-weight:600}\
small,.hint{font-size:.85rem;font-weight:400;opacity:.8}\
svg{max-width:100%;height:auto}\
figure{margin:.5rem 0}\
table{border-collapse:collapse;width:100%}\
th,td{text-align:left;padding:.25rem .5rem;border-bottom:1px solid #8884}\
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}\
form{display:flex;flex-wrap:wrap;gap:.5rem;align-items:end;margin:.5rem 0}\
label{display:flex;flex-direction:column;font-size:.95rem}\
input,button{font:inherit;padding:.35rem .5rem}\
:focus-visible{outline:3px solid #36c;outline-offset:2px}\
.alert{border-left:4px solid #c33;padding:.5rem 1rem}";

/// The main page.
pub fn render(s: &Summary, now: Timestamp) -> String {
    let mut out = String::with_capacity(PAGE_BYTES + s.trend.len() * PAGE_BYTES_PER_POINT);
    document_start(&mut out, "Suivi du poids");
    out.push_str("<main>\n<h1>Suivi du poids</h1>\n");
    current_section(&mut out, s);
    trend_section(&mut out, s, now);
    add_weight_section(&mut out, now);
    goal_section(&mut out, s);
    out.push_str(
        "<p class=\"hint\">L'IMC est calculé par la plateforme à partir de chaque pesée \
         et de votre dernière taille. Ce service ne remplace pas l'avis d'un professionnel \
         de santé.</p>\n</main>\n",
    );
    document_end(&mut out);
    out
}

/// Room for the main page without its trend, and for each weighing of the
/// trend (a table row and a point of each chart), with some to spare: the
/// page is written without growing its buffer.
const PAGE_BYTES: usize = 4608;
const PAGE_BYTES_PER_POINT: usize = 112;

/// A page telling why a request failed, with a way back.
pub fn error_page(status: u16, message: &str) -> String {
    let title = if status >= 500 {
        "Service indisponible"
    } else {
        "Demande non aboutie"
    };
    let mut out = String::with_capacity(STYLE.len() + 512 + message.len());
    document_start(&mut out, title);
    let _ = write!(
        out,
        "<main>\n<h1>{title}</h1>\n<p class=\"alert\" role=\"alert\">{}</p>\n\
         <p><a href=\"/\">Retour au suivi du poids</a></p>\n</main>\n",
        Escape(message)
    );
    document_end(&mut out);
    out
}

/// Everything before the page's `<body>` content.
fn document_start(out: &mut String, title: &str) {
    let _ = write!(
        out,
        "<!doctype html>\n<html lang=\"fr\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        Escape(title)
    );
}

fn document_end(out: &mut String) {
    out.push_str("</body>\n</html>\n");
}

fn current_section(out: &mut String, s: &Summary) {
    out.push_str(
        "<section aria-labelledby=\"now-title\">\n<h2 id=\"now-title\">Aujourd'hui</h2>\n\
         <dl class=\"cards\">\n",
    );
    card(
        out,
        "Poids actuel",
        reading(s.weight.as_ref(), 1, "kg", "Aucune pesée"),
    );
    card(
        out,
        "Taille",
        reading(s.height.as_ref(), 0, "cm", "Non renseignée"),
    );
    card(
        out,
        "IMC",
        reading(s.bmi.as_ref(), 1, "kg/m²", "Non disponible"),
    );
    match s.goal {
        Some(kg) => card(out, "Objectif", format_args!("{} kg", Fixed::comma(kg, 1))),
        None => card(out, "Objectif", "Non défini"),
    }
    if let Some(text) = distance_text(s.distance_to_goal()) {
        card(out, "Écart à l'objectif", text);
    }
    out.push_str("</dl>\n</section>\n");
}

/// A `<dt>`/`<dd>` pair; `value` is HTML already escaped.
fn card(out: &mut String, label: &str, value: impl fmt::Display) {
    let _ = writeln!(out, "<div><dt>{}</dt><dd>{value}</dd></div>", Escape(label));
}

/// The value with its unit and date, or `missing`; as HTML.
fn reading<'a>(
    r: Option<&'a Reading>,
    decimals: usize,
    unit: &'a str,
    missing: &'a str,
) -> impl fmt::Display + 'a {
    fmt::from_fn(move |f| match r {
        Some(r) => write!(
            f,
            "{} {} <small>le {}</small>",
            Fixed::comma(r.value, decimals),
            Escape(unit),
            Date::from_timestamp(r.at).fr()
        ),
        None => write!(f, "<small>{}</small>", Escape(missing)),
    })
}

/// How far the current weight is from the goal, in words.
pub fn distance_text(distance: Option<f64>) -> Option<String> {
    let d = distance?;
    Some(if d.abs() < 0.05 {
        "Objectif atteint".to_owned()
    } else if d > 0.0 {
        format!("{} kg au-dessus", number(d, 1))
    } else {
        format!("{} kg en dessous", number(-d, 1))
    })
}

fn trend_section(out: &mut String, s: &Summary, now: Timestamp) {
    let _ = writeln!(
        out,
        "<section aria-labelledby=\"trend-title\">\n\
         <h2 id=\"trend-title\">Évolution sur {TREND_DAYS} jours</h2>"
    );
    if s.trend.is_empty() {
        out.push_str("<p>Aucune pesée ces 90 derniers jours.</p>\n</section>\n");
        return;
    }
    let start = now - TREND_DAYS * DAY;
    let weights: Vec<(Timestamp, f64)> = s.trend.iter().map(|p| (p.at, p.weight)).collect();
    sparkline(
        out,
        "weight-chart",
        "Poids",
        "kg",
        &weights,
        (start, now),
        s.goal,
    );
    let bmis: Vec<(Timestamp, f64)> = s
        .trend
        .iter()
        .filter_map(|p| Some((p.at, p.bmi?)))
        .collect();
    if !bmis.is_empty() {
        sparkline(out, "bmi-chart", "IMC", "kg/m²", &bmis, (start, now), None);
    }
    out.push_str(
        "<table>\n<caption>Pesées des 90 derniers jours, la plus récente en premier</caption>\n\
         <thead><tr><th scope=\"col\">Date</th><th scope=\"col\" class=\"num\">Poids (kg)</th>\
         <th scope=\"col\" class=\"num\">IMC (kg/m²)</th></tr></thead>\n<tbody>\n",
    );
    for p in s.trend.iter().rev() {
        let _ = write!(
            out,
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">",
            Date::from_timestamp(p.at).fr(),
            Fixed::comma(p.weight, 1),
        );
        match p.bmi {
            Some(bmi) => {
                let _ = write!(out, "{}", Fixed::comma(bmi, 1));
            }
            None => out.push('—'),
        }
        out.push_str("</td></tr>\n");
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
}

// Whole numbers: they are written into the SVG as they are.
const CHART_W: u16 = 320;
const CHART_H: u16 = 80;
const CHART_PAD: u16 = 6;

/// An inline SVG line of `points` (oldest first) over the `window`, with an
/// optional dashed `reference` line (the goal), written at the end of `out`;
/// nothing without points. Its text alternative says where the line starts
/// and ends.
pub fn sparkline(
    out: &mut String,
    id: &str,
    label: &str,
    unit: &str,
    points: &[(Timestamp, f64)],
    window: (Timestamp, Timestamp),
    reference: Option<f64>,
) {
    let (Some(first), Some(last)) = (points.first(), points.last()) else {
        return;
    };
    let values = points.iter().map(|p| p.1).chain(reference);
    let (mut lo, mut hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    if hi - lo < 1.0 {
        let mid = (hi + lo) / 2.0;
        (lo, hi) = (mid - 0.5, mid + 0.5);
    }
    let (start, end) = window;
    let span = (end - start).max(1) as f64;
    let (w, h, pad) = (f64::from(CHART_W), f64::from(CHART_H), f64::from(CHART_PAD));
    // Coordinates are written with one decimal, a decimal point.
    let x = |at: Timestamp| {
        let t = ((at - start) as f64 / span).clamp(0.0, 1.0);
        Fixed::point(pad + t * (w - 2.0 * pad), 1)
    };
    let y = |v: f64| Fixed::point(pad + (hi - v) / (hi - lo) * (h - 2.0 * pad), 1);

    let (label, unit) = (Escape(label), Escape(unit));
    // The title is the chart's text alternative.
    let _ = write!(
        out,
        "<figure>\n<svg id=\"{id}\" viewBox=\"0 0 {CHART_W} {CHART_H}\" width=\"{CHART_W}\" \
         height=\"{CHART_H}\" role=\"img\" aria-labelledby=\"{id}-title\">\
         <title id=\"{id}-title\">{label} : {} {unit} le {}",
        Fixed::comma(first.1, 1),
        Date::from_timestamp(first.0).fr()
    );
    if points.len() > 1 {
        let _ = write!(
            out,
            ", puis {} {unit} le {}",
            Fixed::comma(last.1, 1),
            Date::from_timestamp(last.0).fr()
        );
    }
    if let Some(r) = reference {
        let _ = write!(out, " ; objectif {} {unit}", Fixed::comma(r, 1));
    }
    out.push_str("</title>");
    if let Some(r) = reference {
        let _ = write!(
            out,
            "<line x1=\"{CHART_PAD}\" x2=\"{}\" y1=\"{ry}\" y2=\"{ry}\" \
             stroke=\"#2a8a4a\" stroke-width=\"1.5\" stroke-dasharray=\"4 3\"/>",
            Fixed::point(w - pad, 1),
            ry = y(r)
        );
    }
    if points.len() > 1 {
        out.push_str("<polyline points=\"");
        for (i, &(at, v)) in points.iter().enumerate() {
            if i > 0 {
                out.push(' ');
            }
            let _ = write!(out, "{},{}", x(at), y(v));
        }
        out.push_str(
            "\" fill=\"none\" stroke=\"currentColor\" stroke-width=\"2\" \
             stroke-linejoin=\"round\" stroke-linecap=\"round\"/>",
        );
    }
    let _ = write!(
        out,
        "<circle cx=\"{}\" cy=\"{}\" r=\"3\" fill=\"currentColor\"/></svg>\n\
         <figcaption>{label} ({unit}){}</figcaption>\n</figure>\n",
        x(last.0),
        y(last.1),
        if reference.is_some() {
            ", objectif en pointillés"
        } else {
            ""
        }
    );
}

fn add_weight_section(out: &mut String, now: Timestamp) {
    let today = Date::from_timestamp(now);
    let _ = write!(
        out,
        "<section aria-labelledby=\"add-title\">\n<h2 id=\"add-title\">Ajouter une pesée</h2>\n\
         <form method=\"post\" action=\"/weights\">\n\
         <label for=\"weight-kg\">Poids (kg)\
         <input id=\"weight-kg\" name=\"kg\" type=\"number\" inputmode=\"decimal\" step=\"0.1\" \
         min=\"{MIN_KG}\" max=\"{MAX_KG}\" required aria-describedby=\"weight-kg-hint\"></label>\n\
         <label for=\"weight-date\">Date de la pesée\
         <input id=\"weight-date\" name=\"date\" type=\"date\" max=\"{today}\" \
         aria-describedby=\"weight-date-hint\"></label>\n\
         <button type=\"submit\">Enregistrer la pesée</button>\n</form>\n\
         <p class=\"hint\"><span id=\"weight-kg-hint\">Par exemple 72,5.</span> \
         <span id=\"weight-date-hint\">Sans date, la pesée est datée de maintenant.</span></p>\n\
         </section>\n"
    );
}

fn goal_section(out: &mut String, s: &Summary) {
    let _ = write!(
        out,
        "<section aria-labelledby=\"goal-title\">\n<h2 id=\"goal-title\">Mon objectif</h2>\n\
         <form method=\"post\" action=\"/goal\">\n\
         <label for=\"goal-kg\">Poids visé (kg)\
         <input id=\"goal-kg\" name=\"kg\" type=\"number\" inputmode=\"decimal\" step=\"0.1\" \
         min=\"{MIN_KG}\" max=\"{MAX_KG}\" required"
    );
    if let Some(g) = s.goal {
        let _ = write!(out, " value=\"{g}\"");
    }
    out.push_str("></label>\n<button type=\"submit\">Enregistrer l'objectif</button>\n</form>\n");
    if s.goal.is_some() {
        out.push_str(
            "<form method=\"post\" action=\"/goal\">\n\
             <input type=\"hidden\" name=\"clear\" value=\"1\">\n\
             <button type=\"submit\">Supprimer l'objectif</button>\n</form>\n",
        );
    }
    out.push_str("</section>\n");
}

/// A number written the French way, with a decimal comma: `72,4`.
///
/// Rounded half away from zero, and never "-0,0" (see [`Fixed`]); at most
/// six decimals.
pub fn number(value: f64, decimals: usize) -> String {
    Fixed::comma(value, decimals).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summary::TrendPoint;

    // 2025-03-12T09:30:00Z
    const NOW: Timestamp = 1_741_771_800_000;

    fn sample() -> Summary {
        Summary {
            weight: Some(Reading {
                value: 72.4,
                unit: "kg".into(),
                at: NOW - DAY,
            }),
            height: Some(Reading {
                value: 175.0,
                unit: "cm".into(),
                at: NOW - 300 * DAY,
            }),
            bmi: Some(Reading {
                value: 23.64,
                unit: "kg/m2".into(),
                at: NOW - DAY,
            }),
            goal: Some(70.0),
            trend: vec![
                TrendPoint {
                    at: NOW - 60 * DAY,
                    weight: 75.0,
                    bmi: Some(24.49),
                },
                TrendPoint {
                    at: NOW - 30 * DAY,
                    weight: 73.5,
                    bmi: None,
                },
                TrendPoint {
                    at: NOW - DAY,
                    weight: 72.4,
                    bmi: Some(23.64),
                },
            ],
        }
    }

    #[test]
    fn french_numbers() {
        assert_eq!(number(72.44, 1), "72,4");
        assert_eq!(number(72.0, 1), "72,0");
        assert_eq!(number(175.0, 0), "175");
        assert_eq!(number(-0.01, 1), "0,0");
        // Ties round away from zero.
        assert_eq!(number(-1.25, 1), "-1,3");
        assert_eq!(number(72.25, 1), "72,3");
    }

    #[test]
    fn goal_distance_in_words() {
        assert_eq!(distance_text(None), None);
        assert_eq!(distance_text(Some(2.4)).unwrap(), "2,4 kg au-dessus");
        assert_eq!(distance_text(Some(-1.0)).unwrap(), "1,0 kg en dessous");
        assert_eq!(distance_text(Some(0.01)).unwrap(), "Objectif atteint");
    }

    #[test]
    fn page_is_accessible_and_complete() {
        let page = render(&sample(), NOW);
        assert!(page.starts_with("<!doctype html>\n<html lang=\"fr\">"));
        assert!(page.contains("<title>Suivi du poids</title>"));
        assert!(page.contains("<h1>Suivi du poids</h1>"));
        assert!(page.contains("72,4 kg <small>le 11/03/2025</small>"));
        assert!(page.contains("175 cm"));
        assert!(page.contains("23,6 kg/m²"));
        assert!(page.contains("70,0 kg"));
        assert!(page.contains("2,4 kg au-dessus"));
        // Both forms, each input with its label.
        assert!(page.contains("action=\"/weights\""));
        assert!(page.contains("action=\"/goal\""));
        for id in ["weight-kg", "weight-date", "goal-kg"] {
            assert!(page.contains(&format!("<label for=\"{id}\"")), "{id}");
            assert!(page.contains(&format!("id=\"{id}\"")), "{id}");
        }
        assert!(page.contains("max=\"2025-03-12\""));
        assert!(page.contains("value=\"70\""));
        assert!(page.contains("name=\"clear\""));
        // The trend: a chart with a text alternative, and a table.
        assert!(page.contains("role=\"img\""));
        assert!(page.contains(
            "Poids : 75,0 kg le 11/01/2025, puis 72,4 kg le 11/03/2025 ; objectif 70,0 kg"
        ));
        assert!(page.contains("id=\"bmi-chart\""));
        assert!(page.contains("<caption>"));
        assert!(page.contains("<th scope=\"col\">Date</th>"));
        let newest = page.find("<td>11/03/2025</td>").unwrap();
        let oldest = page.find("<td>11/01/2025</td>").unwrap();
        assert!(newest < oldest, "table is newest first");
        assert!(page.contains("<td class=\"num\">—</td>"));
        // Self-contained.
        assert!(!page.contains("<script"));
        assert!(!page.contains("<link"));
        assert!(!page.contains("http://") && !page.contains("https://"));
    }

    #[test]
    fn empty_page() {
        let page = render(&Summary::default(), NOW);
        assert!(page.contains("Aucune pesée"));
        assert!(page.contains("Non renseignée"));
        assert!(page.contains("Non défini"));
        assert!(page.contains("Aucune pesée ces 90 derniers jours."));
        assert!(!page.contains("<svg"));
        assert!(!page.contains("Écart"));
        assert!(!page.contains("name=\"clear\""));
    }

    fn chart(points: &[(Timestamp, f64)], reference: Option<f64>) -> String {
        let mut svg = String::new();
        sparkline(&mut svg, "c", "Poids", "kg", points, (0, 100), reference);
        svg
    }

    #[test]
    fn sparkline_geometry() {
        let svg = chart(&[(0, 80.0), (100, 70.0)], None);
        // Oldest at the left edge and highest; newest at the right, lowest.
        assert!(svg.contains("points=\"6.0,6.0 314.0,74.0\""));
        assert!(svg.contains("<circle cx=\"314.0\" cy=\"74.0\""));
        assert!(!svg.contains("<line"));
        let one = chart(&[(50, 70.0)], Some(70.0));
        assert!(!one.contains("<polyline"));
        assert!(one.contains("<line"));
        assert!(one.contains("<circle cx=\"160.0\" cy=\"40.0\""));
        assert_eq!(chart(&[], None), "");
    }

    #[test]
    fn error_page_escapes_the_message() {
        let page = error_page(400, "« <b>x</b> » n'est pas un poids.");
        assert!(page.contains("lang=\"fr\""));
        assert!(page.contains("role=\"alert\""));
        assert!(page.contains("&lt;b&gt;x&lt;/b&gt;"));
        assert!(page.contains("<a href=\"/\">"));
        assert!(error_page(503, "x").contains("<h1>Service indisponible</h1>"));
    }
}
