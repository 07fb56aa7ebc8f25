/*
 * The lease protocol as SPIN checks it: the store's texts, two holders
 * driving the core's `lease::Holder`, each minting through a fenced
 * generator, under every interleaving for small bounds. The property: no
 * (node, tick) is minted under two leases. The design is
 * docs/COORDINATION.md; its section "Model checked" says what this covers,
 * which code each step mirrors, the bounds and what SPIN found. Run every
 * variant with scripts/model.
 *
 * Time is in ticks of 1 ms: a tick t is [t, t+1), so "wholly below the
 * fence" (snowflake/rules.rs, `Rules::fenced` over `fence_word`) is
 * t < fence, and a lease's first tick is its start (`first_tick`). Every
 * clock reads in one frame shifted by S so that nothing is negative: the
 * store's clock reads now + S; a holder's clock reads now + c for a c in
 * 0..2S chosen at every reading (a skew within max_skew that may change,
 * back or forward, between any two readings).
 *
 * Switches (spin -DNAME): the faults FORGET (the store restarts empty) and
 * RESTORE (it is restored from an older snapshot taken after the last
 * acquisition), RESTORE_ANY (from a snapshot of any earlier moment);
 * SAME_NAME (both holders give one holder string); the defences removed,
 * NO_FLOOR, FENCE_DOWN, NO_EPOCH_CHECK, NO_START_CHECK; the bounds N, T, MAXA.
 */

#ifndef N
#define N 1            /* nodes in the namespace */
#endif
#define H 2            /* holders */
#ifndef T
#define T 8            /* true time runs 0..T (the store's clock 1..T+1) */
#endif
#define TTL 3          /* the namespace's ttl_ms */
#define S 1            /* its max_skew_ms (ACQUIRE and RENEW below list c in 0..2S for S = 1) */
#ifndef MAXA
#define MAXA 1         /* acquisitions each holder makes */
#endif
#define MAXF 1         /* store faults (restart empty, restore) in a run */
#ifdef RESTORE_ANY
#define RESTORE
#endif

#define SNOW (now + S)                  /* the store's clock (Redis TIME, clock_timestamp()) */
#define BOUND (SNOW + TTL + S)          /* MemoryStore::fence_bound: the texts' clamp */
#define MAX(a, b) ((a) > (b) -> (a) : (b))
#define MIN(a, b) ((a) < (b) -> (a) : (b))
#ifdef SAME_NAME
#define NAME(h) 1                       /* a holder string the user gives, the same after a restart */
#else
#define NAME(h) (h + 1)                 /* default_holder(): a random suffix per lease */
#endif

byte now;

/* --- the store: the namespace record and one record per node --------------
 * postgres/schema.sql (idloom_namespace, idloom_node); redis/*.lua
 * ({idloom:NS}:ns, {idloom:NS}:node:K); lease/memory.rs (NodeRecord). */
bool ns_exists = 1;        /* created fresh (floor 0) before the run */
byte ns_floor;
bool ns_stale;             /* the namespace records another identity than the server's */
byte s_holder[N];          /* 0: never held */
byte s_epoch[N];
byte s_exp[N];
byte s_start[N];
byte s_fence[N];
byte faults;

/* a snapshot the store may be restored to (an RDB, a base backup, a lagging replica) */
bool snap_ok;
byte snap_floor;
byte snap_holder[N];
byte snap_epoch[N];
byte snap_exp[N];
byte snap_start[N];
byte snap_fence[N];

/* --- the property ---------------------------------------------------------
 * A generator may mint any tick wholly inside [start, fence) at any moment
 * while it holds the lease, so the ticks a lease may have minted are
 * [start, the highest fence it knew); a clean release ends them at its
 * high-water (stop_lease: nothing at or past it was or will be minted).
 * claimed[n] has bit t set while some lease of node n may have minted
 * tick t. A lease that comes to know a tick another lease already claims
 * can mint it after (or before) the other did: that is a duplicate, and the
 * assertion fails. Ticks run 0..31. */
int claimed[N];
#define TICKS(a, b) ((1 << (b)) - (1 << (a)))    /* ticks a..b-1, for a <= b */

