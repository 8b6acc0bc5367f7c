"""The job's rules as one DuckDB SQL script: the benchmark's like-for-like comparator, and a second oracle.

``make bench-spark`` compares Spark with DuckDB on the same files. The first comparator (``DUCKDB_MIN_SQL``
in :mod:`caec_spark_dev.bench`) only numbers sessions by the 30-minute gap, so its ratio mixes engine cost with
work the Spark job does and it does not. This script does the job's work for ``jsonl`` input, from the
same :class:`~caec_spark.config.RulesConfig` and user agent classifier:

- raw lines kept with their file and line number; every line parsed as JSON text, values typed with
  ``try_cast``; the job's quarantine reasons in the job's priority order; quarantine written with reasons;
- salted visitor hash, event id (the job's: file name, day, line, raw text), page path, utm parameters,
  crawler evidence and device type per distinct user agent (the job's Python classifier,
  :mod:`caec_spark.user_agents`, run over the twin's distinct values: one copy of those rules);
- sessions by the job's rules (inactivity timeout, max-length chunks from the activity run's start,
  optional split on campaign change), ``session_id`` as the job hashes it, ``seq_in_session`` and
  ``session_index``; look-back context rows count only in sessions reaching into the window;
- bots per session (crawler UA > robots.txt > rate > poller); session records with entry/exit page, landing
  referrer, channel, device, bounce, conversion, orders and revenue; the visitor state;
- events, sessions and quarantine as date-partitioned Parquet, plus the counts the job reconciles.

What it does not do: the splitter's file checks (gzip integrity, encodings, binary files), other
formats, composing with published state, staging and publishing. It is a first run over a window.
Tests run it next to the Spark job on generated data and require the same events and sessions, so the
benchmark's ratio compares two engines doing one job.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
from pathlib import Path

import duckdb
import pyarrow as pa

from caec_spark.config import DEFAULT_LOOKBACK_HOURS, RulesConfig, identity_salt
from caec_spark.formats._common import TS_MAX, TS_MIN
from caec_spark.formats.jsonl import FIELDS as JSON_FIELDS
from caec_spark.splitter import DT_PATTERN
from caec_spark.transforms.enrich import PAGE_PATH_RE, URL_PARAM_RE
from caec_spark.transforms.sessions import (
    DISPLAY_MEDIUMS,
    EMAIL_MEDIUMS,
    PAID_MEDIUMS,
    REFERRER_HOST_RE,
    SEARCH_HOSTS,
    SOCIAL_HOSTS,
    SOCIAL_MEDIUMS,
)
from caec_spark.transforms.validate import CANONICAL_EVENT_TYPES
from caec_spark.user_agents import UA_CLASS_ARROW, classify_arrow


def _q(s: str) -> str:
    """A SQL string literal."""
    return "'" + s.replace("'", "''") + "'"


def _in(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(_q(v) for v in values) + ")"


def _blank(expr: str) -> str:
    """The job's blank_to_null: trimmed; '' and '-' mean absent."""
    return f"CASE WHEN trim({expr}) IN ('', '-') THEN NULL ELSE trim({expr}) END"


def _param(name: str) -> str:
    v = f"regexp_extract(page_url, {_q(URL_PARAM_RE.format(name=name))}, 1)"
    return f"CASE WHEN instr(page_url, '{name}=') = 0 OR {v} = '' THEN NULL ELSE {v} END"


def _finite(text: str) -> str:
    """The job's finite_double: a number, null unless finite (NaN, Infinity and 1e999 are bad values)."""
    return f"CASE WHEN isfinite(try_cast({text} AS DOUBLE)) THEN try_cast({text} AS DOUBLE) END"


def _in_range(ts: str) -> str:
    """The job's timestamp range (years 1..9999): outside it the timestamp is bad."""
    return f"CASE WHEN {ts} BETWEEN {_q(str(TS_MIN))} AND {_q(str(TS_MAX))} THEN {ts} END"


UA_SPLIT = "-- user agents are classified here (caec_spark.user_agents), into table ua"


