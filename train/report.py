"""The end-to-end report: uplift table, generation statistics, plots, rollout GIFs, timings, and
the exact config, as report.md and report.html in <out>/report/."""

from __future__ import annotations

import html
import json
import shutil
from pathlib import Path
from typing import Any

import yaml

from .goals import uplift_goal
from .run_layout import ARM_LABELS, ARMS, calibration_dir, generation_profile, run_cameras, run_data_dirs, same_as
from .trainer import read_loss_log


def _plots(out: Path, report: Path, evals: dict[str, dict]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    arms = list(evals)
    rates = [evals[a]["success_rate"] for a in arms]
    lo = [max(0.0, r - evals[a]["ci95"][0]) for a, r in zip(arms, rates)]  # max: float rounding at 0/n, n/n
    hi = [max(0.0, evals[a]["ci95"][1] - r) for a, r in zip(arms, rates)]
    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    ax.bar([ARM_LABELS[a] for a in arms], rates, yerr=[lo, hi], capsize=6, color=["#9a9a9a", "#6c9bd1", "#2e7d32"])
    ax.set(ylim=(0, 1.05), ylabel="success rate (Wilson 95 % CI)", title="success in the target domain")
    for i, r in enumerate(rates):
        ax.text(i, r + 0.02, f"{r:.0%}", ha="center")
    fig.tight_layout()
    fig.savefig(report / "success.png", dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    for arm in arms:
        log = read_loss_log(out / "runs" / arm)
        if log:
            steps, losses = zip(*log)
            ax.plot(steps, losses, label=ARM_LABELS[arm])
    ax.set(xlabel="step", ylabel="training loss", yscale="log", title="training loss")
    if ax.lines:  # an arm trained by none (another arm's policy) draws nothing
        ax.legend()
    fig.tight_layout()
    fig.savefig(report / "loss.png", dpi=110)
    plt.close(fig)


def write_report(out: Path, config, task: str, timings: dict[str, float]) -> dict[str, Any]:
    report = out / "report"
    report.mkdir(exist_ok=True)
    (report / "config.yaml").write_text(yaml.safe_dump(config.model_dump(), sort_keys=False))
    evals = {arm: json.loads((out / "eval" / arm / "eval.json").read_text()) for arm in ARM_LABELS}
    gen_stats = json.loads((run_data_dirs(out)[1] / "meta" / "generation_stats.json").read_text())
    _plots(out, report, evals)
    gifs = {}
    for arm in ARM_LABELS:
        found = sorted((out / "eval" / arm).glob("rollout_*.gif"))
        if found:
            gifs[arm] = f"rollout_{arm}.gif"
            shutil.copyfile(found[0], report / gifs[arm])

    real, mixed = evals["real_only"]["success_rate"], evals["real_synthetic"]["success_rate"]
    uplift = mixed - real
    shared = "".join(
        f" The {ARM_LABELS[arm]} policy is the {ARM_LABELS[other]} one: at co-training ratio 0 no batch holds a"
        " real frame, and the real demos seed generation only."
        for arm, other in same_as(config).items()
    )
    goal = uplift_goal(task, config.obs, wide=config.reset_widen > 1)
    met = goal.met(real, mixed)
    verdict = (
        f"real + synthetic reached {mixed:.0%} in `{evaluated_in(config)}`, {uplift * 100:+.0f} points over real only: "
        f"{'meets' if met else 'falls short of'} the goal ({goal.describe()}).{shared}"
    )
    numbers = {
        "task": task,
        "arms": {
            a: {k: evals[a][k] for k in ("success_rate", "ci95", "successes", "episodes", "mean_length")} for a in evals
        },
        "uplift": uplift,
        "generation": gen_stats,
        "timings_s": timings,
        "verdict": verdict,
        "goal_met": met,
    }

    rows = [
        (
            ARM_LABELS[a],
            f"{e['successes']}/{e['episodes']}",
            f"{e['success_rate']:.0%}",
            f"{e['ci95'][0]:.0%}–{e['ci95'][1]:.0%}",
            f"{e['mean_length']:.1f}",
        )
        for a, e in evals.items()
    ]
    causes = gen_stats.get("failure_causes", {})
    gen_rows = [("kept", str(gen_stats["episodes"]), f"{gen_stats['success_rate']:.1%}")] + [
        (f"failed: {c}", str(n), f"{n / max(gen_stats['attempts'], 1):.1%}") for c, n in causes.items()
    ]
    time_rows = [(name, f"{sec:.1f}") for name, sec in timings.items()] + [("total", f"{sum(timings.values()):.1f}")]
    calibration = _calibration(out, config)
    numbers["generation_profile"] = generation_profile(config, out)
    (report / "results.json").write_text(json.dumps(numbers, indent=2))
    md = _markdown(task, config, rows, gen_rows, time_rows, gifs, verdict, gen_stats, calibration)
    (report / "report.md").write_text(md)
    html_page = _html(task, config, rows, gen_rows, time_rows, gifs, verdict, gen_stats, calibration)
    (report / "report.html").write_text(html_page)
    return numbers


def _calibration(out: Path, config) -> tuple[str, list[tuple[str, ...]]]:
    """What the calibration stage found, as (a sentence, table rows: parameter, identified, ± 1 σ,
    the configured generation profile's range, the range generated in)."""
    from ..augment.domain.calibrate import CalibrationResult
    from ..augment.domain.profiles import load_profile

    folder = calibration_dir(out)
    if (
        config.calibration == "off"
        or not (folder / "result.json").is_file()
        and not (folder / "skipped.json").is_file()
    ):
        return f"Calibration off: generated in `{config.profile_generate}`.", []
    if (folder / "skipped.json").is_file():
        why = json.loads((folder / "skipped.json").read_text())["reason"]
        return f"Calibration skipped ({why}): generated in `{config.profile_generate}`.", []
    result = CalibrationResult.load(folder / "result.json")
    rows = result.rows(load_profile(config.profile_generate), load_profile(generation_profile(config, out)))
    text = (
        f"Calibrated from the real demos in {result.seconds:.0f} s ({result.segments} replayed stretches, "
        f"prediction residual {result.residual_rms * 1e3:.2f} mrad/mm); generated in "
        f"`{config.calibration}` mode: `calibration/calibrated.toml`."
    )
    return text, rows


CALIBRATION_HEADER = ("parameter", "identified", "± 1 σ", "generation profile's range", "generated in")


def _trained(config, code=lambda text: f"`{text}`") -> str:
    """ "two `bc` policies reading ...": the arms that were trained (at ratio 0 real + synthetic is
    the synthetic-only policy, trained once) and what their observations hold."""
    count = ("one", "two", "three")[len(ARMS) - len(same_as(config)) - 1]
    cameras = run_cameras(config)
    reads = f"the {' + '.join(cameras)} cameras and proprioception" if cameras else "proprioception and object poses"
    return f"{count} {code(config.policy)} policies reading {reads}"


def _md_table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def evaluated_in(config) -> str:
    """The domain the arms were evaluated in, as the report names it: the target profile, and how much
    wider its resets were drawn where the run widened them."""
    wide = f" (resets ×{config.reset_widen:g})" if config.reset_widen != 1.0 else ""
    return f"{config.profile_target}{wide}"


def _widening(config) -> str:
    """The report's sentence on a run that widened the resets (MimicGen's D1); empty otherwise."""
    if config.reset_widen == 1.0:
        return ""
    return (
        f" Generation and evaluation placed objects from reset ranges {config.reset_widen:g} times as wide as the"
        " real demos' (MimicGen's D1: `profiles/generate_wide.toml`, `profiles/evaluate_wide.toml`), so the"
        " policies meet starting poses no real demo began from."
    )


def _markdown(task, config, rows, gen_rows, time_rows, gifs, verdict, gen_stats, calibration) -> str:
    gif_lines = "\n".join(f"![{ARM_LABELS[a]}]({g}) " for a, g in gifs.items())
    return f"""# demoforge report: {task}

{config.real_demos} human-like demos recorded in the `{config.profile_target}` domain (the stand-in for the real
world), {config.synthetic_demos} synthetic demos generated from them in `{config.profile_generate}`, {_trained(config)}
trained with the same budget and seed, each evaluated at its **last checkpoint** (no checkpoint selection) for
{config.eval_episodes} episodes in `{evaluated_in(config)}` (never used for generation).{_widening(config)}

## Uplift

{_md_table(("training data", "successes", "success", "Wilson 95 % CI", "mean length (steps)"), rows)}

**Verdict:** {verdict}

![success](success.png)

## Calibration

{calibration[0]}

{_md_table(CALIBRATION_HEADER, calibration[1]) if calibration[1] else ""}

## Generation

{gen_stats["attempts"]} attempts:

{_md_table(("outcome", "attempts", "share"), gen_rows)}

Coverage of initial object positions: `data/synthetic/plots/coverage.png`.

## Training

![loss](loss.png)

## Rollouts in `{evaluated_in(config)}`

{gif_lines}

## Stage timings (s)

{_md_table(("stage", "seconds"), time_rows)}

Reproduce: `demoforge run --config report/config.yaml --out <folder>`.
"""


def _html_table(header, rows) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _html(task, config, rows, gen_rows, time_rows, gifs, verdict, gen_stats, calibration) -> str:
    gifs_html = "".join(
        f'<figure><img src="{g}" width="192"><figcaption>{html.escape(ARM_LABELS[a])}</figcaption></figure>'
        for a, g in gifs.items()
    )
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>demoforge report: {html.escape(task)}</title>
<style>body{{font-family:sans-serif;max-width:900px;margin:2em auto}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:4px 10px;text-align:right}}td:first-child,th:first-child{{text-align:left}}
figure{{display:inline-block;margin:0 1em 0 0}}</style></head><body>
<h1>demoforge report: {html.escape(task)}</h1>
<p>{config.real_demos} human-like demos in <code>{html.escape(config.profile_target)}</code>, {config.synthetic_demos} synthetic demos
generated in <code>{html.escape(config.profile_generate)}</code>, {_trained(config, lambda t: f"<code>{html.escape(t)}</code>")},
each evaluated at its last checkpoint (no checkpoint selection) for {config.eval_episodes} episodes in
<code>{html.escape(evaluated_in(config))}</code>.{html.escape(_widening(config).replace("`", ""))}</p>
<h2>Uplift</h2>{_html_table(("training data", "successes", "success", "Wilson 95 % CI", "mean length (steps)"), rows)}
<p><b>Verdict:</b> {html.escape(verdict.replace("`", ""))}</p><img src="success.png">
<h2>Calibration</h2><p>{html.escape(calibration[0].replace("`", ""))}</p>{_html_table(CALIBRATION_HEADER, calibration[1]) if calibration[1] else ""}
<h2>Generation</h2><p>{gen_stats["attempts"]} attempts</p>{_html_table(("outcome", "attempts", "share"), gen_rows)}
<h2>Training</h2><img src="loss.png">
<h2>Rollouts</h2>{gifs_html}
<h2>Stage timings (s)</h2>{_html_table(("stage", "seconds"), time_rows)}
<p>Reproduce: <code>demoforge run --config report/config.yaml --out &lt;folder&gt;</code></p>
</body></html>
"""
