"""quiz.bank.select on a mix bank (the capstone): an n smaller than the pool is taken round-robin across
the topics (no seed), the seeded path is unchanged, ids= is unchanged."""

from __future__ import annotations

from pathlib import Path

import yaml

from vpnlearn.quiz.bank import load_bank, select

ROOT = Path(__file__).resolve().parents[1]
BANKS = ROOT / "quizzes"


def _pools() -> tuple[list[str], list[list[str]]]:
    cap = load_bank(BANKS / "capstone.yaml")
    topics = list(cap.mix_topics)
    return topics, [[q.id for q in select(t, bank_dir=BANKS)[1][: cap.per_topic]] for t in topics]


def test_small_n_takes_one_question_from_every_topic_first() -> None:
    topics, pools = _pools()
    assert len(topics) > 10  # the case that used to return only the first five topics
    _, qs = select("capstone", n=10, bank_dir=BANKS)
    assert [q.topic for q in qs] == topics[:10]
    assert [q.id for q in qs] == [p[0] for p in pools[:10]]
    # One past the topics: the first of every topic, then the second of the first topic(s).
    _, qs = select("capstone", n=len(topics) + 2, bank_dir=BANKS)
    assert [q.id for q in qs] == [p[0] for p in pools] + [pools[0][1], pools[1][1]]
    # Deterministic without a seed.
    assert [q.id for q in select("capstone", n=7, bank_dir=BANKS)[1]] == [p[0] for p in pools[:7]]


def test_n_at_least_the_pool_and_no_n_keep_the_grouped_pool() -> None:
    _, pools = _pools()
    flat = [i for p in pools for i in p]
    assert [q.id for q in select("capstone", bank_dir=BANKS)[1]] == flat
    assert [q.id for q in select("capstone", n=len(flat), bank_dir=BANKS)[1]] == flat
    assert [q.id for q in select("capstone", n=len(flat) + 5, bank_dir=BANKS)[1]] == flat


def test_seeded_and_ids_selection_unchanged() -> None:
    cap = load_bank(BANKS / "capstone.yaml")
    _, full = select("capstone", seed="class-2026", bank_dir=BANKS)
    assert len(full) == cap.per_topic * len(cap.mix_topics)
    # The seeded path: per-topic seeded samples, grouped by topic, then the first n of that.
    _, some = select("capstone", n=10, seed="class-2026", bank_dir=BANKS)
    assert [q.id for q in some] == [q.id for q in full[:10]]
    assert [q.id for q in select("capstone", n=10, seed="class-2026", bank_dir=BANKS)[1]] == \
        [q.id for q in some]
    ids = [full[5].id, full[0].id, full[3].id]
    assert [q.id for q in select("capstone", ids=ids, n=2, bank_dir=BANKS)[1]] == ids[:2]


def test_round_robin_skips_a_topic_that_runs_out(tmp_path: Path) -> None:
    # A topic with fewer questions than per_topic: later rounds go on without it.
    src = {t: yaml.safe_load((BANKS / f"{t}.yaml").read_text()) for t in ("crypto", "ikev2", "cloudhub")}
    src["ikev2"]["questions"] = src["ikev2"]["questions"][:1]
    for t, data in src.items():
        (tmp_path / f"{t}.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    (tmp_path / "mixed.yaml").write_text(yaml.safe_dump(
        {"topic": "capstone", "title": "mixed",
         "mix": {"topics": ["crypto", "ikev2", "cloudhub"], "per_topic": 3}}))
    c, i, h = ([q["id"] for q in src[t]["questions"][:3]] for t in ("crypto", "ikev2", "cloudhub"))
    got = [q.id for q in select("mixed", n=6, bank_dir=tmp_path)[1]]
    assert got == [c[0], i[0], h[0], c[1], h[1], c[2]]
    assert [q.id for q in select("mixed", bank_dir=tmp_path)[1]] == c + i + h
