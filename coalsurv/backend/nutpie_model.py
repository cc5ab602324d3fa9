"""The kernel as a nutpie model: the cached C callbacks on nutpie's internal route, or Python.

:func:`compile_native` wraps :mod:`coalsurv.backend.kernel` for one accepted
:class:`~coalsurv.backend.native.KernelPlan` and its data buffer. The ``native`` route hands the
kernel's C callbacks to nutpie's internal model classes (no Python per gradient); it is used
only for the nutpie versions in :data:`TESTED_NUTPIE` (:func:`native_route_available`), else
the public ``nutpie.from_pyfunc`` route calls the same kernel from Python.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass
from typing import Any

import numpy as np

from coalsurv.backend.native import KernelPlan, initial_point

__all__ = ["TESTED_NUTPIE", "native_route_available", "compile_native"]

#: nutpie versions whose internal model classes the native route was checked against.
TESTED_NUTPIE = ("0.16.",)


def native_route_available() -> str:
    """Empty when nutpie's internal model classes are the tested ones; else why not."""
    from coalsurv.backend.nutpie_import import import_nutpie

    nutpie = import_nutpie()

    version = getattr(nutpie, "__version__", "")
    if not version.startswith(TESTED_NUTPIE):
        return f"nutpie {version} is not a tested version {TESTED_NUTPIE}"
    from nutpie import _lib

    missing = [n for n in ("LogpFunc", "ExpandFunc", "PyMcModel", "PyVariable", "PySampler")
               if not hasattr(_lib, n)]
    return f"nutpie._lib lacks {missing}" if missing else ""


def compile_native(kplan: KernelPlan, buf: np.ndarray, *, route: str = "native", fast=None):
    """Wrap the kernel for nutpie: C callbacks (``native``) or Python (``pyfunc``).

    ``fast``: the buffer of :mod:`coalsurv.backend.kernel_fast` (from
    :func:`coalsurv.backend.native_fast.fast_buffer`), whose log density then replaces the
    generic kernel's; the expansion stays the generic kernel's on ``buf``.
    """
    import pandas as pd

    names = [name for name, _, _ in kplan.traced]
    shapes = [shape for _, _, shape in kplan.traced]
    dims = {name: d for name, d, _ in kplan.traced}
    coords = {k: pd.Index(v) for k, v in kplan.coords.items()}
    if kplan.rotation is not None:  # mm(centring="rotation"): [buffer | section], both callbacks
        return _rotated_model(kplan, buf, route, fast, (names, shapes, dims, coords))
    init = initial_point(kplan, buf, logp=_start_logp(buf, route=route, fast=fast))
    if route == "native":
        return _NativeModel(dims=dims, plan=kplan, buf=buf, names=names, var_shapes=shapes,
                            _coords=coords, init=init, fast=fast)
    return _pyfunc_model(kplan, buf, names, shapes, dims, coords, init, fast)


def _rotated_model(kplan: KernelPlan, buf: np.ndarray, route: str, fast, traced):
    """Return the nutpie model of a plan with rotated member effects (:mod:`~.kernel_rotation`).

    The log density reads ``[fast or generic buffer | rotation section]``, the expansion
    ``[generic buffer | section]``; the start check calls the log density nutpie will call.
    """
    from coalsurv.backend.kernel_fast_tve import TVE_CODES
    from coalsurv.backend.plan_rotation import rotation_section

    names, shapes, dims, coords = traced
    if fast is not None and fast[2] >= TVE_CODES:  # the piecewise tve loop takes no mm()
        fast = None
    section = rotation_section(kplan)
    data = np.ascontiguousarray(np.concatenate([buf if fast is None else fast, section]))
    expand_data = np.ascontiguousarray(np.concatenate([buf, section]))
    if route == "native":
        callback = _rotation_callback(fast is not None)
        init = initial_point(kplan, buf,
                             logp=lambda x, grad: _call_callback(callback, data, x, grad))
        return _NativeModel(dims=dims, plan=kplan, buf=expand_data, names=names,
                            var_shapes=shapes, _coords=coords, init=init, fast=fast,
                            logp_data=data)
    from coalsurv.backend.kernel_rotation import rot_back, rot_expand, rot_forward

    inner_logp = _start_logp(buf, route="pyfunc", fast=fast)

    def logp(x, grad):
        xi, gi = np.empty(x.size), np.empty(x.size)
        rot_forward(section, x, xi)
        value = inner_logp(xi, gi)
        rot_back(section, x, xi, gi, grad)
        return value

    def expand_fn(x, out):
        from coalsurv.backend.kernel import expand

        xi, inner = np.empty(x.size), np.empty(kplan.nexp)
        rot_forward(section, x, xi)
        expand(buf, xi, inner)
        rot_expand(section, x, xi, inner, out)

    init = initial_point(kplan, buf, logp=logp)
    return _pyfunc_model(kplan, buf, names, shapes, dims, coords, init, fast,
                         rotated=(logp, expand_fn))


