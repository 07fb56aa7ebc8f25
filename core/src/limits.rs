//! Limits every binding enforces the same way (batch sizes, policy bounds),
//! so that a request one binding accepts another does not refuse.

/// Most IDs one snowflake batch call returns (1 Mi: 8 MiB as `u64`s, about
/// 36 MB as a Python list of ints) — a size a worker process can hold; ask
/// in chunks for more.
pub const MAX_BATCH: u64 = 1 << 20;
/// Most NanoIDs one batch call returns (1 Mi).
pub const MAX_NANOID_BATCH: u64 = 1 << 20;
/// Most symbols (count × size) one NanoID batch returns (16 Mi: 16 MiB of
/// text, far below V8's string limit), in every binding.
pub const MAX_NANOID_BATCH_SYMBOLS: u64 = 1 << 24;

/// A NanoID batch of `count` IDs of `size` symbols: `count` at most
/// [`MAX_NANOID_BATCH`] and `count × size` at most
/// [`MAX_NANOID_BATCH_SYMBOLS`], else `invalid_argument` naming the limit.
pub fn check_nanoid_batch(count: u64, size: u64) -> crate::error::Result<()> {
    use crate::error::{Error, ErrorCode};
    if count > MAX_NANOID_BATCH {
        return Err(Error::range(ErrorCode::InvalidArgument, "count", count, 0, MAX_NANOID_BATCH));
    }
    if count.saturating_mul(size) > MAX_NANOID_BATCH_SYMBOLS {
        return Err(Error::reason(
            ErrorCode::InvalidArgument,
            "count",
            "count × size must be at most 16777216 symbols (MAX_NANOID_BATCH_SYMBOLS); ask in chunks",
        ));
    }
    Ok(())
}
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
/// Longest lease TTL a store takes (one day).
pub const MAX_TTL_MS: u64 = crate::lease::MAX_TTL_MS;
/// Most nodes a namespace on a Durable Object may have: the object keeps a
/// holder and four numbers per node in memory (65,536 nodes ≈ 2 MiB of
/// numbers, far below a Worker's 128 MB) and scans them to acquire.
pub const DURABLE_OBJECT_MAX_NODES: u64 = 1 << 16;
/// Most namespaces one Durable Object keeps (each namespace has an object of
/// its own by default; this bounds one object shared on purpose).
pub const DURABLE_OBJECT_MAX_NAMESPACES: u64 = 64;
/// Most segment counters one Durable Object keeps (each counter has an
/// object of its own by default; this bounds one object shared on purpose).
pub const DURABLE_OBJECT_MAX_COUNTERS: u64 = 1024;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nanoid_batches_are_capped_by_count_and_by_symbols() {
        assert!(check_nanoid_batch(MAX_NANOID_BATCH, 16).is_ok());
        assert!(check_nanoid_batch(MAX_NANOID_BATCH + 1, 1).is_err());
        assert!(check_nanoid_batch(MAX_NANOID_BATCH, 17).is_err());
        assert!(check_nanoid_batch(16_384, 1024).is_ok());
        assert!(check_nanoid_batch(16_385, 1024).is_err());
        assert!(check_nanoid_batch(u64::MAX, u64::MAX).is_err());
    }
}
