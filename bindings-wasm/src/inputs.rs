//! The core's checks of the strings a caller gives a store or a service
//! (`idloom::inputs`). In every build, not only the coordination one: the
//! thin client of idloom-server (`js/remote.mjs`) checks its tag in
//! browsers and Workers too.

use crate::errors::{IntoJs, Out};
use wasm_bindgen::prelude::*;

/// Check a string a caller gives a store as input `kind` (`namespace`,
/// `biz_tag`, `holder`, `description`, `table`): the core's characters and
/// length, else `invalid_argument`.
#[wasm_bindgen(js_name = storeCheckInput)]
pub fn store_check_input(kind: &str, value: &str) -> Out<()> {
    idloom::inputs::check(kind, value).js()
}
