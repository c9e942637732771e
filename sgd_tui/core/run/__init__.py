"""One run: a spec in (``spec``, ``settings``), records out (``records``, ``progress``). The engine
(``engine``: Runner) steps it with a batch sampler and schedule (``sampler``) on a device (``devices``),
under a thread-safe control (``control``); ``drive`` is its loop without a UI; ``snapshots`` keeps weights."""
