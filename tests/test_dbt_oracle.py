"""The marts against an independent Python model of SPEC §4/§5 on random (seeded) data.

Random Group calls with many spellings of the same trait, nested objects, explicit nulls, parent
clears, ties on event_at (broken by received_at, then load order) and anonymous ids seen with
users, in three files loaded as three batches. The Python reference below re-implements the
rules directly, event by event; every row of the marts must match it.
"""

from __future__ import annotations

import json
import random
import re
from collections import defaultdict
from datetime import datetime, timezone

import pytest

from conftest import Warehouse

SEED = 20240101
N_EVENTS = 900
MAX_DEPTH = 4  # dbt var grouplake_trait_max_depth

KEYS = ["plan", "Plan", "PLAN", "name", "Name", "createdAt", "created_at", "created at", "CreatedAt",
        "total billed", "totalBilled", "HTTPServer", "tags", "employees", "address", "Address"]
ADDRESS_KEYS = ["city", "City", "postalCode", "postal_code", "geo", "street"]
VALUES = ["x", "y", "Z", 1, 2, [1, 2], ["x"], True, None]


def canonical(key: str) -> str:
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", key)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s)
    s = re.sub(r"[^a-z0-9]+", "_", s.lower()).strip("_")
    return s or "_"


def random_traits(rng: random.Random):
    if rng.random() < 0.08:
        return None
    traits = {}
    for key in rng.sample(KEYS, rng.randrange(0, 5)):
        if key.lower() == "address":
            r = rng.random()
            if r < 0.25:
                traits[key] = None
            elif r < 0.3:
                traits[key] = {}
            else:
                sub = {}
                for k in rng.sample(ADDRESS_KEYS, rng.randrange(1, 3)):
                    if k == "geo":
                        sub[k] = None if rng.random() < 0.3 else {"lat": rng.choice([1, 2, None]), "Lng": rng.choice([3, 4])}
                    else:
                        sub[k] = rng.choice(["a", "b", None])
                traits[key] = sub
        else:
            traits[key] = rng.choice(VALUES)
    return traits


def generate():
    rng = random.Random(SEED)
    files = [[], [], []]
    for i in range(N_EVENTS):
        call = {"type": "group", "messageId": f"m{i}", "groupId": f"g{rng.randrange(12)}",
                "timestamp": f"2024-01-{1 + rng.randrange(4):02d}T00:00:00Z"}
        if rng.random() < 0.6:
            call["receivedAt"] = f"2024-02-01T00:00:0{rng.randrange(3)}Z"
        r = rng.random()
        if r < 0.35:
            call["userId"] = f"u{rng.randrange(8)}"
        if 0.25 < r < 0.85:
            call["anonymousId"] = f"a{rng.randrange(60)}"
        traits = random_traits(rng)
        if traits is not None:
            call["traits"] = traits
        files[rng.randrange(3)].append(call)
    return files


# --- the reference model ----------------------------------------------------------------------------

def leaves(obj: dict, depth=1, cpath=(), opath=()):
    for k, v in obj.items():
        ck, ok = cpath + (canonical(k),), opath + (k,)
        if isinstance(v, dict) and depth < MAX_DEPTH:
            yield from leaves(v, depth + 1, ck, ok)
        else:
            yield ".".join(ck), ".".join(ok), v


def to_json(v) -> str | None:
    return None if v is None else json.dumps(v, separators=(",", ":"))


def reference(events: list[dict]):
    """events: dicts with message_id, group_id, user_id, anonymous_id, traits, event_at, order."""
    events = sorted(events, key=lambda e: e["order"])
    state: dict[tuple, dict] = {}
    history: dict[tuple, list] = defaultdict(list)
    for e in events:
        g = e["group_id"]
        explicit: dict[str, tuple] = {}
        for key, orig, v in leaves(e["traits"]):
            if key not in explicit or orig > explicit[key][0]:
                explicit[key] = (orig, v)
        final: dict[str, tuple] = {}
        for key, (orig, v) in explicit.items():
            if v is None:  # a null parent clears the leaves under it the group already has
                for (g2, k2) in state:
                    if g2 == g and k2.startswith(key + ".") and k2 not in explicit:
                        if k2 not in final or orig > final[k2][0]:
                            final[k2] = (orig, None)
        final.update(explicit)
        for key, (orig, v) in final.items():
            value = to_json(v)
            cur = state.get((g, key))
            if cur is None or cur["value"] != value:
                state[(g, key)] = {"value": value, "original_key": orig, "message_id": e["message_id"],
                                   "updated_at": e["event_at"]}
                history[(g, key)].append((value, e["message_id"], e["event_at"]))
    # memberships
    links = {}
    for e in events:
        if e["anonymous_id"] and e["user_id"] and e["anonymous_id"] not in links:
            links[e["anonymous_id"]] = e["user_id"]
    members: dict[tuple, dict] = {}
    for e in events:
        if not (e["user_id"] or e["anonymous_id"]):
            continue
        user = e["user_id"] or links.get(e["anonymous_id"])
        key = (e["group_id"], "user" if user else "anonymous", user or e["anonymous_id"])
        m = members.setdefault(key, {"first": e["event_at"], "last": e["event_at"], "n": 0, "anon": None,
                                     "anons": set()})
        m["n"] += 1
        m["last"] = max(m["last"], e["event_at"])
        if e["anonymous_id"]:
            m["anon"] = m["anon"] or e["anonymous_id"]
            m["anons"].add(e["anonymous_id"])
    return state, history, members


