"""Benchmark suites: MoE agents against plain networks and baselines, with honest statistics.

A suite (YAML, :mod:`wmoe.benchmarks.suite`) expands into cells (env x task variant x
algorithm x network preset x training seed, plus one baselines cell per task,
:mod:`wmoe.benchmarks.cells`). Each cell trains through :func:`wmoe.agents.train.train` and
is evaluated on the suite's fixed test episodes (:mod:`wmoe.benchmarks.execute`), on a local
process pool or on Ray (:mod:`wmoe.benchmarks.runner`), into one SQLite store
(:mod:`wmoe.benchmarks.store`). Scores, rliable statistics and the leaderboard come from
:mod:`wmoe.benchmarks.scores`, :mod:`wmoe.benchmarks.statistics` and
:mod:`wmoe.benchmarks.report`. The protocol is ``benchmarks/leaderboard/PROTOCOL.md``.
"""