def _rotation_callback(fast: bool):
    """Return the rotated log-density C callback: on the fast row loop or the generic kernel."""
    if fast:
        from coalsurv.backend.kernel_rotation_fast import ROT_FAST_CFUNC

        return ROT_FAST_CFUNC
    from coalsurv.backend.kernel_rotation_callback import ROT_LOGP_CFUNC

    return ROT_LOGP_CFUNC


def _start_logp(buf: np.ndarray, *, route: str, fast):
    """Return the log density the sampler will call, for the start check (``(x, grad)``).

    The native route's C callback is called through ``ctypes``: a fresh process then loads
    only the compiled code it samples with (the generic kernel's callback stays unloaded on
    the specialised row loop, and the kernel's Python entry ``logp_grad`` is not loaded).
    """
    data = buf if fast is None else fast
    if route == "native":
        callback = _logp_callback(fast)
        return lambda x, grad: _call_callback(callback, data, x, grad)
    if fast is None:
        from coalsurv.backend.kernel import logp_grad

        return lambda x, grad: logp_grad(buf, x, grad)
    from coalsurv.backend.kernel_fast import fast_logp_grad

    return lambda x, grad: fast_logp_grad(fast, x, grad)


def _logp_callback(fast):
    """Return nutpie's log-density C callback for a fit.

    The generic kernel's (``fast`` None) or a specialised row loop's (its buffer's family code
    says which); each is imported only here, so a fresh process loads only the one it
    samples with.
    """
    if fast is None:
        from coalsurv.backend.kernel_callback import LOGP_CFUNC

        return LOGP_CFUNC
    from coalsurv.backend.kernel_fast_tve import TVE_CODES

    if fast[2] >= TVE_CODES:  # piecewise tve (kernel_fast_tve)
        from coalsurv.backend.kernel_fast_tve_callback import LOGP_TVE_CFUNC

        return LOGP_TVE_CFUNC
    from coalsurv.backend.kernel_fast import LOGP_FAST_CFUNC

    return LOGP_FAST_CFUNC


def _call_callback(callback, data: np.ndarray, x: np.ndarray, grad: np.ndarray) -> float:
    """Log density at ``x`` from a log-density C callback on buffer ``data``; ``grad`` filled.

    ``data`` is the contiguous float64 buffer the callback reads through its pointer; ``x``
    and ``grad`` are float64 vectors of the model's dimension. A dimension the buffer does not
    describe (the callback's -1) raises ``ValueError``: a coding error, never the data's.
    """
    x = np.ascontiguousarray(x, dtype=np.float64)
    logp = np.zeros(1)
    pointer = ctypes.POINTER(ctypes.c_double)
    code = callback.ctypes(x.size, x.ctypes.data_as(pointer), grad.ctypes.data_as(pointer),
                           logp.ctypes.data_as(pointer), data.ctypes.data)
    if code == -1:
        raise ValueError(f"the kernel buffer does not describe {x.size} parameters")
    return float(logp[0])


