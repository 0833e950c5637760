"""The item pipelines, one job each, in the order crawler/settings.py runs them.

1. `dedup.DedupPipeline` (200): bytes met before become a `SourceItem`; only the URL is news.
2. `extract.ExtractPipeline` (300): a new document is read into a `ReportItem` (its record attributed:
   body, body_key, the body's region), `NotReportItem` or `UnreadableItem`.
3. `storing.StorePipeline` (400): every document item is written into the store; a write the store refuses
   becomes a `NotStoredItem`. Not configured without a store (NIANBAO_DB empty).
4. `tally.TallyPipeline` (900): each outcome is counted per site; non-reports leave the feed here.
"""
