"""The fast row loops' shared pieces: the block size, the header length and the ``fastmath`` flags.

:mod:`coalsurv.backend.kernel_fast` (exponential, Weibull PH, Gompertz) and
:mod:`coalsurv.backend.kernel_fast_rp` (the Royston-Parmar spline) both run branch-free blocks
of at most :data:`BLOCK` rows calling :func:`~coalsurv.backend.kernel_fastmath.fexp`
(re-exported here), on buffers whose first :data:`F_HEAD` values mean the same
(:mod:`coalsurv.backend.kernel_fast`'s module doc).
"""

from __future__ import annotations

from coalsurv.backend.kernel_fastmath import fexp

__all__ = ["BLOCK", "F_HEAD", "FASTMATH", "fexp"]

#: Rows per block of the vectorised loops (a block's scratch stays in L1).
BLOCK = 256
#: Header length of the fast buffer.
F_HEAD = 16

#: ``fastmath`` flags of the blocked loops: reassociation and contraction only (infinities
#: and NaN keep their meaning).
FASTMATH = {"reassoc", "contract"}
