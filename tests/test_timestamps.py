"""RFC 3339 timestamps in full (SPEC §1): every form a sender may write loads with the right
instant, in each of the four timestamp fields; what was invalid stays invalid."""

from __future__ import annotations

import pytest

from helpers import group_call, utc

VALID = [
    ("2020-01-24T11:59:02.402+05:30", utc(2020, 1, 24, 6, 29, 2, 402000)),
    ("2020-01-24t11:59:02.402+05:30", utc(2020, 1, 24, 6, 29, 2, 402000)),  # lower-case t
    ("2020-01-24T11:59:02z", utc(2020, 1, 24, 11, 59, 2)),  # lower-case z
    ("2020-01-24t11:59:02.5z", utc(2020, 1, 24, 11, 59, 2, 500000)),  # both
    ("2020-01-24 11:59:02Z", utc(2020, 1, 24, 11, 59, 2)),  # space separator
    ("2020-01-24 11:59:02z", utc(2020, 1, 24, 11, 59, 2)),
    ("2020-01-24T11:59:02+0000", utc(2020, 1, 24, 11, 59, 2)),  # offset without colon
    ("2020-01-24T11:59:02-0530", utc(2020, 1, 24, 17, 29, 2)),
    ("2020-01-24T11:59:02+00:00", utc(2020, 1, 24, 11, 59, 2)),
    ("2020-01-24T11:59:02-00:00", utc(2020, 1, 24, 11, 59, 2)),  # RFC 3339 "unknown offset"
    ("2020-01-24T11:59:02.1Z", utc(2020, 1, 24, 11, 59, 2, 100000)),  # 1 to 9 fraction digits
    ("2020-01-24T11:59:02.12Z", utc(2020, 1, 24, 11, 59, 2, 120000)),
    ("2020-01-24T11:59:02.123Z", utc(2020, 1, 24, 11, 59, 2, 123000)),
    ("2020-01-24T11:59:02.1234Z", utc(2020, 1, 24, 11, 59, 2, 123400)),
    ("2020-01-24T11:59:02.12345Z", utc(2020, 1, 24, 11, 59, 2, 123450)),
    ("2020-01-24T11:59:02.123456Z", utc(2020, 1, 24, 11, 59, 2, 123456)),
    (
        "2020-01-24T11:59:02.1234567Z",
        utc(2020, 1, 24, 11, 59, 2, 123456),
    ),  # beyond microseconds: truncated
    ("2020-01-24T11:59:02.12345678z", utc(2020, 1, 24, 11, 59, 2, 123456)),
    ("2020-01-24t23:59:02.123456789+01:00", utc(2020, 1, 24, 22, 59, 2, 123456)),
]

INVALID = [
    "2026-13-45T25:61:00Z",
    "2020-01-24T25:00:00Z",
    "2020-02-30T00:00:00Z",
    "yesterday-ish",
    "not a date",
    "",
    "   ",
    "epoch",
    "infinity",
    "-infinity",
    "2020-01-24x11:59:02Z",
    "2020-01-24T11:59:02,5Z",
    "2020-01-24T11:59:02 +05:30",
    "20200124T115902Z",
    "t2020-01-24",
    "2020-01-24T11:59:02zz",
]


@pytest.mark.parametrize("field", ["timestamp", "originalTimestamp", "sentAt", "receivedAt"])
def test_every_rfc3339_form_loads_with_its_instant(wh, field):
    lines = []
    for i, (text, _) in enumerate(VALID):
        call = group_call(message_id=f"m{i}", ts=None)
        call[field] = text
        lines.append(call)
    f = wh.load(wh.write("ts.ndjson", lines)).files[0]
    assert (f.loaded, f.rejected) == (len(VALID), 0), f.rejects_by_reason
    column = {
        "timestamp": '"timestamp"',
        "originalTimestamp": "original_timestamp",
        "sentAt": "sent_at",
        "receivedAt": "received_at",
    }[field]
    got = dict(wh.query(f"SELECT message_id, {column} FROM raw.group_events"))
    assert [got[f"m{i}"] for i in range(len(VALID))] == [instant for _, instant in VALID]
    # event_at follows (one field alone is the event time)
    got_event_at = dict(wh.query("SELECT message_id, event_at FROM raw.group_events"))
    assert [got_event_at[f"m{i}"] for i in range(len(VALID))] == [instant for _, instant in VALID]


def test_invalid_timestamps_stay_rejected(wh):
    lines = [group_call(message_id=f"bad{i}", ts=text) for i, text in enumerate(INVALID)]
    lines += [group_call(message_id="sent-bad", ts=None, sentAt="2020-01-24t99:00:00z")]
    f = wh.load(wh.write("bad.ndjson", lines)).files[0]
    assert (f.loaded, f.rejected) == (0, len(lines)), wh.query(
        "SELECT message_id, event_at FROM raw.group_events"
    )
    assert f.rejects_by_reason == {"invalid_timestamp": len(lines)}
    messages = dict(wh.query("SELECT message_id, message FROM raw.group_event_rejects"))
    assert messages["bad0"] == 'cannot parse timestamp "2026-13-45T25:61:00Z"'
    assert messages["sent-bad"] == 'cannot parse sentAt "2020-01-24t99:00:00z"'
