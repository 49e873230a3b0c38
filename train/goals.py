"""What a `demoforge run` promises: real + synthetic in the target domain reaches a success rate and
beats real only by a margin. One rule per task and observation mode, read by the report's verdict and
by `python -m benchmarks uplift` / `vision`, so they cannot disagree about a run."""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class UpliftGoal:
    success: float  # real + synthetic in the target domain
    uplift: float = 0.30  # points over real only ...
    strong_real: float = 0.60  # ... unless real only is already above this,
    success_if_strong: float = 0.95  # where real + synthetic must reach this instead
    source: str = ""  # what the goal is for, in words a report reader understands

    def met(self, real: float, mixed: float) -> bool:
        if real > self.strong_real:
            return mixed >= self.success_if_strong
        return mixed >= self.success and mixed - real >= self.uplift

    def describe(self) -> str:
        return (
            f"≥ {self.success:.0%} and ≥ +{self.uplift * 100:.0f} points over real only, or ≥ "
            f"{self.success_if_strong:.0%} where real only exceeds {self.strong_real:.0%}; {self.source}"
        )


# State policies: 90 %, PegInsert 80 % (a contact-rich insertion learnt from ten hesitant demos).
# Vision policies: 85 % for every task, sized to 84 px cameras and a 2-core training budget.
_STATE = UpliftGoal(0.90, source="the product goal for state policies")
_GOALS = {
    ("state", "PegInsert"): UpliftGoal(
        0.80, source="the product goal for state policies, 80 % for PegInsert (contact-rich, from ten hesitant demos)"
    ),
    ("vision", None): UpliftGoal(
        0.85, source="the product goal for vision policies (84 px cameras, a 2-core training budget)"
    ),
}


# MimicGen's D1 (generation and evaluation in a wider reset distribution than the source demos'):
# its own table loses 6–37 points from D0 to D1; demoforge asks for 15 fewer.
WIDE_DISCOUNT = 0.15


def uplift_goal(task: str, obs: str, wide: bool = False) -> UpliftGoal:
    """The goal of a run of `task` in observation mode `obs`; `wide`: a run that generates and
    evaluates in wider reset ranges than its real demos cover (RunConfig.reset_widen > 1)."""
    goal = _GOALS.get((obs, task)) or _GOALS.get((obs, None)) or _STATE
    if not wide:
        return goal
    return replace(
        goal,
        success=goal.success - WIDE_DISCOUNT,
        success_if_strong=goal.success_if_strong - WIDE_DISCOUNT,
        source=f"{goal.source}; {WIDE_DISCOUNT * 100:.0f} points lower in a wider reset distribution than the real "
        "demos' (MimicGen's D1)",
    )
