//! `idloom._idloom`: the native module behind the `idloom` Python package.
//! Thin: argument conversion, host clock and randomness, error mapping.

use pyo3::prelude::*;

mod args;
mod errors;
mod fork;
mod layout;
mod snowflake;

#[pymodule]
fn _idloom(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<layout::PyLayout>()?;
    m.add_class::<layout::PyParts>()?;
    m.add_class::<layout::PyCapacity>()?;
    m.add_class::<snowflake::PySnowflake>()?;
    m.add_class::<snowflake::PyManualClock>()?;
    m.add_class::<snowflake::PyRetryAt>()?;
    m.add_function(wrap_pyfunction!(fork::_after_fork_in_child, m)?)?;
    Ok(())
}
