"""What the native plan hands the kernel: the free blocks and the accepted structure.

:class:`KernelPlan` is built by :func:`coalsurv.backend.native.plan` from a built PyMC model and
read by the buffer packer (:mod:`coalsurv.backend.native_buffer`) and the nutpie wrapper.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Block", "KernelPlan"]


@dataclass(frozen=True)
class Block:
    """One free variable of the model: its slice of the unconstrained vector and its prior.

    ``shape`` is the constrained (traced) shape; a ``zerosum`` block (``strata_dev``, a PyMC
    ``ZeroSumNormal`` over its last axis) is sampled on one value fewer per row.
    """

    name: str
    dims: tuple[str, ...]
    shape: tuple[int, ...]
    offset: int
    log_transformed: bool
    prior: tuple[int, float, float, float]
    zerosum: bool = False

    @property
    def free_shape(self) -> tuple[int, ...]:
        """Shape on the unconstrained scale."""
        return (*self.shape[:-1], self.shape[-1] - 1) if self.zerosum else self.shape

    @property
    def size(self) -> int:
        """Number of unconstrained scalars."""
        return int(np.prod(self.free_shape)) if self.free_shape else 1


@dataclass(frozen=True)
class KernelPlan:
    """What the kernel computes for one accepted model structure."""

    family: str
    causes: int
    terms: int
    centred: bool
    theta: str | None
    groups: tuple[str, ...]
    levels: tuple[int, ...]
    blocks: tuple[Block, ...]
    deterministics: tuple[tuple[str, tuple[str, ...], tuple[int, ...]], ...]
    coords: dict[str, Any] = field(compare=False)
    cuts: tuple[float, ...] | None = None  # piecewise: interior cut points (model time scale)
    std: float = 0  # AFT: power of theta in the scale of log T (priors on eta/sigma); else 0
    per_baseline: bool = False  # theta sampled per unit of the baseline hazard (Gompertz)
    centred_groups: tuple[str, ...] = ()  # frailty intercepts sampled as u ~ Normal(0, sd)
    hier_groups: tuple[str, ...] = ()  # ... as w ~ Normal(intercept, sd), u = w - intercept
    strata: int = 0  # strata (0: none)
    strata_level: bool = False  # strata_dev (cause, stratum) added to eta
    strata_theta: bool = False  # the family parameter per (cause, stratum)
    shape_terms: int = 0  # shape covariates (beta_shape (cause, shape_term), Z_shape)
    mm_weights: str = ""  # mm() term: its weights ("" without one)
    mm_sum_to_one: bool = True
    mm_terms: int = 0  # member covariates (beta_mm (cause, mm_term), mm_X)
    mm_params: tuple[str, ...] = ()  # names of the weight parameters (gamma; b0, b1)
    cure: str = ""  # "" (none), "mixture" or "promotion"
    cure_link: str = "logit"
    cure_terms: int = 0  # cure covariates (cure_beta (cure_term,), Z_cure)
    tve: tuple = ()  # tve() terms (coalsurv.backend.plan_tve.TveTerm), graph order
    tve_grid: bool = False  # the smooth terms' quadrature grid (else the piecewise terms' cuts)
    tve_bounds: tuple[float, ...] = ()  # interior cell bounds of the tve likelihood
    spline_knots: tuple[float, ...] | None = None  # rp: all knots (log model time)
    spline_scale: str = "hazard"  # rp: "hazard" or "odds"
    # varying slopes (group name, slope variable name <g>_<x>, column of X), graph order
    slopes: tuple[tuple[str, str, int], ...] = ()
    spells: int = 0  # time-varying covariates: 0 none, 1 a row per spell, 2 episode curves
    # separate variables of the graph (per-cause or per-term priors) stacked into one block:
    # (stacked name, its parts in x order), e.g. ("beta", ("beta_x1", "beta_x2"))
    stacked: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # a joint prior (coalsurv.backend.plan_joint): the kernel's blocks of the parameters it
    # carries (offsets after the graph's x) and the map from x to them; else () and None
    ext_blocks: tuple[Block, ...] = ()
    joint: Any = field(default=None, compare=False)
    # mm(centring="rotation") (coalsurv.backend.plan_rotation.RotationPlan): ``blocks`` are the
    # kernel's non-centred ones; the graph's sampled blocks and traced names are its own
    rotation: Any = field(default=None, compare=False)

    def level_block(self, group: str) -> Block:
        """Return the sampled levels of a frailty intercept: ``w_``, ``u_`` or ``z_<g>``."""
        if group in self.hier_groups:
            return self.block(f"w_{group}")
        return self.block(f"{'u' if group in self.centred_groups else 'z'}_{group}")

    def group_mode(self, group: str) -> int:
        """Kernel code of a frailty intercept: 0 non-centred, 1 centred, 2 on the intercept."""
        return 2 if group in self.hier_groups else int(group in self.centred_groups)

    @property
    def intercept_block(self) -> Block:
        """The kernel's intercept block (sampled, stacked or carried by a joint prior)."""
        if self.joint is None:
            return self.blocks[0]
        return self.block("intercept_offset" if self.centred else "intercept")

    @property
    def beta_name(self) -> str:
        """The sampled coefficients: ``beta_std`` (AFT, on eta/sigma) or ``beta``."""
        return "beta_std" if self.std else "beta"

    @property
    def ndim(self) -> int:
        """Length of the unconstrained vector."""
        return sum(b.size for b in self.blocks)

    @property
    def expanded(self) -> list[tuple[str, tuple[str, ...], tuple[int, ...]]]:
        """Traced variables (name, dims, shape) in :func:`kernel.expand` order."""
        return [(b.name, b.dims, b.shape) for b in self.blocks] + list(self.deterministics)

    @property
    def nexp(self) -> int:
        """Length of the expanded vector."""
        return sum(int(np.prod(s)) for _, _, s in self.expanded)

    @property
    def traced(self) -> list[tuple[str, tuple[str, ...], tuple[int, ...]]]:
        """What nutpie traces (name, dims, shape): :attr:`expanded`, or the rotation's."""
        if self.rotation is None:
            return self.expanded
        return (list(self.rotation.outer) + list(self.deterministics)
                + list(self.rotation.extras))

    @property
    def ntraced(self) -> int:
        """Length of the traced vector."""
        return sum(int(np.prod(s)) for _, _, s in self.traced)

    def block(self, name: str) -> Block:
        """Return the block of a free variable by name (or of a stacked one: its parts).

        A stacked block spans its parts' values with the prior code ``TABLE_CODE`` (a prior
        per value; the table's position is written by ``plan_ext.fill_ext``).
        """
        found = next((b for b in (*self.blocks, *self.ext_blocks) if b.name == name), None)
        if found is not None or name not in dict(self.stacked):
            return found if found is not None else next(b for b in self.blocks if b.name == name)
        from coalsurv.backend.kernel_priors import TABLE_CODE

        first = self.block(dict(self.stacked)[name][0])
        dims, shape = next((d, s) for n, d, s in self.deterministics if n == name)
        return Block(name, dims, shape, first.offset, first.log_transformed,
                     (TABLE_CODE, 0.0, 0.0, 0.0))
