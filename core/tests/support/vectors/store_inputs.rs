//! `store_inputs.json`: every string input a store takes, checked by the core.

use serde_json::{json, Value};

/// The outcome of checking `value` as store input `kind`: `{"ok": true}`,
/// or the refusal's code and message (the same text in every binding).
pub fn store_input_outcome(kind: &str, value: &str) -> Value {
    match idloom::inputs::check(kind, value) {
        Ok(()) => json!({"ok": true}),
        Err(e) => json!({"error": e.code().as_str(), "message": e.to_string()}),
    }
}

/// Every string input a store takes, at its limit, one past it, and with
/// characters inside and outside its set.
pub fn store_inputs() -> Value {
    use idloom::inputs::*;
    let r = |s: &str, n: usize| s.repeat(n);
    // A name's edges: at its limit, one past it, empty.
    let edges = |c: &str, max: usize| vec![r(c, max), r(c, max + 1), String::new()];
    let texts = |t: &[&str]| t.iter().map(|t| t.to_string()).collect::<Vec<_>>();
    let injection = "x'), (0x696e6a6563746564, 999999, 1, 0x70776e6564) -- ";
    let kinds: Vec<(&str, Vec<String>)> = vec![
        (
            "namespace",
            [
                edges("n", MAX_NAMESPACE),
                texts(&["app-1.prod_2", ".hidden", "../x", "a:b", "ns}{"]),
            ]
            .concat(),
        ),
        (
            "biz_tag",
            [
                edges("t", MAX_BIZ_TAG),
                texts(&[
                    "leaf-segment-test",
                    "order:v2.eu_1",
                    "a}b",
                    "x'); DROP TABLE t; --",
                    "space here",
                    "訂單",
                ]),
            ]
            .concat(),
        ),
        (
            "holder",
            [
                edges("h", MAX_HOLDER),
                texts(&["web-1.example.com:4242:a1b2c3", "worker 3 ~ {x} 'q' \\", "tab\there", "café"]),
            ]
            .concat(),
        ),
        (
            "description",
            [
                vec![String::new()],
                ["d", "號", "😀"]
                    .iter()
                    .flat_map(|c| [r(c, MAX_DESCRIPTION), r(c, MAX_DESCRIPTION + 1)])
                    .collect(),
                texts(&[
                    injection,
                    "quotes ' \" ` backslash \\ -- /* */ #",
                    "nul \0 inside",
                    "line\nbreak",
                    "del \u{7f}",
                ]),
            ]
            .concat(),
        ),
        (
            "table",
            [
                edges("t", MAX_IDENTIFIER),
                vec![
                    "leaf_alloc".into(),
                    format!("{}.{}", r("s", MAX_IDENTIFIER), r("t", MAX_IDENTIFIER)),
                    format!("s.{}", r("t", MAX_IDENTIFIER + 1)),
                ],
                texts(&["_t1", "1t", "a.b.c", "x; DROP TABLE y", "tablé"]),
            ]
            .concat(),
        ),
    ];
    let cases: Vec<(&str, String)> = kinds
        .into_iter()
        .flat_map(|(kind, values)| values.into_iter().map(move |v| (kind, v)))
        .collect();
    let cases: Vec<Value> = cases
        .iter()
        .map(|(kind, value)| json!({"kind": kind, "value": value, "expect": store_input_outcome(kind, value)}))
        .collect();
    json!({
        "_comment": "Every string a caller gives a store, checked by the core (idloom::inputs) before anything is sent: the same limits, codes and messages in every binding. Lengths count characters (Unicode scalar values), not bytes or UTF-16 units.",
        "limits": {"namespace": MAX_NAMESPACE, "biz_tag": MAX_BIZ_TAG, "holder": MAX_HOLDER, "description": MAX_DESCRIPTION, "table": MAX_IDENTIFIER},
        "cases": cases,
    })
}
