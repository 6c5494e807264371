"""Realistic synthetic data: parcels, lines, orders, payments and a truth file of injected problems."""

from parcelaudit.generate.dataset import KINDS, generate_dataset

__all__ = ["KINDS", "generate_dataset"]