def sessionize_sql(
    raw_glob: str,
    out: str,
    start: dt.date,
    end: dt.date,
    salt: str,
    rules: RulesConfig | None = None,
    lookback_hours: int = DEFAULT_LOOKBACK_HOURS,
    run_id: str = "duckdb",
    threads: int = 2,
) -> str:
    """The whole script for ``jsonl`` files matching ``raw_glob`` (``dt=YYYY-MM-DD`` day directories).

    Writes ``out/{events,sessions,quarantine,state}`` and leaves a ``counts`` table. Between its two
    parts (split at :data:`UA_SPLIT`) the caller classifies the ``distinct_ua`` table into a ``ua``
    table with the job's own classifier (:func:`run`), so the twin has no second copy of those rules.
    """
    r = rules or RulesConfig()
    timeout = r.inactivity_timeout_s * 1_000_000
    max_len = r.max_session_s * 1_000_000
    start_ts, end_ts = f"TIMESTAMP '{start} 00:00:00'", f"TIMESTAMP '{end} 00:00:00'"
    look_ts = f"({start_ts} - INTERVAL {int(lookback_hours)} HOUR)"
    struct = json.dumps({f: "VARCHAR" for f in JSON_FIELDS})
    typed = ",\n    ".join(f"{_blank('j.' + f)} AS _{f}" for f in JSON_FIELDS)
    campaign_split = (
        "OR (_campaign IS NOT NULL AND _prev_campaign IS NOT NULL AND _campaign <> _prev_campaign)"
        if r.split_on_campaign_change
        else ""
    )
    return f"""
SET threads TO {int(threads)};
SET TimeZone = 'UTC';
-- Line numbers come from the scan order (one row_number over the files' lines as read, in order).
SET preserve_insertion_order = true;

CREATE OR REPLACE TEMP TABLE parsed AS
WITH l AS (
  SELECT filename AS source_file, raw, row_number() OVER () AS rn
  FROM read_csv({_q(raw_glob)}, columns={{'raw': 'VARCHAR'}}, header=false, delim={_q(chr(1))}, quote='',
                escape='', filename=true, auto_detect=false, strict_mode=false, null_padding=false)
), f AS (
  SELECT source_file, min(rn) - 1 AS before,
         nullif(regexp_extract(source_file, {_q(DT_PATTERN)}, 1), '') AS file_dt
  FROM l GROUP BY source_file
), lines AS (
  SELECT l.source_file, f.file_dt, (l.rn - f.before)::BIGINT AS source_line, l.raw
  FROM l JOIN f USING (source_file)
), j AS (
  -- json_valid first: try(json_transform(...)) was twice as slow (it leaves the vectorised path)
  SELECT *, CASE WHEN json_valid(raw) AND ltrim(raw) LIKE '{{%'
                 THEN json_transform(raw, {_q(struct)}) END AS j
  FROM lines
), s AS (
  SELECT source_file, file_dt, source_line, raw, j IS NULL AS _broken,
    {typed}
  FROM j
), t AS (
  SELECT *, {_in_range("try_cast(_event_ts AS TIMESTAMPTZ)::TIMESTAMP")} AS event_ts,
         {_finite("_price")} AS price, {_finite("_revenue")} AS revenue,
         try_cast(_http_status AS INTEGER) AS http_status,
         lower(_event_type) AS event_type,
         CASE WHEN _visitor_id IS NOT NULL THEN 'id:' || _visitor_id
              WHEN _ip IS NOT NULL THEN 'ipua:' || _ip || '|' || coalesce(_user_agent, '') END AS visitor_key
  FROM s
)
SELECT *,
  CASE
    WHEN strlen(raw) > {r.max_line_bytes} THEN 'line_too_long'
    WHEN _broken THEN 'parse_error'
    WHEN _event_ts IS NOT NULL AND event_ts IS NULL THEN 'bad_timestamp'
    WHEN (_price IS NOT NULL AND price IS NULL) OR (_revenue IS NOT NULL AND revenue IS NULL)
      OR (_http_status IS NOT NULL AND http_status IS NULL) THEN 'bad_value'
    WHEN visitor_key IS NULL OR _event_ts IS NULL OR event_type IS NULL THEN 'missing_field'
    WHEN event_type NOT IN {_in(CANONICAL_EVENT_TYPES)} THEN 'unknown_event_type'
    WHEN event_ts > coalesce(file_dt::TIMESTAMP + INTERVAL {24 + r.future_grace_hours} HOUR,
                             now()::TIMESTAMP + INTERVAL {r.future_grace_hours} HOUR) THEN 'future_timestamp'
  END AS reason
FROM t;

COPY (
  SELECT reason, substring(raw, 1, {r.quarantine_raw_chars}) AS raw, source_file, source_line,
         coalesce(file_dt::DATE, DATE '{start}') AS ingest_date, {_q(run_id)} AS run_id
  FROM parsed WHERE reason IS NOT NULL
    AND (file_dt IS NULL OR (file_dt >= '{start}' AND file_dt < '{end}'))
) TO {_q(out + "/quarantine")} (FORMAT parquet, PARTITION_BY (ingest_date), OVERWRITE_OR_IGNORE);

-- Line numbers are settled: nothing below depends on row order (Spark keeps none either).
SET preserve_insertion_order = false;

CREATE OR REPLACE TEMP TABLE distinct_ua AS
SELECT DISTINCT _user_agent AS user_agent FROM parsed WHERE reason IS NULL;
{UA_SPLIT}

CREATE OR REPLACE TEMP TABLE ev AS
WITH e AS (
  SELECT p.*, _page_url AS page_url,
         substring(sha256(concat_ws('|', regexp_extract(source_file, '[^/]*$'), file_dt, source_line::VARCHAR, raw)), 1, 32) AS event_id,
         substring(sha256({_q(salt)} || '|' || visitor_key), 1, 32) AS visitor_id
  FROM parsed p
  WHERE reason IS NULL AND event_ts >= {look_ts} AND event_ts < {end_ts}
)
SELECT event_id, event_ts, event_ts::DATE AS event_date, e.visitor_id, event_type, page_url,
  CASE WHEN page_url IS NULL THEN NULL
       ELSE coalesce(nullif(regexp_extract(page_url, {_q(PAGE_PATH_RE)}, 1), ''), '/')
  END AS page_path,
  _referrer AS referrer, {_param("utm_source")} AS utm_source, {_param("utm_medium")} AS utm_medium,
  {_param("utm_campaign")} AS utm_campaign, _item_id AS item_id, _category AS category, _brand AS brand,
  price, _transaction_id AS transaction_id,
  CASE WHEN event_type = 'purchase' THEN coalesce(revenue, 0.0) ELSE 0.0 END AS revenue,
  _user_agent AS user_agent, ua.device_type, ua.crawler, http_status,
  coalesce(file_dt::DATE > event_ts::DATE, false) AS is_late, 'jsonl' AS source_format,
  source_file, source_line, epoch_us(event_ts) AS _t
FROM e LEFT JOIN ua ON e._user_agent IS NOT DISTINCT FROM ua.user_agent;

-- Sessionize on the keys alone (the window sorts move narrow rows), then join back by event id.
CREATE OR REPLACE TEMP TABLE sess AS
WITH a AS (
  SELECT rowid AS _k, event_id, visitor_id, _t, utm_campaign AS _campaign, lag(_t) OVER w AS _prev_t, row_number() OVER w AS _rn,
         last_value(utm_campaign IGNORE NULLS) OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS _prev_campaign
  FROM ev WINDOW w AS (PARTITION BY visitor_id ORDER BY _t, event_id)
), b AS (
  SELECT *, (_prev_t IS NULL OR _t - _prev_t > {timeout} {campaign_split}) AS _new_run FROM a
), c AS (
  -- times only grow along a visitor's order, so the latest run start is the running max
  SELECT *, max(CASE WHEN _new_run THEN _t END) OVER w AS _run_start
  FROM b WINDOW w AS (PARTITION BY visitor_id ORDER BY _t, event_id ROWS UNBOUNDED PRECEDING)
), d AS (
  SELECT *, (_new_run OR floor((_t - _run_start) / {max_len}) <> floor((_prev_t - _run_start) / {max_len})) AS _new_session
  FROM c
), e AS (
  SELECT _k, event_id, visitor_id, _t, _campaign, _run_start,
    max(CASE WHEN _new_session THEN _t END) OVER w AS session_start_t,
    (_rn - max(CASE WHEN _new_session THEN _rn - 1 END) OVER w)::INTEGER AS seq_in_session,
    sum(_new_session::INTEGER) OVER w::INTEGER AS session_index
  FROM d WINDOW w AS (PARTITION BY visitor_id ORDER BY _t, event_id ROWS UNBOUNDED PRECEDING)
)
SELECT *, substring(sha256(visitor_id || '|' || session_start_t::VARCHAR), 1, 32) AS session_id FROM e;

CREATE OR REPLACE TEMP TABLE joined AS
SELECT ev.*, sess.session_id, sess.seq_in_session, sess.session_index
FROM ev JOIN sess ON ev.rowid = sess._k;
DROP TABLE ev;

-- One aggregate per session gives both the bot evidence and the session record.
CREATE OR REPLACE TEMP TABLE agg AS
WITH s AS (
  SELECT visitor_id, session_id, max(session_index) AS session_index, min(event_ts) AS session_start,
    max(event_ts) AS session_end, count(*)::INTEGER AS event_count,
    sum((event_type IN ('page_view', 'product_view'))::INTEGER)::INTEGER AS page_view_count,
    arg_min_null(coalesce(page_path, 'item:' || item_id), seq_in_session) FILTER (WHERE event_type IN ('page_view', 'product_view')) AS entry_page,
    arg_max_null(coalesce(page_path, 'item:' || item_id), seq_in_session) FILTER (WHERE event_type IN ('page_view', 'product_view')) AS exit_page,
    arg_min_null(referrer, seq_in_session) AS landing_referrer, arg_min_null(utm_source, seq_in_session) AS utm_source,
    arg_min_null(utm_medium, seq_in_session) AS utm_medium, arg_min_null(utm_campaign, seq_in_session) AS utm_campaign,
    arg_min_null(device_type, seq_in_session) AS device_type, bool_or(event_type = 'purchase') AS is_converted,
    count(DISTINCT CASE WHEN event_type = 'purchase' THEN coalesce(transaction_id, event_id) END)::INTEGER AS order_count,
    sum(CASE WHEN event_type = 'purchase' THEN revenue ELSE 0.0 END) AS revenue,
    arg_min(crawler, seq_in_session) FILTER (WHERE crawler IS NOT NULL) AS _ua,
    -- events on the most requested page path (nulls are not counted, as in Spark's mode)
    coalesce(list_max(map_values(histogram(page_path))), 0) AS _top_n,
    bool_or(page_path = '/robots.txt') AS _robots,
    (max(_t) - min(_t)) / 1e6 AS _dur,
    bool_or(event_ts >= {start_ts}) AS _has_window,
    count(*) FILTER (WHERE event_ts >= {start_ts}) AS _window_events
  FROM joined GROUP BY visitor_id, session_id
)
SELECT *,
  CASE WHEN _ua IS NOT NULL THEN 'ua:' || _ua
       WHEN {str(r.bot_robots_txt).upper()} AND coalesce(_robots, false) THEN 'robots_txt'
       WHEN event_count >= {r.bot_min_events} AND event_count / (greatest(_dur, 1.0) / 60.0) > {r.bot_max_events_per_minute} THEN 'rate'
       WHEN event_count >= {r.bot_poll_min_events} AND _top_n >= {r.bot_poll_min_share} * event_count THEN 'poller'
  END AS bot_reason
FROM s;

COPY (
  SELECT j.event_id, j.event_ts::TIMESTAMPTZ AS event_ts, j.event_date, j.visitor_id, j.session_id, j.seq_in_session,
         j.event_type, j.page_url, j.page_path, j.referrer, j.utm_source, j.utm_medium, j.utm_campaign, j.item_id,
         j.category, j.brand, j.price, j.transaction_id, j.revenue, j.user_agent, j.device_type, j.http_status,
         a.bot_reason IS NOT NULL AS is_bot, a.bot_reason, j.is_late, j.source_format, j.source_file, j.source_line,
         {_q(r.rules_version)} AS rules_version, {_q(run_id)} AS run_id
  FROM joined j JOIN agg a USING (session_id)
  WHERE a._has_window AND j.event_ts >= {start_ts}
) TO {_q(out + "/events")} (FORMAT parquet, PARTITION_BY (event_date), OVERWRITE_OR_IGNORE);

CREATE OR REPLACE TEMP TABLE sessions AS
WITH h AS (
  SELECT *, lower(regexp_extract(landing_referrer, {_q(REFERRER_HOST_RE)}, 1)) AS _host,
         lower(utm_medium) AS _medium FROM agg WHERE _has_window
)
SELECT session_id, visitor_id, session_index, session_start::TIMESTAMPTZ AS session_start,
  session_end::TIMESTAMPTZ AS session_end, session_start::DATE AS session_date,
  (epoch_us(session_end) - epoch_us(session_start)) / 1e6 AS duration_s, event_count, page_view_count,
  entry_page, exit_page, landing_referrer, utm_source, utm_medium, utm_campaign,
  CASE WHEN _medium IN {_in(PAID_MEDIUMS)} THEN 'paid_search'
       WHEN _medium IN {_in(EMAIL_MEDIUMS)} THEN 'email'
       WHEN _medium IN {_in(SOCIAL_MEDIUMS)} THEN 'social'
       WHEN _medium IN {_in(DISPLAY_MEDIUMS)} THEN 'display'
       WHEN _medium = 'organic' THEN 'organic_search'
       WHEN utm_source IS NOT NULL OR utm_medium IS NOT NULL THEN 'other'
       WHEN landing_referrer IS NULL OR _host = '' THEN 'direct'
       WHEN regexp_matches(_host, {_q(SEARCH_HOSTS)}) THEN 'organic_search'
       WHEN regexp_matches(_host, {_q(SOCIAL_HOSTS)}) THEN 'social'
       ELSE 'referral' END AS channel,
  device_type, event_count = 1 AND page_view_count = 1 AS is_bounce, is_converted, order_count,
  round(revenue, 2) AS revenue, bot_reason IS NOT NULL AS is_bot, bot_reason,
  {_q(r.rules_version)} AS rules_version, {_q(run_id)} AS run_id
FROM h;

COPY sessions TO {_q(out + "/sessions")} (FORMAT parquet, PARTITION_BY (session_date), OVERWRITE_OR_IGNORE);

COPY (
  SELECT visitor_id, max(_t) AS last_t,
         arg_max({{'run_start_t': _run_start, 'session_start_t': session_start_t, 'session_id': session_id,
                  'session_index': session_index, 'last_seq': seq_in_session}}, (_t, event_id)) AS s,
         arg_max(_campaign, (_t, event_id)) FILTER (WHERE _campaign IS NOT NULL) AS last_campaign
  FROM sess GROUP BY visitor_id
) TO {_q(out + "/state/state.parquet")} (FORMAT parquet);

CREATE OR REPLACE TEMP TABLE counts AS
SELECT
  (SELECT count(*) FROM parsed) AS read,
  (SELECT count(*) FROM parsed WHERE reason IS NOT NULL) AS quarantined,
  -- the window events, counted per session in agg (not by joining every event again)
  (SELECT coalesce(sum(_window_events), 0) FROM agg WHERE _has_window) AS valid,
  (SELECT coalesce(sum(_window_events), 0) FROM agg WHERE _has_window AND bot_reason IS NOT NULL) AS bot,
  (SELECT count(*) FROM sessions) AS sessions;
"""


