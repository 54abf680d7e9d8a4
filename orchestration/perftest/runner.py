"""The test plan: preflight, warm-up, the four measured phases, then the verdict."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from perfmetrics import conf as perfmetrics_conf

from .client import ApiClient, Target
from .config import PerftestConfig
from .errors import PerftestError
from .phases import (
    ClientFactory,
    Progress,
    RequestFn,
    Until,
    metrics_request,
    orchestrate_request,
    run_concurrent,
    run_open,
    run_sequential,
    split,
)
from .report import metrics_of
from .runs import CLOCK_SLACK, collect_server_stats
from .stats import summarize_phase
from .validation import check_run, compare_with_baseline, regression_checks
from .values import (
    Check,
    MetricChange,
    Phase,
    PhaseMetrics,
    PhaseResult,
    PhaseSummary,
    Report,
    ServerStats,
)


@dataclass(frozen=True)
class Baseline:
    """What a run is compared with: a saved baseline or an earlier stored run;
    ``report`` is its whole JSON report (the HTML report draws it beside this run)."""

    name: str
    metrics: Mapping[str, PhaseMetrics]
    report: Mapping[str, Any] = field(default_factory=dict)


def run_perftest(
    config: PerftestConfig,
    target: Target,
    *,
    token: str,
    progress: Progress,
    started_server: bool,
    baseline: Baseline | None = None,
    options: Mapping[str, Any] | None = None,
    release: str = "",
) -> Report:
    """Run the plan against ``target`` and judge it. Raises PerftestError when the target
    cannot be used at all (unreachable, token rejected, project unknown to the server)."""
    started_at = timezone.now()

    def new_client() -> ApiClient:
        return ApiClient(target, token=token, timeout_s=config.timeout_s)

    with new_client() as client:
        preflight(client, config)
        results = run_phases(config, client, new_client, progress)
    summaries = {r.phase.value: summarize_phase(r) for r in results}
    server = collect_server_stats(config.label, since=started_at - CLOCK_SLACK)
    checks, comparison = judge(config, summaries, server[-1], baseline)
    return Report(
        label=config.label,
        project_id=config.project_id,
        target_url=target.url,
        started_server=started_server,
        dry_run=config.dry_run,
        requests=config.requests,
        concurrency=config.concurrency,
        warmup=config.warmup,
        duration_s=config.duration_s,
        rate_per_s=config.rate_per_s,
        ramp_s=config.ramp_s,
        started_at=started_at,
        finished_at=timezone.now(),
        phases=tuple(summaries.values()),
        server=server,
        checks=checks,
        compared_with=baseline.name if baseline is not None else None,
        comparison=comparison,
        options=dict(options or {}),
        release=release,
    )


def judge(
    config: PerftestConfig,
    phases: Mapping[str, PhaseSummary],
    overall: ServerStats,
    baseline: Baseline | None,
) -> tuple[tuple[Check, ...], tuple[MetricChange, ...]]:
    """The run's checks (with one per compared metric when there is a baseline) and the
    baseline comparison."""
    checks = check_run(
        phases,
        overall,
        perfmetrics_conf.thresholds(),
        max_p95_factor=config.p95_factor_limit,
        min_throughput_ratio=config.min_throughput_ratio,
        offered_rate_per_s=config.rate_per_s,
    )
    if baseline is None:
        return checks, ()
    comparison = compare_with_baseline(
        metrics_of(list(phases.values())),
        baseline.metrics,
        tolerance_percent=config.tolerance_percent,
    )
    regressions = regression_checks(
        comparison, baseline_name=baseline.name, tolerance_percent=config.tolerance_percent
    )
    return checks + regressions, comparison


def preflight(client: ApiClient, config: PerftestConfig) -> None:
    """One dry-run orchestration: reachable, token accepted, project known to the server."""
    send = orchestrate_request(
        config.project_id,
        pattern_recognition=False,
        dry_run=True,
        label=config.label,
        phase=Phase.PREFLIGHT,
    )
    reply = send(client)
    if reply.status == 0:
        raise PerftestError(f"cannot reach {client.target.url}: {reply.error}")
    if reply.status in {401, 403}:
        raise PerftestError(
            f"the server rejected the token (HTTP {reply.status}: {reply.detail()})"
        )
    if not 200 <= reply.status < 300:
        raise PerftestError(
            f"the preflight orchestration of {config.project_id!r} failed with HTTP "
            f"{reply.status}: {reply.detail()}"
        )


def run_phases(
    config: PerftestConfig, client: ApiClient, new_client: ClientFactory, progress: Progress
) -> list[PhaseResult]:
    """Warm-up (unmeasured, always dry run, spread over the concurrent connections so each
    server worker warms up), then baseline, pattern recognition, metrics endpoint, the
    ramp-up if any and the concurrent phase."""

    def orchestration(phase: Phase, *, pattern: bool, dry_run: bool) -> RequestFn:
        return orchestrate_request(
            config.project_id,
            pattern_recognition=pattern,
            dry_run=dry_run,
            label=config.label,
            phase=phase,
        )

    if config.warmup:
        run_concurrent(
            Phase.WARMUP,
            new_client,
            orchestration(Phase.WARMUP, pattern=True, dry_run=True),
            counts=split(config.warmup, config.concurrency),
            progress=progress,
        )
    sequential = [
        (Phase.BASELINE, orchestration(Phase.BASELINE, pattern=False, dry_run=config.dry_run)),
        (Phase.PATTERN, orchestration(Phase.PATTERN, pattern=True, dry_run=config.dry_run)),
        (Phase.METRICS, metrics_request(config.project_id)),
    ]
    results = [
        run_sequential(
            phase,
            client,
            send,
            count=config.requests,
            duration_s=config.duration_s,
            progress=progress,
        )
        for phase, send in sequential
    ]
    if config.ramp_s:
        run_load(config, Phase.RAMP, new_client, orchestration, progress)
    results.append(run_load(config, Phase.CONCURRENT, new_client, orchestration, progress))
    return results


def run_load(
    config: PerftestConfig,
    phase: Phase,
    new_client: ClientFactory,
    orchestration: Callable[..., RequestFn],
    progress: Progress,
) -> PhaseResult:
    """The concurrent phase, or the ramp-up before it (``Phase.RAMP``, over ``--ramp``
    seconds, not measured): with ``--rate`` the open model (the ramp grows the arrival
    rate from 0), else ``--concurrency`` closed-model workers (the ramp starts them one
    after another, as Locust spawns users)."""
    send = orchestration(phase, pattern=True, dry_run=config.dry_run)
    ramp = phase is Phase.RAMP
    if config.rate_per_s is not None:
        if ramp:
            until = Until(duration_s=config.ramp_s)
        elif config.requests is not None:
            until = Until(requests=config.requests * config.concurrency)
        else:
            until = Until(duration_s=config.duration_s)
        return run_open(
            phase,
            new_client,
            send,
            rate_per_s=config.rate_per_s,
            workers=config.concurrency,
            until=until,
            ramp=ramp,
            progress=progress,
        )
    if ramp:
        step = config.ramp_s / config.concurrency
        return run_concurrent(
            phase,
            new_client,
            send,
            workers=config.concurrency,
            duration_s=config.ramp_s,
            start_delays=[i * step for i in range(config.concurrency)],
            progress=progress,
        )
    if config.requests is not None:
        counts: list[int] | None = [config.requests] * config.concurrency
        return run_concurrent(phase, new_client, send, counts=counts, progress=progress)
    return run_concurrent(
        phase,
        new_client,
        send,
        workers=config.concurrency,
        duration_s=config.duration_s,
        progress=progress,
    )
