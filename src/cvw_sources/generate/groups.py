"""Corporate groups (集团客户): parents, subsidiaries and related parties in core banking.

A group is drawn over a span of consecutive customer numbers, so each span can be
decided on its own, in whichever process builds its customers: the corporate
customers of the span (each customer's first draw from its own stream, the one
``world.build_customer`` decides corporate with) form a group when the span's own
stream says so. The lowest-numbered corporate is the parent; each other one is a
subsidiary or, less often, a related party (common owner, guarantor).
"""

from __future__ import annotations

from dataclasses import dataclass

from cvw_sources.generate.streams import Stream, stream, streams

GROUP_SPAN = 25  # consecutive customer numbers that can make up one group
GROUP_FORMED_SHARE = 0.4  # spans with two or more corporates that form a group
RELATED_PARTY_SHARE = 0.25  # non-parent members that are related parties, not subsidiaries


@dataclass(frozen=True, slots=True)
class GroupMembership:
    group_id: str
    role: str  # parent | subsidiary | related_party


def span_of(index: int) -> int:
    return index // GROUP_SPAN


def span_groups(
    seed: int, span: int, customers: int, corporate_share: float
) -> dict[int, GroupMembership]:
    """The group memberships of the customers numbered within ``span``, by index."""
    indexes = range(span * GROUP_SPAN, min((span + 1) * GROUP_SPAN, customers))
    corporates = [
        index
        for index, rng in zip(indexes, streams(seed, Stream.CUSTOMER, indexes), strict=True)
        if rng.random() < corporate_share
    ]
    rng = stream(seed, Stream.GROUP, span)
    if len(corporates) < 2 or rng.random() >= GROUP_FORMED_SHARE:
        return {}
    group_id = f"G{span + 1:06d}"
    parent, *members = corporates
    memberships = {parent: GroupMembership(group_id, "parent")}
    for index in members:
        role = "related_party" if rng.random() < RELATED_PARTY_SHARE else "subsidiary"
        memberships[index] = GroupMembership(group_id, role)
    return memberships
