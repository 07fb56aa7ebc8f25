//! The core's event vocabulary for Python (`idloom::events`): every kind's
//! name, level and meaning, the one-line message of an event, counters per
//! object, and the delivery of an event the Rust side saw (a segment's
//! refill) to `idloom.events` — the logger `"idloom"` and the hooks.
//! Names, levels and messages are the core's; Python only delivers them.

use crate::args::{int_in, text};
use crate::errors::raise;
use idloom::events::{Counters, Event, Kind};
use idloom::ErrorCode;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyDict;
use std::sync::Mutex;

/// An event with its facts owned: what a Rust thread keeps until it may
/// call into Python (after every lock is let go).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owned {
    pub kind: Kind,
    pub node: Option<u64>,
    pub epoch: Option<u64>,
    pub fence_ms: Option<u64>,
    pub code: Option<String>,
    pub in_ms: Option<u64>,
    pub amount: Option<u64>,
    pub detail: Option<String>,
}

impl From<Event<'_>> for Owned {
    fn from(e: Event<'_>) -> Self {
        Owned {
            kind: e.kind,
            node: e.node,
            epoch: e.epoch,
            fence_ms: e.fence_ms,
            code: e.code.map(str::to_owned),
            in_ms: e.in_ms,
            amount: e.amount,
            detail: e.detail.map(str::to_owned),
        }
    }
}

impl Owned {
    /// The core's event.
    pub fn event(&self) -> Event<'_> {
        Event {
            kind: self.kind,
            node: self.node,
            epoch: self.epoch,
            fence_ms: self.fence_ms,
            code: self.code.as_deref(),
            in_ms: self.in_ms,
            amount: self.amount,
            detail: self.detail.as_deref(),
        }
    }

    /// The facts that apply, as a dict (`node`, `epoch`, `fence_ms`, `code`,
    /// `in_ms`, `amount`, `detail`).
    pub fn facts<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (k, v) in [("node", self.node), ("epoch", self.epoch), ("fence_ms", self.fence_ms)] {
            if let Some(v) = v {
                d.set_item(k, v)?;
            }
        }
        if let Some(c) = &self.code {
            d.set_item("code", c)?;
        }
        if let Some(v) = self.in_ms {
            d.set_item("in_ms", v)?;
        }
        if let Some(v) = self.amount {
            d.set_item("amount", v)?;
        }
        if let Some(d_) = &self.detail {
            d.set_item("detail", d_)?;
        }
        Ok(d)
    }

    /// `(name, facts)`: what `idloom.events` delivers.
    pub fn pair<'py>(&self, py: Python<'py>) -> PyResult<(&'static str, Bound<'py, PyDict>)> {
        Ok((self.kind.name(), self.facts(py)?))
    }
}

fn kind_arg(py: Python<'_>, kind: &Bound<'_, PyAny>) -> PyResult<Kind> {
    let name = text(kind, "kind")?;
    Kind::from_name(&name).ok_or_else(|| raise(py, ErrorCode::InvalidArgument, format!("kind: no event is named {:?}", &*name)))
}

/// The idloom code of a Python exception (an ``IdloomError``'s ``code``), if it has one.
pub fn code_of(py: Python<'_>, e: &PyErr) -> Option<String> {
    let code = e.value(py).getattr("code").ok()?.extract::<String>().ok()?;
    ErrorCode::from_name(&code).map(|c| c.as_str().to_owned())
}

/// Every kind: ``(name, level, what)``, in the core's order; level is
/// ``"debug"``, ``"info"``, ``"warn"`` or ``"error"``.
#[pyfunction]
pub fn _event_kinds() -> Vec<(&'static str, &'static str, &'static str)> {
    Kind::ALL.iter().map(|k| (k.name(), k.level().as_str(), k.what())).collect()
}

