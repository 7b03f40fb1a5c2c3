"""Monitor mode: code a stream of recruiting posts for join narratives and plan, for each ISO
week, which counter-themes to push and with which testimony.

Input is JSONL, one post a line: ``text`` (required), a date in ``date`` or ``created_at``
(or a field named by the caller) as ``YYYY-MM-DD``, an ISO 8601 date-time, the
``Wed Oct 10 20:19:24 +0000 2018`` form of some platforms' exports, or Unix seconds; ``lang``
is optional. The file is streamed in batches: memory grows with the number of weeks, not posts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np

from defectio.counter.audience import Audience
from defectio.counter.detect import read_codings
from defectio.counter.index import CounterIndex
from defectio.counter.rank import rank
from defectio.counter.relevance import F32, dense
from defectio.errors import InputError
from defectio.text.files import iter_json_lines

DATE_FIELDS = ("date", "created_at")
BATCH = 256
_PLATFORM_FORMAT = "%a %b %d %H:%M:%S %z %Y"


@dataclass(frozen=True)
class Post:
    line: int
    text: str
    week: str
    lang: str | None = None


@dataclass(frozen=True)
class PlanRow:
    """One counter-theme to push in one week, with the testimony to push it with."""

    week: str
    rank: int
    code: str
    label: str
    posts: int  # posts in the week this theme answers
    week_posts: int
    share: float
    joins: str  # the week's join narratives this theme answers, ``code:count;...``
    passage_ids: tuple[str, ...]
    case_ids: tuple[str, ...]
    aliases: tuple[str, ...]
    theme: str


@dataclass(frozen=True)
class Plan:
    rows: tuple[PlanRow, ...]
    posts: int
    weeks: int
    posts_with_join: int
    notices: tuple[str, ...] = ()


def _date_of(value: Any) -> date:
    if isinstance(value, bool):
        raise ValueError("a boolean is no date")
    if isinstance(value, int | float):
        return datetime.fromtimestamp(float(value), tz=UTC).date()
    text = str(value).strip()
    if text.isdigit():
        return datetime.fromtimestamp(float(text), tz=UTC).date()
    try:
        return datetime.fromisoformat(text).date()
    except ValueError:
        pass
    return datetime.strptime(text, _PLATFORM_FORMAT).date()


def iso_week(value: Any, *, path: str, line: int, field_name: str) -> str:
    """``2015-W09``: the ISO week a post's date falls in."""
    try:
        day = _date_of(value)
    except (ValueError, OverflowError, OSError):
        raise InputError(
            f"{value!r} is not a date; expected YYYY-MM-DD, an ISO 8601 date-time, "
            "'Wed Oct 10 20:19:24 +0000 2018' or Unix seconds",
            path=path,
            line=line,
            field=field_name,
        ) from None
    year, week, _ = day.isocalendar()
    return f"{year:04d}-W{week:02d}"


def _post(row: Any, number: int, path: Path, date_field: str | None) -> Post:
    where = str(path)
    if not isinstance(row, dict):
        raise InputError("expected a JSON object with 'text' and a date", path=where, line=number)
    text = row.get("text")
    if not isinstance(text, str) or not text.strip():
        raise InputError("missing or empty 'text'", path=where, line=number, field="text")
    names = (date_field,) if date_field else DATE_FIELDS
    name = next((n for n in names if row.get(n) not in (None, "")), None)
    if name is None:
        wanted = " or ".join(f"'{n}'" for n in names)
        raise InputError(
            f"no date; give {wanted} (or name the field with --date-field)",
            path=where,
            line=number,
            field=names[0],
        )
    week = iso_week(row[name], path=str(path), line=number, field_name=name)
    lang = row.get("lang") if isinstance(row.get("lang"), str) else None
    return Post(number, text, week, lang)


def read_posts(
    path: Path, *, date_field: str | None = None, batch: int = BATCH
) -> Iterator[list[Post]]:
    """Stream posts in batches; a bad line is an error naming the file, line and field."""
    out: list[Post] = []
    for number, row, _ in iter_json_lines(path):
        out.append(_post(row, number, path, date_field))
        if len(out) >= batch:
            yield out
            out = []
    if out:
        yield out


@dataclass
class _Week:
    posts: int = 0
    joins: Counter[str] = field(default_factory=Counter)
    langs: Counter[str] = field(default_factory=Counter)
    answered: Counter[str] = field(default_factory=Counter)  # exit code -> posts
    by_join: dict[str, Counter[str]] = field(default_factory=dict)  # exit code -> join counts
    weight: dict[str, float] = field(default_factory=dict)
    topic: dict[str, float] = field(default_factory=dict)
    direction: dict[str, F32] = field(default_factory=dict)  # weighted sum of post vectors


