//! The core's one state machine for ZooKeeper and etcd
//! (`idloom::stores::kvcall`) for `idloom.stores._kv`: `_KvCall` is a call
//! (its needs as plain tuples, the engine's answers back), `_Revisions`
//! the etcd handle's revision watch, `_kv_url` the URL as the core reads
//! it. Type conversion only: every decision is the core's.

use super::reading_tuple;
use crate::args::{int_in, text};
use crate::errors::{raise, IntoPy};
use idloom::lease::LeaseConfig;
use idloom::stores::answer::{refuse, Refusal, Subject};
use idloom::stores::kv;
use idloom::stores::kvcall::{Answer, Flavor, Identity, KvCall, KvUrl, Need, Revisions, Versioned, Write};
use idloom::{Error, ErrorCode};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyList, PyString, PyTuple};

fn flavor(py: Python<'_>, engine: &Bound<'_, PyAny>) -> PyResult<Flavor> {
    Flavor::of(&text(engine, "engine")?).py(py)
}

fn u64_arg(obj: &Bound<'_, PyAny>, param: &'static str) -> PyResult<u64> {
    int_in(obj, param, ErrorCode::InvalidArgument, 0, u64::MAX)
}

/// A record's text as the store gave it: a str, or bytes that must be
/// UTF-8 (else `store_schema`: not a record of ours).
fn record_text(py: Python<'_>, obj: &Bound<'_, PyAny>) -> PyResult<String> {
    if obj.is_instance_of::<PyString>() {
        return Ok(text(obj, "text")?.into_owned());
    }
    if let Ok(b) = obj.cast::<PyBytes>() {
        return String::from_utf8(b.as_bytes().to_vec())
            .map_err(|_| Error::reason(ErrorCode::StoreSchema, "record", "not UTF-8 text"))
            .py(py);
    }
    Err(crate::args::wrong_type(obj, "text", "a str or bytes"))
}

fn version(obj: &Bound<'_, PyAny>) -> PyResult<i64> {
    Ok(int_in(obj, "version", ErrorCode::StoreSchema, 0, i64::MAX as u64)? as i64)
}

fn written(obj: &Bound<'_, PyAny>) -> PyResult<Option<u64>> {
    if obj.is_none() {
        return Ok(None);
    }
    // ZooKeeper's mtime is signed: a negative one (never seen) as 0, as the Rust engine reads it.
    let ms: i64 = obj
        .extract()
        .map_err(|_| crate::args::wrong_type(obj, "written_ms", "an int or None"))?;
    Ok(Some(ms.max(0) as u64))
}

/// `(text, version, written_ms | None)`.
fn versioned(py: Python<'_>, obj: &Bound<'_, PyAny>) -> PyResult<Versioned> {
    let t = obj
        .cast::<PyTuple>()
        .map_err(|_| crate::args::wrong_type(obj, "got", "a (text, version, written_ms) tuple"))?;
    if t.len() != 3 {
        return Err(raise(
            py,
            ErrorCode::InvalidArgument,
            "got must be (text, version, written_ms)".into(),
        ));
    }
    Ok(Versioned {
        text: record_text(py, &t.get_item(0)?)?,
        version: version(&t.get_item(1)?)?,
        written_ms: written(&t.get_item(2)?)?,
    })
}

/// `"silence"`, `("named", name)` or `("rolled_back", name)`.
fn identity(py: Python<'_>, obj: &Bound<'_, PyAny>) -> PyResult<Identity> {
    if obj.is_instance_of::<PyString>() {
        if text(obj, "identity")? == "silence" {
            return Ok(Identity::Silence);
        }
    } else if let Ok(t) = obj.cast::<PyTuple>() {
        if t.len() == 2 {
            let name = text(&t.get_item(1)?, "identity")?.into_owned();
            match &*text(&t.get_item(0)?, "identity")? {
                "named" => return Ok(Identity::Named(name)),
                "rolled_back" => return Ok(Identity::RolledBack(name)),
                _ => {}
            }
        }
    }
    Err(raise(
        py,
        ErrorCode::InvalidArgument,
        "identity must be \"silence\", (\"named\", name) or (\"rolled_back\", name)".into(),
    ))
}

