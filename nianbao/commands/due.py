"""`nianbao due`: the sites due for a visit by the store's visit policy (storage.visits); `crawl --due` uses it."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..exits import OK, UsageError
from ..output import print_table
from ..regions import describe
from ..stores import open_store


def _candidates(args: argparse.Namespace) -> list[Any]:
    """Return the sites `due` weighs: `--sites` (and `--region`), else the store's registry, else the bundled one."""
    from crawler.registry import RegistryError, load_sites

    from .crawl import BUNDLED, check_region, registry_path, store_registry

    region = check_region(args.region)
    try:
        if args.sites:
            return load_sites(registry_path(args.sites), region)
        stored = store_registry(args.db, region)
        return stored if stored is not None else load_sites(registry_path(BUNDLED), region)
    except RegistryError as exc:
        raise UsageError(str(exc)) from None


def standing(db: str | None, sites: list[Any]) -> list[Any]:
    """Return each site's `storage.visits.Visit` (never visited, all due, where there is no store)."""
    from sqlalchemy.orm import Session

    from storage.visits import Visit, visits

    if not db:
        return [Visit(s.site_id, None, None, True) for s in sites]
    store = open_store(db, create=True)
    try:
        with Session(store.engine) as s:
            return visits(s, [site.site_id for site in sites])
    finally:
        store.close()


def due_sites(db: str | None, sites: list[Any]) -> list[Any]:
    """Return the sites of `sites` due for a visit (`crawl --due`)."""
    due = {v.site for v in standing(db, sites) if v.due}
    return [s for s in sites if s.site_id in due]


def cmd_due(args: argparse.Namespace) -> int:
    """Print the sites due for a visit (or every site with `--all`); with `--set-policy`, store the policy first."""
    from storage.visits import check_policy, policy, set_policy

    store = open_store(args.db, create=True)
    try:
        if args.set_policy:
            values = dict(pair.partition("=")[::2] for pair in args.set_policy)
            try:
                current = store.write(policy).to_dict()
                new = check_policy({**current, **values})
            except ValueError as exc:
                raise UsageError(f"--set-policy: {exc}") from None
            store.write(lambda s: set_policy(s, new))
        rule = store.write(policy)
    finally:
        store.close()
    sites = _candidates(args)
    rows = standing(args.db, sites)
    shown = rows if args.all else [v for v in rows if v.due]
    names = {s.site_id: s.name for s in sites}
    if args.format == "json":
        print(
            json.dumps(
                {
                    "policy": rule.to_dict(),
                    "sites": [
                        {
                            "site": v.site,
                            "name": names.get(v.site),
                            "last_visit": v.last.isoformat() if v.last else None,
                            "next_due": v.next_due.isoformat() if v.next_due else None,
                            "due": v.due,
                        }
                        for v in shown
                    ],
                },
                ensure_ascii=False,
                indent=1,
            )
        )
        return OK
    print_table(
        [("site", "name", "last visit", "next due", "due")]
        + [
            (
                v.site,
                names.get(v.site) or "",
                v.last.strftime("%Y-%m-%d %H:%M") if v.last else "never",
                v.next_due.strftime("%Y-%m-%d %H:%M") if v.next_due else "now",
                "yes" if v.due else "no",
            )
            for v in shown
        ]
    )
    where = f" in region {describe(args.region)}" if args.region else ""
    print(
        f"\n{sum(v.due for v in rows)} of {len(rows)} site(s){where} due (policy: every {rule.busy_days} day(s) "
        f"from {rule.busy_from:04d} to {rule.busy_to:04d}, every {rule.quiet_days} otherwise)",
        file=sys.stderr,
    )
    return OK
