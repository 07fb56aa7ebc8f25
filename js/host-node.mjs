// What Node adds beside the native half (the Node entries install it with
// the addon or the wasm module): EventEmitter as the base of leases and
// segments, the diagnostics_channel `idloom` their events are published on,
// and process warnings for a listener that throws.
import { EventEmitter } from 'node:events';
import diagnosticsChannel from 'node:diagnostics_channel';

export const nodeHost = {
  EventEmitter,
  channel: diagnosticsChannel.channel('idloom'),
  /** @param {string} text */
  warn: (text) => process.emitWarning(text, { code: 'IDLOOM_EVENT_LISTENER' }),
};