fn identity_tuple<'py>(py: Python<'py>, identity: &Identity) -> PyResult<Bound<'py, PyAny>> {
    Ok(match identity {
        Identity::Named(s) => ("named", s.as_str()).into_pyobject(py)?.into_any(),
        Identity::RolledBack(s) => ("rolled_back", s.as_str()).into_pyobject(py)?.into_any(),
        Identity::Silence => "silence".into_pyobject(py)?.into_any(),
    })
}

/// The engine's answer: `(kind, value)` as `answer()` documents it.
fn to_answer(py: Python<'_>, kind: &str, value: &Bound<'_, PyAny>) -> PyResult<Answer> {
    Ok(match kind {
        "done" => Answer::Done,
        "now" if value.is_none() => Answer::Now(None),
        "now" => {
            let t = value
                .cast::<PyTuple>()
                .map_err(|_| crate::args::wrong_type(value, "now", "(ms, identity) or None"))?;
            if t.len() != 2 {
                return Err(raise(py, ErrorCode::InvalidArgument, "now must be (ms, identity) or None".into()));
            }
            let ms = u64_arg(&t.get_item(0)?, "now_ms")?;
            Answer::Now(Some((ms, identity(py, &t.get_item(1)?)?)))
        }
        "got" if value.is_none() => Answer::Got(None),
        "got" => Answer::Got(Some(versioned(py, value)?)),
        "listed" => {
            let mut out = Vec::new();
            for item in value.try_iter()? {
                let item = item?;
                let t = item
                    .cast::<PyTuple>()
                    .map_err(|_| crate::args::wrong_type(&item, "listed", "(key, text, version, written_ms) tuples"))?;
                if t.len() != 4 {
                    return Err(raise(
                        py,
                        ErrorCode::InvalidArgument,
                        "listed takes (key, text, version, written_ms) tuples".into(),
                    ));
                }
                let key = text(&t.get_item(0)?, "key")?.into_owned();
                let v = Versioned {
                    text: record_text(py, &t.get_item(1)?)?,
                    version: version(&t.get_item(2)?)?,
                    written_ms: written(&t.get_item(3)?)?,
                };
                out.push((key, v));
            }
            Answer::Listed(out)
        }
        "committed" => {
            let won = value
                .cast::<PyBool>()
                .map_err(|_| crate::args::wrong_type(value, "committed", "a bool"))?;
            Answer::Committed(won.is_true())
        }
        other => {
            return Err(raise(
                py,
                ErrorCode::InvalidArgument,
                format!("kind must be \"done\", \"now\", \"got\", \"listed\" or \"committed\", got {other:?}"),
            ))
        }
    })
}

fn write_tuple<'py>(py: Python<'py>, w: &Write) -> PyResult<Bound<'py, PyAny>> {
    Ok(match w {
        Write::Create { key, text } => ("create", key, text).into_pyobject(py)?.into_any(),
        Write::Set { key, text, version } => ("set", key, text, *version).into_pyobject(py)?.into_any(),
        Write::Check { key, version } => ("check", key, *version).into_pyobject(py)?.into_any(),
        Write::Live { key, text, ttl_s } => ("live", key, text, *ttl_s).into_pyobject(py)?.into_any(),
        Write::Delete { key } => ("delete", key).into_pyobject(py)?.into_any(),
    })
}

