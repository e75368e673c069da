"""The support-ops dashboard: server-rendered pages (Jinja2), htmx for interaction, Chart.js.

Every figure comes from the same ``build_report`` as the CLI and ``GET /report``; every asset
is served from the package (``router/api/static``), so the pages work with no internet.
"""

from fastapi import APIRouter

from router.api.dashboard import kb_pages, login, pages

router = APIRouter(include_in_schema=False)
router.include_router(login.router)
router.include_router(pages.router)
router.include_router(kb_pages.router)

__all__ = ["router"]
