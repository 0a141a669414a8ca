"""Pure helpers of the benchmarks: percentiles, summaries, the targets and the machine they ran on."""

import math
import os
import platform
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from typing import Any, NamedTuple


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation between closest ranks; NaN when empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100.0
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


class Summary(NamedTuple):
    n: int
    p50: float
    p95: float
    mean: float
    max: float


def summarize(values: Sequence[float], digits: int = 1) -> Summary:
    if not values:
        return Summary(0, math.nan, math.nan, math.nan, math.nan)
    return Summary(
        len(values),
        round(percentile(values, 50), digits),
        round(percentile(values, 95), digits),
        round(sum(values) / len(values), digits),
        round(max(values), digits),
    )


class Target(NamedTuple):
    name: str
    path: tuple[str, ...]
    limit: float
    unit: str


TARGETS = (
    Target("turn p50 (end to end, HTTP)", ("http_turns", "wall_ms", "p50"), 1500, "ms"),
    Target("turn p95 (end to end, HTTP)", ("http_turns", "wall_ms", "p95"), 3000, "ms"),
    Target("whole turn / bare-model floor, not cached (p50)", ("turns", "ratio_to_floor", "p50"), 1.3, "x"),
    Target("scoring p50", ("scoring", "embed", "p50_ms"), 30, "ms"),
    Target("peak memory, app + model server", ("memory", "peak_tree_mb"), 2048, "MB"),
    Target("launch to ready page", ("launch", "page_seconds"), 15, "s"),
)


def lookup(report: dict[str, Any], path: Sequence[str]) -> Any:
    node: Any = report
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def checks(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target with the measured value and whether it is met (None when not measured)."""
    out = []
    for target in TARGETS:
        value = lookup(report, target.path)
        measured = isinstance(value, int | float) and not math.isnan(value)
        out.append(
            {
                "name": target.name,
                "value": value if measured else None,
                "target": f"<= {target.limit:g} {target.unit}",
                "ok": (value <= target.limit) if measured else None,
            }
        )
    return out


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _ram_gb() -> float:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return math.nan


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    return {
        "nproc": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "cpu_model": _cpu_model(),
        "ram_gb": _ram_gb(),
        "python": platform.python_version(),
        "llama_cpp_python": _version("llama-cpp-python"),
        "gradio": _version("gradio"),
        "langgraph": _version("langgraph"),
    }
