"""IDs for a uWSGI app served by prefork workers (the master imports the app
once and forks the workers: no lazy-apps). The node is a host-local slot
claimed in each worker after the fork; see the README's uWSGI section."""

import os

from idloom import Slot, Snowflake

try:
    from uwsgidecorators import postfork
except ImportError:  # imported outside uWSGI (a script, a test): nothing forks

    def postfork(f):  # type: ignore[no-untyped-def]
        return f


WORKERS = 4
slot = None
gen = None


@postfork
def claim_node():  # type: ignore[no-untyped-def]
    # In each worker, after the fork: the first free slot k of WORKERS,
    # node = host_base + k; a restarted worker starts above its predecessor.
    global slot, gen
    slot = Slot.claim(os.environ.get("IDLOOM_SLOT_DIR", "/run/myapp"), "web", WORKERS,
                      host_base=int(os.environ.get("HOST_BASE", "0")))
    gen = Snowflake(slot=slot)
