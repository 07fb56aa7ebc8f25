//! Core errors to Python exceptions: one class per stable code, defined in
//! `idloom/_errors.py` and looked up once.

use idloom::{Error, ErrorCode};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyDict;

static BY_CODE: PyOnceLock<Py<PyDict>> = PyOnceLock::new();

/// An exception of the class registered for `code`, with `message`.
pub fn raise(py: Python<'_>, code: ErrorCode, message: String) -> PyErr {
    let class = BY_CODE
        .get_or_try_init(py, || -> PyResult<Py<PyDict>> {
            Ok(py
                .import("idloom._errors")?
                .getattr("BY_CODE")?
                .extract::<Bound<PyDict>>()?
                .unbind())
        })
        .and_then(|d| d.bind(py).get_item(code.as_str()));
    match class {
        Ok(Some(class)) => match class.call1((message, code.as_str())) {
            Ok(exc) => PyErr::from_value(exc),
            Err(e) => e,
        },
        Ok(None) => pyo3::exceptions::PyRuntimeError::new_err(format!("{message} ({code})")),
        Err(e) => e,
    }
}

/// A core error as its Python exception.
pub fn to_py(py: Python<'_>, e: Error) -> PyErr {
    raise(py, e.code(), e.to_string())
}

/// `Result` conversion for core calls.
pub trait IntoPy<T> {
    fn py(self, py: Python<'_>) -> PyResult<T>;
}

impl<T> IntoPy<T> for Result<T, Error> {
    #[inline]
    fn py(self, py: Python<'_>) -> PyResult<T> {
        self.map_err(|e| to_py(py, e))
    }
}
