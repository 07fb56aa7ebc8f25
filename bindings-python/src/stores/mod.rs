//! The core's store protocol for `idloom.stores` (`idloom::stores::{failure,
//! answer, args, cas, group}`): the adapters name a driver's failure and
//! call `_classify`, hand every row or reply to `_read_answer`, bound every
//! number with `_check_arg`, and run Leaf's compare-and-set fetch and a
//! group's turn as the core's state machines. No store decision is written
//! in Python; `tests/vectors/store_protocol.json` replays these calls.
//! The texts themselves, and the checks around them, are in [`texts`].

pub mod kv;
pub mod texts;

use crate::args::{int_in, int_value, text};
use crate::errors::{raise, to_py, IntoPy};
use idloom::stores::answer::{self, Cell, Subject};
use idloom::stores::cas::{CasLoop, CasStep};
use idloom::stores::group::Turn;
use idloom::stores::{args, failure};
use idloom::ErrorCode;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyInt, PyList, PyString, PyTuple};

/// The error the core classifies a driver's failure as (returned, not
/// raised): ``kind`` is ``"sqlstate"``, ``"errno"``, ``"reply"`` or
/// ``"connection"``; ``code`` the SQLSTATE, the error number (an int or its
/// decimal text), the Redis reply, or None; ``detail`` the driver's text, redacted.
#[pyfunction]
#[pyo3(signature = (engine, kind, code, detail))]
pub fn _classify(
    py: Python<'_>,
    engine: &Bound<'_, PyAny>,
    kind: &Bound<'_, PyAny>,
    code: Option<&Bound<'_, PyAny>>,
    detail: &Bound<'_, PyAny>,
) -> PyResult<PyErr> {
    let code = match code {
        None => String::new(),
        Some(c) if c.is_none() => String::new(),
        Some(c) if c.is_instance_of::<PyInt>() && !c.is_instance_of::<PyBool>() => c.str()?.to_string(),
        Some(c) => text(c, "code")?.into_owned(),
    };
    let e = failure::classify_named(&text(engine, "engine")?, &text(kind, "kind")?, &code, &text(detail, "detail")?).py(py)?;
    Ok(to_py(py, e))
}

/// A cell as the driver gave it, owned until the core reads it.
use idloom::stores::OwnedCell as Owned;

/// None, a bool, an int, a str, bytes (UTF-8) or anything else by its
/// ``str`` (a ``Decimal`` column): the core reads integers in text too.
fn owned(obj: &Bound<'_, PyAny>) -> PyResult<Owned> {
    Ok(if obj.is_none() {
        Owned::Null
    } else if let Ok(b) = obj.cast::<PyBool>() {
        Owned::Bool(b.is_true())
    } else if obj.is_instance_of::<PyInt>() {
        match obj.extract::<i64>() {
            Ok(i) => Owned::Int(i),
            Err(_) => Owned::Text(obj.str()?.to_string()),
        }
    } else if let Ok(s) = obj.cast::<PyString>() {
        Owned::Text(s.to_string_lossy().into_owned())
    } else if let Ok(b) = obj.cast::<PyBytes>() {
        Owned::Text(String::from_utf8_lossy(b.as_bytes()).into_owned())
    } else {
        Owned::Text(obj.str()?.to_string())
    })
}

/// What an answer is about, owned: ``{"namespace": …, "node": …, "epoch": …, "biz_tag": …}``.
#[derive(Default)]
struct OwnedSubject {
    namespace: Option<String>,
    node: Option<u64>,
    epoch: Option<u64>,
    biz_tag: Option<String>,
}

impl OwnedSubject {
    fn from_py(py: Python<'_>, obj: &Bound<'_, PyAny>) -> PyResult<Self> {
        let mut s = OwnedSubject::default();
        if obj.is_none() {
            return Ok(s);
        }
        let d = obj.cast::<PyDict>().map_err(|_| {
            raise(
                py,
                ErrorCode::InvalidType,
                format!("subject must be a dict, got {}", crate::args::type_name(obj)),
            )
        })?;
        for (k, v) in d.iter() {
            let k = text(&k, "subject")?;
            if v.is_none() {
                continue;
            }
            let n = |param| int_in(&v, param, ErrorCode::InvalidArgument, 0, u64::MAX);
            match &*k {
                "namespace" => s.namespace = Some(text(&v, "namespace")?.into_owned()),
                "biz_tag" => s.biz_tag = Some(text(&v, "biz_tag")?.into_owned()),
                "node" => s.node = Some(n("node")?),
                "epoch" => s.epoch = Some(n("epoch")?),
                other => {
                    return Err(raise(
                        py,
                        ErrorCode::InvalidArgument,
                        format!("subject takes namespace, node, epoch and biz_tag, not {other:?}"),
                    ))
                }
            }
        }
        Ok(s)
    }

