"""Bodies in the `annual_reports` spider: the obliged bodies a page names, kept in the store as the crawl goes."""

from __future__ import annotations

from typing import Any

from scrapy.http import Response

from storage.bodies import BodySighting

from .. import bodies as B
from ..page_facts import PageFacts
from ..registry import Site
from ..store import StoreExtension, StoreFailed


class BodyLearning:
    """The spider's body sightings (mixed into `AnnualReportsSpider`)."""

    crawler: Any
    logger: Any
    store: StoreExtension | None

    def _sightings(self, response: Response, site: Site, facts: PageFacts) -> list[BodySighting]:
        """Return the bodies this page names: a platform's units (with a unit's 年报 column) or a notice's units."""
        title, links, pub = facts.title, facts.links, facts.published_at
        code = facts.marks.get("site_id_code") or ""
        region = site.region_code or (code[:6] if code[:6].isdigit() else None)
        seen = {"url": response.url, "site": site.site_id, "site_region_code": region}
        if B.is_notice(title):
            year = B.notice_year(title)
            return [BodySighting(u.name, "notice", **seen, year=year, date=pub, report_url=u.report_url)
                    for u in facts.notice_units]  # fmt: skip
        out = [BodySighting(u.name, "platform", **seen) for u in B.platform_units(response.url, links)]
        unit = response.meta["context"].get("unit")
        column = B.unit_column(unit, links) if unit else None
        if column is not None:
            out.append(BodySighting(unit, "platform", **seen, column_url=column.column_url))
        return out

    async def _learn(self, site: Site, sightings: list[BodySighting]) -> None:
        """Keep the bodies a page names in the store (a crawl without a store only counts them)."""
        if not sightings:
            return
        self.crawler.stats.inc_value(f"site/{site.site_id}/bodies_seen", len(sightings))
        if self.store is None:
            return
        try:
            await self.store.run(self.store.store.learn_bodies, sightings)
        except StoreFailed as exc:  # learnt again by the next crawl of the page
            self.logger.warning("bodies not kept from %s: %s", site.site_id, exc)