/// The core's one-line message of the event ``kind`` with ``facts`` (a dict
/// of ``node``, ``epoch``, ``fence_ms``, ``code``, ``in_ms``, ``amount``,
/// ``detail``; None values are left out).
#[pyfunction]
#[pyo3(signature = (kind, facts = None))]
pub fn _event_message(py: Python<'_>, kind: &Bound<'_, PyAny>, facts: Option<&Bound<'_, PyDict>>) -> PyResult<String> {
    let mut e = Owned::from(Event::new(kind_arg(py, kind)?));
    let num = |v: &Bound<'_, PyAny>, name: &'static str| int_in(v, name, ErrorCode::InvalidArgument, 0, u64::MAX);
    for (k, v) in facts.map(|f| f.iter().collect::<Vec<_>>()).unwrap_or_default() {
        if v.is_none() {
            continue;
        }
        let key = text(&k, "fact")?;
        match &*key {
            "node" => e.node = Some(num(&v, "node")?),
            "epoch" => e.epoch = Some(num(&v, "epoch")?),
            "fence_ms" => e.fence_ms = Some(num(&v, "fence_ms")?),
            "in_ms" => e.in_ms = Some(num(&v, "in_ms")?),
            "amount" => e.amount = Some(num(&v, "amount")?),
            "code" => e.code = Some(text(&v, "code")?.into_owned()),
            "detail" => e.detail = Some(text(&v, "detail")?.into_owned()),
            other => {
                return Err(raise(
                    py,
                    ErrorCode::InvalidArgument,
                    format!("facts: {other:?} is not a fact (node, epoch, fence_ms, code, in_ms, amount, detail)"),
                ))
            }
        }
    }
    Ok(e.event().message().to_string())
}

/// How many events of each kind one object saw (the core's ``Counters``).
#[pyclass(frozen, name = "_EventCounters", module = "idloom")]
#[derive(Default)]
pub struct PyCounters {
    inner: Mutex<Counters>,
}

impl PyCounters {
    pub fn record_kind(&self, kind: Kind) {
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner).record(kind);
    }

    /// Every kind with its count, into ``d``.
    pub fn fill(&self, d: &Bound<'_, PyDict>) -> PyResult<()> {
        let counts = self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
        for (k, n) in counts.iter() {
            d.set_item(k.name(), n)?;
        }
        Ok(())
    }
}

#[pymethods]
impl PyCounters {
    #[new]
    fn new() -> Self {
        PyCounters::default()
    }
    /// One more of the kind named ``kind``.
    fn record(&self, py: Python<'_>, kind: &Bound<'_, PyAny>) -> PyResult<()> {
        self.record_kind(kind_arg(py, kind)?);
        Ok(())
    }
    /// ``{name: count}`` for every kind.
    fn as_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        self.fill(&d)?;
        Ok(d)
    }
}

static DELIVER: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// Hand an event (already counted) to ``idloom.events._deliver``: the
/// logger and the hooks. Called with the GIL and no lock of ours held; a
/// failure to deliver never reaches the caller (minting goes on).
pub fn deliver(py: Python<'_>, event: &Owned) {
    let sent = DELIVER
        .get_or_try_init(py, || -> PyResult<Py<PyAny>> {
            Ok(py.import("idloom.events")?.getattr("_deliver")?.unbind())
        })
        .and_then(|f| f.bind(py).call1(event.pair(py)?).map(drop));
    // `_deliver` catches what hooks raise; what is left (an interpreter
    // shutting down) is dropped rather than raised into a refill or next().
    drop(sent);
}

/// Where an object's events go: its counters (its `stats()`), then the
/// logger and the hooks. `detail` names the object in its events (a
/// segment's `biz_tag`).
pub struct Notes {
    pub counters: std::sync::Arc<PyCounters>,
    pub detail: Option<String>,
}

impl Notes {
    pub fn new(detail: Option<String>) -> Self {
        Notes {
            counters: std::sync::Arc::new(PyCounters::default()),
            detail,
        }
    }

    /// A segment event of `kind` with `code` and, if given, `amount` (this
    /// object's `detail` added).
    pub fn segment(&self, kind: Kind, code: Option<&str>, amount: Option<u64>) -> Owned {
        let mut e = Owned::from(Event::new(kind));
        e.code = code.map(str::to_owned);
        e.amount = amount;
        e.detail = self.detail.clone();
        e
    }

    /// Count `event`, then deliver it. Call with no lock of ours held.
    pub fn note(&self, py: Python<'_>, event: &Owned) {
        self.counters.record_kind(event.kind);
        deliver(py, event);
    }
}
