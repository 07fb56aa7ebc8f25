// ESM entry: the same objects as the CommonJS entry.
import idloom from './index.js';

export const {
  Layout,
  Snowflake,
  SnowflakeMachine,
  v4,
  v7,
  validate,
  version,
  parse,
  stringify,
  uuidTimestampMs,
  v4FromBytes,
  NIL,
  MAX,
  nanoid,
  customAlphabet,
  nanoidFromBytes,
} = idloom;
export default idloom;
