"""The worker's node and generator, set by gunicorn.conf.py's post_fork."""

from typing import Optional

from idloom import Slot, Snowflake

slot: Optional[Slot] = None
gen: Optional[Snowflake] = None