fn need_tuple<'py>(py: Python<'py>, need: Need) -> PyResult<Bound<'py, PyTuple>> {
    match need {
        Need::Ensure(keys) => ("ensure", keys).into_pyobject(py),
        Need::Now(clock) => ("now", clock).into_pyobject(py),
        Need::Get(key) => ("get", key).into_pyobject(py),
        Need::List(prefix) => ("list", prefix).into_pyobject(py),
        Need::Commit(writes) => {
            let ops = writes.iter().map(|w| write_tuple(py, w)).collect::<PyResult<Vec<_>>>()?;
            ("commit", PyList::new(py, ops)?).into_pyobject(py)
        }
        Need::RollbackHandled => ("rollback_handled",).into_pyobject(py),
        Need::Pause(us) => ("pause", us).into_pyobject(py),
        Need::Finished(reading) => ("finished", reading_tuple(py, &reading)?).into_pyobject(py),
    }
}

/// One call of the lease protocol on ZooKeeper or etcd, the core's state
/// machine. Make it with a constructor (``engine`` is ``"zookeeper"`` or
/// ``"etcd"``), then ``start()`` and ``answer(kind, value)`` until the need
/// is ``("finished", reading)``. Needs: ``("ensure", [keys])``, ``("now",
/// clock_key)``, ``("get", key)``, ``("list", prefix)``, ``("commit",
/// [("create", k, text) | ("set", k, text, version) | ("check", k,
/// version) | ("live", k, text, ttl_s) | ("delete", k)])``,
/// ``("rollback_handled",)``, ``("pause", us)``; ``reading`` is what
/// ``_read_answer`` returns for the same reading. Answers: ``("done",
/// None)``, ``("now", None | (ms, identity))``, ``("got", None | (text,
/// version, written_ms))``, ``("listed", [(key, text, version,
/// written_ms)])``, ``("committed", bool)``; ``identity`` is ``"silence"``,
/// ``("named", name)`` or ``("rolled_back", name)``.
#[pyclass(name = "_KvCall", module = "idloom")]
pub struct PyKvCall {
    inner: KvCall,
}

#[pymethods]
impl PyKvCall {
    /// Create ``namespace`` if missing; finishes ``namespace``.
    #[staticmethod]
    #[allow(clippy::too_many_arguments)]
    fn create_namespace(
        py: Python<'_>,
        engine: &Bound<'_, PyAny>,
        namespace: &Bound<'_, PyAny>,
        layout: &Bound<'_, PyAny>,
        nodes: &Bound<'_, PyAny>,
        ttl_ms: &Bound<'_, PyAny>,
        max_skew_ms: &Bound<'_, PyAny>,
        fresh: bool,
    ) -> PyResult<Self> {
        let config = LeaseConfig {
            ttl_ms: u64_arg(ttl_ms, "ttl_ms")?,
            max_skew_ms: u64_arg(max_skew_ms, "max_skew_ms")?,
        };
        let inner = KvCall::create_namespace(
            flavor(py, engine)?,
            &text(namespace, "namespace")?,
            &text(layout, "layout")?,
            u64_arg(nodes, "nodes")?,
            config,
            fresh,
        )
        .py(py)?;
        Ok(PyKvCall { inner })
    }

    /// A namespace's record: finishes ``namespace`` or ``missing``.
    #[staticmethod]
    fn namespace(py: Python<'_>, engine: &Bound<'_, PyAny>, namespace: &Bound<'_, PyAny>) -> PyResult<Self> {
        let inner = KvCall::namespace(flavor(py, engine)?, &text(namespace, "namespace")?).py(py)?;
        Ok(PyKvCall { inner })
    }

    /// An acquire: finishes ``grant``.
    #[staticmethod]
    fn acquire(
        py: Python<'_>,
        engine: &Bound<'_, PyAny>,
        namespace: &Bound<'_, PyAny>,
        holder: &Bound<'_, PyAny>,
        proposed_fence_ms: &Bound<'_, PyAny>,
    ) -> PyResult<Self> {
        let inner = KvCall::acquire(
            flavor(py, engine)?,
            &text(namespace, "namespace")?,
            &text(holder, "holder")?,
            u64_arg(proposed_fence_ms, "proposed_fence_ms")?,
        )
        .py(py)?;
        Ok(PyKvCall { inner })
    }

