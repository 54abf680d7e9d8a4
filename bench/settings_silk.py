"""Settings of the overhead benchmark's third server: django-silk instead of perfmetrics.

Used only by ``bench/perfmetrics.py`` (django-silk is in requirements-bench.txt, not in
the service's requirements). Silk records every request and every SQL statement, its
defaults; perfmetrics is switched off so only silk's cost is added to the baseline.
"""

from orchestrator_site.settings import *

INSTALLED_APPS = [*INSTALLED_APPS, "silk"]
MIDDLEWARE = [*MIDDLEWARE, "silk.middleware.SilkyMiddleware"]
PERFMETRICS = {**PERFMETRICS, "ENABLED": False}
