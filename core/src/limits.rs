//! Limits every binding enforces the same way (batch sizes, policy bounds),
//! so that a request one binding accepts another does not refuse.

/// Most IDs one snowflake batch call returns (16 Mi).
pub const MAX_BATCH: u64 = 1 << 24;
/// Most NanoIDs one batch call returns (1 Mi).
pub const MAX_NANOID_BATCH: u64 = 1 << 20;
/// Most symbols (count × size) one NanoID batch returns as text: below V8's
/// string limit (2^29 − 24 UTF-16 units), so a JS host never fails late.
pub const MAX_NANOID_BATCH_SYMBOLS: u64 = 1 << 28;
/// Longest wait or lead a policy may be configured with: one hour.
pub const MAX_POLICY_MS: u64 = crate::snowflake::MAX_POLICY_MS;
/// Longest tick a layout may have: one day.
pub const MAX_TICK_MS: u64 = crate::layout::MAX_TICK_MS;
/// Longest a synchronous call in a JS host may block the event loop on one
/// policy wait (enough for the next 1 ms or 10 ms tick); a longer wait — a
/// clock step back under `wait`, a 1 s tick — is `would_block` there, and
/// goes through the async call.
pub const MAX_SYNC_WAIT_MS: u64 = 20;
/// Longest NanoID one call draws (JS hosts join longer ones from such runs).
pub const MAX_NANOID_SIZE: u64 = 1024;
/// Most v4 UUIDs one batch call mints (the JS hosts' pools refill from it).
pub const MAX_V4_BATCH: u64 = 4096;
/// Most counters one segment fetch may ask for (2^40).
pub const MAX_STEP: u64 = 1 << 40;
