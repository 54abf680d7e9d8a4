"""A minimal Django project that installs perfmetrics and nothing of this repository's
site or domain apps: ``perfmetrics/tests/test_standalone.py`` runs it in a subprocess."""
