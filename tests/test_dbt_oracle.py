"""The marts against an independent Python model of SPEC §4/§5 on random (seeded) data.

Random Group calls with many spellings of the same trait, nested objects, explicit nulls, parent
clears, ties on event_at (broken by received_at, then load order), anonymous ids seen with
users, group types (`objectTypeId` at the top level or in traits, as a number or a string),
relationship attributes, and `Relationship Deleted` / `Object Deleted` track events, in three
files loaded as three batches. The Python reference below re-implements the
rules directly, event by event; every row of the marts must match it.
"""

from __future__ import annotations

import json
import random
import re
from collections import defaultdict
from datetime import UTC, datetime

import pytest

from helpers import Warehouse

SEED = 20240101
N_EVENTS = 900
MAX_DEPTH = 4  # dbt var grouplake_trait_max_depth

KEYS = [
    "plan",
    "Plan",
    "PLAN",
    "name",
    "Name",
    "createdAt",
    "created_at",
    "created at",
    "CreatedAt",
    "total billed",
    "totalBilled",
    "HTTPServer",
    "tags",
    "employees",
    "address",
    "Address",
]
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
                        sub[k] = (
                            None
                            if rng.random() < 0.3
                            else {"lat": rng.choice([1, 2, None]), "Lng": rng.choice([3, 4])}
                        )
                    else:
                        sub[k] = rng.choice(["a", "b", None])
                traits[key] = sub
        else:
            traits[key] = rng.choice(VALUES)
    return traits


ATTRIBUTE_KEYS = ["role", "Role", "seat", "team"]


def random_type(rng: random.Random, call: dict, traits: dict | None) -> None:
    """objectTypeId at the top level, in traits (number or string), or none (default type)."""
    r = rng.random()
    if r < 0.2:
        call["objectTypeId"] = rng.choice([1, 2, "1"])
    elif r < 0.5 and traits is not None:
        traits["objectTypeId"] = rng.choice([1, 2, 2.0, "2"])


def generate():
    rng = random.Random(SEED)
    files = [[], [], []]
    for i in range(N_EVENTS):
        call = {
            "type": "group",
            "messageId": f"m{i}",
            "groupId": f"g{rng.randrange(12)}",
            "timestamp": f"2024-01-{1 + rng.randrange(4):02d}T00:00:00Z",
        }
        if rng.random() < 0.6:
            call["receivedAt"] = f"2024-02-01T00:00:0{rng.randrange(3)}Z"
        r = rng.random()
        if r < 0.35:
            call["userId"] = f"u{rng.randrange(8)}"
        if 0.25 < r < 0.85:
            call["anonymousId"] = f"a{rng.randrange(60)}"
        kind = rng.random()
        if kind < 0.06:  # a member leaves
            call.update(
                type="track", event="Relationship Deleted", context={"groupId": call.pop("groupId")}
            )
            if rng.random() < 0.8:
                call["properties"] = {"objectTypeId": rng.choice([1, 2])}
        elif kind < 0.09:  # the group is deleted (half of the time after every other call)
            ts = "2024-01-05T00:00:00Z" if rng.random() < 0.5 else call["timestamp"]
            call = {
                "type": "track",
                "event": "Object Deleted",
                "messageId": call["messageId"],
                "timestamp": ts,
                "properties": {"objectId": call["groupId"]},
            }
            if rng.random() < 0.8:
                call["properties"]["objectTypeId"] = rng.choice([1, 2])
        else:
            traits = random_traits(rng)
            if traits is not None and rng.random() < 0.3:
                traits["relationshipAttributes"] = {
                    k: rng.choice(["admin", "x", 1, None])
                    for k in rng.sample(ATTRIBUTE_KEYS, rng.randrange(1, 3))
                }
            random_type(rng, call, traits)
            if traits is not None:
                call["traits"] = traits
        files[rng.randrange(3)].append(call)
    return files


# --- the reference model ----------------------------------------------------------------------------

CONTROL_FIELDS = ("objectTypeId", "relationshipAttributes")


