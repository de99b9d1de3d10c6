"""Fidelity: OpenSanctions' own client ``yente-client`` (its ``Client`` and ``AsyncClient``, pydantic models of
yente's responses), pointed at the OpenSanctions simulator by its ``base_url`` constructor argument only, parses
every answer unmodified.

Installed with ``--no-deps`` into a directory of its own (tests/support/sdk_envs.py: built once per machine, reused
while the pin stays the same) and run in a child of our interpreter with only that directory on its path: its
dependencies (httpx, pydantic) are ours, already pinned. Not exercised, because the simulator does not model them:
``algorithms()``, ``adjacent()``, ``statements()`` (hosted API only) and ``programs()`` (an absolute URL on
data.opensanctions.org, never the base URL)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from provider_plugins.opensanctions.simulator import OpenSanctionsSimulator
from tests.support.sdk_envs import sdk_target

SDK_PIN = "yente-client==0.2.0"

SCRIPT = r"""
import asyncio, json, sys
import httpx
from yente_client import AsyncClient, Client
from yente_client.entities import Company, Person
from yente_client.exceptions import AuthenticationError, BadRequestError, NotFoundError, ServerError

base, key = sys.argv[1], sys.argv[2]
api = Client(base_url=base, api_key=key)  # the only change: where the SDK sends its requests


def scored(response):
    return {"total": [response.total.value, response.total.relation], "limit": response.limit,
            "query": response.query, "matches": [r.id for r in response.matches],
            "results": [{"id": r.id, "caption": r.caption, "schema": r.schema_, "score": r.score, "match": r.match,
                         "datasets": r.datasets, "referents": r.referents, "target": r.target,
                         "properties": r.properties, "first_seen": r.first_seen.isoformat(),
                         "last_change": r.last_change.isoformat(), "explanations": r.explanations}
                        for r in response.results]}


def error(call):
    try:
        call()
    except (AuthenticationError, BadRequestError, NotFoundError, ServerError) as exc:
        return [type(exc).__name__, exc.status_code, exc.detail]
    return None


out = {"hit": scored(api.match(Person(name="sanctionov viktor", nationality="gh", birthDate="1970"))),
       "clean": scored(api.match(Person(name=["Kofi Mensah"]), datasets=["sanctions"], limit=3)),
       "near": scored(api.match(Person(name="Ama Blocked"), cutoff=0.5)),
       "near_default": scored(api.match(Person(name="Ama Blocked"))),
       "strict": scored(api.match(Person(name="Viktor Sanctionov"), threshold=0.995, algorithm="best")),
       "company": scored(api.match(Company(name="Viktor Sanctionov"))),
       "batch": sorted((k, scored(v)["matches"]) for k, v in api.match_iter(
           [("a", Person(name="Ada Obi")), ("b", Person(name="Viktor Sanctionov"))], workers=2))}
top = api.match(Person(name="Viktor Sanctionov")).top
search = api.search("sanctionov", datasets=["default"], limit=5)
out["search"] = {"ids": [e.id for e in search.results], "total": search.total.value, "limit": search.limit,
                 "offset": search.offset, "facets": {k: [(v.name, v.label, v.count) for v in f.values]
                                                     for k, f in search.facets.items()}}
out["search_none"] = api.search("nobody here").total.value
fetched, by_referent = api.fetch(top.id), api.fetch(top.referents[0], nested=False)
out["fetch"] = [fetched.id, fetched.caption, fetched.schema_, fetched.target, by_referent.id]
out["health"] = [api.healthz().status, api.readyz().status]
catalog = api.datasets()
out["catalog"] = {"loaded": sorted(d.name for d in catalog.datasets if d.load), "current": catalog.current,
                  "stale": catalog.index_stale}
