"""The case workspace's data set: a million cases (`bench.casebook_data`, the realistic mix) and
what the case pages read beside them, in a database kept between runs.

Beside the generator's cases this adds what a case page shows: every case's own history (one
event per step it went through: received, registered, dispatched, accepted, replied, closed;
about 5 million events), and 300 cases with long histories (40 to 120 more events each, three
replies, four assignments over two rounds, a transcript of 250 timed words, a recording, eight
duplicates linked to it and two masters suggested, a caller with 80 other cases). And the unit
the dispatch benchmark dispatches to, the animal husbandry bureau (`livestock`, no category of
the generator's leads to it): two years of co-handling (some 18,600 closed cases) and a backlog
of 25 accepted cases, so that a case dispatched to it lands on its inbox's first page, as in a
unit that keeps up with its work (the generator's big units hold hundreds of overdue cases,
which the nearest-clock-first inbox shows before a new one).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import psycopg
from sqlalchemy import text

from bench.casebook_data import _run, fill_cases
from bench.pg import create_database, database_url
from casebook.db.engine import make_engine, make_sessionmaker
from casebook.db.migrate import upgrade
from casebook.directory.seed import LineChannel, seed_directory

TARGET_UNIT = "livestock"  # the unit the dispatch benchmark sends cases to
LONG_HISTORIES = 300

# one statement per ";\n", as bench.casebook_data
HISTORY = """
INSERT INTO case_events (case_id, at, actor, kind, reason, detail)
SELECT c.id, e.at, e.actor, e.kind, '', CAST(e.detail AS json)
FROM cases c
CROSS JOIN LATERAL (VALUES
    (c.received_at, c.origin, 'received', json_build_object('channel', c.channel_code)::text),
    (c.registered_at, 'agent-' || c.id % 30, 'register',
        json_build_object('status_from', 'received', 'status_to', 'registered', 'category', c.category_code)::text),
    (c.dispatched_at, 'agent-' || c.id % 30, 'dispatch',
        json_build_object('status_from', 'registered', 'status_to', 'dispatched', 'lead', c.lead_unit_code,
            'co_units', json_build_array())::text),
    (c.accepted_at, 'handler-' || coalesce(c.lead_unit_code, 'center'), 'accept',
        json_build_object('status_from', 'dispatched', 'status_to', 'accepted', 'section', 'office')::text),
    (c.replied_at, 'handler-' || coalesce(c.lead_unit_code, 'center'), 'reply',
        json_build_object('status_from', 'accepted', 'status_to', 'replied')::text),
    (c.closed_at, 'callback', 'satisfied',
        json_build_object('status_from', 'replied', 'status_to', 'closed', 'source', 'callback')::text)
) AS e(at, actor, kind, detail)
WHERE e.at IS NOT NULL
ORDER BY e.at;
CREATE TABLE bench_long_cases AS
SELECT id, caller_id, received_at, lead_unit_code FROM cases
WHERE status IN ('accepted', 'replied', 'closed') AND lead_unit_code IS NOT NULL AND duplicate_of_id IS NULL
ORDER BY hashint8(id * 11 + 1) LIMIT :long_histories;
INSERT INTO case_events (case_id, at, actor, kind, reason, detail)
SELECT l.id, l.received_at + (k * interval '3 hours'), (ARRAY['supervisor-wang', 'agent-li', 'handler-zhao'])[1 + k % 3],
    (ARRAY['note', 'remind', 'extension_asked', 'extension_granted', 'called_back', 'return', 'dispatch', 'accept'])[1 + k % 8],
    '第' || k || '次跟进：已与诉求人电话联系，说明办理进度，诉求人表示理解，要求尽快处理到位。',
    CAST(json_build_object('step', k, 'status_from', 'accepted', 'status_to', 'accepted', 'note',
        repeat('现场核实情况，', 6), 'units', json_build_array('env', 'water', 'urban')) AS json)
FROM bench_long_cases l CROSS JOIN LATERAL generate_series(1, 40 + abs(hashint8(l.id))::bigint % 81) k;
INSERT INTO assignments (case_id, unit_code, role, round, active, section_code, dispatched_at, accepted_at)
SELECT l.id, u.unit, u.role, u.round, u.round = 2, 'office', l.received_at + interval '1 hour',
    l.received_at + interval '2 hours'
FROM bench_long_cases l CROSS JOIN LATERAL (VALUES ('water', 'co', 1), ('urban', 'co', 1), ('transport', 'co', 2),
    ('housing', 'co', 2)) AS u(unit, role, round)
WHERE u.unit <> l.lead_unit_code;
INSERT INTO replies (case_id, unit_code, author, text, joint, at)
SELECT l.id, l.lead_unit_code, 'handler-' || l.lead_unit_code, repeat('经现场核查，问题属实，已责令相关单位限期整改，并将持续跟踪。', 8),
    k = 3, l.received_at + k * interval '1 day'
