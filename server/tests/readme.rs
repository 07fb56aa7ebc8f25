//! The root README's Service chapter, run: its `idloom-server` command (on a
//! free port, with fresh names for the namespace and the tags) and every
//! `curl` line after it, each answer checked against the `# → …` it shows
//! (`…` stands for any text).

mod support;

use support::{request, unique, Server};

const README: &str = include_str!("../../README.md");

/// The Service chapter's text.
fn chapter() -> &'static str {
    let start = README
        .find("## Service: `idloom-server`")
        .expect("the README has a Service chapter");
    let end = README[start + 3..].find("\n## ").map_or(README.len(), |i| start + 3 + i);
    &README[start..end]
}

/// Split a shell line into words (single and double quotes; no escapes needed here).
fn words(line: &str) -> Vec<String> {
    let (mut out, mut cur, mut quote, mut any) = (Vec::new(), String::new(), None, false);
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => cur.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                any = true;
            }
            (None, c) if c.is_whitespace() => {
                if any || !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
                any = false;
            }
            (None, c) => cur.push(c),
        }
    }
    if any || !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Whether `text` matches `pattern`, where `…` stands for any text.
fn matches(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('…').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || !text.ends_with(last) || text.len() < first.len() + last.len() {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    true
}

#[test]
fn the_pattern_matcher_matches_only_what_it_should() {
    assert!(matches("{\"ids\":[\"…\",\"…\"]}", "{\"ids\":[\"1\",\"2\"]}"));
    assert!(!matches("{\"ids\":[\"…\",\"…\"]}", "{\"ids\":[\"1\"]}"));
    assert!(!matches("1", "12"));
    assert_eq!(words("curl -s -H 'A: B' 'x?y=1&z'"), ["curl", "-s", "-H", "A: B", "x?y=1&z"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_chapter_runs() {
    let text = chapter();
    let (ns, open, invoice) = (unique("orders"), unique("open"), unique("invoice"));
    let rename = |s: &str| s.replace("orders", &ns).replace("open", &open).replace("invoice", &invoice);

    // The command: its continuation lines joined, listening on a free port.
    let at = text.find("\nidloom-server --listen").expect("the chapter starts the server");
    let mut command = String::new();
    for line in text[at + 1..].lines() {
        command.push_str(line.trim_end_matches('\\'));
        command.push(' ');
        if !line.ends_with('\\') {
            break;
        }
    }
    let mut args = words(&rename(&command));
    assert_eq!(args.remove(0), "idloom-server");
    let listen = args.iter().position(|a| a == "--listen").unwrap();
    args.remove(listen);
    args.remove(listen);
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let server = Server::start(&argv).await;

    // Every curl line, in order.
    let mut ran = 0;
    for line in text.lines().filter(|l| l.starts_with("curl ")) {
        let (call, expected) = line.split_once("# → ").unwrap_or_else(|| panic!("no `# → answer` on: {line}"));
        let w = words(&rename(call));
        let (mut method, mut headers, mut url) = ("GET".to_string(), Vec::new(), None);
        let mut i = 1;
        while i < w.len() {
            match w[i].as_str() {
                "-s" => {}
                "-X" => {
                    i += 1;
                    method = w[i].clone();
                }
                "-H" => {
                    i += 1;
                    let (k, v) = w[i].split_once(": ").unwrap();
                    headers.push((k.to_string(), v.to_string()));
                }
                other => url = Some(other.to_string()),
            }
            i += 1;
        }
        let url = url.unwrap_or_else(|| panic!("no URL in: {line}"));
        let path = &url[url.find('/').unwrap()..];
        let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let answer = request(&server.addr, &method, path, &headers).await;
        let expected = rename(expected.trim());
        assert!(
            matches(&expected, &answer.body),
            "README: {line}\n  expected {expected}\n  got {} {}",
            answer.status,
            answer.body
        );
        ran += 1;
    }
    assert!(ran >= 8, "the chapter's curl lines were found ({ran})");
}
