"""Seeded generator of realistic Segment-spec Group NDJSON for benchmarks and tests.

    python -m bench.generate --events 1000000 --out bench/out/events.ndjson [--gz] [--seed 42]

``--events`` is the number of lines written (valid events, duplicates and bad lines all
count). The mix, per line:

* valid ``group`` calls (~98.5%) for a Zipf-distributed pool of groups: reserved traits
  (``name``, ``plan``, ``employees``, ``createdAt``, nested ``address``...) and custom ones
  (``total billed``, ``mrr``, ``Account Owner``...), written in camelCase, snake_case,
  ``Capitalised`` and spaced spellings, explicit ``null`` clears and ``"address": null``,
  numeric ``groupId``/``userId``, anonymous-only and trait-only calls, missing
  ``messageId`` (derived by the loader), ``"type": "Group"``, every timestamp form
  (ISO-8601 with ``Z`` or an offset, unix seconds and milliseconds, the clock-skew case
  without ``timestamp``) and late events (sent days after they happened);
* ~1% duplicates: retries of an earlier event with the same ``messageId`` (byte-identical
  or re-sent later);
* ~0.5% bad lines spread over every reject reason of the loader (``invalid_json``,
  ``not_an_object``, ``wrong_type`` — a call without a type —, ``missing_group_id``,
  ``invalid_group_id``, ``invalid_user_id``, ``invalid_anonymous_id``,
  ``invalid_message_id``, ``invalid_traits``, ``invalid_timestamp``, ``invalid_utf8``,
  ``empty_line``) plus a few ``too_large`` lines (> 1 MiB; about one per 250k lines, at
  least one). Three quarters of the ``wrong_type`` draws are identify/track/page calls instead,
  which the loader skips and counts by call type (``skipped`` in the manifest).

The same seed gives the same bytes. Next to the output a ``<out>.manifest.json`` records
the seed, the sizes and the expected load result (loaded, duplicates, skipped, rejects by reason),
which ``bench.run`` checks against what ``grouplake load`` reports.

Speed: one dict per event serialised by the C JSON encoder, random numbers drawn in bulk;
about 1M lines in 10-15 s on one core.
"""

from __future__ import annotations

import argparse
import calendar
import gzip
import json
import os
import random
import sys
import time
from bisect import bisect
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path

GENERATOR_VERSION = 3  # 2: other call types are skipped, not rejected; 3: truncations keep UTF-8

BAD_RATE = 0.005
DUP_RATE = 0.01
TOO_LARGE_EVERY = 250_000  # one >1 MiB line per this many lines (at least one)
TOO_LARGE_BYTES = (1 << 20) + 4096
DEFAULT_GROUPS = 20_000
DEFAULT_START = "2026-10-01"  # first receivedAt (UTC day)
DEFAULT_DAYS = 30.0  # receivedAt spread over this many days

# Reject kinds drawn for the ~0.5% bad lines (too_large is added separately, it is big).
BAD_KINDS = [
    "invalid_json",
    "not_an_object",
    "wrong_type",
    "missing_group_id",
    "invalid_group_id",
    "invalid_user_id",
    "invalid_anonymous_id",
    "invalid_message_id",
    "invalid_traits",
    "invalid_timestamp",
    "invalid_utf8",
    "empty_line",
]
BAD_WEIGHTS = [12, 6, 24, 8, 8, 5, 3, 3, 8, 8, 8, 7]  # wrong_type (other calls) is the commonest

_json_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode


def _dumps_json(obj) -> bytes:
    return _json_encode(obj).encode("utf-8")


try:  # orjson writes the same bytes as the json call above for what we generate, ~10x faster
    import orjson

    _dumps = orjson.dumps
except ImportError:  # pragma: no cover - the bench extra installs it (through dlt)
    _dumps = _dumps_json


