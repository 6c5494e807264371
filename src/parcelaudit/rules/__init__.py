"""Policy checks: effective-dated policy tables (rules/data), the rule registry and each check, and duty.

Entry points: `registry.all_rules()`, `duty.line_duty_rate`, `duty.compute_duty`, `policy.load_policy`;
the pipeline (parcelaudit.pipeline) composes them with screening and decisions.
"""
