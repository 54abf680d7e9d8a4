from __future__ import annotations

import pytest
from django.conf import settings


@pytest.mark.django_db
def test_admin_pages_render_without_collectstatic(client):
    response = client.get("/admin/login/")

    assert response.status_code == 200
    assert b'href="/static/admin/css/base.css"' in response.content


def test_whitenoise_serves_static_files_right_after_the_security_middleware():
    middleware = settings.MIDDLEWARE

    assert middleware.index("whitenoise.middleware.WhiteNoiseMiddleware") == (
        middleware.index("django.middleware.security.SecurityMiddleware") + 1
    )
    assert middleware[0] == "orchestrator_site.request_id.RequestIdMiddleware"
