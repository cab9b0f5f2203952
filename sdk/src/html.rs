//! Safe HTML output.
//!
//! A service's pages are third-party content shown to the patient: escape
//! every piece of text that did not come from the service's own source code
//! (measures, stored values, request fields) before putting it in HTML.
//!
//! ```
//! use officine_sdk::html;
//!
//! let title = "<script>alert(1)</script>";
//! let page = format!("<h1>{}</h1>", html::Escape(title));
//! assert_eq!(page, "<h1>&lt;script&gt;alert(1)&lt;/script&gt;</h1>");
//! assert_eq!(html::escape(r#"a "b" & 'c'"#), "a &quot;b&quot; &amp; &#39;c&#39;");
//! ```

use std::fmt;

/// Escapes `&`, `<`, `>`, `"` and `'`, so the result is safe as element
/// content and as a quoted attribute value.
pub fn escape(text: &str) -> String {
    Escape(text).to_string()
}

/// Displays its text escaped, without an intermediate `String`:
/// `format!("<p>{}</p>", Escape(name))`.
#[derive(Debug, Clone, Copy)]
pub struct Escape<'a>(pub &'a str);

impl fmt::Display for Escape<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        while let Some(i) = rest.find(['&', '<', '>', '"', '\'']) {
            f.write_str(&rest[..i])?;
            f.write_str(match rest.as_bytes()[i] {
                b'&' => "&amp;",
                b'<' => "&lt;",
                b'>' => "&gt;",
                b'"' => "&quot;",
                _ => "&#39;",
            })?;
            rest = &rest[i + 1..];
        }
        f.write_str(rest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_the_five_characters() {
        assert_eq!(escape(""), "");
        assert_eq!(escape("plain text"), "plain text");
        assert_eq!(escape("&<>\"'"), "&amp;&lt;&gt;&quot;&#39;");
        assert_eq!(escape("&amp;"), "&amp;amp;");
        assert_eq!(
            escape(r#"<img src=x onerror="alert('x')">"#),
            "&lt;img src=x onerror=&quot;alert(&#39;x&#39;)&quot;&gt;"
        );
    }

    #[test]
    fn keeps_unicode() {
        assert_eq!(escape("Poids < 70 kg — élevé"), "Poids &lt; 70 kg — élevé");
        assert_eq!(format!("{}", Escape("café")), "café");
    }
}