/* The lease of holder h may now mint ticks [from, to) of its node. */
inline claim(h, from, to) {
	if
	:: from < to ->
		assert((claimed[l_node[h]] & TICKS(from, to)) == 0);   /* no (node, tick) under two leases */
		claimed[l_node[h]] = claimed[l_node[h]] | TICKS(from, to)
	:: else -> skip
	fi
}

/* --- the holders -----------------------------------------------------------
 * A request reaches the store at once or never (a request that waited in
 * the network before the store ran it proposes what an earlier clock
 * reading would: the skew covers waits up to 2S). Its answer may come at any
 * later moment, or never. */
#define IDLE 0             /* no lease */
#define ASKING 1           /* the store ran an acquire; its answer is on its way */
#define HELD 2             /* a lease: its generator mints below the fence */

#define GRANT 1            /* answers: a row, */
#define REFUSED 2          /* zero rows, {"lease_lost"}, */
#define NO_FREE 3          /* {"no_free_node"}, */
#define LOST_NS 4          /* {"state_lost"}: no namespace */

byte ph[H];
byte nacq[H];
/* the lease (lease/tenure.rs, Lease) */
byte l_node[H];
byte l_epoch[H];
byte l_start[H];
byte l_fence[H];           /* the last confirmed fence: the generator's fence word */
bool l_active[H];          /* LeaseState::Active: a release is allowed */
bool l_renews[H];          /* renewals go on (no Renewal::Stop yet) */
/* an answer on its way: an acquire's (its grant is in l_*) or a renewal's */
byte a_kind[H];
byte a_fence[H];           /* a renewal's fence */

byte n;                    /* scratch: 0 between steps */
byte p;                    /* a release's high-water */
bool picked;

/* Lease::propose: the holder's clock + ttl, the clock reading now + c for
 * c in 0..2S (each value its own step: most steps of the model are one
 * transition each). */
#define PROPOSE(c) (now + c + TTL)

/* The floor a namespace gets when the store has no record of it, or another
 * identity: LeaseConfig::floor_after_loss, store now + ttl + max_skew. */
#ifdef NO_FLOOR
#define LOSS_FLOOR 0
#else
#define LOSS_FLOOR BOUND
#endif

/* The identity check every lease call makes first: redis/clock.lua
 * `idloom_namespace` (another run_id raises the floor); the `ns` CTE of
 * postgres/acquire.sql and renew.sql (system identifier / timeline);
 * MemoryStore::observe. */
inline observe() {
	if
	:: ns_stale -> ns_floor = MAX(ns_floor, LOSS_FLOOR); ns_stale = 0;
		printf("at %d  store: another identity, floor -> %d\n", SNOW, ns_floor)
	:: else -> skip
	fi
}

/* acquire: postgres/acquire.sql, redis/acquire.lua, MemoryStore::acquire,
 * proposing `prop`. Node k if its lease expired on the store's clock (the
 * texts take the holder's own node first, then the soonest expired; the
 * reference model the lowest: each is one of these choices); epoch + 1,
 * expiry one TTL away, start = max(fence, floor),
 * fence = max(start, min(proposed, now + ttl + skew)). The grant goes into
 * the holder's l_*, unused until its answer arrives. */
inline store_acquire(h, k, prop) {
	observe();
	s_holder[k] = NAME(h);
	s_epoch[k]++;
	s_exp[k] = SNOW + TTL;
	s_start[k] = MAX(s_fence[k], ns_floor);
	s_fence[k] = MAX(s_start[k], MIN(prop, BOUND));
	a_kind[h] = GRANT; l_node[h] = k; l_epoch[h] = s_epoch[k];
	l_start[h] = s_start[k]; l_fence[h] = s_fence[k];
	printf("at %d  H%d acquire (proposes %d): node %d epoch %d [%d, %d)\n", SNOW, h, prop, k, s_epoch[k], s_start[k], s_fence[k]);
#ifndef RESTORE_ANY
	snap_ok = 0;   /* RESTORE: no snapshot predates an acquisition */
#endif
	skip
}

/* Whether some node's lease expired on the store's clock. */
inline any_free() {
	picked = 0;
	n = 0;
	do
	:: n < N && s_exp[n] <= SNOW -> picked = 1; break
	:: n < N -> n++
	:: else -> break
	od;
	n = 0
}

