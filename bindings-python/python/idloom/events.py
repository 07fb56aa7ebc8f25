"""What idloom's objects report: a lease acquired, renewed, failing to renew,
lost, expired or released; a segment fetched, failing to fetch, run dry —
in the core's vocabulary (the same names and one-line messages in every
binding: ``tests/vectors/events.json``).

Each event goes three ways:

* the logger ``logging.getLogger("idloom")``, at the core's level (debug,
  info, warning, error), with the core's message
  (``lease_renewed node=3 epoch=7 fence_ms=1700000013000``); the record
  carries ``event`` (the name), ``facts`` (a dict) and each fact
  (``node``, ``epoch``, ``fence_ms``, ``code``, ``in_ms``, ``amount``,
  ``detail``) as attributes;
* the hooks (``add_hook``): ``hook(name, facts)``, on the thread that saw
  the event (a lease's renewal thread, a segment's refill thread, the
  caller of ``next()``); a hook that raises is logged and skipped, never
  raised into minting;
* the object's counters: ``NodeLease.stats()`` and ``Segment.stats()``
  map every event name to how many the object saw.

Nothing is formatted when no handler listens at the event's level and no
hook is set.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Callable, Dict, Tuple

from ._idloom import _event_kinds, _event_message

__all__ = ["KINDS", "Hook", "add_hook", "logger", "message", "remove_hook"]

#: The logger every event goes to.
logger = logging.getLogger("idloom")

#: ``hook(name, facts)``.
Hook = Callable[[str, Dict[str, Any]], None]

_LOGGING_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warn": logging.WARNING, "error": logging.ERROR}

#: Every kind of event, the core's: ``{name: (level, what it means)}``.
KINDS: Dict[str, Tuple[str, str]] = {name: (level, what) for name, level, what in _event_kinds()}

_LEVEL: Dict[str, int] = {name: _LOGGING_LEVELS[level] for name, (level, _) in KINDS.items()}

_hooks: Tuple[Hook, ...] = ()
_hooks_lock = threading.Lock()


def add_hook(hook: Hook) -> Hook:
    """Call ``hook(name, facts)`` on every event from now on (also usable as a
    decorator). A hook runs on the thread that saw the event: keep it quick
    (count, enqueue); what it raises is logged, never raised into minting."""
    if not callable(hook):
        from ._errors import BY_CODE
        raise BY_CODE["invalid_type"](f"hook must be callable, got {type(hook).__name__}", "invalid_type")
    global _hooks
    with _hooks_lock:
        _hooks = _hooks + (hook,)
    return hook


def remove_hook(hook: Hook) -> None:
    """Stop calling ``hook`` (nothing happens if it was not added)."""
    global _hooks
    with _hooks_lock:
        _hooks = tuple(h for h in _hooks if h is not hook)


def message(kind: str, **facts: Any) -> str:
    """The core's one-line message of an event: ``message("lease_lost", node=3,
    epoch=7, fence_ms=1700000013000, code="lease_lost")``."""
    return _event_message(kind, facts)


def emit(kind: str, obj: Any = None, **facts: Any) -> None:
    """Count ``kind`` into ``obj``'s counters (if it keeps them), then log it
    and call the hooks. Internal: idloom's own objects emit."""
    facts = {k: v for k, v in facts.items() if v is not None}
    counters = getattr(obj, "_counters", None)
    if counters is not None:
        counters.record(kind)
    _deliver(kind, facts)


def _deliver(kind: str, facts: Dict[str, Any]) -> None:
    """Log an event (counted already) and call the hooks; what the Rust side
    calls for the events it sees (a segment's fetches)."""
    hooks = _hooks
    level = _LEVEL.get(kind, logging.WARNING)
    if logger.isEnabledFor(level):
        extra: Dict[str, Any] = {"event": kind, "facts": dict(facts), **facts}
        logger.log(level, _event_message(kind, facts), extra=extra)
    for hook in hooks:
        try:
            hook(kind, dict(facts))
        except Exception:
            logger.warning("idloom: event hook %r raised on %s (the event goes on)", hook, kind, exc_info=True)

