"""`/report` is documented key by key: every figure the report builds is in its response model."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from router.api import report_schemas as rs
from router.pricing import PriceSettings
from router.reports import build_report
from router.reports.settings import ReportSettings
from router.settings import LLMSettings
from router.store.db import unit_of_work
from tests.unit.reports.conftest import seed_store


def _strict(model: type[BaseModel]) -> type[BaseModel]:
    """The same model refusing undeclared keys (the shipped one allows later additions)."""
    return type(f"Strict{model.__name__}", (model,), {"model_config": ConfigDict(extra="forbid")})


def _undeclared(model: type[BaseModel], data: dict[str, Any], where: str = "") -> list[str]:
    missing = [f"{where}{k}" for k in data if k not in model.model_fields]
    for name, field in model.model_fields.items():
        sub = field.annotation
        if isinstance(data.get(name), dict) and isinstance(sub, type) \
                and issubclass(sub, BaseModel):
            missing += _undeclared(sub, data[name], f"{where}{name}.")
    return missing


def test_every_report_key_is_declared_and_validates(store_url: str) -> None:
    seed_store(store_url)
    with unit_of_work(store_url) as session:
        for by in (None, "day", "intent"):
            data = build_report(session, by=by, settings=ReportSettings(), llm=LLMSettings(),
                                prices=PriceSettings())
            assert _undeclared(rs.Report, data) == []
            _strict(rs.Report).model_validate(data)
            for group in (*data["routes"].values(), *data["by_intent"].values()):
                assert _undeclared(rs.GroupMetrics, group) == []
            for row in data.get("slices") or []:
                assert _undeclared(rs.Slice, row) == []


def test_the_openapi_schema_names_the_report_figures() -> None:
    from router.api.app import create_app

    schema = create_app(database_url="sqlite://").openapi()
    ok = schema["paths"]["/report"]["get"]["responses"]["200"]["content"]["application/json"]
    ref = ok["schema"]["$ref"].rsplit("/", 1)[-1]
    props = schema["components"]["schemas"][ref]["properties"]
    for key in ("deflection_rate", "cost_per_resolved_usd", "latency_ms", "pricing", "slices"):
        assert key in props
