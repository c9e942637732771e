"""Many runs over a grid: the grid (``grid``), one trial (``trials``), where trials run: processes or Ray
(``executors``, with ``warm`` preloaded in workers), and what is read from them: seed bands and
sensitivity curves (``stats``)."""
