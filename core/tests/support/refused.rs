//! The check every refusal test makes: the typed error and its exact message
//! (what a binding's user reads).

use idloom::{ErrorCode, Result};

/// `result` is an error with `code` whose message is `message`.
#[track_caller]
pub fn assert_refused<T: core::fmt::Debug>(result: Result<T>, code: ErrorCode, message: &str) {
    let e = result.unwrap_err();
    assert_eq!((e.code(), e.to_string().as_str()), (code, message));
}