    fn subject(&self) -> Subject<'_> {
        Subject {
            namespace: self.namespace.as_deref(),
            node: self.node,
            epoch: self.epoch,
            biz_tag: self.biz_tag.as_deref(),
        }
    }
}

/// What a store answered to ``call`` on ``engine``, read by the core: the
/// first SQL row (None: no row; a count of rows changed as a one-cell row)
/// or a Redis script's reply. Returns ``("grant", node, epoch, start_ms,
/// fence_ms, store_now_ms)``, ``("namespace", layout, nodes, ttl_ms,
/// max_skew_ms, floor_ms)``, ``("missing",)``, ``("refused",)``, ``("range",
/// start, end)``, ``("value", v)``, ``("lock", ttl_ms, floor_ms, now_ms)``,
/// ``("node", n)``, ``("held", epoch, start_ms, fence_ms)``, ``("nodes",
/// [(node, holder, epoch, expires_ms, start_ms, fence_ms), …])`` or
/// ``("done",)``; a grant ends with ``identity_changed`` (1: an acquire
/// found the store under another identity and raised the floor, else 0);
/// a refusal raises its typed error (one message table).
#[pyfunction]
pub fn _read_answer<'py>(
    py: Python<'py>,
    engine: &Bound<'py, PyAny>,
    call: &Bound<'py, PyAny>,
    subject: &Bound<'py, PyAny>,
    answer: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyTuple>> {
    let engine = text(engine, "engine")?;
    let call = text(call, "call")?;
    let who = OwnedSubject::from_py(py, subject)?;
    let cells: Option<Vec<Owned>> = if answer.is_none() {
        None
    } else if let Ok(t) = answer.cast::<PyTuple>() {
        Some(t.iter().map(|c| owned(&c)).collect::<PyResult<_>>()?)
    } else if let Ok(l) = answer.cast::<PyList>() {
        Some(l.iter().map(|c| owned(&c)).collect::<PyResult<_>>()?)
    } else {
        return Err(raise(
            py,
            ErrorCode::InvalidType,
            format!("answer must be a tuple, a list or None, got {}", crate::args::type_name(answer)),
        ));
    };
    let row: Option<Vec<Cell<'_>>> = cells.as_ref().map(|c| c.iter().map(Owned::cell).collect());
    let reading = answer::read(&engine, &call, &who.subject(), row.as_deref()).py(py)?;
    reading_tuple(py, &reading)
}

/// A reading of the core's as `_read_answer` returns it (the one conversion:
/// the ZooKeeper and etcd calls finish with the same tuples).
pub(crate) fn reading_tuple<'py>(py: Python<'py>, reading: &answer::Reading) -> PyResult<Bound<'py, PyTuple>> {
    if let answer::Reading::Nodes(nodes) = reading {
        let rows = nodes
            .iter()
            .map(|n| (n.node, n.holder.as_str(), n.epoch, n.expires_ms, n.start_ms, n.fence_ms))
            .collect::<Vec<_>>();
        return ("nodes", rows).into_pyobject(py);
    }
    let (name, layout, numbers) = reading.parts();
    let mut items: Vec<Bound<'py, PyAny>> = vec![name.into_pyobject(py)?.into_any()];
    if let Some(layout) = layout {
        items.push(layout.into_pyobject(py)?.into_any());
    }
    for n in numbers {
        items.push(n.into_pyobject(py)?.into_any());
    }
    PyTuple::new(py, items)
}

/// A store call's number checked against the core's spec of ``key``
/// (``nodes``, ``ttl_ms``, ``step``, ``counter_step``, ``floor``, …): the
/// value, ``InvalidTypeError`` for a non-int (a bool too), else
/// ``InvalidArgumentError`` naming the parameter and its range.
#[pyfunction]
pub fn _check_arg(py: Python<'_>, key: &Bound<'_, PyAny>, value: &Bound<'_, PyAny>) -> PyResult<u64> {
    check_arg(py, &text(key, "key")?, value)
}

fn check_arg(py: Python<'_>, key: &str, value: &Bound<'_, PyAny>) -> PyResult<u64> {
    let Some(spec) = args::spec_of(key) else {
        return args::check(key, 0).py(py); // the core's refusal of an unknown key
    };
    match int_value(value, spec.param)? {
        Some(v) => args::check(key, v).py(py),
        None => {
            let shown = value.repr().map(|r| r.to_string()).unwrap_or_default();
            Err(raise(
                py,
                ErrorCode::InvalidArgument,
                format!("{} must be in {}..={}, got {shown}", spec.param, spec.min, spec.max),
            ))
        }
    }
}