def _tally(index: CounterIndex, posts: list[Post], weeks: dict[str, _Week]) -> tuple[int, set[str]]:
    texts = [p.text for p in posts]
    codings = index.coder.predict(texts, [p.lang for p in posts])
    readings = read_codings(index.codebook, texts, codings)
    keep = [i for i, r in enumerate(readings) if r.answers]
    vectors = dense(index.relevance.encode([texts[i] for i in keep])) if keep else None
    notices = {n for c in codings for n in c.notices}  # the coder's, not per-post readings
    for post, reading in zip(posts, readings, strict=True):
        week = weeks.setdefault(post.week, _Week())
        week.posts += 1
        if reading.lang:
            week.langs[reading.lang] += 1
    for k, i in enumerate(keep):
        reading, week = readings[i], weeks[posts[i].week]
        assert vectors is not None
        week.joins.update(j.code for j in reading.joins)
        for code, w in reading.answers.items():
            week.answered[code] += 1
            week.by_join.setdefault(code, Counter()).update(
                j.code for j in reading.joins if code in index.codebook.answers_for(j.code)
            )
            week.weight[code] = week.weight.get(code, 0.0) + w
            week.topic[code] = week.topic.get(code, 0.0) + reading.exit_p.get(code, 0.0)
            vec = vectors[k] * np.float32(w)
            week.direction[code] = week.direction.get(code, np.zeros_like(vec)) + vec
    return len(keep), notices


def plan(
    index: CounterIndex,
    path: Path,
    *,
    date_field: str | None = None,
    per_theme: int = 3,
    include_unrenounced: bool = False,
    progress: Callable[[int], None] | None = None,
) -> Plan:
    """Read the posts, then for each week rank the counter-themes by the share of posts they
    answer and pick ``per_theme`` passages (distinct cases where possible) for each."""
    weeks: dict[str, _Week] = {}
    total = with_join = 0
    notices: set[str] = set(index.notices)
    for batch in read_posts(path, date_field=date_field):
        found, seen = _tally(index, batch, weeks)
        total += len(batch)
        with_join += found
        notices |= seen
        if progress is not None:
            progress(len(batch))
    book = index.codebook
    rows: list[PlanRow] = []
    for name in sorted(weeks):
        week = weeks[name]
        lang = week.langs.most_common(1)[0][0] if week.langs else None
        order = sorted(week.answered, key=lambda c: (-week.weight[c], book.code_ids.index(c)))
        for position, code in enumerate(order, start=1):
            norm = float(np.linalg.norm(week.direction[code]))
            query = week.direction[code] / norm if norm > 0 else week.direction[code]
            picked = rank(
                index,
                query,
                {code: 1.0},
                {code: week.topic[code] / week.answered[code]},
                Audience(lang=lang),
                per_theme,
                include_unrenounced=include_unrenounced,
            )
            items = [index.items[r.item] for r in picked]
            joins = ";".join(f"{j}:{n}" for j, n in week.by_join[code].most_common())
            rows.append(
                PlanRow(
                    week=name,
                    rank=position,
                    code=code,
                    label=book.by_id[code].label,
                    posts=week.answered[code],
                    week_posts=week.posts,
                    share=round(week.answered[code] / week.posts, 4),
                    joins=joins,
                    passage_ids=tuple(t.passage_id for t in items),
                    case_ids=tuple(t.case_id for t in items),
                    aliases=tuple(t.case.alias for t in items),
                    theme=book.by_id[code].theme or "",
                )
            )
    return Plan(tuple(rows), total, len(weeks), with_join, tuple(sorted(notices)))


CSV_COLUMNS = (
    "week",
    "rank",
    "theme_code",
    "theme_label",
    "posts",
    "week_posts",
    "share",
    "joins",
    "passage_ids",
    "case_ids",
    "aliases",
    "theme",
)


def csv_rows(result: Plan) -> Iterator[list[str]]:
    """The plan as CSV rows (without the header ``CSV_COLUMNS``); lists are ``;``-separated."""
    for r in result.rows:
        yield [
            r.week,
            str(r.rank),
            r.code,
            r.label,
            str(r.posts),
            str(r.week_posts),
            f"{r.share:.4f}",
            r.joins,
            ";".join(r.passage_ids),
            ";".join(r.case_ids),
            ";".join(r.aliases),
            r.theme,
        ]