def _truncated(line: bytes) -> bytes:
    """The first half of a line, cut at a character boundary: a cut inside a multi-byte UTF-8
    character would make the line invalid UTF-8 too (another reject reason, which the loader
    checks first)."""
    cut = len(line) // 2
    while cut and (line[cut] & 0xC0) == 0x80:  # a UTF-8 continuation byte
        cut -= 1
    return line[:cut]


INDUSTRIES = [
    "Software",
    "Manufacturing",
    "Retail",
    "Energy",
    "Healthcare",
    "Finance",
    "Logistics",
    "Media",
    "Education",
    "Biotech",
    "Telecom",
    "Travel",
    "Food",
    "Real Estate",
    "Gaming",
]
PLANS = ["free", "starter", "pro", "business", "enterprise"]
CITIES = [
    ("Berlin", "DE", "BE", "10115"),
    ("Paris", "FR", "IDF", "75001"),
    ("London", "GB", "LND", "EC1A 1BB"),
    ("New York", "US", "NY", "10001"),
    ("Austin", "US", "TX", "73301"),
    ("São Paulo", "BR", "SP", "01000-000"),
    ("Tokyo", "JP", "13", "100-0001"),
    ("Zürich", "CH", "ZH", "8001"),
    ("Toronto", "CA", "ON", "M5H 2N2"),
    ("Sydney", "AU", "NSW", "2000"),
    ("Bengaluru", "IN", "KA", "560001"),
    ("Kraków", "PL", "MA", "30-001"),
]
STREETS = [
    "Main St",
    "Hauptstraße",
    "Rue de Rivoli",
    "High Street",
    "Market St",
    "Avenida Paulista",
    "Bahnhofstrasse",
]
WORDS = [
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Hooli",
    "Stark",
    "Wayne",
    "Tyrell",
    "Cyberdyne",
    "Soylent",
    "Vandelay",
    "Wonka",
    "Pied Piper",
    "Dunder",
    "Oscorp",
    "Aperture",
    "Gringotts",
    "Nakatomi",
    "Monarch",
    "Massive",
    "Dynamics",
    "Labs",
    "Systems",
    "Partners",
    "Works",
    "Analytics",
    "Cloud",
    "Group",
]
OWNERS = [
    "Dana Scully",
    "Fox Mulder",
    "Ada Lovelace",
    "Grace Hopper",
    "Alan Turing",
    "Katherine Johnson",
    None,
]
LIBS = [
    {"name": "analytics.js", "version": "4.1.0"},
    {"name": "analytics-node", "version": "1.3.0"},
    {"name": "analytics-ios", "version": "4.1.8"},
    {"name": "analytics-android", "version": "4.10.4"},
    {"name": "analytics-python", "version": "2.3.2"},
]
USER_AGENTS = [
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0",
    None,
]
LOCALES = ["en-US", "de-DE", "fr-FR", "pt-BR", "ja-JP", "en-GB"]

# (canonical trait, spellings clients use); the first spelling is the most common.
SPELLINGS = {
    "name": ["name", "Name", "NAME"],
    "industry": ["industry", "Industry"],
    "plan": ["plan", "Plan"],
    "employees": ["employees", "Employees", "EMPLOYEES"],
    "website": ["website", "Website"],
    "email": ["email", "Email"],
    "phone": ["phone", "Phone"],
    "created_at": ["createdAt", "created_at", "CreatedAt", "created at"],
    "description": ["description", "Description"],
    "avatar": ["avatar"],
    "address": ["address", "Address"],
    "total_billed": ["total billed", "totalBilled", "total_billed"],
    "mrr": ["mrr", "MRR"],
    "seats": ["seats", "Seats"],
    "is_trial": ["isTrial", "is_trial", "is trial"],
    "account_owner": ["Account Owner", "accountOwner", "account_owner"],
    "tags": ["tags"],
    "health_score": ["healthScore", "health score"],
}
ADDRESS_SPELLINGS = {
    "city": ["city", "City"],
    "country": ["country", "Country"],
    "postal_code": ["postalCode", "postal_code", "postal code", "zip"],
    "state": ["state", "State"],
    "street": ["street", "Street"],
}


