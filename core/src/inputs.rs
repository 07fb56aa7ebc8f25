//! Every string a caller hands to a store, checked before anything is sent:
//! one function per kind of input, the same limits in every binding (the
//! bindings call these and only convert types). A refusal is
//! `invalid_argument` naming the parameter, the allowed characters and
//! length, and what was wrong (the length, or the first character outside
//! the set) — never a truncation: each limit is at most the column that
//! stores the value (`core/stores/*/schema.sql`, `segment_schema.sql`), so a
//! value a column would cut or a driver would mangle is refused first.
//! Values are still sent as parameters, never spliced into a text; the
//! checks keep what the stores hold predictable (Redis key parts, file
//! names, Leaf columns, the same answer on every engine).
//!
//! | input | characters | length |
//! |---|---|---|
//! | namespace | `A-Z a-z 0-9 _ . -`, not starting with `.` | 1..=64 |
//! | biz_tag | `A-Z a-z 0-9 _ . - :` | 1..=128 (Leaf's `biz_tag varchar(128)`) |
//! | holder | printable ASCII (space to `~`) | 1..=255 (`holder varchar(255)`) |
//! | description | any Unicode but control characters | 0..=256 characters (Leaf's `description varchar(256)`) |
//! | table (and sequence names) | SQL identifier `[A-Za-z_][A-Za-z0-9_]*`, optionally `schema.table` | 1..=63 each part (PostgreSQL's identifier limit) |
//!
//! Lengths count characters (Unicode scalar values), as `varchar(n)` does
//! on PostgreSQL and on MariaDB/MySQL; every set but the description's is
//! ASCII, so there characters are bytes.

use crate::error::{Detail, Error, ErrorCode, Result, TextProblem};

/// Longest namespace (`idloom_namespace.namespace varchar(64)`).
pub const MAX_NAMESPACE: usize = 64;
/// Longest biz tag (Leaf's `biz_tag varchar(128)`).
pub const MAX_BIZ_TAG: usize = 128;
/// Longest holder (`idloom_node.holder varchar(255)`).
pub const MAX_HOLDER: usize = 255;
/// Longest segment description, in characters (Leaf's `description varchar(256)`).
pub const MAX_DESCRIPTION: usize = 256;
/// Longest SQL identifier part (PostgreSQL keeps 63 bytes; MariaDB 64).
pub const MAX_IDENTIFIER: usize = 63;

/// The kinds of input, by the name bindings pass to [`check`].
pub const KINDS: [&str; 5] = ["namespace", "biz_tag", "holder", "description", "table"];

const NAMESPACE_RULE: &str = "1 to 64 characters of A-Z a-z 0-9 _ . - (not starting with .)";
const BIZ_TAG_RULE: &str = "1 to 128 characters of A-Z a-z 0-9 _ . - :";
const HOLDER_RULE: &str = "1 to 255 characters of printable ASCII (space to ~)";
const DESCRIPTION_RULE: &str = "at most 256 characters, none of them a control character";
const TABLE_RULE: &str = "an SQL identifier (1 to 63 of A-Z a-z 0-9 _, not starting with a digit), optionally schema.table";

fn refuse(param: &'static str, rule: &'static str, problem: TextProblem) -> Error {
    Error::new(ErrorCode::InvalidArgument, Detail::Text { param, rule, problem })
}

/// `value` of `min..=max` characters, each allowed by `ok`, else the refusal.
fn text(value: &str, param: &'static str, rule: &'static str, min: usize, max: usize, ok: impl Fn(usize, char) -> bool) -> Result<()> {
    let mut length = 0;
    for (position, c) in value.chars().enumerate() {
        if !ok(position, c) {
            return Err(refuse(param, rule, TextProblem::Character { position, code: c as u32 }));
        }
        length += 1;
    }
    if (min..=max).contains(&length) {
        Ok(())
    } else {
        Err(refuse(param, rule, TextProblem::Length(length)))
    }
}

/// A namespace: a Redis key part, a file name and a `varchar(64)`.
pub fn namespace(value: &str) -> Result<()> {
    text(value, "namespace", NAMESPACE_RULE, 1, MAX_NAMESPACE, |i, c| {
        c.is_ascii_alphanumeric() || matches!(c, '_' | '-') || (c == '.' && i > 0)
    })
}

