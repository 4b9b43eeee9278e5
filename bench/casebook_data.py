"""A million cases, fast, for the casebook benchmarks (shared by `case_queries` and
`dashboard_queries`).

Everything is generated inside PostgreSQL with `INSERT ... SELECT FROM generate_series` (a million
rows in about two minutes on two cores), never row by row from Python. The case list benchmark
(issue 3) uses the plain mix (every window kept, no duplicates); the dashboards (issue 6) also
need what their figures count, so `realistic=True` adds late windows, merged duplicates and
places, decided by a hash of the case number so that the plain mix stays exactly as it was (the
same `random()` draws in the same order), then `fill_case_outcomes` adds satisfaction verdicts,
interviews and joint handling sessions.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Connection, text

# one statement per ";\n"; the parameters are bound by name
FILL = """
SELECT setseed(0.42);
INSERT INTO callers (phone, created_at)
SELECT '139' || lpad(g::text, 8, '0'), now() FROM generate_series(1, 100000) g;
INSERT INTO cases (id, number, token, status, channel_code, caller_id, language, origin, ivr_path, description,
    category_code, place_code, township_code, urgency, needs_intake, lead_unit_code, duplicate_of_id, received_at,
    register_due, registered_at, dispatch_due, dispatched_at, accept_due, accepted_at, reply_due, replied_at,
    closed_at, reopened_count, created_at, updated_at)
SELECT g, '9' || lpad(g::text, 9, '0'), md5(g::text), s.status, ch.code, 1 + (g::bigint * 7919) % 100000, 'zh', 'open311', '',
    '第' || g || '号诉求：' || cat.code, cat.code, x.place, tw.code, 'normal', s.status = 'received',
    CASE WHEN s.status IN ('received', 'registered') THEN NULL ELSE cat.lead END,
    CASE WHEN x.dup THEN g - 1 - x.h % 50 END,
    r.at, r.at + interval '1 hour',
    CASE WHEN s.status <> 'received' THEN r.at + interval '20 minutes' + x.late_register END,
    r.at + interval '80 minutes',
    CASE WHEN s.status NOT IN ('received', 'registered') THEN r.at + interval '50 minutes' + x.late_dispatch END,
    r.at + interval '110 minutes',
    CASE WHEN s.status NOT IN ('received', 'registered', 'dispatched') THEN r.at + interval '90 minutes' + x.late_accept END,
    r.at + interval '5 days',
    CASE WHEN s.status IN ('replied', 'closed') THEN r.at + interval '3 days' + x.late_reply END,
    CASE WHEN s.status = 'closed' THEN r.at + interval '4 days' + x.late_reply END, 0, r.at, r.at
FROM generate_series(1, :cases) g
CROSS JOIN LATERAL (SELECT CAST(:until AS timestamptz) - (random() * (:days * interval '1 day')) AS at, random() AS u1,
    random() AS u2, random() AS u3, random() AS u4, g AS k) r
CROSS JOIN LATERAL (SELECT abs(hashint8(g * 7 + 1)::bigint) % 1000 < :dup_permille AND g > 50 AS dup,
    abs(hashint8(g * 7 + 2)::bigint) AS h,
    CASE WHEN abs(hashint8(g * 7 + 3)::bigint) % 1000 < :late_permille THEN interval '70 minutes' ELSE interval '0' END AS late_register,
    CASE WHEN abs(hashint8(g * 7 + 4)::bigint) % 1000 < :late_permille THEN interval '60 minutes' ELSE interval '0' END AS late_dispatch,
    CASE WHEN abs(hashint8(g * 7 + 5)::bigint) % 1000 < :late_permille THEN interval '45 minutes' ELSE interval '0' END AS late_accept,
    CASE WHEN abs(hashint8(g * 7 + 6)::bigint) % 1000 < :late_permille THEN interval '3 days' ELSE interval '0' END AS late_reply,
    CASE WHEN abs(hashint8(g * 7 + 2)::bigint) % 1000 < :place_permille THEN (ARRAY['school-foreign-languages',
        'county-hospital', 'bus-station', 'county-square', 'huayuan-industrial', 'baodun-site', 'meihua-lake',
        'min-river', 'jinma-river', 'west-river', 'south-river', 'yangma-river', 'yangliu-river'])
        [1 + abs(hashint8(g * 7 + 2)::bigint) / 1000 % 13] END AS place) x
CROSS JOIN LATERAL (SELECT CASE WHEN x.dup THEN 'merged' WHEN r.at > CAST(:until AS timestamptz) - interval '14 days'
    THEN (ARRAY['closed','replied','accepted','dispatched','registered','received'])[1 + floor(r.u1 * 6)::int]
    WHEN abs(hashint8(g * 7 + 7)::bigint) % 1000 < :settle_permille THEN 'closed'
    ELSE (ARRAY['closed','closed','closed','closed','closed','closed','closed','closed','replied','accepted'])
        [1 + floor(r.u1 * 10)::int] END AS status) s
