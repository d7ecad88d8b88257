"""Names of the controller's row policies (a light module: the CLIs read it before any Numba import).

* ``open``: a row stays open until a request to another row of the bank (or refresh) closes it.
* ``closed``: strict JEDEC closed page: every column command is RDA/WRA, so every access
  auto-precharges (as DRAMsim3's ``close_page``; no row hits except when the activated buffer is
  full). Before issue #10 ``closed`` meant what is now ``close-adaptive``.
* ``close-adaptive``: RDA/WRA only when no queued or activated request targets the same row (and
  the timing table allows the auto-precharge at that cycle; else RD/WR).
"""
ROW_POLICIES = ("open", "closed", "close-adaptive")