# --- the warehouse ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def oracle(tmp_path_factory):
    wh = Warehouse(tmp_path_factory.mktemp("dbt_oracle"))
    files = generate()
    paths = [wh.write(f"part{i}.ndjson", calls) for i, calls in enumerate(files)]
    res = wh.cli("load", *map(str, paths))
    assert res.returncode == 0, res.stdout + res.stderr
    dbt_dir = wh.root / "dbt"
    res = wh.cli("build", "--target-path", str(dbt_dir / "target"), "--log-path", str(dbt_dir / "logs"),
                 "--exclude", "test_type:unit")
    assert res.returncode == 0, res.stdout[-5000:] + res.stderr[-3000:]
    by_id = {c["messageId"]: c for calls in files for c in calls}
    raw = wh.query("SELECT message_id, group_id, user_id, anonymous_id, event_at, received_at, batch_id, source_line "
                   "FROM raw.group_events")
    assert len(raw) == N_EVENTS
    epoch = datetime(1970, 1, 1, tzinfo=timezone.utc)
    events = [{"message_id": m, "group_id": g, "user_id": u, "anonymous_id": a, "event_at": ev,
               "traits": by_id[m].get("traits") or {},
               "order": (ev, (0, epoch) if rcv is None else (1, rcv), b, line)}
              for m, g, u, a, ev, rcv, b, line in raw]
    return wh, reference(events)


def test_group_traits_latest_matches_reference(oracle):
    wh, (state, _, _) = oracle
    rows = wh.query("SELECT group_id, trait_key, value::VARCHAR, original_key, message_id, updated_at "
                    "FROM group_traits_latest")
    got = {(g, k): {"value": v, "original_key": o, "message_id": m, "updated_at": u} for g, k, v, o, m, u in rows}
    assert len(got) == len(rows)
    assert got == state


def test_group_trait_history_matches_reference(oracle):
    wh, (_, history, _) = oracle
    rows = wh.query("SELECT group_id, trait_key, value::VARCHAR, message_id, valid_from FROM group_trait_history "
                    "ORDER BY group_id, trait_key, change_seq")
    got = defaultdict(list)
    for g, k, v, m, vf in rows:
        got[(g, k)].append((v, m, vf))
    assert dict(got) == dict(history)
    assert sum(len(h) for h in history.values()) > 3 * len(history)  # the data really has histories
    kinds = dict(wh.query("SELECT write_kind, count(*) FROM group_trait_history GROUP BY ALL"))
    assert kinds.get("parent_cleared", 0) > 10 and kinds.get("null", 0) > 10


def test_user_group_memberships_match_reference(oracle):
    wh, (_, _, members) = oracle
    rows = wh.query("SELECT group_id, member_type, member_id, first_seen_at, last_seen_at, event_count, "
                    "anonymous_id, anonymous_id_count FROM user_group_memberships")
    got = {(g, t, i): (f, l, n, a, c) for g, t, i, f, l, n, a, c in rows}
    want = {k: (m["first"], m["last"], m["n"], m["anon"], len(m["anons"])) for k, m in members.items()}
    assert got == want
    assert {t for (_, t, _) in want} == {"user", "anonymous"}  # the data has both kinds


def test_groups_match_reference(oracle):
    wh, (state, _, members) = oracle
    rows = wh.query("SELECT group_id, traits::VARCHAR, plan, name, member_count FROM groups")
    for g, traits, plan, name, member_count in rows:
        current = {k: json.loads(v["value"]) for (g2, k), v in state.items() if g2 == g and v["value"] is not None}
        assert json.loads(traits) == current
        assert list(json.loads(traits)) == sorted(current)
        for col, value in (("plan", plan), ("name", name)):
            want = current.get(col)
            want = None if isinstance(want, list) else (str(want).lower() if isinstance(want, bool) else want)
            assert value == (None if want is None else str(want)), (g, col)
        assert member_count == sum(1 for (g2, _, _) in members if g2 == g)