/// A segment counter's tag: a Leaf `biz_tag` and the inside of a Redis hash tag (no `{`, `}`).
pub fn biz_tag(value: &str) -> Result<()> {
    text(value, "biz_tag", BIZ_TAG_RULE, 1, MAX_BIZ_TAG, |_, c| {
        c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | ':')
    })
}

/// A lease holder: compared byte for byte by every renewal, so kept to
/// ASCII that every column character set stores unchanged.
pub fn holder(value: &str) -> Result<()> {
    text(value, "holder", HOLDER_RULE, 1, MAX_HOLDER, |_, c| matches!(c, ' '..='~'))
}

/// A segment description (free text for humans; PostgreSQL cannot store NUL).
pub fn description(value: &str) -> Result<()> {
    text(value, "description", DESCRIPTION_RULE, 0, MAX_DESCRIPTION, |_, c| !c.is_control())
}

/// A table (or sequence) name: an SQL identifier, optionally `schema.table`.
pub fn table(value: &str) -> Result<()> {
    sql_name(value, "table")
}

/// An SQL identifier, optionally `schema.name`, as parameter `param`.
pub fn sql_name(value: &str, param: &'static str) -> Result<()> {
    let ident = |part: &str, offset: usize| {
        text(part, param, TABLE_RULE, 1, MAX_IDENTIFIER, |i, c| {
            c.is_ascii_alphabetic() || c == '_' || (i > 0 && c.is_ascii_digit())
        })
        .map_err(|e| match *e.detail() {
            Detail::Text {
                problem: TextProblem::Character { position, code },
                ..
            } => refuse(
                param,
                TABLE_RULE,
                TextProblem::Character {
                    position: position + offset,
                    code,
                },
            ),
            _ => e,
        })
    };
    match value.split_once('.') {
        Some((schema, name)) => {
            ident(schema, 0)?;
            ident(name, schema.chars().count() + 1)
        }
        None => ident(value, 0),
    }
}

/// Check `value` as the input `kind` (one of [`KINDS`]): what bindings call.
pub fn check(kind: &str, value: &str) -> Result<()> {
    match kind {
        "namespace" => namespace(value),
        "biz_tag" => biz_tag(value),
        "holder" => holder(value),
        "description" => description(value),
        "table" => table(value),
        _ => Err(Error::reason(
            ErrorCode::InvalidArgument,
            "kind",
            "must be one of namespace, biz_tag, holder, description, table",
        )),
    }
}

#[cfg(all(test, feature = "alloc"))]
mod tests {
    use super::*;
    use alloc::string::ToString;

    fn code(r: Result<()>) -> Option<&'static str> {
        r.err().map(|e| e.code().as_str())
    }

    #[test]
    fn limits_hold_at_the_edge_and_one_past() {
        for (kind, max, unit) in [
            ("namespace", MAX_NAMESPACE, "n"),
            ("biz_tag", MAX_BIZ_TAG, "t"),
            ("holder", MAX_HOLDER, "h"),
            ("description", MAX_DESCRIPTION, "號"),
            ("table", MAX_IDENTIFIER, "t"),
        ] {
            assert_eq!(code(check(kind, &unit.repeat(max))), None, "{kind} at its limit");
            assert_eq!(
                code(check(kind, &unit.repeat(max + 1))),
                Some("invalid_argument"),
                "{kind} one past"
            );
        }
        assert_eq!(code(check("description", "")), None);
        assert_eq!(code(check("holder", "")), Some("invalid_argument"));
    }

    #[test]
    fn messages_name_the_parameter_the_rule_and_the_fault() {
        let e = biz_tag(&"t".repeat(129)).unwrap_err();
        assert_eq!(e.param(), Some("biz_tag"));
        assert_eq!(
            e.to_string(),
            "biz_tag must be 1 to 128 characters of A-Z a-z 0-9 _ . - :, got 129 characters"
        );
        let e = description("a\0b").unwrap_err();
        assert_eq!(
            e.to_string(),
            "description must be at most 256 characters, none of them a control character, got U+0000 at character 1"
        );
        let e = table("s.1x").unwrap_err();
        assert!(e.to_string().ends_with("got U+0031 at character 2"), "{e}");
        assert!(table(&"x".repeat(64)).unwrap_err().to_string().ends_with("got 64 characters"));
    }
}
