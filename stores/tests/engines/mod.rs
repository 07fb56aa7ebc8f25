//! What the engines' test files (`postgres.rs`, `mysql.rs`, `redis.rs`) run
//! alike, written once: the tests each runs the same way on its own
//! `store()`, and the checks more than one of them makes. The scenarios
//! themselves are in `support`. Each engine's file uses a part of it.

#![allow(unused_macros, unused_imports, dead_code)]

use crate::support;
use idloom::Layout;
use idloom_stores::Store;
use tokio::sync::OnceCell;

/// The tests every engine runs the same way on its `store()`.
macro_rules! every_engine {
    () => {
        support::scenarios!(
            lease_mint_renew_release,
            two_holders_two_nodes,
            an_outage_stops_minting_at_the_fence,
            a_failed_refill_is_reported_then_recovers,
        );

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn sixteen_holders_racing_for_eight_nodes_never_share_an_epoch_and_start_above_the_fences() {
            let n = support::sixteen_holders_on_eight_nodes(&store().await).await;
            eprintln!("{n} grants to 16 holders on 8 nodes");
        }
    };
}
pub(crate) use every_engine;

/// The scenarios that take a fault: `scenario => edit` is a test running
/// `support::scenario` on `store()`, `edit` (an `AsyncFn(String)`) making
/// the fault on the store behind the library's back.
macro_rules! faults {
    ($($scenario:ident => $edit:expr),* $(,)?) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $scenario() {
            support::$scenario(store().await, $edit).await;
        }
    )*};
}
pub(crate) use faults;

/// The tests the SQL engines run the same way on their `store()`, besides
/// [`every_engine`]'s: the Leaf counter in both fetch modes, a refused
/// connection (`refused`: a store on a port nothing listens on; it connects
/// on first use), fences proposed years ahead, eight fetchers on one row of
/// a table of its own (the file's `drop_table` removes it), and the record
/// and nodes read back (Redis's own adds a missing namespace).
#[allow(unused_macros)] // Redis's file does not use it
macro_rules! sql_engine {
    (refused: $refused:expr) => {
        $crate::engines::every_engine!();

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn segments_unique_atomic() {
            support::segments_unique(store().await).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn segments_unique_cas() {
            support::segments_unique(store().await.with_mode(idloom_stores::FetchMode::Cas)).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn a_refused_connection_is_store_unavailable() {
            support::refused($refused).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn a_proposed_fence_is_clamped_to_one_lease_ahead_of_the_stores_clock() {
            support::proposed_fences_are_clamped(&store().await, 1 << 60, |_, _| async {}).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn eight_fetchers_on_one_row_never_overlap_in_atomic_and_cas_modes() {
            let table = support::unique("leaf");
            let db = store().await.with_table(&table).unwrap();
            support::eight_fetchers_on_one_counter(&db, 1).await;
            support::eight_fetchers_on_one_counter(&db.clone().with_mode(idloom_stores::FetchMode::Cas), 1).await;
            drop_table(&table).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn lookup_and_status_show_the_record_and_every_node() {
            support::lookup_and_status(&store().await).await;
        }
    };
}
#[allow(unused_imports)] // Redis's file does not use it
pub(crate) use sql_engine;

/// A namespace made again (not fresh) starts at its floor; once its record
/// shows another store (`forget` edits it: another identity, another run, as
/// a restore or a restart without persistence leaves it), the floor rises
/// before the next grant, which starts a whole lease past the moment it was
/// asked for.
#[allow(dead_code)] // MariaDB's record has no identity to change
pub async fn a_forgetful_store_raises_the_floor_first<S: Store>(db: &S, forget: impl AsyncFn(String)) {
    let ns = support::a_namespace_created_not_fresh_starts_at_its_floor(db).await;
    forget(ns.clone()).await;
    let before = support::now_ms();
    let g = db.acquire(&ns, "b", 0).await.unwrap();
    let short = support::SHORT;
    assert!(
        g.start_ms + 5 >= before + short.ttl_ms + short.max_skew_ms,
        "start {} above the new floor: it rose before the grant",
        g.start_ms
    );
}

/// Whether this test binary made its engine's tables (each engine's file is
/// a binary of its own).
#[allow(dead_code)] // Redis has no tables to make
static TABLES_MADE: OnceCell<()> = OnceCell::const_new();

/// `store` once its tables exist: the first test of the binary to come here
/// makes them, the segment table too (tests create counters in parallel, and
/// parallel `CREATE … IF NOT EXISTS` can race); the others wait for it.
/// `server` names the server the tests expect, `guarded` whether the warm-up
/// counter records the store's identity.
#[allow(dead_code)] // Redis has no tables to make
pub async fn with_tables<S: Store>(store: S, server: &str, guarded: bool) -> S {
    TABLES_MADE
        .get_or_init(|| async {
            store.init().await.expect(server);
            let warmup = if guarded {
                store.init_segment_guarded("warmup", 0, 1).await
            } else {
                store.init_segment("warmup", 0, 1).await
            };
            warmup.expect("the segment table");
        })
        .await;
    store
}

/// A new namespace of `nodes` nodes in `layout` ([`support::SHORT`] leases),
/// its name `prefix` made unique to this run.
pub async fn new_namespace<S: Store>(db: &S, prefix: &str, layout: Layout, nodes: u64) -> String {
    let ns = support::unique(prefix);
    db.init_namespace(&ns, layout, Some(nodes), support::SHORT, true).await.unwrap();
    ns
}