CROSS JOIN LATERAL (SELECT (ARRAY['web','wechat','weibo','mailbox-mayor','line-12345','line-12345','line-12345',
    'line-96960'])[1 + floor(r.u2 * 8)::int] AS code) ch
CROSS JOIN LATERAL (SELECT c.code, c.lead FROM (VALUES ('urban.sanitation', 'urban'), ('urban.streetlights', 'urban'),
    ('environment.noise', 'env'), ('environment.water-pollution', 'env'), ('water.supply', 'water'),
    ('transport.roads', 'transport'), ('market', 'market'), ('social-security', 'hrss'), ('housing', 'housing'),
    ('consultation', 'center'), ('efficiency', 'discipline'), ('health', 'health')) AS c(code, lead)
    OFFSET floor(r.u3 * 12)::int LIMIT 1) cat
CROSS JOIN LATERAL (SELECT (ARRAY['wujin','huayuan','huaqiao','dengshuang','jinhua','anxi','xingyi','yongshang',
    'baodun','puxing','wenjing','fangxing'])[1 + floor(r.u4 * 12)::int] AS code) tw;
SELECT setval(pg_get_serial_sequence('cases', 'id'), (SELECT max(id) FROM cases));
INSERT INTO assignments (case_id, unit_code, role, round, active, dispatched_at, accepted_at)
SELECT id, lead_unit_code, 'lead', 1, true, dispatched_at, accepted_at FROM cases WHERE lead_unit_code IS NOT NULL;
ANALYZE;
"""

# after the cases: what the satisfaction callbacks, interviews and joint sessions left behind
OUTCOMES = """
INSERT INTO satisfaction_verdicts (case_id, verdict, stage, source, comment, at)
SELECT id, CASE WHEN abs(hashint8(id * 5 + 1)::bigint) % 100 < 82 THEN 'satisfied' ELSE 'unsatisfied' END, 'reply', 'callback',
    '', replied_at + interval '1 day' + (abs(hashint8(id * 5 + 2)::bigint) % 7200) * interval '1 second'
FROM cases WHERE status IN ('replied', 'closed') AND duplicate_of_id IS NULL AND abs(hashint8(id * 5)::bigint) % 100 < 60;
INSERT INTO interviews (case_id, unit_code, scheduled_at, location, held_at, satisfied, notes, created_at)
SELECT v.case_id, coalesce(c.lead_unit_code, 'center'), v.at + interval '3 days', '中心约谈室',
    CASE WHEN v.at + interval '3 days' < CAST(:until AS timestamptz) THEN v.at + interval '3 days' END,
    abs(hashint8(v.case_id * 5 + 3)::bigint) % 100 < 55, '', v.at
FROM satisfaction_verdicts v JOIN cases c ON c.id = v.case_id
WHERE v.verdict = 'unsatisfied' AND abs(hashint8(v.case_id * 5 + 4)::bigint) % 100 < 35;
INSERT INTO joint_sessions (case_id, convened_by, held_at, participants, lead_unit_code, decision)
SELECT id, 'supervisor-wang', dispatched_at + interval '1 day', CAST('["env", "water", "urban"]' AS json), lead_unit_code,
    '牵头单位负责答复，协办单位配合'
FROM cases WHERE dispatched_at IS NOT NULL AND lead_unit_code IS NOT NULL AND duplicate_of_id IS NULL
    AND abs(hashint8(id * 5 + 5)::bigint) % 1000 < 12;
ANALYZE;
"""


def _run(connection: Connection, script: str, params: dict[str, object]) -> None:
    for statement in script.split(";\n"):
        if statement.strip():
            connection.execute(text(statement), params)


def fill_cases(
    connection: Connection,
    cases: int,
    *,
    days: int = 730,
    until: datetime | None = None,
    realistic: bool = False,
) -> None:
    """`cases` cases received over the `days` before `until` (default: now), with 100,000 callers
    and the lead assignments, in the caller's transaction (an empty, migrated, seeded casebook).

    `realistic` adds what the plain list benchmark does not need: about 8% of each one-hour
    window and of the replies late, 4% of the appeals merged into an earlier case, 15% naming a
    place of the gazetteer; and cases older than two weeks are closed but for 0.4% (the plain
    mix leaves a tenth of them accepted and a tenth replied: 100,000 open cases, a backlog no
    center has)."""
    params = {
        "cases": cases,
        "days": days,
        "until": until or datetime.now(UTC),
        "dup_permille": 40 if realistic else 0,
        "late_permille": 80 if realistic else 0,
        "place_permille": 150 if realistic else 0,
        "settle_permille": 980 if realistic else 0,
    }
    _run(connection, FILL, params)


def fill_case_outcomes(connection: Connection, *, until: datetime) -> None:
    """Satisfaction verdicts on 60% of the replied incidents (82% satisfied), an interview for a
    third of the unsatisfied (held when its day is before `until`), joint sessions on 1.2% of the
    dispatched incidents."""
    _run(connection, OUTCOMES, {"until": until})