/// Leaf's compare-and-set fetch of ``step`` as the core runs it: ``read``
/// the counter (None: no such counter) gives ``("swap", old, new)``;
/// ``swapped(won, unit)`` gives ``("done", start, end)`` or ``("pause",
/// us)`` before the next read (``unit`` a uniform draw in [0, 1)); after 16
/// lost rounds ``StoreUnavailableError``. ``retries`` counts the rounds lost.
#[pyclass(name = "_CasLoop", module = "idloom")]
pub struct PyCasLoop {
    inner: CasLoop,
}

fn step_tuple<'py>(py: Python<'py>, step: CasStep) -> PyResult<Bound<'py, PyTuple>> {
    match step {
        CasStep::Swap { old, new } => ("swap", old, new).into_pyobject(py),
        CasStep::Pause { us } => ("pause", us).into_pyobject(py),
        CasStep::Done { start, end } => ("done", start, end).into_pyobject(py),
    }
}

#[pymethods]
impl PyCasLoop {
    #[new]
    fn new(py: Python<'_>, step: &Bound<'_, PyAny>) -> PyResult<Self> {
        let step = check_arg(py, "step", step)?;
        Ok(PyCasLoop {
            inner: CasLoop::new(step).py(py)?,
        })
    }

    /// The counter read (None: no such counter): the swap to run.
    fn read<'py>(
        &mut self,
        py: Python<'py>,
        current: Option<&Bound<'py, PyAny>>,
        subject: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyTuple>> {
        let current = match current {
            Some(c) if !c.is_none() => Some(int_in(c, "max_id", ErrorCode::StoreSchema, 0, u64::MAX)?),
            _ => None,
        };
        let who = OwnedSubject::from_py(py, subject)?;
        let step = self.inner.read(current, &who.subject()).py(py)?;
        step_tuple(py, step)
    }

    /// The swap's outcome: done, or a pause before the next read.
    fn swapped<'py>(&mut self, py: Python<'py>, won: bool, unit: f64, subject: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyTuple>> {
        let who = OwnedSubject::from_py(py, subject)?;
        let step = self.inner.swapped(won, unit, &who.subject()).py(py)?;
        step_tuple(py, step)
    }

    /// Rounds lost so far.
    #[getter]
    fn retries(&self) -> u32 {
        self.inner.retries()
    }
}

/// A segment group's turn (the core's): ``order()`` starts each call one
/// segment further and gives the indexes in the order to try them;
/// ``skip()`` counts a segment passed over; ``skipped`` the count.
#[pyclass(name = "_GroupTurn", module = "idloom")]
pub struct PyGroupTurn {
    turn: Turn,
    orders: Vec<Py<PyTuple>>, // one tuple per start, made once: no allocation per ID
}

#[pymethods]
impl PyGroupTurn {
    #[new]
    fn new(py: Python<'_>, n: &Bound<'_, PyAny>) -> PyResult<Self> {
        let n = int_in(n, "n", ErrorCode::InvalidArgument, 1, 1 << 16)? as usize;
        let turn = Turn::new(n);
        let orders = (0..n)
            .map(|k| PyTuple::new(py, turn.order(k).collect::<Vec<_>>()).map(Bound::unbind))
            .collect::<PyResult<_>>()?;
        Ok(PyGroupTurn { turn, orders })
    }

    /// The indexes this call tries, in order; the next call starts one further.
    fn order(&mut self, py: Python<'_>) -> Py<PyTuple> {
        self.orders[self.turn.start()].clone_ref(py)
    }

    /// One segment passed over because it failed.
    fn skip(&mut self) {
        self.turn.skip();
    }

    /// Segments passed over so far.
    #[getter]
    fn skipped(&self) -> u64 {
        self.turn.skipped()
    }
}

/// The core's refusal ``name`` about ``subject`` (returned, not raised), from
/// its one message table: ``"namespace_missing"`` (a lookup that found no
/// namespace), ``"not_protocol"`` (an answer of a call the core does not read).
#[pyfunction]
pub fn _refuse(py: Python<'_>, name: &Bound<'_, PyAny>, subject: &Bound<'_, PyAny>) -> PyResult<PyErr> {
    use idloom::stores::answer::Refusal;
    let refusal = match &*text(name, "name")? {
        "namespace_missing" => Refusal::NamespaceMissing,
        "not_protocol" => Refusal::NotProtocol,
        other => {
            return Err(raise(
                py,
                ErrorCode::InvalidArgument,
                format!("name must be \"namespace_missing\" or \"not_protocol\", got {other:?}"),
            ))
        }
    };
    let who = OwnedSubject::from_py(py, subject)?;
    Ok(to_py(py, answer::refuse(refusal, &who.subject())))
}
