"""The four-box selection matrix (directional policy matrix).

Customer attractiveness (0–10) against our relative strength as the customer sees it (0–10),
split at configurable thresholds (McDonald, Millman & Rogers 1997; DESIGN.md §4):

============================  ===================  ==================
                              strength ≥ threshold  strength < threshold
============================  ===================  ==================
attractiveness ≥ threshold    key                  key development
attractiveness < threshold    maintenance          opportunistic
============================  ===================  ==================
"""

from __future__ import annotations

__all__ = ["QUADRANTS", "quadrant"]

QUADRANTS = ("key", "key_development", "maintenance", "opportunistic")


def quadrant(attractiveness: float, strength: float, a_threshold: float, s_threshold: float) -> str:
    """The quadrant of an account; a score equal to a threshold counts as high."""
    high_a = attractiveness >= a_threshold
    high_s = strength >= s_threshold
    if high_a:
        return "key" if high_s else "key_development"
    return "maintenance" if high_s else "opportunistic"
