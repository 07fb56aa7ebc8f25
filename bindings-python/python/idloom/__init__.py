"""idloom: unique IDs for distributed systems, from one Rust core.

Snowflake-family 64-bit IDs over validated layouts, with the policies a
production system needs when clocks step back or sequences run out; the same
IDs for the same inputs in Rust, Python, Node and WebAssembly.

>>> from idloom import Snowflake, Layout
>>> gen = Snowflake(node=3, layout=Layout.TWITTER)
>>> parts = gen.decode(gen.next())
>>> parts.node
3
"""

from __future__ import annotations

import atexit as _atexit
import os as _os

from . import _idloom, events
from ._errors import (
    BY_CODE,
    ClockMovedBackwardsError,
    ClockSkewError,
    ClockStalledError,
    EpochInFutureError,
    ForkedError,
    IdloomError,
    IdloomRuntimeError,
    IdloomTypeError,
    IdloomValueError,
    IdOutOfRangeError,
    InvalidAlphabetError,
    InvalidArgumentError,
    InvalidEncodingError,
    InvalidLayoutError,
    InvalidRangeError,
    InvalidTypeError,
    InvalidUuidError,
    LayoutExhaustedError,
    LeadExceededError,
    LeaseExpiredError,
    LeaseLostError,
    NoFreeNodeError,
    NodeInUseError,
    NodeOutOfRangeError,
    NotFoundError,
    RandomUnavailableError,
    SegmentExhaustedError,
    SequenceExhaustedError,
    SequenceOutOfRangeError,
    StoreSchemaError,
    StoreStateLostError,
    StoreUnavailableError,
    TimestampOutOfRangeError,
    UnauthorizedError,
    WouldBlockError,
)
from ._idloom import (
    Capacity,
    Layout,
    LeaseMachine,
    ManualClock,
    Mask,
    MemorySource,
    NanoIdGenerator,
    ObjectId,
    ObjectIdGenerator,
    Parts,
    RetryAt,
    Segment,
    SegmentBuffer,
    Slot,
    Snowflake,
    SnowflakeMachine,
    V7Generator,
    custom_alphabet,
    decode,
    encode,
    format_uuid,
    nanoid,
    nanoid_from_bytes,
    objectid,
    parse_uuid,
    uuid4,
    uuid4_bytes,
    uuid4_from_bytes,
    uuid4_str,
    uuid7,
    uuid7_bytes,
    uuid7_from_parts,
    uuid7_str,
    uuid_timestamp_ms,
)
from .remote import AsyncRemoteSource, RemoteSource

#: This package's version: the workspace's one version, compiled into the native module.
__version__: str = _idloom.__version__

import uuid as _uuid

#: The nil UUID, 00000000-0000-0000-0000-000000000000.
NIL_UUID = _uuid.UUID(int=0)
#: The max UUID, ffffffff-ffff-ffff-ffff-ffffffffffff.
MAX_UUID = _uuid.UUID(int=(1 << 128) - 1)

__all__ = [
    "AsyncRemoteSource",
    "BY_CODE",
    "Capacity",
    "ClockMovedBackwardsError",
    "ClockSkewError",
    "ClockStalledError",
    "EpochInFutureError",
    "ForkedError",
    "IdOutOfRangeError",
    "IdloomError",
    "IdloomRuntimeError",
    "IdloomTypeError",
    "IdloomValueError",
    "InvalidAlphabetError",
    "InvalidArgumentError",
    "InvalidEncodingError",
    "InvalidLayoutError",
    "InvalidRangeError",
    "InvalidTypeError",
    "InvalidUuidError",
    "Layout",
    "LayoutExhaustedError",
    "LeadExceededError",
    "LeaseExpiredError",
    "LeaseLostError",
    "LeaseMachine",
    "MAX_UUID",
    "ManualClock",
    "Mask",
    "MemorySource",
    "NIL_UUID",
    "NanoIdGenerator",
    "NoFreeNodeError",
    "NodeInUseError",
    "NodeOutOfRangeError",
    "NotFoundError",
    "ObjectId",
    "ObjectIdGenerator",
    "Parts",
    "RandomUnavailableError",
    "RemoteSource",
    "RetryAt",
    "Segment",
    "SegmentBuffer",
    "SegmentExhaustedError",
    "SequenceExhaustedError",
    "SequenceOutOfRangeError",
    "Slot",
    "Snowflake",
    "SnowflakeMachine",
    "StoreSchemaError",
    "StoreStateLostError",
    "StoreUnavailableError",
    "TimestampOutOfRangeError",
    "UnauthorizedError",
    "V7Generator",
    "WouldBlockError",
    "custom_alphabet",
    "decode",
    "encode",
    "events",
    "format_uuid",
    "nanoid",
    "nanoid_from_bytes",
    "objectid",
    "parse_uuid",
    "uuid4",
    "uuid4_bytes",
    "uuid4_from_bytes",
    "uuid4_str",
    "uuid7",
    "uuid7_bytes",
    "uuid7_from_parts",
    "uuid7_str",
    "uuid_timestamp_ms",
]

# After fork() the child must never repeat its parent's IDs: snowflakes refuse
# until rekey(), random state is reseeded, the ticker clock thread restarts.
# The core notices every fork() itself (pthread_atfork: also a fork() from C,
# as uWSGI's prefork does); this hook covers a platform where it cannot.
if hasattr(_os, "register_at_fork"):
    _os.register_at_fork(after_in_child=_idloom._after_fork_in_child)

# A background refill thread inside a source call when the interpreter
# finalizes would abort the process: at exit, none starts a call, and the
# calls in flight finish first.
_atexit.register(_idloom._refill_shutdown)