@dataclass
class Manifest:
    generator_version: int
    seed: int
    events: int
    groups: int
    start: str
    days: float
    gz: bool
    bytes: int = 0
    seconds: float = 0.0
    lines: int = 0
    valid: int = 0  # distinct valid events (loaded on a fresh warehouse)
    duplicates: int = 0
    rejected: int = 0
    rejects_by_reason: dict[str, int] = field(default_factory=dict)
    skipped: int = 0  # other call types (identify, track, page): counted, not stored
    skipped_by_type: dict[str, int] = field(default_factory=dict)
    late_events: int = 0
    derived_message_ids: int = 0

    def expected(self) -> dict:
        return {
            "read": self.lines,
            "loaded": self.valid,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "rejects_by_reason": dict(sorted(self.rejects_by_reason.items())),
            "skipped": self.skipped,
            "skipped_by_type": dict(sorted(self.skipped_by_type.items())),
        }


def manifest_path(out: Path) -> Path:
    return out.with_name(out.name + ".manifest.json")


def read_manifest(out: Path) -> dict | None:
    try:
        return json.loads(manifest_path(out).read_text())
    except (OSError, ValueError):
        return None


def _pick(r, seq):
    """``random.choice`` without its overhead (``r`` is the generator's ``random`` method)."""
    return seq[int(r() * len(seq))]


class _Clock:
    """Fast ISO-8601 formatting of epoch milliseconds (the date part is cached per day)."""

    def __init__(self) -> None:
        self._days: dict[int, str] = {}
        self._minutes: dict[int, str] = {}

    def day(self, d: int) -> str:
        s = self._days.get(d)
        if s is None:
            s = self._days[d] = time.strftime("%Y-%m-%d", time.gmtime(d * 86400))
        return s

    def iso(self, ms: int, offset_minutes: int = 0) -> str:
        if not offset_minutes:
            minute, r = divmod(ms, 60_000)
            prefix = self._minutes.get(minute)
            if prefix is None:
                if len(self._minutes) > 100_000:
                    self._minutes.clear()
                d, rest = divmod(minute, 1440)
                prefix = self._minutes[minute] = f"{self.day(d)}T{rest // 60:02d}:{rest % 60:02d}:"
            return f"{prefix}{r // 1000:02d}.{r % 1000:03d}Z"
        if offset_minutes:
            local = ms + offset_minutes * 60_000
            d, r = divmod(local, 86_400_000)
            sign = "+" if offset_minutes > 0 else "-"
            oh, om = divmod(abs(offset_minutes), 60)
            suffix = f"{sign}{oh:02d}:{om:02d}"
        else:
            d, r = divmod(ms, 86_400_000)
            suffix = "Z"
        h, r = divmod(r, 3_600_000)
        m, r = divmod(r, 60_000)
        s, milli = divmod(r, 1000)
        return f"{self.day(d)}T{h:02d}:{m:02d}:{s:02d}.{milli:03d}{suffix}"


class _Groups:
    """A fixed pool of companies, the same for every seed (later files update the same groups).

    A group's profile depends only on its index, so it is built lazily when first picked.
    """

    def __init__(self, n: int) -> None:
        self.n = n
        self._profiles: dict[int, dict] = {}
        # Zipf-like activity: a few groups send most calls; which ones is a fixed shuffle
        self.cum_weights = list(accumulate(1.0 / (k + 1) ** 0.9 for k in range(n)))
        self.total = self.cum_weights[-1]
        self.order = list(range(n))
        random.Random(1_000_003).shuffle(self.order)

    def profile(self, i: int) -> dict:
        p = self._profiles.get(i)
        if p is None:
            rng = random.Random(1_000_003 + i)
            city = rng.choice(CITIES)
            name = f"{rng.choice(WORDS)} {rng.choice(WORDS)} {i}"
            slug = name.lower().replace(" ", "-")
            p = self._profiles[i] = {
                # ~4% of groups are known by a numeric id
                "id": 100_000 + i if rng.random() < 0.04 else f"org_{i:06d}",
                "members": rng.choice([1, 2, 3, 5, 8, 13, 30, 80]),
                "name": name,
                "industry": rng.choice(INDUSTRIES),
                "plan": rng.choice(PLANS),
                "employees": rng.choice([3, 12, 45, 120, 340, 1200, 5000, 20000])
                + rng.randint(0, 9),
                "website": f"{slug}.example",
                "email": f"billing@{slug}.example",
                "phone": f"+1-555-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}",
                "created_at": 1_400_000_000 + rng.randint(0, 350_000_000),
                "city": city,
                "street": f"{rng.randint(1, 400)} {rng.choice(STREETS)}",
            }
        return p


