"""Writes the bundled sample (deterministic: seeded). Run from anywhere: python data/sample/make_sample.py"""
from pathlib import Path
import gzip, json, random, uuid
OUT = Path(__file__).resolve().parent
from datetime import datetime, timedelta, timezone
rnd = random.Random(7)
companies = [
 ("acme-1", "Acme Corp", "Manufacturing", "enterprise", 1200, "acme.example", "Berlin", "DE", "10115"),
 ("globex", "Globex", "Energy", "pro", 340, "globex.example", "Springfield", "US", "49007"),
 ("initech", "Initech", "Software", "starter", 45, "initech.example", "Austin", "US", "73301"),
 ("umbrella", "Umbrella", "Pharma", "enterprise", 5000, "umbrella.example", "Raccoon City", "US", "99501"),
 ("hooli", "Hooli", "Internet", "pro", 2100, "hooli.example", "Palo Alto", "US", "94301"),
 ("stark", "Stark Industries", "Defense", "enterprise", 9000, "stark.example", "New York", "US", "10001"),
 ("wayne", "Wayne Enterprises", "Conglomerate", "pro", 7000, "wayne.example", "Gotham", "US", "07001"),
 ("tyrell", "Tyrell Corp", "Biotech", "starter", 80, "tyrell.example", "Los Angeles", "US", "90001"),
 ("cyberdyne", "Cyberdyne", "Robotics", "pro", 600, "cyberdyne.example", "Sunnyvale", "US", "94085"),
 ("soylent", "Soylent", "Food", "free", 12, "soylent.example", "Paris", "FR", "75001"),
]
numeric_group = 4242  # a numeric groupId
users = [f"user_{i:03d}" for i in range(1, 61)]
base = datetime(2026, 11, 1, 8, 0, tzinfo=timezone.utc)
def iso(t): return t.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
def ev(gid, t, traits, user=None, anon=None, mid=True, style=0):
    sent = t + timedelta(seconds=rnd.randint(1, 30))
    recv = sent + timedelta(milliseconds=rnd.randint(20, 900))
    e = {"type": "group", "groupId": gid, "traits": traits,
         "timestamp": iso(t), "sentAt": iso(sent), "receivedAt": iso(recv),
         "context": {"library": {"name": "analytics.js", "version": "4.1.0"}, "ip": f"10.0.{rnd.randint(0,255)}.{rnd.randint(1,254)}"},
         "integrations": {"All": True}}
    if user is not None: e["userId"] = user
    if anon is not None: e["anonymousId"] = anon
    if mid: e["messageId"] = str(uuid.UUID(int=rnd.getrandbits(128)))
    return e
day1, day2, day3 = [], [], []
t = base
members = {c[0]: rnd.sample(users, rnd.randint(4, 12)) for c in companies}
# day 1: first identification of every company by several users
for c in companies:
    gid, name, ind, plan, emp, web, city, country, pc = c
    for u in members[gid]:
        t += timedelta(minutes=rnd.randint(1, 9))
        style = rnd.random()
        if style < 0.4:
            traits = {"name": name, "industry": ind, "plan": plan, "employees": emp, "website": web,
                      "createdAt": "2019-03-04T10:00:00Z", "address": {"city": city, "country": country, "postalCode": pc}}
        elif style < 0.7:
            traits = {"Name": name, "Plan": plan, "employees": str(emp), "created_at": 1551693600,
                      "total billed": rnd.randint(100, 90000), "address": {"city": city}}
        else:
            traits = {"name": name, "mrr": rnd.randint(10, 5000), "seats": rnd.randint(1, 200), "isTrial": plan == "free"}
        anon = str(uuid.UUID(int=rnd.getrandbits(128))) if rnd.random() < 0.5 else None
        day1.append(ev(gid, t, traits, user=u, anon=anon))
# a numeric groupId and numeric userId
t += timedelta(minutes=3)
day1.append(ev(numeric_group, t, {"name": "Numeric Ltd", "employees": "about 50", "createdAt": 1551693600000}, user=9001))
# anonymous visitor who later logs in
anon_x = "anon-visitor-42"
t += timedelta(minutes=2)
day1.append(ev("initech", t, {"seats": 12}, anon=anon_x))
# a trait-only update (no user, no anonymous id), e.g. from a server-side sync
t += timedelta(minutes=2)
day1.append(ev("globex", t, {"plan": "enterprise", "Account Manager": "Dana"}))
# derived messageId (missing), originalTimestamp only
e = ev("hooli", t + timedelta(minutes=1), {"industry": "Search"}, user=members["hooli"][0], mid=False)
del e["timestamp"]; e["originalTimestamp"] = iso(t); e["sentAt"] = iso(t + timedelta(seconds=5)); e["receivedAt"] = iso(t + timedelta(hours=2))
day1.append(e)
# day 2: plan upgrades, renames, clears, repeated identical values, login of the anonymous visitor
t = base + timedelta(days=1)
for c in companies:
    gid = c[0]
    for _ in range(rnd.randint(15, 35)):
        t += timedelta(minutes=rnd.randint(1, 7))
        u = rnd.choice(members[gid])
        r = rnd.random()
        if r < 0.3:
            traits = {"plan": rnd.choice(["free", "starter", "pro", "enterprise"])}
        elif r < 0.5:
            traits = {"seats": rnd.randint(1, 300), "mrr": rnd.randint(10, 9000)}
        elif r < 0.6:
            traits = {"name": c[1]}  # identical repeat: not a history change
        elif r < 0.7:
            traits = {"address": {"street": f"{rnd.randint(1,999)} Main St", "state": rnd.choice(["CA", "NY", "TX"])}}
        elif r < 0.8:
            traits = {"lastSeenFeature": rnd.choice(["reports", "billing", "sso", None])}
        else:
            traits = {}
        day2.append(ev(gid, t, traits, user=u))