/* Whether the store's record is this lease: the WHERE of postgres/renew.sql
 * and release.sql, mysql/renew.sql and release.sql, redis/renew.lua and
 * release.lua, MemoryStore::held: the same epoch and holder, the lease's own
 * start (sent with every renewal and release), and that start at or above
 * the namespace floor: a lease granted before the floor rose (revived by a
 * restore from a snapshot older than the node's last acquisition, or an
 * epoch number handed out again after a restart empty) is over.
 * NO_START_CHECK removes the start and floor (the code before that check:
 * models no_start_check and no_start_check_forget find the duplicates). */
#define HOLDS(h, k) (s_epoch[k] == l_epoch[h] && s_holder[k] == NAME(h))
#if defined(NO_EPOCH_CHECK)
#define CURRENT(h, k) (s_holder[k] == NAME(h))   /* neither the epoch nor the start checked */
#elif defined(NO_START_CHECK)
#define CURRENT(h, k) HOLDS(h, k)
#else
#define CURRENT(h, k) (HOLDS(h, k) && s_start[k] == l_start[h] && s_start[k] >= ns_floor)
#endif

/* renew: postgres/renew.sql, mysql/renew.sql, redis/renew.lua,
 * MemoryStore::renew. A server whose identity is not the one the namespace
 * records refuses (lease_lost) and leaves the namespace as it is: the next
 * acquire meets the change, raises the floor and reports it. Then, only
 * for the current lease: expiry one TTL away,
 * fence = max(fence, min(proposed, now + ttl + skew)). NO_START_CHECK: the
 * older text, which raised the floor on another identity and renewed
 * under the same epoch and holder. */
inline store_renew(h, prop) {
	n = l_node[h];
	if
	:: !ns_exists -> a_kind[h] = LOST_NS
#ifndef NO_START_CHECK
	:: ns_exists && ns_stale -> a_kind[h] = REFUSED;
		printf("at %d  H%d renew epoch %d: refused (another identity)\n", SNOW, h, l_epoch[h])
	:: else ->
#else
	:: else ->
		observe();
#endif
		if
		:: CURRENT(h, n) ->
			s_exp[n] = SNOW + TTL;
#ifdef FENCE_DOWN
			s_fence[n] = MIN(prop, BOUND);   /* the max with the old fence dropped */
#else
			s_fence[n] = MAX(s_fence[n], MIN(prop, BOUND));
#endif
			a_kind[h] = GRANT; a_fence[h] = s_fence[n];
			printf("at %d  H%d renew epoch %d (proposes %d): store fence %d\n", SNOW, h, l_epoch[h], prop, s_fence[n])
		:: else -> a_kind[h] = REFUSED;
			printf("at %d  H%d renew epoch %d: refused (store: epoch %d)\n", SNOW, h, l_epoch[h], s_epoch[n])
		fi
	fi;
	n = 0
}

/* release: postgres/release.sql, mysql/release.sql, redis/release.lua,
 * MemoryStore::release, with the high-water `hw`. Only for the current
 * lease (CURRENT): free at once,
 * fence = the high-water clamped into [start, fence] (the only way a fence
 * goes down). Neither text reads the identity: the next acquire does. */
inline store_release(h, hw) {
	n = l_node[h];
	if
	:: CURRENT(h, n) ->
		s_exp[n] = 0;
		s_fence[n] = MIN(MAX(hw, s_start[n]), s_fence[n]);
		printf("at %d  H%d release epoch %d, high-water %d: store fence %d\n", SNOW, h, l_epoch[h], hw, s_fence[n])
	:: else -> skip
	fi;
	n = 0
}

/* The holder has no lease any more. */
inline drop_lease(h) {
	ph[h] = IDLE; l_node[h] = 0; l_epoch[h] = 0; l_start[h] = 0; l_fence[h] = 0;
	l_active[h] = 0; l_renews[h] = 0; a_kind[h] = 0; a_fence[h] = 0
}

#define ACQUIRE(k, c) d_step { ph[h] == IDLE && nacq[h] < MAXA && ns_exists && s_exp[k] <= SNOW -> \
		nacq[h]++; store_acquire(h, k, PROPOSE(c)); ph[h] = ASKING }
#define RENEW(c) d_step { ph[h] == HELD && l_renews[h] && a_kind[h] == 0 -> store_renew(h, PROPOSE(c)) }

