"""The service's URLs plus two endpoints that forgot authentication (test_api_auth.py)."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from orchestrator_site.urls import urlpatterns as service_urlpatterns


class LeakyView(APIView):
    permission_classes = [AllowAny]

    def get(self, request: Request) -> Response:
        return Response({"secret": "for anyone"})


def leaky_function(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"secret": "for anyone"})


urlpatterns = [
    *service_urlpatterns,
    path("api/leaky/", LeakyView.as_view()),
    path("api/leaky-function", leaky_function),
]
