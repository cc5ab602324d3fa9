"""How a fit keeps its pointwise log likelihood: float64, float32, or left out above a limit.

The pointwise log likelihood (what PSIS-LOO, WAIC, ``compare`` and power-scaling sensitivity
read) has draws x rows values: 4 x 1000 draws of 10^5 rows are 3.2 GB as float64, of 10^6
rows 32 GB. So its storage depends on the number of values:

* up to :data:`FLOAT32_ABOVE` (5 x 10^7 values, 400 MB as float64): float64, as always;
* above that and up to the fit's ``pointwise_limit`` (default :data:`POINTWISE_LIMIT`,
  5 x 10^8 values, 2 GB as float32): float32 (7 significant digits; LOO's elpd is a sum of
  log densities of order 1-10 per row, its Monte Carlo error far larger);
* above ``pointwise_limit``: not computed. The posterior's attribute :data:`ATTR` (read by
  ``fit.sampler["log_likelihood"]``) says so, with the size; whatever needs it raises a
  message offering ``fit.add_log_likelihood()``, which computes it on demand.

The native route computes it in chunks of draws (:mod:`coalsurv.backend.kernel_pointwise`).
"""

from __future__ import annotations

__all__ = ["ATTR", "FLOAT32_ABOVE", "POINTWISE_LIMIT", "storage", "skipped_note"]

#: Posterior attribute recording how the pointwise log likelihood is kept.
ATTR = "coalsurv_log_likelihood"
#: Above this many values (draws x rows) the pointwise log likelihood is stored as float32.
FLOAT32_ABOVE = 50_000_000
#: Default ``pointwise_limit``: above this many values it is not computed with the fit.
POINTWISE_LIMIT = 500_000_000


def storage(n_values: int, limit: int) -> str:
    """``"float64"``, ``"float32"`` or ``"skipped"`` for ``n_values`` draws x rows."""
    if n_values > limit:
        return "skipped"
    return "float32" if n_values > FLOAT32_ABOVE else "float64"


def skipped_note(draws: int, rows: int, limit: int) -> str:
    """Return the record of a left-out log likelihood: its size, the limit, the remedy."""
    size = draws * rows
    return (f"skipped: {draws:,} draws x {rows:,} rows = {size:.3g} values exceed "
            f"pointwise_limit={limit:.3g} ({4 * size / 2 ** 30:.1f} GB as float32); "
            "fit.add_log_likelihood() computes it")
