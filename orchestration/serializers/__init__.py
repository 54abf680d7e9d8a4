"""Input and output serializers of the orchestration API, one module per area."""