    /// A renewal: finishes ``grant`` or ``refused``.
    #[staticmethod]
    #[allow(clippy::too_many_arguments)]
    fn renew(
        py: Python<'_>,
        engine: &Bound<'_, PyAny>,
        namespace: &Bound<'_, PyAny>,
        node: &Bound<'_, PyAny>,
        epoch: &Bound<'_, PyAny>,
        start_ms: &Bound<'_, PyAny>,
        holder: &Bound<'_, PyAny>,
        proposed_fence_ms: &Bound<'_, PyAny>,
    ) -> PyResult<Self> {
        let inner = KvCall::renew(
            flavor(py, engine)?,
            &text(namespace, "namespace")?,
            u64_arg(node, "node")?,
            u64_arg(epoch, "epoch")?,
            u64_arg(start_ms, "start_ms")?,
            &text(holder, "holder")?,
            u64_arg(proposed_fence_ms, "proposed_fence_ms")?,
        )
        .py(py)?;
        Ok(PyKvCall { inner })
    }

    /// A release with the holder's high-water: finishes ``done``.
    #[staticmethod]
    #[allow(clippy::too_many_arguments)]
    fn release(
        py: Python<'_>,
        engine: &Bound<'_, PyAny>,
        namespace: &Bound<'_, PyAny>,
        node: &Bound<'_, PyAny>,
        epoch: &Bound<'_, PyAny>,
        start_ms: &Bound<'_, PyAny>,
        holder: &Bound<'_, PyAny>,
        high_water_ms: &Bound<'_, PyAny>,
    ) -> PyResult<Self> {
        let inner = KvCall::release(
            flavor(py, engine)?,
            &text(namespace, "namespace")?,
            u64_arg(node, "node")?,
            u64_arg(epoch, "epoch")?,
            u64_arg(start_ms, "start_ms")?,
            &text(holder, "holder")?,
            u64_arg(high_water_ms, "high_water_ms")?,
        )
        .py(py)?;
        Ok(PyKvCall { inner })
    }

    /// Every node's status: finishes ``nodes``.
    #[staticmethod]
    fn nodes(py: Python<'_>, engine: &Bound<'_, PyAny>, namespace: &Bound<'_, PyAny>) -> PyResult<Self> {
        let inner = KvCall::nodes(flavor(py, engine)?, &text(namespace, "namespace")?).py(py)?;
        Ok(PyKvCall { inner })
    }

    /// The counter ``biz_tag`` at ``floor`` if missing: finishes ``done``.
    #[staticmethod]
    fn create_counter(
        py: Python<'_>,
        engine: &Bound<'_, PyAny>,
        biz_tag: &Bound<'_, PyAny>,
        floor: &Bound<'_, PyAny>,
        step: &Bound<'_, PyAny>,
        guard: bool,
    ) -> PyResult<Self> {
        let inner = KvCall::create_counter(
            flavor(py, engine)?,
            &text(biz_tag, "biz_tag")?,
            u64_arg(floor, "floor")?,
            u64_arg(step, "step")?,
            guard,
        )
        .py(py)?;
        Ok(PyKvCall { inner })
    }

    /// A range of ``step`` from the counter (pauses jittered from ``seed``): finishes ``range``.
    #[staticmethod]
    fn fetch(
        py: Python<'_>,
        engine: &Bound<'_, PyAny>,
        biz_tag: &Bound<'_, PyAny>,
        step: &Bound<'_, PyAny>,
        seed: &Bound<'_, PyAny>,
    ) -> PyResult<Self> {
        let inner = KvCall::fetch(
            flavor(py, engine)?,
            &text(biz_tag, "biz_tag")?,
            u64_arg(step, "step")?,
            u64_arg(seed, "seed")?,
        )
        .py(py)?;
        Ok(PyKvCall { inner })
    }

