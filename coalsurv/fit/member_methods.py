"""The :class:`~coalsurv.Fit` methods of multiple-membership (``mm()``) models.

A mixin of :class:`coalsurv.Fit`: member effects, member counterfactuals and the variance
decomposition by level (which also serves models without ``mm()``).
"""

from __future__ import annotations

import pandas as pd

from coalsurv._stats import DEFAULT_CI_PROB

__all__ = ["MemberMethods"]


class MemberMethods:
    """Member-level results of a fit (mixed into :class:`coalsurv.Fit`)."""

    def member_effects(self, *, ci_prob: float = DEFAULT_CI_PROB) -> pd.DataFrame:
        """Member random effects ``u_mm`` of an ``mm()`` model (log scale), by member.

        Columns: ``cause`` (several causes only), ``member``, ``mean``, ``lower``, ``upper``,
        ``n_coalitions`` (memberships in the data), ``ci_prob``.
        """
        from coalsurv.fit.members import member_effects

        return member_effects(self, ci_prob=ci_prob)

    def member_counterfactual(self, coalition, *, drop=(), shares: dict | None = None,
                              quantity: str = "median", times=None,
                              newdata: pd.DataFrame | None = None,
                              members: pd.DataFrame | None = None,
                              ci_prob: float = DEFAULT_CI_PROB) -> pd.DataFrame:
        """One coalition with its members as they are and with changed members.

        "The same cabinet without party k": ``drop=["k"]``; "party k with twice the seats":
        ``shares={"k": 2.0}`` (the share is multiplied, then the weights are renormalised).
        Both predictions use the same posterior draws (:mod:`coalsurv.fit.member_counterfactual`).

        Parameters
        ----------
        coalition
            Id of a fitted coalition, or of a row of ``newdata`` (a new coalition).
        drop : str or sequence of str
            Members to remove.
        shares : dict of str to float, optional
            Factor (> 0) multiplying each named member's share.
        quantity : {"median", "rmst", "survival", "hazard"}
            Median lifespan, RMST up to ``max(times)``, survival or all-cause hazard at
            ``times`` (default: the median observed time).
        newdata, members : DataFrame, optional
            The coalition's row and members table; default the fitting data's.
        ci_prob : float

        Returns
        -------
        DataFrame
            ``what`` ("factual", "counterfactual", "difference" = counterfactual - factual),
            ``coalition``, ``time`` (survival, hazard, rmst), ``mean``, ``lower``, ``upper``,
            ``ci_prob``.
        """
        from coalsurv.fit.member_counterfactual import member_counterfactual

        return member_counterfactual(self, coalition, drop=drop, shares=shares,
                                     quantity=quantity, times=times, newdata=newdata,
                                     members=members, ci_prob=ci_prob)

    def variance_components(self, *, method: str = "finite",
                            ci_prob: float = DEFAULT_CI_PROB) -> pd.DataFrame:
        """Split of the linear predictor's variance into coalition, member and group levels.

        Per draw: the variance over the fitted coalitions of ``x_i' beta`` (coalition
        covariates), of the weighted member covariates and member effects of an ``mm()``
        term, and of each group frailty; ``share`` is each part over their sum
        (:mod:`coalsurv.fit.variance` gives the formula and what it leaves out).

        Parameters
        ----------
        method : {"finite", "bml"}
            ``"finite"``: the variances above over the fitted coalitions. ``"bml"``: bml's
            ``varDecomp``, model-based variances of the random components only,
            ``sd_mm^2 * mean_i sum_k w_ik^2`` and ``sd_g^2``, shares among them.
        ci_prob : float

        Returns
        -------
        DataFrame
            ``cause`` (several causes only), ``component``, ``level`` ("coalition", "member",
            "group"), ``mean``, ``lower``, ``upper`` (of the variance), ``share``,
            ``share_lower``, ``share_upper``, ``ci_prob``.
        """
        from coalsurv.fit.variance import variance_components

        return variance_components(self, method=method, ci_prob=ci_prob)