FROM bench_long_cases l CROSS JOIN generate_series(1, 3) k;
INSERT INTO recordings (case_id, name, media_type, path, size_bytes, duration_s, sha256, created_at)
SELECT id, 'message-1', 'audio/wav', '/nonexistent/bench/' || id || '.wav', 960000, 60.0, md5(id::text) || md5(id::text),
    received_at
FROM bench_long_cases;
INSERT INTO transcripts (case_id, source, duration_s, text, language, model, words, confidence, created_at)
SELECT l.id, 'file', 60.0, repeat('学校旁边河里漂着死猪很臭', 25), 'zh', 'vosk-model-small-cn-0.22',
    (SELECT json_agg(json_build_object('word', '死猪', 'start', w * 0.24, 'end', w * 0.24 + 0.2, 'conf', 0.9))
     FROM generate_series(1, 250) w),
    0.88, l.received_at + interval '1 minute'
FROM bench_long_cases l;
INSERT INTO duplicate_links (case_id, master_id, score, state, automatic, created_at)
SELECT d.id, l.id, 0.9, 'linked', true, l.received_at + interval '1 day'
FROM bench_long_cases l CROSS JOIN LATERAL (SELECT id FROM cases WHERE id > l.id + 10 ORDER BY id LIMIT 8) d
ON CONFLICT DO NOTHING;
INSERT INTO duplicate_links (case_id, master_id, score, state, automatic, created_at)
SELECT l.id, m.id, 0.6, 'suggested', true, l.received_at + interval '1 hour'
FROM bench_long_cases l CROSS JOIN LATERAL (SELECT id FROM cases WHERE id < l.id - 10 ORDER BY id DESC LIMIT 2) m
ON CONFLICT DO NOTHING;
UPDATE cases SET caller_id = l.caller_id
FROM bench_long_cases l CROSS JOIN LATERAL generate_series(1, 80) k
WHERE cases.id = 1 + abs(hashint8(l.id * 100 + k))::bigint % :cases;
INSERT INTO assignments (case_id, unit_code, role, round, active, section_code, dispatched_at, accepted_at)
SELECT id, :unit, 'co', 1, true, 'epidemic', dispatched_at, accepted_at FROM cases
WHERE status = 'closed' AND dispatched_at IS NOT NULL AND abs(hashint8(id * 13 + 5))::bigint % 50 = 0;
INSERT INTO assignments (case_id, unit_code, role, round, active, section_code, dispatched_at, accepted_at)
SELECT id, :unit, 'co', 1, true, 'epidemic', dispatched_at, accepted_at FROM cases
WHERE status = 'accepted' AND received_at > CAST(:until AS timestamptz) - interval '14 days'
ORDER BY hashint8(id * 17) LIMIT 25;
CREATE TABLE bench_filled (cases integer, until timestamptz, fill_s real);
ANALYZE
"""


def kept_database(name: str, cases: int, *, reuse: bool) -> tuple[str, dict[str, float]]:
    """The URL of database `name`, migrated, with `cases` cases and the additions above: reused
    when `reuse` and a previous run filled it completely with as many cases; built afresh
    otherwise (11 minutes for a million on two busy cores). Also how long filling took."""
    url = database_url(name)
    if reuse and _filled(url) == cases:
        upgrade(url, "heads")  # a migration added since (an index) is applied to the kept data
        return url, {}
    create_database(name, replace=True)
    upgrade(url, "heads")
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    with sessions() as s:
        seed_directory(s, [LineChannel("12345", "12345", "12345"), LineChannel("96960", "96960", "96960")])
    until = datetime.now(UTC)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    with engine.begin() as connection:
        fill_cases(connection, cases, until=until, realistic=True)
    timings["cases_s"] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    with engine.begin() as connection:
        _run(
            connection, HISTORY, {"long_histories": LONG_HISTORIES, "cases": cases, "unit": TARGET_UNIT, "until": until}
        )
        connection.execute(
            text("INSERT INTO bench_filled VALUES (:cases, :until, :fill_s)"),
            {"cases": cases, "until": until, "fill_s": timings["cases_s"] + time.perf_counter() - started},
        )
    timings["histories_s"] = round(time.perf_counter() - started, 1)
    engine.dispose()
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as plain:
        plain.execute("VACUUM ANALYZE")  # as autovacuum would have long since: index-only scans see visible pages
    return url, timings


def _filled(url: str) -> int | None:
    try:
        with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as connection:
            row = connection.execute("SELECT cases FROM bench_filled").fetchone()
    except psycopg.Error:
        return None
    return int(row[0]) if row else None
