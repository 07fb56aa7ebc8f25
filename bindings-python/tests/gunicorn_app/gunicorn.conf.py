# gunicorn.conf.py: one host-local slot per worker, claimed after the fork.
import os

from idloom import Slot, Snowflake

workers = 4
SLOT_DIR = os.environ.get("IDLOOM_SLOT_DIR", "/run/myapp")  # local to the host


def post_fork(server, worker):
    # In the worker, after the fork (a forked child shares its parent's locks):
    # the first free slot k of `workers`, node = host_base + k. A restarted
    # worker takes a freed slot and starts above its predecessor's fence.
    import ids

    ids.slot = Slot.claim(SLOT_DIR, "web", workers, host_base=int(os.environ.get("HOST_BASE", "0")))
    ids.gen = Snowflake(slot=ids.slot)
