// The public JavaScript API of idloom, shared by every JS host: the names
// `idloom` (Node) and `idloom-wasm` export, one module per idea beside this
// one. It checks JavaScript types (integer numbers, BigInt width, strings)
// and shapes the API like npm `uuid` and `nanoid`; every algorithm runs in
// the Rust core. The packages' `.d.ts` is generated from the JSDoc of these
// modules (js/tools/layer.mjs bundles it; the names are the ones below).
export { errorCodes, _idloomError } from './errors.mjs';
export { Layout } from './layout.mjs';
export { Slot, Snowflake, SnowflakeMachine } from './snowflake.mjs';
export { SegmentBuffer, MemorySource, Segment } from './segment.mjs';
export { remoteSource } from './remote.mjs';
export { v4, v7, validate, version, parse, stringify, formatUuid, uuidTimestampMs, v4FromBytes, v7FromParts, V7Machine, NIL, MAX } from './uuid.mjs';
export { urlAlphabet, nanoid, nanoidBatch, customAlphabet, nanoidFromBytes } from './nanoid.mjs';
export { encode, decode } from './encoding.mjs';
export { Mask } from './mask.mjs';
export { ObjectId, objectId, ObjectIdMachine } from './objectid.mjs';
export { EVENT_KINDS, EVENT_CHANNEL, addEventHook, removeEventHook, eventMessage } from './events.mjs';

// The public types, by the module that defines them.
/** @typedef {import('./errors.mjs').ErrorCode} ErrorCode */
/** @typedef {import('./errors.mjs').IdloomError} IdloomError */
/** @typedef {import('./layout.mjs').FieldOrder} FieldOrder */
/** @typedef {import('./layout.mjs').PresetName} PresetName */
/** @typedef {import('./layout.mjs').LayoutSpec} LayoutSpec */
/** @typedef {import('./layout.mjs').Capacity} Capacity */
/** @typedef {import('./layout.mjs').Parts} Parts */
/** @typedef {import('./snowflake.mjs').SharedLeaseToken} SharedLeaseToken */
/** @typedef {import('./snowflake.mjs').SnowflakeLease} SnowflakeLease */
/** @typedef {import('./snowflake.mjs').SnowflakeNode} SnowflakeNode */
/** @typedef {import('./snowflake.mjs').SnowflakeOptions} SnowflakeOptions */
/** @typedef {import('./snowflake.mjs').SnowflakePolicy} SnowflakePolicy */
/** @typedef {import('./segment.mjs').SegmentRange} SegmentRange */
/** @typedef {import('./segment.mjs').SegmentSource} SegmentSource */
/** @typedef {import('./segment.mjs').SegmentOptions} SegmentOptions */
/** @typedef {import('./remote.mjs').RemoteSource} RemoteSource */
/** @typedef {import('./remote.mjs').RemoteSourceOptions} RemoteSourceOptions */
/** @typedef {import('./uuid.mjs').UuidOptions} UuidOptions */
/** @typedef {import('./encoding.mjs').EncodingName} EncodingName */
/** @typedef {import('./objectid.mjs').ObjectIdLike} ObjectIdLike */
/** @typedef {import('./events.mjs').EventFacts} EventFacts */
/** @typedef {import('./events.mjs').EventHook} EventHook */