def leaves(obj: dict, depth=1, cpath=(), opath=()):
    for k, v in obj.items():
        if depth == 1 and k in CONTROL_FIELDS:
            continue
        ck, ok = cpath + (canonical(k),), opath + (k,)
        if isinstance(v, dict) and depth < MAX_DEPTH:
            yield from leaves(v, depth + 1, ck, ok)
        else:
            yield ".".join(ck), ".".join(ok), v


def to_json(v) -> str | None:
    return None if v is None else json.dumps(v, separators=(",", ":"))


def json_type(v) -> str:
    return {type(None): "null", str: "string", bool: "boolean", list: "array", dict: "object"}.get(
        type(v), "number"
    )


def type_id(v) -> str | None:
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, (int, float)):
        return str(int(v)) if float(v).is_integer() else str(v)
    return v if isinstance(v, str) and v.strip() else None


def group_type(call: dict) -> str:
    for v in (
        call.get("objectTypeId"),
        (call.get("traits") or {}).get("objectTypeId"),
        (call.get("properties") or {}).get("objectTypeId"),
    ):
        if type_id(v) is not None:
            return type_id(v)
    return "default"


def explicit_writes(traits: dict) -> dict[str, tuple]:
    """canonical key -> (original key, value): per key, the greatest original spelling wins."""
    out: dict[str, tuple] = {}
    for key, orig, v in traits:
        if key not in out or orig > out[key][0]:
            out[key] = (orig, v)
    return out


def reference(events: list[dict]):
    """events: dicts with message_id, kind, group_type, group_id, user_id, anonymous_id, traits, event_at, order."""
    events = sorted(events, key=lambda e: e["order"])
    state: dict[tuple, dict] = {}
    history: dict[tuple, list] = defaultdict(list)
    catalog: dict[tuple, dict] = {}
    for e in events:
        if e["kind"] != "group":
            continue
        g = (e["group_type"], e["group_id"])
        explicit = explicit_writes(leaves(e["traits"]))
        final: dict[str, tuple] = {}
        for key, (orig, v) in explicit.items():
            c = catalog.setdefault(
                (g[0], key), {"original_keys": set(), "value_types": defaultdict(int), "writes": 0}
            )
            c["original_keys"].add(orig)
            c["value_types"][json_type(v)] += 1
            c["writes"] += 1
            if v is None:  # a null parent clears the leaves under it the group already has
                for t2, g2, k2 in state:
                    if (t2, g2) == g and k2.startswith(key + ".") and k2 not in explicit:
                        if k2 not in final or orig > final[k2][0]:
                            final[k2] = (orig, None)
        final.update(explicit)
        for key, (orig, v) in final.items():
            value = to_json(v)
            cur = state.get((*g, key))
            if cur is None or cur["value"] != value:
                state[(*g, key)] = {
                    "value": value,
                    "original_key": orig,
                    "message_id": e["message_id"],
                    "updated_at": e["event_at"],
                }
                history[(*g, key)].append((value, e["message_id"], e["event_at"]))
    # memberships: identity stitching over every call carrying both ids
    links = {}
    for e in events:
        if e["anonymous_id"] and e["user_id"] and e["anonymous_id"] not in links:
            links[e["anonymous_id"]] = e["user_id"]
    members: dict[tuple, dict] = {}
    groups: dict[tuple, dict] = {}
    for e in events:  # in last-write-wins order
        g = (e["group_type"], e["group_id"])
        grp = groups.setdefault(
            g,
            {
                "first": e["event_at"],
                "last": e["event_at"],
                "n": 0,
                "deleted": False,
                "deleted_at": None,
            },
        )
        grp["n"] += 1
        grp["first"], grp["last"] = (
            min(grp["first"], e["event_at"]),
            max(grp["last"], e["event_at"]),
        )
        if e["kind"] == "object_deleted":
            grp["deleted"], grp["deleted_at"] = True, e["event_at"]
            for key, m in members.items():  # a deletion ends every membership of the group
                if key[:2] == g:
                    m["active"], m["left_at"] = False, e["event_at"]
            continue
        if e["kind"] == "group":
            grp["deleted"] = False  # a Group call revives a deleted group
        if not (e["user_id"] or e["anonymous_id"]):
            continue
        user = e["user_id"] or links.get(e["anonymous_id"])
        key = (*g, "user" if user else "anonymous", user or e["anonymous_id"])
        if e["kind"] == "relationship_deleted":
            if key in members:  # a leave before any join ends nothing
                members[key]["active"], members[key]["left_at"] = False, e["event_at"]
            continue
        m = members.setdefault(
            key,
            {
                "first": e["event_at"],
                "last": e["event_at"],
                "n": 0,
                "anon": None,
                "anons": set(),
                "active": True,
                "left_at": None,
                "attributes": {},
            },
        )
        m["n"] += 1
        m["last"] = max(m["last"], e["event_at"])
        m["active"] = True
        if e["anonymous_id"]:
            m["anon"] = m["anon"] or e["anonymous_id"]
            m["anons"].add(e["anonymous_id"])
        attributes = e["traits"].get("relationshipAttributes")
        if isinstance(attributes, dict):
            for k, (_, v) in explicit_writes(
                (canonical(k), k, v) for k, v in attributes.items()
            ).items():
                m["attributes"][k] = v
    for m in members.values():
        m["attributes"] = {k: v for k, v in m["attributes"].items() if v is not None}
    return state, history, members, groups, catalog


