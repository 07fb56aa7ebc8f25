//! The one lock of idloom's process-wide state (the node registry, the
//! per-program CSPRNG without std, the v7 sequence): `std::sync::Mutex` with
//! std, a spin lock from the `spin` crate without (wasm32 without threads,
//! embedded). Held only for a few instructions; a poisoned std lock is
//! recovered, since every holder leaves the state consistent.

#[cfg(feature = "std")]
pub(crate) struct Lock<T>(std::sync::Mutex<T>);

#[cfg(feature = "std")]
impl<T> Lock<T> {
    pub(crate) const fn new(value: T) -> Self {
        Lock(std::sync::Mutex::new(value))
    }
    pub(crate) fn lock(&self) -> std::sync::MutexGuard<'_, T> {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(not(feature = "std"))]
pub(crate) struct Lock<T>(spin::Mutex<T>);

#[cfg(not(feature = "std"))]
impl<T> Lock<T> {
    pub(crate) const fn new(value: T) -> Self {
        Lock(spin::Mutex::new(value))
    }
    pub(crate) fn lock(&self) -> spin::MutexGuard<'_, T> {
        self.0.lock()
    }
}