def run(
    raw_glob: str,
    out: str,
    start: dt.date,
    end: dt.date,
    salt: str,
    threads: int = 2,
    memory_limit: str | None = None,
    rules: RulesConfig | None = None,
) -> dict[str, int]:
    """Run :func:`sessionize_sql` in a fresh in-memory DuckDB (``out`` is replaced) and return its counts."""
    shutil.rmtree(out, ignore_errors=True)
    (Path(out) / "state").mkdir(parents=True)
    con = duckdb.connect()
    if memory_limit:
        con.execute(f"SET memory_limit = {_q(memory_limit)}")
    parse, sessionize = sessionize_sql(raw_glob, out, start, end, salt, rules=rules, threads=threads).split(
        UA_SPLIT
    )
    con.execute(parse)
    distinct_ua = con.sql("SELECT user_agent FROM distinct_ua").to_arrow_table()
    classified = pa.Table.from_batches(list(classify_arrow(distinct_ua.to_batches())), schema=UA_CLASS_ARROW)
    con.register("ua_classified", classified)
    con.execute("CREATE OR REPLACE TEMP TABLE ua AS SELECT * FROM ua_classified")
    con.execute(sessionize)
    row = con.execute("SELECT * FROM counts").fetchone()
    assert row is not None
    cols = [d[0] for d in con.description or ()]
    return {c: int(v) for c, v in zip(cols, row, strict=True)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m caec_spark_dev.duck",
        description="The sessionize job's rules as DuckDB SQL over jsonl day files (the benchmark's "
        "like-for-like comparator). Prints the counts as JSON.",
    )
    p.add_argument("--input", required=True, help="glob of jsonl(.gz) files, e.g. 'raw/dt=*/*.jsonl.gz'")
    p.add_argument("--output", required=True, help="output directory (replaced)")
    p.add_argument("--start", required=True, type=dt.date.fromisoformat, help="window start YYYY-MM-DD")
    p.add_argument("--end", required=True, type=dt.date.fromisoformat, help="window end (exclusive)")
    p.add_argument(
        "--salt", default=None, help="visitor key salt (default: $CAEC_IDENTITY_SALT or the dev salt)"
    )
    p.add_argument("--threads", type=int, default=2, help="DuckDB threads (default 2)")
    p.add_argument("--memory-limit", default=None, help="DuckDB memory_limit, e.g. 12GB (default: DuckDB's)")
    args = p.parse_args(argv)
    salt = args.salt if args.salt is not None else identity_salt()
    counts = run(args.input, args.output, args.start, args.end, salt, args.threads, args.memory_limit)
    print(json.dumps(counts, sort_keys=True), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