# --- the warehouse ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def oracle(tmp_path_factory):
    wh = Warehouse(tmp_path_factory.mktemp("dbt_oracle"))
    files = generate()
    paths = [wh.write(f"part{i}.ndjson", calls) for i, calls in enumerate(files)]
    res = wh.cli("load", *map(str, paths))
    assert res.returncode == 0, res.stdout + res.stderr
    dbt_dir = wh.root / "dbt"
    res = wh.cli(
        "build",
        "--target-path",
        str(dbt_dir / "target"),
        "--log-path",
        str(dbt_dir / "logs"),
        "--exclude",
        "test_type:unit",
    )
    assert res.returncode == 0, res.stdout[-5000:] + res.stderr[-3000:]
    by_id = {c["messageId"]: c for calls in files for c in calls}
    raw = wh.query(
        "SELECT message_id, group_id, user_id, anonymous_id, event_at, received_at, batch_id, source_line "
        "FROM raw.group_events"
    )
    assert len(raw) == N_EVENTS
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    kinds = {
        "group": "group",
        "Relationship Deleted": "relationship_deleted",
        "Object Deleted": "object_deleted",
    }
    events = [
        {
            "message_id": m,
            "kind": kinds[by_id[m].get("event", "group")],
            "group_type": group_type(by_id[m]),
            "group_id": g,
            "user_id": u,
            "anonymous_id": a,
            "event_at": ev,
            "traits": by_id[m].get("traits") or {},
            "order": (ev, (0, epoch) if rcv is None else (1, rcv), b, line),
        }
        for m, g, u, a, ev, rcv, b, line in raw
    ]
    return wh, reference(events)


def test_group_traits_latest_matches_reference(oracle):
    wh, (state, *_) = oracle
    rows = wh.query(
        "SELECT group_type, group_id, trait_key, value::VARCHAR, original_key, message_id, updated_at "
        "FROM group_traits_latest"
    )
    got = {
        (t, g, k): {"value": v, "original_key": o, "message_id": m, "updated_at": u}
        for t, g, k, v, o, m, u in rows
    }
    assert len(got) == len(rows)
    assert got == state
    assert {t for (t, _, _) in state} == {"1", "2", "default"}  # the data has every type


def test_group_trait_history_matches_reference(oracle):
    wh, (_, history, *_) = oracle
    rows = wh.query(
        "SELECT group_type, group_id, trait_key, value::VARCHAR, message_id, valid_from "
        "FROM group_trait_history ORDER BY group_type, group_id, trait_key, change_seq"
    )
    got = defaultdict(list)
    for t, g, k, v, m, vf in rows:
        got[(t, g, k)].append((v, m, vf))
    assert dict(got) == dict(history)
    assert sum(len(h) for h in history.values()) > 3 * len(history)  # the data really has histories
    kinds = dict(wh.query("SELECT write_kind, count(*) FROM group_trait_history GROUP BY ALL"))
    assert kinds.get("parent_cleared", 0) > 10 and kinds.get("null", 0) > 10


