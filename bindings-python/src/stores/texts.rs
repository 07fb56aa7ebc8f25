//! The store texts `idloom.stores` executes on the host's drivers (the
//! core's `idloom::stores`: SQL, Lua, their names and numbers checked), and
//! the checks around them: namespaces and inputs, redacted URLs, MySQL TLS.

use crate::args::{int_in, text};
use crate::errors::{raise, IntoPy};
use crate::layout::layout_arg;
use idloom::{ErrorCode, Layout};
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// Every store text the core holds for ``engine`` ("postgres", "mysql",
/// "redis"), by name, plus ``schema_version``: what ``idloom.stores`` runs.
#[pyfunction]
pub fn _store_texts<'py>(py: Python<'py>, engine: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyDict>> {
    use idloom::stores::mysql;
    let d = PyDict::new(py);
    let engine = text(engine, "engine")?;
    let texts = idloom::stores::texts(&engine).ok_or_else(|| {
        raise(
            py,
            ErrorCode::InvalidArgument,
            format!("engine must be \"postgres\", \"mysql\" or \"redis\", got {:?}", &*engine),
        )
    })?;
    for (k, v) in texts {
        d.set_item(*k, *v)?;
    }
    if &*engine == "mysql" {
        d.set_item("SCHEMA_STATEMENTS", mysql::schema_statements().collect::<Vec<_>>())?;
    }
    d.set_item("schema_version", idloom::stores::SCHEMA_VERSION)?;
    Ok(d)
}

/// A segment text with its table name checked and in place.
#[pyfunction]
pub fn _segment_sql(py: Python<'_>, sql: &Bound<'_, PyAny>, table: &Bound<'_, PyAny>) -> PyResult<String> {
    idloom::stores::segment_sql(&text(sql, "sql")?, &text(table, "table")?).py(py)
}

/// A sequence text with its name, start and increment checked and in place.
#[pyfunction]
pub fn _sequence_sql(
    py: Python<'_>,
    sql: &Bound<'_, PyAny>,
    name: &Bound<'_, PyAny>,
    start: &Bound<'_, PyAny>,
    increment: &Bound<'_, PyAny>,
) -> PyResult<String> {
    let start = int_in(start, "start", ErrorCode::InvalidArgument, 0, i64::MAX as u64)?;
    let increment = int_in(increment, "increment", ErrorCode::InvalidArgument, 1, i64::MAX as u64)?;
    idloom::stores::sequence_sql(&text(sql, "sql")?, &text(name, "name")?, start, increment).py(py)
}

/// The core's (start, increment) of sequence ``index`` of ``count`` with ranges of ``step`` from ``floor``.
#[pyfunction]
pub fn _sequence_numbers(
    py: Python<'_>,
    step: &Bound<'_, PyAny>,
    floor: &Bound<'_, PyAny>,
    index: &Bound<'_, PyAny>,
    count: &Bound<'_, PyAny>,
) -> PyResult<(u64, u64)> {
    let n = |v: &Bound<'_, PyAny>, name: &'static str| int_in(v, name, ErrorCode::InvalidArgument, 0, u64::MAX);
    idloom::stores::sequence_numbers(n(step, "step")?, n(floor, "floor")?, n(index, "index")?, n(count, "count")?).py(py)
}

/// Whether a create text's failure with ``code`` (an SQLSTATE) on
/// ``engine`` is the concurrent-create race the core names (another session
/// created the object meanwhile): run the text again, up to
/// ``_CREATE_TRIES`` times in all.
#[pyfunction]
pub fn _create_race(engine: &str, code: &str) -> bool {
    idloom::stores::failure::create_race(engine, code)
}

/// Check a namespace name (1 to 64 of ``A-Z a-z 0-9 _ . -``).
#[pyfunction]
pub fn _check_namespace(py: Python<'_>, namespace: &Bound<'_, PyAny>) -> PyResult<String> {
    let ns = text(namespace, "namespace")?;
    idloom::stores::check_namespace(&ns).py(py)?;
    Ok(ns.into_owned())
}

/// Check a string a caller gives a store as input ``kind`` (``namespace``,
/// ``biz_tag``, ``holder``, ``description``, ``table``): the core's
/// characters and length, else ``InvalidArgumentError``. Returns the value.
#[pyfunction]
pub fn _check_input(py: Python<'_>, kind: &Bound<'_, PyAny>, value: &Bound<'_, PyAny>) -> PyResult<String> {
    let kind = text(kind, "kind")?;
    let param = idloom::inputs::KINDS.iter().copied().find(|k| *k == &*kind).unwrap_or("value");
    let value = text(value, param)?;
    idloom::inputs::check(&kind, &value).py(py)?;
    Ok(value.into_owned())
}

