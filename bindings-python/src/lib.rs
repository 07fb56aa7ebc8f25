//! `idloom._idloom`: the native module behind the `idloom` Python package.
//! Thin: argument conversion, host clock and randomness, error mapping.
#![deny(unsafe_code)] // no unsafe of our own: pyo3 carries it

use pyo3::prelude::*;

mod args;
mod encoding;
mod errors;
mod events;
mod fork;
mod layout;
mod lease;
mod mask;
mod nanoid;
mod objectid;
mod segment;
mod snowflake;
mod state;
mod stores;
mod uuid;

#[pymodule]
fn _idloom(m: &Bound<'_, PyModule>) -> PyResult<()> {
    // The workspace's one version (Cargo.toml `[workspace.package]`), re-exported as `idloom.__version__`.
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("_CAS_TRIES", idloom::stores::CAS_TRIES)?;
    m.add("_CREATE_TRIES", idloom::stores::failure::CREATE_TRIES)?;
    m.add_class::<layout::PyLayout>()?;
    m.add_class::<layout::PyParts>()?;
    m.add_class::<layout::PyCapacity>()?;
    m.add_class::<snowflake::PySnowflake>()?;
    m.add_class::<snowflake::PyManualClock>()?;
    m.add_class::<snowflake::PyRetryAt>()?;
    m.add_class::<snowflake::PySnowflakeMachine>()?;
    m.add_class::<nanoid::PyNanoIdGenerator>()?;
    m.add_class::<mask::PyMask>()?;
    m.add_class::<segment::PySegment>()?;
    m.add_class::<segment::PyMemorySource>()?;
    m.add_class::<segment::PySegmentBuffer>()?;
    m.add_class::<uuid::PyV7Generator>()?;
    m.add_class::<lease::PyLeaseMachine>()?;
    m.add_class::<lease::PyFence>()?;
    m.add_class::<state::PySlot>()?;
    m.add_class::<stores::PyCasLoop>()?;
    m.add_class::<stores::PyGroupTurn>()?;
    m.add_class::<stores::kv::PyKvCall>()?;
    m.add_class::<stores::kv::PyRevisions>()?;
    m.add_class::<objectid::PyObjectId>()?;
    m.add_class::<objectid::PyObjectIdGenerator>()?;
    m.add_class::<events::PyCounters>()?;
    for f in [
        wrap_pyfunction!(uuid::uuid4, m)?,
        wrap_pyfunction!(uuid::uuid7, m)?,
        wrap_pyfunction!(uuid::uuid4_str, m)?,
        wrap_pyfunction!(uuid::uuid7_str, m)?,
        wrap_pyfunction!(uuid::uuid4_bytes, m)?,
        wrap_pyfunction!(uuid::uuid7_bytes, m)?,
        wrap_pyfunction!(uuid::parse_uuid, m)?,
        wrap_pyfunction!(uuid::format_uuid, m)?,
        wrap_pyfunction!(uuid::uuid_timestamp_ms, m)?,
        wrap_pyfunction!(nanoid::nanoid, m)?,
        wrap_pyfunction!(nanoid::nanoid_from_bytes, m)?,
        wrap_pyfunction!(uuid::uuid4_from_bytes, m)?,
        wrap_pyfunction!(uuid::uuid7_from_parts, m)?,
        wrap_pyfunction!(nanoid::custom_alphabet, m)?,
        wrap_pyfunction!(objectid::objectid, m)?,
        wrap_pyfunction!(encoding::encode, m)?,
        wrap_pyfunction!(encoding::decode, m)?,
        wrap_pyfunction!(fork::_after_fork_in_child, m)?,
        wrap_pyfunction!(fork::_fork_generation, m)?,
        wrap_pyfunction!(segment::refill::_refill_shutdown, m)?,
        wrap_pyfunction!(stores::texts::_store_texts, m)?,
        wrap_pyfunction!(stores::texts::_segment_sql, m)?,
        wrap_pyfunction!(stores::texts::_sequence_sql, m)?,
        wrap_pyfunction!(stores::texts::_sequence_numbers, m)?,
        wrap_pyfunction!(stores::texts::_create_race, m)?,
        wrap_pyfunction!(stores::texts::_check_namespace, m)?,
        wrap_pyfunction!(stores::texts::_check_input, m)?,
        wrap_pyfunction!(stores::texts::_redact_url, m)?,
        wrap_pyfunction!(stores::texts::_mysql_tls, m)?,
        wrap_pyfunction!(stores::texts::_redact, m)?,
        wrap_pyfunction!(stores::texts::_layout_record, m)?,
        wrap_pyfunction!(stores::texts::_redis_key, m)?,
        wrap_pyfunction!(stores::texts::_redis_counter_floor, m)?,
        wrap_pyfunction!(stores::texts::_namespace_nodes, m)?,
        wrap_pyfunction!(stores::_classify, m)?,
        wrap_pyfunction!(stores::_read_answer, m)?,
        wrap_pyfunction!(stores::_check_arg, m)?,
        wrap_pyfunction!(stores::_refuse, m)?,
        wrap_pyfunction!(stores::kv::_kv_url, m)?,
        wrap_pyfunction!(stores::kv::_kv_counter_key, m)?,
        wrap_pyfunction!(stores::kv::_kv_peek, m)?,
        wrap_pyfunction!(events::_event_kinds, m)?,
        wrap_pyfunction!(events::_event_message, m)?,
    ] {
        m.add_function(f)?;
    }
    Ok(())
}