def test_user_group_memberships_match_reference(oracle):
    wh, (_, _, members, _, _) = oracle
    rows = wh.query(
        "SELECT group_type, group_id, member_type, member_id, first_seen_at, last_seen_at, event_count, "
        "anonymous_id, anonymous_id_count, attributes::VARCHAR, is_active, left_at "
        "FROM user_group_memberships"
    )
    got = {
        (t, g, mt, i): (f, ln, n, a, c, json.loads(attrs), act, left)
        for t, g, mt, i, f, ln, n, a, c, attrs, act, left in rows
    }
    want = {
        k: (
            m["first"],
            m["last"],
            m["n"],
            m["anon"],
            len(m["anons"]),
            m["attributes"],
            m["active"],
            m["left_at"],
        )
        for k, m in members.items()
    }
    assert got == want
    assert {k[2] for k in want} == {"user", "anonymous"}  # the data has both kinds
    # and leaves, rejoins after a leave, and attributes
    assert sum(not m["active"] for m in members.values()) > 10
    assert sum(m["active"] and m["left_at"] is not None for m in members.values()) > 3
    assert sum(bool(m["attributes"]) for m in members.values()) > 10


def test_groups_match_reference(oracle):
    wh, (state, _, members, groups, _) = oracle
    rows = wh.query(
        "SELECT group_type, group_id, traits::VARCHAR, plan, name, member_count, active_member_count, "
        "first_seen_at, last_seen_at, event_count, is_deleted, deleted_at FROM groups"
    )
    assert {(t, g) for t, g, *_ in rows} == set(groups)
    for (
        t,
        g,
        traits,
        plan,
        name,
        member_count,
        active_count,
        first,
        last,
        n,
        is_deleted,
        deleted_at,
    ) in rows:
        current = {
            k: json.loads(v["value"])
            for (t2, g2, k), v in state.items()
            if (t2, g2) == (t, g) and v["value"] is not None
        }
        assert json.loads(traits) == current
        assert list(json.loads(traits)) == sorted(current)
        for col, value in (("plan", plan), ("name", name)):
            want = current.get(col)
            want = (
                None
                if isinstance(want, list)
                else (str(want).lower() if isinstance(want, bool) else want)
            )
            assert value == (None if want is None else str(want)), (g, col)
        mine = [m for k, m in members.items() if k[:2] == (t, g)]
        assert (member_count, active_count) == (len(mine), sum(m["active"] for m in mine))
        grp = groups[(t, g)]
        assert (first, last, n, is_deleted, deleted_at) == (
            grp["first"],
            grp["last"],
            grp["n"],
            grp["deleted"],
            grp["deleted_at"],
        ), (t, g)
    assert sum(grp["deleted"] for grp in groups.values()) >= 2
    assert (
        sum(not grp["deleted"] and grp["deleted_at"] is not None for grp in groups.values()) >= 2
    )  # revived


def test_group_trait_catalog_matches_reference(oracle):
    wh, (state, _, _, _, catalog) = oracle
    rows = wh.query(
        "SELECT group_type, trait_key, original_keys::VARCHAR, value_types::VARCHAR, has_type_conflict, "
        "groups_with_value, groups_cleared, write_count FROM group_trait_catalog"
    )
    got = {
        (t, k): (json.loads(o), json.loads(v), c, gv, gc, n) for t, k, o, v, c, gv, gc, n in rows
    }
    want = {}
    for (t, k), c in catalog.items():
        current = [v["value"] for (t2, _, k2), v in state.items() if (t2, k2) == (t, k)]
        want[(t, k)] = (
            sorted(c["original_keys"]),
            dict(c["value_types"]),
            len([x for x in c["value_types"] if x != "null"]) > 1,
            sum(v is not None for v in current),
            sum(v is None for v in current),
            c["writes"],
        )
    assert got == want
    assert any(w[2] for w in want.values()) and any(len(w[0]) > 1 for w in want.values())
