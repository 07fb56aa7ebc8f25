//! Store URLs without their passwords, for every message, `repr`,
//! `inspect`, log line and CLI output a binding shows: a URL's password
//! (`scheme://user:PASSWORD@host`), a `password=` (or `sslpassword=`, any
//! key holding `pass`) query parameter, and a libpq `password=…` keyword
//! all become `***`. [`redact`] also removes the password from any text a
//! driver wrote (an error that quotes part of a connection string).

use alloc::string::String;
use alloc::vec::Vec;

/// What a hidden secret reads as.
pub const MASK: &str = "***";

/// Passwords shorter than this are hidden inside a URL but not searched for
/// in free text (replacing every `pw` in a message would garble it, and so
/// short a password protects nothing).
pub const MIN_SECRET_SEARCHED: usize = 4;

/// `(start, end)` byte spans of the secrets in `url`, in order.
fn secret_spans(url: &str) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    if let Some(after_scheme) = url.find("://").map(|i| i + 3) {
        let rest = &url[after_scheme..];
        let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let authority = &rest[..authority_end];
        if let Some(at) = authority.rfind('@') {
            if let Some(colon) = authority[..at].find(':') {
                spans.push((after_scheme + colon + 1, after_scheme + at));
            }
        }
        if let Some(q) = url.find('?') {
            let query_end = url[q..].find('#').map_or(url.len(), |h| q + h);
            let mut start = q + 1;
            for pair in url[q + 1..query_end].split('&') {
                if let Some(eq) = pair.find('=') {
                    if pair[..eq].to_ascii_lowercase().contains("pass") {
                        spans.push((start + eq + 1, start + pair.len()));
                    }
                }
                start += pair.len() + 1;
            }
        }
    } else {
        // libpq keyword/value: `host=… password=secret` or `password='a b\'c'`.
        let b = url.as_bytes();
        let mut i = 0;
        while i < b.len() {
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            let key_start = i;
            while i < b.len() && b[i] != b'=' && !b[i].is_ascii_whitespace() {
                i += 1;
            }
            let key = &url[key_start..i];
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            if i >= b.len() || b[i] != b'=' {
                continue;
            }
            i += 1;
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            let value_start = i;
            if i < b.len() && b[i] == b'\'' {
                i += 1;
                while i < b.len() && b[i] != b'\'' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i = (i + 1).min(b.len());
            } else {
                while i < b.len() && !b[i].is_ascii_whitespace() {
                    i += 1;
                }
            }
            if key.to_ascii_lowercase().contains("pass") {
                spans.push((value_start, i.min(b.len())));
            }
        }
    }
    spans.retain(|(s, e)| e > s);
    spans
}

/// `url` with every secret in it replaced by `***` (a URL without one comes back unchanged).
pub fn redact_url(url: &str) -> String {
    let mut out = String::with_capacity(url.len());
    let mut at = 0;
    for (s, e) in secret_spans(url) {
        out.push_str(&url[at..s]);
        out.push_str(MASK);
        at = e;
    }
    out.push_str(&url[at..]);
    out
}

fn percent_decoded(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = core::str::from_utf8(&b[i + 1..i + 3]).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// `text` (a message, a driver's error) with `url` shown redacted and every
/// secret of `url` that is at least [`MIN_SECRET_SEARCHED`] long, as written
/// or percent-decoded, replaced by `***`.
pub fn redact(text: &str, url: &str) -> String {
    let mut out = if url.is_empty() {
        String::from(text)
    } else {
        text.replace(url, &redact_url(url))
    };
    for (s, e) in secret_spans(url) {
        let raw = &url[s..e];
        let mut forms = alloc::vec![String::from(raw)];
        if let Some(decoded) = percent_decoded(raw) {
            forms.push(decoded);
        }
        if raw.starts_with('\'') && raw.ends_with('\'') && raw.len() >= 2 {
            forms.push(raw[1..raw.len() - 1].replace("\\'", "'").replace("\\\\", "\\"));
        }
        for form in forms {
            if form.chars().count() >= MIN_SECRET_SEARCHED {
                out = out.replace(&form, MASK);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_their_passwords_and_keep_the_rest() {
        for (url, shown) in [
            (
                "postgresql://app:s3cr%40t@db:5432/x?sslmode=require",
                "postgresql://app:***@db:5432/x?sslmode=require",
            ),
            ("mysql://root:hunter2@127.0.0.1:3306/test", "mysql://root:***@127.0.0.1:3306/test"),
            ("redis://:p@ss:w@rd@cache:6379/0", "redis://:***@cache:6379/0"),
            ("rediss://user@cache:6380", "rediss://user@cache:6380"),
            (
                "postgres://u@h/db?password=hunter2&sslmode=disable",
                "postgres://u@h/db?password=***&sslmode=disable",
            ),
            ("host=h user=u password=hunter2 dbname=d", "host=h user=u password=*** dbname=d"),
            ("host=h password = 'a b\\'c' dbname=d", "host=h password = *** dbname=d"),
            ("redis://127.0.0.1:6379/", "redis://127.0.0.1:6379/"),
        ] {
            assert_eq!(redact_url(url), shown, "{url}");
        }
    }

    #[test]
    fn messages_lose_the_url_and_the_password_in_every_form() {
        let url = "postgresql://app:s3cr%40t@db/x";
        assert_eq!(
            redact(&alloc::format!("cannot connect to {url}"), url),
            "cannot connect to postgresql://app:***@db/x"
        );
        assert_eq!(redact("missing \"=\" after \"s3cr@t\"", url), "missing \"=\" after \"***\"");
        assert_eq!(redact("a pw in text", "redis://:pw@h"), "a pw in text");
        assert_eq!(redact("quoted a b'c here", "host=h password='a b\\'c'"), "quoted *** here");
    }
}
