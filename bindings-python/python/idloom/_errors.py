"""Exceptions of idloom: one class per stable error code.

Every exception carries ``.code``, the same string as in the Rust core, the
Node package and the WebAssembly package. Bad input subclasses
``ValueError`` (or ``TypeError`` for a wrong type); refusals that come from a
generator's state or environment (clock, exhaustion, fork), a store or a
service subclass ``RuntimeError``. Catch ``IdloomError`` to catch them all.
"""

from __future__ import annotations


class IdloomError(Exception):
    """Base class of every idloom error; ``code`` is the stable error code."""

    code: str

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


class IdloomValueError(IdloomError, ValueError):
    """Bad input: a value outside its allowed range or a malformed string."""


class IdloomTypeError(IdloomError, TypeError):
    """Bad input: a value of the wrong type (code ``invalid_type``)."""


class IdloomRuntimeError(IdloomError, RuntimeError):
    """A generator refused: clock, exhaustion, randomness or fork."""


class InvalidLayoutError(IdloomValueError):
    """A layout parameter (bits, tick, epoch) is out of range."""


class NodeOutOfRangeError(IdloomValueError):
    """The node ID does not fit the layout's node bits."""


class NodeInUseError(IdloomValueError):
    """The node already has a generator in this process with another policy or clock."""


class SequenceOutOfRangeError(IdloomValueError):
    """A sequence number does not fit the layout's sequence bits."""


class TimestampOutOfRangeError(IdloomValueError):
    """A timestamp precedes the epoch or passes the layout's end."""


class IdOutOfRangeError(IdloomValueError):
    """An ID or value is wider than the layout or mask allows."""


class EpochInFutureError(IdloomValueError):
    """The epoch is after the clock's time."""


class InvalidArgumentError(IdloomValueError):
    """Another argument is out of its allowed range."""


class InvalidRangeError(IdloomValueError):
    """A segment range is empty, overflows, or overlaps earlier ranges."""


class InvalidAlphabetError(IdloomValueError):
    """A NanoID alphabet is empty, has one symbol, duplicates or over 256 symbols."""


class InvalidEncodingError(IdloomValueError):
    """A string does not decode in the requested encoding."""


class InvalidUuidError(IdloomValueError):
    """A string is not a UUID in any accepted form."""


class InvalidTypeError(IdloomTypeError):
    """A value of the wrong type."""


class ClockMovedBackwardsError(IdloomRuntimeError):
    """The clock went back further than the policy tolerates."""


class ClockStalledError(IdloomRuntimeError):
    """A bounded wait ran out: the clock did not advance."""


class SequenceExhaustedError(IdloomRuntimeError):
    """The tick's sequence is used up and the policy is to fail."""


class LeadExceededError(IdloomRuntimeError):
    """Borrowing would lead the clock by more than the bound."""


class LayoutExhaustedError(IdloomRuntimeError):
    """The layout's timestamp bits have run out."""


class SegmentExhaustedError(IdloomRuntimeError):
    """No range left in memory and the source gave none."""


class RandomUnavailableError(IdloomRuntimeError):
    """The random source failed."""


class ForkedError(IdloomRuntimeError):
    """A snowflake generator was used in a forked child before ``rekey()``."""


class WouldBlockError(IdloomRuntimeError):
    """A synchronous call would wait longer than its host allows (JS hosts; Python waits without the GIL)."""


class StoreUnavailableError(IdloomRuntimeError):
    """A store or source did not answer (connection refused, timeout); transient."""


class LeaseExpiredError(IdloomRuntimeError):
    """The tick to issue lies at or past the lease's fence: renew the lease first."""


class LeaseLostError(IdloomRuntimeError):
    """The store refused a renewal: nothing is minted past the last confirmed fence under that epoch."""


class NoFreeNodeError(IdloomRuntimeError):
    """Every node of the namespace is leased by a live holder."""


class ClockSkewError(IdloomRuntimeError):
    """The store's clock and this holder's differ by more than max_skew_ms."""


class StoreSchemaError(IdloomRuntimeError):
    """The store has no usable schema: a missing table, another schema version, or another layout."""


class StoreStateLostError(IdloomRuntimeError):
    """The store forgot a namespace or a counter; it is never silently restarted from zero."""


class UnauthorizedError(IdloomRuntimeError):
    """A service refused the call: its token was missing or wrong (idloom-server's 401 or 403)."""


class NotFoundError(IdloomValueError):
    """A service serves nothing by that name: an unknown segment tag or route (idloom-server's 404)."""


BY_CODE: dict[str, type[IdloomError]] = {
    "invalid_layout": InvalidLayoutError,
    "node_out_of_range": NodeOutOfRangeError,
    "node_in_use": NodeInUseError,
    "sequence_out_of_range": SequenceOutOfRangeError,
    "timestamp_out_of_range": TimestampOutOfRangeError,
    "id_out_of_range": IdOutOfRangeError,
    "epoch_in_future": EpochInFutureError,
    "invalid_argument": InvalidArgumentError,
    "clock_moved_backwards": ClockMovedBackwardsError,
    "clock_stalled": ClockStalledError,
    "sequence_exhausted": SequenceExhaustedError,
    "lead_exceeded": LeadExceededError,
    "layout_exhausted": LayoutExhaustedError,
    "segment_exhausted": SegmentExhaustedError,
    "invalid_range": InvalidRangeError,
    "invalid_alphabet": InvalidAlphabetError,
    "invalid_encoding": InvalidEncodingError,
    "invalid_uuid": InvalidUuidError,
    "random_unavailable": RandomUnavailableError,
    "invalid_type": InvalidTypeError,
    "forked": ForkedError,
    "would_block": WouldBlockError,
    "store_unavailable": StoreUnavailableError,
    "lease_expired": LeaseExpiredError,
    "lease_lost": LeaseLostError,
    "no_free_node": NoFreeNodeError,
    "clock_skew": ClockSkewError,
    "store_schema": StoreSchemaError,
    "store_state_lost": StoreStateLostError,
    "unauthorized": UnauthorizedError,
    "not_found": NotFoundError,
}
