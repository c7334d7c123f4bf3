"""Slow demotion: it is easier to add a key account than to demote one.

A hysteresis band between an entry threshold *e* and a lower exit threshold *x* ≤ *e* on the
attractiveness score *s*:

- an account that is not key may enter when s ≥ e;
- a key account whose s < x for N consecutive reviews may leave; otherwise it stays
  (a review with s ≥ x resets the count).

The band keeps the portfolio stable against noise in the scores, the usual remedy for
chattering between two states; McDonald & Rogers (2017) and Cheverton (2012) stress that
demoting a key account costs trust and should be deliberate.
"""

from __future__ import annotations

from dataclasses import dataclass

from openkam.engine.selection.criteria import Hysteresis

__all__ = ["Eligibility", "eligibility"]


@dataclass(frozen=True)
class Eligibility:
    """What the hysteresis rule allows for one account at this review.

    ``status``: ``"candidate"`` (may be chosen), ``"retained"`` (key and must stay key),
    ``"demoted"`` (key, below the exit threshold for N consecutive reviews: leaves),
    ``"ineligible"`` (not key and below the entry threshold).
    ``below_exit`` is the count of consecutive reviews below the exit threshold, this one
    included, to carry to the next review.
    """

    status: str
    below_exit: int
    reason: str


def eligibility(score: float, is_key: bool, below_exit: int, rule: Hysteresis) -> Eligibility:
    """Apply the hysteresis rule to one account.

    Parameters
    ----------
    score
        Attractiveness at this review (0–10).
    is_key
        Whether the account is key now.
    below_exit
        Consecutive earlier reviews with the score below the exit threshold.
    rule
        Entry and exit thresholds and the number of reviews N.
    """
    if not is_key:
        if score >= rule.entry:
            return Eligibility("candidate", 0, f"attractiveness {score:.2f} ≥ entry {rule.entry}")
        return Eligibility("ineligible", 0, f"attractiveness {score:.2f} < entry {rule.entry}")
    if score >= rule.exit:
        return Eligibility("retained", 0, f"key; attractiveness {score:.2f} ≥ exit {rule.exit}")
    count = below_exit + 1
    if count >= rule.reviews:
        return Eligibility(
            "demoted",
            count,
            f"key; attractiveness below exit {rule.exit} for {count} consecutive reviews",
        )
    return Eligibility(
        "retained",
        count,
        f"key; attractiveness {score:.2f} < exit {rule.exit} in {count} of "
        f"{rule.reviews} consecutive reviews needed to demote",
    )
