//! `errors.json`: every stable error code.

use idloom::ErrorCode;
use serde_json::{json, Value};

pub fn errors() -> Value {
    let codes: Vec<Value> = ErrorCode::ALL
        .iter()
        .map(|c| json!({"code": c.as_str(), "bad_input": c.is_bad_input()}))
        .collect();
    json!({
        "_comment": "Every stable error code. bad_input: hosts raise ValueError/RangeError (or TypeError for invalid_type); otherwise the generator's state or environment refused (clock, exhaustion, fork): hosts raise their runtime error class, still with .code.",
        "codes": codes,
    })
}