out["errors"] = {
    "unknown_entity": error(lambda: api.fetch("NK-nosuchentity")),
    "unknown_dataset": error(lambda: api.match(Person(name="Ada Obi"), datasets=["no_such_dataset"])),
    "unknown_algorithm": error(lambda: api.match(Person(name="Ada Obi"), algorithm="no-such-algo")),
    "bad_key": error(lambda: Client(base_url=base, api_key="wrong").match(Person(name="Ada Obi"))),
}
httpx.post(base + "/_sim/mode", json={"mode": "unavailable"})
out["errors"]["unavailable"] = error(lambda: api.match(Person(name="Ada Obi")))
out["errors"]["not_ready"] = error(api.readyz)
httpx.post(base + "/_sim/mode", json={"mode": "ok"})


async def run_async():
    async with AsyncClient(base_url=base, api_key=key) as client:
        return scored(await client.match(Person(name="Viktor Sanctionov")))

out["async"] = asyncio.run(run_async())
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def sdk_path() -> Path:
    return sdk_target("yente-client", [SDK_PIN])


def test_the_official_client_parses_every_answer_of_the_simulator(sdk_path):
    with OpenSanctionsSimulator() as sim:
        run = subprocess.run([sys.executable, "-c", SCRIPT, sim.url, sim.api_key], capture_output=True, text=True,
                             timeout=60, env={**os.environ, "PYTHONPATH": str(sdk_path)})
        assert run.returncode == 0, run.stderr[-3000:]
        out = json.loads(run.stdout)
        received = list(sim.queries)

    hit = out["hit"]
    assert (hit["total"], hit["limit"], len(hit["results"])) == ([1, "eq"], 5, 1)
    assert hit["query"] == {"id": None, "schema": "Person", "properties": {
        "name": ["sanctionov viktor"], "nationality": ["gh"], "birthDate": ["1970"]}}
    top = hit["results"][0]
    assert (top["caption"], top["schema"], top["score"], top["match"], top["target"]) == (
        "Viktor Sanctionov", "Person", 0.99, True, True)
    assert top["id"].startswith("NK-") and len(top["id"]) == 25 and hit["matches"] == [top["id"]]
    assert top["datasets"] == ["sim_sanctions"] and top["referents"][0].startswith("sim_sanctions-")
    assert top["properties"] == {"name": ["Viktor Sanctionov"], "topics": ["sanction"]}
    assert top["first_seen"] == top["last_change"] == "2024-03-01T00:00:00" and top["explanations"] == {}

    clean = out["clean"]
    assert (clean["results"], clean["total"], clean["limit"]) == ([], [0, "eq"], 3)
    # A near miss scores under the 0.70 threshold: dropped under the default cutoff, listed unmatched under 0.5.
    assert out["near_default"]["results"] == [] and out["near"]["total"] == [0, "eq"]
    assert [(r["caption"], r["score"], r["match"]) for r in out["near"]["results"]] == [
        ("Ama Blocked Person", 0.65, False)]
    assert [(r["score"], r["match"]) for r in out["strict"]["results"]] == [(0.99, False)]
    assert out["company"]["results"] == []  # a Company query never matches a listed Person
    assert out["batch"] == [["a", []], ["b", [top["id"]]]]
    assert out["async"]["matches"] == [top["id"]]

    assert out["search"] == {"ids": [top["id"]], "total": 1, "limit": 5, "offset": 0, "facets": {
        "countries": [], "topics": [["sanction", "Sanctioned entity", 1]],
        "datasets": [["sim_sanctions", "sim_sanctions", 1]]}}
    assert out["search_none"] == 0
    assert out["fetch"] == [top["id"], "Viktor Sanctionov", "Person", True, top["id"]]  # a referent redirects
    assert out["health"] == ["ok", "ok"]
    assert out["catalog"] == {"loaded": ["default", "sanctions"], "current": ["default", "sanctions"],
                              "stale": False}
    assert out["errors"] == {
        "unknown_entity": ["NotFoundError", 404, "No such entity!"],
        "unknown_dataset": ["NotFoundError", 404, "No such dataset."],
        "unknown_algorithm": ["BadRequestError", 400, "Invalid algorithm: no-such-algo"],
        "bad_key": ["AuthenticationError", 401, "Invalid API key"],
        "unavailable": ["ServerError", 503, "Service unavailable"],
        "not_ready": ["ServerError", 503, "Index not ready."],
    }
    assert "sanctionov viktor" in received and "Kofi Mensah" in received
