"""The imported-history evaluation on a few held-out users: the protocol holds (no held-out
rating in the collaborative fit, hidden films never in the imported history) and it reports
every arm."""

from __future__ import annotations

import numpy as np
import pytest
import sqlalchemy as sa

from chatrec.eval.history import ARMS, evaluate, held_out_users, markdown, split_user
from chatrec.eval.offline import ratings_of
from chatrec.store.sql import users_table

pytestmark = pytest.mark.slow


def test_split_hides_the_latest_liked_films(movies_rec) -> None:  # type: ignore[no-untyped-def]
    rows = ratings_of(movies_rec)
    (user,) = held_out_users(rows, 1, seed=3, hide=5)
    history, hidden = split_user(rows, user, 5)
    assert len(hidden) == 5 and not hidden & {r.item_id for r in history}
    mask = rows.users == user
    latest = dict(zip(rows.items[mask].astype(str), rows.stamps[mask], strict=True))
    assert max(int(r.when) for r in history) <= min(latest[i] for i in hidden)
    assert all(float(rows.ratings[mask][rows.items[mask].astype(str) == i][0]) >= 4
               for i in hidden)


def test_evaluate_reports_every_arm(movies_rec) -> None:  # type: ignore[no-untyped-def]
    res = evaluate(movies_rec, users=3, hide=5, seed=1, progress=False)
    assert res["users"] == 3 and set(res["arms"]) == set(ARMS)
    for v in res["arms"].values():
        assert 0.0 <= v["ndcg"] <= v["hit_rate"] <= 1.0
    assert "| history |" in markdown(res)
    assert np.isfinite(res["history_sizes"]["median"])
    with movies_rec.store.engine.connect() as c:  # the evaluation's users leave nothing behind
        left = c.execute(sa.select(sa.func.count()).select_from(users_table)
                         .where(users_table.c.id.like("eval-history-%"))).scalar_one()
    assert left == 0