/// A store URL with its password shown as ``***`` (``scheme://user:***@host``,
/// ``password=***``): what messages, ``repr`` and the CLI show.
#[pyfunction]
pub fn _redact_url(url: &Bound<'_, PyAny>) -> PyResult<String> {
    Ok(idloom::secrets::redact_url(&text(url, "url")?))
}

/// ``text`` (a message, a driver's error) with ``url`` redacted and its
/// password removed wherever it appears.
#[pyfunction]
pub fn _redact(text_: &Bound<'_, PyAny>, url: &Bound<'_, PyAny>) -> PyResult<String> {
    Ok(idloom::secrets::redact(&text(text_, "text")?, &text(url, "url")?))
}

/// What a MySQL URL's ``ssl-mode`` (``None``: absent) and ``ssl-ca`` ask for:
/// ``DISABLED``, ``REQUIRED``, ``VERIFY_CA`` or ``VERIFY_IDENTITY`` (the core decides).
#[pyfunction]
#[pyo3(signature = (ssl_mode, has_ca))]
pub fn _mysql_tls(py: Python<'_>, ssl_mode: Option<&Bound<'_, PyAny>>, has_ca: bool) -> PyResult<&'static str> {
    let mode = ssl_mode.map(|m| text(m, "ssl-mode")).transpose()?;
    Ok(idloom::tls::mysql_mode(mode.as_deref(), has_ca).py(py)?.name())
}

/// The record of a layout a namespace keeps (its description).
#[pyfunction]
pub fn _layout_record(layout: &Bound<'_, PyAny>) -> PyResult<String> {
    Ok(idloom::stores::layout_record(&layout_arg(Some(layout), Layout::TWITTER)?))
}

/// The core's node count of a namespace on ``engine`` with ``layout``:
/// ``nodes`` checked (``invalid_argument`` naming the range), or the
/// default (1,024, at most the layout's node count) for ``None``.
#[pyfunction]
#[pyo3(signature = (engine, layout, nodes=None))]
pub fn _namespace_nodes(
    py: Python<'_>,
    engine: &Bound<'_, PyAny>,
    layout: &Bound<'_, PyAny>,
    nodes: Option<&Bound<'_, PyAny>>,
) -> PyResult<u64> {
    let engine = text(engine, "engine")?;
    let layout = layout_arg(Some(layout), Layout::TWITTER)?;
    let nodes = match nodes {
        Some(n) if !n.is_none() => Some(int_in(n, "nodes", ErrorCode::InvalidArgument, 0, u64::MAX)?),
        _ => None,
    };
    idloom::stores::namespace_nodes(&engine, &layout, nodes).py(py)
}

/// The core's check of a Redis counter's floor for ranges of ``step``
/// (Lua computes in doubles: below 2^53 − 1 − step, else ``invalid_range``).
#[pyfunction]
pub fn _redis_counter_floor(py: Python<'_>, floor: &Bound<'_, PyAny>, step: &Bound<'_, PyAny>) -> PyResult<u64> {
    let floor = int_in(floor, "floor", ErrorCode::InvalidRange, 0, u64::MAX)?;
    let step = int_in(step, "step", ErrorCode::InvalidArgument, 0, u64::MAX)?;
    idloom::stores::redis::check_counter_floor(floor, step).py(py)
}

/// Redis keys: ``("ns", namespace)`` or ``("counter", biz_tag)``.
#[pyfunction]
pub fn _redis_key(py: Python<'_>, kind: &Bound<'_, PyAny>, name: &Bound<'_, PyAny>) -> PyResult<String> {
    let name = text(name, "name")?;
    match &*text(kind, "kind")? {
        "ns" => {
            idloom::stores::check_namespace(&name).py(py)?;
            Ok(idloom::stores::redis::namespace_key(&name))
        }
        "counter" => {
            idloom::inputs::biz_tag(&name).py(py)?;
            Ok(idloom::stores::redis::counter_key(&name))
        }
        other => Err(raise(
            py,
            ErrorCode::InvalidArgument,
            format!("kind must be \"ns\" or \"counter\", got {other:?}"),
        )),
    }
}
