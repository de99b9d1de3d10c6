"""NumberingPlan.network_for reads a prefix table built once per plan (issue 18) and answers as the scan over
every network's prefixes did: the longest matching prefix, the first network listed for a shared one."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from countries import phone
from countries.defaults import default_adapters
from countries.phone import Network, NumberingPlan, load_numbering_plan


def _scanned(plan: NumberingPlan, national_number: str) -> str | None:
    """The former implementation."""
    best: tuple[int, str] | None = None
    for network in plan.networks:
        for prefix in network.prefixes:
            if national_number.startswith(prefix) and (best is None or len(prefix) > best[0]):
                best = (len(prefix), network.key)
    return best[1] if best else None


def test_every_prefix_of_every_country_answers_as_the_scan():
    for adapter in default_adapters().values():
        plan = load_numbering_plan(adapter.code)
        for network in plan.networks:
            for prefix in network.prefixes:
                for number in (prefix, prefix + "1234567", prefix[:-1], prefix + "0", "9" + prefix):
                    assert plan.network_for(number) == _scanned(plan, number), (adapter.code, number)


@settings(max_examples=300, deadline=None)
@given(number=st.text(alphabet="0123456789", max_size=11), code=st.sampled_from(["NG", "GH", "SN", "CI", "ML"]))
def test_any_number_answers_as_the_scan(number, code):
    plan = load_numbering_plan(code)
    assert plan.network_for(number) == _scanned(plan, number)


def test_overlapping_and_shared_prefixes():
    plan = NumberingPlan(country="XX", calling_code=999, source="test", networks=(
        Network(key="a", name="A", prefixes=("70", "7025")),
        Network(key="b", name="B", prefixes=("702", "80")),
        Network(key="c", name="C", prefixes=("80", "")),
    ))
    for number in ("7025111", "7026111", "7011111", "80111", "8", "", "9", "70", "702"):
        assert plan.network_for(number) == _scanned(plan, number), number
    assert plan.network_for("7025111") == "a" and plan.network_for("7026") == "b"
    assert plan.network_for("801") == "b"  # listed by b first
    assert plan.network_for("9") == "c"  # the empty prefix matches anything


def test_the_table_is_built_once_per_plan(monkeypatch):
    plan = NumberingPlan(country="XX", calling_code=999, source="test",
                         networks=(Network(key="a", name="A", prefixes=("70",)),))
    built = []
    table = phone._prefix_table
    def counted(plan):
        built.append(plan)
        return table(plan)

    monkeypatch.setattr(phone, "_prefix_table", counted)
    assert [plan.network_for(n) for n in ("701", "801", "70")] == ["a", None, "a"]
    assert len(built) == 1
    twin = NumberingPlan(country="XX", calling_code=999, source="test",
                         networks=(Network(key="a", name="A", prefixes=("70",)),))
    assert twin == plan and hash(twin) == hash(plan)  # the kept table is not a field
