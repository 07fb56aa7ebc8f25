// What the SQL engines share (PostgreSQL, MariaDB/MySQL): the core's
// statements for the engine, and the Leaf segment table a store names.
import { native } from '../native.mjs';
import { _idloomError as idloomError } from '../errors.mjs';
import { str } from '../args.mjs';
import { ProcessStore } from './common.mjs';

/** A SQL store: the core's texts for its engine, its segment table checked as a name. */
export class SqlStore extends ProcessStore {
  /** @type {string} */ #engine;
  /** @type {Record<string, string>} */ #sql;
  /** @type {string} */ #table;

  /**
   * @param {'postgres' | 'mysql'} engine
   * @param {any} driver the driver object the store runs on: an object with a method `method`, else `invalid_type` saying `needs`
   * @param {string} method @param {string} needs
   * @param {{ table?: string }} options `table`: the segment table (default `idloom_alloc`)
   */
  constructor(engine, driver, method, needs, options) {
    if (driver === null || typeof driver !== 'object' || typeof driver[method] !== 'function') throw idloomError('invalid_type', needs);
    super();
    this.#engine = engine;
    this.#sql = native.storeTexts(engine);
    this.#table = str(options.table ?? 'idloom_alloc', 'table');
    native.storeSegmentSql('', this.#table);
  }

  get engine() {
    return this.#engine;
  }

  /** The core's statements for this engine. @returns {Record<string, string>} */
  get _sql() {
    return this.#sql;
  }

  /** Segment statement `name` on `table` (default: the store's). @param {string} name @param {string | undefined} table */
  _segment(name, table) {
    return native.storeSegmentSql(this.#sql[name], table ?? this.#table);
  }
}