/* A holder: lease/holder.rs (Holder) as the bindings drive it
 * (stores/src/lease.rs `acquire_with` and `renew_loop`, js/lease.mjs,
 * bindings-python/python/idloom/stores/_lease.py), minting through its
 * generator (snowflake/shared.rs). Not being scheduled is a pause of any
 * length, at any step. */
proctype holder(byte h) {
end:	/* a holder may stop anywhere: no end state is invalid */
	do
	/* Holder::begin_acquire, proposing PROPOSE(c), and the store's acquire:
	 * the namespace missing (state_lost), no node free (no_free_node), or a
	 * grant of node k. */
	:: d_step { ph[h] == IDLE && nacq[h] < MAXA && !ns_exists -> nacq[h]++; a_kind[h] = LOST_NS; ph[h] = ASKING }
	:: d_step { ph[h] == IDLE && nacq[h] < MAXA && ns_exists ->
		any_free();
		if
		:: !picked -> nacq[h]++; observe(); a_kind[h] = NO_FREE; ph[h] = ASKING
		:: else -> skip
		fi;
		picked = 0 }
	:: ACQUIRE(0, 0) :: ACQUIRE(0, 1) :: ACQUIRE(0, 2)
#if N > 1
	:: ACQUIRE(1, 0) :: ACQUIRE(1, 1) :: ACQUIRE(1, 2)
#endif

	/* The answer to an acquire: Holder::granted (Lease::from_grant). Its
	 * skew check (Lease::check_skew, from the round trip) may refuse a
	 * grant: clock_skew, or store_unavailable for an answer too late to
	 * judge; the model lets it accept or refuse any grant (uniqueness must
	 * not rest on it: the store clamps every fence). An accepted grant
	 * starts the generator: set_lease(start, fence, epoch). A refused one
	 * is given back (Grant::release_unused: high-water = start), or the
	 * release is lost. no_free_node and state_lost: no lease. The answer
	 * may also never come: the node stays granted until its TTL. (A holder
	 * with no acquisition left is simply never scheduled again.) */
	:: d_step { ph[h] == ASKING && a_kind[h] == GRANT ->
		printf("at %d  H%d may mint [%d, %d) of node %d\n", SNOW, h, l_start[h], l_fence[h], l_node[h]);
		claim(h, l_start[h], l_fence[h]);
		l_active[h] = 1; l_renews[h] = 1; ph[h] = HELD; a_kind[h] = 0 }
	:: d_step { ph[h] == ASKING && a_kind[h] == GRANT -> store_release(h, l_start[h]); drop_lease(h) }
	:: d_step { ph[h] == ASKING && nacq[h] < MAXA -> drop_lease(h) }

	/* Lease::begin_renew, proposing PROPOSE(c), and the store's renew.
	 * renew_due (a third of the TTL since the last confirmed request, or a
	 * clock that reads before it) holds for some reading within the skew
	 * at every moment, so a renewal may start whenever none is in flight. */
	:: RENEW(0) :: RENEW(1) :: RENEW(2)

	/* The answer to a renewal: Holder::renewed (Lease::renewed: the node
	 * and epoch are the lease's, as the store's WHERE made them; then the
	 * skew check, free as for a grant: confirmed, Retry (store_unavailable)
	 * or Stop (clock_skew); the fence never moves back), Holder::refused
	 * (zero rows: lease_lost, the generator's lose_lease) or
	 * Holder::renew_failed(store_state_lost). Renewed: extend_fence; Retry
	 * or no answer at all (renew_failed(store_unavailable)): nothing; Stop:
	 * renewals end, the generator keeps its fence. */
	:: d_step { ph[h] == HELD && a_kind[h] == GRANT ->
		printf("at %d  H%d renewed: may mint [%d, %d) of node %d\n", SNOW, h, l_start[h], MAX(l_fence[h], a_fence[h]), l_node[h]);
		claim(h, l_fence[h], a_fence[h]); l_fence[h] = MAX(l_fence[h], a_fence[h]); a_kind[h] = 0; a_fence[h] = 0 }
	:: d_step { ph[h] == HELD && a_kind[h] == GRANT -> l_renews[h] = 0; a_kind[h] = 0; a_fence[h] = 0 }   /* clock_skew */
	:: d_step { ph[h] == HELD && a_kind[h] == REFUSED -> l_renews[h] = 0; l_active[h] = 0; a_kind[h] = 0 } /* lease_lost */
	:: d_step { ph[h] == HELD && a_kind[h] == LOST_NS -> l_renews[h] = 0; a_kind[h] = 0 }                  /* store_state_lost */
	:: d_step { ph[h] == HELD && a_kind[h] != 0 -> a_kind[h] = 0; a_fence[h] = 0 }                         /* Retry, no answer */

	/* A clean release: SharedSnowflake::stop_lease stops the generator and
	 * gives the high-water, the end of the last tick issued (any point of
	 * [start, fence]: what the lease minted is below it, so its claim ends
	 * there); Lease::release clamps it into [start, fence]; only an Active
	 * lease releases. The release reaches the store, or is lost. */
	:: atomic { ph[h] == HELD && l_active[h] ->
		p = l_start[h];
		do
		:: p < l_fence[h] -> p++
		:: break
		od;
		claimed[l_node[h]] = claimed[l_node[h]] & ~TICKS(p, l_fence[h]);
		if
		:: store_release(h, p)
		:: skip
		fi;
		p = 0; drop_lease(h) }

	/* The process ends without a release (a crash, a lost lease dropped):
	 * what it may have minted stays claimed; its node frees itself after
	 * the TTL; the holder may lease again (if it has an acquisition left:
	 * otherwise this is a pause that never ends). */
	:: d_step { ph[h] == HELD && nacq[h] < MAXA -> drop_lease(h) }
	od
}

