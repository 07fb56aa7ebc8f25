"""The shared vectors, replayed in Python: same inputs, same IDs, same errors."""

from __future__ import annotations

import idloom
from idloom import Layout, ManualClock, RetryAt, Snowflake


def layout_from(v):
    return Layout(v["time_bits"], v["node_bits"], v["sequence_bits"], v["epoch_ms"], v["tick_ms"], v["order"])


def snowflake_from(script):
    layout = layout_from(script["layout"])
    p = script["policy"]
    kwargs = {"backwards": p["on_backwards"]["kind"], "exhausted": p["on_exhausted"]["kind"], "sequence_start": p["sequence_start"]["kind"]}
    if "max_ms" in p["on_backwards"]:
        kwargs["max_backwards_ms"] = p["on_backwards"]["max_ms"]
    if "max_lead_ms" in p["on_backwards"]:
        kwargs["max_backwards_ms"] = p["on_backwards"]["max_lead_ms"]
    if "max_lead_ms" in p["on_exhausted"]:
        kwargs["max_borrow_ms"] = p["on_exhausted"]["max_lead_ms"]
    if p["sequence_start"]["kind"] == "random":
        kwargs["seed"] = int(p["sequence_start"]["seed"])
    # The clock only serves the constructor's epoch check: steps pass explicit times.
    return Snowflake(script["node"], layout, clock=ManualClock(layout.epoch_ms), **kwargs)


def outcome(fn):
    try:
        return fn()
    except idloom.IdloomError as e:
        return {"error": e.code}


def test_layouts(vectors):
    v = vectors("layouts.json")
    for entry in v["layouts"]:
        layout = layout_from(entry["layout"])
        if entry["preset"]:
            assert Layout.preset(entry["name"]) == layout
        cap = layout.capacity()
        assert cap.ids_per_second_per_node == entry["capacity"]["ids_per_second_per_node"]
        assert cap.runs_out_at_ms == entry["capacity"]["runs_out_at_ms"]
        assert cap.leaves_js_safe_at_ms == entry["capacity"]["leaves_js_safe_at_ms"]
        assert layout.max_id == int(entry["max_id"])
        for case in entry["cases"]:
            id_ = int(case["id"])
            assert layout.compose(case["timestamp_ms"], case["node"], case["sequence"]) == id_
            parts = layout.decompose(id_)
            assert (parts.timestamp_ms, parts.node, parts.sequence) == (case["parts"]["timestamp_ms"], case["node"], case["sequence"])
            assert layout.friendly(id_) == case["parts"]["friendly"]
            assert layout.parse_friendly(case["parts"]["friendly"]) == id_
        for bad in entry["bad_compose"]:
            got = outcome(lambda: layout.compose(bad["timestamp_ms"], bad["node"], bad["sequence"]))
            assert got == bad["expect"]
        bad = entry["bad_decode"]
        assert outcome(lambda: layout.decompose(int(bad["id"]))) == bad["expect"]
    for bad in v["invalid"]:
        try:
            Layout(bad["time_bits"], bad["node_bits"], bad["sequence_bits"], bad["epoch_ms"], bad["tick_ms"])
        except idloom.IdloomError as e:
            assert e.code == bad["expect"]["error"]
            assert str(e).startswith(bad["expect"]["param"])
        else:
            raise AssertionError(f"accepted {bad}")


def run_step(gen, step):
    if "fill" in step:
        def fill():
            ids, retry = gen.fill_at(step["now"], step["fill"])
            return {"ids": [str(i) for i in ids], "retry_at": retry}
        return outcome(fill)

    def one():
        r = gen.next_at(step["now"])
        return {"retry_at": r.at_ms} if isinstance(r, RetryAt) else {"id": str(r)}
    return outcome(one)


def test_snowflake_scripts(vectors):
    v = vectors("snowflake_scripts.json")
    for script in v["scripts"]:
        gen = snowflake_from(script)
        for i, step in enumerate(script["steps"]):
            assert run_step(gen, step) == step["expect"], f"{script['name']} step {i}"
    for bad in v["bad_nodes"]:
        got = outcome(lambda: Snowflake(bad["node"], layout_from(bad["layout"])))
        assert got == bad["expect"]


def test_error_codes_match_the_core(vectors):
    codes = [c["code"] for c in vectors("errors.json")["codes"]]
    assert sorted(codes) == sorted(idloom.BY_CODE)
    for entry in vectors("errors.json")["codes"]:
        cls = idloom.BY_CODE[entry["code"]]
        if entry["code"] == "invalid_type":
            assert issubclass(cls, TypeError)
        elif entry["bad_input"]:
            assert issubclass(cls, ValueError)
        else:
            assert issubclass(cls, RuntimeError)
