"""The shared vectors, replayed in Python: same inputs, same IDs, same errors."""

from __future__ import annotations

import idloom
from idloom import Layout, RetryAt, Snowflake, SnowflakeMachine


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
    # The pure machine: steps pass explicit times; nothing touches the process's generators.
    return SnowflakeMachine(script["node"], layout, **kwargs)


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
        del gen  # scripts reuse (layout, node) with other policies: one live generator per node
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


def test_encodings(vectors):
    v = vectors("encodings.json")
    for name, entry in v["encodings"].items():
        for case in entry["u64"]:
            assert idloom.encode(int(case["value"]), name) == case["text"]
            assert idloom.decode(case["text"], name) == int(case["value"])
        for case in entry["u128"]:
            assert idloom.encode(int(case["value"]), name, 128) == case["text"]
            assert idloom.decode(case["text"], name, 128) == int(case["value"])
        for case in entry["decode_u64"]:
            got = outcome(lambda: {"value": str(idloom.decode(case["text"], name))})
            assert got == case["expect"], (name, case)


def test_masking(vectors):
    v = vectors("masking.json")
    for case in v["cases"]:
        m = idloom.Mask(case["bits"], bytes.fromhex(case["key"]), version=case["version"])
        if case["version"] == 2:
            assert idloom.Mask(case["bits"], bytes.fromhex(case["key"])).mask(1) == m.mask(1), "version 2 is the default"
        for pair in case["values"]:
            assert m.mask(int(pair["value"])) == int(pair["masked"])
            assert m.unmask(int(pair["masked"])) == int(pair["value"])
        if case["out_of_range"]["value"] is not None:
            assert outcome(lambda: m.mask(int(case["out_of_range"]["value"]))) == case["out_of_range"]["expect"]
    for bad in v["invalid_bits"]:
        assert outcome(lambda: idloom.Mask(bad["bits"], bytes(16), version=bad["version"])) == bad["expect"]
    for bad in v["invalid_versions"]:
        assert outcome(lambda: idloom.Mask(32, bytes(16), version=bad["version"])) == bad["expect"]


def test_a_mask_never_shows_its_key():
    key = idloom.Mask.generate_key()
    assert len(key) == 16 and key != idloom.Mask.generate_key()
    m = idloom.Mask(40, key)
    assert repr(m) == "Mask(bits=40, version=2, key=<secret>)" and key.hex() not in repr(m)
    assert m.version == 2 and idloom.Mask(8, key, version=1).version == 1


def test_nanoid(vectors):
    v = vectors("nanoid.json")
    assert idloom.nanoid_from_bytes(bytes.fromhex(v["default"]["random"])) == v["default"]["id"]
    for case in v["cases"]:
        random = bytes.fromhex(case["random"])
        gen = idloom.custom_alphabet(case["alphabet"], case["size"])
        assert gen.generate_from(random) == (case["id"], len(random))
    for bad in v["invalid"]:
        assert outcome(lambda: idloom.custom_alphabet(bad["alphabet"], bad["size"])) == bad["expect"]


def test_uuid(vectors):
    v = vectors("uuid.json")
    for case in v["v4"]:
        assert str(idloom.uuid4_from_bytes(bytes.fromhex(case["random"]))) == case["uuid"]
    for case in v["v7"]:
        got = outcome(lambda: {"uuid": str(idloom.uuid7_from_parts(case["unix_ms"], bytes.fromhex(case["random"])))})
        assert got == ({"uuid": case["uuid"]} if "uuid" in case else case["expect"])
    gen = idloom.V7Generator()
    for step in v["v7_monotonic"]:
        assert str(gen.next_from(step["now"], bytes.fromhex(step["random"]))) == step["uuid"]
    for case in v["parse"]:
        expect = case["expect"]
        if "error" in expect:
            assert outcome(lambda: idloom.parse_uuid(case["input"])) == expect
            continue
        u = idloom.parse_uuid(case["input"])
        assert str(u) == expect["hyphenated"]
        assert u.int == int(expect["u128"])
        for form in ("simple", "urn", "braced"):
            assert idloom.format_uuid(u, form) == expect[form]
        assert idloom.uuid_timestamp_ms(u) == expect["timestamp_ms"]


