"""Figures of the covariate model and of the identifying assumption.

* :func:`sensitivity_figure`: the total as a function of the sensitivity parameter of
  :mod:`undercount.estimators.sensitivity`, with its interval, the documented count, and the point
  where the model's assumption holds marked.
* :func:`catchability_figure`: for each covariate level, the estimated share of its people that each
  list documented (which people each list misses), from the covariate model, each with its Wald
  interval from the model's covariance (:func:`undercount.estimators.loglinear_cov.catchability`);
  beside it the weights of the best models of the search.
"""

from __future__ import annotations

import math

import pandas as pd
from plotnine import (
    aes,
    annotate,
    coord_flip,
    facet_wrap,
    geom_col,
    geom_hline,
    geom_line,
    geom_point,
    geom_pointrange,
    geom_ribbon,
    geom_vline,
    ggplot,
    labs,
    position_dodge,
    scale_x_log10,
    scale_y_continuous,
    theme,
)

from ..estimators.sensitivity import EXPLANATION, family_note
from ..results.result import EstimateResult
from .common import SYNTHETIC_LABEL, NothingToDraw, theme_undercount


def sensitivity_figure(curve: pd.DataFrame, result: EstimateResult, *, title: str, synthetic: bool):
    """(plot, data): the total across the range of the sensitivity parameter.

    Raises
    ------
    NothingToDraw
        The estimate has no curve (not estimable): no placeholder image is made.
    """
    if curve.empty:
        raise NothingToDraw(result.warnings[-1] if result.warnings else "no estimate")
    data = curve.copy()
    finite_high = data["ci_high"].replace(math.inf, float("nan"))
    data["ci_high_drawn"] = finite_high.fillna(data["n_hat"].max() * 10)
    holds = data[data["assumption_holds"]]
    plot = (
        ggplot(data, aes("ratio", "n_hat"))
        + geom_ribbon(aes(ymin="ci_low", ymax="ci_high_drawn"), fill="#2c7fb8", alpha=0.2)
        + geom_line(color="#2c7fb8", size=1)
        + geom_hline(yintercept=float(result.n_observed), linetype="dashed", color="#555555")
        + geom_vline(xintercept=1.0, linetype="dotted", color="#c0392b")
        + geom_point(holds, aes("ratio", "n_hat"), color="#c0392b", size=3)
        + annotate(
            "text",
            x=1.0,
            y=float(holds["n_hat"].iloc[0]) if len(holds) else float(result.n_hat),
            label="  the model's assumption",
            ha="left",
            va="top",
            size=8,
            color="#c0392b",
        )
        + scale_x_log10(breaks=[0.25, 0.5, 1, 2, 4], labels=["1/4", "1/2", "1", "2", "4"])
        + scale_y_continuous(labels=lambda values: [f"{v:,.0f}" for v in values])
        + labs(
            x="people missed by every list, as a multiple of what the model assumes (exp ξ; log scale)",
            y="estimated total",
            title=title,
            subtitle=SYNTHETIC_LABEL
            if synthetic
            else f"{result.method}: sensitivity to the identifying assumption",
            caption=(
                f"{EXPLANATION} {family_note(result.method)} Shaded: {round(100 * result.ci_level)}% interval at "
                "each multiple; dashed: "
                f"the {result.n_observed:,} people documented. Aleshin-Guendel, Sadinle and Wakefield (2024)."
            ),
        )
        + theme_undercount()
    )
    return plot, data.drop(columns=["ci_high_drawn"])


def catchability_data(result: EstimateResult) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The catchability table and the top models' weights of a loglinear-cov result."""
    extra = result.details.extra
    catch = pd.DataFrame(list(extra.get("catchability", [])))
    weights = pd.DataFrame(list(extra.get("top_models", [])))
    return catch, weights


def catchability_figure(result: EstimateResult, *, title: str, synthetic: bool):
    """(plot, data): who each list documents, by covariate level, and the models' weights.

    Raises
    ------
    NothingToDraw
        The model gave no estimate: no placeholder image is made.
    """
    if not result.estimable:
        raise NothingToDraw(result.warnings[-1] if result.warnings else "no estimate")
    catch, weights = catchability_data(result)
    catch = catch.assign(level=catch["level"].astype(str))
    if "ci_low" not in catch:  # a result written before the shares had intervals
        raise NothingToDraw("the result's catchability shares have no intervals: re-run the estimate")
    order = list(dict.fromkeys(catch["level"]))
    catch["level"] = pd.Categorical(catch["level"], categories=order, ordered=True)
    dodge = position_dodge(width=0.5)
    level_pct = round(100 * float(catch["ci_level"].iloc[0])) if len(catch) else round(100 * result.ci_level)
    left = (
        ggplot(catch, aes("level", "share_documented", color="list", group="list"))
        + geom_pointrange(aes(ymin="ci_low", ymax="ci_high"), position=dodge, size=0.4)
        + facet_wrap("covariate", scales="free_x")
        + scale_y_continuous(limits=(0, 1), labels=lambda values: [f"{v:.0%}" for v in values])
        + labs(
            x="",
            y="share of the estimated people the list documented",
            color="list",
            title=title,
            subtitle=SYNTHETIC_LABEL if synthetic else "covariate model: which people each list misses",
            caption=(
                f"From the best model of the search ({result.details.extra.get('selected_model', '')}):\n"
                "the fitted people per covariate level, the undocumented included. Bars: "
                f"{level_pct}% Wald intervals (logit scale, delta method)\nfrom that model's covariance, given "
                "the model; the total's bootstrap interval (results/.../estimates) also carries the choice of model."
            ),
        )
        + theme_undercount()
        + theme(legend_position="bottom")
    )
    w = weights.head(8).copy()
    w["model"] = pd.Categorical(w["model"], categories=list(w["model"])[::-1], ordered=True)
    right = (
        ggplot(w, aes("model", "weight"))
        + geom_col(fill="#2c7fb8")
        + coord_flip()
        + scale_y_continuous(limits=(0, 1))
        + labs(
            x="",
            y=f"{str(result.details.extra.get('criterion', 'aic')).upper()} weight",
            title="weights of the best models",
            subtitle=SYNTHETIC_LABEL if synthetic else None,
            caption=(
                f"{len(weights)} of {result.details.extra.get('candidates_fitted', '?')} candidates shown at most; "
                "the total is their weighted mean; its interval comes from a bootstrap that repeats the search "
                "and the weighting."
            ),
        )
        + theme_undercount()
    )
    data = pd.concat(
        [catch.assign(panel="catchability"), weights.assign(panel="weights")], ignore_index=True, sort=False
    )
    return left / right, data
