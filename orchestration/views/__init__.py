"""Thin DRF views: validate with an input serializer, call a service or selector, render."""
