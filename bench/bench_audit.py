"""Audit sampling bench: interval coverage of the four estimators over 1,000 simulated audits of
synthetic importers with a known true underpayment, plus timings of the exact attribute appraisal."""

from __future__ import annotations

import time
from pathlib import Path

from parcelaudit.audit import appraise_attribute
from parcelaudit.audit.simulate import coverage_study

AUDITS = 1000
SEED = 20261129
REPLICATE_SEEDS = (1, 2, 3, 4)
TARGET = (0.88, 0.92)


def run(work_dir: Path) -> dict:
    """Run the coverage study (main seed + replicates) and time a large attribute appraisal."""
    work_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    main = coverage_study(AUDITS, SEED)
    main_seconds = time.perf_counter() - started
    replicates = [coverage_study(AUDITS, seed)["coverage"] for seed in REPLICATE_SEEDS]
    # Sensitivity: rare errors and small samples, where t intervals are known to under-cover.
    rare = coverage_study(AUDITS, SEED, precision=0.25, error_rates=(0.05, 0.15))
    started = time.perf_counter()
    appraise_attribute(2_000_000, 1_200, 87)
    attribute_seconds = time.perf_counter() - started
    difference = main["coverage"]["difference"]
    return {
        **main,
        "seconds": round(main_seconds, 2),
        "replicate_coverage": dict(zip(map(str, REPLICATE_SEEDS), replicates, strict=True)),
        "target": list(TARGET),
        "difference_within_target": TARGET[0] <= difference <= TARGET[1],
        "attribute_appraisal_N2e6_seconds": round(attribute_seconds, 3),
        "rare_errors": {k: rare[k] for k in ("error_rates", "precision", "mean_sample_size", "coverage")},
    }


def summarize(result: dict) -> str:
    """Markdown: coverage per estimator with the 88-92% target for the difference estimator."""
    rare = result["rare_errors"]
    lines = [
        f"{result['audits']} simulated audits (seed {result['seed']}), two-sided {result['confidence']:.0%} "
        f"intervals, error rates {result['error_rates'][0]:.0%}-{result['error_rates'][1]:.0%}, "
        f"planned for +-{result['precision']:.0%}, mean sample size {result['mean_sample_size']:.0f}, {result['seconds']} s.",
        "",
        "| estimator | coverage | mean width / truth | mean abs error / truth |",
        "|---|---|---|---|",
    ]
    for method, value in result["coverage"].items():
        lines.append(
            f"| {method} | {value:.3f} | {result['mean_relative_width'][method]:.3f} | "
            f"{result['mean_relative_error'][method]:.3f} |"
        )
    verdict = "within" if result["difference_within_target"] else "OUTSIDE"
    lines += [
        "",
        f"Difference estimator coverage {result['coverage']['difference']:.3f}: {verdict} the "
        f"{result['target'][0]:.0%}-{result['target'][1]:.0%} target.",
        "Replicates (other seeds, 1,000 audits each): "
        + "; ".join(
            f"seed {seed}: " + ", ".join(f"{m} {v:.3f}" for m, v in cov.items())
            for seed, cov in result["replicate_coverage"].items()
        ),
        f"Sensitivity, rare errors (error rate {rare['error_rates'][0]:.0%}-{rare['error_rates'][1]:.0%}, planned "
        f"for +-{rare['precision']:.0%}, mean n {rare['mean_sample_size']:.0f}): "
        + ", ".join(f"{m} {v:.3f}" for m, v in rare["coverage"].items())
        + ".",
        f"Exact hypergeometric attribute appraisal, N = 2,000,000: {result['attribute_appraisal_N2e6_seconds']} s.",
    ]
    return "\n".join(lines)