t += timedelta(minutes=5)
day2.append(ev("initech", t, {"seats": 14}, user="user_042", anon=anon_x))  # stitch
t += timedelta(minutes=5)
day2.append(ev("soylent", t, {"plan": None, "website": None}, user=members["soylent"][0]))  # explicit clears
t += timedelta(minutes=5)
day2.append(ev("tyrell", t, {"address": None}, user=members["tyrell"][0]))  # clears all address leaves
dup = dict(day2[3]); day2.append(dup)  # duplicate messageId in the same file
# day 3 file: late events (older than what is loaded) and bad lines
late = []
t = base - timedelta(days=1)  # older than everything else: it must not overwrite any trait
late.append(ev("acme-1", t, {"plan": "trial", "employees": 3}, user=members["acme-1"][0]))  # late: must not overwrite
late.append(ev("stark", base + timedelta(days=2), {"employees": 9500, "employees_note": "after acquisition"}, user=members["stark"][0]))
late.append(day1[0])  # duplicate of an event loaded from another file
lines = [json.dumps(x) for x in late]
lines += [
 '{"type":"group","groupId":"acme-1","traits":{"plan":"pro"',            # invalid_json (truncated)
 '["not", "an", "object"]',                                               # not_an_object
 json.dumps({"type": "identify", "userId": "user_001", "traits": {"email": "a@b.example"}}),  # another call type: skipped
 json.dumps({"type": "group", "traits": {"name": "No Group"}, "userId": "user_002"}),          # missing_group_id
 json.dumps({"type": "group", "groupId": "  ", "userId": "user_003"}),                          # invalid_group_id
 json.dumps({"type": "group", "groupId": "hooli", "traits": ["plan", "pro"]}),                  # invalid_traits
 json.dumps({"type": "group", "groupId": "hooli", "timestamp": "yesterday-ish"}),               # invalid_timestamp
 '',                                                                                            # empty line
 b'{"type":"group","groupId":"initech","traits":{"name":"Init\xe9ch"}}',                          # invalid_utf8 (latin-1 byte)
 json.dumps({"type": "GROUP", "groupId": "cyberdyne", "userId": "user_010", "timestamp": "2026-11-02T23:59:00Z", "traits": {"Plan": "enterprise"}}),  # upper-case type is fine
]
def write(path, rows, gz=False):
    data = b"".join((r if isinstance(r, bytes) else (r if isinstance(r, str) else json.dumps(r)).encode()) + b"\n" for r in rows)
    if gz:
        with gzip.GzipFile(path, "wb", mtime=0) as f: f.write(data)
    else:
        open(path, "wb").write(data)
write(OUT / "2026-11-01.ndjson", day1)
write(OUT / "2026-11-02.ndjson.gz", day2, gz=True)
write(OUT / "2026-11-03-late-and-bad.ndjson", lines)
# day 4 file: Customer.io objects. Object id 42 is a company (objectTypeId 1) and a school
# (objectTypeId 2): two groups. Relationship attributes on the links, a member leaving the
# company (track "Relationship Deleted") and the school deleted (track "Object Deleted").
t = base + timedelta(days=3)
cio = {"library": {"name": "customerio-cdp", "version": "1.2.0"}, "channel": "server"}
def obj(type_id, user, traits, attributes=None):
    global t
    t += timedelta(minutes=rnd.randint(1, 9))
    e = ev("42", t, {"objectTypeId": type_id, **traits}, user=user)
    if attributes is not None:
        e["traits"]["relationshipAttributes"] = attributes
    e["context"] = cio; e["writeKey"] = "cio_source_1"
    return e
def lifecycle(event, type_id, user=None):
    global t
    t += timedelta(minutes=rnd.randint(1, 9))
    e = {"type": "track", "event": event, "messageId": str(uuid.UUID(int=rnd.getrandbits(128))),
         "timestamp": iso(t), "context": {**cio, "groupId": "42"}, "properties": {"objectTypeId": type_id},
         "writeKey": "cio_source_1"}
    if user is not None: e["userId"] = user
    return e
day4 = [
 obj(1, "user_001", {"name": "Vandelay Industries", "industry": "Import/Export", "employees": 250}, {"role": "admin"}),
 obj(1, "user_002", {"plan": "pro"}, {"role": "member", "seat": "A-12"}),
 obj(2, "user_004", {"name": "Springfield Elementary", "employees": "40"}, {"role": "teacher"}),
 obj(2, "user_005", {"plan": "edu"}, {"role": "principal"}),
 obj(1, "user_003", {"employees": "260"}),
 lifecycle("Relationship Deleted", 1, user="user_002"),
 obj(1, "user_001", {}, {"role": "owner"}),
 lifecycle("Object Deleted", 2),
]
write(OUT / "2026-11-04-objects.ndjson", day4)
print(len(day1), len(day2), len(lines), len(day4))