def _pyfunc_model(kplan, buf, names, shapes, dims, coords, init, fast=None, rotated=None):
    """Build the public route: ``nutpie.from_pyfunc`` with the same kernel called from Python.

    ``rotated``: ``(logp(x, grad), expand(x, out))`` of rotated member effects instead.
    """
    from coalsurv.backend.kernel import expand, logp_grad
    from coalsurv.backend.nutpie_import import import_nutpie

    import_nutpie()
    from nutpie.compiled_pyfunc import from_pyfunc

    ndim, nexp = kplan.ndim, kplan.ntraced
    sizes = [int(np.prod(s)) for s in shapes]
    ends = np.cumsum(sizes)

    if fast is not None:
        from coalsurv.backend.kernel_fast import fast_logp_grad
        from coalsurv.backend.kernel_fast_tve import TVE_CODES, tve_fast_logp_grad

        if fast[2] >= TVE_CODES:  # piecewise tve: its own priors (kernel_fast_tve)
            fast_logp_grad = tve_fast_logp_grad  # noqa: F811

    def make_logp_fn():
        def logp(x, **_):
            grad = np.empty(ndim)
            if rotated is not None:
                return rotated[0](x, grad), grad
            if fast is not None:
                return fast_logp_grad(fast, x, grad), grad
            return logp_grad(buf, x, grad), grad
        return logp

    def make_expand_fn(*_):
        def expand_fn(x, **_):
            out = np.empty(nexp)
            (expand if rotated is None else lambda _, x, out: rotated[1](x, out))(buf, x, out)
            return {name: out[end - size:end].reshape(shape) for name, size, end, shape
                    in zip(names, sizes, ends, shapes, strict=True)}
        return expand_fn

    return from_pyfunc(ndim, make_logp_fn, make_expand_fn, [np.dtype("float64")] * len(names),
                       shapes, names, coords=dict(coords), dims=dims, make_initial_point_fn=init)


def _compiled_model_base():
    import importlib

    from coalsurv.backend.nutpie_import import import_nutpie

    import_nutpie()
    return importlib.import_module("nutpie.sample").CompiledModel


@dataclass(frozen=True)
class _NativeModel(_compiled_model_base()):
    """nutpie model whose log density and expansion are the kernel's cached C callbacks."""

    plan: Any = None
    buf: Any = None
    names: Any = None
    var_shapes: Any = None
    _coords: Any = None
    init: Any = None
    fast: Any = None  # kernel_fast's buffer: its log density instead of the generic one
    logp_data: Any = None  # rotated member effects: [fast or generic buffer | section]

    @property
    def n_dim(self) -> int:
        """Length of the unconstrained vector."""
        return self.plan.ndim

    @property
    def shapes(self):
        """Shape of each traced variable."""
        return dict(zip(self.names, self.var_shapes, strict=True))

    @property
    def coords(self):
        """Coordinates of the traced variables."""
        return self._coords

    def _make_sampler(self, settings, init_mean, cores, progress_type, extra_callback,
                      extra_callback_rate, store):
        from nutpie import _lib

        return _lib.PySampler.from_pymc(settings, cores, self._make_model(init_mean),
                                        progress_type, extra_callback, extra_callback_rate, store)

    def _make_model(self, init_mean):
        from nutpie import _lib

        pointer = self.buf.ctypes.data
        if self.logp_data is not None:  # rotated member effects (kernel_rotation)
            from coalsurv.backend.kernel_rotation import ROT_EXPAND_CFUNC as expand_cfunc

            logp_fn = _lib.LogpFunc(_rotation_callback(self.fast is not None).address,
                                    self.logp_data.ctypes.data, self)
        else:
            from coalsurv.backend.kernel import EXPAND_CFUNC as expand_cfunc

            logp_fn = _lib.LogpFunc(_logp_callback(self.fast).address,
                                    pointer if self.fast is None else self.fast.ctypes.data, self)
        expand_fn = _lib.ExpandFunc(self.plan.ndim, self.plan.ntraced, expand_cfunc.address,
                                    pointer, self)
        dim_sizes = {k: len(v) for k, v in self._coords.items()}
        variables = _lib.PyVariable.new_variables(self.names, ["float64"] * len(self.names),
                                                  self.var_shapes, dim_sizes, self.dims)

        def make_adapter(*args, **kwargs):
            from nutpie.transform_adapter import make_transform_adapter

            return make_transform_adapter()(*args, **kwargs, logp_fn=None)

        return _lib.PyMcModel(logp_fn, expand_fn, variables, self.plan.ndim, dim_sizes,
                              self._coords, self.init, make_adapter)