    /// The first need.
    fn start<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let need = self.inner.start().py(py)?;
        need_tuple(py, need)
    }

    /// The engine's answer to the last need (``kind`` names it); the next need.
    #[pyo3(signature = (kind, value=None))]
    fn answer<'py>(
        &mut self,
        py: Python<'py>,
        kind: &Bound<'py, PyAny>,
        value: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyTuple>> {
        let none = py.None().into_bound(py);
        let answer = to_answer(py, &text(kind, "kind")?, value.unwrap_or(&none))?;
        let need = self.inner.answer(answer).py(py)?;
        need_tuple(py, need)
    }

    /// The engine this call is for.
    #[getter]
    fn engine(&self) -> &'static str {
        self.inner.flavor().engine()
    }
}

/// An etcd handle's watch on the store's revision (one per store handle):
/// read ``seen()`` before sending a request, then ``identity(cluster_id,
/// seen_before, revision)`` with its response header: ``("named", name)``,
/// or ``("rolled_back", name)`` while the store went back in time and the
/// floor has not risen since (``handled()``).
#[pyclass(name = "_Revisions", module = "idloom")]
#[derive(Default)]
pub struct PyRevisions {
    inner: Revisions,
}

#[pymethods]
impl PyRevisions {
    #[new]
    fn new() -> Self {
        PyRevisions::default()
    }

    /// The highest revision seen so far.
    fn seen(&self) -> i64 {
        self.inner.seen()
    }

    /// The identity a response header shows.
    fn identity<'py>(
        &mut self,
        py: Python<'py>,
        cluster_id: &Bound<'py, PyAny>,
        seen_before: i64,
        revision: i64,
    ) -> PyResult<Bound<'py, PyAny>> {
        let id = self.inner.identity(u64_arg(cluster_id, "cluster_id")?, seen_before, revision);
        identity_tuple(py, &id)
    }

    /// The floor rose: stop reporting the rollback.
    fn handled(&mut self) {
        self.inner.handled();
    }
}

/// A ``zookeeper://`` or ``etcd://`` URL as the core reads it: ``{"engine",
/// "hosts", "chroot", "session_timeout_ms", "call_timeout_ms",
/// "connect_string"}`` (``InvalidArgumentError`` naming what is wrong).
#[pyfunction]
pub fn _kv_url<'py>(py: Python<'py>, url: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyDict>> {
    let u = KvUrl::parse(&text(url, "url")?).py(py)?;
    let d = PyDict::new(py);
    d.set_item("engine", u.flavor.engine())?;
    d.set_item("hosts", u.hosts.clone())?;
    d.set_item("chroot", u.chroot.clone())?;
    d.set_item("session_timeout_ms", u.session_timeout_ms)?;
    d.set_item("call_timeout_ms", u.call_timeout_ms)?;
    d.set_item("connect_string", u.connect_string())?;
    Ok(d)
}

/// A segment counter's key (``/idloom/counters:TAG``; the tag checked).
#[pyfunction]
pub fn _kv_counter_key(py: Python<'_>, biz_tag: &Bound<'_, PyAny>) -> PyResult<String> {
    kv::counter_key(&text(biz_tag, "biz_tag")?).py(py)
}

/// Where a counter's next range starts, from its record's text (None: no
/// such counter, ``StoreStateLostError``; not a counter record: ``StoreSchemaError``).
#[pyfunction]
pub fn _kv_peek(py: Python<'_>, biz_tag: &Bound<'_, PyAny>, record: &Bound<'_, PyAny>) -> PyResult<u64> {
    let tag = text(biz_tag, "biz_tag")?;
    kv::counter_key(&tag).py(py)?;
    if record.is_none() {
        let who = Subject {
            biz_tag: Some(&tag),
            ..Subject::default()
        };
        return Err(crate::errors::to_py(py, refuse(Refusal::CounterMissing, &who)));
    }
    kv::decode_counter(&record_text(py, record)?).py(py)
}
