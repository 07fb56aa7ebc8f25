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
    let injection = "x'), (0x696e6a6563746564, 999999, 1, 0x70776e6564) -- ";
    let cases: Vec<(&str, String)> = vec![
        ("namespace", r("n", MAX_NAMESPACE)),
        ("namespace", r("n", MAX_NAMESPACE + 1)),
        ("namespace", String::new()),
        ("namespace", "app-1.prod_2".into()),
        ("namespace", ".hidden".into()),
        ("namespace", "../x".into()),
        ("namespace", "a:b".into()),
        ("namespace", "ns}{".into()),
        ("biz_tag", r("t", MAX_BIZ_TAG)),
        ("biz_tag", r("t", MAX_BIZ_TAG + 1)),
        ("biz_tag", String::new()),
        ("biz_tag", "leaf-segment-test".into()),
        ("biz_tag", "order:v2.eu_1".into()),
        ("biz_tag", "a}b".into()),
        ("biz_tag", "x'); DROP TABLE t; --".into()),
        ("biz_tag", "space here".into()),
        ("biz_tag", "訂單".into()),
        ("holder", r("h", MAX_HOLDER)),
        ("holder", r("h", MAX_HOLDER + 1)),
        ("holder", String::new()),
        ("holder", "web-1.example.com:4242:a1b2c3".into()),
        ("holder", "worker 3 ~ {x} 'q' \\".into()),
        ("holder", "tab\there".into()),
        ("holder", "café".into()),
        ("description", String::new()),
        ("description", r("d", MAX_DESCRIPTION)),
        ("description", r("d", MAX_DESCRIPTION + 1)),
        ("description", r("號", MAX_DESCRIPTION)),
        ("description", r("號", MAX_DESCRIPTION + 1)),
        ("description", r("😀", MAX_DESCRIPTION)),
        ("description", r("😀", MAX_DESCRIPTION + 1)),
        ("description", injection.into()),
        ("description", "quotes ' \" ` backslash \\ -- /* */ #".into()),
        ("description", "nul \0 inside".into()),
        ("description", "line\nbreak".into()),
        ("description", "del \u{7f}".into()),
        ("table", r("t", MAX_IDENTIFIER)),
        ("table", r("t", MAX_IDENTIFIER + 1)),
        ("table", String::new()),
        ("table", "leaf_alloc".into()),
        ("table", format!("{}.{}", r("s", MAX_IDENTIFIER), r("t", MAX_IDENTIFIER))),
        ("table", format!("s.{}", r("t", MAX_IDENTIFIER + 1))),
        ("table", "_t1".into()),
        ("table", "1t".into()),
        ("table", "a.b.c".into()),
        ("table", "x; DROP TABLE y".into()),
        ("table", "tablé".into()),
    ];
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
