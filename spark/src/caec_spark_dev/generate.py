"""Synthetic click logs with ground truth (no Spark: numpy-vectorised, ~1M events in seconds).

What it models (docs/formats.md lists the layout): a daily rhythm of session starts, heavy-tailed
visitors (Pareto sessions per visitor), view -> cart -> purchase funnels with revenue, referrers and utm
parameters for channels, desktop/mobile/tablet user agents, bots (crawler user agents that fetch
/robots.txt, and fast scripted visitors), malformed lines at a set rate, late events written into the
next day's file, and sessions crossing midnight.

Ground truth (``DIR/_truth/lines.parquet``): one row per written line with its file, 1-based line number,
``malformed`` (+ kind), the true session key, ``is_bot`` and ``late``. By construction, gaps inside a
session are <= 25 min and gaps between a visitor's sessions are >= 31 min and every session is < 24 h, so
the default rules must recover the true sessions exactly; bot sessions are built to trip the default bot
rules (crawler UA, robots.txt, or >= 25 events faster than 30/min), human sessions never do.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from caec_spark.config import FORMATS
from caec_spark.log import progress

DESKTOP_UA = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0",
)
MOBILE_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36",
)
TABLET_UA = (
    "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
)
HUMAN_UA = DESKTOP_UA + MOBILE_UA + TABLET_UA
HUMAN_UA_P = (0.3, 0.12, 0.08, 0.22, 0.18, 0.10)
CRAWLER_UA = (
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
)
SCRIPT_UA = ("python-requests/2.32.3", DESKTOP_UA[0])
# first-event referrer / utm by channel: (share, referrer, utm query)
CHANNELS = (
    (0.35, None, None),
    (0.25, "https://www.google.com/", None),
    (0.10, "https://www.google.com/", "utm_source=google&utm_medium=cpc&utm_campaign=brand"),
    (0.10, "https://www.facebook.com/", None),
    (0.08, None, "utm_source=newsletter&utm_medium=email&utm_campaign=weekly"),
    (0.12, "https://blog.example.org/best-gifts", None),
)
HOUR_WEIGHTS = np.array(
    [2, 1, 1, 1, 1, 2, 3, 5, 7, 8, 8, 8, 9, 9, 8, 8, 8, 9, 11, 13, 14, 12, 8, 4], dtype=float
)
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
EXT = {"jsonl": "jsonl", "combined": "log", "retailrocket": "csv", "rees46": "csv"}
HEADER = {
    "retailrocket": "timestamp,visitorid,event,itemid,transactionid",
    "rees46": "event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session",
}
N_ITEMS = 5000
MALFORMED_KINDS = ("garbage", "truncated", "bad_timestamp", "unknown_event_type", "future_timestamp")
HUMAN_GAP_CAP_S = 25 * 60
SESSION_GAP_MIN_S = 31 * 60


@dataclass(frozen=True)
class GenerateConfig:
    events: int
    fmt: str
    seed: int
    output: str
    start: dt.date = dt.date(2026, 11, 1)
    days: int = 3
    malformed_rate: float = 0.002
    gzip: bool = True
    late_rate: float = 0.003
    bot_session_share: float = 0.03

    def __post_init__(self) -> None:
        if self.fmt not in FORMATS:
            raise ValueError(f"unknown format {self.fmt!r}; choose one of {', '.join(FORMATS)}")
        if self.events < 1:
            raise ValueError("--events must be >= 1")
        if not 1 <= self.days <= 366:
            raise ValueError("--days must be between 1 and 366")
        if not 0 <= self.malformed_rate < 0.5:
            raise ValueError("--malformed-rate must be in [0, 0.5)")


@dataclass(frozen=True)
class Summary:
    output: str
    fmt: str
    files: int
    lines: int
    events: int
    malformed: int
    sessions: int
    bot_sessions: int
    late: int
    visitors: int
    first_day: str
    last_day: str
    seconds: float

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


def _progress(msg: str) -> None:
    # the job's JSON progress contract, so the stage runner shows the generator like any other stage
    progress("generate", msg)


def _sessions(rng: np.random.Generator, n_visitors: int, cfg: GenerateConfig) -> dict[str, np.ndarray]:
    """Session-level arrays: visitor, start (s from range start), event count, bot kind (0 human)."""
    per_visitor = np.minimum(1 + np.floor(rng.pareto(1.6, n_visitors)).astype(np.int64), 40)
    visitor = np.repeat(np.arange(n_visitors, dtype=np.int64), per_visitor)
    n_s = len(visitor)
    web = cfg.fmt in ("combined", "jsonl")
    # bot kinds: 1 crawler UA (+robots.txt), 2 scripted with robots.txt, 3 scripted fast only
    bot_visitor = rng.random(n_visitors) < cfg.bot_session_share
    kinds = rng.choice([1, 2, 3], n_visitors, p=[0.4, 0.3, 0.3]) if web else np.full(n_visitors, 3)
    bot = np.where(bot_visitor, kinds, 0)[visitor]
    n_ev = np.where(
        bot > 0,
        rng.integers(25, 90, n_s),
        np.minimum(1 + rng.geometric(0.22, n_s) - 1 + (rng.random(n_s) < 0.3), 150),
    )
    n_ev = np.maximum(n_ev, 1)
    return {"visitor": visitor, "n_ev": n_ev.astype(np.int64), "bot": bot.astype(np.int8)}


def _visitor_fields(v: np.ndarray) -> tuple[list[str], list[str]]:
    ips = [f"{11 + (x >> 16)}.{(x >> 8) & 255}.{x & 255}.{1 + x % 254}" for x in v.tolist()]
    return ips, [f"c{x:08d}" for x in v.tolist()]


def generate(cfg: GenerateConfig) -> Summary:
    """Write the day files and the ground truth; return a summary (also printed as JSON by the CLI)."""
    t0 = time.monotonic()
    rng = np.random.default_rng(cfg.seed)
    horizon = cfg.days * 86400.0
    n_malformed = round(cfg.events * cfg.malformed_rate)
    target = cfg.events - n_malformed
    # Size the visitor population to overshoot the target, then drop whole trailing visitors (their
    # session chains stay intact) so the event count lands just under the target.
    n_visitors = max(1, target // 8)
    sim = _simulate(cfg, np.random.default_rng([cfg.seed, 0]), n_visitors, horizon)
    for attempt in range(1, 5):
        got = int(sim["keep_e"].sum())
        if got >= target:
            break
        n_visitors = int(n_visitors * target / max(got, 1) * 1.15) + 1
        sim = _simulate(cfg, np.random.default_rng([cfg.seed, attempt]), n_visitors, horizon)
    kept_per_visitor = np.bincount(
        sim["visitor"][sim["keep_s"]], weights=sim["n_ev"][sim["keep_s"]], minlength=n_visitors
    )
    keep_visitor = np.cumsum(kept_per_visitor) <= target
    sim["keep_s"] = sim["keep_s"] & keep_visitor[sim["visitor"]]
    sim["keep_e"] = sim["keep_s"][sim["sess_of_ev"]]
    visitor, n_ev, bot = sim["visitor"], sim["n_ev"], sim["bot"]
    sess_of_ev, pos, ev_bot, ts_ms = sim["sess_of_ev"], sim["pos"], sim["ev_bot"], sim["ts_ms"]
    keep_s, keep_e = sim["keep_s"], sim["keep_e"]
    n_s = len(visitor)
    # content
    n_e = len(ts_ms)
    etype = np.where(rng.random(n_e) < 0.6, 1, 0).astype(np.int8)  # 0 page_view, 1 product_view
    etype[pos == 0] = 0
    item = (rng.zipf(1.3, n_e) % N_ITEMS).astype(np.int64)
    prices = np.round(np.exp(rng.normal(3.2, 0.8, N_ITEMS)), 2)
    human_s = bot == 0
    cart_s = human_s & (n_ev >= 3) & (rng.random(n_s) < 0.3)
    buy_s = cart_s & (n_ev >= 4) & (rng.random(n_s) < 0.4)
    cart_pos = np.where(cart_s, 1 + (rng.random(n_s) * np.maximum(n_ev - 2, 1)).astype(np.int64), -1)
    cart_pos = np.minimum(cart_pos, n_ev - 2)
    is_cart = (pos == cart_pos[sess_of_ev]) & cart_s[sess_of_ev]
    etype[is_cart] = 2
    is_buy = buy_s[sess_of_ev] & (pos == n_ev[sess_of_ev] - 1)
    etype[is_buy] = 4
    # purchase: item of the session's cart event
    cart_item = np.zeros(n_s, dtype=np.int64)
    cart_item[sess_of_ev[is_cart]] = item[is_cart]
    item[is_buy] = cart_item[sess_of_ev[is_buy]]
    robots = np.zeros(n_e, dtype=bool)
    robots[(ev_bot == 1) | (ev_bot == 2)] = False
    robots[((ev_bot == 1) | (ev_bot == 2)) & (pos == 0)] = True
    channel = rng.choice(len(CHANNELS), n_s, p=[c[0] for c in CHANNELS])
    ua_idx = rng.choice(len(HUMAN_UA), n_visitors, p=HUMAN_UA_P)
    crawler_idx = rng.integers(0, len(CRAWLER_UA), n_visitors)
    script_idx = rng.integers(0, len(SCRIPT_UA), n_visitors)

    # late events: written into the next day's file
    day = (ts_ms // 86_400_000).astype(np.int64)
    late = (rng.random(n_e) < cfg.late_rate) & keep_e
    file_day = day + late
    sel = np.nonzero(keep_e)[0]
    order = sel[np.lexsort((ts_ms[sel], file_day[sel]))]
    _progress(
        f"{len(order)} events in {int(keep_s.sum())} sessions of {n_visitors} visitors; formatting {cfg.fmt}"
    )

    base = dt.datetime(cfg.start.year, cfg.start.month, cfg.start.day, tzinfo=dt.UTC)
    base_ms = int(base.timestamp() * 1000)
    abs_ms = ts_ms + base_ms
    lines = _format(
        cfg,
        order,
        abs_ms,
        etype,
        item,
        prices,
        sess_of_ev,
        pos,
        visitor,
        bot,
        ev_bot,
        robots,
        channel,
        ua_idx,
        crawler_idx,
        script_idx,
    )

    # malformed lines, spread over day files
    mal_day = rng.integers(0, cfg.days, n_malformed)
    mal_kind = rng.integers(0, len(MALFORMED_KINDS), n_malformed)
    mal_lines = [
        _malformed(cfg.fmt, MALFORMED_KINDS[k], base_ms + int(d) * 86_400_000 + 3_600_000, i)
        for i, (d, k) in enumerate(zip(mal_day.tolist(), mal_kind.tolist(), strict=True))
    ]

    out = Path(cfg.output)
    out.mkdir(parents=True, exist_ok=True)
    truth: dict[str, list[object]] = {
        k: []
        for k in (
            "file",
            "line",
            "malformed",
            "malformed_kind",
            "session_key",
            "visitor",
            "is_bot",
            "bot_kind",
            "late",
            "event_ts_ms",
        )
    }
    fd_sorted = file_day[order]
    n_files = 0
    all_days = sorted(set(fd_sorted.tolist()) | set(mal_day.tolist()))
    lo = 0
    for d in all_days:
        hi = int(np.searchsorted(fd_sorted, d, side="right"))
        idx = order[lo:hi]
        ev_lines = lines[lo:hi]
        lo = hi
        m_sel = np.nonzero(mal_day == d)[0]
        # malformed lines at random positions among the day's events (deterministic given the seed)
        slots = np.sort(rng.integers(0, len(ev_lines) + 1, len(m_sel)))
        day_date = cfg.start + dt.timedelta(days=int(d))
        rel = f"dt={day_date.isoformat()}/part-00000.{EXT[cfg.fmt]}" + (".gz" if cfg.gzip else "")
        body: list[str] = []
        line_no = 0
        if cfg.fmt in HEADER:
            body.append(HEADER[cfg.fmt])
            line_no = 1
        mi = 0
        for j in range(len(ev_lines) + 1):
            while mi < len(m_sel) and slots[mi] == j:
                body.append(mal_lines[m_sel[mi]])
                line_no += 1
                _truth_row(
                    truth,
                    rel,
                    line_no,
                    True,
                    MALFORMED_KINDS[mal_kind[m_sel[mi]]],
                    None,
                    None,
                    None,
                    None,
                    False,
                    None,
                )
                mi += 1
            if j < len(ev_lines):
                body.append(ev_lines[j])
                line_no += 1
        # truth of event lines (vectorised append)
        start_line = 1 if cfg.fmt in HEADER else 0
        ev_line_no = (
            np.arange(len(ev_lines))
            + 1
            + start_line
            + np.searchsorted(slots, np.arange(len(ev_lines)), side="right")
        )
        truth["file"].extend([rel] * len(idx))
        truth["line"].extend(ev_line_no.tolist())
        truth["malformed"].extend([False] * len(idx))
        truth["malformed_kind"].extend([None] * len(idx))
        s_of = sess_of_ev[idx]
        truth["session_key"].extend(
            [f"{v}:{s}" for v, s in zip(visitor[s_of].tolist(), s_of.tolist(), strict=True)]
        )
        truth["visitor"].extend(visitor[s_of].tolist())
        truth["is_bot"].extend((bot[s_of] > 0).tolist())
        truth["bot_kind"].extend(
            [("", "crawler", "script_robots", "script_fast")[b] or None for b in bot[s_of].tolist()]
        )
        truth["late"].extend(late[idx].tolist())
        truth["event_ts_ms"].extend(abs_ms[idx].tolist())
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        data = ("\n".join(body) + "\n").encode("utf-8")
        if cfg.gzip:
            path.write_bytes(gzip.compress(data, compresslevel=1, mtime=0))
        else:
            path.write_bytes(data)
        n_files += 1
        _progress(f"wrote {rel} ({len(body)} lines)")
    tdir = out / "_truth"
    tdir.mkdir(exist_ok=True)
    table = pa.table(
        {
            "file": pa.array(truth["file"], pa.string()),
            "line": pa.array(truth["line"], pa.int64()),
            "malformed": pa.array(truth["malformed"], pa.bool_()),
            "malformed_kind": pa.array(truth["malformed_kind"], pa.string()),
            "session_key": pa.array(truth["session_key"], pa.string()),
            "visitor": pa.array(truth["visitor"], pa.int64()),
            "is_bot": pa.array(truth["is_bot"], pa.bool_()),
            "bot_kind": pa.array(truth["bot_kind"], pa.string()),
            "late": pa.array(truth["late"], pa.bool_()),
            "event_ts_ms": pa.array(truth["event_ts_ms"], pa.int64()),
        }
    )
    pq.write_table(table, tdir / "lines.parquet")
    kept_sessions = int(keep_s.sum())
    summary = Summary(
        output=str(out),
        fmt=cfg.fmt,
        files=n_files,
        lines=len(table),
        events=len(order),
        malformed=n_malformed,
        sessions=kept_sessions,
        bot_sessions=int((keep_s & (bot > 0)).sum()),
        late=int(late.sum()),
        visitors=len(np.unique(visitor[keep_s])),
        first_day=cfg.start.isoformat(),
        last_day=(cfg.start + dt.timedelta(days=int(max(all_days)))).isoformat()
        if all_days
        else cfg.start.isoformat(),
        seconds=round(time.monotonic() - t0, 2),
    )
    (tdir / "summary.json").write_text(
        json.dumps(
            {**asdict(summary), "config": {**asdict(cfg), "start": cfg.start.isoformat()}},
            indent=2,
            sort_keys=True,
        )
        + "\n"
    )
    _progress(f"done in {summary.seconds}s")
    return summary


def _simulate(
    cfg: GenerateConfig, rng: np.random.Generator, n_visitors: int, horizon: float
) -> dict[str, np.ndarray]:
    """Sessions and event times for a visitor population; sessions ending after the horizon are dropped."""
    s = _sessions(rng, n_visitors, cfg)
    visitor, n_ev, bot = s["visitor"], s["n_ev"], s["bot"]
    n_s = len(visitor)
    # event-level arrays
    sess_of_ev = np.repeat(np.arange(n_s), n_ev)
    first_idx = np.concatenate([[0], np.cumsum(n_ev)[:-1]])
    pos = np.arange(len(sess_of_ev)) - first_idx[sess_of_ev]
    ev_bot = bot[sess_of_ev]
    gaps = np.where(
        ev_bot > 0,
        0.3 + rng.exponential(0.8, len(pos)),
        np.minimum(2 + rng.exponential(55, len(pos)), HUMAN_GAP_CAP_S),
    )
    gaps[pos == 0] = 0.0
    csum = np.cumsum(gaps)
    offset = csum - csum[first_idx][sess_of_ev]
    duration = offset[first_idx + n_ev - 1]
    # session starts: a visitor's first session follows the daily rhythm, later ones follow after a gap
    first_of_visitor = np.concatenate([[True], visitor[1:] != visitor[:-1]])
    hour_p = HOUR_WEIGHTS / HOUR_WEIGHTS.sum()
    first_start = (
        rng.integers(0, cfg.days, n_s) * 86400.0
        + rng.choice(24, n_s, p=hour_p) * 3600.0
        + rng.random(n_s) * 3600.0
    )
    between = SESSION_GAP_MIN_S + rng.exponential(8 * 3600.0, n_s)
    step = np.where(first_of_visitor, 0.0, between)
    prev_dur = np.concatenate([[0.0], duration[:-1]])
    step = step + np.where(first_of_visitor, 0.0, prev_dur)
    # cumulative within visitor: cumsum minus the cumsum at the visitor's first session
    cs = np.cumsum(step)
    vstart_idx = np.maximum.accumulate(np.where(first_of_visitor, np.arange(n_s), 0))
    start = first_start[vstart_idx] + cs - cs[vstart_idx]
    keep_s = (start + duration) < horizon
    # integer milliseconds; second-precision formats floor to seconds (gaps stay on the right side of 30 min)
    ts_ms = np.floor((start[sess_of_ev] + offset) * 1000).astype(np.int64)
    if cfg.fmt in ("combined", "rees46"):
        ts_ms = ts_ms // 1000 * 1000
    keep_e = keep_s[sess_of_ev]
    return {
        "visitor": visitor,
        "n_ev": n_ev,
        "bot": bot,
        "sess_of_ev": sess_of_ev,
        "pos": pos,
        "ev_bot": ev_bot,
        "ts_ms": ts_ms,
        "keep_s": keep_s,
        "keep_e": keep_e,
    }


def _truth_row(
    truth: dict[str, list[object]],
    rel: str,
    line: int,
    malformed: bool,
    kind: str | None,
    key: str | None,
    visitor: int | None,
    is_bot: bool | None,
    bot_kind: str | None,
    late: bool,
    ts: int | None,
) -> None:
    for k, v in zip(
        truth, (rel, line, malformed, kind, key, visitor, is_bot, bot_kind, late, ts), strict=True
    ):
        truth[k].append(v)


def _iso_ms(ms: np.ndarray) -> np.ndarray:
    return np.datetime_as_string(ms.astype("datetime64[ms]"), unit="ms")


def _format(
    cfg: GenerateConfig,
    order: np.ndarray,
    abs_ms: np.ndarray,
    etype: np.ndarray,
    item: np.ndarray,
    prices: np.ndarray,
    sess_of_ev: np.ndarray,
    pos: np.ndarray,
    visitor: np.ndarray,
    bot: np.ndarray,
    ev_bot: np.ndarray,
    robots: np.ndarray,
    channel: np.ndarray,
    ua_idx: np.ndarray,
    crawler_idx: np.ndarray,
    script_idx: np.ndarray,
) -> list[str]:
    """One raw line per event in ``order``."""
    o = order
    ms = abs_ms[o]
    et = etype[o].tolist()
    it = item[o].tolist()
    pr = prices[item[o]].tolist()
    s = sess_of_ev[o]
    v = visitor[s].tolist()
    sl = s.tolist()
    p0 = (pos[o] == 0).tolist()
    rb = robots[o].tolist()
    if cfg.fmt == "retailrocket":
        names = ("view", "view", "addtocart", "view", "transaction")
        return [
            f"{m},{vv},{names[e]},{i},{('T' + str(ss)) if e == 4 else ''}"
            for m, vv, e, i, ss in zip(ms.tolist(), v, et, it, sl, strict=True)
        ]
    if cfg.fmt == "rees46":
        names = ("view", "view", "cart", "view", "purchase")
        times = [
            t.replace("T", " ") + " UTC"
            for t in np.datetime_as_string(
                ms.astype("datetime64[ms]").astype("datetime64[s]"), unit="s"
            ).tolist()
        ]
        return [
            f"{t},{names[e]},{i},{2053013552226107603 + i % 40},electronics.cat{i % 40},brand{i % 97},{p:.2f},{5000000 + vv},sess-{ss}"
            for t, e, i, p, vv, ss in zip(times, et, it, pr, v, sl, strict=True)
        ]
    eb = ev_bot[o].tolist()
    ch = channel[s].tolist()
    uas = []
    for vv, b in zip(v, eb, strict=True):
        if b == 1:
            uas.append(CRAWLER_UA[crawler_idx[vv]])
        elif b in (2, 3):
            uas.append(SCRIPT_UA[script_idx[vv]])
        else:
            uas.append(HUMAN_UA[ua_idx[vv]])
    paths = []
    for e, i, p, ss, first, r in zip(et, it, pr, sl, p0, rb, strict=True):
        if r:
            path = "/robots.txt"
        elif e == 0:
            path = "/" if first else f"/category/c{i % 40}"
        elif e == 1:
            path = f"/product/{i}"
        elif e == 2:
            path = f"/cart/add?item={i}&price={p:.2f}"
        else:
            path = f"/checkout/complete?order=T{ss}&revenue={p:.2f}"
        paths.append(path)
    refs: list[str | None] = []
    for k, (first, c) in enumerate(zip(p0, ch, strict=True)):
        if first:
            _share, ref, utm = CHANNELS[c]
            if utm:
                paths[k] = paths[k] + ("&" if "?" in paths[k] else "?") + utm
            refs.append(ref)
        else:
            refs.append("https://shop.example/")
    if cfg.fmt == "jsonl":
        iso = _iso_ms(ms).tolist()
        names = ("page_view", "product_view", "add_to_cart", "remove_from_cart", "purchase")
        ips, cookies = _visitor_fields(np.asarray(v))
        out = []
        for t, e, i, p, ss, path, ref, ua, ip, ck, r in zip(
            iso, et, it, pr, sl, paths, refs, uas, ips, cookies, rb, strict=True
        ):
            etn = "other" if r else names[e]
            extra = ""
            if e in (1, 2):
                extra = f',"item_id":"{i}","price":{p:.2f},"category":"cat{i % 40}"'
            elif e == 4:
                extra = f',"item_id":"{i}","transaction_id":"T{ss}","revenue":{p:.2f}'
            refj = f'"{ref}"' if ref else "null"
            out.append(
                f'{{"event_ts":"{t}Z","visitor_id":"{ck}","ip":"{ip}","user_agent":"{ua}","event_type":"{etn}",'
                f'"page_url":"https://shop.example{path}","referrer":{refj}{extra}}}'
            )
        return out
    # combined
    secs = np.datetime_as_string(ms.astype("datetime64[ms]").astype("datetime64[s]"), unit="s").tolist()
    ips, _ = _visitor_fields(np.asarray(v))
    out = []
    for t, path, ref, ua, ip in zip(secs, paths, refs, uas, ips, strict=True):
        stamp = f"{t[8:10]}/{MONTHS[int(t[5:7]) - 1]}/{t[0:4]}:{t[11:19]} +0000"
        out.append(f'{ip} - - [{stamp}] "GET {path} HTTP/1.1" 200 {1000 + len(path)} "{ref or "-"}" "{ua}"')
    return out


def _malformed(fmt: str, kind: str, ms: int, i: int) -> str:
    """A malformed line of the given kind, in the shape of the format."""
    if kind == "garbage":
        return f"@@garbage line {i} <<>> \\x{i:04x}"
    if kind == "truncated":
        full = {
            "jsonl": f'{{"event_ts":"2026-11-01T10:00:00Z","visitor_id":"m{i}","event_type":"page_v',
            "combined": f'10.0.0.{i % 250} - - [01/Nov/2026:10:00:00 +0000] "GET /pro',
            "retailrocket": f"{ms},{i}",
            "rees46": f"2026-11-01 10:00:00 UTC,view,{i}",
        }
        return full[fmt]
    if kind == "bad_timestamp":
        return {
            "jsonl": f'{{"event_ts":"yesterday-ish","visitor_id":"m{i}","event_type":"page_view"}}',
            "combined": f'10.0.0.{i % 250} - - [99/Foo/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 10 "-" "x"',
            "retailrocket": f"notatime,{i},view,1,",
            "rees46": f"2026-13-45 99:00:00 UTC,view,1,1,c,b,1.00,{i},s",
        }[fmt]
    if kind == "unknown_event_type":
        return {
            "jsonl": f'{{"event_ts":"2026-11-01T10:00:00Z","visitor_id":"m{i}","event_type":"teleport"}}',
            "combined": f"@@ unknown {i}",
            "retailrocket": f"{ms},{i},teleport,1,",
            "rees46": f"2026-11-01 10:00:00 UTC,teleport,1,1,c,b,1.00,{i},s",
        }[fmt]
    future_ms = ms + 400 * 86_400_000
    future = dt.datetime.fromtimestamp(future_ms / 1000, dt.UTC)
    return {
        "jsonl": f'{{"event_ts":"{future.strftime("%Y-%m-%dT%H:%M:%SZ")}","visitor_id":"m{i}","event_type":"page_view"}}',
        "combined": f'10.0.0.{i % 250} - - [{future.strftime("%d/%b/%Y:%H:%M:%S")} +0000] "GET / HTTP/1.1" 200 10 "-" "x"',
        "retailrocket": f"{future_ms},{i},view,1,",
        "rees46": f"{future.strftime('%Y-%m-%d %H:%M:%S')} UTC,view,1,1,c,b,1.00,{i},s",
    }[fmt]


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m caec_spark_dev generate``: print the summary as JSON; exit 2 on a usage error."""
    p = argparse.ArgumentParser(
        prog="python -m caec_spark_dev generate",
        description="Write realistic synthetic click logs as DIR/dt=YYYY-MM-DD/part-00000.<ext>[.gz] plus "
        "ground truth in DIR/_truth/ (true session key, is_bot, malformed per line). No Spark needed.",
    )
    p.add_argument("--events", type=int, required=True, help="approximate number of records to write")
    p.add_argument("--format", dest="fmt", required=True, choices=FORMATS)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--output", required=True, help="output directory")
    p.add_argument("--start", type=dt.date.fromisoformat, default=dt.date(2026, 11, 1),
                   help="first day, YYYY-MM-DD (default 2026-11-01)")  # fmt: skip
    p.add_argument("--days", type=int, default=3, help="number of days (default 3)")
    p.add_argument(
        "--malformed-rate", type=float, default=0.002, help="share of malformed lines (default 0.002)"
    )
    p.add_argument(
        "--gzip", action=argparse.BooleanOptionalAction, default=True, help="gzip day files (default on)"
    )
    try:
        cfg = GenerateConfig(**vars(p.parse_args(argv)))  # the options are named as the config's fields
    except ValueError as exc:
        print(f"caec-spark generate: error: {exc}", file=sys.stderr)
        return 2
    print(generate(cfg).to_json())
    return 0


if __name__ == "__main__":
    sys.exit(main())
