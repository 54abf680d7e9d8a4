"""Reusable performance measurement: runs, components, statistics, thresholds.

This app never imports ``orchestration``; any Django project can time its own
use cases with :func:`perfmetrics.services.measured_transaction` and
:class:`perfmetrics.measure.component`.
"""
