"""The performance test plan of docs/design.md §5 behind ``manage.py perftest``.

It drives the orchestration endpoints over real HTTP (standard library only), tags
every run it causes with source ``perftest`` and a label naming the test run, and
judges the result against the thresholds, "no degradation" under concurrency and,
optionally, a saved baseline. Pure parts (statistics, validation, rendering) take
plain values; ``runs`` is the only module that touches the database.
"""
