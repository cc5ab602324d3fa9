"""How a built model is sampled: the backends, below the models and their results.

- :mod:`coalsurv.backend.sampling`: the one place that samples (NUTS on nutpie, prior draws,
  the compiled-model cache), choosing the route per model;
- :mod:`coalsurv.backend.native`: the plan — whether a built PyMC model is exactly a structure
  the native kernel implements (:mod:`~coalsurv.backend.plan_types`,
  :mod:`~coalsurv.backend.plan_priors`), and its data buffer
  (:mod:`~coalsurv.backend.native_buffer`);
- :mod:`coalsurv.backend.kernel`: the native log density and gradient (numba, cached on disk),
  with :mod:`~coalsurv.backend.kernel_layout` (the buffer), :mod:`~coalsurv.backend.kernel_rows`
  (the likelihood), :mod:`~coalsurv.backend.kernel_members` (mm()),
  :mod:`~coalsurv.backend.kernel_cure` (cure), :mod:`~coalsurv.backend.kernel_expand`;
- :mod:`coalsurv.backend.kernel_priors`: the priors of its blocks;
- :mod:`coalsurv.backend.nutpie_model`: the kernel wrapped as a nutpie model;
- :mod:`coalsurv.backend.nutpie_import`: nutpie imported without all of ArviZ;
- :mod:`coalsurv.backend.densities`: pointwise log likelihood and log prior of the PyMC route;
- :mod:`coalsurv.backend.init`: initial points.

The PyMC graph itself is built in :mod:`coalsurv.build.graph` (the reference every kernel is
checked against); the models, fits and predictions that use a backend live in
:mod:`coalsurv.fit`.
"""
