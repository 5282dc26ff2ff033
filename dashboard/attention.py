"""Estates needing attention: worst on SLA, satisfaction and escalations among estates with
enough tickets to judge. Pure: the league table and the targets in."""
from __future__ import annotations

import pandas as pd

from data_access import Settings


def estates_needing_attention(league: pd.DataFrame, settings: Settings, limit: int = 8) -> pd.DataFrame:
    judged = league[league["tickets"] >= settings.attention_min_tickets].copy()
    if judged.empty:
        return judged.assign(reasons=[])
    reasons = pd.DataFrame(index=judged.index)
    reasons["sla"] = judged["within_sla_pct"].astype(float) < settings.target_within_sla_pct - settings.amber_margin_pct
    reasons["csat"] = judged["csat_pct"].astype(float) < settings.target_csat_pct - settings.amber_margin_pct
    reasons["escalation"] = judged["escalation_rate_pct"].astype(float) > settings.ceiling_escalation_rate_pct + settings.amber_margin_pct
    names = list(reasons.columns)  # by plain rows: a pandas apply per estate costs ~10 us each
    judged["reasons"] = [[n for n, flagged in zip(names, row) if flagged] for row in reasons.itertuples(index=False)]
    judged["flags"] = reasons.sum(axis=1)
    flagged = judged[judged["flags"] > 0]
    # Most reasons first, then the furthest below the SLA target.
    ordered = flagged.sort_values(["flags", "within_sla_pct", "csat_pct"], ascending=[False, True, True], na_position="last")
    return ordered.head(limit).reset_index(drop=True)
