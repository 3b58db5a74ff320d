"""The demo world behind `manage.py seed_demo`: shops, carriers, staff, buyers, orders, parcels, cases.

Planned first as plain data (plans, orderplan, caseplan), then written (world, cases). Idempotent:
everything is keyed by natural keys, and an order that exists already is skipped with its
parcels and cases.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from tickets.demo.caseplan import plan_cases
from tickets.demo.cases import create_case
from tickets.demo.orderplan import plan_order
from tickets.demo.plans import FULL, SMALL, BuyerPlan, CasePlan, OrderPlan, Size, assign_roles, plan_buyers
from tickets.demo.report import Report, counts
from tickets.demo.world import create_orders, ensure_buyers, ensure_carriers, ensure_shops, ensure_staff

SEED = 2026


def plan_orders(seed: int, size: Size, cases: list[CasePlan], buyers: list[BuyerPlan], now: dt.datetime) -> list[OrderPlan]:
    roles = assign_roles(size, cases)
    by_order = {case.order_index: case for case in cases}
    plans: list[OrderPlan] = []
    slots = {"case": 0, "demo": 0, "filler": 0}  # the k-th order of each role: fillers and demo parcels cycle through variants
    for index in range(size.orders):
        role = roles.get(index, "filler")
        plans.append(plan_order(seed=seed, index=index, role=role, case=by_order.get(index), slot=slots[role],
                                buyers=buyers, now=now))
        slots[role] += 1
    return plans


@transaction.atomic
def build_demo_world(*, small: bool = False, seed: int = SEED) -> Report:
    """Create whatever of the demo world is missing; a crash leaves nothing half-made."""
    now = timezone.now()
    size = SMALL if small else FULL
    before = counts()
    shops, carriers = ensure_shops(), ensure_carriers()
    cast = ensure_staff(shops)
    buyer_plans = plan_buyers(seed, size.buyers)
    buyers = ensure_buyers(buyer_plans)
    case_plans = plan_cases(seed, size, now)
    order_plans = plan_orders(seed, size, case_plans, buyer_plans, now)
    created = create_orders(order_plans, shops=shops, carriers=carriers, buyers=buyers, seed=seed, now=now)
    for plan, order in created:
        if plan.case is not None:
            create_case(plan.case, order, cast=cast, seed=seed, now=now)
    examples = [next((b.username, b.language) for b in buyer_plans if b.language == lang) for lang in ("ru", "zh-hans")]
    return Report(before=before, after=counts(), buyer_examples=examples, small=small)