class Generator:
    """Lines ``[i0, i1)`` of a file: one independent random stream per block, so the bytes do
    not depend on how many processes wrote the blocks."""

    def __init__(
        self,
        seed: int,
        block: int,
        groups: _Groups,
        start: str = DEFAULT_START,
        days: float = DEFAULT_DAYS,
        max_dup_lookback: int = 20_000,
    ) -> None:
        self.seed = seed
        self.rng = random.Random(f"grouplake-bench:{seed}:{block}")
        self.groups = groups
        self.clock = _Clock()
        y, m, d = (int(x) for x in start.split("-"))
        self.start_ms = calendar.timegm((y, m, d, 0, 0, 0, 0, 0, 0)) * 1000
        self.span_ms = int(days * 86_400_000)
        self.recent: list[
            tuple[bytes, dict]
        ] = []  # (line, event) of recent valid events with a messageId
        self.max_dup_lookback = max_dup_lookback

    # -- valid events -------------------------------------------------------------------
    def _traits(self, g: int) -> dict:
        rng = self.rng
        r = rng.random
        p = self.groups.profile(g)
        traits: dict = {}
        style = r()

        def key(canon: str) -> str:
            sp = SPELLINGS[canon]
            return sp[0] if style < 0.7 or len(sp) == 1 else sp[int(r() * len(sp))]

        kind = r()
        if kind < 0.35:  # a full profile, as an app sends on login
            traits[key("name")] = p["name"]
            traits[key("industry")] = p["industry"]
            traits[key("plan")] = p["plan"] if r() < 0.9 else _pick(r, PLANS)
            e = p["employees"] + int(r() * 20)
            traits[key("employees")] = e if r() < 0.8 else str(e)
            traits[key("website")] = p["website"]
            c = p["created_at"]
            x = r()
            traits[key("created_at")] = (
                c if x < 0.3 else c * 1000 if x < 0.4 else self.clock.iso(c * 1000)[:19] + "Z"
            )
            city, country, state, postal = p["city"]
            addr = {
                "city": city,
                "country": country,
                "postal_code": postal,
                "state": state,
                "street": p["street"],
            }
            ak = [k for k in addr if r() < 0.7] or ["city"]
            traits[key("address")] = {
                (ADDRESS_SPELLINGS[k][0] if style < 0.7 else _pick(r, ADDRESS_SPELLINGS[k])): addr[
                    k
                ]
                for k in ak
            }
            if r() < 0.4:
                traits[key("email")] = p["email"]
                traits[key("phone")] = p["phone"]
            if r() < 0.2:
                traits[key("description")] = (
                    f"{p['name']} — {p['industry'].lower()} company in {city}"
                )
                traits[key("avatar")] = f"https://cdn.example/avatars/{g}.png"
        elif kind < 0.65:  # a partial update of a few traits
            for canon in rng.sample(
                (
                    "plan",
                    "employees",
                    "seats",
                    "mrr",
                    "total_billed",
                    "is_trial",
                    "account_owner",
                    "health_score",
                    "tags",
                    "industry",
                ),
                1 + int(r() * 4),
            ):
                if canon == "plan":
                    v = _pick(r, PLANS)
                elif canon == "employees":
                    v = p["employees"] + int(r() * 50)
                elif canon == "seats":
                    v = 1 + int(r() * 300)
                elif canon == "mrr":
                    v = round(10 + r() * 9000, 2)
                elif canon == "total_billed":
                    v = int(r() * 250_000)
                elif canon == "is_trial":
                    v = r() < 0.2
                elif canon == "account_owner":
                    v = _pick(r, OWNERS)
                elif canon == "health_score":
                    v = int(r() * 100)
                elif canon == "tags":
                    v = rng.sample(["beta", "vip", "churn-risk", "partner", "eu"], 1 + int(r() * 2))
                else:
                    v = _pick(r, INDUSTRIES)
                traits[key(canon)] = v
        elif kind < 0.80:  # an address change, leaf by leaf
            city, country, state, postal = _pick(r, CITIES)
            traits[key("address")] = (
                {"city": city, "postalCode": postal} if r() < 0.7 else {"country": country}
            )
        elif kind < 0.86:  # explicit clears
            traits[key(_pick(r, ("plan", "phone", "account_owner", "description", "mrr")))] = None
            y = r()
            if y < 0.3:
                traits[key("address")] = None  # clears every address.* leaf
            elif y < 0.6:
                traits[key("address")] = {"street": None}  # clears one leaf
        elif kind < 0.93:  # membership only: no traits at all, or null traits
            if r() < 0.5:
                return None  # type: ignore[return-value]
            traits = {}
        else:  # the same name again (not a change)
            traits[key("name")] = p["name"]
        return traits

    def _event(self, i: int, n: int, m: Manifest) -> dict:
        rng = self.rng
        r = rng.random
        g = self.groups
        gpos = g.order[bisect(g.cum_weights, r() * g.total, 0, g.n - 1)]
        received = self.start_ms + (i * self.span_ms) // max(n, 1) + int(r() * 60_000)
        sent = received - 50 - int(r() * 2000)
        x = r()
        if x < 0.02:  # late: happened (and was queued on a device) days before it was sent
            happened = sent - 86_400_000 * (1 + int(r() * 20)) - int(r() * 86_400_000)
            m.late_events += 1
        else:
            happened = sent - int(r() * 30_000)
        ev: dict = {"type": "group" if r() < 0.99 else "Group"}
        p = self.groups.profile(gpos)
        ev["groupId"] = p["id"]
        members = p["members"]
        u = int(r() * members)
        who = r()
        if who < 0.85:
            ev["userId"] = f"user_{gpos}_{u}" if r() < 0.95 else gpos * 1000 + u
            if r() < 0.4:
                ev["anonymousId"] = f"anon-{gpos:x}-{u:x}-{int(r() * 4)}"
        elif who < 0.97:
            ev["anonymousId"] = f"anon-{gpos:x}-{u:x}-{int(r() * 4)}"
        # else: a trait-only update (no user, no anonymous id)
        if r() < 0.97:
            ev["messageId"] = f"{rng.getrandbits(128):032x}"
        else:
            m.derived_message_ids += 1
        traits = self._traits(gpos)
        if traits is not None:
            ev["traits"] = traits
        elif r() < 0.5:
            ev["traits"] = None
        iso = self.clock.iso
        t = r()
        if t < 0.80:
            ev["timestamp"] = iso(happened)
            ev["sentAt"] = iso(sent)
            ev["receivedAt"] = iso(received)
        elif t < 0.86:  # no timestamp: the loader corrects clock skew
            ev["originalTimestamp"] = iso(
                happened + 3_600_000 * int(r() * 3)
            )  # device clock off by hours
            ev["sentAt"] = iso(sent + 3_600_000 * int(r() * 3))
            ev["receivedAt"] = iso(received)
        elif t < 0.90:
            ev["timestamp"] = iso(happened, _pick(r, (120, -300, 330, 60)))
            ev["receivedAt"] = iso(received)
        elif t < 0.94:
            ev["timestamp"] = happened  # unix milliseconds
            ev["receivedAt"] = iso(received)
        elif t < 0.97:
            ev["timestamp"] = happened // 1000  # unix seconds
        else:
            ev["originalTimestamp"] = iso(happened)
            ev["receivedAt"] = iso(received)
        ip = rng.getrandbits(32)
        ctx = {
            "library": LIBS[int(r() * len(LIBS))],
            "ip": f"{(ip >> 24) % 223 + 1}.{(ip >> 16) & 255}.{(ip >> 8) & 255}.{ip & 255}",
            "locale": LOCALES[int(r() * len(LOCALES))],
        }
        ua = USER_AGENTS[int(r() * len(USER_AGENTS))]
        if ua:
            ctx["userAgent"] = ua
        if r() < 0.3:
            ctx["page"] = {
                "path": "/settings/billing",
                "url": "https://app.example/settings/billing",
            }
        ev["context"] = ctx
        if r() < 0.6:
            ev["integrations"] = {"All": True} if r() < 0.8 else {"All": True, "Salesforce": False}
        if r() < 0.05:
            ev["writeKey"] = "wk_demo"
            ev["_metadata"] = {"bundled": ["Segment.io"], "unbundled": []}
        return ev

    # -- duplicates and bad lines -------------------------------------------------------
    def _duplicate(self) -> bytes:
        line, ev = self.recent[int(self.rng.random() * len(self.recent))]
        if self.rng.random() < 0.7 or "receivedAt" not in ev:
            return line
        retry = dict(ev)  # the same call sent again later: same messageId, later receivedAt
        retry["receivedAt"] = retry["receivedAt"][:11] + "23:59:59.999Z"
        return _dumps(retry)

    def _bad(self, kind: str, i: int, n: int, m: Manifest) -> bytes:
        rng = self.rng
        self.skipped_type = None  # set when the line is another call type (skipped, not rejected)
        base = self._event(i, n, Manifest(0, 0, 0, 0, "", 0, False))  # a valid call, then broken
        base["type"] = "group"
        base.setdefault("messageId", f"{rng.getrandbits(128):032x}")
        v = int(rng.random() * 4)
        if kind == "invalid_json":
            line = _dumps(base)
            return [
                _truncated(line),  # truncated write
                line[:-1] + b",}",  # trailing comma
                line.replace(b'"type":"group"', b"'type':'group'"),  # single quotes
                line.replace(b'"groupId":', b'"mrr":NaN,"groupId":', 1),
            ][v]  # NaN is not JSON
        if kind == "not_an_object":
            return [b'["group","org_1"]', b'"group"', b"42", b"null"][v]
        if kind == "wrong_type":
            if v < 3:
                self.skipped_type = ["identify", "track", "page"][v]
            if v == 0:
                return _dumps(
                    {
                        "type": "identify",
                        "userId": base.get("userId", "user_1"),
                        "traits": {"email": "someone@example.com"},
                        "messageId": base["messageId"],
                    }
                )
            if v == 1:
                return _dumps(
                    {
                        "type": "track",
                        "event": "Plan Upgraded",
                        "userId": "user_1",
                        "properties": {"plan": "pro"},
                        "messageId": base["messageId"],
                    }
                )
            if v == 2:
                return _dumps(
                    {
                        "type": "page",
                        "name": "Pricing",
                        "anonymousId": "anon-1",
                        "messageId": base["messageId"],
                    }
                )
            del base["type"]
            return _dumps(base)
        if kind == "missing_group_id":
            if v < 2:
                del base["groupId"]
            else:
                base["groupId"] = None
            return _dumps(base)
        if kind == "invalid_group_id":
            base["groupId"] = ["", "   ", True, {"id": 1}][v]
            return _dumps(base)
        if kind == "invalid_user_id":
            base["userId"] = [{"id": 7}, True, ["user_1"], {"email": "x@y.example"}][v]
            return _dumps(base)
        if kind == "invalid_anonymous_id":
            base["anonymousId"] = [{"id": 7}, False, ["a"], {}][v]
            return _dumps(base)
        if kind == "invalid_message_id":
            base["messageId"] = [{"id": 7}, True, ["m"], {}][v]
            return _dumps(base)
        if kind == "invalid_traits":
            base["traits"] = [["plan", "pro"], "plan=pro", 42, True][v]
            return _dumps(base)
        if kind == "invalid_timestamp":
            base["timestamp"] = ["yesterday-ish", "2026-13-45T25:61:00Z", "not a date", ""][v]
            return _dumps(base)
        if kind == "invalid_utf8":
            base["traits"] = {"name": "Caf\u00e9 M\u00fcller"}
            # the é written in latin-1 by a misconfigured client: not UTF-8
            return _dumps(base).replace(b"Caf\xc3\xa9", b"Caf\xe9")
        if kind == "empty_line":
            return [b"", b"   ", b"\t", b""][v]
        if kind == "too_large":
            base.setdefault("traits", {})
            if not isinstance(base["traits"], dict):
                base["traits"] = {}
            base["traits"]["description"] = "x" * TOO_LARGE_BYTES
            return _dumps(base)
        raise ValueError(kind)

    # -- the file -----------------------------------------------------------------------
    def lines(self, i0: int, i1: int, n: int, large_at: set[int], m: Manifest) -> list[bytes]:
        """Lines ``i0..i1-1`` of an ``n``-line file (bytes, no newline); counts go to ``m``."""
        rng = self.rng
        r = rng.random
        recent = self.recent
        lookback = self.max_dup_lookback
        out: list[bytes] = []
        for i in range(i0, i1):
            x = r()
            if i in large_at:
                kind = "too_large"
            elif x < BAD_RATE:
                kind = rng.choices(BAD_KINDS, BAD_WEIGHTS)[0]
            elif x < BAD_RATE + DUP_RATE and recent:
                m.duplicates += 1
                out.append(self._duplicate())
                continue
            else:
                kind = None
            if kind is not None:
                out.append(self._bad(kind, i, n, m))
                if self.skipped_type:
                    m.skipped += 1
                    m.skipped_by_type[self.skipped_type] = (
                        m.skipped_by_type.get(self.skipped_type, 0) + 1
                    )
                else:
                    m.rejected += 1
                    m.rejects_by_reason[kind] = m.rejects_by_reason.get(kind, 0) + 1
                continue
            ev = self._event(i, n, m)
            line = _dumps(ev)
            m.valid += 1
            if "messageId" in ev:
                if len(recent) < lookback:
                    recent.append((line, ev))
                elif r() < 0.02:
                    recent[int(r() * lookback)] = (line, ev)
            out.append(line)
        return out


