"""A crawl shared by several worker processes, on one machine or many: scrapy-redis's scheduler and dupefilter
in Redis, one store (PostgreSQL) for the records and the crawl memory.

`nianbao crawl --redis URL` seeds a frontier (`seed.seed`): the chosen sites go into Redis and their start
requests into the shared queue. `nianbao worker --redis URL --db …` (`worker.run_worker`) processes take
requests from it until it has stayed empty, with nothing leased to any worker, for an idle time.

What is shared, and how (every key under one prefix, `nianbao:<queue>`; see `keys.Keys`):

- the frontier: scrapy-redis's priority queue (a sorted set), popped under a *lease* (`queue.LeasedQueue`):
  a popped request is kept, with its lease's expiry, until the worker has handled it whole (its response or
  failure through the callback, the items it yielded through the pipelines into the store, the requests it
  yielded pushed to Redis); then it is acknowledged. A worker renews its leases every second; a killed
  worker's leases expire and any other worker puts their requests back in the queue.
- the dupefilter: scrapy-redis's RFPDupeFilter (a set of fingerprints); the seeds are added to it, so a link
  back to a start page is not fetched again.
- per-host concurrency: a Redis semaphore per download slot (`hostlimit.SharedHostSlots`), at most
  CONCURRENT_REQUESTS_PER_DOMAIN requests in flight per host over all workers; a slot held by a killed worker
  frees itself when its expiry passes (renewed while held).
- the sites: the seeding command stores the chosen sites (pickled `Site`s), every worker loads them.
"""