/* Time passes; the store forgets. */
proctype world() {
end:
	do
	:: atomic { now < T -> now++ }
#ifdef FORGET
	/* A restart without persistence: every key gone (the namespace and the
	 * node records), the server's identity new. Lease calls answer
	 * state_lost (Redis) or zero rows (PostgreSQL) until the namespace is
	 * created again. */
	:: d_step { faults < MAXF ->
		faults++; ns_exists = 0; ns_floor = 0; ns_stale = 0;
		printf("at %d  store restarts empty\n", SNOW);
		n = 0;
		do
		:: n < N -> s_holder[n] = 0; s_epoch[n] = 0; s_exp[n] = 0; s_start[n] = 0; s_fence[n] = 0; n++
		:: else -> break
		od;
		n = 0 }
	/* `init` (not fresh) on a store without the namespace:
	 * postgres/namespace_init.sql, redis/namespace_init.lua,
	 * MemoryStore::new(fresh = false): floor = store now + ttl + max_skew,
	 * the current identity; the node records start empty. */
	:: d_step { !ns_exists -> ns_exists = 1; ns_floor = LOSS_FLOOR; printf("at %d  init: namespace again, floor %d\n", SNOW, ns_floor) }
#endif
#ifdef RESTORE
	/* A snapshot (an RDB, a base backup, what a lagging replica has). */
	:: d_step { faults < MAXF && !snap_ok ->
		snap_ok = 1; snap_floor = ns_floor;
		printf("at %d  store snapshot\n", SNOW);
		n = 0;
		do
		:: n < N -> snap_holder[n] = s_holder[n]; snap_epoch[n] = s_epoch[n]; snap_exp[n] = s_exp[n];
		            snap_start[n] = s_start[n]; snap_fence[n] = s_fence[n]; n++
		:: else -> break
		od;
		n = 0 }
	/* The store restored from it (a restore, a failover to that replica):
	 * the server's identity is not the one the namespace records. */
	:: d_step { faults < MAXF && snap_ok ->
		faults++; ns_floor = snap_floor; ns_stale = 1;
		printf("at %d  store restored from the snapshot\n", SNOW);
		n = 0;
		do
		:: n < N -> s_holder[n] = snap_holder[n]; s_epoch[n] = snap_epoch[n]; s_exp[n] = snap_exp[n];
		            s_start[n] = snap_start[n]; s_fence[n] = snap_fence[n];
		            snap_holder[n] = 0; snap_epoch[n] = 0; snap_exp[n] = 0; snap_start[n] = 0; snap_fence[n] = 0; n++
		:: else -> break
		od;
		n = 0; snap_ok = 0; snap_floor = 0 }
#endif
	od
}

init {
	atomic {
		run world();
		run holder(0);
		run holder(1)
	}
}