BLOCK_LINES = 50_000
_GROUPS_CACHE: dict[int, _Groups] = {}


def _block(args) -> tuple[bytes, Manifest]:
    """Worker: the bytes of block ``b`` (newline-terminated lines) and its counts."""
    seed, b, n, large_at, groups, start, days = args
    pool = _GROUPS_CACHE.get(groups)
    if pool is None:
        pool = _GROUPS_CACHE[groups] = _Groups(groups)
    m = Manifest(GENERATOR_VERSION, seed, n, groups, start, days, False)
    i0, i1 = b * BLOCK_LINES, min(n, (b + 1) * BLOCK_LINES)
    gen = Generator(seed, b, pool, start, days)
    lines = gen.lines(i0, i1, n, {i for i in large_at if i0 <= i < i1}, m)
    lines.append(b"")
    m.lines = i1 - i0
    return b"\n".join(lines), m


def generate(
    out: str | Path,
    events: int,
    seed: int = 42,
    gz: bool | None = None,
    groups: int = DEFAULT_GROUPS,
    start: str = DEFAULT_START,
    days: float = DEFAULT_DAYS,
    gz_level: int = 1,
    jobs: int | None = None,
) -> Manifest:
    """Write ``events`` lines to ``out`` (gzip when ``gz`` or the name ends in .gz); return the manifest.

    ``jobs`` processes write blocks of lines in parallel (default: one per CPU); the output
    is the same whatever their number.
    """
    out = Path(out)
    if gz is None:
        gz = out.name.endswith(".gz")
    elif gz and not out.name.endswith(".gz"):
        out = out.with_name(out.name + ".gz")
    out.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    m = Manifest(GENERATOR_VERSION, seed, events, groups, start, days, gz)
    rng = random.Random(f"grouplake-bench:{seed}:too_large")
    n_large = max(1, events // TOO_LARGE_EVERY) if events >= 1000 else 0
    large_at = (
        frozenset(rng.sample(range(events // 10, events), n_large)) if n_large else frozenset()
    )
    n_blocks = (events + BLOCK_LINES - 1) // BLOCK_LINES
    tasks = [(seed, b, events, large_at, groups, start, days) for b in range(n_blocks)]
    jobs = min(jobs or os.cpu_count() or 1, n_blocks)
    tmp = out.with_name(out.name + ".tmp")
    raw = open(tmp, "wb")
    f = (
        gzip.GzipFile(
            filename=out.name[:-3], mode="wb", fileobj=raw, compresslevel=gz_level, mtime=0
        )
        if gz
        else raw
    )
    pool = None
    try:
        if jobs > 1:
            import multiprocessing

            pool = multiprocessing.get_context(
                "spawn" if sys.platform == "darwin" else "fork"
            ).Pool(jobs)
            results = pool.imap(_block, tasks)
        else:
            results = map(_block, tasks)
        for data, bm in results:
            f.write(data)
            m.lines += bm.lines
            m.valid += bm.valid
            m.duplicates += bm.duplicates
            m.rejected += bm.rejected
            m.skipped += bm.skipped
            for k, v in bm.skipped_by_type.items():
                m.skipped_by_type[k] = m.skipped_by_type.get(k, 0) + v
            m.late_events += bm.late_events
            m.derived_message_ids += bm.derived_message_ids
            for k, v in bm.rejects_by_reason.items():
                m.rejects_by_reason[k] = m.rejects_by_reason.get(k, 0) + v
    finally:
        if pool is not None:
            pool.close()
            pool.join()
        if gz:
            f.close()
        raw.close()
    os.replace(tmp, out)
    m.rejects_by_reason = dict(sorted(m.rejects_by_reason.items()))
    m.skipped_by_type = dict(sorted(m.skipped_by_type.items()))
    m.bytes = out.stat().st_size
    m.seconds = round(time.perf_counter() - t0, 3)
    manifest_path(out).write_text(
        json.dumps(m.__dict__ | {"expected": m.expected()}, indent=2) + "\n"
    )
    return m


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m bench.generate", description=__doc__.split("\n\n")[0]
    )
    ap.add_argument("--events", type=int, required=True, help="number of lines to write")
    ap.add_argument("--out", required=True, help="output file (.gz for gzip)")
    ap.add_argument("--gz", action="store_true", help="gzip the output (adds .gz to the name)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--groups", type=int, default=DEFAULT_GROUPS, help="size of the group pool")
    ap.add_argument("--start", default=DEFAULT_START, help="first receivedAt day (YYYY-MM-DD, UTC)")
    ap.add_argument(
        "--days", type=float, default=DEFAULT_DAYS, help="receivedAt spread over this many days"
    )
    ap.add_argument("--gz-level", type=int, default=1, help="gzip compression level (1 = fastest)")
    ap.add_argument(
        "--jobs", type=int, default=None, help="worker processes (default: one per CPU)"
    )
    a = ap.parse_args(argv)
    m = generate(
        a.out,
        a.events,
        a.seed,
        gz=True if a.gz else None,
        groups=a.groups,
        start=a.start,
        days=a.days,
        gz_level=a.gz_level,
        jobs=a.jobs,
    )
    print(
        f"wrote {m.lines:,} lines ({m.bytes / 1e6:,.1f} MB) in {m.seconds:.1f}s: "
        f"{m.valid:,} valid, {m.duplicates:,} duplicates, {m.rejected:,} bad "
        f"({', '.join(f'{k} {v}' for k, v in sorted(m.rejects_by_reason.items()))})",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
