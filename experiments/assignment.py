"""Who sees which variant: a hash of the experiment and the person, so it is sticky (the same person gets
the same variant on every request, in every process, without storing anything first) and independent
between experiments (each experiment hashes with its own id).

A person lands in the experiment's share when their first hash falls below `traffic` percent; those are
spread evenly over the candidate variants by a second, independent hash. Everyone else gets control.
Anonymous visitors always get control.
"""

import hashlib

from experiments.models import CONTROL

SCALE = float(1 << 64)


def unit_hash(*parts) -> float:
    """A number in [0, 1), uniform over its inputs and the same in every process."""
    digest = hashlib.blake2b(":".join(str(p) for p in parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / SCALE


def variant_for(*, experiment_id: int, traffic: int, candidates: list[str], user_id: int | None) -> str:
    """The variant `user_id` sees in the experiment: one of `candidates` (in their stored order) for the
    `traffic` percent in its share, else control."""
    if user_id is None or not candidates:
        return CONTROL
    if unit_hash("share", experiment_id, user_id) * 100 >= traffic:
        return CONTROL
    return candidates[int(unit_hash("arm", experiment_id, user_id) * len(candidates))]