def test_segment_scripts(vectors):
    v = vectors("segment_scripts.json")

    def buffer_from(c):
        step = c["step"]
        adaptive = (step["min"], step["max"], step["target_ms"]) if step["kind"] == "adaptive" else None
        return idloom.SegmentBuffer(
            step=step.get("step", 1), threshold_percent=c["threshold_percent"], max_prefetched=c["max_prefetched"],
            stride=int(c["stride"]), offset=int(c["offset"]), adaptive=adaptive,
        )

    for script in v["scripts"]:
        b = buffer_from(script["config"])
        for i, step in enumerate(script["steps"]):
            op = step["op"]
            if op == "next":
                got = outcome(lambda: {"id": str(b.next())})
            elif op == "begin_fetch":
                got = {"step": b.begin_fetch(step["now"])}
            elif op == "supply":
                got = outcome(lambda: (b.supply(int(step["start"]), int(step["end"])), {"ok": True})[1])
            elif op == "fetch_failed":
                b.fetch_failed()
                got = {"ok": True}
            else:
                got = {"remaining": b.remaining}
            assert got == step["expect"], f"{script['name']} step {i}"
    for bad in v["invalid"]:
        assert outcome(lambda: buffer_from(bad["config"])) == {"error": bad["expect"]["error"]}


def test_store_inputs(vectors):
    # Every string a store takes, checked by the core: at its limit, one past, characters in and out of its set.
    from idloom.stores import MySQLStore
    from idloom.stores._base import check_input

    def checked(fn):
        try:
            fn()
        except idloom.IdloomError as e:
            return {"error": e.code, "message": str(e)}
        return {"ok": True}

    # A store that is never reached: every refusal comes before any connection.
    store = MySQLStore(lambda: (_ for _ in ()).throw(AssertionError("a refused input reached the store")))
    public = {
        "namespace": lambda v: store.namespace(v),
        "biz_tag": lambda v: store.segment_source(v),
        "description": lambda v: store.init_segment("t", floor=0, description=v),
        "table": lambda v: store.segment_source("t", table=v),
    }
    cases = vectors("store_inputs.json")["cases"]
    assert {c["kind"] for c in cases} == {"namespace", "biz_tag", "holder", "description", "table"}
    for case in cases:
        kind, value, expect = case["kind"], case["value"], case["expect"]
        assert checked(lambda: check_input(kind, value)) == expect, (kind, value)
        if "error" in expect and kind in public:
            assert checked(lambda: public[kind](value)) == expect, (kind, value)


def test_objectid(vectors):
    v = vectors("objectid.json")
    for case in v["parts"]:
        oid = idloom.ObjectId.from_parts(case["seconds"], bytes.fromhex(case["process"]), case["counter"])
        assert str(oid) == case["hex"]
        assert (oid.seconds, oid.process.hex(), oid.counter) == (case["seconds"], case["process"], case["counter"] & 0xFFFFFF)
    gen = idloom.ObjectIdGenerator(bytes.fromhex("0908070605"), 0xFFFFFE)
    for step in v["sequence"]:
        assert gen.next_at(step["now_ms"]).hex == step["hex"]
    for case in v["parse"]:
        expect = case["expect"]
        if "error" in expect:
            assert outcome(lambda: idloom.ObjectId(case["input"])) == expect
            assert outcome(lambda: idloom.ObjectId.from_hex(case["input"])) == expect
            continue
        oid = idloom.ObjectId.from_hex(case["input"])
        assert (oid.hex, oid.seconds, oid.counter) == (expect["hex"], expect["seconds"], expect["counter"])
