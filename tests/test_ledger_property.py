"""Property: any sequence of ledger operations keeps every invariant and matches a simple model."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.models import Role
from app.services.enrolment import enrol as enrolments
from app.services.ledger import wallets
from app.services.ledger.wallets import InsufficientCredits, audit_ledger
from tests.conftest import Factory

amounts = st.integers(min_value=1, max_value=60)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("recharge"), st.integers(0, 2), amounts),
        st.tuples(st.just("deduct"), st.integers(0, 2), amounts),
        st.tuples(st.just("transfer"), st.integers(0, 2), st.integers(0, 2), amounts),
        st.tuples(st.just("enrol"), st.integers(0, 4), st.integers(0, 1)),
        st.tuples(st.just("cancel"), st.integers(0, 9)),
        st.tuples(st.just("replay"), st.integers(0, 50)),
    ),
    max_size=40,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations)
def test_random_operations_keep_the_ledger_consistent(db, ops):
    savepoint = db.session.begin_nested()
    try:
        _run(db, Factory(db), ops)
    finally:
        savepoint.rollback()
        db.session.expunge_all()  # each example starts from an empty identity map


def _run(db, factory, ops):
    admin = factory.platform_admin()
    partner = factory.partner()
    partner_admin = factory.user(Role.PARTNER_ADMIN, partner=partner)
    owners = [partner, factory.reseller(), factory.user(Role.CUSTOMER)]
    ledger = [wallets.wallet_of(o) for o in owners]
    students = [factory.student(partner) for _ in range(5)]
    courses = [factory.course(value=7), factory.course(value=13)]
    model = [0, 0, 0]
    active = {}  # (student, course) -> price
    enrolled = []  # enrolments in order, for cancel
    keys = []

    for op in ops:
        kind = op[0]
        try:
            with db.session.begin_nested():
                if kind == "recharge":
                    _, w, amount = op
                    key = f"k{len(keys)}"
                    wallets.recharge(ledger[w], amount, actor=admin, idempotency_key=key)
                    keys.append((w, amount, key))
                    model[w] += amount
                elif kind == "deduct":
                    _, w, amount = op
                    wallets.deduct(ledger[w], amount, actor=admin)
                    model[w] -= amount
                elif kind == "transfer":
                    _, a, b, amount = op
                    if a == b:
                        continue
                    wallets.transfer(ledger[a], ledger[b], amount, actor=admin)
                    model[a] -= amount
                    model[b] += amount
                elif kind == "enrol":
                    _, s, c = op
                    if (s, c) in active:
                        continue
                    e = enrolments.enrol_student(partner_admin, partner, students[s], courses[c])
                    active[(s, c)] = courses[c].value_per_enrolment
                    enrolled.append((s, c, e))
                    model[0] -= courses[c].value_per_enrolment
                elif kind == "cancel":
                    live = [item for item in enrolled if item[2].status == "active"]
                    if not live:
                        continue
                    s, c, e = live[op[1] % len(live)]
                    enrolments.cancel_enrolment(partner_admin, partner, e)
                    model[0] += active.pop((s, c))
                elif kind == "replay":
                    if not keys:
                        continue
                    w, amount, key = keys[op[1] % len(keys)]
                    entry = wallets.recharge(ledger[w], amount, actor=admin, idempotency_key=key)
                    assert entry.replayed
        except InsufficientCredits:
            pass  # refused: the model did not change either

        assert [w.balance for w in ledger] == model
        assert min(model) >= 0

    db.session.expire_all()
    assert [wallets.wallet_of(o).balance for o in owners] == model
    _, problems = audit_ledger()
    assert problems == []
