"""The Redis keys of one distributed crawl, all under `nianbao:<queue>`."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_QUEUE = "annual_reports"


def run_note(queue: str) -> str:
    """Return the note a worker's crawl run carries in the store: which queue it worked (`nianbao runs --queue`)."""
    return f"worker of queue {queue}"


@dataclass(frozen=True)
class Keys:
    """The keys of the distributed crawl named `queue` (several crawls can share one Redis under other names)."""

    queue: str = DEFAULT_QUEUE

    @property
    def prefix(self) -> str:
        return f"nianbao:{self.queue}"

    @property
    def requests(self) -> str:
        """The frontier: scrapy-redis's priority queue (sorted set of serialized requests)."""
        return f"{self.prefix}:requests"

    @property
    def dupefilter(self) -> str:
        """scrapy-redis's dupefilter: the fingerprints of every request scheduled."""
        return f"{self.prefix}:dupefilter"

    @property
    def leases(self) -> str:
        """Lease token → the serialized request a worker popped and has not yet handled whole."""
        return f"{self.prefix}:leases"

    @property
    def lease_scores(self) -> str:
        """Lease token → the request's score in the frontier (its priority), to put it back where it was."""
        return f"{self.prefix}:lease_scores"

    @property
    def lease_expiry(self) -> str:
        """Lease token → when the lease ends (Redis time, seconds) unless renewed."""
        return f"{self.prefix}:lease_expiry"

    @property
    def sites(self) -> str:
        """The seeded sites (a pickled list of crawler.registry.Site)."""
        return f"{self.prefix}:sites"

    def pages(self, site_id: str) -> str:
        """The requests the crawl has scheduled for a site, over every worker (its page budget's counter)."""
        return f"{self.prefix}:pages:{site_id}"

    def reports(self, site_id: str) -> str:
        """The reports a site has yielded, over every worker (each adds to its page budget)."""
        return f"{self.prefix}:reports:{site_id}"

    def held(self, site_id: str) -> str:
        """Requests of a site pushed past its page budget: request → its score in the frontier, moved there once the
        reports the site yields raise the budget (`LeasedScheduler.release`)."""
        return f"{self.prefix}:held:{site_id}"

    def refused(self, site_id: str) -> str:
        """How many of a site's held requests a worker that ended has counted refused (the most any counted)."""
        return f"{self.prefix}:refused:{site_id}"

    @property
    def held_sites(self) -> str:
        """The ids of the sites that have held requests."""
        return f"{self.prefix}:held_sites"

    def pause(self, slot: str) -> str:
        """A download slot's (a host's) Retry-After pause: set, with that expiry, while every worker must wait."""
        return f"{self.prefix}:pause:{slot}"

    def host(self, slot: str) -> str:
        """The semaphore of a download slot (a host): a sorted set of holder token → expiry."""
        return f"{self.prefix}:host:{slot}"
